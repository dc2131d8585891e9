//! `paperdex eval` and plain-mode search: metrics through the binary over the bundled SciFact
//! sample, the TREC run file, input errors (exit 2, `file:line`), plain vs normal scoring.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use common::*;
use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::{MatchMode, SearchRequest};
use paperdex::{Engine, IndexOptions};

const SCIFACT: &str = "scifact-corpus-sample.jsonl";

/// Claims whose relevant papers are in the sample; texts are the papers' titles, reworded
/// with query-syntax characters where noted. `unjudged` has no qrels line.
const QUERIES: &str = r#"{"_id": "1", "text": "Induction of myelodysplasia by myeloid-derived suppressor cells.", "metadata": {}}
{"_id": "2", "text": "Bayesian measures of model complexity and fit"}
{"_id": "3", "text": "Mechanisms linking obesity (to insulin resistance): \"type 2 diabetes\""}
{"_id": "4", "text": "CTCF binding at the H19 imprinting control region + higher-order chromatin -conformation ^2 ~ Igf2*"}
{"_id": "unjudged", "text": "stem cells"}
"#;

const QRELS: &str = "query-id\tcorpus-id\tscore
1\t5836\t1
2\t70115\t1
3\t120626\t2
3\t79447\t1
4\t140874\t1
";

/// A sandbox indexing the SciFact sample as BEIR, plus the queries and qrels files.
fn scifact() -> (Sandbox, PathBuf, PathBuf) {
    let sb = Sandbox::new();
    let corpus = sample(SCIFACT);
    let report = sb.json(
        "index",
        &[
            OsStr::new("--format"),
            OsStr::new("beir"),
            corpus.as_os_str(),
        ],
    );
    assert_eq!(report["added"], 30, "{report}");
    let queries = write_file(sb.home.path(), "queries.jsonl", QUERIES);
    let qrels = write_file(sb.home.path(), "qrels.tsv", QRELS);
    (sb, queries, qrels)
}

/// `paperdex eval --index DIR --queries Q --qrels R`; add the remaining arguments to it.
fn eval_cmd(sb: &Sandbox, queries: impl AsRef<OsStr>, qrels: impl AsRef<OsStr>) -> Command {
    let mut cmd = sb.sub("eval");
    cmd.arg("--queries").arg(queries).arg("--qrels").arg(qrels);
    cmd
}

fn eval_json(sb: &Sandbox, queries: &Path, qrels: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        OsStr::new("--queries"),
        queries.as_os_str(),
        OsStr::new("--qrels"),
        qrels.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    sb.json("eval", &args)
}

const METRICS: [&str; 4] = ["ndcg@10", "mrr@10", "recall@100", "map"];

fn assert_unit(value: &Value, context: &str) {
    for key in METRICS {
        let v = f64_field(value, key);
        assert!((0.0..=1.0).contains(&v), "{context}: {key} = {v}");
    }
}

#[test]
fn beir_ingest_keeps_the_corpus_id() {
    let (sb, _, _) = scifact();
    let paper = sb.show_json("5836");
    assert_eq!(
        str_field(&paper, "title"),
        "Induction of myelodysplasia by myeloid-derived suppressor cells."
    );
}

#[test]
fn eval_json_has_the_four_metrics_over_judged_queries() {
    let (sb, queries, qrels) = scifact();
    let report = eval_json(&sb, &queries, &qrels, &[]);
    let mut keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["map", "mrr@10", "ndcg@10", "queries", "recall@100"],
        "{report}"
    );
    // `unjudged` is skipped: four queries have judgments.
    assert_eq!(report["queries"], 4, "{report}");
    assert_unit(&report, "mean");
    // Every relevant paper's title is (almost) its query: all are found within 100.
    assert_eq!(f64_field(&report, "recall@100"), 1.0, "{report}");
}

#[test]
fn per_query_gives_mrr_1_when_the_relevant_paper_is_first() {
    let (sb, queries, qrels) = scifact();
    let query_1 = "Induction of myelodysplasia by myeloid-derived suppressor cells.";
    let search = sb.search_json(&["--plain", "--", query_1]);
    assert_eq!(str_field(&hits(&search)[0], "id"), "5836", "{search}");
    let report = eval_json(&sb, &queries, &qrels, &["--per-query"]);
    let rows = report["per_query"].as_array().expect("per_query array");
    assert_eq!(rows.len(), 4, "{report}");
    for row in rows {
        assert_unit(row, str_field(row, "qid"));
    }
    let row = rows
        .iter()
        .find(|r| r["qid"] == "1")
        .unwrap_or_else(|| panic!("no row for query 1: {report}"));
    assert_eq!(f64_field(row, "mrr@10"), 1.0, "{row}");
    // One relevant paper at rank 1: every measure is 1.
    assert_eq!(f64_field(row, "ndcg@10"), 1.0, "{row}");
    assert_eq!(f64_field(row, "map"), 1.0, "{row}");
    // The means are the per-query means.
    for key in METRICS {
        let mean = rows.iter().map(|r| f64_field(r, key)).sum::<f64>() / rows.len() as f64;
        assert!(
            (mean - f64_field(&report, key)).abs() < 1e-9,
            "{key}: {report}"
        );
    }
}

#[test]
fn human_output_lists_metrics_and_the_query_count() {
    let (sb, queries, qrels) = scifact();
    let out = sb
        .sub("eval")
        .arg("--queries")
        .arg(&queries)
        .arg("--qrels")
        .arg(&qrels)
        .arg("--per-query")
        .assert()
        .success()
        .stderr(predicate::str::contains("skipped 1 query"))
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(out).unwrap();
    for label in ["qid", "nDCG@10", "MRR@10", "Recall@100", "MAP"] {
        assert!(stdout.contains(label), "no {label} in:\n{stdout}");
    }
    let count = stdout
        .lines()
        .find(|l| l.starts_with("queries"))
        .unwrap_or_else(|| panic!("no query count in:\n{stdout}"));
    assert_eq!(
        count.split_whitespace().collect::<Vec<_>>(),
        ["queries", "4"]
    );
}

#[test]
fn run_file_is_trec_format() {
    let (sb, queries, qrels) = scifact();
    let run = sb.home.path().join("paperdex.run");
    eval_json(&sb, &queries, &qrels, &["--run", run.to_str().unwrap()]);
    let text = std::fs::read_to_string(&run).expect("run file written");
    let mut qids = Vec::new();
    let mut last: Option<(String, usize, f64)> = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f.len(), 6, "{line}");
        assert_eq!((f[1], f[5]), ("Q0", "paperdex"), "{line}");
        let rank: usize = f[3].parse().unwrap();
        let score: f64 = f[4].parse().unwrap();
        match &last {
            Some((qid, r, s)) if qid == f[0] => {
                assert_eq!(rank, r + 1, "{line}");
                assert!(score <= *s, "scores must not increase: {line}");
            }
            _ => {
                assert_eq!(rank, 1, "{line}");
                qids.push(f[0].to_string());
            }
        }
        last = Some((f[0].to_string(), rank, score));
    }
    assert_eq!(qids, ["1", "2", "3", "4"]);
    assert!(text.starts_with("1 Q0 5836 1 "), "{text}");
}

#[test]
fn scoring_a_written_run_gives_the_metrics_of_the_search() {
    let (sb, queries, qrels) = scifact();
    let run = sb.home.path().join("paperdex.run");
    let searched = eval_json(&sb, &queries, &qrels, &["--run", run.to_str().unwrap()]);
    let scored = eval_json(&sb, &queries, &qrels, &["--score", run.to_str().unwrap()]);
    assert_eq!(searched, scored);
    // A run that lost query 1's answers scores that query 0 instead of dropping it.
    let text = std::fs::read_to_string(&run).unwrap();
    let without_1: String = text
        .lines()
        .filter(|l| !l.starts_with("1 "))
        .map(|l| format!("{l}\n"))
        .collect();
    let partial = write_file(sb.home.path(), "partial.run", &without_1);
    let scored = eval_json(
        &sb,
        &queries,
        &qrels,
        &["--score", partial.to_str().unwrap()],
    );
    assert_eq!(scored["queries"], searched["queries"]);
    assert!(
        f64_field(&scored, "ndcg@10") < f64_field(&searched, "ndcg@10"),
        "{scored}"
    );
}

#[test]
fn trec_qrels_and_tsv_queries_work_too() {
    let (sb, _, _) = scifact();
    let queries = write_file(
        sb.home.path(),
        "queries.tsv",
        "1\tBayesian measures of model complexity and fit\n",
    );
    let qrels = write_file(sb.home.path(), "qrels.trec", "1 0 70115 1\n1 0 54440 0\n");
    let report = eval_json(&sb, &queries, &qrels, &[]);
    assert_eq!(report["queries"], 1, "{report}");
    assert_eq!(f64_field(&report, "mrr@10"), 1.0, "{report}");
}

#[test]
fn bad_qrels_line_exits_2_naming_file_and_line() {
    let (sb, queries, _) = scifact();
    let qrels = write_file(
        sb.home.path(),
        "bad-qrels.tsv",
        "query-id\tcorpus-id\tscore\n1\t5836\t1\n2\t70115\n",
    );
    eval_cmd(&sb, &queries, &qrels)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad-qrels.tsv:3:"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn missing_input_files_exit_2_naming_the_file() {
    let (sb, queries, qrels) = scifact();
    let nowhere = sb.home.path().join("no-such-queries.jsonl");
    eval_cmd(&sb, &nowhere, &qrels)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-queries.jsonl"));
    eval_cmd(&sb, &queries, "no-such-qrels.tsv")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-qrels.tsv"));
}

#[test]
fn qrels_matching_no_query_exit_2() {
    let (sb, queries, _) = scifact();
    let qrels = write_file(sb.home.path(), "other.tsv", "q-other\t5836\t1\n");
    eval_cmd(&sb, &queries, &qrels)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("relevant judgment"));
}

#[test]
fn search_plain_takes_syntax_characters_as_text() {
    let (sb, _, _) = scifact();
    let messy = r#""(a): b" + c -d ^e"#;
    // Strict syntax reads it as (broken) syntax...
    sb.sub("search")
        .args(["--strict-syntax", "--", messy])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("query syntax"));
    // ...plain mode as words.
    let r = sb.search_json(&["--plain", "--", messy]);
    assert!(r["hits"].is_array(), "{r}");
    for text in [
        "0-dimensional biomaterials lack inductive properties.",
        r#"ALDH1 expression is associated with poorer prognosis (in breast cancer): a "study""#,
        "AND OR NOT ) ( ] [ } { : ^ ~ * + - \" '",
        "title:(unclosed \"quote",
    ] {
        sb.search_json(&["--plain", "--", text]);
    }
    // The words still find their paper.
    let r = sb.search_json(&[
        "--plain",
        "--",
        r#"CTCF binding (at the "H19" imprinting): control region^2 +maternally -inherited ~ *"#,
    ]);
    assert_eq!(str_field(&hits(&r)[0], "id"), "140874", "{r}");
    // Empty text matches nothing, without an error.
    let r = sb.search_json(&["--plain", "--", " "]);
    assert_eq!(total(&r), 0, "{r}");
    assert!(hits(&r).is_empty(), "{r}");
}

#[test]
fn stdio_search_accepts_plain() {
    let (sb, _, _) = scifact();
    let out = sb
        .sub("stdio")
        .write_stdin(
            r#"{"jsonrpc":"2.0","id":1,"method":"search","params":{"q":"myelodysplasia (suppressor: \"cells","plain":true,"facets":false}}"#
                .to_string()
                + "\n",
        )
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let line = String::from_utf8(out).unwrap();
    let reply: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(reply["result"]["hits"][0]["id"], "5836", "{reply}");
}

/// Without syntax characters, plain mode builds the query tantivy's parser builds: the same
/// papers in the same order with the same scores.
#[test]
fn plain_and_normal_modes_rank_and_score_alike_on_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
    let inputs: Vec<Input> = all_sample_files().into_iter().map(Input::Path).collect();
    engine.index(&inputs, &IndexOptions::default()).unwrap();
    for q in [
        "sparse attention",
        "reasoning",
        "LoRA mixture of experts for long context",
        "stem cells in the human brain",
        "Bayesian model fit 2502.00511",
        // The grammar drops a repeated word but keeps `Attention attention` (two strings).
        "attention attention",
        "Attention attention reasoning",
    ] {
        for recency_weight in [Some(0.0), None] {
            let req = SearchRequest {
                q: q.to_string(),
                limit: Some(100),
                facets: Some(false),
                recency_weight,
                match_mode: Some(MatchMode::Any),
                ..SearchRequest::default()
            };
            let normal = engine.search(&req).unwrap();
            let plain = engine
                .search(&SearchRequest {
                    plain: true,
                    ..req.clone()
                })
                .unwrap();
            assert!(!normal.hits.is_empty(), "{q}: no hits");
            assert_eq!(plain.total, normal.total, "{q}");
            let ranked = |r: &paperdex::search::SearchResponse| {
                r.hits
                    .iter()
                    .map(|h| (h.id.clone(), h.score))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ranked(&plain), ranked(&normal), "{q} ({recency_weight:?})");
        }
    }
}
