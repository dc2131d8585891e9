//! Similar papers: a weighted bag of the terms a paper is about, matched over the index with
//! BM25, with a preference for papers that share its primary topic.
//!
//! The terms are those of the paper's title and abstract that are neither unique to it (a
//! document-frequency floor: a word no other paper has finds nothing) nor in a large share of
//! all papers (a ceiling: "model", "we"), ranked by their BM25 weight in the paper (title words
//! counted twice), the best `MAX_TERMS` kept. Each term's boost in the query is its term
//! frequency saturated as BM25 does, without the idf: the candidates' BM25 brings the idf in
//! once, where tantivy's MoreLikeThis multiplies it in twice and so lets the rarest word, often
//! a system's name, decide the list.

use std::collections::HashMap;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, OwnedValue};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use crate::analysis::terms;
use crate::error::{Error, Result};
use crate::index::PaperIndex;
use crate::paper::Paper;

/// How the papers like a paper are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimilarMethod {
    /// The weighted terms the paper is about, same primary topic preferred (the default).
    Terms,
    /// tantivy's MoreLikeThis over title and abstract (paperdex before issue 21).
    MoreLikeThis,
    /// The paper's title searched as words, any of them.
    Title,
}

impl std::str::FromStr for SimilarMethod {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<SimilarMethod, String> {
        match s {
            "terms" => Ok(SimilarMethod::Terms),
            "more-like-this" | "mlt" => Ok(SimilarMethod::MoreLikeThis),
            "title" => Ok(SimilarMethod::Title),
            other => Err(format!(
                "similar method must be terms, more-like-this or title, got `{other}`"
            )),
        }
    }
}

/// Most terms the query keeps. These three were chosen on a grid (BENCHMARKS.md, "Similar
/// papers"): 25/40/60 terms, ceilings 5/12/30%, topic factors 1.0/1.2/1.5.
const MAX_TERMS: usize = 60;
/// A term must be in at least this many papers (the paper itself and one other).
const MIN_DOC_FREQ: u64 = 2;
/// ... and in at most this share of them.
const MAX_DOC_SHARE: f64 = 0.3;
/// Score factor for a paper that shares the paper's primary topic: a preference, not a
/// filter (1.5 raised topic agreement further, by crowding out cross-topic neighbours).
const SAME_TOPIC_BOOST: f32 = 1.2;
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The query whose matches are like `paper` (itself included).
pub(crate) fn like_query(
    idx: &PaperIndex,
    searcher: &Searcher,
    paper: &Paper,
    method: SimilarMethod,
) -> Result<Box<dyn Query>> {
    match method {
        SimilarMethod::Terms => terms_query(idx, searcher, paper),
        SimilarMethod::Title => super::query::QueryBuilder::new(idx, &paper.title).build_plain(),
        SimilarMethod::MoreLikeThis => {
            let text = |field, value: &str| (field, vec![OwnedValue::Str(value.to_string())]);
            Ok(Box::new(
                MoreLikeThisQuery::builder()
                    .with_min_doc_frequency(1)
                    .with_min_term_frequency(1)
                    .with_max_query_terms(25)
                    .with_min_word_length(3)
                    .with_document_fields(vec![
                        text(idx.fields.title, &paper.title),
                        text(idx.fields.abstract_text, &paper.abstract_text),
                    ]),
            ))
        }
    }
}

fn terms_query(idx: &PaperIndex, searcher: &Searcher, paper: &Paper) -> Result<Box<dyn Query>> {
    let field = idx.fields.abstract_text;
    let mut analyzer = idx.index.tokenizer_for_field(field).map_err(Error::Index)?;
    let mut tf: HashMap<String, u32> = HashMap::new();
    let title = terms(&mut analyzer, &paper.title);
    let body = terms(&mut analyzer, &paper.abstract_text);
    let length = (title.len() + body.len()) as f64;
    // Title words twice: once as the abstract field holds them, once for being the title.
    for t in title.iter().chain(&title).chain(&body) {
        *tf.entry(t.clone()).or_default() += 1;
    }
    let n = searcher.num_docs().max(1) as f64;
    let mut tokens = 0u64;
    for reader in searcher.segment_readers() {
        tokens += reader.inverted_index(field)?.total_num_tokens();
    }
    let avg_len = (tokens as f64 / n).max(1.0);
    let norm = K1 * (1.0 - B + B * length / avg_len);
    let mut weighted: Vec<(f64, f64, Term)> = Vec::new();
    for (text, freq) in tf {
        // Single characters and bare numbers say little about a topic.
        if text.chars().count() < 2 || text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            continue;
        }
        let term = Term::from_field_text(field, &text);
        let df = searcher.doc_freq(&term)?;
        if df < MIN_DOC_FREQ || df as f64 > MAX_DOC_SHARE * n {
            continue;
        }
        let idf = (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
        let saturated = freq as f64 * (K1 + 1.0) / (freq as f64 + norm);
        weighted.push((saturated * idf, saturated, term));
    }
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2.cmp(&b.2)));
    weighted.truncate(MAX_TERMS);
    let clauses = weighted
        .into_iter()
        .map(|(_, boost, term)| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
            (
                Occur::Should,
                Box::new(BoostQuery::new(q, boost as f32)) as Box<dyn Query>,
            )
        })
        .collect();
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// The best `limit` matches of `query` and its total; with `Terms`, papers that share the
/// paper's primary topic (its first) have their score multiplied by `SAME_TOPIC_BOOST`.
pub(crate) fn top(
    idx: &PaperIndex,
    searcher: &Searcher,
    query: &dyn Query,
    paper: &Paper,
    method: SimilarMethod,
    limit: usize,
) -> Result<(Vec<(Score, DocAddress)>, usize)> {
    let primary = paper
        .topics
        .first()
        .filter(|_| method == SimilarMethod::Terms)
        .and_then(|t| Facet::from_text(t).ok());
    let executor = idx.search_executor();
    let Some(primary) = primary else {
        let top = (TopDocs::with_limit(limit).order_by_score(), Count);
        return Ok(searcher.search_with_executor(
            query,
            &top,
            executor,
            tantivy::query::EnableScoring::enabled_from_searcher(searcher),
        )?);
    };
    let key = primary.encoded_str().as_bytes().to_vec();
    let top = TopDocs::with_limit(limit).tweak_score(move |reader: &SegmentReader| {
        let topics = reader.facet_reader("topic").ok();
        let ord = topics
            .as_ref()
            .and_then(|t| t.facet_dict().term_ord(&key).ok().flatten());
        move |doc: DocId, score: Score| match (&topics, ord) {
            (Some(topics), Some(ord)) if topics.facet_ords(doc).any(|o| o == ord) => {
                score * SAME_TOPIC_BOOST
            }
            _ => score,
        }
    });
    Ok(searcher.search_with_executor(
        query,
        &(top, Count),
        executor,
        tantivy::query::EnableScoring::enabled_from_searcher(searcher),
    )?)
}
