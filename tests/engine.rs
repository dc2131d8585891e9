//! Properties of the library API (`Engine`) over the bundled samples and small synthetic
//! corpora: counts and dedup, upsert, ranking, filters vs facets, schema and lock errors.

mod common;

use std::path::{Path, PathBuf};

use common::{listing, sample, samples_dir, write_file as write};

use paperdex::engine::FacetsRequest;
use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::{SearchRequest, SortOrder};
use paperdex::{Engine, Error, IndexOptions};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;

const SEEDS: [&str; 5] = [
    "000_49c743b0cf8a9bc6.txt",
    "001_2e2c283b0582c765.txt",
    "002_d39b0cd639caf1e2.txt",
    "003_840db0f15c327b34.txt",
    "004_d8329b276105c370.txt",
];

fn index_paths(dir: &Path, paths: &[PathBuf]) -> (Engine, paperdex::IndexReport) {
    let engine = Engine::open_or_create(dir, SchemaConfig::builtin()).unwrap();
    let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
    let report = engine.index(&inputs, &IndexOptions::default()).unwrap();
    (engine, report)
}

fn seeds_engine(dir: &Path) -> Engine {
    let paths: Vec<PathBuf> = SEEDS.iter().map(|s| sample(s)).collect();
    index_paths(dir, &paths).0
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        ..SearchRequest::default()
    }
}

#[test]
fn each_seed_yields_its_papers_and_all_five_give_142_distinct() {
    let expected = [17, 17, 23, 11, 76];
    for (seed, want) in SEEDS.iter().zip(expected) {
        let tmp = tempfile::tempdir().unwrap();
        let (engine, report) = index_paths(tmp.path(), &[sample(seed)]);
        assert_eq!(report.added, want, "{seed}");
        assert!(report.skipped.is_empty(), "{seed}: {:?}", report.skipped);
        assert_eq!(engine.stats().unwrap().papers, want as u64, "{seed}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    assert_eq!(engine.stats().unwrap().papers, 142);
}

#[test]
fn a_paper_in_several_seeds_is_one_document_listing_every_source() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    for title in ["Make LoRA Great Again", "SpargeAttn"] {
        let r = engine.search(&req(&format!("title:\"{title}\""))).unwrap();
        assert_eq!(r.total, 1, "{title}: one document, got {:?}", r.hits);
        let paper = engine.get(&r.hits[0].id).unwrap();
        let files: Vec<&str> = paper.sources.iter().map(|s| s.file.as_str()).collect();
        assert!(
            files.contains(&SEEDS[0]) && files.contains(&SEEDS[3]),
            "{title}: {files:?}"
        );
        // The newsletter says 2025-02-24, the digest 2025-02-16: the earliest wins.
        assert_eq!(
            paper.date.map(paperdex::search::format_date).as_deref(),
            Some("2025-02-16")
        );
    }
}

#[test]
fn indexing_the_same_files_twice_changes_no_count() {
    let tmp = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = SEEDS.iter().map(|s| sample(s)).collect();
    let (engine, first) = index_paths(tmp.path(), &paths);
    let facets_before = engine.facets(&FacetsRequest::default()).unwrap();
    let second = engine
        .index(
            &paths.iter().cloned().map(Input::Path).collect::<Vec<_>>(),
            &IndexOptions::default(),
        )
        .unwrap();
    assert_eq!((first.added, first.duplicates_merged), (142, 2));
    assert_eq!(
        (second.added, second.updated, second.unchanged),
        (0, 0, 142)
    );
    assert_eq!(engine.stats().unwrap().papers, 142);
    assert_eq!(
        engine.facets(&FacetsRequest::default()).unwrap(),
        facets_before
    );
}

#[test]
fn an_updated_record_replaces_the_stored_paper() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.jsonl",
        listing(
            "2501.00001v1",
            "Sparse Routing",
            "Short.",
            "2025-01-02",
            "cs.LG",
        ),
    );
    let (engine, _) = index_paths(&tmp.path().join("idx"), &[a]);
    let b = write(
        tmp.path(),
        "b.jsonl",
        listing(
            "2501.00001v2",
            "Sparse Routing",
            "A much longer abstract about sparse routing.",
            "2025-01-05",
            "cs.CL",
        ),
    );
    let report = engine
        .index(&[Input::Path(b)], &IndexOptions::default())
        .unwrap();
    assert_eq!((report.added, report.updated), (0, 1));
    let paper = engine.get("2501.00001").unwrap();
    assert_eq!(
        paper.abstract_text,
        "A much longer abstract about sparse routing."
    );
    assert_eq!(paper.sources.len(), 2);
    assert!(
        paper.topics.contains(&"/arxiv/cs/LG".to_string())
            && paper.topics.contains(&"/arxiv/cs/CL".to_string())
    );
    assert_eq!(engine.stats().unwrap().papers, 1);
}

#[test]
fn the_newest_date_follows_each_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.jsonl",
        listing(
            "2501.00001",
            "Sparse Routing",
            "Old.",
            "2025-01-02",
            "cs.LG",
        ),
    );
    let (engine, _) = index_paths(&tmp.path().join("idx"), &[a]);
    // A ranked search reads the newest date (recency `as_of = newest`) and caches it.
    assert_eq!(engine.search(&req("sparse")).unwrap().total, 1);
    assert_eq!(
        engine.stats().unwrap().last_date.as_deref(),
        Some("2025-01-02")
    );
    let b = write(
        tmp.path(),
        "b.jsonl",
        listing(
            "2603.00002",
            "Sparse Experts",
            "New.",
            "2026-03-04",
            "cs.LG",
        ),
    );
    engine
        .index(&[Input::Path(b)], &IndexOptions::default())
        .unwrap();
    assert_eq!(
        engine.stats().unwrap().last_date.as_deref(),
        Some("2026-03-04")
    );
    // The newer paper gets the full boost now: it ranks first on an equal match.
    let hits = engine.search(&req("sparse")).unwrap().hits;
    assert_eq!(hits[0].id, "2603.00002");
}

#[test]
fn different_arxiv_ids_are_never_merged_even_with_equal_titles() {
    let tmp = tempfile::tempdir().unwrap();
    let text = [
        listing(
            "2501.00001",
            "Same Title",
            "First abstract.",
            "2025-01-02",
            "cs.LG",
        ),
        listing(
            "2501.00002",
            "Same Title",
            "Second abstract.",
            "2025-01-03",
            "cs.LG",
        ),
    ]
    .join("\n");
    let f = write(tmp.path(), "same.jsonl", &text);
    let (engine, report) = index_paths(&tmp.path().join("idx"), &[f]);
    assert_eq!((report.added, report.duplicates_merged), (2, 0));
    assert_eq!(engine.stats().unwrap().papers, 2);
}

#[test]
fn recency_weight_zero_equals_plain_tantivy_bm25() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let raw = engine.raw();
    let searcher = raw.reader.searcher();
    let defaults = engine.schema().default_fields(&raw.fields);
    let mut parser = QueryParser::for_index(&raw.index, defaults.iter().map(|(f, _)| *f).collect());
    for (f, boost) in &defaults {
        parser.set_field_boost(*f, *boost);
    }
    for q in [
        "sparse attention",
        "reasoning",
        "\"long context\"",
        "LoRA mixture experts",
        "title:benchmark AND code",
    ] {
        let ours = engine
            .search(&SearchRequest {
                recency_weight: Some(0.0),
                limit: Some(20),
                ..req(q)
            })
            .unwrap();
        let plain = searcher
            .search(
                &parser.parse_query(q).unwrap(),
                &TopDocs::with_limit(20).order_by_score(),
            )
            .unwrap();
        assert_eq!(ours.hits.len(), plain.len(), "{q}");
        for (hit, (score, addr)) in ours.hits.iter().zip(&plain) {
            let paper = raw.paper_of(&searcher.doc(*addr).unwrap()).unwrap();
            // tantivy sums term scores in a different order with and without Block-WAND, so
            // equal means equal up to f32 rounding.
            let ours = hit.score.unwrap();
            assert!(
                (ours - score).abs() <= 1e-5 * score.abs().max(1.0),
                "{q}: {} {ours} vs {score}",
                hit.title
            );
            assert_eq!(hit.id, paper.id, "{q}");
        }
    }
}

#[test]
fn recency_reorders_equally_relevant_papers_and_leaves_undated_ones_unboosted() {
    let tmp = tempfile::tempdir().unwrap();
    let abstract_text = "We study quantized retrieval with graphs for long documents.";
    let lines = [
        // Slightly more relevant (the query term twice) but a year older.
        listing(
            "2301.00001",
            "Quantized retrieval",
            &format!("{abstract_text} Quantized."),
            "2023-01-01",
            "cs.IR",
        ),
        listing(
            "2501.00001",
            "Quantized retrieval",
            abstract_text,
            "2025-01-01",
            "cs.IR",
        ),
        listing(
            "2412.00002",
            "Quantized retrieval",
            abstract_text,
            "2024-12-01",
            "cs.IR",
        ),
    ];
    let f = write(tmp.path(), "r.jsonl", lines.join("\n"));
    let (engine, _) = index_paths(&tmp.path().join("idx"), &[f]);
    let search = |w: f32| {
        engine
            .search(&SearchRequest {
                recency_weight: Some(w),
                half_life: Some(365.0),
                explain: true,
                ..req("quantized")
            })
            .unwrap()
    };
    let plain: Vec<String> = search(0.0).hits.into_iter().map(|h| h.id).collect();
    assert_eq!(
        plain[0], "2301.00001",
        "without recency the more relevant paper wins"
    );
    let boosted = search(1.0);
    let ids: Vec<&str> = boosted.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        ["2501.00001", "2412.00002", "2301.00001"],
        "with recency newest first"
    );
    for h in &boosted.hits {
        let e = h.explain.as_ref().unwrap();
        assert!((e.bm25 * e.recency_boost - h.score.unwrap()).abs() < 1e-4);
    }
    // An undated paper (BEIR has no dates) gets exactly its BM25 score.
    let beir = write(
        tmp.path(),
        "c.jsonl",
        r#"{"_id": "u1", "title": "Quantized retrieval", "text": "We study quantized retrieval with graphs for long documents."}"#,
    );
    engine
        .index(&[Input::Path(beir)], &IndexOptions::default())
        .unwrap();
    let boosted = search(1.0);
    let undated = boosted.hits.iter().find(|h| h.id == "u1").unwrap();
    let e = undated.explain.as_ref().unwrap();
    assert_eq!((e.recency_boost, e.age_days), (1.0, None));
    let same_bm25 = search(0.0).hits.into_iter().find(|h| h.id == "u1").unwrap();
    assert_eq!(undated.score, same_bm25.score);
}

#[test]
fn topic_filters_agree_with_topic_facet_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (engine, _) = index_paths(tmp.path(), &[samples_dir()]);
    let facets = engine.facets(&FacetsRequest::default()).unwrap();
    assert!(
        facets.topic.contains_key("/newsletter") && facets.topic.contains_key("/arxiv/cs/CL"),
        "{:?}",
        facets.topic
    );
    for (path, count) in &facets.topic {
        let r = engine
            .search(&SearchRequest {
                topic: vec![path.clone()],
                limit: Some(0),
                ..req("")
            })
            .unwrap();
        assert_eq!(r.total as u64, *count, "{path}");
    }
}

#[test]
fn date_filters_agree_with_date_facet_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let (engine, _) = index_paths(tmp.path(), &[samples_dir()]);
    let facets = engine.facets(&FacetsRequest::default()).unwrap();
    let months: Vec<_> = facets.date.iter().filter(|(k, _)| k.len() == 8).collect();
    assert!(months.len() >= 3, "{months:?}");
    for (month, count) in months {
        let (y, m) = (&month[1..5], &month[6..8]);
        let last_day = time::util::days_in_month(
            m.parse::<u8>().unwrap().try_into().unwrap(),
            y.parse().unwrap(),
        );
        let r = engine
            .search(&SearchRequest {
                since: Some(format!("{y}-{m}-01")),
                until: Some(format!("{y}-{m}-{last_day:02}")),
                limit: Some(1000),
                ..req("")
            })
            .unwrap();
        assert_eq!(r.total as u64, *count, "{month}");
        assert!(r.hits.iter().all(|h| h
            .date
            .as_deref()
            .is_some_and(|d| d.starts_with(&format!("{y}-{m}")))));
    }
}

#[test]
fn search_response_facets_count_only_matching_papers() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let r = engine
        .search(&SearchRequest {
            topic: vec!["/newsletter".into()],
            ..req("reasoning")
        })
        .unwrap();
    assert_eq!(
        r.facets.topic.get("/newsletter").copied(),
        Some(r.total as u64)
    );
    assert!(
        !r.facets.topic.contains_key("/arxcompass"),
        "{:?}",
        r.facets.topic
    );
}

#[test]
fn sort_by_date_is_newest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (engine, _) = index_paths(tmp.path(), &[samples_dir()]);
    let r = engine
        .search(&SearchRequest {
            sort: SortOrder::Date,
            limit: Some(50),
            ..req("model")
        })
        .unwrap();
    let dates: Vec<&str> = r.hits.iter().filter_map(|h| h.date.as_deref()).collect();
    assert!(dates.len() > 10);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

#[test]
fn snippets_highlight_the_query_terms() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let r = engine.search(&req("sparse attention")).unwrap();
    let hit = &r.hits[0];
    assert!(!hit.highlights.is_empty());
    for [s, e] in &hit.highlights {
        let word = hit.snippet[*s..*e].to_lowercase();
        assert!(
            word.starts_with("spars") || word.starts_with("attent"),
            "{word}"
        );
    }
}

#[test]
fn without_snippets_the_hits_and_scores_are_the_same_and_snippets_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let with = engine.search(&req("sparse attention")).unwrap();
    let without = engine
        .search(&SearchRequest {
            snippets: Some(false),
            ..req("sparse attention")
        })
        .unwrap();
    assert!(!with.hits.is_empty());
    assert_eq!(with.total, without.total);
    for (a, b) in with.hits.iter().zip(&without.hits) {
        assert_eq!((&a.id, a.score), (&b.id, b.score));
        assert!(!a.snippet.is_empty());
        assert!(b.snippet.is_empty() && b.highlights.is_empty());
    }
}

#[test]
fn bad_requests_are_user_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let strict = |q: &str| SearchRequest {
        syntax: paperdex::search::SyntaxMode::Strict,
        ..req(q)
    };
    let cases = [
        strict("title:(unbalanced"),
        strict("-only -excluded"),
        SearchRequest {
            since: Some("2025-13-01".into()),
            ..req("x")
        },
        SearchRequest {
            since: Some("2025-03-01".into()),
            until: Some("2025-01-01".into()),
            ..req("x")
        },
        SearchRequest {
            limit: Some(1_000_000),
            ..req("x")
        },
        SearchRequest {
            recency_weight: Some(-1.0),
            ..req("x")
        },
        SearchRequest {
            as_of: Some("yesterday-ish".into()),
            ..req("x")
        },
    ];
    for case in cases {
        let err = engine.search(&case).unwrap_err();
        assert!(err.is_user_error(), "{case:?} -> {err}");
        assert!(
            matches!(err, Error::QuerySyntax { .. } | Error::InvalidRequest(_)),
            "{err}"
        );
    }
}

#[test]
fn an_index_built_with_another_schema_asks_for_a_reindex() {
    let tmp = tempfile::tempdir().unwrap();
    seeds_engine(tmp.path());
    let mut other = SchemaConfig::builtin();
    other.tokenizers.get_mut("paper").unwrap().stemmer = None;
    let err = Engine::open(tmp.path(), other).err().expect("must refuse");
    assert!(matches!(err, Error::SchemaMismatch { .. }));
    assert!(err.to_string().contains("re-index"), "{err}");
    let mut bumped = SchemaConfig::builtin();
    bumped.version += 1;
    assert!(matches!(
        Engine::open(tmp.path(), bumped),
        Err(Error::SchemaMismatch { .. })
    ));
    // Ranking settings do not touch the tokens: the index opens.
    let mut ranking = SchemaConfig::builtin();
    ranking.ranking.recency_weight = 2.0;
    assert!(Engine::open(tmp.path(), ranking).is_ok());
}

#[test]
fn a_second_writer_gets_a_clear_locked_error() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    let _held = engine.raw().writer(32 << 20).unwrap();
    let other = Engine::open(tmp.path(), SchemaConfig::builtin()).unwrap();
    let err = other
        .index(&[Input::Path(sample(SEEDS[0]))], &IndexOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    assert!(err.to_string().contains("locked by another process"));
}

#[test]
fn strict_mode_fails_on_a_bad_record_and_keeps_the_committed_papers() {
    let tmp = tempfile::tempdir().unwrap();
    let good = write(
        tmp.path(),
        "good.jsonl",
        listing(
            "2501.00001",
            "Good",
            "Fine abstract.",
            "2025-01-02",
            "cs.LG",
        ),
    );
    let (engine, _) = index_paths(&tmp.path().join("idx"), &[good]);
    let bad = write(
        tmp.path(),
        "bad.jsonl",
        format!(
            "{}\n{{not json\n",
            listing("2501.00002", "Other", "Another.", "2025-01-03", "cs.LG")
        ),
    );
    let lenient = IndexOptions::default();
    let strict = IndexOptions {
        strict: true,
        ..IndexOptions::default()
    };
    let err = engine
        .index(&[Input::Path(bad.clone())], &strict)
        .unwrap_err();
    assert!(err.to_string().contains("bad.jsonl:2:"), "{err}");
    assert_eq!(
        engine.stats().unwrap().papers,
        1,
        "nothing from the failed run, nothing lost"
    );
    let report = engine.index(&[Input::Path(bad)], &lenient).unwrap();
    assert_eq!((report.added, report.skipped.len()), (1, 1));
    assert_eq!(report.skipped[0].line, 2);
}

#[test]
fn created_and_reopened_indexes_compress_the_doc_store_on_the_indexing_threads() {
    let inline = |e: &Engine| !e.raw().index.settings().docstore_compress_dedicated_thread;
    let tmp = tempfile::tempdir().unwrap();
    let engine = seeds_engine(tmp.path());
    assert!(inline(&engine));
    let stored = engine.get("2502.00511").ok().map(|p| p.title);
    assert!(stored.is_some());
    drop(engine);
    let engine = Engine::open(tmp.path(), SchemaConfig::builtin()).unwrap();
    assert!(inline(&engine));
    assert_eq!(engine.get("2502.00511").ok().map(|p| p.title), stored);
}

#[test]
fn a_paper_updated_under_its_id_is_still_found_by_its_stored_title() {
    let tmp = tempfile::tempdir().unwrap();
    let first = listing(
        "2501.00001v1",
        "Sparse Routing",
        "Short.",
        "2025-01-02",
        "cs.LG",
    );
    let (engine, _) = index_paths(
        &tmp.path().join("idx"),
        &[write(tmp.path(), "a.jsonl", first)],
    );
    // The same id under another title: merged into the stored paper, whose title stays.
    let renamed = listing(
        "2501.00001v2",
        "Sparse Routing for Mixtures",
        "A longer abstract.",
        "2025-01-05",
        "cs.LG",
    );
    let b = write(tmp.path(), "b.jsonl", renamed);
    let report = engine
        .index(&[Input::Path(b)], &IndexOptions::default())
        .unwrap();
    assert_eq!((report.added, report.updated), (0, 1));
    assert_eq!(engine.get("2501.00001").unwrap().title, "Sparse Routing");
    // A record with no id and the stored title must find it under that title's key.
    let untitled_id = r#"{"title": "Sparse routing", "abstract": "From a newsletter."}"#;
    let c = write(tmp.path(), "c.jsonl", untitled_id);
    let report = engine
        .index(&[Input::Path(c)], &IndexOptions::default())
        .unwrap();
    assert_eq!((report.added, report.updated), (0, 1), "{report:?}");
    assert_eq!(engine.stats().unwrap().papers, 1);
}
