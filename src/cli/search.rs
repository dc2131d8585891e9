//! `paperdex search`: flags -> `SearchRequest`, results as text or JSON.

use anyhow::Result;
use clap::{Args, ValueEnum};

use paperdex::search::{MatchMode, SearchRequest, SearchResponse, SortOrder, SyntaxMode};
use paperdex::Engine;

use super::render::{print_json, short_authors, width, wrap, Painter};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Query: words, a pasted title, a paper id or URL, or syntax ("phrases", AND/OR/NOT,
    /// title:, author:, abstract:, term~1, atten*). Text that is not valid syntax is searched
    /// as words. Put `--` before a query that starts with `-`.
    #[arg(value_name = "QUERY", num_args = 0.., allow_hyphen_values = false)]
    pub query: Vec<String>,
    /// Take the query as plain words, never syntax or an id, matching any of them (BM25 over
    /// any word, as `eval` measures) unless --match says otherwise
    #[arg(long)]
    pub plain: bool,
    /// Which papers the words select: all (every word), any (BM25 over any word), auto
    /// (every word; papers with most of them follow when fewer than 10 have them all)
    #[arg(long = "match", value_enum, value_name = "all|any|auto")]
    pub match_mode: Option<Match>,
    /// A query that is not valid syntax is an error (exit 2) instead of being searched as words
    #[arg(long)]
    pub strict_syntax: bool,
    /// Only papers under this topic (repeatable; any matches): an arXiv code (cs.CL, hep-th)
    /// or a facet path (/arxiv/cs/CL, /newsletter/...), any case
    #[arg(long)]
    pub topic: Vec<String>,
    /// Only papers dated on or after YYYY-MM-DD
    #[arg(long)]
    pub since: Option<String>,
    /// Only papers dated on or before YYYY-MM-DD
    #[arg(long)]
    pub until: Option<String>,
    /// Number of papers to list [default: 10, at most the schema's limit]
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    /// Papers to pass over before the first listed (the next page: --offset 10)
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Order: relevance (BM25 x recency) or date (newest first, papers with every word)
    #[arg(long, value_enum, default_value_t = Sort::Relevance)]
    pub sort: Sort,
    /// Recency weight W in bm25 * (1 + W * 0.5^(age/half_life)); 0 is plain BM25
    #[arg(long)]
    pub recency_weight: Option<f32>,
    /// Recency half-life in days
    #[arg(long, value_name = "DAYS")]
    pub half_life: Option<f32>,
    /// `off` is the same as --recency-weight 0
    #[arg(long, value_enum)]
    pub recency: Option<Toggle>,
    /// Date ages are counted from: newest (in the index), today, or YYYY-MM-DD
    #[arg(long, value_name = "DATE|today|newest")]
    pub as_of: Option<String>,
    /// Show the score breakdown (BM25, recency boost, age)
    #[arg(long)]
    pub explain: bool,
    /// Leave snippets out (faster, for scripts that only need ids and titles)
    #[arg(long)]
    pub no_snippets: bool,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sort {
    Relevance,
    Date,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Match {
    All,
    Any,
    Auto,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Toggle {
    On,
    Off,
}

impl SearchArgs {
    pub fn request(&self) -> SearchRequest {
        let recency_weight = match self.recency {
            Some(Toggle::Off) => Some(0.0),
            _ => self.recency_weight,
        };
        SearchRequest {
            q: self.query.join(" "),
            plain: self.plain,
            syntax: if self.strict_syntax {
                SyntaxMode::Strict
            } else {
                SyntaxMode::Auto
            },
            match_mode: self.match_mode.map(|m| match m {
                Match::All => MatchMode::All,
                Match::Any => MatchMode::Any,
                Match::Auto => MatchMode::Auto,
            }),
            topic: self.topic.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            limit: self.limit,
            offset: self.offset,
            sort: match self.sort {
                Sort::Relevance => SortOrder::Relevance,
                Sort::Date => SortOrder::Date,
            },
            recency_weight,
            half_life: self.half_life,
            as_of: self.as_of.clone(),
            explain: self.explain,
            facets: Some(self.json),
            snippets: Some(!self.no_snippets),
        }
    }
}

pub fn run(engine: &Engine, args: &SearchArgs) -> Result<()> {
    // The engine reads `cs.CL` and the like as topic paths, for every door.
    let response = engine.search(&args.request())?;
    if args.json {
        return print_json(&response);
    }
    print_human(&response, Painter::stdout());
    Ok(())
}

pub(crate) fn print_human(r: &SearchResponse, p: Painter) {
    // How the text was read goes on stderr, so the list stays clean in pipes.
    for note in &r.notes {
        eprintln!("{}", p.dim(&format!("note: {note}")));
    }
    if r.hits.is_empty() {
        println!("no papers match `{}` ({} total)", r.query, r.total);
        return;
    }
    let width = width();
    const INDENT: &str = "     ";
    for (i, hit) in r.hits.iter().enumerate() {
        // The number hangs left of the title, which wraps under itself.
        let number = format!("{:>3}. ", r.offset + i + 1);
        let title = wrap(&hit.title, INDENT, width);
        println!("{number}{}", p.bold(&title[INDENT.len()..]));
        let mut meta = vec![hit.date.clone().unwrap_or_else(|| "undated".into())];
        if !hit.topics.is_empty() {
            meta.push(hit.topics.join(", "));
        }
        meta.push(hit.id.clone());
        if let Some(score) = hit.score {
            meta.push(format!("score {score:.3}"));
        }
        println!("{}", p.accent(&wrap(&meta.join(" · "), INDENT, width)));
        if !hit.authors.is_empty() {
            println!("{}", wrap(&short_authors(&hit.authors), INDENT, width));
        }
        if let Some(e) = &hit.explain {
            let age = e
                .age_days
                .map(|a| format!("{a} days"))
                .unwrap_or_else(|| "undated".into());
            let line = format!(
                "bm25 {:.3} x recency {:.3} (age {age}, W {}, half-life {} d, as of {})",
                e.bm25,
                e.recency_boost,
                e.recency_weight,
                e.half_life_days,
                e.as_of.as_deref().unwrap_or("-")
            );
            println!("{}", p.dim(&wrap(&line, INDENT, width)));
        }
        // Without snippets the list is one compact block; with them a blank line parts hits.
        if !hit.snippet.is_empty() {
            let snippet = p.highlight(&hit.snippet, &hit.highlights);
            println!("{}", wrap(&snippet, INDENT, width));
            println!();
        }
    }
    println!("{}", p.dim(&count_line(r)));
}

/// "1 paper", "7 papers" when the page holds them all, "11-20 of 45 papers" otherwise.
fn count_line(r: &SearchResponse) -> String {
    let plural = |n: usize| if n == 1 { "paper" } else { "papers" };
    let shown = r.hits.len();
    let range = if r.offset == 0 && shown == r.total {
        format!("{} {}", r.total, plural(r.total))
    } else {
        format!(
            "{}-{} of {} {}",
            r.offset + 1,
            r.offset + shown,
            r.total,
            plural(r.total)
        )
    };
    format!("{range} in {:.1} ms", r.took_ms)
}
