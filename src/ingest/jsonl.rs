//! JSON-lines formats: arXiv OAI snapshot, arXiv daily listings, BEIR corpus, generic mapped JSON.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::de::{Deserializer, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Date, Month};

use super::text::{clean, clean_owned};
use super::{taxonomy, Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};

/// Picks the JSON-lines format from the keys of the first record; None means generic.
pub fn sniff(first_line: &str) -> Option<Format> {
    let line = first_line.trim_start_matches('\u{feff}').trim();
    let obj: Map<String, Value> = serde_json::from_str(line).ok()?;
    let has = |k: &str| obj.contains_key(k);
    if (has("versions") && has("update_date")) || has("submitter") {
        Some(Format::ArxivSnapshot)
    } else if has("first_listed") {
        Some(Format::ArxivListing)
    } else if has("_id") && has("text") {
        Some(Format::Beir)
    } else {
        None
    }
}

/// Parses one JSON object per line. A bad line becomes a `Skip`; it never stops the file.
pub fn parse(file: &str, text: &str, format: Format, opts: &ParseOptions) -> Parsed {
    parse_from(file, text, format, opts, 1)
}

/// Like `parse`, for a slice of a file whose first line is line `first_line`.
pub fn parse_from(
    file: &str,
    text: &str,
    format: Format,
    opts: &ParseOptions,
    first_line: u64,
) -> Parsed {
    let mut out = Parsed::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + first_line;
        let record = match format {
            Format::ArxivSnapshot => snapshot(line),
            Format::ArxivListing => listing(line),
            Format::Beir => beir(line),
            // Only the JSON formats are routed here; anything else is read as generic.
            _ => generic(line, &opts.field_map),
        };
        match record {
            Ok(mut paper) => {
                paper.sources = vec![SourceRef {
                    file: file.to_string(),
                    format: format.name().to_string(),
                    line: line_no,
                }];
                out.papers.push(paper);
            }
            Err(reason) => out.skipped.push(Skip {
                file: file.to_string(),
                line: line_no,
                reason,
            }),
        }
    }
    out
}

/// A JSON string that borrows from the line when it has no escapes. serde's own `Cow<str>`
/// impl always copies when nested in `Option`/`Vec`, and a bare `&str` rejects escapes
/// (every arXiv abstract has `\n`).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

type Field<'a> = Option<Text<'a>>;

#[derive(Deserialize)]
struct Snapshot<'a> {
    #[serde(borrow)]
    id: Field<'a>,
    #[serde(borrow)]
    title: Field<'a>,
    #[serde(borrow, rename = "abstract")]
    abstract_text: Field<'a>,
    #[serde(borrow)]
    authors: Field<'a>,
    #[serde(borrow)]
    authors_parsed: Option<Vec<Vec<Text<'a>>>>,
    #[serde(borrow)]
    categories: Field<'a>,
    #[serde(borrow)]
    comments: Field<'a>,
    #[serde(borrow)]
    doi: Field<'a>,
    #[serde(borrow, rename = "journal-ref")]
    journal_ref: Field<'a>,
    #[serde(borrow)]
    versions: Option<Vec<Version<'a>>>,
    #[serde(borrow)]
    update_date: Field<'a>,
}

#[derive(Deserialize)]
struct Version<'a> {
    #[serde(borrow)]
    created: Field<'a>,
}

#[derive(Deserialize)]
struct Listing<'a> {
    #[serde(borrow)]
    id: Field<'a>,
    #[serde(borrow)]
    title: Field<'a>,
    #[serde(borrow, rename = "abstract")]
    abstract_text: Field<'a>,
    #[serde(borrow)]
    authors: Option<Vec<Field<'a>>>,
    #[serde(borrow)]
    categories: Option<Vec<Field<'a>>>,
    #[serde(borrow)]
    comment: Field<'a>,
    #[serde(borrow)]
    first_listed: Field<'a>,
}

#[derive(Deserialize)]
struct Beir<'a> {
    #[serde(borrow, rename = "_id")]
    id: Field<'a>,
    #[serde(borrow)]
    title: Field<'a>,
    #[serde(borrow)]
    text: Field<'a>,
}

fn snapshot(line: &str) -> Result<Paper, String> {
    let r: Snapshot = serde_json::from_str(line).map_err(json_error)?;
    let id = raw(r.id).ok_or("missing id")?;
    let mut p = Paper::new(
        required(r.title, "title")?,
        required(r.abstract_text, "abstract")?,
        Some(id.into_owned()),
    );
    // authors_parsed is already split ([last, first, suffix, affiliation?]); the flat string
    // has affiliations and "and" to untangle, so it is only the fallback.
    p.authors = match r.authors_parsed {
        Some(parsed) if !parsed.is_empty() => parsed
            .iter()
            .map(|parts| {
                let part = |i: usize| parts.get(i).map_or("", |t| t.0.as_ref());
                clean(&format!("{} {} {}", part(1), part(0), part(2)))
            })
            .filter(|name| !name.is_empty())
            .collect(),
        _ => r.authors.map_or_else(Vec::new, |a| split_authors(&a.0)),
    };
    let created = r.versions.and_then(|v| v.into_iter().next()?.created);
    p.date = created.or(r.update_date).map(|d| date(&d.0)).transpose()?;
    p.topics = arxiv_topics(r.categories.iter().map(|c| c.0.as_ref()));
    p.comment = optional(r.comments);
    p.doi = raw(r.doi).map(Cow::into_owned);
    p.journal_ref = optional(r.journal_ref);
    p.url = Some(abs_url(&p.id));
    Ok(p)
}

fn listing(line: &str) -> Result<Paper, String> {
    let r: Listing = serde_json::from_str(line).map_err(json_error)?;
    let id = raw(r.id).ok_or("missing id")?;
    let mut p = Paper::new(
        required(r.title, "title")?,
        required(r.abstract_text, "abstract")?,
        Some(id.into_owned()),
    );
    p.authors = r
        .authors
        .unwrap_or_default()
        .into_iter()
        .filter_map(optional)
        .collect();
    p.date = r.first_listed.map(|d| date(&d.0)).transpose()?;
    let categories = r.categories.unwrap_or_default();
    p.topics = arxiv_topics(categories.iter().flatten().map(|c| c.0.as_ref()));
    p.comment = optional(r.comment);
    p.url = Some(abs_url(&p.id));
    Ok(p)
}

fn beir(line: &str) -> Result<Paper, String> {
    let r: Beir = serde_json::from_str(line).map_err(json_error)?;
    let id = raw(r.id).ok_or("missing _id")?;
    let text = required(r.text, "abstract (`text`)")?;
    // Some BEIR corpora have untitled documents. An empty title would give every one of them
    // the same title key (and a blank result line), so the first sentence stands in for it.
    let title = optional(r.title).unwrap_or_else(|| first_sentence(&text));
    let mut p = Paper::new(title, text, None);
    // BEIR qrels refer to `_id`, so it is the id as is (never taken for an arXiv id).
    p.id = id.into_owned();
    Ok(p)
}

/// Generic JSON lines: each paper field is read from the key `field_map` names (default: the
/// field's own name). A key starting with `/` is a JSON pointer into nested objects.
fn generic(line: &str, field_map: &[(String, String)]) -> Result<Paper, String> {
    let value: Value = serde_json::from_str(line).map_err(json_error)?;
    if !value.is_object() {
        return Err("expected a JSON object".into());
    }
    let r = Mapped {
        value: &value,
        field_map,
    };
    let title = r.cleaned("title")?.ok_or_else(|| r.missing("title"))?;
    let abstract_text = r
        .cleaned("abstract")?
        .ok_or_else(|| r.missing("abstract"))?;
    let id = r
        .string("id")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let arxiv_id = id.as_deref().and_then(arxiv_id);
    let mut p = Paper::new(title, abstract_text, arxiv_id.map(str::to_string));
    if let (Some(id), None) = (&id, arxiv_id) {
        p.id = id.clone();
    }
    p.authors = match r.get("authors") {
        Some(Value::String(s)) => split_authors(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|a| a.as_str().or_else(|| a.get("name")?.as_str()))
            .map(clean)
            .filter(|a| !a.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    p.date = r.string("date")?.map(|d| date(&d)).transpose()?;
    p.topics = match r.get("topics") {
        Some(Value::String(s)) => generic_topics(s.split([',', ';'])),
        Some(Value::Array(items)) => generic_topics(items.iter().filter_map(Value::as_str)),
        _ => Vec::new(),
    };
    p.url = r
        .string("url")?
        .or_else(|| p.arxiv_id.as_deref().map(abs_url));
    p.comment = r.cleaned("comment")?;
    p.doi = r.string("doi")?;
    p.journal_ref = r.cleaned("journal_ref")?;
    Ok(p)
}

/// One generic record seen through the field map.
struct Mapped<'a> {
    value: &'a Value,
    field_map: &'a [(String, String)],
}

impl<'a> Mapped<'a> {
    fn key(&self, field: &'a str) -> &'a str {
        // The last mapping wins, so a later `--field` flag overrides an earlier one.
        let mapped = self.field_map.iter().rev().find(|(f, _)| f == field);
        mapped.map_or(field, |(_, k)| k.as_str())
    }

    fn get(&self, field: &'a str) -> Option<&'a Value> {
        let key = self.key(field);
        let v = if key.starts_with('/') {
            self.value.pointer(key)
        } else {
            self.value.get(key)
        };
        v.filter(|v| !v.is_null())
    }

    fn string(&self, field: &'a str) -> Result<Option<String>, String> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(format!("`{}` is not a string", self.key(field))),
        }
    }

    fn cleaned(&self, field: &'a str) -> Result<Option<String>, String> {
        Ok(self
            .string(field)?
            .map(clean_owned)
            .filter(|s| !s.is_empty()))
    }

    fn missing(&self, field: &'a str) -> String {
        format!("missing {field} (`{}`)", self.key(field))
    }
}

fn json_error(e: serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => format!("unexpected JSON value: {e}"),
        _ => format!("malformed JSON: {e}"),
    }
}

/// The trimmed field, None when absent or blank.
fn raw(field: Field<'_>) -> Option<Cow<'_, str>> {
    let t = field?.0;
    if t.trim().is_empty() {
        None
    } else if t.trim().len() == t.len() {
        Some(t)
    } else {
        Some(Cow::Owned(t.trim().to_string()))
    }
}

fn optional(field: Field<'_>) -> Option<String> {
    let cleaned = match field?.0 {
        Cow::Owned(s) => clean_owned(s),
        Cow::Borrowed(s) => clean(s),
    };
    Some(cleaned).filter(|s| !s.is_empty())
}

fn required(field: Field<'_>, what: &str) -> Result<String, String> {
    optional(field).ok_or_else(|| format!("missing {what}"))
}

/// `A. B, C and D (Univ. X)` -> [A. B, C, D]. Parenthesized affiliations may hold commas, so
/// they go before splitting; "et al" is not an author.
fn split_authors(s: &str) -> Vec<String> {
    let mut plain = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    plain
        .split(',')
        .flat_map(|part| part.split(" and "))
        .map(clean)
        .filter(|name| {
            !name.is_empty() && !name.trim_end_matches('.').eq_ignore_ascii_case("et al")
        })
        .collect()
}

/// Facet paths of the arXiv codes in `codes`. An entry may hold several codes or a class
/// string ("cs.AI, cs.SE", "68T45, 62H30", "I.2.7"), so entries are split into tokens and
/// only tokens in arXiv's taxonomy are kept: MSC/ACM codes never become topics.
fn arxiv_topics<'a>(codes: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut topics = Vec::new();
    let tokens =
        codes.flat_map(|c| c.split(|ch: char| ch == ',' || ch == ';' || ch.is_whitespace()));
    for path in tokens.filter_map(taxonomy::topic_path) {
        if !topics.contains(&path) {
            topics.push(path);
        }
    }
    topics
}

/// Generic tags: arXiv codes get their `/arxiv/...` path, `/paths` are kept as given, any
/// other tag becomes `/jsonl/<slug>`.
fn generic_topics<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut topics = Vec::new();
    for tag in tags.map(str::trim).filter(|t| !t.is_empty()) {
        let path = taxonomy::topic_path(tag).unwrap_or_else(|| {
            if tag.starts_with('/') {
                tag.to_string()
            } else {
                let slug = tag
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join("-");
                format!("/jsonl/{slug}")
            }
        });
        if path != "/jsonl/" && !topics.contains(&path) {
            topics.push(path);
        }
    }
    topics
}

/// The id as an arXiv id (`2502.00511v2`, `hep-th/9901001`, optionally `arXiv:`-prefixed).
fn arxiv_id(id: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?i:arxiv:)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)$")
            .unwrap()
    });
    Some(re.captures(id)?.get(1)?.as_str())
}

fn abs_url(id: &str) -> String {
    format!("https://arxiv.org/abs/{id}")
}

/// `YYYY-MM-DD`, optionally followed by a time (`2025-03-04T10:00:00Z`), or the RFC 2822
/// form of the snapshot's `versions[].created` (`Mon, 2 Apr 2007 19:18:42 GMT`).
fn date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    let unrecognized = || format!("unrecognized date `{s}`");
    let (year, month, day) = if let Some(ymd) = iso_prefix(s) {
        ymd
    } else {
        // RFC 2822: optional "Mon," then day, month name, year.
        let rest = s.split_once(',').map_or(s, |(_, r)| r);
        let mut parts = rest.split_whitespace();
        let day = parts.next().and_then(|d| d.parse().ok());
        let month = parts.next().and_then(month_number);
        let year = parts.next().and_then(|y| y.parse().ok());
        match (year, month, day) {
            (Some(y), Some(m), Some(d)) => (y, m, d),
            _ => return Err(unrecognized()),
        }
    };
    Month::try_from(month)
        .and_then(|m| Date::from_calendar_date(year, m, day))
        .map_err(|_| format!("impossible date `{s}`"))
}

fn iso_prefix(s: &str) -> Option<(i32, u8, u8)> {
    let head = s.get(..10)?;
    let rest = &s[10..];
    let b = head.as_bytes();
    let shaped = b[4] == b'-' && b[7] == b'-';
    if !shaped || !(rest.is_empty() || rest.starts_with(['T', ' '])) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = &head[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    Some((num(0..4)?.into(), num(5..7)? as u8, num(8..10)? as u8))
}

fn month_number(name: &str) -> Option<u8> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = name.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as u8 + 1)
}

/// The first sentence of `text`, at most about 200 bytes (cut at a word boundary).
fn first_sentence(text: &str) -> String {
    let end = text
        .match_indices(['.', '?', '!'])
        .map(|(i, _)| i + 1)
        .find(|&i| text[i..].is_empty() || text[i..].starts_with(' '))
        .unwrap_or(text.len());
    let sentence = &text[..end];
    if sentence.len() <= 200 {
        return sentence.to_string();
    }
    let mut cut = 200;
    while !sentence.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = sentence[..cut].rfind(' ').unwrap_or(cut);
    format!("{}…", &sentence[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const SNAPSHOT: &str = include_str!("../../corpus-samples/arxiv-snapshot-sample.jsonl");
    const LISTINGS: &str = include_str!("../../corpus-samples/arxiv-listings-sample.jsonl");
    const SCIFACT: &str = include_str!("../../corpus-samples/scifact-corpus-sample.jsonl");

    fn run(text: &str, format: Format) -> Parsed {
        parse("t.jsonl", text, format, &ParseOptions::default())
    }

    fn find<'a>(parsed: &'a Parsed, id: &str) -> &'a Paper {
        parsed.papers.iter().find(|p| p.id == id).unwrap()
    }

    fn skips(parsed: &Parsed) -> Vec<(u64, &str)> {
        parsed
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn snapshot_fixture() {
        let parsed = run(SNAPSHOT, Format::ArxivSnapshot);
        assert_eq!((parsed.papers.len(), parsed.skipped.len()), (20, 0));
        for (i, p) in parsed.papers.iter().enumerate() {
            let src = &p.sources[0];
            assert_eq!(
                (src.line, src.format.as_str()),
                (i as u64 + 1, "arxiv-snapshot")
            );
        }
        let p = find(&parsed, "0704.0001");
        assert_eq!(p.arxiv_id.as_deref(), Some("0704.0001"));
        assert_eq!(
            p.title,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
        );
        assert!(p
            .abstract_text
            .starts_with("A fully differential calculation in perturbative"));
        assert!(!p.abstract_text.contains('\n'));
        // versions[0].created (Mon, 2 Apr 2007), not update_date (2008-11-26).
        assert_eq!(p.date, Some(date!(2007 - 04 - 02)));
        assert_eq!(p.topics, strs(&["/arxiv/hep-ph"]));
        assert_eq!(p.authors.len(), 4);
        assert_eq!(p.authors[0], "C. Balázs");
        assert_eq!(p.authors[1], "E. L. Berger");
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
        assert_eq!(p.journal_ref.as_deref(), Some("Phys.Rev.D76:013009,2007"));
        assert_eq!(
            p.comment.as_deref(),
            Some("37 pages, 15 figures; published version")
        );
        assert_eq!(p.url.as_deref(), Some("https://arxiv.org/abs/0704.0001"));

        let p = find(&parsed, "0704.0002");
        assert_eq!(p.topics, strs(&["/arxiv/math/CO", "/arxiv/cs/CG"]));
        assert_eq!(p.authors, strs(&["Ileana Streinu", "Louis Theran"]));
        assert_eq!(p.date, Some(date!(2007 - 03 - 31)));
        assert_eq!(p.doi, None);
        // Suffixes follow the name; the 7 authors_parsed entries are all kept.
        let p = find(&parsed, "0704.0009");
        assert_eq!(p.authors.len(), 7);
        assert!(
            p.authors.contains(&"Neal J. Evans II".to_string()),
            "{:?}",
            p.authors
        );
    }

    #[test]
    fn snapshot_falls_back_to_author_string_and_update_date() {
        let line = r#"{"id":"0704.0099v2","submitter":"x","title":"T","abstract":"A.","authors":"A. Smith (MIT, USA), B. Jones and\n  C. Brown, et al","categories":"cmp-lg 68T50","update_date":"2008-01-13"}"#;
        let parsed = run(line, Format::ArxivSnapshot);
        let p = &parsed.papers[0];
        assert_eq!(p.id, "0704.0099");
        assert_eq!(p.authors, strs(&["A. Smith", "B. Jones", "C. Brown"]));
        assert_eq!(p.date, Some(date!(2008 - 01 - 13)));
        assert_eq!(p.topics, strs(&["/arxiv/cs/CL"]));
    }

    #[test]
    fn listing_fixture() {
        let parsed = run(LISTINGS, Format::ArxivListing);
        assert_eq!((parsed.papers.len(), parsed.skipped.len()), (40, 0));
        let p = find(&parsed, "1812.06145");
        assert_eq!(p.date, Some(date!(2025 - 10 - 13)));
        assert_eq!(
            p.authors,
            strs(&[
                "Mahdi Abavisani",
                "Hamid Reza Vaezi Joze",
                "Vishal M. Patel"
            ])
        );
        // "68T45, 62H30" and "I.5.3; I.2.10" are MSC/ACM classes, not topics.
        assert_eq!(
            p.topics,
            strs(&[
                "/arxiv/cs/CV",
                "/arxiv/cs/AI",
                "/arxiv/cs/HC",
                "/arxiv/cs/LG",
                "/arxiv/stat/ML"
            ])
        );
        assert_eq!(p.comment, None);
        // categories: null
        let p = find(&parsed, "2207.01732");
        assert!(p.topics.is_empty());
        assert_eq!(p.comment.as_deref(), Some("Accepted to Interspeech 2022"));
        // One entry holding several codes: split, and the repeated cs.AI kept once.
        let p = find(&parsed, "2506.04253");
        assert_eq!(
            p.topics,
            strs(&[
                "/arxiv/cs/AI",
                "/arxiv/cs/HC",
                "/arxiv/cs/SE",
                "/arxiv/cs/MA",
                "/arxiv/cs/CL",
                "/arxiv/cs/LG"
            ])
        );
        // No class code anywhere leaks into a topic.
        for p in &parsed.papers {
            for t in &p.topics {
                assert!(taxonomy::topic_label(t).is_some(), "{}: {t}", p.id);
            }
            assert!(!p.abstract_text.contains('\n'));
        }
        // The README demo relies on these.
        let demo = parsed
            .papers
            .iter()
            .filter(|p| {
                p.topics
                    .iter()
                    .any(|t| t == "/arxiv/cs/CL" || t == "/arxiv/cs/LG")
            })
            .filter(|p| p.abstract_text.to_lowercase().contains("sparse attention"))
            .count();
        assert!(demo >= 5, "{demo}");
    }

    #[test]
    fn beir_fixture() {
        let parsed = run(SCIFACT, Format::Beir);
        assert_eq!((parsed.papers.len(), parsed.skipped.len()), (30, 0));
        let p = &parsed.papers[0];
        assert_eq!((p.id.as_str(), p.arxiv_id.as_ref()), ("4983", None));
        assert!(p
            .title
            .starts_with("Microstructural development of human newborn"));
        assert!(p
            .abstract_text
            .starts_with("Alterations of the architecture"));
        assert_eq!(p.sources[0].format, "beir");
    }

    #[test]
    fn beir_untitled_gets_first_sentence() {
        let text = "{\"_id\":\"7\",\"title\":\"\",\"text\":\"Mice were fed. Weight rose 3.5 times.\"}\n{\"_id\":\"8\",\"title\":\"T\"}";
        let parsed = run(text, Format::Beir);
        assert_eq!(parsed.papers[0].title, "Mice were fed.");
        assert_eq!(
            parsed.papers[0].abstract_text,
            "Mice were fed. Weight rose 3.5 times."
        );
        assert_eq!(skips(&parsed), [(2, "missing abstract (`text`)")]);
    }

    #[test]
    fn bad_records_are_skipped_with_their_line() {
        let good = |id: &str, date: &str| {
            format!(
                r#"{{"id":"{id}","title":"T {id}","authors":["A"],"categories":["cs.CL"],"comment":null,"abstract":"Abs.","first_listed":"{date}"}}"#
            )
        };
        let text = [
            good("2503.00001", "2025-03-01"),
            r#"{"id":"2503.00002","title":"T","#.to_string(),
            String::new(),
            r#"{"id":"2503.00003","abstract":"A","first_listed":"2025-03-01"}"#.to_string(),
            "   ".to_string(),
            good("2503.00004", "2025-03-02"),
            r#"{"id":"2503.00005","title":"T","abstract":"  ","first_listed":"2025-03-01"}"#
                .to_string(),
            good("2503.00006", "2025-13-45"),
            good("2503.00007", "2025-02-30"),
            r#"{"id":"2503.00008","title":5,"abstract":"A"}"#.to_string(),
            good("2503.00009", "March 2025"),
            good("2503.00010", "2025-03-03"),
        ]
        .join("\r\n");
        let parsed = run(&text, Format::ArxivListing);
        let lines: Vec<_> = parsed
            .papers
            .iter()
            .map(|p| (p.sources[0].line, p.id.as_str()))
            .collect();
        assert_eq!(
            lines,
            [(1, "2503.00001"), (6, "2503.00004"), (12, "2503.00010")]
        );
        let got = skips(&parsed);
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(got[0].0, 2);
        assert!(got[0].1.starts_with("malformed JSON: EOF"), "{}", got[0].1);
        assert_eq!(got[1], (4, "missing title"));
        assert_eq!(got[2], (7, "missing abstract"));
        assert_eq!(got[3], (8, "impossible date `2025-13-45`"));
        assert_eq!(got[4], (9, "impossible date `2025-02-30`"));
        assert_eq!(got[5].0, 10);
        assert!(got[5]
            .1
            .starts_with("unexpected JSON value: invalid type: integer `5`"));
        assert_eq!(got[6], (11, "unrecognized date `March 2025`"));
        assert_eq!(
            parsed.skipped[0]
                .to_string()
                .split(':')
                .take(2)
                .collect::<Vec<_>>(),
            ["t.jsonl", "2"]
        );
    }

    #[test]
    fn snapshot_bad_created_date_is_skipped() {
        let line = r#"{"id":"0704.0001","title":"T","abstract":"A","versions":[{"created":"Sat, 31 Feb 2007 02:26:18 GMT"}],"update_date":"2008-12-13"}"#;
        let parsed = run(&format!("\n{line}"), Format::ArxivSnapshot);
        assert_eq!(
            skips(&parsed),
            [(2, "impossible date `Sat, 31 Feb 2007 02:26:18 GMT`")]
        );
    }

    #[test]
    fn empty_and_blank_files_yield_nothing() {
        for text in ["", "\n\n", "  \r\n\t\n", "\u{feff}"] {
            for format in [
                Format::ArxivSnapshot,
                Format::ArxivListing,
                Format::Beir,
                Format::Jsonl,
            ] {
                let parsed = run(text, format);
                assert!(
                    parsed.papers.is_empty() && parsed.skipped.is_empty(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn generic_with_field_map() {
        let opts = ParseOptions {
            field_map: [
                ("title", "name"),
                ("abstract", "summary"),
                ("date", "published"),
                ("authors", "creators"),
                ("id", "key"),
                ("topics", "tags"),
                ("url", "link"),
                ("comment", "/meta/note"),
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            ..ParseOptions::default()
        };
        let text = [
            r#"{"key":"arXiv:2503.01234v2","name":"Sparse  Attention","summary":"Fast.\n It is.","published":"2025-03-04T10:00:00Z","creators":["Ann Lee",{"name":"Bo Wu"}],"tags":["cs.CL","Long Context"],"meta":{"note":"ACL 2025"}}"#,
            r#"{"key":"doc-7","name":"Other","summary":"B.","published":"2025-02-30","tags":"x"}"#,
            r#"{"key":"doc-8","name":"Other","summary":"B.","creators":"A and B","tags":"nlp; /my/topic","link":"https://e.org/8"}"#,
            r#"{"key":"doc-9","title":"Unmapped key is ignored","summary":"B."}"#,
            r#"[1, 2]"#,
        ]
        .join("\n");
        let parsed = parse("g.jsonl", &text, Format::Jsonl, &opts);
        assert_eq!(parsed.papers.len(), 2);
        let p = &parsed.papers[0];
        assert_eq!(
            (p.id.as_str(), p.arxiv_id.as_deref()),
            ("2503.01234", Some("2503.01234"))
        );
        assert_eq!(
            (p.title.as_str(), p.abstract_text.as_str()),
            ("Sparse Attention", "Fast. It is.")
        );
        assert_eq!(p.date, Some(date!(2025 - 03 - 04)));
        assert_eq!(p.authors, strs(&["Ann Lee", "Bo Wu"]));
        assert_eq!(p.topics, strs(&["/arxiv/cs/CL", "/jsonl/long-context"]));
        assert_eq!(p.comment.as_deref(), Some("ACL 2025"));
        assert_eq!(p.url.as_deref(), Some("https://arxiv.org/abs/2503.01234"));
        let p = &parsed.papers[1];
        assert_eq!((p.id.as_str(), p.arxiv_id.as_ref()), ("doc-8", None));
        assert_eq!(p.authors, strs(&["A", "B"]));
        assert_eq!(p.topics, strs(&["/jsonl/nlp", "/my/topic"]));
        assert_eq!(p.url.as_deref(), Some("https://e.org/8"));
        assert_eq!(
            skips(&parsed),
            [
                (2, "impossible date `2025-02-30`"),
                (4, "missing title (`name`)"),
                (5, "expected a JSON object")
            ]
        );
    }

    #[test]
    fn generic_defaults() {
        let line = r#"{"id":"x1","title":"T","abstract":"A","date":"2024-12-01","authors":"Ann Lee, Bo Wu","url":"u","comment":"c"}"#;
        let parsed = run(line, Format::Jsonl);
        let p = &parsed.papers[0];
        assert_eq!((p.id.as_str(), p.date), ("x1", Some(date!(2024 - 12 - 01))));
        assert_eq!(p.authors, strs(&["Ann Lee", "Bo Wu"]));
        assert_eq!(
            (p.url.as_deref(), p.comment.as_deref()),
            (Some("u"), Some("c"))
        );
        // Without an id the paper keeps the title-derived id.
        let parsed = run(r#"{"title":"T","abstract":"A"}"#, Format::Jsonl);
        assert!(parsed.papers[0].id.starts_with("t:"));
    }

    #[test]
    fn sniff_picks_the_format() {
        let first = |t: &str| t.lines().next().unwrap().to_string();
        assert_eq!(sniff(&first(SNAPSHOT)), Some(Format::ArxivSnapshot));
        assert_eq!(sniff(&first(LISTINGS)), Some(Format::ArxivListing));
        assert_eq!(sniff(&first(SCIFACT)), Some(Format::Beir));
        assert_eq!(sniff(r#"{"submitter":"x"}"#), Some(Format::ArxivSnapshot));
        assert_eq!(sniff(r#"{"versions":[]}"#), None);
        assert_eq!(sniff(r#"{"_id":"1"}"#), None);
        assert_eq!(sniff(r#"{"title":"T","abstract":"A"}"#), None);
        assert_eq!(sniff("{not json"), None);
        // Through the module's sniff, which falls back to generic JSON lines.
        assert_eq!(
            super::super::sniff("x.jsonl", LISTINGS),
            Some(Format::ArxivListing)
        );
        assert_eq!(super::super::sniff("x", "{\"a\":1}\n"), Some(Format::Jsonl));
    }

    mod date_properties {
        use proptest::prelude::*;
        use time::{Date, Month};

        use super::super::date;

        fn any_date() -> impl Strategy<Value = Date> {
            (1000i32..9999, 1u8..=12, 1u8..=31).prop_filter_map("a real day", |(y, m, d)| {
                Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
            })
        }

        proptest! {
            /// Any text gives a date or an error that quotes it, never a panic.
            #[test]
            fn never_panics(s in "\\PC{0,40}") {
                if let Err(e) = date(&s) {
                    prop_assert!(e.contains(s.trim()), "{e}");
                }
            }

            /// Every real day reads back from its ISO form (with or without a time) and from
            /// the snapshot's RFC 2822 form.
            #[test]
            fn iso_and_rfc2822_round_trip(d in any_date(), h in 0u8..24) {
                let iso = format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
                prop_assert_eq!(date(&iso), Ok(d));
                prop_assert_eq!(date(&format!("{iso}T{h:02}:00:00Z")), Ok(d));
                let month = &format!("{:?}", d.month())[..3];
                let rfc = format!("{:?}, {} {month} {} {h:02}:18:42 GMT", d.weekday(), d.day(), d.year());
                prop_assert_eq!(date(&rfc), Ok(d));
            }

            /// A day past the month's end is refused as impossible, not shifted.
            #[test]
            fn impossible_days_are_refused(y in 1000i32..9999, m in 1u8..=12, d in 29u8..=31) {
                let iso = format!("{y:04}-{m:02}-{d:02}");
                let real = Date::from_calendar_date(y, Month::try_from(m).unwrap(), d);
                match real {
                    Ok(real) => prop_assert_eq!(date(&iso), Ok(real)),
                    Err(_) => prop_assert!(date(&iso).unwrap_err().starts_with("impossible")),
                }
            }
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            date("Mon, 2 Apr 2007 19:18:42 GMT"),
            Ok(date!(2007 - 04 - 02))
        );
        assert_eq!(date("2025-03-04 10:00"), Ok(date!(2025 - 03 - 04)));
        assert_eq!(date("2024-02-29"), Ok(date!(2024 - 02 - 29)));
        assert!(date("2025-02-29").unwrap_err().starts_with("impossible"));
        assert!(date("2025-03-04x").unwrap_err().starts_with("unrecognized"));
        assert!(date("2025-0é-04").unwrap_err().starts_with("unrecognized"));
        assert!(date("").unwrap_err().starts_with("unrecognized"));
    }
}
