//! One engine of the side-by-side comparison (scripts/compare-peers.sh): indexes a JSON-lines
//! listings file and runs a query file, in process, then prints one JSON line of figures.
//! Run once per engine so each gets its own peak RSS:
//!
//!   peers paperdex|tantivy LISTINGS.jsonl[.gz] QUERIES.txt INDEX_DIR
//!
//! `tantivy` is the plain default pipeline a user would write: title and abstract as TEXT
//! with tantivy's `en_stem` analyzer, BM25 through QueryParser, no extras.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::SearchRequest;
use paperdex::{Engine, IndexOptions};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Schema, TextFieldIndexing, TextOptions, STORED, STRING};
use tantivy::{doc, Index};

// The allocator the paperdex binary ships with, for both engines, so the comparison is of
// the engines and not of malloc.
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
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [engine, listings, queries, dir] = args.as_slice() else {
        eprintln!("usage: peers paperdex|tantivy LISTINGS QUERIES INDEX_DIR (see scripts/compare-peers.sh)");
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
            let text = TextOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer("en_stem")
                        .set_index_option(
                            tantivy::schema::IndexRecordOption::WithFreqsAndPositions,
                        ),
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
            for line in open(listings).lines() {
                let line = line.unwrap();
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                writer
                    .add_document(doc!(
                        id => v["id"].as_str().unwrap_or_default(),
                        title => v["title"].as_str().unwrap_or_default(),
                        abstract_text => v["abstract"].as_str().unwrap_or_default(),
                    ))
                    .unwrap();
                docs += 1;
            }
            writer.commit().unwrap();
            let reader = index.reader().unwrap();
            let parser = QueryParser::for_index(&index, vec![title, abstract_text]);
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
