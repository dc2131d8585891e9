//! Real corpora through the library: the listings slice (counts, repeated titles, month
//! facets counted straight from the file), bad input of every kind, strict mode, batching.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use paperdex::engine::FacetsRequest;
use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::SearchRequest;
use paperdex::{Engine, IndexOptions};

use common::{listing, write_file as write};

fn slice() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/listings-slice.jsonl.gz")
}

fn slice_records() -> Vec<serde_json::Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(slice()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn engine(dir: &Path) -> Engine {
    Engine::open_or_create(dir, SchemaConfig::builtin()).unwrap()
}

/// An index of the whole listings slice, with default options.
fn slice_engine(dir: &Path) -> Engine {
    let engine = engine(dir);
    engine
        .index(&[Input::Path(slice())], &IndexOptions::default())
        .unwrap();
    engine
}

#[test]
fn the_listings_slice_keeps_every_record_including_repeated_titles_under_distinct_ids() {
    let records = slice_records();
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine(tmp.path());
    // Small batches so the run spans many commits.
    let opts = IndexOptions {
        commit_every: 300,
        ..IndexOptions::default()
    };
    let report = engine.index(&[Input::Path(slice())], &opts).unwrap();
    assert_eq!(report.records, records.len());
    assert_eq!(report.added, records.len(), "{report}");
    assert!(
        report.skipped.is_empty(),
        "{:?}",
        &report.skipped[..report.skipped.len().min(5)]
    );
    assert_eq!(engine.stats().unwrap().papers, records.len() as u64);
    let mut by_title: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &records {
        by_title
            .entry(r["title"].as_str().unwrap().trim().to_lowercase())
            .or_default()
            .push(r["id"].as_str().unwrap().into());
    }
    let repeated: Vec<_> = by_title.values().filter(|ids| ids.len() > 1).collect();
    assert_eq!(repeated.len(), 11);
    for ids in repeated {
        for id in ids {
            assert_eq!(&engine.get(id).unwrap().id, id);
        }
    }
    // Again: nothing changes.
    let again = engine.index(&[Input::Path(slice())], &opts).unwrap();
    assert_eq!(
        (again.added, again.updated, again.unchanged),
        (0, 0, records.len())
    );
}

#[test]
fn month_facets_match_a_count_made_directly_from_the_file() {
    let records = slice_records();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        let date = r["first_listed"].as_str().unwrap();
        *expected
            .entry(format!("/{}/{}", &date[..4], &date[5..7]))
            .or_default() += 1;
    }
    let tmp = tempfile::tempdir().unwrap();
    let engine = slice_engine(tmp.path());
    let facets = engine.facets(&FacetsRequest::default()).unwrap();
    let months: BTreeMap<String, u64> = facets
        .date
        .into_iter()
        .filter(|(k, _)| k.len() == 8)
        .collect();
    assert_eq!(months, expected);
    assert!(
        expected.len() >= 15,
        "the slice spans the whole listings period"
    );
}

#[test]
fn null_categories_and_class_codes_give_no_bogus_topics() {
    let records = slice_records();
    let tmp = tempfile::tempdir().unwrap();
    let engine = slice_engine(tmp.path());
    let facets = engine.facets(&FacetsRequest::default()).unwrap();
    for path in facets.topic.keys() {
        assert!(path.starts_with("/arxiv"), "{path}");
        let code = path.trim_start_matches("/arxiv/").replacen('/', ".", 1);
        assert!(
            path == "/arxiv"
                || paperdex::ingest::taxonomy::is_category(&code)
                || !path[7..].contains('/'),
            "{path} is not an arXiv category"
        );
        assert!(
            !path.contains(' ') && !path.contains(';') && !path.contains(','),
            "{path}"
        );
    }
    let null = records
        .iter()
        .find(|r| r["categories"].is_null())
        .expect("slice has a null-category record");
    assert!(engine
        .get(null["id"].as_str().unwrap())
        .unwrap()
        .topics
        .is_empty());
}

#[test]
fn recency_and_date_ranges_work_on_arxiv_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = slice_engine(tmp.path());
    let r = engine
        .search(&SearchRequest {
            q: "language".into(),
            since: Some("2026-01-01".into()),
            until: Some("2026-03-31".into()),
            limit: Some(200),
            ..SearchRequest::default()
        })
        .unwrap();
    assert!(r.total > 10);
    assert!(r.hits.iter().all(|h| h
        .date
        .as_deref()
        .is_some_and(|d| ("2026-01-01".."2026-04-01").contains(&d))));
    let stats = engine.stats().unwrap();
    assert_eq!(stats.last_date.as_deref(), Some("2026-07-01"));
}

#[test]
fn every_kind_of_bad_record_is_reported_by_file_and_line_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    let mut push = |line: &[u8]| {
        data.extend_from_slice(line);
        data.push(b'\n');
    };
    push(
        listing(
            "2501.00001",
            "Good one",
            "A fine abstract.",
            "2025-01-02",
            "cs.CL",
        )
        .as_bytes(),
    ); // 1
    push(b"{\"id\": \"2501.00002\", \"title\": "); // 2 malformed JSON
    push(
        listing(
            "2501.00003",
            "",
            "Abstract without title.",
            "2025-01-02",
            "cs.CL",
        )
        .as_bytes(),
    ); // 3
    push(listing("2501.00004", "No abstract", "", "2025-01-02", "cs.CL").as_bytes()); // 4
    push(listing("2501.00005", "Bad date", "Abstract.", "2025-02-30", "cs.CL").as_bytes()); // 5
    push(b"{\"id\": \"2501.00006\", \"title\": \"Bad \xff\xfe bytes\"}"); // 6 invalid UTF-8
    let huge = listing(
        "2501.00007",
        "Huge",
        &"x".repeat(10 << 20),
        "2025-01-02",
        "cs.CL",
    ); // 7: 10 MB line
    push(huge.as_bytes());
    push(
        listing(
            "2501.00008",
            "Good two",
            "Another fine abstract.",
            "2025-01-03",
            "cs.CL",
        )
        .as_bytes(),
    ); // 8
    let bad = write(tmp.path(), "bad.jsonl", &data);
    let empty = write(tmp.path(), "empty.jsonl", b"");
    let engine = engine(&tmp.path().join("idx"));
    let report = engine
        .index(
            &[Input::Path(bad), Input::Path(empty)],
            &IndexOptions::default(),
        )
        .unwrap();
    assert_eq!(report.added, 2);
    let got: Vec<String> = report.skipped.iter().map(|s| s.to_string()).collect();
    let expect = [
        ("bad.jsonl:2:", "malformed JSON"),
        ("bad.jsonl:3:", "missing title"),
        ("bad.jsonl:4:", "missing abstract"),
        ("bad.jsonl:5:", "impossible date"),
        ("bad.jsonl:6:", "invalid UTF-8"),
        ("bad.jsonl:7:", "over the 1048576-byte limit"),
        ("empty.jsonl:1:", "empty file"),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for (line, (prefix, reason)) in got.iter().zip(expect) {
        assert!(
            line.starts_with(prefix) && line.contains(reason),
            "{line} should be {prefix} {reason}"
        );
    }
    assert_eq!(engine.stats().unwrap().papers, 2);
}

#[test]
fn strict_stops_at_the_first_bad_record_and_loses_nothing_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine(&tmp.path().join("idx"));
    let good = write(
        tmp.path(),
        "good.jsonl",
        listing("2501.00001", "Good", "Fine.", "2025-01-02", "cs.CL").as_bytes(),
    );
    engine
        .index(&[Input::Path(good)], &IndexOptions::default())
        .unwrap();
    let lines = [
        listing(
            "2501.00002",
            "Also good",
            "Fine too.",
            "2025-01-02",
            "cs.CL",
        ),
        listing("2501.00003", "Bad date", "Abstract.", "2025-13-01", "cs.CL"),
    ];
    let bad = write(tmp.path(), "bad.jsonl", lines.join("\n").as_bytes());
    let strict = IndexOptions {
        strict: true,
        ..IndexOptions::default()
    };
    let err = engine.index(&[Input::Path(bad)], &strict).unwrap_err();
    assert!(err.to_string().contains("bad.jsonl:2:"), "{err}");
    assert!(err.is_user_error());
    assert_eq!(engine.stats().unwrap().papers, 1);
    assert!(engine.get("2501.00001").is_ok());
}

/// 50 papers, then paper 3 again with a longer text at line 51; `pad` bytes of filler per
/// abstract make the file span several read batches.
fn repeated_paper_file(dir: &Path, pad: usize) -> PathBuf {
    let filler = "x".repeat(pad);
    let mut lines: Vec<String> = (0..50)
        .map(|i| {
            listing(
                &format!("2501.{i:05}"),
                &format!("Paper {i}"),
                &format!("Text. {filler}"),
                "2025-01-02",
                "cs.CL",
            )
        })
        .collect();
    lines.push(listing(
        "2501.00003v2",
        "Paper 3",
        &format!("A longer second version of the text. {filler}"),
        "2025-01-09",
        "cs.CL",
    ));
    write(dir, "rep.jsonl", lines.join("\n").as_bytes())
}

fn assert_one_merged_document(engine: &Engine, report: &paperdex::IndexReport) {
    assert_eq!(
        (report.added, report.updated, report.duplicates_merged),
        (50, 0, 1),
        "{report}"
    );
    let p = engine.get("2501.00003").unwrap();
    assert!(p
        .abstract_text
        .starts_with("A longer second version of the text."));
    assert_eq!(
        p.sources.iter().map(|s| s.line).collect::<Vec<_>>(),
        [4, 51]
    );
    assert_eq!(engine.stats().unwrap().papers, 50);
}

#[test]
fn a_paper_repeated_across_committed_batches_is_one_document() {
    let tmp = tempfile::tempdir().unwrap();
    let f = repeated_paper_file(tmp.path(), 0);
    let engine = engine(&tmp.path().join("idx"));
    let opts = IndexOptions {
        commit_every: 10,
        ..IndexOptions::default()
    };
    let report = engine.index(&[Input::Path(f)], &opts).unwrap();
    assert_one_merged_document(&engine, &report);
}

#[test]
fn a_paper_repeated_in_a_batch_not_yet_committed_is_one_document() {
    let tmp = tempfile::tempdir().unwrap();
    // ~40 KB per line and 1 MiB read batches: the repeat arrives in a later batch while the
    // first copy is still uncommitted (one commit per 250,000 papers by default).
    let f = repeated_paper_file(tmp.path(), 40_000);
    let engine = engine(&tmp.path().join("idx"));
    let opts = IndexOptions {
        memory_budget: 8 << 20,
        ..IndexOptions::default()
    };
    assert!(opts.commit_every > 51);
    let report = engine.index(&[Input::Path(f)], &opts).unwrap();
    assert_one_merged_document(&engine, &report);
}

#[test]
fn a_title_only_record_merges_into_an_uncommitted_paper_with_that_title() {
    let tmp = tempfile::tempdir().unwrap();
    let listings = repeated_paper_file(tmp.path(), 40_000);
    // No id: matched by title, so it must see "Paper 49" although its batch is uncommitted.
    let extra = write(
        tmp.path(),
        "extra.jsonl",
        r#"{"title": "Paper 49", "abstract": "Seen in a newsletter."}"#,
    );
    let engine = engine(&tmp.path().join("idx"));
    let opts = IndexOptions {
        memory_budget: 8 << 20,
        ..IndexOptions::default()
    };
    let report = engine
        .index(&[Input::Path(listings), Input::Path(extra)], &opts)
        .unwrap();
    assert_eq!(
        (report.added, report.duplicates_merged),
        (50, 2),
        "{report}"
    );
    let p = engine.get("2501.00049").unwrap();
    let files: Vec<&str> = p.sources.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(files, ["rep.jsonl", "extra.jsonl"]);
    assert_eq!(engine.stats().unwrap().papers, 50);
}

#[test]
fn the_same_paper_from_three_formats_merges_into_one() {
    let tmp = tempfile::tempdir().unwrap();
    // 2502.00511 is an arxcompass card in seed 001; give it a listing and a snapshot record.
    let listing_line = listing("2502.00511v2", "Bridging Internal Probability and Self-Consistency for Effective and Efficient LLM Reasoning", "Listing abstract.", "2025-02-03", "cs.CL");
    let snapshot_line = serde_json::json!({
        "id": "2502.00511", "submitter": "X", "authors": "Zhi Zhou, Yu-Feng Li",
        "title": "Bridging Internal Probability and Self-Consistency for Effective and Efficient LLM Reasoning",
        "comments": null, "journal-ref": null, "doi": "10.0000/example", "report-no": null,
        "categories": "cs.LG cs.CL", "license": null, "abstract": "Snapshot abstract.",
        "versions": [{"version": "v1", "created": "Sat, 1 Feb 2025 10:00:00 GMT"}],
        "update_date": "2025-02-04", "authors_parsed": [["Zhou", "Zhi", ""], ["Li", "Yu-Feng", ""]]
    })
    .to_string();
    let l = write(tmp.path(), "l.jsonl", listing_line.as_bytes());
    let s = write(tmp.path(), "s.jsonl", snapshot_line.as_bytes());
    let cards =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples/001_2e2c283b0582c765.txt");
    let engine = engine(&tmp.path().join("idx"));
    engine
        .index(&[Input::Path(cards)], &IndexOptions::default())
        .unwrap();
    engine
        .index(&[Input::Path(l), Input::Path(s)], &IndexOptions::default())
        .unwrap();
    assert_eq!(engine.stats().unwrap().papers, 17);
    let p = engine.get("2502.00511").unwrap();
    let formats: Vec<&str> = p.sources.iter().map(|s| s.format.as_str()).collect();
    assert_eq!(formats, ["cards", "arxiv-listing", "arxiv-snapshot"]);
    assert_eq!(p.doi.as_deref(), Some("10.0000/example"));
    assert_eq!(p.authors.len(), 2);
    assert!(
        p.topics.contains(&"/arxcompass/llm".to_string())
            && p.topics.contains(&"/arxiv/cs/LG".to_string())
    );
}

/// An indexing run releases the mapped pages of the segments it reads (merges, dedup
/// lookups): releasing them without pause while the slice is indexed in small commits and
/// searched changes nothing the index holds or a search returns.
#[test]
fn releasing_mapped_pages_during_a_run_changes_no_result() {
    let opts = IndexOptions {
        commit_every: 150,
        ..IndexOptions::default()
    };
    let (plain_dir, released_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let plain = engine(plain_dir.path());
    plain.index(&[Input::Path(slice())], &opts).unwrap();
    let released = engine(released_dir.path());
    let done = std::sync::atomic::AtomicBool::new(false);
    let queries = [
        "learning",
        "graph neural networks",
        "\"language model\"",
        "quantum",
    ];
    let releases = std::thread::scope(|scope| {
        let releaser = scope.spawn(|| {
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                released.raw().directory.release_mapped_pages();
                for q in queries {
                    released
                        .search(&SearchRequest {
                            q: q.into(),
                            ..SearchRequest::default()
                        })
                        .unwrap();
                }
                n += 1;
            }
            n
        });
        released.index(&[Input::Path(slice())], &opts).unwrap();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        releaser.join().unwrap()
    });
    assert!(
        releases > 1,
        "the pages were released during the run ({releases} times)"
    );
    released.raw().directory.release_mapped_pages();
    let run = |engine: &Engine, q: &str| {
        let req = SearchRequest {
            q: q.into(),
            limit: Some(1000),
            ..SearchRequest::default()
        };
        let resp = engine.search(&req).unwrap();
        let hits: BTreeMap<String, (f32, String)> = resp
            .hits
            .into_iter()
            .map(|h| (h.id, (h.score.unwrap(), h.snippet)))
            .collect();
        (resp.total, hits, resp.facets)
    };
    for q in queries {
        let (total, hits, facets) = run(&plain, q);
        assert!(
            total > 0 && total <= 1000,
            "{q}: every match compared ({total})"
        );
        let (got_total, got_hits, got_facets) = run(&released, q);
        assert_eq!((got_total, &got_facets), (total, &facets), "{q}");
        assert_eq!(
            got_hits.keys().collect::<Vec<_>>(),
            hits.keys().collect::<Vec<_>>(),
            "{q}"
        );
        for (id, (score, snippet)) in &hits {
            let (got_score, got_snippet) = &got_hits[id];
            // Segment layouts differ (merges run in the background): sums may differ in
            // their last bits.
            assert!((got_score - score).abs() <= 1e-5 * score.abs(), "{q}: {id}");
            assert_eq!(got_snippet, snippet, "{q}: {id}");
        }
    }
    assert_eq!(
        released.stats().unwrap().papers,
        plain.stats().unwrap().papers
    );
}
