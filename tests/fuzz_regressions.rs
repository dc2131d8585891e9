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
