//! Relevance regression guard: BEIR SciFact train (the whole split, bundled under
//! tests/fixtures/scifact) indexed and evaluated through the binary with the default schema.
//! Evaluation is deterministic, so the tuned nDCG@10 is a test floor, not a benchmark.

mod common;

use std::path::PathBuf;

use common::*;

/// nDCG@10 of the defaults when they were tuned (BENCHMARKS.md "Relevance"), minus 0.005.
const NDCG_10_FLOOR: f64 = 0.7035 - 0.005;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/scifact")
        .join(name)
}

#[test]
fn scifact_train_ndcg_at_10_stays_at_the_tuned_value() {
    let sb = Sandbox::new();
    let corpus = fixture("corpus.jsonl.gz");
    let report = sb.json(
        "index",
        &["--format".as_ref(), "beir".as_ref(), corpus.as_os_str()],
    );
    assert_eq!(report["added"], 5183, "{report}");
    let (queries, qrels) = (fixture("queries.jsonl"), fixture("qrels/train.tsv"));
    let eval = sb.json(
        "eval",
        &[
            "--queries".as_ref(),
            queries.as_os_str(),
            "--qrels".as_ref(),
            qrels.as_os_str(),
        ],
    );
    assert_eq!(eval["queries"], 809, "{eval}");
    let ndcg = f64_field(&eval, "ndcg@10");
    assert!(
        ndcg >= NDCG_10_FLOOR,
        "SciFact train nDCG@10 fell to {ndcg:.4} (floor {NDCG_10_FLOOR:.4}): {eval}"
    );
}
