//! One engine of the side-by-side comparison (scripts/compare-peers.sh): indexes a JSON-lines
//! listings file and runs a query file, in process, then prints one JSON line of figures.
//! Run once per engine so each gets its own peak RSS:
//!
//!   peers paperdex|tantivy LISTINGS.jsonl[.gz] QUERIES.txt INDEX_DIR
//!
//! `tantivy` is the plain default pipeline a user would write: title and abstract as TEXT
//! with tantivy's `en_stem` analyzer, BM25 through QueryParser, no extras.
//!
//! Query latency alone, on an index already built (`paperdex index`): the queries run once as
//! a warm-up round and then ROUNDS times, and each round's p50/p99 is printed, so a
//! before/after pair of binaries can be alternated on one index:
//!
//!   peers paperdex-queries INDEX_DIR QUERIES.txt [ROUNDS] [--recency off]
//!
//! The relevance comparison (scripts/compare-relevance.sh) uses the same tantivy pipeline on
//! a BEIR corpus and writes a TREC run of the top 1000 per query (the query's en_stem terms
//! ORed over title and abstract, so claims with syntax characters need no escaping):
//!
//!   peers tantivy-run CORPUS.jsonl QUERIES.jsonl RUN_OUT INDEX_DIR

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::SearchRequest;
use paperdex::{Engine, IndexOptions};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, Schema, TextFieldIndexing, TextOptions, STORED, STRING};
use tantivy::{doc, Index};

// The allocator the paperdex binary ships with, and its settings (`tune_mimalloc` in main),
// for both engines, so the comparison is of the engines and not of malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs one query and fetches its top 10.
type SearchFn = Box<dyn FnMut(&str)>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// The file's text, decompressed when it ends in `.gz`, streamed (not held in memory, so the
/// peak RSS is the engine's own).
fn open(path: &Path) -> BufReader<Box<dyn Read>> {
    let file = std::fs::File::open(path).expect("input file");
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    BufReader::new(reader)
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    paperdex::alloc::tune_mimalloc();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let [mode, dir, queries, rest @ ..] = args.as_slice() {
        if mode == "paperdex-queries" {
            return paperdex_queries(Path::new(dir), Path::new(queries), rest);
        }
    }
    if let [mode, corpus, queries, run, dir] = args.as_slice() {
        if mode == "tantivy-run" {
            return tantivy_run(
                Path::new(corpus),
                Path::new(queries),
                Path::new(run),
                Path::new(dir),
            );
        }
    }
    let [engine, listings, queries, dir] = args.as_slice() else {
        eprintln!("usage: peers paperdex|tantivy LISTINGS QUERIES INDEX_DIR (see scripts/compare-peers.sh)");
        eprintln!("       peers tantivy-run CORPUS QUERIES RUN_OUT INDEX_DIR (see scripts/compare-relevance.sh)");
        eprintln!("       peers paperdex-queries INDEX_DIR QUERIES [ROUNDS] [--recency off]");
        return;
    };
    let (listings, dir) = (Path::new(listings), Path::new(dir));
    let queries: Vec<String> = open(Path::new(queries))
        .lines()
        .map(|l| l.unwrap())
        .filter(|q| !q.trim().is_empty())
        .collect();
    let input_bytes = std::io::copy(&mut open(listings), &mut std::io::sink()).unwrap();
    let started = Instant::now();
    let (docs, mut search): (u64, SearchFn) = match engine.as_str() {
        "paperdex" => {
            let engine = Engine::open_or_create(dir, SchemaConfig::builtin()).unwrap();
            let report = engine
                .index(
                    &[Input::Path(listings.to_path_buf())],
                    &IndexOptions::default(),
                )
                .unwrap();
            let docs = report.added as u64;
            (
                docs,
                Box::new(move |q| {
                    let req = SearchRequest {
                        q: q.to_string(),
                        facets: Some(false),
                        ..SearchRequest::default()
                    };
                    engine.search(&req).unwrap();
                }),
            )
        }
        "tantivy" => {
            let (docs, index, fields) = tantivy_index(listings, dir, ["id", "title", "abstract"]);
            let reader = index.reader().unwrap();
            let parser = QueryParser::for_index(&index, vec![fields[1], fields[2]]);
            (
                docs,
                Box::new(move |q| {
                    let searcher = reader.searcher();
                    let (query, _) = parser.parse_query_lenient(q);
                    let hits = searcher
                        .search(&query, &TopDocs::with_limit(10).order_by_score())
                        .unwrap();
                    for (_, addr) in hits {
                        let _: tantivy::TantivyDocument = searcher.doc(addr).unwrap();
                    }
                }),
            )
        }
        other => panic!("unknown engine {other}"),
    };
    let index_secs = started.elapsed().as_secs_f64();
    for q in queries.iter().take(20) {
        search(q); // warm the page cache
    }
    let mut times = Vec::with_capacity(queries.len());
    for q in &queries {
        let t = Instant::now();
        search(q);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "engine": engine, "docs": docs, "index_secs": index_secs,
            "docs_per_sec": docs as f64 / index_secs, "input_mb": input_bytes as f64 / 1e6,
            "mb_per_sec": input_bytes as f64 / 1e6 / index_secs,
            "index_bytes": dir_bytes(dir), "queries": times.len(),
            "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
        })
    );
}

/// Runs the queries on an existing paperdex index, as the side-by-side run does (top 10 with
/// snippets and total, no facets), and prints each round's p50 and p99 in ms.
fn paperdex_queries(dir: &Path, queries: &Path, rest: &[String]) {
    let rounds: usize = rest.first().and_then(|r| r.parse().ok()).unwrap_or(5);
    let recency_off = rest
        .windows(2)
        .any(|w| w[0] == "--recency" && w[1] == "off");
    let engine = Engine::open(dir, SchemaConfig::builtin()).unwrap();
    let queries: Vec<String> = open(queries)
        .lines()
        .map(|l| l.unwrap())
        .filter(|q| !q.trim().is_empty())
        .collect();
    let mut medians = Vec::new();
    for round in 0..=rounds {
        let mut times = Vec::with_capacity(queries.len());
        for q in &queries {
            let req = SearchRequest {
                q: q.clone(),
                facets: Some(false),
                recency_weight: recency_off.then_some(0.0),
                ..SearchRequest::default()
            };
            let t = Instant::now();
            std::hint::black_box(engine.search(&req).unwrap());
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        if round == 0 {
            // The process's first pass: CPU caches, the search threads and their stem caches
            // are cold (the first ~200 searches of a process are the slow ones).
            println!("warm-up round: p50 {p50:.3} ms, p99 {p99:.3} ms");
        } else {
            println!("round {round}: p50 {p50:.3} ms, p99 {p99:.3} ms");
            medians.push(p50);
        }
    }
    medians.sort_by(f64::total_cmp);
    if !medians.is_empty() {
        println!(
            "median of the rounds' p50: {:.3} ms",
            percentile(&medians, 0.5)
        );
    }
}

/// Indexes JSON lines into a plain tantivy index: `keys` name the id, title and abstract
/// members; title and abstract are TEXT with `en_stem`, the id a stored STRING.
fn tantivy_index(input: &Path, dir: &Path, keys: [&str; 3]) -> (u64, Index, [Field; 3]) {
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(tantivy::schema::IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let title = builder.add_text_field("title", text.clone());
    let abstract_text = builder.add_text_field("abstract", text);
    std::fs::create_dir_all(dir).unwrap();
    let index = Index::create_in_dir(dir, builder.build()).unwrap();
    let mut writer: tantivy::IndexWriter = index.writer(256 << 20).unwrap();
    let mut docs = 0;
    for line in open(input).lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let member = |key: &str| match &v[key] {
            serde_json::Value::Number(n) => n.to_string(),
            other => other.as_str().unwrap_or_default().to_string(),
        };
        writer
            .add_document(doc!(
                id => member(keys[0]),
                title => member(keys[1]),
                abstract_text => member(keys[2]),
            ))
            .unwrap();
        docs += 1;
    }
    writer.commit().unwrap();
    (docs, index, [id, title, abstract_text])
}

/// Plain tantivy BM25 (k1 1.2, b 0.75) over a BEIR corpus: each query's en_stem terms ORed
/// over title and abstract, top 1000 written as a TREC run.
fn tantivy_run(corpus: &Path, queries: &Path, run: &Path, dir: &Path) {
    use std::io::Write;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Value};
    use tantivy::Term;

    let (_, index, [id, title, abstract_text]) =
        tantivy_index(corpus, dir, ["_id", "title", "text"]);
    let searcher = index.reader().unwrap().searcher();
    let mut analyzer = index.tokenizers().get("en_stem").unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(run).unwrap());
    for line in open(queries).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let qid = match &v["_id"] {
            serde_json::Value::Number(n) => n.to_string(),
            other => other.as_str().unwrap_or_default().to_string(),
        };
        let mut terms = Vec::new();
        analyzer
            .token_stream(v["text"].as_str().unwrap_or_default())
            .process(&mut |t| terms.push(t.text.clone()));
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .flat_map(|t| [title, abstract_text].map(|f| Term::from_field_text(f, t)))
            .map(|term| {
                let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        let hits = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(1000).order_by_score(),
            )
            .unwrap();
        for (rank, (score, addr)) in hits.into_iter().enumerate() {
            let doc: tantivy::TantivyDocument = searcher.doc(addr).unwrap();
            let doc_id = doc
                .get_first(id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            writeln!(out, "{qid} Q0 {doc_id} {} {score} tantivy", rank + 1).unwrap();
        }
    }
    out.flush().unwrap();
}
