//! Indexing throughput: the tokenizer alone and end-to-end indexing of a fixed corpus.

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use paperdex::analysis::{build_analyzer, PaperTokenizer};
use paperdex::ingest::read::Input;
use paperdex::schema::{SchemaConfig, TokenizerConfig};
use paperdex::{Engine, IndexOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, TokenStream,
    Tokenizer,
};
use unicode_segmentation::UnicodeSegmentation;

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
    // Baselines measured in the same run, so ratios are fair on a noisy machine.
    group.bench_function("baseline_uax29_split/corpus-samples", |b| {
        b.iter(|| {
            text.split_word_bound_indices()
                .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
                .count()
        })
    });
    group.bench_function("baseline_boxed_chain_tantivy_stemmer/corpus-samples", |b| {
        let mut baseline = TextAnalyzer::builder(PaperTokenizer::default())
            .filter(RemoveLongFilter::limit(64))
            .filter(LowerCaser)
            .dynamic()
            .filter_dynamic(AsciiFoldingFilter)
            .filter_dynamic(Stemmer::new(Language::English))
            .build();
        b.iter(|| {
            let mut n = 0usize;
            baseline.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.bench_function("baseline_tantivy_en_stem/corpus-samples", |b| {
        let mut en_stem = tantivy::tokenizer::TokenizerManager::default()
            .get("en_stem")
            .unwrap();
        b.iter(|| {
            let mut n = 0usize;
            en_stem.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.bench_function("split_only/corpus-samples", |b| {
        let mut tokenizer = PaperTokenizer::default();
        b.iter(|| {
            let mut n = 0usize;
            tokenizer.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
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
