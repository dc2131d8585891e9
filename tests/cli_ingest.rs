//! Ingest through the binary: interruption by SIGKILL, a second writer, stdin and gzip,
//! generic JSON with --map, delete, the arXiv snapshot's extra fields in `show`, oversized
//! pages and more files than the open-file limit, and hostile directory trees (symlink
//! loops, FIFOs).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{parse_json, sample, Sandbox};
use paperdex::schema::SchemaConfig;
use paperdex::Engine;

/// A synthetic arXiv-listings file of `n` records.
fn write_listings(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let line = serde_json::json!({
            "id": format!("2601.{i:05}"),
            "title": format!("Synthetic paper number {i} on sparse retrieval"),
            "authors": ["A. Author", "B. Author"],
            "categories": ["cs.IR"],
            "comment": null,
            "abstract": format!("We study topic {} with method {} and report {} results on long documents.", i % 97, i % 31, i % 7),
            "first_listed": format!("2026-01-{:02}", 1 + i % 28),
        });
        writeln!(f, "{line}").unwrap();
    }
}

/// Papers in the last committed state, read the way a second process would.
fn committed_papers(dir: &Path) -> u64 {
    Engine::open(dir, SchemaConfig::builtin())
        .map(|e| e.stats().unwrap().papers)
        .unwrap_or(0)
}

/// Starts `paperdex index` in the background and waits until it has committed something.
fn start_indexing(sb: &Sandbox, input: &Path, commit_every: &str) -> std::process::Child {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"));
    cmd.env("HOME", sb.home.path())
        .env_remove("PAPERDEX_INDEX")
        .args(["index", "--index"])
        .arg(sb.index_dir())
        .args(["--commit-every", commit_every])
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while committed_papers(sb.index_dir()) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "indexing ended before its first commit was seen"
        );
        assert!(Instant::now() < deadline, "no commit within 120 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

#[test]
fn a_killed_index_run_keeps_its_last_commit_and_a_rerun_completes_it() {
    const N: usize = 40_000;
    let sb = Sandbox::new();
    let input = sb.home.path().join("big.jsonl");
    write_listings(&input, N);
    let mut child = start_indexing(&sb, &input, "500");
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let after_kill = committed_papers(sb.index_dir());
    assert!(
        after_kill > 0 && after_kill < N as u64,
        "killed mid-run, got {after_kill}"
    );
    assert_eq!(
        after_kill % 500,
        0,
        "only whole batches are committed: {after_kill}"
    );
    // The index opens and answers.
    let r = sb.search_json(&["sparse retrieval", "--limit", "1"]);
    assert_eq!(r["total"].as_u64(), Some(after_kill));
    // Re-running the same command completes it.
    let report = sb.json("index", &[input.to_str().unwrap()]);
    assert_eq!(
        report["added"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap(),
        N as u64
    );
    assert_eq!(report["unchanged"].as_u64(), Some(after_kill));
    assert_eq!(sb.stats_json()["papers"].as_u64(), Some(N as u64));
}

#[test]
fn a_second_writer_is_refused_with_exit_code_1() {
    let sb = Sandbox::new();
    let input = sb.home.path().join("big.jsonl");
    write_listings(&input, 40_000);
    let mut first = start_indexing(&sb, &input, "500");
    let second = sb
        .sub("index")
        .arg(sample("arxiv-listings-sample.jsonl"))
        .output()
        .unwrap();
    let still_running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        still_running,
        "the first writer finished too early for this test to mean anything"
    );
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("index is locked by another process"),
        "{stderr}"
    );
}

#[test]
fn stdin_and_gzip_inputs_are_read() {
    let sb = Sandbox::new();
    let text = std::fs::read(sample("arxiv-listings-sample.jsonl")).unwrap();
    let out = sb
        .sub("index")
        .args(["--json", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(parse_json(&out.stdout)["added"].as_u64(), Some(40));
    let gz = sb.home.path().join("more.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(sample("scifact-corpus-sample.jsonl")).unwrap())
        .unwrap();
    enc.finish().unwrap();
    let report = sb.index_files(&[gz]);
    assert_eq!(report["added"].as_u64(), Some(30));
    let paper = sb.show_json("4983");
    assert_eq!(paper["sources"][0]["file"].as_str(), Some("more.jsonl"));
}

#[test]
fn generic_json_lines_are_mapped_with_map() {
    let sb = Sandbox::new();
    let f = sb.home.path().join("mine.jsonl");
    std::fs::write(
        &f,
        r#"{"name": "Graph Kernels for Molecules", "summary": "We compare graph kernels on molecule benchmarks.", "published": "2024-05-06", "key": "mol-1"}"#,
    )
    .unwrap();
    let report = sb.json(
        "index",
        &[
            "--format",
            "jsonl",
            "--map",
            "title=name,abstract=summary,date=published,id=key",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(report["added"].as_u64(), Some(1));
    let r = sb.search_json(&["kernels"]);
    let hit = &r["hits"][0];
    assert_eq!(hit["title"].as_str(), Some("Graph Kernels for Molecules"));
    assert_eq!(hit["date"].as_str(), Some("2024-05-06"));
    assert_eq!(hit["id"].as_str(), Some("mol-1"));
    let bad = sb
        .sub("index")
        .args(["--format", "jsonl", "--map", "headline=name"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown paper field `headline`"));
}

#[test]
fn delete_removes_papers_by_id() {
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    let before = sb.stats_json()["papers"].as_u64().unwrap();
    let id = sb.search_json(&["attention"])["hits"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The id that names no paper is reported and makes the run exit 1, as `rm` does; the
    // other paper is deleted all the same.
    let run = sb
        .sub("delete")
        .args(["--json", id.as_str(), "no-such-id"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let out = common::parse_json(&run.stdout);
    assert_eq!(
        (out["requested"].as_u64(), out["deleted"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(out["not_found"], serde_json::json!(["no-such-id"]));
    assert_eq!(sb.stats_json()["papers"].as_u64(), Some(before - 1));
    sb.sub("show").arg(&id).assert().code(1);
}

#[test]
fn snapshot_records_keep_doi_journal_ref_and_comments() {
    let sb = Sandbox::new();
    sb.index_files(&[sample("arxiv-snapshot-sample.jsonl")]);
    let paper = sb.show_json("0704.0001");
    assert_eq!(paper["doi"].as_str(), Some("10.1103/PhysRevD.76.013009"));
    assert_eq!(
        paper["journal_ref"].as_str(),
        Some("Phys.Rev.D76:013009,2007")
    );
    assert_eq!(paper["date"].as_str(), Some("2007-04-02"));
    assert_eq!(paper["topics"][0].as_str(), Some("/arxiv/hep-ph"));
    let human = sb.sub("show").arg("0704.0001").output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    for needle in [
        "10.1103/PhysRevD.76.013009",
        "Phys.Rev.D76:013009,2007",
        "37 pages, 15 figures",
        "C. Bal",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn gen_corpus_is_deterministic_and_indexes_as_arxiv_listings() {
    let sb = Sandbox::new();
    let run = |seed: &str| {
        sb.cmd()
            .args(["gen-corpus", "300", "--seed", seed])
            .output()
            .unwrap()
    };
    let (a, b, c) = (run("5"), run("5"), run("6"));
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    let path = sb.home.path().join("gen.jsonl");
    std::fs::write(&path, &a.stdout).unwrap();
    let report = sb.index_files(&[path]);
    assert_eq!(report["added"].as_u64(), Some(300));
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_malformed_file_with_strict_exits_2_naming_file_and_line_and_keeps_the_good_papers() {
    let sb = Sandbox::new();
    let good = sb.home.path().join("good.jsonl");
    write_listings(&good, 3);
    sb.sub("index").arg(&good).assert().success();
    let bad = sb.home.path().join("bad.jsonl");
    let mut text = std::fs::read_to_string(&good)
        .unwrap()
        .replace("2601.", "2602.");
    text.push_str("{\"id\": \"2602.99999\", \"title\": \n");
    std::fs::write(&bad, text).unwrap();
    let out = sb.sub("index").arg("--strict").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.jsonl:4"), "{stderr}");
    let stats = parse_json(&sb.sub("stats").arg("--json").output().unwrap().stdout);
    assert_eq!(stats["papers"], 3, "{stats}");
    // Without --strict the bad line is skipped and reported, the rest indexed: exit 0.
    let out = sb.sub("index").arg("--json").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(parse_json(&out.stdout)["added"], 3);
}

#[test]
fn kills_at_several_points_of_a_run_with_merges_leave_a_checkable_index() {
    const N: usize = 30_000;
    let sb = Sandbox::new();
    let input = sb.home.path().join("big.jsonl");
    write_listings(&input, N);
    // A commit every 300 papers makes a segment each time, so tantivy's merge policy is
    // merging in the background for most of the run: the kills land amid segment writes and
    // merges (files of uncommitted segments are on disk at each kill).
    let mut kept = 0;
    for target in [900, 6_000, 15_000] {
        let mut child = start_indexing(&sb, &input, "300");
        let deadline = Instant::now() + Duration::from_secs(300);
        while committed_papers(sb.index_dir()) < target && child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "no progress to {target} within 300 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let now = committed_papers(sb.index_dir());
        assert!(now >= kept, "a kill lost committed papers: {kept} -> {now}");
        assert_eq!(now % 300, 0, "only whole commits survive: {now}");
        kept = now;
        let check = sb.sub("check").arg("--json").output().unwrap();
        assert!(check.status.success(), "{check:?}");
        assert_eq!(parse_json(&check.stdout)["papers"].as_u64(), Some(now));
        let r = sb.search_json(&["sparse retrieval", "--limit", "1"]);
        assert_eq!(r["total"].as_u64(), Some(now));
    }
    let report = sb.json("index", &[input.to_str().unwrap()]);
    assert_eq!(report["unchanged"].as_u64(), Some(kept));
    assert_eq!(sb.stats_json()["papers"].as_u64(), Some(N as u64));
    assert!(sb.sub("check").output().unwrap().status.success());
}

/// How `paperdex index --json` ended, run with a deadline so that a hang fails the test
/// instead of stalling it.
struct Ended {
    code: Option<i32>,
    report: serde_json::Value,
    stderr: String,
}

impl Ended {
    /// The `file:line: reason` of every skip in the report.
    fn skips(&self) -> Vec<String> {
        self.report["skipped"]
            .as_array()
            .map(|skips| {
                skips
                    .iter()
                    .map(|s| {
                        format!(
                            "{}:{}: {}",
                            s["file"].as_str().unwrap(),
                            s["line"],
                            s["reason"].as_str().unwrap()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs `paperdex index --json ARGS`, killed after 60 s; `nofile` lowers its open-file limit.
fn index_within<S: AsRef<std::ffi::OsStr>>(sb: &Sandbox, args: &[S], nofile: Option<u64>) -> Ended {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"));
    cmd.env("HOME", sb.home.path())
        .env_remove("PAPERDEX_INDEX")
        .args(["index", "--json", "--index"])
        .arg(sb.index_dir())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(limit) = nofile {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and touches only the child being started.
        unsafe {
            cmd.pre_exec(move || {
                let rlim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &rlim) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    let mut child = cmd.spawn().unwrap();
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut pipe.unwrap(), &mut out).unwrap();
            out
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("paperdex index still running after 60 s (a hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    Ended {
        code: status.code(),
        report: serde_json::from_slice(&stdout).unwrap_or(serde_json::Value::Null),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A directory holding `a.jsonl` with two listings.
fn dir_with_listings(sb: &Sandbox, name: &str) -> std::path::PathBuf {
    let dir = sb.home.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let lines = [
        common::listing(
            "2601.00001",
            "Sparse retrieval first",
            "We study sparse retrieval.",
            "2026-01-02",
            "cs.IR",
        ),
        common::listing(
            "2601.00002",
            "Sparse retrieval second",
            "We study dense retrieval.",
            "2026-01-03",
            "cs.IR",
        ),
    ];
    common::write_file(&dir, "a.jsonl", lines.join("\n") + "\n");
    dir
}

#[test]
fn a_page_over_the_size_cap_is_a_skip_and_the_other_inputs_are_indexed() {
    let sb = Sandbox::new();
    let dir = dir_with_listings(&sb, "in");
    // A daily page decoding to 40 MiB from a gzip file of a few KiB, written as it streams.
    let seed = std::fs::read_to_string(sample("004_d8329b276105c370.txt")).unwrap();
    let head: String = seed.lines().take(40).map(|l| format!("{l}\n")).collect();
    let entry = "A title that repeats\n\nAn abstract that repeats, long enough to look like one, about sparse attention and its kernels.\n\n";
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("huge.txt.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(head.as_bytes()).unwrap();
    let chunk = entry.repeat(64);
    for _ in 0..(40 << 20) / chunk.len() {
        gz.write_all(chunk.as_bytes()).unwrap();
    }
    gz.finish().unwrap();
    let ended = index_within(
        &sb,
        &[dir.as_os_str(), "--memory-budget".as_ref(), "64".as_ref()],
        None,
    );
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["added"], 2, "{}", ended.report);
    let huge = dir.join("huge.txt.gz").display().to_string();
    assert_eq!(
        ended.skips(),
        [format!("{huge}:1: larger than 32 MiB, no real page is; split it into pages, or check it is the file meant")]
    );
    // An endless input given a page format reads 32 MiB and stops, instead of growing until
    // memory runs out.
    let ended = index_within(&sb, &["--format", "daily", "/dev/zero"], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.skips().len(), 1, "{}", ended.report);
    assert!(
        ended.skips()[0].starts_with("/dev/zero:1: larger than 32 MiB"),
        "{:?}",
        ended.skips()
    );
    assert_eq!(sb.stats_json()["papers"], 2);
}

#[test]
fn more_files_than_the_open_file_limit_are_all_indexed() {
    let sb = Sandbox::new();
    let dir = sb.home.path().join("many");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..200 {
        let line = common::listing(
            &format!("2601.{i:05}"),
            &format!("Paper {i} on retrieval"),
            "We study sparse retrieval.",
            "2026-01-02",
            "cs.IR",
        );
        common::write_file(&dir, &format!("{i:03}.jsonl"), line);
    }
    // Two whole pages among them, read in their own groups.
    std::fs::copy(sample("000_49c743b0cf8a9bc6.txt"), dir.join("page-000.txt")).unwrap();
    std::fs::copy(sample("004_d8329b276105c370.txt"), dir.join("page-004.txt")).unwrap();
    let ended = index_within(&sb, &[dir.as_os_str()], Some(64));
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["files"], 202, "{}", ended.report);
    assert_eq!(ended.skips(), Vec::<String>::new());
    let pages = Sandbox::new();
    let from_pages = pages.index_files(&[
        sample("000_49c743b0cf8a9bc6.txt"),
        sample("004_d8329b276105c370.txt"),
    ]);
    assert_eq!(
        ended.report["added"].as_u64().unwrap(),
        200 + from_pages["added"].as_u64().unwrap(),
        "{}",
        ended.report
    );
}

#[test]
fn symlinks_to_a_directory_are_not_followed_and_each_file_is_read_once() {
    let sb = Sandbox::new();
    let dir = dir_with_listings(&sb, "d");
    // `x` and `y` both lead back to `d`: walked, they were 2^40 paths.
    std::os::unix::fs::symlink(".", dir.join("x")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("y")).unwrap();
    // A link to a file is read, and its target only once.
    std::os::unix::fs::symlink("a.jsonl", dir.join("b.jsonl")).unwrap();
    let ended = index_within(&sb, &[&dir], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(
        (
            &ended.report["files"],
            &ended.report["records"],
            &ended.report["added"]
        ),
        (&1.into(), &2.into(), &2.into()),
        "{}",
        ended.report
    );
    assert_eq!(ended.skips(), Vec::<String>::new());
    // With --follow the loops are reported once each, not walked.
    let ended = index_within(&sb, &["--follow".as_ref(), dir.as_os_str()], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["records"], 2, "{}", ended.report);
    let skips = ended.skips();
    assert_eq!(skips.len(), 2, "{skips:?}");
    for (skip, link) in skips.iter().zip(["x", "y"]) {
        let expected = format!(
            "{}:1: symbolic link loop back to {}",
            dir.join(link).display(),
            dir.display()
        );
        assert!(
            skip.starts_with(&expected),
            "{skip} should start with {expected}"
        );
    }
}

#[test]
fn a_symlink_to_its_own_directory_reads_each_file_once() {
    let sb = Sandbox::new();
    let dir = dir_with_listings(&sb, "d");
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    let ended = index_within(&sb, &[&dir], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(
        (&ended.report["files"], &ended.report["records"]),
        (&1.into(), &2.into()),
        "{}",
        ended.report
    );
}

#[test]
fn follow_walks_a_symlinked_directory() {
    let sb = Sandbox::new();
    let other = dir_with_listings(&sb, "other");
    let dir = sb.home.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&other, dir.join("linked")).unwrap();
    let ended = index_within(&sb, &[&dir], None);
    assert_eq!(ended.report["files"], 0, "{}", ended.report);
    let ended = index_within(&sb, &["-L".as_ref(), dir.as_os_str()], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(
        (&ended.report["files"], &ended.report["added"]),
        (&1.into(), &2.into()),
        "{}",
        ended.report
    );
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        path.display()
    );
}

#[test]
fn a_fifo_in_a_directory_is_skipped_with_its_reason_and_the_run_ends() {
    let sb = Sandbox::new();
    let dir = dir_with_listings(&sb, "d");
    // Opened, it blocked the run forever with the index locked.
    mkfifo(&dir.join("b.jsonl"));
    let ended = index_within(&sb, &[&dir], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["added"], 2, "{}", ended.report);
    assert_eq!(
        ended.skips(),
        [format!(
            "{}:1: not a regular file (a FIFO, socket or device); a walk reads only files, name it on its own to read it",
            dir.join("b.jsonl").display()
        )]
    );
}

#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    let sb = Sandbox::new();
    let fifo = sb.home.path().join("listings.jsonl");
    mkfifo(&fifo);
    let text = std::fs::read(sample("arxiv-listings-sample.jsonl")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        // Sniffing reads the head of the pipe: it must be kept, not lost to a reopen.
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let ended = index_within(&sb, &[&fifo], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["added"], 40, "{}", ended.report);
    // Joined last: had the run never opened the pipe, the writer would wait forever.
    writer.join().unwrap();
}

#[test]
fn a_symlink_loop_or_a_dangling_link_is_a_skip_and_the_rest_is_indexed() {
    let sb = Sandbox::new();
    let dir = dir_with_listings(&sb, "d");
    std::os::unix::fs::symlink("m.jsonl", dir.join("l.jsonl")).unwrap();
    std::os::unix::fs::symlink("l.jsonl", dir.join("m.jsonl")).unwrap();
    std::os::unix::fs::symlink("gone.jsonl", dir.join("z.jsonl")).unwrap();
    let ended = index_within(&sb, &[&dir], None);
    assert_eq!(ended.code, Some(0), "{}", ended.stderr);
    assert_eq!(ended.report["added"], 2, "{}", ended.report);
    let skips = ended.skips();
    assert_eq!(skips.len(), 3, "{skips:?}");
    for (skip, name) in skips.iter().zip(["l.jsonl", "m.jsonl"]) {
        let prefix = format!("{}:1: cannot read: ", dir.join(name).display());
        assert!(
            skip.starts_with(&prefix) && skip.contains("symbolic links"),
            "{skip}"
        );
    }
    assert_eq!(
        skips[2],
        format!(
            "{}:1: symbolic link to nothing (dangling)",
            dir.join("z.jsonl").display()
        )
    );
}

/// A first `index` that fails leaves the directory as it was: no empty index that `search`
/// would then open and find nothing in.
#[test]
fn a_failed_first_index_leaves_no_index_behind() {
    let sb = Sandbox::new();
    let fresh = sb.home.path().join("fresh");
    let bad = sb.home.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"title\": \"no id\"}\n").unwrap();
    for args in [
        vec![
            "--strict",
            "--format",
            "arxiv-listing",
            bad.to_str().unwrap(),
        ],
        vec!["/no/such/file.txt"],
    ] {
        sb.cmd()
            .args(["index", "--index", fresh.to_str().unwrap()])
            .args(&args)
            .assert()
            .code(2);
        assert!(!fresh.exists(), "{args:?} left {}", fresh.display());
    }
    // A directory that was there (empty, or with files of its own) keeps only what it had.
    std::fs::create_dir(&fresh).unwrap();
    std::fs::write(fresh.join("notes.txt"), "mine").unwrap();
    sb.cmd()
        .args(["index", "--index", fresh.to_str().unwrap(), "--strict"])
        .args(["--format", "arxiv-listing", bad.to_str().unwrap()])
        .assert()
        .code(2);
    let left: Vec<_> = std::fs::read_dir(&fresh)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("notes.txt")]);
}

/// `--map` naming keys no record has skipped every record and exited 0; it is a usage error.
#[test]
fn map_naming_no_key_of_the_records_exits_2() {
    let sb = Sandbox::new();
    let f = sb.home.path().join("mine.jsonl");
    std::fs::write(&f, "{\"name\": \"A title\", \"summary\": \"Words.\"}\n").unwrap();
    sb.sub("index")
        .args([
            "--format",
            "jsonl",
            "--map",
            "title=headline,abstract=summary",
        ])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--map title=headline,abstract=summary",
        ))
        .stderr(predicates::str::contains("no record was indexed"));
    assert!(
        std::fs::read_dir(sb.index_dir()).unwrap().next().is_none(),
        "an index was left behind"
    );
}

/// LaTeX superscripts keep their `^`: `$O(T^2)$` is shown and stored as `O(T^2)`, not the
/// `O(T2)` that read as a different thing, and is still found by `T2` (the tokenizer joins
/// `T^2` into `t2`) and `--plain T^2`.
#[test]
fn latex_superscripts_keep_their_meaning() {
    let sb = Sandbox::new();
    let line = common::listing(
        "2501.00011",
        "Linear attention beyond $O(T^2)$",
        "Softmax attention costs $O(T^2)$ time and $O(n^{1/2})$ memory per head.",
        "2025-01-03",
        "cs.LG",
    );
    let f = common::write_file(sb.home.path(), "sup.jsonl", line + "\n");
    sb.index_files(&[f]);
    let paper = sb.show_json("2501.00011");
    assert_eq!(paper["title"], "Linear attention beyond O(T^2)");
    assert_eq!(
        paper["abstract"],
        "Softmax attention costs O(T^2) time and O(n^(1/2)) memory per head."
    );
    for q in [&["T2"][..], &["--plain", "T^2"], &["softmax"]] {
        let r = sb.search_json(q);
        assert_eq!(r["hits"][0]["id"], "2501.00011", "{q:?}: {r}");
    }
}

/// The progress bar on a terminal (a pty from util-linux `script`, 60 columns): every frame
/// fits the width, and position and total count the same bytes, the `.gz` file's own, so the
/// bar ends at its size on disk, never at the decompressed size past it.
#[test]
fn the_progress_bar_fits_the_terminal_and_ends_at_the_file_size() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let sb = Sandbox::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..400 {
        let line = common::listing(
            &format!("2501.{i:05}"),
            &format!("Paper number {i} on sparse attention"),
            &"Long abstract about attention and retrieval, said again. ".repeat(20),
            "2025-01-03",
            "cs.LG",
        );
        writeln!(gz, "{line}").unwrap();
    }
    let bytes = gz.finish().unwrap();
    let file = common::write_file(sb.home.path(), "listings.jsonl.gz", &bytes);
    let bin = assert_cmd::cargo::cargo_bin("paperdex");
    let inner = format!(
        "stty rows 24 cols 60; '{}' index --index '{}' '{}'",
        bin.display(),
        sb.index_dir().display(),
        file.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env("HOME", sb.home.path())
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let raw = String::from_utf8_lossy(&out.stdout);
    // Frames are redrawn in place: split at carriage returns, drop escape sequences.
    let csi = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
    let text = csi.replace_all(&raw, "");
    let frames: Vec<&str> = text
        .split(['\r', '\n'])
        .filter(|l| l.contains(" records ("))
        .collect();
    assert!(!frames.is_empty(), "no progress bar drawn:\n{text}");
    for frame in &frames {
        assert!(
            frame.chars().count() <= 60,
            "frame over 60 columns: `{frame}`"
        );
    }
    let size = format!("{:.2} KiB", bytes.len() as f64 / 1024.0);
    let last = frames.last().unwrap();
    assert!(
        last.contains(&format!("{size}/{size}")),
        "last frame `{last}` does not end at the file's {size}"
    );
}
