//! Faults around the index: a disk that fills up mid-run, and index files that are
//! truncated, overwritten or deleted. (SIGKILL mid-run is in tests/cli_ingest.rs.)

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{parse_json, sample, Sandbox};

fn listings_slice() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/listings-slice.jsonl.gz")
}

/// Runs `paperdex SUBCOMMAND --index DIR ARGS...` with `RUST_BACKTRACE` unset, as a user
/// would (a panic would still say "panicked at" if paperdex let one through).
fn run(sb: &Sandbox, args: &[&str]) -> Output {
    sb.sub(args[0])
        .env_remove("RUST_BACKTRACE")
        .args(&args[1..])
        .output()
        .unwrap()
}

fn papers(sb: &Sandbox) -> u64 {
    parse_json(&run(sb, &["stats", "--json"]).stdout)["papers"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_full_disk_fails_the_run_with_a_clear_error_and_keeps_the_last_commit() {
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    let before = papers(&sb);
    assert!(before > 0);
    // No file of this process may grow past 100 KB: writes fail with EFBIG, as on a full
    // disk (SIGXFSZ ignored, so the write returns an error instead of killing the process).
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"));
    cmd.env("HOME", sb.home.path())
        .env_remove("PAPERDEX_INDEX")
        .env_remove("RUST_BACKTRACE")
        .arg("index")
        .arg("--index")
        .arg(sb.index_dir())
        .arg(listings_slice());
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 100_000,
                rlim_max: 100_000,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked at"), "{stderr}");
    assert!(stderr.contains("writing the index at"), "{stderr}");
    assert!(
        stderr.contains(&format!("keeps its last commit: {before} papers")),
        "{stderr}"
    );
    // Nothing committed was lost or damaged, and with room again the same run completes.
    assert_eq!(papers(&sb), before);
    assert!(run(&sb, &["check"]).status.success());
    let report = sb.index_files(&[listings_slice()]);
    assert_eq!(report["records"].as_u64(), Some(1950), "{report}");
    let added = report["added"].as_u64().unwrap();
    assert!(added > 1900, "{report}");
    assert_eq!(papers(&sb), before + added);
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    Truncate,
    Overwrite,
    Delete,
}

fn damage(file: &Path, how: Damage) {
    match how {
        Damage::Truncate => {
            let len = std::fs::metadata(file).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
            f.set_len(len / 2).unwrap();
        }
        Damage::Overwrite => {
            let mut bytes = std::fs::read(file).unwrap();
            let start = bytes.len() / 3;
            let end = bytes.len().min(start + 64);
            for b in &mut bytes[start..end] {
                *b ^= 0x5a;
            }
            std::fs::write(file, bytes).unwrap();
        }
        Damage::Delete => std::fs::remove_file(file).unwrap(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn damaged_index_files_give_clear_errors_never_a_panic_and_check_names_them() {
    let sb = Sandbox::new();
    sb.index_files(&[listings_slice()]);
    let pristine = sb.home.path().join("pristine");
    copy_dir(sb.index_dir(), &pristine);
    // The files of the last commit: the two JSON files and those of the segments meta.json
    // lists (others are leftovers of merges, waiting for tantivy's garbage collection).
    let meta = std::fs::read_to_string(pristine.join("meta.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    let segments: Vec<String> = meta["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pristine)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".json") && !name.starts_with('.')
                || segments.iter().any(|s| name.starts_with(s.as_str()))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for how in [Damage::Truncate, Damage::Overwrite, Damage::Delete] {
            let case = format!("{name} {how:?}");
            std::fs::remove_dir_all(sb.index_dir()).unwrap();
            copy_dir(&pristine, sb.index_dir());
            damage(&sb.index_dir().join(&name), how);
            for args in [
                &["search", "graph neural networks", "--limit", "5"][..],
                &["stats"][..],
            ] {
                let out = run(&sb, args);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(!stderr.contains("panicked at"), "{case} {args:?}: {stderr}");
                match out.status.code() {
                    Some(0) => {}
                    Some(1) => assert!(stderr.starts_with("paperdex: "), "{case}: {stderr}"),
                    other => panic!("{case} {args:?}: exit {other:?}: {stderr}"),
                }
            }
            // `check` catches every kind of damage, naming the file when it can be opened.
            let out = run(&sb, &["check"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{case}: check passed");
            let segment_file = !name.ends_with(".json");
            if segment_file {
                let stem = name.split('.').next().unwrap();
                assert!(stderr.contains(stem), "{case}: {stderr}");
            }
        }
    }
}

/// An index whose creation was cut short (killed before the marker, or a full disk that left
/// it empty) holds no segment: the same command run again creates into it. One with papers
/// and no readable marker is still refused: it may be another program's index.
#[test]
fn a_half_created_index_is_finished_by_the_same_command() {
    let marker = |sb: &Sandbox| sb.index_dir().join("paperdex.json");
    for damage in ["missing", "empty", "garbage"] {
        let sb = Sandbox::new();
        // An index with tantivy's meta.json and no segment: what creation leaves first.
        std::fs::create_dir_all(sb.index_dir()).unwrap();
        tantivy::Index::create_in_dir(
            sb.index_dir(),
            paperdex::schema::SchemaConfig::builtin().build().schema,
        )
        .map(|_| ())
        .unwrap_or_else(|e| panic!("{e}"));
        match damage {
            "missing" => {}
            "empty" => std::fs::write(marker(&sb), b"").unwrap(),
            _ => std::fs::write(marker(&sb), b"{\"schema_ver").unwrap(),
        }
        let out = run(
            &sb,
            &[
                "index",
                sample("arxiv-listings-sample.jsonl").to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{damage}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(papers(&sb) > 0, "{damage}");
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(marker(&sb)).unwrap()).unwrap();
        assert!(
            written["schema_fingerprint"].is_string(),
            "{damage}: {written}"
        );
    }
    // With papers in it, a lost marker is not guessed at.
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    std::fs::remove_file(marker(&sb)).unwrap();
    let out = run(
        &sb,
        &[
            "index",
            sample("arxiv-listings-sample.jsonl").to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("paperdex.json"));
}
