//! Ingest through the binary: interruption by SIGKILL, a second writer, stdin and gzip,
//! generic JSON with --map, delete, and the arXiv snapshot's extra fields in `show`.

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
    let out = sb.json("delete", &[id.as_str(), "no-such-id"]);
    assert_eq!(
        (out["requested"].as_u64(), out["deleted"].as_u64()),
        (Some(2), Some(1))
    );
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
