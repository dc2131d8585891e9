//! Ranking properties on 1,950 real listings: the pruned BM25 × recency top-k equals the
//! brute-force ranking (every match scored, boosted and sorted).

mod common;

use std::path::Path;
use std::sync::OnceLock;

use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::{MatchMode, Recency, SearchRequest};
use paperdex::{Engine, IndexOptions};
use proptest::prelude::*;
use tantivy::collector::TopDocs;

/// Words from the fixture's titles, frequent and rare, for random queries.
const WORDS: &[&str] = &[
    "learning",
    "model",
    "models",
    "language",
    "attention",
    "graph",
    "neural",
    "quantum",
    "reasoning",
    "diffusion",
    "robust",
    "sparse",
    "transformer",
    "data",
    "optimization",
    "vision",
    "agents",
    "retrieval",
    "benchmark",
    "physics",
    "protein",
    "causal",
    "bayesian",
    "reinforcement",
    "adversarial",
    "federated",
    "segmentation",
    "kernel",
    "stochastic",
    "spectral",
    "galaxy",
    "topological",
    "entropy",
    "privacy",
    "llm",
    "efficient",
    "zero",
];

/// One index for every case: several segments (small commits) and a few deletions, so
/// pruning crosses segment boundaries and skips deleted documents.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let mut schema = SchemaConfig::builtin();
            schema.limits.max_limit = 10_000;
            let engine = Engine::open_or_create(dir.path(), schema).unwrap();
            let slice = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/listings-slice.jsonl.gz");
            let opts = IndexOptions {
                commit_every: 400,
                ..IndexOptions::default()
            };
            engine.index(&[Input::Path(slice)], &opts).unwrap();
            let some: Vec<String> = engine
                .search(&SearchRequest {
                    q: "learning".into(),
                    limit: Some(7),
                    ..SearchRequest::default()
                })
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            assert_eq!(engine.delete(&some).unwrap(), 7);
            assert!(engine.stats().unwrap().segments > 1);
            (dir, engine)
        })
        .1
}

/// (score, id) of every match, BM25 from tantivy directly, boosted by `recency`, best first.
fn brute_force(engine: &Engine, q: &str, recency: Recency) -> Vec<(f32, String)> {
    let idx = engine.raw();
    let searcher = idx.reader.searcher();
    let query = idx.parse_query(q).unwrap();
    let all = searcher
        .search(&query, &TopDocs::with_limit(100_000).order_by_score())
        .unwrap();
    let mut scored: Vec<(f32, String)> = all
        .into_iter()
        .map(|(bm25, addr)| {
            let seg = searcher.segment_reader(addr.segment_ord);
            let date = seg
                .fast_fields()
                .i64("date_days")
                .unwrap()
                .first(addr.doc_id);
            let paper = idx.paper_of(&searcher.doc(addr).unwrap()).unwrap();
            (bm25 * recency.boost(date), paper.id)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn pruned_recency_top_k_equals_brute_force(
        words in proptest::collection::vec(proptest::sample::select(WORDS), 1..4),
        required in any::<bool>(),
        every_word in any::<bool>(),
        k in 1usize..40,
        offset in 0usize..5,
        weight in prop_oneof![Just(0.0f32), 0.01f32..4.0],
        half_life in 1.0f32..2000.0,
        as_of in 20_000i64..20_600,
    ) {
        let engine = engine();
        // `match all` selects what `+w +w` selects, with the same scores.
        let q = if (required || every_word) && words.len() > 1 {
            words.iter().map(|w| format!("+{w}")).collect::<Vec<_>>().join(" ")
        } else {
            words.join(" ")
        };
        let recency = Recency { weight, half_life_days: half_life, as_of_days: as_of };
        let as_of_date = paperdex::index::date_from_days(as_of).unwrap();
        let mode = if every_word { MatchMode::All } else { MatchMode::Any };
        // A space after the last word: a finished word, not one being typed (no completions).
        let text = if every_word { words.join(" ") + " " } else { q.clone() };
        let resp = engine.search(&SearchRequest {
            q: text.clone(),
            match_mode: Some(mode),
            limit: Some(k),
            offset,
            recency_weight: Some(weight),
            half_life: Some(half_life),
            as_of: Some(paperdex::search::format_date(as_of_date)),
            facets: Some(false),
            ..SearchRequest::default()
        }).unwrap();
        let expected = brute_force(engine, &q, recency);
        prop_assert_eq!(resp.total, expected.len(), "total of {}", q);
        let window: Vec<&(f32, String)> = expected.iter().skip(offset).take(k).collect();
        prop_assert_eq!(resp.hits.len(), window.len(), "{}", q);
        for (hit, (score, _)) in resp.hits.iter().zip(&window) {
            let got = hit.score.unwrap();
            prop_assert!(close(got, *score), "{}: got {} expected {}", q, got, score);
            // The hit's own brute-force score is the one reported (ties may swap ids).
            let own = expected.iter().find(|(_, id)| *id == hit.id).map(|(s, _)| *s);
            prop_assert!(own.is_some_and(|s| close(s, got)), "{}: {} scored {:?}", q, hit.id, own);
        }
    }
}

/// Query pieces for totals: bare words (some analyzing to several tokens, so a phrase),
/// operators, quotes, fields, prefixes, fuzziness, boosts and groups.
const PIECES: &[&str] = &[
    "learning",
    "graph",
    "model",
    "quantum",
    "sparse",
    "attention",
    "state-of-the-art",
    "large-scale",
    "zero-shot",
    "AND",
    "OR",
    "NOT",
    "+graph",
    "-model",
    "\"neural networks\"",
    "atten*",
    "quantm~1",
    "title:graph",
    "abstract:learning",
    "graph^2",
    "(sparse OR attention)",
    "(learning AND model)",
    "llm",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// Totals without facets take a fast path for unions of terms; with facets every match
    /// goes through tantivy's `Count` collector. Both give the same number for any query.
    #[test]
    fn totals_equal_the_collected_count(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 1..5),
        plain in any::<bool>(),
        topic in any::<bool>(),
    ) {
        let engine = engine();
        let q = pieces.join(" ");
        let req = |facets| SearchRequest {
            q: q.clone(),
            plain,
            topic: if topic { vec!["/arxiv/cs".into()] } else { Vec::new() },
            limit: Some(3),
            facets: Some(facets),
            snippets: Some(false),
            ..SearchRequest::default()
        };
        match (engine.search(&req(false)), engine.search(&req(true))) {
            (Ok(fast), Ok(collected)) => {
                prop_assert_eq!(fast.total, collected.total, "total of `{}` (plain {})", q, plain);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "`{}`: {:?} vs {:?}", q, a.map(|r| r.total), b.map(|r| r.total)),
        }
    }
}
