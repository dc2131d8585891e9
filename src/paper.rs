//! The `Paper` record every source format is normalized into, and its identity rules.

use serde::{Deserialize, Serialize};
use time::Date;

/// Where a paper was seen: one entry per (file, line) it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub struct SourceRef {
    /// File name (no directory), so re-indexing from another working directory is a no-op.
    pub file: String,
    /// Format name as accepted by `--format`.
    pub format: String,
    /// 1-based line where the record starts.
    pub line: u64,
}

/// One paper, normalized. Field names are the JSON names used by every front door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    /// Stable id: arXiv id without version when known, else `t:` + a hash of the title key.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arxiv_id: Option<String>,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default, with = "date_opt")]
    pub date: Option<Date>,
    /// Hierarchical facet paths such as `/newsletter/llm-reasoning` or `/arxiv/cs/CL`.
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub sources: Vec<SourceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_ref: Option<String>,
}

impl Paper {
    /// A paper with the given (already normalized) title and abstract; the id is derived
    /// from `arxiv_id` if given, else from the title.
    pub fn new(title: String, abstract_text: String, arxiv_id: Option<String>) -> Paper {
        let arxiv_id = arxiv_id.map(|a| strip_arxiv_version(&a).to_string());
        let id = match &arxiv_id {
            Some(a) => a.clone(),
            None => title_hash_id(&title),
        };
        Paper {
            id,
            arxiv_id,
            title,
            abstract_text,
            authors: Vec::new(),
            date: None,
            topics: Vec::new(),
            sources: Vec::new(),
            url: None,
            comment: None,
            doi: None,
            journal_ref: None,
        }
    }

    /// The dedup key of the title: lowercase alphanumeric words joined by one space.
    pub fn title_key(&self) -> String {
        title_key(&self.title)
    }

    /// The title key as 64 bits of its BLAKE3 hash: what the index stores to find papers by
    /// title (a full key made the term dictionary's FST the costliest part of a commit).
    /// Equal keys give equal hashes; callers confirm a hit with `same_paper`.
    pub fn title_hash(&self) -> u64 {
        let hash = blake3::hash(self.title_key().as_bytes());
        u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("32-byte hash"))
    }

    /// True when the id was derived from the title (no arXiv or corpus id is known).
    pub fn has_title_id(&self) -> bool {
        self.id.starts_with("t:")
    }

    /// Whether two records describe the same paper: same id, or same title when at least one
    /// of them has no native id. Two different native ids are never the same paper.
    pub fn same_paper(&self, other: &Paper) -> bool {
        self.id == other.id
            || ((self.has_title_id() || other.has_title_id())
                && self.title_key() == other.title_key())
    }

    /// Folds `other` (the same paper seen elsewhere) into `self`. Fields become the richest
    /// of both, dates the earliest, sources and topics the union. Returns whether anything
    /// changed, so re-indexing identical input can be detected as a no-op.
    pub fn merge(&mut self, other: Paper) -> bool {
        let before = self.clone();
        if self.has_title_id() && !other.has_title_id() {
            self.id = other.id;
            self.arxiv_id = other.arxiv_id;
        }
        // The same title: the longer, or at the same length the one with more capitals
        // (Google Scholar exports lowercase titles: "Xattention: block sparse ...").
        let capitals = |t: &str| t.chars().filter(|c| c.is_uppercase()).count();
        if title_key(&other.title) == self.title_key()
            && (other.title.len(), capitals(&other.title))
                > (self.title.len(), capitals(&self.title))
        {
            self.title = other.title;
        }
        if other.abstract_text.len() > self.abstract_text.len() {
            self.abstract_text = other.abstract_text;
        }
        if other.authors.len() > self.authors.len() {
            self.authors = other.authors;
        }
        self.date = match (self.date, other.date) {
            (Some(a), Some(b)) => Some(earliest(a, b)),
            (a, b) => a.or(b),
        };
        for t in other.topics {
            if !self.topics.contains(&t) {
                self.topics.push(t);
            }
        }
        for s in other.sources {
            if !self.sources.contains(&s) {
                self.sources.push(s);
            }
        }
        fill(&mut self.url, other.url);
        fill(&mut self.comment, other.comment);
        fill(&mut self.doi, other.doi);
        fill(&mut self.journal_ref, other.journal_ref);
        *self != before
    }
}

/// The earlier date, unless it only stands for the month or year the later one falls in: a
/// BibTeX entry with `year = 2025, month = mar` is dated 2025-03-01, and the listing of the
/// same paper says the day (2025-03-21).
fn earliest(a: Date, b: Date) -> Date {
    let (early, late) = if a <= b { (a, b) } else { (b, a) };
    let month_only =
        early.day() == 1 && (early.year(), early.month()) == (late.year(), late.month());
    let year_only = early.ordinal() == 1 && early.year() == late.year();
    if month_only || year_only {
        late
    } else {
        early
    }
}

fn fill(slot: &mut Option<String>, other: Option<String>) {
    if slot.is_none() {
        *slot = other;
    }
}

/// `2502.00511v2` -> `2502.00511`; old-style ids (`hep-th/9901001v1`) likewise.
pub fn strip_arxiv_version(id: &str) -> &str {
    let id = id.trim();
    match id.rfind('v') {
        Some(pos)
            if pos + 1 < id.len()
                && pos > 0
                && id[pos + 1..].bytes().all(|b| b.is_ascii_digit())
                && id.as_bytes()[pos - 1].is_ascii_digit() =>
        {
            &id[..pos]
        }
        _ => id,
    }
}

/// Lowercase alphanumeric words of a title, joined by single spaces: two titles that differ
/// only in case, punctuation or spacing get the same key.
pub fn title_key(title: &str) -> String {
    if title.is_ascii() {
        return ascii_title_key(title.as_bytes());
    }
    chars_title_key(title)
}

fn chars_title_key(title: &str) -> String {
    let mut key = String::with_capacity(title.len());
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// `title_key` of ASCII text in one byte loop: the key is computed several times per paper
/// on the indexing path (dedup, commit checks, the indexed hash), and the `char` splitting and
/// lowercasing cost ~70 instructions a byte.
fn ascii_title_key(title: &[u8]) -> String {
    let mut key = Vec::with_capacity(title.len());
    let mut gap = false;
    for &b in title {
        if b.is_ascii_alphanumeric() {
            if gap && !key.is_empty() {
                key.push(b' ');
            }
            gap = false;
            key.push(b.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    String::from_utf8(key).expect("ASCII in, ASCII out")
}

/// Id of a paper without an arXiv id: `t:` + 16 hex digits of the BLAKE3 hash of its title key.
pub fn title_hash_id(title: &str) -> String {
    let hash = blake3::hash(title_key(title).as_bytes());
    format!("t:{}", &hash.to_hex()[..16])
}

/// `YYYY-MM-DD`, the one date form of every front door.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Serde for `Option<Date>` as `"YYYY-MM-DD"` or null.
pub mod date_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FMT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_str(&super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Date::parse(&s, FMT).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arxiv_versions_are_stripped() {
        assert_eq!(strip_arxiv_version("2502.00511v2"), "2502.00511");
        assert_eq!(strip_arxiv_version("2502.00511"), "2502.00511");
        assert_eq!(strip_arxiv_version("hep-th/9901001v3"), "hep-th/9901001");
        assert_eq!(strip_arxiv_version("solv-int/9901001"), "solv-int/9901001");
    }

    #[test]
    fn title_key_ignores_case_and_punctuation() {
        assert_eq!(
            title_key("SpargeAttn: Accurate  Sparse-Attention!"),
            "spargeattn accurate sparse attention"
        );
        assert_eq!(title_hash_id("A b"), title_hash_id("a, B."));
        assert_ne!(title_hash_id("A b"), title_hash_id("A c"));
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_title_key_equals_the_general_one(title in "[ -~\t\n]{0,60}") {
            proptest::prop_assert_eq!(ascii_title_key(title.as_bytes()), chars_title_key(&title));
        }
    }

    #[test]
    fn merge_keeps_richest_fields_and_earliest_date() {
        let mut a = Paper::new("Make LoRA Great Again".into(), "short".into(), None);
        a.date = Some(time::macros::date!(2025 - 02 - 24));
        a.sources.push(SourceRef {
            file: "a".into(),
            format: "newsletter".into(),
            line: 3,
        });
        let mut b = Paper::new(
            "Make LoRA great again".into(),
            "a longer abstract".into(),
            None,
        );
        b.date = Some(time::macros::date!(2025 - 02 - 16));
        b.sources.push(SourceRef {
            file: "b".into(),
            format: "digest".into(),
            line: 9,
        });
        assert!(a.merge(b.clone()));
        assert_eq!(a.abstract_text, "a longer abstract");
        assert_eq!(a.date, Some(time::macros::date!(2025 - 02 - 16)));
        assert_eq!(a.sources.len(), 2);
        // Merging the same record again changes nothing.
        assert!(!a.merge(b));
    }

    #[test]
    fn merge_keeps_a_day_over_the_month_or_year_that_holds_it_and_the_capitalised_title() {
        let day = time::macros::date!(2025 - 03 - 21);
        let paper = |title: &str, date: Date| {
            let mut p = Paper::new(title.into(), String::new(), None);
            p.date = Some(date);
            p
        };
        let listing = paper("XAttention: Block Sparse Attention", day);
        for approx in [
            time::macros::date!(2025 - 03 - 01),
            time::macros::date!(2025 - 01 - 01),
        ] {
            let mut bib = paper("Xattention: block sparse attention", approx);
            bib.merge(listing.clone());
            assert_eq!(bib.date, Some(day));
            assert_eq!(bib.title, "XAttention: Block Sparse Attention");
            let mut first = listing.clone();
            first.merge(paper("Xattention: block sparse attention", approx));
            assert_eq!(
                (first.date, first.title.as_str()),
                (bib.date, bib.title.as_str())
            );
        }
        // A day in another month is an earlier date of its own.
        let mut other = paper(
            "XAttention: Block Sparse Attention",
            time::macros::date!(2025 - 02 - 01),
        );
        other.merge(listing);
        assert_eq!(other.date, Some(time::macros::date!(2025 - 02 - 01)));
    }

    #[test]
    fn json_round_trip_uses_iso_dates() {
        let mut p = Paper::new("T".into(), "A".into(), Some("2502.00511v1".into()));
        p.date = Some(time::macros::date!(2025 - 02 - 01));
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"date\":\"2025-02-01\""), "{json}");
        assert!(json.contains("\"id\":\"2502.00511\""), "{json}");
        let back: Paper = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
