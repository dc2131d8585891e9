//! Every input a fuzz target ever failed on (tests/fixtures/fuzz/TARGET/NAME, one file each),
//! replayed through the same check the target runs (tests/common/fuzz_cases.rs).

#[path = "common/fuzz_cases.rs"]
mod fuzz_cases;

use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    inputs.sort();
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails again", input.display());
    }
}

#[test]
fn ingest_inputs_found_by_fuzzing() {
    replay("ingest", fuzz_cases::ingest);
}

#[test]
fn query_inputs_found_by_fuzzing() {
    replay("query", fuzz_cases::query);
}

#[test]
fn http_params_inputs_found_by_fuzzing() {
    replay("http_params", fuzz_cases::http_params);
}

#[test]
fn stdio_inputs_found_by_fuzzing() {
    replay("stdio", fuzz_cases::stdio);
}

#[test]
fn query_cost_inputs_found_by_fuzzing() {
    replay("query_cost", fuzz_cases::query_cost);
}

#[test]
fn stdio_batch_inputs_found_by_fuzzing() {
    replay("stdio_batch", fuzz_cases::stdio_batch);
}

/// The cost and batch checks on inputs written by hand: the hostile queries of issue 22 and
/// batches at, under and over the bound.
#[test]
fn query_cost_and_stdio_batch_hold_on_their_seeds() {
    for target in ["query_cost", "stdio_batch"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds")
            .join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            match target {
                "query_cost" => fuzz_cases::query_cost(&data),
                _ => fuzz_cases::stdio_batch(&data),
            }
            n += 1;
        }
        assert!(n >= 3, "{} holds {n} seeds", dir.display());
    }
}
