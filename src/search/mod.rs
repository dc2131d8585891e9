//! Queries: parsing, topic/date filters, BM25 + recency ranking, facet counts and snippets.
//! `SearchRequest`/`SearchResponse` are the shapes every front door speaks.

mod count;
pub mod facets;
mod query;
pub mod recency;
mod snippet;
mod top;

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EnableScoring, MoreLikeThisQuery, Occur, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, OwnedValue};
use tantivy::{DocAddress, Executor, Order, Searcher, Term};
use time::Date;

use crate::error::{Error, Result};
use crate::index::{date_from_days, days_since_epoch, PaperIndex};
use crate::paper::Paper;
pub use facets::FacetCounts;
use facets::FacetsCollector;
pub use recency::Recency;
use snippet::Highlighter;
use top::BoostedTopDocs;

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
    /// Query text in paperdex syntax; empty matches every paper.
    pub q: String,
    /// Takes `q` as plain words, not syntax: its analyzed terms are ORed, so any text (a
    /// claim, a title, pasted prose) searches without a syntax error; empty matches nothing.
    pub plain: bool,
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

/// The validated form of a `SearchRequest`.
struct Plan {
    query: Box<dyn Query>,
    /// The user's query alone (for snippets and explanations).
    text_query: Box<dyn Query>,
    limit: usize,
    offset: usize,
    recency: Option<Recency>,
    /// Set when `query` matches exactly the union of these terms' postings.
    union: Option<Vec<Term>>,
}

impl PaperIndex {
    /// The tantivy query for the user's text, over the default fields with their boosts.
    pub fn parse_query(&self, q: &str) -> Result<Box<dyn Query>> {
        self.parse_query_shaped(q).map(|(query, _)| query)
    }

    /// The query, and whether it is an OR of bare words.
    fn parse_query_shaped(&self, q: &str) -> Result<(Box<dyn Query>, bool)> {
        if q.len() > self.config.limits.max_query_bytes {
            return Err(Error::InvalidRequest(format!(
                "query is {} bytes, the limit is {}",
                q.len(),
                self.config.limits.max_query_bytes
            )));
        }
        query::QueryBuilder::new(self, q).build()
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
        // Plain mode is always an OR of term queries.
        let (text_query, or_of_words) = if req.plain {
            (query::QueryBuilder::new(self, &req.q).build_plain()?, true)
        } else {
            self.parse_query_shaped(&req.q)?
        };
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !req.topic.is_empty() {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for t in &req.topic {
                let path = if t.starts_with('/') {
                    t.clone()
                } else {
                    format!("/{t}")
                };
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
        let union = if or_of_words && filters.is_empty() {
            count::union_terms(&*text_query, self.title_within_abstract())
        } else {
            None
        };
        let query: Box<dyn Query> = if filters.is_empty() {
            text_query.box_clone()
        } else {
            // Filters score 0 so BM25 scores are those of the text query alone.
            let filter = Box::new(ConstScoreQuery::new(
                Box::new(BooleanQuery::new(filters)),
                0.0,
            ));
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query.box_clone()),
                (Occur::Must, filter),
            ]))
        };
        let ranking = &self.config.ranking;
        let weight = req.recency_weight.unwrap_or(ranking.recency_weight);
        let half_life = req.half_life.unwrap_or(ranking.half_life_days);
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(Error::InvalidRequest(format!(
                "recency weight must be >= 0, got {weight}"
            )));
        }
        if !(half_life.is_finite() && half_life > 0.0) {
            return Err(Error::InvalidRequest(format!(
                "half-life must be > 0 days, got {half_life}"
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
            limit,
            offset: req.offset,
            recency,
            union,
        })
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let plan = self.plan(req, &searcher)?;
        let want_facets = req.facets.unwrap_or(true);
        let facets = want_facets.then_some(FacetsCollector);
        let executor = self.search_executor();
        let (ranked, total, facet_counts): Collected = match req.sort {
            SortOrder::Date => {
                // TopDocs needs a limit of at least 1; a 0 limit still gets totals and facets.
                let top = TopDocs::with_limit(plan.limit.max(1)).and_offset(plan.offset);
                let (docs, total, f) = search_on(
                    &searcher,
                    &plan.query,
                    &(
                        top.order_by_fast_field::<i64>("date_days", Order::Desc),
                        Count,
                        facets,
                    ),
                    executor,
                )?;
                (docs.into_iter().map(|(_, a)| (None, a)).collect(), total, f)
            }
            SortOrder::Relevance => {
                let dates = self.dates(&searcher);
                let top = BoostedTopDocs::new(plan.limit, plan.offset, plan.recency, dates);
                let (docs, total, f) = if want_facets {
                    // Facets visit every match anyway: one pass, no pruning.
                    search_on(&searcher, &plan.query, &(top, Count, facets), executor)?
                } else {
                    // Alone, the top-k collector prunes with Block-WAND; counting separately
                    // skips scoring (a doc-frequency lookup for a single term, a bitset of
                    // posting blocks for a union of terms).
                    let collect = || search_on(&searcher, &plan.query, &top, executor);
                    let count = || match &plan.union {
                        Some(terms) => count::union_count(&searcher, terms),
                        None => Ok(plan.query.count(&searcher)?),
                    };
                    let (docs, total) = match self.search_threads() {
                        Some((pool, _)) => pool.install(|| rayon::join(collect, count)),
                        None => (collect(), count()),
                    };
                    (docs?, total?, None)
                };
                let docs = docs.into_iter().map(|(s, a)| (Some(s), a)).collect();
                (docs, total, f)
            }
        };
        let ranked = if plan.limit == 0 { Vec::new() } else { ranked };
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
        let hits = self.fetch_hits(&searcher, ranked, snippets, |addr, paper| {
            req.explain.then(|| {
                let bm25 = bm25.get(&addr).copied().unwrap_or(0.0);
                explain(&plan, bm25, paper)
            })
        })?;
        Ok(SearchResponse {
            query: req.q.clone(),
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            offset: plan.offset,
            limit: plan.limit,
            hits,
            facets: facet_counts.unwrap_or_default(),
        })
    }

    /// Papers like `id` (tantivy's MoreLikeThis over its title and abstract), without itself.
    pub fn similar(&self, id: &str, limit: usize) -> Result<SearchResponse> {
        let started = Instant::now();
        if limit == 0 || limit > self.config.limits.max_limit {
            return Err(Error::InvalidRequest(format!(
                "limit must be between 1 and {}",
                self.config.limits.max_limit
            )));
        }
        let paper = self.get(id)?;
        let searcher = self.reader.searcher();
        let text = |field, value: &str| (field, vec![OwnedValue::Str(value.to_string())]);
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_min_term_frequency(1)
            .with_max_query_terms(25)
            .with_min_word_length(3)
            .with_document_fields(vec![
                text(self.fields.title, &paper.title),
                text(self.fields.abstract_text, &paper.abstract_text),
            ]);
        let itself = TermQuery::new(self.id_term(&paper.id), IndexRecordOption::Basic);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like) as Box<dyn Query>),
            (Occur::MustNot, Box::new(itself)),
        ]);
        let top = (TopDocs::with_limit(limit).order_by_score(), Count);
        let (ranked, total) = search_on(&searcher, &query, &top, self.search_executor())?;
        let ranked = ranked.into_iter().map(|(s, a)| (Some(s), a)).collect();
        let snippets = Some(self.highlighter(&searcher, &query)?);
        let hits = self.fetch_hits(&searcher, ranked, snippets, |_, _| None)?;
        Ok(SearchResponse {
            query: format!("similar:{}", paper.id),
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
        explain: impl Fn(DocAddress, &Paper) -> Option<Explain> + Sync,
    ) -> Result<Vec<Hit>> {
        let hit = |snippets: &mut Option<Highlighter>, (score, addr): (Option<f32>, DocAddress)| {
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

    /// Facet counts over the papers matching `req` (its limit and sort are ignored).
    pub fn facet_counts(&self, req: &SearchRequest) -> Result<FacetCounts> {
        let searcher = self.reader.searcher();
        let plan = self.plan(req, &searcher)?;
        let executor = self.search_executor();
        Ok(search_on(
            &searcher,
            &plan.query,
            &FacetsCollector,
            executor,
        )?)
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
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
    executor: &Executor,
) -> tantivy::Result<C::Fruit> {
    let scoring = if collector.requires_scoring() {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    searcher.search_with_executor(query, collector, executor, scoring)
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
        Some(s) => (
            paper.abstract_text[s.range].to_string(),
            s.highlights.iter().map(|r| [r.start, r.end]).collect(),
        ),
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
