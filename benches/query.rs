//! Query latency over the bundled samples (and the real listings when ../shared is present):
//! one term, two terms, phrase, filtered with facets, with recency on and off.

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
    let mut corpora = vec![("samples", vec![Input::Path(common::samples_dir())])];
    if let Some(listings) = common::listings() {
        corpora.push(("listings-115k", vec![Input::Path(listings)]));
    }
    for (name, inputs) in corpora {
        let (_dir, engine) = build(inputs);
        let mut group = c.benchmark_group(format!("query/{name}"));
        let cases: [(&str, SearchRequest); 5] = [
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
