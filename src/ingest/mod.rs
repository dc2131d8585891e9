//! Source formats: sniffing, parsing one file into `Paper`s, and the per-record skip report.
//!
//! Every parser is a pure function of (file name, text, options): no I/O, no index access,
//! so files parse in parallel and parsers can be fuzzed and unit-tested on strings.

pub mod read;
pub mod taxonomy;
pub mod text;

mod bibtex;
mod cards;
mod daily;
mod digest;
mod jsonl;
mod newsletter;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::paper::Paper;

/// The input formats paperdex reads. The string form is what `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Weekly newsletter with "1. Section" / "1.1. Title" headings (seeds 000, 002).
    Newsletter,
    /// arxcompass-style HTML `paper-card` blocks (seed 001).
    Cards,
    /// Digest post with title lines, "Methodology" and "Results:" parts (seed 003).
    Digest,
    /// Daily papers listing: title, blank line, abstract (seed 004).
    Daily,
    /// The arXiv OAI metadata snapshot, JSON lines.
    ArxivSnapshot,
    /// arXiv daily-listing records, JSON lines (`first_listed`).
    ArxivListing,
    /// BEIR `corpus.jsonl` (`_id`, `title`, `text`).
    Beir,
    /// Any JSON lines, with a field mapping.
    Jsonl,
    /// BibTeX / BibLaTeX libraries (`.bib`): Zotero, Better BibTeX, JabRef, Google Scholar.
    Bibtex,
}

impl Format {
    /// One record per line: read and parsed in batches instead of whole files.
    pub fn is_line_based(self) -> bool {
        matches!(
            self,
            Format::ArxivSnapshot | Format::ArxivListing | Format::Beir | Format::Jsonl
        )
    }

    pub const ALL: [Format; 9] = [
        Format::Newsletter,
        Format::Cards,
        Format::Digest,
        Format::Daily,
        Format::ArxivSnapshot,
        Format::ArxivListing,
        Format::Beir,
        Format::Jsonl,
        Format::Bibtex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Newsletter => "newsletter",
            Format::Cards => "cards",
            Format::Digest => "digest",
            Format::Daily => "daily",
            Format::ArxivSnapshot => "arxiv-snapshot",
            Format::ArxivListing => "arxiv-listing",
            Format::Beir => "beir",
            Format::Jsonl => "jsonl",
            Format::Bibtex => "bibtex",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown format `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Options that a file alone cannot answer.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Year for listings whose day headers have none ("Aug 19"). Without it such dates stay
    /// unknown rather than being invented.
    pub year: Option<i32>,
    /// Date to give every paper of the file, overriding what the file says.
    pub date: Option<Date>,
    /// Field mapping for the generic `jsonl` format: paper field -> JSON key.
    pub field_map: Vec<(String, String)>,
}

/// A record that could not become a paper: reported as `file:line: reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

/// For terminals: a file name (or a reason quoting it) with a newline would forge lines.
impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::error::escape_controls as esc;
        write!(
            f,
            "{}:{}: {}",
            esc(&self.file),
            self.line,
            esc(&self.reason)
        )
    }
}

/// What one file yielded.
#[derive(Debug, Default)]
pub struct Parsed {
    pub papers: Vec<Paper>,
    pub skipped: Vec<Skip>,
    /// Papers indexed on their title alone: a BibTeX entry without an abstract is a paper
    /// all the same (not a skip), and the run's summary counts them.
    pub no_abstract: usize,
}

/// Guesses the format of a file from its name and first bytes.
pub fn sniff(file_name: &str, text: &str) -> Option<Format> {
    let head: &str = &text[..floor_char_boundary(text, 64 * 1024)];
    if head.contains("class=\"paper-card\"") {
        return Some(Format::Cards);
    }
    let first_json = head.lines().map(str::trim).find(|l| !l.is_empty());
    if let Some(line) = first_json.filter(|l| l.starts_with('{')) {
        return Some(jsonl::sniff(line).unwrap_or(Format::Jsonl));
    }
    if bibtex::looks_like(file_name, head) {
        return Some(Format::Bibtex);
    }
    if file_name.ends_with(".jsonl") || file_name.ends_with(".json") {
        return Some(Format::Jsonl);
    }
    if newsletter::looks_like(head) {
        return Some(Format::Newsletter);
    }
    if digest::looks_like(head) {
        return Some(Format::Digest);
    }
    if daily::looks_like(head) {
        return Some(Format::Daily);
    }
    None
}

/// Parses one file's text in the given format. `file_name` is used in sources and skips.
pub fn parse(file_name: &str, text: &str, format: Format, opts: &ParseOptions) -> Parsed {
    let mut parsed = match format {
        Format::Newsletter => newsletter::parse(file_name, text, opts),
        Format::Cards => cards::parse(file_name, text, opts),
        Format::Digest => digest::parse(file_name, text, opts),
        Format::Daily => daily::parse(file_name, text, opts),
        Format::Bibtex => bibtex::parse(file_name, text, opts),
        Format::ArxivSnapshot | Format::ArxivListing | Format::Beir | Format::Jsonl => {
            jsonl::parse(file_name, text, format, opts)
        }
    };
    if let Some(date) = opts.date {
        for p in &mut parsed.papers {
            p.date = Some(date);
        }
    }
    parsed
}

/// Parses a slice of a line-based file whose first line is `first_line`.
pub fn parse_lines(
    file_name: &str,
    text: &str,
    format: Format,
    opts: &ParseOptions,
    first_line: u64,
) -> Parsed {
    let mut parsed = jsonl::parse_from(file_name, text, format, opts, first_line);
    if let Some(date) = opts.date {
        for p in &mut parsed.papers {
            p.date = Some(date);
        }
    }
    parsed
}

/// Paper fields a `--map` may name.
pub const MAPPABLE_FIELDS: [&str; 10] = [
    "title",
    "abstract",
    "authors",
    "date",
    "id",
    "url",
    "comment",
    "topics",
    "doi",
    "journal_ref",
];

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
