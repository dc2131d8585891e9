//! Indexing throughput: the tokenizer alone and end-to-end indexing of a fixed corpus.

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use paperdex::analysis::build_analyzer;
use paperdex::ingest::read::Input;
use paperdex::schema::{SchemaConfig, TokenizerConfig};
use paperdex::{Engine, IndexOptions};

fn corpus_text() -> String {
    std::fs::read_dir(common::samples_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "jsonl"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn tokenizer(c: &mut Criterion) {
    let text = corpus_text();
    let mut analyzer = build_analyzer(&TokenizerConfig::default());
    let mut group = c.benchmark_group("tokenizer");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("paper_analyzer/corpus-samples", |b| {
        b.iter(|| {
            let mut n = 0usize;
            analyzer.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.finish();
}

fn indexing(c: &mut Criterion) {
    let bytes: u64 = std::fs::read_dir(common::samples_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut group = c.benchmark_group("indexing");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("corpus-samples", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
                engine
                    .index(
                        &[Input::Path(common::samples_dir())],
                        &IndexOptions::default(),
                    )
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, tokenizer, indexing);
criterion_main!(benches);
