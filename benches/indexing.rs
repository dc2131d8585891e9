//! Indexing throughput: the analyzer alone (on the titles and abstracts of 20,000 real
//! listings, or the bundled samples without ../shared) and end-to-end indexing of a fixed
//! corpus (the bundled samples, and the seeds plus 20,000 listings when ../shared is there),
//! and the ingest text normalization on the same titles and abstracts.

mod common;

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use paperdex::analysis::{build_analyzer, reference_analyzer, PaperTokenizer};
use paperdex::ingest::read::Input;
use paperdex::schema::{SchemaConfig, TokenizerConfig};
use paperdex::{Engine, IndexOptions};
use tantivy::tokenizer::{TokenStream, Tokenizer};
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
    let (name, text) = match common::listings_slice(SLICE) {
        Some(path) => ("listings-20k", common::listings_text(&path)),
        None => ("corpus-samples", corpus_text()),
    };
    let mut analyzer = build_analyzer(&TokenizerConfig::default());
    let mut group = c.benchmark_group(format!("tokenizer/{name}"));
    group.throughput(Throughput::Bytes(text.len() as u64));
    // Baselines measured in the same run, so ratios are fair on a noisy machine.
    group.bench_function("baseline_uax29_split", |b| {
        b.iter(|| {
            text.split_word_bound_indices()
                .filter(|(_, w)| w.chars().any(char::is_alphanumeric))
                .count()
        })
    });
    group.bench_function("baseline_tantivy_filter_chain", |b| {
        let mut baseline = reference_analyzer(&TokenizerConfig::default());
        b.iter(|| {
            let mut n = 0usize;
            baseline.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.bench_function("baseline_tantivy_en_stem", |b| {
        let mut en_stem = tantivy::tokenizer::TokenizerManager::default()
            .get("en_stem")
            .unwrap();
        b.iter(|| {
            let mut n = 0usize;
            en_stem.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.bench_function("split_only", |b| {
        let mut tokenizer = PaperTokenizer::default();
        b.iter(|| {
            let mut n = 0usize;
            tokenizer.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.bench_function("paper_analyzer", |b| {
        b.iter(|| {
            let mut n = 0usize;
            analyzer.token_stream(&text).process(&mut |_| n += 1);
            n
        })
    });
    group.finish();
}

/// Ingest normalization (`text::clean`: mojibake, LaTeX, whitespace) on the raw titles and
/// abstracts the tokenizer bench reads: all of them, and those the ASCII fast path cannot
/// take (non-ASCII, or holding `\\`, `$` or a backquote).
fn clean(c: &mut Criterion) {
    let (name, text) = match common::listings_slice(SLICE) {
        Some(path) => ("listings-20k", common::listings_text(&path)),
        None => ("corpus-samples", corpus_text()),
    };
    let all: Vec<&str> = text.lines().collect();
    let marked: Vec<&str> = all
        .iter()
        .copied()
        .filter(|s| !s.is_ascii() || s.contains(['\\', '$', '`']))
        .collect();
    let mut group = c.benchmark_group(format!("clean/{name}"));
    for (set, fields) in [("all", &all), ("non_plain", &marked)] {
        group.throughput(Throughput::Bytes(
            fields.iter().map(|s| s.len() as u64).sum(),
        ));
        group.bench_function(set, |b| {
            b.iter(|| {
                fields
                    .iter()
                    .map(|s| paperdex::ingest::text::clean(s).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

/// Papers in the listings slice: the fixed corpus of the end-to-end bench.
const SLICE: usize = 20_000;

fn indexing(c: &mut Criterion) {
    let samples: Vec<PathBuf> = std::fs::read_dir(common::samples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt" || e == "jsonl"))
        .collect();
    let seeds: Vec<PathBuf> = samples
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .cloned()
        .collect();
    let mut corpora = vec![("corpus-samples", samples)];
    if let Some(slice) = common::listings_slice(SLICE) {
        corpora.push(("seeds+listings-20k", [seeds, vec![slice]].concat()));
    }
    let mut group = c.benchmark_group("indexing");
    group.sample_size(10);
    for (name, files) in corpora {
        let bytes: u64 = files.iter().map(|p| p.metadata().unwrap().len()).sum();
        let inputs: Vec<Input> = files.into_iter().map(Input::Path).collect();
        let papers = {
            let dir = tempfile::tempdir().unwrap();
            let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
            engine
                .index(&inputs, &IndexOptions::default())
                .unwrap()
                .added
        };
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("{name}/bytes"), |b| run(b, &inputs));
        group.throughput(Throughput::Elements(papers as u64));
        group.bench_function(format!("{name}/papers"), |b| run(b, &inputs));
    }
    group.finish();
}

/// One fresh index of `inputs`, committed.
fn run(b: &mut criterion::Bencher, inputs: &[Input]) {
    b.iter_batched(
        || tempfile::tempdir().unwrap(),
        |dir| {
            let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
            engine.index(inputs, &IndexOptions::default()).unwrap()
        },
        BatchSize::PerIteration,
    )
}

criterion_group!(benches, tokenizer, clean, indexing);
criterion_main!(benches);
