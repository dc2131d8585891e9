//! Queries: parsing, topic/date filters, BM25 + recency ranking, facet counts and snippets.
//! `SearchRequest`/`SearchResponse` are the shapes every front door speaks.

mod count;
mod deadline;
pub mod facets;
mod query;
pub mod recency;
pub mod similar;
mod snippet;
mod top;
mod topics;
pub mod understand;

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{DocAddress, Executor, Order, Searcher, Term};
use time::Date;

use crate::error::{Error, Result};
use crate::index::{date_from_days, days_since_epoch, PaperIndex};
use crate::paper::Paper;
pub(crate) use deadline::Deadline;
pub use facets::FacetCounts;
use facets::FacetsCollector;
pub use recency::Recency;
pub use similar::SimilarMethod;
use snippet::Highlighter;
use top::BoostedTopDocs;
pub use understand::{paper_id, Interpreted, MatchMode, Matched, SyntaxMode};

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Relevance,
    Date,
}

/// Where recency ages are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The newest date in the index.
    Newest,
    Today,
    Date(Date),
}

impl std::str::FromStr for AsOf {
    type Err = Error;
    fn from_str(s: &str) -> Result<AsOf> {
        match s {
            "newest" => Ok(AsOf::Newest),
            "today" => Ok(AsOf::Today),
            other => parse_date(other).map(AsOf::Date),
        }
    }
}

/// A search, as given by any front door. Unset knobs take the schema file's defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchRequest {
    /// Query text: a paper id, words, or paperdex syntax; empty matches every paper.
    pub q: String,
    /// Takes `q` as plain words, nothing in it is syntax or an id; empty matches nothing. The
    /// match mode defaults to `any` (BM25 over any word, what `eval` measures).
    pub plain: bool,
    /// `strict`: text that does not parse as syntax is an error; `auto` (default) searches it
    /// as words and says so.
    pub syntax: SyntaxMode,
    /// `all`, `any` or `auto` (the default, `any` with `plain`): which papers the words select.
    #[serde(rename = "match")]
    pub match_mode: Option<MatchMode>,
    /// Facet path prefixes (`/arxiv/cs`); a paper matches if it has any of them.
    pub topic: Vec<String>,
    /// Inclusive date bounds, `YYYY-MM-DD`.
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<usize>,
    pub offset: usize,
    pub sort: SortOrder,
    /// 0 turns the boost off.
    pub recency_weight: Option<f32>,
    pub half_life: Option<f32>,
    /// `newest`, `today` or `YYYY-MM-DD`.
    pub as_of: Option<String>,
    /// Adds the score breakdown to each hit.
    pub explain: bool,
    /// Skips facet counting when false (faster).
    pub facets: Option<bool>,
    /// Skips snippets when false (faster: no abstract is re-analyzed; `snippet` is empty).
    pub snippets: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub authors: Vec<String>,
    pub date: Option<String>,
    pub topics: Vec<String>,
    pub url: Option<String>,
    /// Final score (BM25 x recency boost); null when sorted by date.
    pub score: Option<f32>,
    /// Best abstract fragment, plain text.
    pub snippet: String,
    /// Byte ranges of `snippet` that matched the query.
    pub highlights: Vec<[usize; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explain {
    pub bm25: f32,
    pub recency_boost: f32,
    pub age_days: Option<i64>,
    pub recency_weight: f32,
    pub half_life_days: f32,
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub query: String,
    /// How the text was read: `words`, `syntax`, `id` or `empty`.
    pub interpreted: Interpreted,
    /// Which papers `total` and the facets count: with `all` (or `any`) of the words, or
    /// `most` of them (every word ranked first) when too few papers have them all.
    pub matched: Matched,
    /// Sentences for a person: the text was cut, read as words, or relaxed to fewer words.
    #[serde(default)]
    pub notes: Vec<String>,
    pub total: usize,
    pub took_ms: f64,
    pub offset: usize,
    pub limit: usize,
    pub hits: Vec<Hit>,
    pub facets: FacetCounts,
}

pub fn parse_date(s: &str) -> Result<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), fmt)
        .map_err(|_| Error::InvalidRequest(format!("invalid date `{s}` (expected YYYY-MM-DD)")))
}

pub use crate::paper::format_date;

/// Ranked documents (score absent when sorted by date), total matches, facet counts.
type Collected = (Vec<(Option<f32>, DocAddress)>, usize, Option<FacetCounts>);

/// Per word, the terms whose postings hold it.
type WordTerms = Arc<[Vec<Term>]>;

/// One collection: the query, its terms when it is a union of them, the page, facets or not.
#[derive(Clone, Copy)]
struct Collect<'q> {
    query: &'q dyn Query,
    union: Option<&'q [Term]>,
    /// `query` is every word (an intersection).
    every: bool,
    /// With `every`, no filters: each word's terms, and the any-word query that scores them.
    every_terms: Option<(&'q WordTerms, &'q dyn Query)>,
    limit: usize,
    offset: usize,
    facets: bool,
    deadline: Deadline,
}

/// The validated form of a `SearchRequest`.
struct Plan {
    /// What the response lists and counts, with the filters: every word, or any, as asked.
    query: Box<dyn Query>,
    /// The user's query alone, any word (for snippets and explanations, and the scores).
    text_query: Box<dyn Query>,
    /// `auto` only: the words one by one (each over the default fields), or, for syntax, its
    /// reading with an implicit OR, to widen `query` to when too few papers match it.
    widen: Option<Widen>,
    filters: Vec<(Occur, Box<dyn Query>)>,
    limit: usize,
    offset: usize,
    recency: Option<Recency>,
    /// Set when `query` matches exactly the union of these terms' postings.
    union: Option<Vec<Term>>,
    /// The same for `text_query`, when it is such a union (and there are no filters).
    text_union: Option<Vec<Term>>,
    /// Whether `query` is the every-word (implicit AND) reading: an intersection.
    every: bool,
    /// Every word without filters: each word's terms (a paper with any of them has it).
    every_terms: Option<WordTerms>,
    interpreted: Interpreted,
    matched: Matched,
    notes: Vec<String>,
}

enum Widen {
    /// Papers with at least k of these clauses (k found by counting), and each clause's
    /// analyzed word.
    Terms(Vec<Box<dyn Query>>, Vec<String>),
    /// The syntax with an implicit OR.
    Any(Box<dyn Query>),
}

/// `query` with the filters (which score 0, so BM25 scores are those of the text alone).
fn filtered(query: Box<dyn Query>, filters: &[(Occur, Box<dyn Query>)]) -> Box<dyn Query> {
    if filters.is_empty() {
        return query;
    }
    let filter = Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(
            filters.iter().map(|(o, q)| (*o, q.box_clone())).collect(),
        )),
        0.0,
    ));
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, query),
        (Occur::Must, filter),
    ]))
}

impl PaperIndex {
    /// The tantivy query that scores the user's text (any word; syntax with its implicit OR),
    /// over the default fields with their boosts; a syntax error is an error.
    pub fn parse_query(&self, q: &str) -> Result<Box<dyn Query>> {
        Ok(query::QueryBuilder::new(self, q)
            .understand(false, SyntaxMode::Strict)?
            .any)
    }

    /// (title, abstract) when every title token is also an abstract token of the same paper:
    /// the abstract field indexes the title (`include_title`) with the title's analyzer.
    fn title_within_abstract(&self) -> Option<(Field, Field)> {
        let same =
            self.config.fields["title"].tokenizer == self.config.fields["abstract"].tokenizer;
        (self.fields.abstract_includes_title && same)
            .then_some((self.fields.title, self.fields.abstract_text))
    }

    /// Newest date among indexed papers, as days since the epoch.
    pub fn newest_days(&self, searcher: &Searcher) -> Option<i64> {
        self.date_range(searcher).map(|(_, newest)| newest)
    }

    fn plan(&self, req: &SearchRequest, searcher: &Searcher) -> Result<Plan> {
        let limits = &self.config.limits;
        let limit = req.limit.unwrap_or(limits.default_limit);
        if limit > limits.max_limit {
            return Err(Error::InvalidRequest(format!(
                "limit {limit} is over the maximum {}",
                limits.max_limit
            )));
        }
        if req.offset > limits.max_offset {
            return Err(Error::InvalidRequest(format!(
                "offset {} is over the maximum {}",
                req.offset, limits.max_offset
            )));
        }
        let mut understood =
            query::QueryBuilder::new(self, &req.q).understand(req.plain, req.syntax)?;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !req.topic.is_empty() {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for path in self.resolve_topics(&req.topic)? {
                let t = &path;
                let facet = Facet::from_text(&path)
                    .map_err(|e| Error::InvalidRequest(format!("invalid topic `{t}`: {e}")))?;
                let term = Term::from_facet(self.fields.topic, &facet);
                any.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
            filters.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let since = req.since.as_deref().map(parse_date).transpose()?;
        let until = req.until.as_deref().map(parse_date).transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(Error::InvalidRequest(format!(
                    "since {s} is after until {u}"
                )));
            }
        }
        if since.is_some() || until.is_some() {
            let bound = |d: Option<Date>| match d {
                Some(d) => Bound::Included(Term::from_field_i64(
                    self.fields.date_days,
                    days_since_epoch(d),
                )),
                None => Bound::Unbounded,
            };
            filters.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(since), bound(until))),
            ));
        }
        let mode = req.match_mode.unwrap_or(if req.plain {
            MatchMode::Any
        } else {
            MatchMode::Auto
        });
        // A pasted passage (an abstract) is no list of words to have them all: it asks for
        // papers like it, as any-word BM25 ranks them (and "at least k of 200 words" costs
        // seconds to count).
        let key_words = (understood.tokens.iter())
            .filter(|t| !t.is_empty() && !snippet::is_function_word(t))
            .count();
        let passage = understood.interpreted == Interpreted::Words
            && key_words > MAX_KEY_WORDS
            && mode == MatchMode::Auto
            && req.sort == SortOrder::Relevance;
        if passage {
            understood.notes.push(format!(
                "a passage of {key_words} key words: papers with any of them, best first"
            ));
        }
        let text_query = understood.any;
        // `is_text`: the selection is the text query itself, so an OR of bare words can be
        // counted from its posting blocks.
        let (selection, matched, widen, is_text) = match (mode, understood.all) {
            (MatchMode::Any, Some(_)) => (text_query.box_clone(), Matched::Any, None, true),
            (MatchMode::Auto, Some(_)) if passage => {
                (text_query.box_clone(), Matched::Any, None, true)
            }
            (_, None) => (text_query.box_clone(), Matched::All, None, true),
            (MatchMode::All, Some(all)) => (all, Matched::All, None, false),
            // Newest first lists only papers with every word: a date order has no score to
            // put the rest after them.
            (MatchMode::Auto, Some(all)) if req.sort == SortOrder::Date => {
                (all, Matched::All, None, false)
            }
            (MatchMode::Auto, Some(all)) => {
                let widen = if understood.interpreted == Interpreted::Words {
                    Widen::Terms(understood.groups, understood.tokens)
                } else {
                    Widen::Any(text_query.box_clone())
                };
                (all, Matched::All, Some(widen), false)
            }
        };
        let text_union = if understood.or_of_words && filters.is_empty() {
            count::union_terms(&*text_query, self.title_within_abstract())
        } else {
            None
        };
        let union = if is_text { text_union.clone() } else { None };
        let every = !is_text;
        let every_terms = (every
            && filters.is_empty()
            && understood.interpreted == Interpreted::Words
            && !understood.group_terms.is_empty())
        .then(|| Arc::from(understood.group_terms));
        let query = filtered(selection, &filters);
        let ranking = &self.config.ranking;
        let weight = req.recency_weight.unwrap_or(ranking.recency_weight);
        let half_life = req.half_life.unwrap_or(ranking.half_life_days);
        // Bounded so that no boost overflows a score (3.4e38 gave `"score": null`).
        if !(0.0..=MAX_RECENCY_WEIGHT).contains(&weight) {
            return Err(Error::InvalidRequest(format!(
                "recency weight must be between 0 and {MAX_RECENCY_WEIGHT}, got {weight}"
            )));
        }
        if !(half_life > 0.0 && half_life <= MAX_HALF_LIFE_DAYS) {
            return Err(Error::InvalidRequest(format!(
                "half-life must be over 0 and at most {MAX_HALF_LIFE_DAYS} days, got {half_life}"
            )));
        }
        let as_of: AsOf = req.as_of.as_deref().unwrap_or(&ranking.as_of).parse()?;
        let as_of_days = match as_of {
            AsOf::Newest => self.newest_days(searcher),
            AsOf::Today => Some(days_since_epoch(time::OffsetDateTime::now_utc().date())),
            AsOf::Date(d) => Some(days_since_epoch(d)),
        };
        let recency = match as_of_days {
            Some(as_of_days) if weight > 0.0 => Some(Recency {
                weight,
                half_life_days: half_life,
                as_of_days,
            }),
            _ => None,
        };
        Ok(Plan {
            query,
            text_query,
            widen,
            filters,
            limit,
            offset: req.offset,
            recency,
            union,
            text_union,
            every,
            every_terms,
            interpreted: understood.interpreted,
            matched,
            notes: understood.notes,
        })
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        self.search_until(req, Deadline::default())
    }

    /// Runs a search that stops with `Error::TimedOut` once `deadline` has passed, inside
    /// the collection too, so a search out of time gives its thread back.
    pub(crate) fn search_until(
        &self,
        req: &SearchRequest,
        deadline: Deadline,
    ) -> Result<SearchResponse> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let mut plan = self.plan(req, &searcher)?;
        deadline.check()?;
        let want_facets = req.facets.unwrap_or(true);
        let first = Collect {
            query: &*plan.query,
            union: plan.union.as_deref(),
            every: plan.every,
            every_terms: plan.every_terms.as_ref().map(|t| (t, &*plan.text_query)),
            limit: plan.limit,
            offset: plan.offset,
            facets: want_facets,
            deadline,
        };
        let (mut ranked, mut total, mut facet_counts) =
            self.collect(&searcher, req.sort, plan.recency, &first)?;
        let min_hits = self.config.ranking.min_all_words;
        if let Some(widen) = plan.widen.take().filter(|_| total < min_hits) {
            let all_total = total;
            let (wider, wider_is_text, matched, note) =
                self.widen(&searcher, &plan, widen, all_total, min_hits, deadline)?;
            // The papers with every word first, then the rest of the wider set. The first
            // pass holds every one of them it needs when it started at the first hit.
            let wanted = plan.offset + plan.limit;
            let mut docs = if plan.offset == 0 {
                ranked
            } else {
                let strict = Collect {
                    offset: 0,
                    limit: wanted,
                    facets: false,
                    ..first
                };
                self.collect(&searcher, req.sort, plan.recency, &strict)?.0
            };
            // The wider set scores its papers as the text query does, so its best `wanted`
            // plus the every-word papers, without those, are the best of the rest.
            let union = wider_is_text
                .then_some(plan.text_union.as_deref())
                .flatten();
            let widened = Collect {
                query: &*wider,
                union,
                every: false,
                every_terms: None,
                offset: 0,
                limit: wanted + all_total,
                facets: want_facets,
                deadline,
            };
            let (wide_docs, n, f) = self.collect(&searcher, req.sort, plan.recency, &widened)?;
            if docs.len() < wanted {
                // Here `docs` holds every paper with every word.
                let strict: HashSet<DocAddress> = docs.iter().map(|(_, a)| *a).collect();
                let need = wanted - docs.len();
                docs.extend(
                    wide_docs
                        .into_iter()
                        .filter(|(_, a)| !strict.contains(a))
                        .take(need),
                );
            }
            ranked = docs
                .into_iter()
                .skip(plan.offset)
                .take(plan.limit)
                .collect();
            (total, facet_counts) = (n, f);
            plan.matched = matched;
            plan.notes.push(note);
        }
        let ranked = if plan.limit == 0 { Vec::new() } else { ranked };
        deadline.check()?;
        let snippets = if req.snippets.unwrap_or(true) {
            Some(self.highlighter(&searcher, &*plan.text_query)?)
        } else {
            None
        };
        let bm25 = if req.explain {
            let addrs: Vec<DocAddress> = ranked.iter().map(|(_, a)| *a).collect();
            bm25_of(&searcher, &*plan.text_query, &addrs)?
        } else {
            HashMap::new()
        };
        let hits = self.fetch_hits(&searcher, ranked, snippets, deadline, |addr, paper| {
            req.explain.then(|| {
                let bm25 = bm25.get(&addr).copied().unwrap_or(0.0);
                explain(&plan, bm25, paper)
            })
        })?;
        Ok(SearchResponse {
            query: req.q.clone(),
            interpreted: plan.interpreted,
            matched: plan.matched,
            notes: plan.notes,
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            offset: plan.offset,
            limit: plan.limit,
            hits,
            facets: facet_counts.unwrap_or_default(),
        })
    }

    /// The top documents of one query (by BM25 x recency, or by date), its total and, when
    /// asked, its facet counts.
    fn collect(
        &self,
        searcher: &Searcher,
        sort: SortOrder,
        recency: Option<Recency>,
        c: &Collect,
    ) -> Result<Collected> {
        let facets = c.facets.then_some(FacetsCollector);
        let executor = self.search_executor();
        Ok(match sort {
            SortOrder::Date => {
                // TopDocs needs a limit of at least 1; a 0 limit still gets totals and facets.
                let top = TopDocs::with_limit(c.limit.max(1)).and_offset(c.offset);
                let (docs, total, f) = search_on(
                    c.deadline,
                    searcher,
                    c.query,
                    false,
                    &(
                        top.order_by_fast_field::<i64>("date_days", Order::Desc),
                        Count,
                        facets,
                    ),
                    executor,
                )?;
                let docs = docs.into_iter().take(c.limit);
                (docs.map(|(_, a)| (None, a)).collect(), total, f)
            }
            SortOrder::Relevance => {
                let dates = self.dates(searcher);
                let top = BoostedTopDocs::new(c.limit, c.offset, recency, dates);
                let (docs, total, f) = if c.facets {
                    // Facets visit every match anyway: one pass, no pruning.
                    search_on(
                        c.deadline,
                        searcher,
                        c.query,
                        false,
                        &(top, Count, facets),
                        executor,
                    )?
                } else if let Some((groups, scoring)) = c
                    .every_terms
                    .filter(|(g, _)| large_intersection(searcher, g))
                {
                    // Every word, many papers with each: the union of the words pruned by
                    // Block-WAND, keeping the papers whose bit is set in the AND of the
                    // words' postings (which also counts them).
                    let top = top.only(groups.clone());
                    let docs = search_on(c.deadline, searcher, scoring, true, &top, executor)?;
                    (docs, top.counted(), None)
                } else if c.every || c.union.is_some_and(|t| t.len() > MAX_WAND_TERMS) {
                    // Every word, a rare one among them: the intersection, which Block-WAND
                    // does not prune, is small; every match is scored anyway, so counting in
                    // the same pass is free. A passage: Block-WAND over hundreds of terms
                    // re-sorts them at every step, and one pass that scores and counts every
                    // match is faster (250 words of an abstract: p50 259 -> 21 ms; the
                    // 819-term query: 4.7 s -> 0.13 s on the 115k listings).
                    let (docs, total) = search_on(
                        c.deadline,
                        searcher,
                        c.query,
                        false,
                        &(top, Count),
                        executor,
                    )?;
                    (docs, total, None)
                } else {
                    // Alone, the top-k collector prunes with Block-WAND; counting separately
                    // skips scoring: a doc-frequency lookup for a single term, posting blocks
                    // ORed into a bitset for a union of terms.
                    let wand = c.union.is_some();
                    let collect = || search_on(c.deadline, searcher, c.query, wand, &top, executor);
                    let count = || -> Result<usize> {
                        let n = match c.union {
                            Some(terms) => count::union_count(searcher, terms)?,
                            None => c.query.count(searcher)?,
                        };
                        c.deadline.check()?;
                        Ok(n)
                    };
                    let (docs, total) = match self.search_threads() {
                        Some((pool, _)) => pool.install(|| rayon::join(collect, count)),
                        None => (collect(), count()),
                    };
                    (docs?, total?, None)
                };
                let docs = docs.into_iter().take(c.limit);
                (docs.map(|(s, a)| (Some(s), a)).collect(), total, f)
            }
        })
    }

    /// The wider selection when fewer than `min_hits` papers have every word: papers with at
    /// least k of the words for the largest k that reaches `min_hits` (k >= 1), or the syntax
    /// read with OR; with the filters. Also what `matched` becomes and the note saying so.
    fn widen(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        widen: Widen,
        all_total: usize,
        min_hits: usize,
        deadline: Deadline,
    ) -> Result<(Box<dyn Query>, bool, Matched, String)> {
        let (groups, tokens) = match widen {
            Widen::Any(any) => {
                let note = format!(
                    "{} match every clause; papers matching any clause follow them",
                    papers(all_total)
                );
                return Ok((filtered(any, &plan.filters), false, Matched::Any, note));
            }
            Widen::Terms(groups, tokens) => (groups, tokens),
        };
        let m = groups.len();
        // Function words ("with", "of") say nothing about a paper: "at least k words" counts
        // the others, when two or more are left.
        let key: Vec<Box<dyn Query>> = (groups.iter().zip(&tokens))
            .filter(|(_, t)| !snippet::is_function_word(t))
            .map(|(g, _)| g.box_clone())
            .collect();
        let (groups, dropped) = if key.len() >= 2 && key.len() < m {
            (key, true)
        } else {
            (groups, false)
        };
        let n = groups.len();
        // Scored as the text query scores (function words included), selected by k words.
        let at_least = |k: usize| -> Box<dyn Query> {
            if k <= 1 && !dropped {
                return filtered(plan.text_query.box_clone(), &plan.filters);
            }
            let clauses = groups
                .iter()
                .map(|g| (Occur::Should, g.box_clone()))
                .collect();
            let k_words: Box<dyn Query> =
                Box::new(BooleanQuery::with_minimum_required_clauses(clauses, k));
            let mut filters = vec![(Occur::Must, k_words)];
            filters.extend(plan.filters.iter().map(|(o, q)| (*o, q.box_clone())));
            filtered(plan.text_query.box_clone(), &filters)
        };
        // The count of "at least k" only falls as k grows: the largest k with enough papers,
        // by bisection (a pasted abstract has hundreds of words). Every key word is a tier of
        // its own when function words were left out; all n words is the strict set.
        let (mut lo, mut hi) = (1, if dropped { n } else { n - 1 });
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            deadline.check()?;
            if at_least(mid).count(searcher)? >= min_hits {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let which = if dropped {
            format!("{n} key words")
        } else {
            "words".to_string()
        };
        let have = format!("{} all {m} words", papers_have(all_total));
        let (matched, note) = if lo <= 1 {
            (
                Matched::Any,
                format!("{have}; papers with any of the {which} follow"),
            )
        } else {
            (
                Matched::Most,
                format!("{have}; papers with at least {lo} of the {which} follow"),
            )
        };
        let is_text = lo <= 1 && !dropped && plan.filters.is_empty();
        Ok((at_least(lo), is_text, matched, note))
    }

    /// Papers like `id`, without itself (see `similar.rs`).
    pub fn similar(&self, id: &str, limit: usize) -> Result<SearchResponse> {
        self.similar_by(id, limit, SimilarMethod::Terms)
    }

    /// Papers like `id` by the given method (the others are kept to be measured against).
    pub fn similar_by(
        &self,
        id: &str,
        limit: usize,
        method: SimilarMethod,
    ) -> Result<SearchResponse> {
        let started = Instant::now();
        if limit == 0 || limit > self.config.limits.max_limit {
            return Err(Error::InvalidRequest(format!(
                "limit must be between 1 and {}",
                self.config.limits.max_limit
            )));
        }
        let paper = self.get(id)?;
        let searcher = self.reader.searcher();
        let like = similar::like_query(self, &searcher, &paper, method)?;
        let itself = TermQuery::new(self.id_term(&paper.id), IndexRecordOption::Basic);
        let query = BooleanQuery::new(vec![
            (Occur::Must, like.box_clone()),
            (Occur::MustNot, Box::new(itself)),
        ]);
        let (ranked, total) = similar::top(self, &searcher, &query, &paper, method, limit)?;
        let ranked = ranked.into_iter().map(|(s, a)| (Some(s), a)).collect();
        let snippets = Some(self.highlighter(&searcher, &*like)?);
        let hits = self.fetch_hits(&searcher, ranked, snippets, Deadline::default(), |_, _| {
            None
        })?;
        Ok(SearchResponse {
            query: format!("similar:{}", paper.id),
            interpreted: Interpreted::Id,
            matched: Matched::Any,
            notes: Vec::new(),
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            offset: 0,
            limit,
            hits,
            facets: FacetCounts::default(),
        })
    }

    /// The hits of `ranked`, in its order. Each reads and decompresses its stored paper and
    /// highlights it: independent work, shared out over the search threads.
    fn fetch_hits(
        &self,
        searcher: &Searcher,
        ranked: Vec<(Option<f32>, DocAddress)>,
        snippets: Option<Highlighter>,
        deadline: Deadline,
        explain: impl Fn(DocAddress, &Paper) -> Option<Explain> + Sync,
    ) -> Result<Vec<Hit>> {
        // A thousand hits with snippets take a while: a search out of time stops here too.
        let hit = |snippets: &mut Option<Highlighter>, (score, addr): (Option<f32>, DocAddress)| {
            deadline.check()?;
            let paper = self.paper_of(&searcher.doc(addr)?)?;
            let explain = explain(addr, &paper);
            Ok(make_hit(paper, score, snippets.as_mut(), explain))
        };
        match self.search_threads() {
            Some((pool, _)) => pool.install(|| {
                ranked
                    .into_par_iter()
                    .map_init(|| snippets.clone(), hit)
                    .collect()
            }),
            None => {
                let mut snippets = snippets;
                ranked.into_iter().map(|r| hit(&mut snippets, r)).collect()
            }
        }
    }

    /// The executor for one search's segments: the search threads when this caller may use
    /// them (see `search_threads`).
    fn search_executor(&self) -> &Executor {
        self.search_threads()
            .map_or(&Executor::SingleThread, |(_, executor)| executor)
    }

    fn highlighter(&self, searcher: &Searcher, query: &dyn Query) -> Result<Highlighter> {
        Highlighter::new(
            searcher,
            query,
            self.fields.abstract_text,
            self.config.tokenizer_of("abstract"),
            SNIPPET_CHARS,
        )
    }

    /// Facet counts over the papers a search for `req` counts (its limit and sort are
    /// ignored): with every word, or as many as the search widened to.
    pub(crate) fn facet_counts(
        &self,
        req: &SearchRequest,
        deadline: Deadline,
    ) -> Result<FacetCounts> {
        let req = SearchRequest {
            limit: Some(0),
            offset: 0,
            sort: SortOrder::Relevance,
            facets: Some(true),
            snippets: Some(false),
            ..req.clone()
        };
        Ok(self.search_until(&req, deadline)?.facets)
    }
}

/// Whether searching `text` may cost far more than a few words: terms that expand, phrases
/// or a passage. The server runs such searches in a lane of their own.
pub fn is_costly(text: &str) -> bool {
    query::costly(text, MAX_KEY_WORDS)
}

/// Most terms a union may have for the top-k to be pruned by Block-WAND: up to about 30 words
/// over the default fields, where the two cost the same.
const MAX_WAND_TERMS: usize = 64;

/// Whether every word is in at least one paper in 32 (the intersection can be large): then
/// every-word searches prune the union of the words instead of scoring the intersection in
/// full (two-word p99 on the 115k listings: 1.4x the any-word search scoring it, BENCHMARKS.md).
fn large_intersection(searcher: &Searcher, groups: &[Vec<Term>]) -> bool {
    let large = (searcher.num_docs() / 32).max(64);
    groups.iter().all(|group| {
        let df: u64 = group
            .iter()
            .map(|t| searcher.doc_freq(t).unwrap_or(0))
            .sum();
        df >= large
    })
}

/// Past this many distinct words that are not function words, `auto` reads the text as a
/// passage: any word, best first. Titles stay under it (60 of the 115,671 listings have
/// titles of more than 24 words, counting function words).
const MAX_KEY_WORDS: usize = 24;

/// Largest recency weight: the boost is at most 1001x.
const MAX_RECENCY_WEIGHT: f32 = 1000.0;
/// Longest half-life, in days (about 2,700 years).
const MAX_HALF_LIFE_DAYS: f32 = 1_000_000.0;

/// "1 paper", "3 papers".
fn papers(n: usize) -> String {
    if n == 1 {
        "1 paper".into()
    } else {
        format!("{n} papers")
    }
}

/// "no paper has", "1 paper has", "3 papers have".
fn papers_have(n: usize) -> String {
    match n {
        0 => "no paper has".into(),
        1 => "1 paper has".into(),
        n => format!("{n} papers have"),
    }
}

/// The score breakdown of one hit whose text-query BM25 is `bm25`.
fn explain(plan: &Plan, bm25: f32, paper: &Paper) -> Explain {
    let date_days = paper.date.map(days_since_epoch);
    let (boost, age, weight, half_life, as_of) = match plan.recency {
        Some(r) => (
            r.boost(date_days),
            date_days.map(|d| r.age_days(d)),
            r.weight,
            r.half_life_days,
            date_from_days(r.as_of_days).map(format_date),
        ),
        None => (1.0, None, 0.0, 0.0, None),
    };
    Explain {
        bm25,
        recency_boost: boost,
        age_days: age,
        recency_weight: weight,
        half_life_days: half_life,
        as_of,
    }
}

/// The BM25 of `query` for each of `addrs`, scored as a search scores them: one pass over the
/// matches of each segment that holds one. (tantivy's `Weight::explain` seeks sub-scorers
/// backwards when a term is missing from a segment, which trips its debug assertions:
/// tantivy issue #2645.)
fn bm25_of(
    searcher: &Searcher,
    query: &dyn Query,
    addrs: &[DocAddress],
) -> Result<HashMap<DocAddress, f32>> {
    let weight = query.weight(tantivy::query::EnableScoring::enabled_from_searcher(
        searcher,
    ))?;
    let mut wanted: HashMap<u32, HashSet<u32>> = HashMap::new();
    for a in addrs {
        wanted.entry(a.segment_ord).or_default().insert(a.doc_id);
    }
    let mut scores = HashMap::with_capacity(addrs.len());
    for (segment, docs) in wanted {
        weight.for_each(searcher.segment_reader(segment), &mut |doc, score| {
            if docs.contains(&doc) {
                scores.insert(DocAddress::new(segment, doc), score);
            }
        })?;
    }
    Ok(scores)
}

/// `Searcher::search` with the segments handed to `executor` (scoring only when the
/// collector needs it, as `search` does).
fn search_on<C: Collector>(
    deadline: Deadline,
    searcher: &Searcher,
    query: &dyn Query,
    wand: bool,
    collector: &C,
    executor: &Executor,
) -> Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    deadline.search(searcher, query, wand, collector, executor, scoring)
}

fn make_hit(
    paper: Paper,
    score: Option<f32>,
    snippets: Option<&mut Highlighter>,
    explain: Option<Explain>,
) -> Hit {
    let Some(snippets) = snippets else {
        return hit(paper, score, String::new(), Vec::new(), explain);
    };
    let (text, highlights) = match snippets.snippet(&paper.abstract_text) {
        Some(s) => s.text(&paper.abstract_text),
        None => (lead(&paper.abstract_text, SNIPPET_CHARS), Vec::new()),
    };
    hit(paper, score, text, highlights, explain)
}

fn hit(
    paper: Paper,
    score: Option<f32>,
    text: String,
    highlights: Vec<[usize; 2]>,
    explain: Option<Explain>,
) -> Hit {
    Hit {
        id: paper.id,
        title: paper.title,
        authors: paper.authors,
        date: paper.date.map(format_date),
        topics: paper.topics,
        url: paper.url,
        score,
        snippet: text,
        highlights,
        explain,
    }
}

/// Longest snippet, in bytes.
const SNIPPET_CHARS: usize = 240;

/// The first `max` bytes of `text`, cut at a word boundary.
fn lead(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text[..end].rfind(' ').unwrap_or(end);
    format!("{}…", &text[..cut])
}
