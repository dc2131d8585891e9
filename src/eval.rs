//! Relevance evaluation: BEIR/TREC queries and qrels, a plain-mode run of every judged query
//! through `Engine::search`, and nDCG@10, MRR@10, Recall@100 and MAP per query and averaged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::search::SearchRequest;

/// Results fetched per query (the schema's `max_limit` if lower): the depth MAP is taken at,
/// as in BEIR and trec_eval runs.
pub const DEPTH: usize = 1000;

/// One query to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalQuery {
    pub id: String,
    pub text: String,
}

/// Relevance judgments: query id -> document id -> grade (> 0 is relevant).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qrels {
    by_query: BTreeMap<String, BTreeMap<String, i32>>,
}

impl Qrels {
    /// Records a judgment; a repeated (query, document) pair keeps the last grade.
    pub fn insert(&mut self, qid: &str, docid: &str, rel: i32) {
        self.by_query
            .entry(qid.to_string())
            .or_default()
            .insert(docid.to_string(), rel);
    }

    /// The judgments of one query.
    pub fn get(&self, qid: &str) -> Option<&BTreeMap<String, i32>> {
        self.by_query.get(qid)
    }

    /// Whether the query has at least one relevant (grade > 0) document.
    pub fn has_relevant(&self, qid: &str) -> bool {
        self.get(qid).is_some_and(|j| j.values().any(|&r| r > 0))
    }

    /// The queries with at least one relevant judgment, in their order: those a run answers.
    pub fn judged<'q>(&self, queries: &'q [EvalQuery]) -> Vec<&'q EvalQuery> {
        queries
            .iter()
            .filter(|q| self.has_relevant(&q.id))
            .collect()
    }

    /// Number of judged queries.
    pub fn len(&self) -> usize {
        self.by_query.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_query.is_empty()
    }
}

/// The four measures, for one query or averaged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
    pub map: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryMetrics {
    pub qid: String,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Averages over the queries with at least one relevant judgment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    #[serde(flatten)]
    pub mean: Metrics,
    /// Queries averaged.
    pub queries: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_query: Option<Vec<QueryMetrics>>,
    /// Queries with no relevant judgment: not run, not averaged.
    #[serde(skip)]
    pub unjudged: usize,
    /// Queries with a relevant judgment that the queries file lacks.
    #[serde(skip)]
    pub missing: usize,
}

#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// `None` keeps the schema's default.
    pub recency_weight: Option<f32>,
    pub per_query: bool,
    /// Read the query text as the search box does (an id, syntax or words) instead of as
    /// plain words.
    pub as_typed: bool,
    /// `None`: `any` for plain words (the measured BM25), `auto` as typed.
    pub match_mode: Option<crate::search::MatchMode>,
}

/// The ranked results of every query run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    pub queries: Vec<QueryRun>,
    /// Queries skipped for want of a relevant judgment.
    pub unjudged: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryRun {
    pub qid: String,
    /// (paper id, score), best first.
    pub hits: Vec<(String, f32)>,
}

impl Run {
    /// Writes the run in TREC format: `qid Q0 docid rank score tag`, ranks from 1.
    pub fn write_trec(&self, out: &mut impl Write, tag: &str) -> std::io::Result<()> {
        for q in &self.queries {
            for (i, (doc, score)) in q.hits.iter().enumerate() {
                writeln!(out, "{} Q0 {doc} {} {score} {tag}", q.qid, i + 1)?;
            }
        }
        Ok(())
    }
}

/// Runs the queries and scores them (`run` then `score`).
pub fn evaluate(
    engine: &Engine,
    queries: &[EvalQuery],
    qrels: &Qrels,
    opts: &EvalOptions,
) -> Result<EvalReport> {
    Ok(score(
        &run(engine, queries, qrels, opts)?,
        qrels,
        opts.per_query,
    ))
}

/// Searches every query that has a relevant judgment, in plain mode (claims are prose, not
/// query syntax), without facets, for the top `DEPTH` papers.
pub fn run(
    engine: &Engine,
    queries: &[EvalQuery],
    qrels: &Qrels,
    opts: &EvalOptions,
) -> Result<Run> {
    let limit = DEPTH.min(engine.schema().limits.max_limit);
    let judged = qrels.judged(queries);
    let runs = judged
        .par_iter()
        .map(|q| {
            let response = engine.search(&SearchRequest {
                q: q.text.clone(),
                plain: !opts.as_typed,
                match_mode: opts.match_mode,
                facets: Some(false),
                snippets: Some(false),
                limit: Some(limit),
                recency_weight: opts.recency_weight,
                ..SearchRequest::default()
            })?;
            Ok(QueryRun {
                qid: q.id.clone(),
                hits: response
                    .hits
                    .into_iter()
                    .map(|h| (h.id, h.score.unwrap_or(0.0)))
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Run {
        queries: runs,
        unjudged: queries.len() - judged.len(),
    })
}

/// Scores a run against the judgments; queries without a relevant judgment are left out.
pub fn score(run: &Run, qrels: &Qrels, per_query: bool) -> EvalReport {
    let mut rows = Vec::new();
    let mut ran = HashSet::new();
    for q in &run.queries {
        ran.insert(q.qid.as_str());
        let Some(judged) = qrels.get(&q.qid) else {
            continue;
        };
        let ids: Vec<&str> = q.hits.iter().map(|(id, _)| id.as_str()).collect();
        if let Some(metrics) = metrics(&ids, judged) {
            rows.push(QueryMetrics {
                qid: q.qid.clone(),
                metrics,
            });
        }
    }
    let n = rows.len();
    let mean = |f: fn(&Metrics) -> f64| {
        if n == 0 {
            0.0
        } else {
            rows.iter().map(|r| f(&r.metrics)).sum::<f64>() / n as f64
        }
    };
    let mean = Metrics {
        ndcg_10: mean(|m| m.ndcg_10),
        mrr_10: mean(|m| m.mrr_10),
        recall_100: mean(|m| m.recall_100),
        map: mean(|m| m.map),
    };
    let missing = qrels
        .by_query
        .keys()
        .filter(|qid| qrels.has_relevant(qid) && !ran.contains(qid.as_str()))
        .count();
    EvalReport {
        mean,
        queries: n,
        per_query: per_query.then_some(rows),
        unjudged: run.unjudged,
        missing,
    }
}

/// The measures of one ranking (distinct ids, best first) against one query's judgments;
/// `None` when the query has no relevant document. Gains are the grades (linear, negative
/// grades count 0) with a log2(rank + 1) discount, the ideal ranking coming from the
/// judgments; average precision divides by every relevant document, retrieved or not.
pub fn metrics(ranking: &[&str], judged: &BTreeMap<String, i32>) -> Option<Metrics> {
    let relevant = judged.values().filter(|&&r| r > 0).count();
    if relevant == 0 {
        return None;
    }
    let discount = |i: usize| ((i + 2) as f64).log2();
    let mut ideal: Vec<i32> = judged.values().copied().filter(|&r| r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &r)| r as f64 / discount(i))
        .sum();
    let (mut dcg, mut first_rank, mut found_100, mut found, mut precision_sum) =
        (0.0, None, 0, 0, 0.0);
    let mut seen = HashSet::new();
    for (i, id) in ranking.iter().enumerate() {
        // A repeated id was found already: it gains nothing the second time.
        let rel = if seen.insert(*id) {
            judged.get(*id).copied().unwrap_or(0).max(0)
        } else {
            0
        };
        if rel == 0 {
            continue;
        }
        if i < 10 {
            dcg += rel as f64 / discount(i);
            first_rank.get_or_insert(i + 1);
        }
        if i < 100 {
            found_100 += 1;
        }
        found += 1;
        precision_sum += found as f64 / (i + 1) as f64;
    }
    Some(Metrics {
        ndcg_10: dcg / idcg,
        mrr_10: first_rank.map_or(0.0, |r| 1.0 / r as f64),
        recall_100: found_100 as f64 / relevant as f64,
        map: precision_sum / relevant as f64,
    })
}

/// Reads a queries file (see `parse_queries`).
pub fn load_queries(path: &Path) -> Result<Vec<EvalQuery>> {
    parse_queries(&read_text(path)?, &path.display().to_string())
}

/// Reads a qrels file (see `parse_qrels`).
pub fn load_qrels(path: &Path) -> Result<Qrels> {
    parse_qrels(&read_text(path)?, &path.display().to_string())
}

/// Reads a TREC run file (see `parse_run`).
pub fn load_run(path: &Path, queries: &[EvalQuery], qrels: &Qrels) -> Result<Run> {
    parse_run(
        &read_text(path)?,
        &path.display().to_string(),
        queries,
        qrels,
    )
}

/// A run from a TREC run file (`qid Q0 docid rank score tag`, whatever engine wrote it), in
/// the shape `run` returns, so any engine's rankings are scored by the same code. Each
/// query's documents are ordered by score, higher first, then by rank; a repeated document
/// keeps its best place. Every query of `queries` with a relevant judgment is in the run,
/// with no hits if the file has none for it (it scores 0 rather than being left out).
pub fn parse_run(text: &str, origin: &str, queries: &[EvalQuery], qrels: &Qrels) -> Result<Run> {
    let mut by_query: HashMap<&str, Vec<(f32, u64, &str)>> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let bad = |reason: String| Error::BadInput(format!("{origin}:{n}: {reason}"));
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [qid, _q0, docid, rank, score, ..] = fields[..] else {
            return Err(bad(format!(
                "expected `qid Q0 docid rank score tag`, found {} field(s)",
                fields.len()
            )));
        };
        let rank: u64 = rank
            .parse()
            .map_err(|_| bad(format!("rank `{rank}` is not a whole number")))?;
        let score: f32 = score
            .parse()
            .ok()
            .filter(|s: &f32| s.is_finite())
            .ok_or_else(|| bad(format!("score `{score}` is not a number")))?;
        by_query.entry(qid).or_default().push((score, rank, docid));
    }
    let judged = qrels.judged(queries);
    let runs = judged
        .iter()
        .map(|q| {
            let mut docs = by_query.remove(q.id.as_str()).unwrap_or_default();
            docs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut seen = HashSet::new();
            QueryRun {
                qid: q.id.clone(),
                hits: docs
                    .into_iter()
                    .filter(|(_, _, doc)| seen.insert(*doc))
                    .map(|(score, _, doc)| (doc.to_string(), score))
                    .collect(),
            }
        })
        .collect();
    Ok(Run {
        queries: runs,
        unjudged: queries.len() - judged.len(),
    })
}

/// Queries from BEIR `queries.jsonl` (`{"_id", "text", ...}` per line; chosen when the first
/// non-blank line starts with `{`) or TSV `id<TAB>text` (a `query-id`/`qid`/`id` header line
/// is skipped). `origin` names the file in errors, which read `origin:line: reason`.
pub fn parse_queries(text: &str, origin: &str) -> Result<Vec<EvalQuery>> {
    let jsonl = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let mut out = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut data_lines = 0;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let bad = |reason: String| Error::BadInput(format!("{origin}:{n}: {reason}"));
        if line.trim().is_empty() {
            continue;
        }
        data_lines += 1;
        let (id, query) = if jsonl {
            let v: Value =
                serde_json::from_str(line).map_err(|e| bad(format!("invalid JSON ({e})")))?;
            let id = match v.get("_id") {
                Some(Value::String(s)) => s.trim().to_string(),
                Some(Value::Number(num)) => num.to_string(),
                _ => return Err(bad("no `_id` string".into())),
            };
            let Some(Value::String(query)) = v.get("text") else {
                return Err(bad("no `text` string".into()));
            };
            (id, query.clone())
        } else {
            let Some((id, query)) = line.split_once('\t') else {
                return Err(bad("expected `id<TAB>text`".into()));
            };
            let id = id.trim();
            if data_lines == 1 && is_header(id, &["query-id", "query_id", "qid", "_id", "id"]) {
                continue;
            }
            (id.to_string(), query.trim().to_string())
        };
        if id.is_empty() {
            return Err(bad("empty query id".into()));
        }
        if let Some(first) = first_line.insert(id.clone(), n) {
            return Err(bad(format!(
                "duplicate query id `{id}` (first on line {first})"
            )));
        }
        out.push(EvalQuery { id, text: query });
    }
    if out.is_empty() {
        return Err(Error::BadInput(format!("{origin}: no queries")));
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QrelsFormat {
    /// `query-id<TAB>corpus-id<TAB>score`, usually under that header.
    Beir,
    /// `qid iteration docid rel`, whitespace separated.
    Trec,
}

/// Judgments from a BEIR qrels TSV (`query-id\tcorpus-id\tscore`, header optional) or a TREC
/// qrels file (`qid 0 docid rel`); the first non-blank line decides which. Errors read
/// `origin:line: reason`.
pub fn parse_qrels(text: &str, origin: &str) -> Result<Qrels> {
    let mut qrels = Qrels::default();
    let mut format = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let bad = |reason: String| Error::BadInput(format!("{origin}:{n}: {reason}"));
        if line.trim().is_empty() {
            continue;
        }
        let tabbed: Vec<&str> = line.split('\t').map(str::trim).collect();
        let fmt = match format {
            Some(f) => f,
            None => {
                let detected = if tabbed.len() == 3 {
                    QrelsFormat::Beir
                } else if line.split_whitespace().count() == 4 {
                    QrelsFormat::Trec
                } else {
                    return Err(bad(
                        "not a qrels line: expected `query-id<TAB>corpus-id<TAB>score` (BEIR) \
                         or `qid 0 docid rel` (TREC)"
                            .into(),
                    ));
                };
                format = Some(detected);
                if detected == QrelsFormat::Beir && is_header(tabbed[0], &["query-id"]) {
                    continue;
                }
                detected
            }
        };
        let (qid, docid, rel) = match fmt {
            QrelsFormat::Beir => {
                let [qid, docid, rel] = tabbed[..] else {
                    return Err(bad(format!(
                        "expected 3 tab-separated fields (query-id, corpus-id, score), found {}",
                        tabbed.len()
                    )));
                };
                (qid, docid, rel)
            }
            QrelsFormat::Trec => {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let [qid, _iteration, docid, rel] = fields[..] else {
                    return Err(bad(format!(
                        "expected 4 fields (qid, iteration, docid, relevance), found {}",
                        fields.len()
                    )));
                };
                (qid, docid, rel)
            }
        };
        if qid.is_empty() || docid.is_empty() {
            return Err(bad("empty query or document id".into()));
        }
        let rel: i32 = rel
            .parse()
            .map_err(|_| bad(format!("relevance `{rel}` is not an integer")))?;
        qrels.insert(qid, docid, rel);
    }
    if qrels.is_empty() {
        return Err(Error::BadInput(format!("{origin}: no judgments")));
    }
    Ok(qrels)
}

fn is_header(first_field: &str, names: &[&str]) -> bool {
    names.iter().any(|h| first_field.eq_ignore_ascii_case(h))
}

/// A file's text; a missing file or invalid UTF-8 is the caller's mistake (`BadInput`).
fn read_text(path: &Path) -> Result<String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::BadInput(format!("{}: no such file", path.display())))
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::BadInput(format!("{}:{line}: invalid UTF-8", path.display()))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
        pairs.iter().map(|&(d, r)| (d.to_string(), r)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn perfect_ranking_scores_one_everywhere() {
        let j = judged(&[("a", 2), ("b", 1), ("x", 0)]);
        let m = metrics(&["a", "b", "x", "y"], &j).unwrap();
        assert_eq!(
            m,
            Metrics {
                ndcg_10: 1.0,
                mrr_10: 1.0,
                recall_100: 1.0,
                map: 1.0
            }
        );
    }

    #[test]
    fn nothing_relevant_retrieved_scores_zero() {
        let j = judged(&[("a", 1), ("b", 1)]);
        let m = metrics(&["x", "y", "z"], &j).unwrap();
        assert_eq!(m, Metrics::default());
        // An empty ranking (a query that matched nothing) too.
        assert_eq!(metrics(&[], &j).unwrap(), Metrics::default());
    }

    #[test]
    fn graded_relevance_hand_computed() {
        // Grades: a=2, b=1, c=1 (c never retrieved). Ranking: x, b, a.
        // DCG@10  = 0/log2(2) + 1/log2(3) + 2/log2(4) = 0.6309297536 + 1.0 = 1.6309297536
        // IDCG@10 = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.6309297536 + 0.5 = 3.1309297536
        // nDCG@10 = 1.6309297536 / 3.1309297536 = 0.5209090...
        // MRR@10  = 1/2 (b at rank 2)
        // R@100   = 2 found / 3 relevant
        // AP      = (1/2 + 2/3) / 3 = 0.3888...
        let j = judged(&[("a", 2), ("b", 1), ("c", 1)]);
        let m = metrics(&["x", "b", "a"], &j).unwrap();
        let ln3 = 3f64.log2();
        let want_ndcg = (1.0 / ln3 + 1.0) / (2.0 + 1.0 / ln3 + 0.5);
        assert!(close(m.ndcg_10, want_ndcg), "{m:?}");
        assert!((m.ndcg_10 - 0.52091).abs() < 1e-5, "{m:?}");
        assert!(close(m.mrr_10, 0.5), "{m:?}");
        assert!(close(m.recall_100, 2.0 / 3.0), "{m:?}");
        assert!(close(m.map, (0.5 + 2.0 / 3.0) / 3.0), "{m:?}");
    }

    #[test]
    fn cutoffs_apply_at_10_and_100_but_map_reads_the_whole_ranking() {
        // One relevant doc, at rank 11: outside nDCG@10 and MRR@10, inside R@100; AP = 1/11.
        let mut ranking: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
        ranking.push("r".into());
        let ids: Vec<&str> = ranking.iter().map(String::as_str).collect();
        let j = judged(&[("r", 1)]);
        let m = metrics(&ids, &j).unwrap();
        assert_eq!((m.ndcg_10, m.mrr_10, m.recall_100), (0.0, 0.0, 1.0));
        assert!(close(m.map, 1.0 / 11.0), "{m:?}");
        // At rank 101: R@100 = 0, AP = 1/101.
        let mut ranking: Vec<String> = (0..100).map(|i| format!("n{i}")).collect();
        ranking.push("r".into());
        let ids: Vec<&str> = ranking.iter().map(String::as_str).collect();
        let m = metrics(&ids, &j).unwrap();
        assert_eq!(m.recall_100, 0.0);
        assert!(close(m.map, 1.0 / 101.0), "{m:?}");
    }

    #[test]
    fn a_repeated_id_counts_once() {
        let j = judged(&[("a", 1), ("b", 1)]);
        let m = metrics(&["a", "a", "a"], &j).unwrap();
        // Only one of two relevant docs found: R@100 = 1/2, AP = (1/1) / 2.
        assert!(close(m.recall_100, 0.5) && close(m.map, 0.5), "{m:?}");
    }

    #[test]
    fn queries_without_relevant_judgments_are_skipped() {
        assert_eq!(metrics(&["a"], &judged(&[("a", 0)])), None);
        let mut qrels = Qrels::default();
        qrels.insert("q1", "a", 1);
        qrels.insert("q2", "b", 0); // judged, nothing relevant
        qrels.insert("q3", "c", 1); // relevant, but never run
        let hits = |ids: &[&str]| ids.iter().map(|d| (d.to_string(), 1.0)).collect();
        let run = Run {
            queries: vec![
                QueryRun {
                    qid: "q1".into(),
                    hits: hits(&["a"]),
                },
                QueryRun {
                    qid: "q2".into(),
                    hits: hits(&["b"]),
                },
                QueryRun {
                    qid: "q9".into(), // no judgments at all
                    hits: hits(&["a"]),
                },
            ],
            unjudged: 0,
        };
        let report = score(&run, &qrels, true);
        // Only q1 counts: its perfect ranking is the mean.
        assert_eq!(report.queries, 1);
        assert_eq!(report.mean.map, 1.0);
        assert_eq!(report.missing, 1);
        let per_query = report.per_query.unwrap();
        assert_eq!(per_query.len(), 1);
        assert_eq!(per_query[0].qid, "q1");
    }

    #[test]
    fn mean_is_over_judged_queries() {
        // q1 perfect (all 1.0); q2 relevant doc at rank 2: nDCG = (1/log2(3)) / 1 = 0.6309...,
        // MRR = 1/2, R@100 = 1, AP = 1/2. Means: MRR (1 + 0.5)/2 = 0.75, MAP 0.75, R@100 1.
        let mut qrels = Qrels::default();
        qrels.insert("q1", "a", 1);
        qrels.insert("q2", "b", 1);
        let run = Run {
            queries: vec![
                QueryRun {
                    qid: "q1".into(),
                    hits: vec![("a".into(), 2.0)],
                },
                QueryRun {
                    qid: "q2".into(),
                    hits: vec![("a".into(), 2.0), ("b".into(), 1.0)],
                },
            ],
            unjudged: 3,
        };
        let r = score(&run, &qrels, false);
        assert_eq!(r.queries, 2);
        assert!(close(r.mean.mrr_10, 0.75) && close(r.mean.map, 0.75));
        assert!(close(r.mean.recall_100, 1.0));
        assert!(close(r.mean.ndcg_10, (1.0 + 1.0 / 3f64.log2()) / 2.0));
        assert_eq!(r.per_query, None);
        assert_eq!(r.unjudged, 3);
        let json = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, ["map", "mrr@10", "ndcg@10", "queries", "recall@100"]);
    }

    #[test]
    fn trec_run_lines() {
        let run = Run {
            queries: vec![QueryRun {
                qid: "q1".into(),
                hits: vec![("d1".into(), 3.5), ("d2".into(), 1.25)],
            }],
            unjudged: 0,
        };
        let mut out = Vec::new();
        run.write_trec(&mut out, "paperdex").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "q1 Q0 d1 1 3.5 paperdex\nq1 Q0 d2 2 1.25 paperdex\n"
        );
    }

    #[test]
    fn a_written_run_reads_back_the_same() {
        let queries = parse_queries("q1\ta\nq2\tb\n", "q.tsv").unwrap();
        let mut qrels = Qrels::default();
        qrels.insert("q1", "d1", 1);
        qrels.insert("q2", "d9", 1);
        let run = Run {
            queries: vec![
                QueryRun {
                    qid: "q1".into(),
                    hits: vec![("d1".into(), 3.5), ("d2".into(), 1.25)],
                },
                QueryRun {
                    qid: "q2".into(),
                    hits: vec![("d3".into(), 0.5)],
                },
            ],
            unjudged: 0,
        };
        let mut out = Vec::new();
        run.write_trec(&mut out, "x").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(parse_run(&text, "r", &queries, &qrels).unwrap(), run);
    }

    #[test]
    fn run_files_are_ordered_by_score_and_every_judged_query_counts() {
        let queries = parse_queries("q1\ta\nq2\tb\nq3\tc\n", "q.tsv").unwrap();
        let mut qrels = Qrels::default();
        qrels.insert("q1", "d1", 1);
        qrels.insert("q2", "d2", 1);
        // Out of order, a repeated document, an unjudged query (q3) and a query the run
        // never answered (q2).
        let text = "q1 Q0 d2 1 1.0 x\nq1 Q0 d1 2 2.0 x\nq1 Q0 d2 3 0.5 x\nq3 Q0 d7 1 9 x\n";
        let run = parse_run(text, "r", &queries, &qrels).unwrap();
        assert_eq!(run.unjudged, 1);
        assert_eq!(run.queries.len(), 2);
        assert_eq!(
            run.queries[0].hits,
            [("d1".into(), 2.0), ("d2".into(), 1.0)]
        );
        assert!(run.queries[1].hits.is_empty());
        let report = score(&run, &qrels, false);
        assert_eq!(report.queries, 2);
        assert!(close(report.mean.mrr_10, 0.5), "{:?}", report.mean);
    }

    #[test]
    fn bad_run_lines_name_file_and_line() {
        let queries = parse_queries("q1\ta\n", "q.tsv").unwrap();
        let qrels = parse_qrels("q1 0 d1 1\n", "qrels").unwrap();
        for (text, needle) in [
            (
                "q1 Q0 d1 1 1.0 x\nq1 Q0 d2\n",
                "run.txt:2: expected `qid Q0 docid rank score tag`",
            ),
            ("q1 Q0 d1 first 1.0 x\n", "run.txt:1: rank `first`"),
            ("q1 Q0 d1 1 NaN x\n", "run.txt:1: score `NaN`"),
        ] {
            let err = parse_run(text, "run.txt", &queries, &qrels)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn queries_from_jsonl_and_tsv() {
        let jsonl = "{\"_id\": \"1\", \"text\": \"0-dimensional biomaterials\", \"metadata\": {}}\n\n{\"_id\": 7, \"text\": \"b\"}\n";
        let q = parse_queries(jsonl, "q.jsonl").unwrap();
        assert_eq!(
            q,
            [
                EvalQuery {
                    id: "1".into(),
                    text: "0-dimensional biomaterials".into()
                },
                EvalQuery {
                    id: "7".into(),
                    text: "b".into()
                }
            ]
        );
        let tsv = "query-id\ttext\nq1\tALDH1 (in breast cancer): a \"study\"\r\nq2\tx\n";
        let q = parse_queries(tsv, "q.tsv").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].id, "q1");
        assert_eq!(q[0].text, "ALDH1 (in breast cancer): a \"study\"");
        assert_eq!(q[1].text, "x");
    }

    #[test]
    fn bad_query_lines_name_file_and_line() {
        let cases = [
            (
                "{\"_id\": \"1\", \"text\": \"a\"}\n{\"_id\": \"2\"\n",
                "q:2: invalid JSON",
            ),
            (
                "{\"_id\": \"1\", \"text\": \"a\"}\n\n{\"text\": \"b\"}\n",
                "q:3: no `_id`",
            ),
            ("{\"_id\": \"1\"}\n", "q:1: no `text`"),
            ("a\tx\nb x\n", "q:2: expected `id<TAB>text`"),
            (
                "a\tx\na\ty\n",
                "q:2: duplicate query id `a` (first on line 1)",
            ),
            ("\n\n", "q: no queries"),
        ];
        for (text, want) in cases {
            let err = parse_queries(text, "q").unwrap_err();
            assert!(matches!(err, Error::BadInput(_)), "{err:?}");
            assert!(err.to_string().starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn qrels_beir_and_trec() {
        let beir = "query-id\tcorpus-id\tscore\n1\t31715818\t1\n1\t14717500\t2\n3\t99\t0\n";
        let q = parse_qrels(beir, "test.tsv").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q.get("1").unwrap()["14717500"], 2);
        assert!(q.has_relevant("1") && !q.has_relevant("3"));
        // Headerless BEIR too.
        assert_eq!(
            parse_qrels("1\td\t1\n", "t").unwrap().get("1").unwrap()["d"],
            1
        );
        let trec = "401 0 FBIS3-10082 1\n401  0\tFBIS3-10169 0\n\n402 0 FT921-7107 2\n";
        let q = parse_qrels(trec, "qrels.trec").unwrap();
        assert_eq!(q.get("401").unwrap().len(), 2);
        assert_eq!(q.get("402").unwrap()["FT921-7107"], 2);
    }

    #[test]
    fn bad_qrels_lines_name_file_and_line() {
        let cases = [
            (
                "query-id\tcorpus-id\tscore\n1\td\n",
                "t:2: expected 3 tab-separated fields",
            ),
            (
                "query-id\tcorpus-id\tscore\n1\td\thigh\n",
                "t:2: relevance `high`",
            ),
            ("1 0 d 1\n1 0 d\n", "t:2: expected 4 fields"),
            ("1 0 d 1.5\n", "t:1: relevance `1.5`"),
            ("just one field\n", "t:1: not a qrels line"),
            ("query-id\tcorpus-id\tscore\n", "t: no judgments"),
        ];
        for (text, want) in cases {
            let err = parse_qrels(text, "t").unwrap_err();
            assert!(matches!(err, Error::BadInput(_)), "{err:?}");
            assert!(err.to_string().starts_with(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn missing_file_and_bad_utf8_are_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.tsv");
        let err = load_qrels(&missing).unwrap_err();
        assert!(matches!(err, Error::BadInput(_)), "{err:?}");
        assert!(err.to_string().contains("nope.tsv: no such file"), "{err}");
        let bad = dir.path().join("bad.tsv");
        std::fs::write(&bad, b"q1\tok\nq2\t\xff\n").unwrap();
        let err = load_queries(&bad).unwrap_err();
        assert!(
            err.to_string().ends_with("bad.tsv:2: invalid UTF-8"),
            "{err}"
        );
    }
}

/// How alike `Engine::similar`'s lists are to the papers they start from, by two measures
/// that need no new judgments.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SimilarReport {
    pub method: crate::search::SimilarMethod,
    /// Share of the top-5 similar papers whose primary topic (first topic) is that of the
    /// paper they were asked for, over `topic_papers` sampled papers with a topic.
    pub topic_agreement: Option<f64>,
    pub topic_papers: usize,
    /// For every ordered pair (a, b) of papers judged relevant to the same query: how often b
    /// is in a's top 10 similar papers (`co_relevant_pairs` pairs).
    pub co_relevance_recall10: Option<f64>,
    pub co_relevant_pairs: usize,
}

/// `sample` papers picked evenly at random (a fixed seed, so runs compare) among those with a
/// topic, and the share of their top 5 similar papers that share their primary topic.
pub fn similar_topic_agreement(
    engine: &Engine,
    sample: usize,
    method: crate::search::SimilarMethod,
) -> Result<(f64, usize)> {
    let idx = engine.raw();
    let searcher = idx.reader.searcher();
    // Every paper with a topic, in id order, so the sample does not depend on how the
    // index happens to be split into segments.
    let mut papers = Vec::new();
    for reader in searcher.segment_readers() {
        let store = reader
            .get_store_reader(64)
            .map_err(|e| Error::Index(e.into()))?;
        for doc in reader.doc_ids_alive() {
            let paper = idx.paper_of(&store.get(doc)?)?;
            if let Some(primary) = paper.topics.first().cloned() {
                papers.push((paper.id, primary));
            }
        }
    }
    papers.sort();
    // A fixed-seed shuffle (xorshift), so the same papers give the same sample.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..papers.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        papers.swap(i, (state % (i as u64 + 1)) as usize);
    }
    papers.truncate(sample);
    let picked = papers;
    let shares = picked
        .par_iter()
        .map(|(id, primary)| {
            let hits = engine.raw().similar_by(id, 5, method)?.hits;
            let same = hits
                .iter()
                .filter(|h| h.topics.first() == Some(primary))
                .count();
            Ok((same, hits.len()))
        })
        .collect::<Result<Vec<_>>>()?;
    let (same, all) = shares
        .iter()
        .fold((0, 0), |(s, a), (s2, a2)| (s + s2, a + a2));
    Ok((same as f64 / all.max(1) as f64, picked.len()))
}

/// Over every ordered pair (a, b) of indexed papers judged relevant (grade > 0) to the same
/// query, the share where b is among a's top 10 similar papers; and the number of pairs.
pub fn similar_co_relevance(
    engine: &Engine,
    qrels: &Qrels,
    method: crate::search::SimilarMethod,
) -> Result<(f64, usize)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for judged in qrels.by_query.values() {
        let relevant: Vec<&String> = judged
            .iter()
            .filter(|(_, &r)| r > 0)
            .map(|(d, _)| d)
            .collect();
        for a in &relevant {
            for b in &relevant {
                if a != b {
                    pairs.push(((*a).clone(), (*b).clone()));
                }
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    let mut tops: HashMap<String, HashSet<String>> = HashMap::new();
    let sources: Vec<&String> = {
        let mut s: Vec<&String> = pairs.iter().map(|(a, _)| a).collect();
        s.dedup();
        s
    };
    let found = sources
        .par_iter()
        .map(|a| match engine.raw().similar_by(a, 10, method) {
            Ok(r) => Ok(Some((
                (*a).clone(),
                r.hits.into_iter().map(|h| h.id).collect(),
            ))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        })
        .collect::<Result<Vec<_>>>()?;
    tops.extend(found.into_iter().flatten());
    // Pairs whose first paper is not in the index are not counted.
    let pairs: Vec<_> = pairs.iter().filter(|(a, _)| tops.contains_key(a)).collect();
    let hit = pairs
        .iter()
        .filter(|(a, b)| tops.get(a).is_some_and(|t| t.contains(b)))
        .count();
    Ok((hit as f64 / pairs.len().max(1) as f64, pairs.len()))
}

/// Both measures for one method; `qrels` None skips co-relevance.
pub fn evaluate_similar(
    engine: &Engine,
    sample: usize,
    qrels: Option<&Qrels>,
    method: crate::search::SimilarMethod,
) -> Result<SimilarReport> {
    let (agreement, topic_papers) = similar_topic_agreement(engine, sample, method)?;
    let (co, co_relevant_pairs) = match qrels {
        Some(q) => {
            let (r, n) = similar_co_relevance(engine, q, method)?;
            (Some(r), n)
        }
        None => (None, 0),
    };
    Ok(SimilarReport {
        method,
        topic_agreement: (topic_papers > 0).then_some(agreement),
        topic_papers,
        co_relevance_recall10: co.filter(|_| co_relevant_pairs > 0),
        co_relevant_pairs,
    })
}
