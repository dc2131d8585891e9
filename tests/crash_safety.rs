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

/// Files of `dir` that its last commit (meta.json) does not use: segment files of other
/// segments, and anything else besides the two JSON files (hidden files, the locks and
/// tantivy's list of its files, are not counted).
fn leftovers(dir: &Path) -> Vec<String> {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    let segments: Vec<String> = meta["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
        .collect();
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            !name.starts_with('.')
                && name != "meta.json"
                && name != "paperdex.json"
                && !segments.iter().any(|s| name.starts_with(s.as_str()))
        })
        .collect();
    left.sort();
    left
}

/// Bytes of the files of the last commit and the two JSON files (hidden files left out).
fn committed_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// `paperdex ARGS...` on `sb`'s index in a process whose files cannot grow past `bytes`:
/// writes fail with EFBIG, "File too large", as on a full disk (SIGXFSZ ignored, so the
/// write returns an error instead of killing the process).
fn run_with_file_size_limit(sb: &Sandbox, bytes: u64, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"));
    cmd.env("HOME", sb.home.path())
        .env_remove("PAPERDEX_INDEX")
        .env_remove("RUST_BACKTRACE")
        .arg(args[0])
        .arg("--index")
        .arg(sb.index_dir())
        .args(&args[1..]);
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

/// A run that fails on a full disk says why in one line, removes what it wrote and keeps
/// the last commit; with room again the same run completes.
#[test]
fn a_full_disk_fails_the_run_with_a_clear_error_and_keeps_the_last_commit() {
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    let before = papers(&sb);
    assert!(before > 0);
    let bytes_before = committed_bytes(sb.index_dir());
    let out = run_with_file_size_limit(
        &sb,
        100_000,
        &["index".as_ref(), listings_slice().as_os_str()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked at"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(
        stderr.contains("writing the index at") && stderr.contains("failed: File too large"),
        "the cause is named: {stderr}"
    );
    assert!(
        stderr.contains(&format!("keeps its last commit: {before} papers")),
        "{stderr}"
    );
    // What the failed run wrote is gone: the index holds its last commit and nothing more.
    assert_eq!(leftovers(sb.index_dir()), Vec::<String>::new());
    assert_eq!(committed_bytes(sb.index_dir()), bytes_before);
    // Nothing committed was lost or damaged, and with room again the same run completes.
    assert_eq!(papers(&sb), before);
    assert!(run(&sb, &["check"]).status.success());
    let report = sb.index_files(&[listings_slice()]);
    assert_eq!(report["records"].as_u64(), Some(1950), "{report}");
    let added = report["added"].as_u64().unwrap();
    assert!(added > 1900, "{report}");
    assert_eq!(papers(&sb), before + added);
}

/// `delete` that cannot write its commit says why in one line, exit 1, and keeps the index.
#[test]
fn a_delete_on_a_full_disk_fails_with_one_clear_message_and_keeps_the_index() {
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    let before = papers(&sb);
    let id = parse_json(&run(&sb, &["search", "--json", "learning", "--limit", "1"]).stdout)
        ["hits"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Room for nothing: the deletes file of the commit cannot be written.
    let out = run_with_file_size_limit(&sb, 0, &["delete".as_ref(), id.as_ref()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(stderr.contains("failed: File too large"), "{stderr}");
    assert_eq!(stderr.matches("File too large").count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("keeps its last commit: {before} papers")),
        "{stderr}"
    );
    assert_eq!(leftovers(sb.index_dir()), Vec::<String>::new());
    assert_eq!(papers(&sb), before);
    assert!(run(&sb, &["check"]).status.success());
    // With room, the same delete goes through.
    assert!(run(&sb, &["delete", &id]).status.success());
    assert_eq!(papers(&sb), before - 1);
}

/// A tmpfs of a given size mounted on a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts one, or says why not: `None` when not root (mounting needs it), a panic when
    /// root and the mount fails, so CI (which runs as root) cannot skip the test silently.
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("not run: mounting a tmpfs needs root");
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={size}"))
            .arg("tmpfs")
            .arg(dir)
            .status()
            .expect("the mount command runs");
        assert!(status.success(), "mount -t tmpfs failed as root: {status}");
        Some(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .arg("-o")
            .arg(format!("remount,size={size}"))
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount: {status}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A real full disk (ENOSPC, a 3 MB tmpfs): the run names it in one line and removes what it
/// wrote, so the next run has the room the index had; `delete` on a disk with no room left
/// fails the same way, keeping the index; once the disk grows, the run completes.
#[test]
fn a_real_full_disk_is_named_and_its_room_given_back() {
    let sb = Sandbox::new();
    let disk = sb.home.path().join("disk");
    let Some(tmpfs) = Tmpfs::mount(&disk, "3m") else {
        return;
    };
    let dir = disk.join("index");
    let at = |args: &[&std::ffi::OsStr]| {
        common::isolated_cmd(sb.home.path())
            .env_remove("RUST_BACKTRACE")
            .arg(args[0])
            .arg("--index")
            .arg(&dir)
            .args(&args[1..])
            .output()
            .unwrap()
    };
    let papers = || {
        parse_json(&at(&["stats".as_ref(), "--json".as_ref()]).stdout)["papers"]
            .as_u64()
            .unwrap()
    };
    let sample_path = sample("arxiv-listings-sample.jsonl");
    assert!(at(&["index".as_ref(), sample_path.as_os_str()])
        .status
        .success());
    let before = papers();
    let bytes_before = committed_bytes(&dir);

    let out = at(&["index".as_ref(), listings_slice().as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(
        stderr.contains("failed: No space left on device (os error 28); it keeps its last commit"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("commit: {before} papers")),
        "{stderr}"
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    assert_eq!(committed_bytes(&dir), bytes_before);
    assert!(at(&["check".as_ref()]).status.success());
    // The room is back: a small run fits.
    let small = sample("arxiv-snapshot-sample.jsonl");
    let out = at(&["index".as_ref(), small.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = papers();
    assert!(kept > before);

    // No room at all: `delete` cannot write its commit.
    let mut filler = std::fs::File::create(disk.join("filler")).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    drop(filler);
    let search = ["search", "--json", "learning", "--limit", "1"].map(std::ffi::OsStr::new);
    let id = parse_json(&at(&search).stdout)["hits"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = at(&["delete".as_ref(), id.as_ref()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert_eq!(
        stderr.matches("No space left on device").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("commit: {kept} papers")),
        "{stderr}"
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    assert_eq!(papers(), kept);
    assert!(at(&["check".as_ref()]).status.success());

    // A larger disk: the run that failed completes.
    std::fs::remove_file(disk.join("filler")).unwrap();
    tmpfs.resize("64m");
    let out = at(&[
        "index".as_ref(),
        "--json".as_ref(),
        listings_slice().as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added = parse_json(&out.stdout)["added"].as_u64().unwrap();
    assert!(added > 1900, "{added}");
    assert_eq!(papers(), kept + added);
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
