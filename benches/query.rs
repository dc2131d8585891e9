//! Query latency, in process, through `Engine::search` (top 10 with snippets and stored
//! papers): one term, two terms OR and AND, phrase, topic filter with facet counts, date
//! range, each with recency on and off. Indexes: the bundled samples; 10k and 100k real
//! listings when ../shared is present; and any JSON-lines corpus named by
//! $PAPERDEX_BENCH_CORPUS (e.g. 1M papers from `paperdex gen-corpus`, outside CI).

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::SearchRequest;
use paperdex::{Engine, IndexOptions};

fn build(inputs: Vec<Input>) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
    engine.index(&inputs, &IndexOptions::default()).unwrap();
    (dir, engine)
}

fn queries(c: &mut Criterion) {
    let mut corpora = vec![(
        "samples".to_string(),
        vec![Input::Path(common::samples_dir())],
    )];
    for n in [10_000, 100_000] {
        if let Some(slice) = common::listings_slice(n) {
            corpora.push((format!("listings-{}k", n / 1000), vec![Input::Path(slice)]));
        }
    }
    if let Some(path) = std::env::var_os("PAPERDEX_BENCH_CORPUS") {
        let path = std::path::PathBuf::from(path);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        corpora.push((name, vec![Input::Path(path)]));
    }
    for (name, inputs) in corpora {
        let (_dir, engine) = build(inputs);
        let mut group = c.benchmark_group(format!("query/{name}"));
        let cases: [(&str, SearchRequest); 7] = [
            (
                "one-term",
                SearchRequest {
                    q: "attention".into(),
                    ..Default::default()
                },
            ),
            (
                "two-term-or",
                SearchRequest {
                    q: "sparse attention".into(),
                    ..Default::default()
                },
            ),
            (
                // The ranking alone: ids, titles and stored papers, no snippet analysis.
                "two-term-or-no-snippets",
                SearchRequest {
                    q: "sparse attention".into(),
                    snippets: Some(false),
                    ..Default::default()
                },
            ),
            (
                "two-term-and",
                SearchRequest {
                    q: "+sparse +attention".into(),
                    ..Default::default()
                },
            ),
            (
                "phrase",
                SearchRequest {
                    q: "\"language models\"".into(),
                    ..Default::default()
                },
            ),
            (
                "filtered-faceted",
                SearchRequest {
                    q: "reasoning".into(),
                    topic: vec!["/arxiv/cs".into()],
                    since: Some("2025-01-01".into()),
                    ..Default::default()
                },
            ),
            (
                "date-range",
                SearchRequest {
                    q: "neural network".into(),
                    since: Some("2025-03-01".into()),
                    until: Some("2025-06-30".into()),
                    ..Default::default()
                },
            ),
        ];
        for (label, req) in cases {
            for (recency, weight) in [("recency-on", None), ("recency-off", Some(0.0))] {
                let req = SearchRequest {
                    recency_weight: weight,
                    facets: Some(label == "filtered-faceted"),
                    ..req.clone()
                };
                group.bench_function(format!("{label}/{recency}"), |b| {
                    b.iter(|| engine.search(&req).unwrap().total)
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, queries);
criterion_main!(benches);
