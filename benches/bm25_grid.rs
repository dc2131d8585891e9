//! BM25 k1/b grid on SciFact train: how much tantivy's fixed k1 = 1.2, b = 0.75 costs.
//!
//! tantivy hard-codes k1 and b, so this scores the paperdex index outside tantivy: for each
//! claim, the postings of its plain-mode terms (title and abstract fields, with the schema's
//! boosts) are read with their term frequencies and quantized field lengths, and BM25 is
//! summed for every (k1, b) of the grid, exactly as tantivy's formula but with those two
//! constants. The (1.2, 0.75) cell must equal `paperdex eval` on the same index, and the
//! program checks it. Output: a table of nDCG@10 per (k1, b).
//!
//!   cargo bench --bench bm25_grid [-- CORPUS.jsonl[.gz] QUERIES.jsonl QRELS.tsv]
//!
//! Defaults to the SciFact train split bundled in tests/fixtures/scifact.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use paperdex::analysis::terms;
use paperdex::eval::{self, EvalOptions, QueryRun, Run};
use paperdex::ingest::read::Input;
use paperdex::ingest::Format;
use paperdex::schema::SchemaConfig;
use paperdex::{Engine, IndexOptions};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Term, TERMINATED};

const K1: [f32; 6] = [0.6, 0.9, 1.2, 1.5, 2.0, 3.0];
const B: [f32; 7] = [0.3, 0.4, 0.5, 0.6, 0.75, 0.85, 1.0];

/// One matched (query term, field, document): what BM25 needs about it.
struct Hit {
    doc: (u32, u32),
    weight: f32,
    idf: f32,
    tf: f32,
    len: f32,
    avg_len: f32,
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let fixture = |p: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scifact")
            .join(p)
    };
    let (corpus, queries, qrels) = match args.as_slice() {
        [c, q, r] => (PathBuf::from(c), PathBuf::from(q), PathBuf::from(r)),
        _ => (
            fixture("corpus.jsonl.gz"),
            fixture("queries.jsonl"),
            fixture("qrels/train.tsv"),
        ),
    };
    let queries = eval::load_queries(&queries).expect("queries");
    let qrels = eval::load_qrels(&qrels).expect("qrels");
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
    let opts = IndexOptions {
        format: Some(Format::Beir),
        ..IndexOptions::default()
    };
    engine.index(&[Input::Path(corpus.clone())], &opts).unwrap();
    let reference = eval::evaluate(
        &engine,
        &queries,
        &qrels,
        &EvalOptions {
            recency_weight: Some(0.0),
            ..EvalOptions::default()
        },
    )
    .unwrap();

    let idx = engine.raw();
    let searcher = idx.reader.searcher();
    let n_docs = searcher.num_docs() as f32;
    let boosts: HashMap<String, f32> = idx
        .config
        .fields
        .iter()
        .map(|(name, f)| (name.clone(), f.boost))
        .collect();
    let fields = [
        (idx.fields.title, boosts["title"]),
        (idx.fields.abstract_text, boosts["abstract"]),
    ];
    let avg_len: Vec<f32> = fields
        .iter()
        .map(|&(f, _)| {
            let tokens: u64 = searcher
                .segment_readers()
                .iter()
                .map(|s| s.inverted_index(f).unwrap().total_num_tokens())
                .sum();
            tokens as f32 / n_docs
        })
        .collect();
    let mut analyzer = idx
        .index
        .tokenizer_for_field(idx.fields.abstract_text)
        .unwrap();

    // Every judged query's matches, gathered once and rescored per cell.
    let mut per_query: Vec<(String, Vec<Hit>)> = Vec::new();
    for q in queries.iter().filter(|q| qrels.has_relevant(&q.id)) {
        let mut hits = Vec::new();
        let mut seen = HashSet::new();
        // As plain mode: repeated words once, every analyzed token a clause.
        for word in q.text.split_whitespace().filter(|w| seen.insert(*w)) {
            for (fi, &(field, weight)) in fields.iter().enumerate() {
                for token in terms(&mut analyzer, word) {
                    let term = Term::from_field_text(field, &token);
                    let df = searcher.doc_freq(&term).unwrap() as f32;
                    if df == 0.0 {
                        continue;
                    }
                    let idf = (1.0 + (n_docs - df + 0.5) / (df + 0.5)).ln();
                    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                        let norms: FieldNormReader = segment.get_fieldnorms_reader(field).unwrap();
                        let Some(mut postings) = segment
                            .inverted_index(field)
                            .unwrap()
                            .read_postings(&term, IndexRecordOption::WithFreqs)
                            .unwrap()
                        else {
                            continue;
                        };
                        let alive = segment.alive_bitset();
                        let mut doc = postings.doc();
                        while doc != TERMINATED {
                            if alive.is_none_or(|a| a.is_alive(doc)) {
                                hits.push(Hit {
                                    doc: (ord as u32, doc),
                                    weight,
                                    idf,
                                    tf: postings.term_freq() as f32,
                                    len: norms.fieldnorm(doc) as f32,
                                    avg_len: avg_len[fi],
                                });
                            }
                            doc = postings.advance();
                        }
                    }
                }
            }
        }
        per_query.push((q.id.clone(), hits));
    }

    let id_of = |(ord, doc): (u32, u32)| -> String {
        let d = searcher.doc(tantivy::DocAddress::new(ord, doc)).unwrap();
        idx.paper_of(&d).unwrap().id
    };
    let mut ids: HashMap<(u32, u32), String> = HashMap::new();
    let mut table = Vec::new();
    for &k1 in &K1 {
        let mut row = Vec::new();
        for &b in &B {
            let mut run = Run {
                queries: Vec::new(),
                unjudged: queries.len() - per_query.len(),
            };
            for (qid, hits) in &per_query {
                let mut scores: HashMap<(u32, u32), f32> = HashMap::new();
                for h in hits {
                    let norm = k1 * (1.0 - b + b * h.len / h.avg_len);
                    *scores.entry(h.doc).or_default() +=
                        h.weight * h.idf * (1.0 + k1) * h.tf / (h.tf + norm);
                }
                let mut ranked: Vec<((u32, u32), f32)> = scores.into_iter().collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                ranked.truncate(eval::DEPTH);
                let hits = ranked
                    .into_iter()
                    .map(|(doc, s)| (ids.entry(doc).or_insert_with(|| id_of(doc)).clone(), s))
                    .collect();
                run.queries.push(QueryRun {
                    qid: qid.clone(),
                    hits,
                });
            }
            row.push(eval::score(&run, &qrels, false).mean.ndcg_10);
        }
        table.push(row);
    }
    let tantivy_cell = table[K1.iter().position(|&k| k == 1.2).unwrap()]
        [B.iter().position(|&b| b == 0.75).unwrap()];
    println!(
        "corpus {}, {} judged queries; `paperdex eval` (recency off): nDCG@10 {:.4}; this program at k1 1.2, b 0.75: {:.4}",
        display(&corpus),
        per_query.len(),
        reference.mean.ndcg_10,
        tantivy_cell
    );
    assert!(
        (tantivy_cell - reference.mean.ndcg_10).abs() < 0.002,
        "the grid's BM25 must reproduce tantivy's at k1 1.2, b 0.75"
    );
    print!("| k1 \\ b |");
    for b in B {
        print!(" {b} |");
    }
    println!();
    println!("|---|{}", "---|".repeat(B.len()));
    for (k1, row) in K1.iter().zip(&table) {
        print!("| {k1} |");
        for v in row {
            print!(" {v:.4} |");
        }
        println!();
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
