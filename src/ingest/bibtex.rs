//! BibTeX and BibLaTeX libraries: Zotero, Better BibTeX, JabRef and Google Scholar exports.
//!
//! Entries are found here (an `@type{` or `@type(` at the start of a line, its braces
//! balanced) and each is parsed alone by the `biblatex` crate: the crate stops a whole file at
//! its first error and places it by byte offset only, so one malformed entry would otherwise
//! lose the library. A bad entry is a skip naming its line; the rest are indexed. `@string`
//! abbreviations are gathered from the whole file first; each entry gets those it uses.

use std::collections::HashMap;
use std::sync::LazyLock;

use biblatex::{
    Bibliography, Chunk, ChunksExt, ChunksRef, Date as BibDate, DateValue, Datetime, Pair,
    PermissiveType, RawBibliography, RawChunk, RawEntry, Spanned,
};
use regex::Regex;
use time::{Date, Month};

use super::newsletter::slug;
use super::text::clean;
use super::{Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};
use crate::search::paper_id;

/// `.bib` / `.bibtex` files, or text whose first line that is not blank or a `%` comment
/// opens an entry (`@article{`, `@STRING{`, ...).
pub fn looks_like(file_name: &str, head: &str) -> bool {
    let name = file_name.strip_suffix(".gz").unwrap_or(file_name);
    let name = name.to_ascii_lowercase();
    if name.ends_with(".bib") || name.ends_with(".bibtex") {
        return true;
    }
    head.trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('%'))
        .is_some_and(|l| header(l).is_some())
}

pub fn parse(file: &str, text: &str, _opts: &ParseOptions) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let blocks = blocks(text);
    let mut parsed = Parsed::default();
    let skip = |parsed: &mut Parsed, line: u64, reason: String| {
        parsed.skipped.push(Skip {
            file: file.to_string(),
            line,
            reason,
        })
    };

    let mut strings = Vec::new();
    for b in blocks
        .iter()
        .filter(|b| b.kind.eq_ignore_ascii_case("string"))
    {
        if let Err(reason) = &b.closed {
            skip(&mut parsed, b.line, reason.clone());
            continue;
        }
        match RawBibliography::parse(b.text) {
            Ok(raw) => strings.extend(raw.abbreviations),
            Err(e) => skip(
                &mut parsed,
                b.line_at(e.span.start),
                format!("malformed @string: {}", e.kind),
            ),
        }
    }

    let is_entry = |b: &Block| {
        let kind = b.kind.to_ascii_lowercase();
        !matches!(kind.as_str(), "string" | "comment" | "preamble")
    };
    // For `crossref`/`xdata`: the parent's fields (a proceedings' title and year) fill the
    // child's gaps.
    let by_key: HashMap<&str, &Block> = blocks
        .iter()
        .filter(|b| is_entry(b) && b.closed.is_ok() && !b.parens)
        .map(|b| (b.key(), b))
        .collect();
    for b in blocks.iter().filter(|b| is_entry(b)) {
        let key = b.key();
        if let Err(reason) = &b.closed {
            skip(&mut parsed, b.line, format!("entry `{key}`: {reason}"));
            continue;
        }
        match entry(file, b, &strings, &by_key) {
            Ok(Some(paper)) => {
                if paper.abstract_text.is_empty() {
                    parsed.no_abstract += 1;
                }
                parsed.papers.push(paper);
            }
            Ok(None) => {}
            Err((line, reason)) => skip(&mut parsed, line, format!("entry `{key}`: {reason}")),
        }
    }
    parsed
}

/// One `@type{...}` block of the file.
struct Block<'a> {
    kind: &'a str,
    /// 1-based line of the `@`.
    line: u64,
    text: &'a str,
    /// Err(reason) when its braces do not balance.
    closed: Result<(), String>,
    /// Opened with `(`: the crate reads only braces, so the text is rewritten for it.
    parens: bool,
}

impl Block<'_> {
    /// The line of a byte offset into the block.
    fn line_at(&self, offset: usize) -> u64 {
        let end = offset.min(self.text.len());
        self.line + memchr::memchr_iter(b'\n', &self.text.as_bytes()[..end]).count() as u64
    }

    /// The citation key, for skip reasons.
    fn key(&self) -> &str {
        let open = self
            .text
            .find(['{', '('])
            .map_or(self.text.len(), |i| i + 1);
        let rest = &self.text[open..];
        let end = rest
            .find(|c: char| matches!(c, ',' | '}' | ')') || c.is_whitespace())
            .unwrap_or(rest.len());
        rest[..end].trim()
    }
}

/// `@ident{` or `@ident(` at the start of `line` (already trimmed): the entry type and the
/// byte offset of the opening delimiter.
fn header(line: &str) -> Option<(&str, usize)> {
    let rest = line.strip_prefix('@')?;
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    if len == 0 || !rest.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let after = &rest[len..];
    let ws = after.len() - after.trim_start().len();
    matches!(after.trim_start().as_bytes().first(), Some(b'{' | b'('))
        .then_some((&rest[..len], 1 + len + ws))
}

/// Cuts the file into blocks. A block ends where its braces balance; one still open when the
/// next line-start header comes is unbalanced and ends there, so a missing `}` costs one
/// entry, not the rest of the file. Text between blocks is a comment, as in BibTeX.
fn blocks(text: &str) -> Vec<Block<'_>> {
    // Line starts with their line numbers.
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    // A header from byte `at` to the end of its line: (type, start, opening delimiter).
    let header_from = |at: usize| -> Option<(&str, usize, usize)> {
        let line = &text[at..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let indent = line.len() - line.trim_start().len();
        header(line.trim_start()).map(|(kind, open)| (kind, at + indent, at + indent + open))
    };
    let header_at = |i: usize| header_from(starts[i]);
    let mut out = Vec::new();
    let mut i = 0;
    // Where the next block may start on line `i` when it is not the line's start: right after
    // a block that closed on that line (`@string{a = "x"} @string{b = "y"}`).
    let mut from = None;
    while i < starts.len() {
        let Some((kind, start, open)) = header_from(from.take().unwrap_or(starts[i])) else {
            i += 1;
            continue;
        };
        let parens = text.as_bytes()[open] == b'(';
        let (mut depth, mut pos, mut end) = (0i64, open + 1, None);
        let mut deepest = 0;
        let bytes = text.as_bytes();
        let mut line = i;
        let mut next_header = None;
        while pos < bytes.len() {
            match bytes[pos] {
                // An escaped brace does not count (as in the crate); an escaped newline does.
                b'\\' if bytes.get(pos + 1) != Some(&b'\n') => pos += 1,
                b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b'}' if depth == 0 && !parens => {
                    end = Some(pos + 1);
                    break;
                }
                b'}' => depth -= 1,
                b')' if parens && depth == 0 => {
                    end = Some(pos + 1);
                    break;
                }
                b'\n' => {
                    line += 1;
                    if line < starts.len() && header_at(line).is_some() {
                        next_header = Some(line);
                        break;
                    }
                }
                _ => {}
            }
            pos += 1;
        }
        let mut block = Block {
            kind,
            line: i as u64 + 1,
            text: &text[start..end.unwrap_or(pos.min(text.len()))],
            closed: Ok(()),
            parens,
        };
        match end {
            None => {
                block.closed = Err(match next_header {
                    Some(l) => format!("unbalanced braces: not closed before line {}", l + 1),
                    None => "unbalanced braces: not closed before the end of the file".into(),
                });
                out.push(block);
                i = next_header.unwrap_or(starts.len());
            }
            Some(end) => {
                // More on the line after the closing brace (`title = {X}},`): a `}` too many
                // closed the entry early and its last fields would be lost.
                let rest = &text[end..];
                let rest = rest[..rest.find('\n').unwrap_or(rest.len())].trim();
                let next_on_line = header(rest).is_some();
                if !rest.is_empty() && !rest.starts_with('%') && !next_on_line {
                    block.closed = Err(format!(
                        "unbalanced braces: a `{}` on line {} closes the entry early",
                        if parens { ')' } else { '}' },
                        block.line_at(block.text.len() - 1)
                    ));
                }
                // The crate reads a command's braced argument by recursion: `\x{\x{...}}`
                // thousands deep overflowed the stack.
                if deepest > MAX_BRACE_DEPTH {
                    block.closed = Err(format!("braces nested deeper than {MAX_BRACE_DEPTH}"));
                }
                let last = block.line_at(block.text.len()) as usize; // 1-based: next index
                out.push(block);
                i = last;
                if next_on_line {
                    (i, from) = (last - 1, Some(end));
                }
            }
        }
    }
    out
}

type Failed = (u64, String);

/// The `@string`s an entry refers to, and those they refer to: each entry is resolved alone,
/// and handing it every string of a file with hundreds (IEEE's abbreviations) cost a copy
/// of them all per entry. The crate resolves strings recursively and overflows the stack on
/// a cycle (`@string{a = b}`, `@string{b = a}`) or a very deep chain: those are errors here.
fn used_strings<'s>(
    entries: &[Spanned<RawEntry<'s>>],
    strings: &[Pair<'s>],
) -> Result<Vec<Pair<'s>>, String> {
    fn visit<'s>(
        name: &'s str,
        strings: &[Pair<'s>],
        out: &mut Vec<Pair<'s>>,
        path: &mut Vec<&'s str>,
    ) -> Result<(), String> {
        if out.iter().any(|p| p.key.v == name) {
            return Ok(());
        }
        if path.contains(&name) {
            return Err(format!("@string `{name}` is defined through itself"));
        }
        if path.len() >= MAX_STRING_DEPTH {
            return Err(format!("@strings nested deeper than {MAX_STRING_DEPTH}"));
        }
        // The last definition wins, as in the crate.
        let Some(p) = strings.iter().rev().find(|p| p.key.v == name) else {
            return Ok(());
        };
        path.push(name);
        for n in abbreviations_in(&p.value.v) {
            visit(n, strings, out, path)?;
        }
        path.pop();
        out.push(p.clone());
        Ok(())
    }
    let mut out = Vec::new();
    let fields = entries.iter().flat_map(|e| &e.v.fields);
    for name in fields.flat_map(|f| abbreviations_in(&f.value.v)) {
        visit(name, strings, &mut out, &mut Vec::new())?;
    }
    Ok(out)
}

const MAX_STRING_DEPTH: usize = 32;

/// Real titles nest a few levels (`{{Deep}}`, `{\"{o}}`).
const MAX_BRACE_DEPTH: i64 = 64;

fn abbreviations_in<'s>(value: &[Spanned<RawChunk<'s>>]) -> Vec<&'s str> {
    value
        .iter()
        .filter_map(|c| match c.v {
            RawChunk::Abbreviation(name) => Some(name),
            RawChunk::Normal(_) => None,
        })
        .collect()
}

/// The raw entries named by `crossref` and `xdata` of `entries` (not `key` itself).
fn parents<'a>(
    entries: &[Spanned<RawEntry<'_>>],
    key: &str,
    by_key: &HashMap<&str, &Block<'a>>,
) -> Vec<Spanned<RawEntry<'a>>> {
    let mut out: Vec<Spanned<RawEntry<'a>>> = Vec::new();
    let fields = entries.iter().flat_map(|e| &e.v.fields);
    for name in fields.filter(|f| is_reference(f)).flat_map(ref_names) {
        if name == key || out.iter().any(|p| p.v.key.v == name) {
            continue;
        }
        let parsed = by_key
            .get(name)
            .and_then(|p| RawBibliography::parse(p.text).ok());
        for mut parent in parsed.into_iter().flat_map(|r| r.entries) {
            parent.v.fields.retain(|f| !is_reference(f));
            out.push(parent);
        }
    }
    out
}

fn is_reference(f: &Pair) -> bool {
    f.key.v.eq_ignore_ascii_case("crossref") || f.key.v.eq_ignore_ascii_case("xdata")
}

/// The keys a `crossref` or `xdata` field names.
fn ref_names<'s>(f: &Pair<'s>) -> Vec<&'s str> {
    f.value
        .v
        .iter()
        .flat_map(|c| match c.v {
            RawChunk::Normal(names) => names.split(',').map(str::trim).collect(),
            RawChunk::Abbreviation(_) => Vec::new(),
        })
        .collect()
}

/// One entry as a paper; None for entries that are no paper (`@comment`-like types are left
/// out by the caller).
fn entry(
    file: &str,
    b: &Block,
    strings: &[Pair],
    by_key: &HashMap<&str, &Block>,
) -> Result<Option<Paper>, Failed> {
    // The crate reads `@type{...}` only: an entry in parentheses is given to it in braces.
    let owned;
    let text = if b.parens {
        let open = b.text.find('(').expect("a header has its delimiter");
        let mut t = String::with_capacity(b.text.len());
        t.push_str(&b.text[..open]);
        t.push('{');
        t.push_str(&b.text[open + 1..b.text.len() - 1]);
        t.push('}');
        owned = t;
        owned.as_str()
    } else {
        b.text
    };
    let at = |offset: usize| b.line_at(offset);
    let mut raw =
        RawBibliography::parse(text).map_err(|e| (at(e.span.start), e.kind.to_string()))?;
    let Some(key) = raw.entries.first().map(|e| e.v.key.v) else {
        return Ok(None);
    };
    // The crate follows references recursively and overflows the stack on a cycle: an entry
    // naming itself (or through a @string) loses that reference, and parents below lose
    // theirs (one level).
    for e in &mut raw.entries {
        e.v.fields.retain(|f| {
            !is_reference(f)
                || (!ref_names(f).contains(&key)
                    && f.value.v.iter().all(|c| matches!(c.v, RawChunk::Normal(_))))
        });
    }
    let resolve = |entries: Vec<Spanned<RawEntry>>| {
        let abbreviations = used_strings(&entries, strings).map_err(|reason| (b.line, reason))?;
        Bibliography::from_raw(RawBibliography {
            preamble: String::new(),
            abbreviations,
            entries,
        })
        .map_err(|e| (at(e.span.start), e.kind.to_string()))
    };
    let parents = parents(&raw.entries, key, by_key);
    // A parent that does not resolve is reported as its own entry; the child stands alone.
    let bib = match parents.is_empty() {
        false => resolve([raw.entries.clone(), parents].concat()).ok(),
        true => None,
    };
    let bib = match bib {
        Some(bib) => bib,
        None => resolve(raw.entries)?,
    };
    let Some(e) = bib.get(key) else {
        return Ok(None);
    };

    let title = e.title().ok().map(text_of).unwrap_or_default();
    if title.is_empty() {
        return Err((b.line, "missing title".into()));
    }
    let abstract_text = e.abstract_().ok().map(text_of).unwrap_or_default();
    let field = |name: &str| e.get(name).map(|c| c.format_verbatim().trim().to_string());

    let mut p = Paper::new(title, abstract_text, arxiv_id(e, &field));
    p.authors = e
        .author()
        .unwrap_or_default()
        .iter()
        .map(|person| {
            clean(&format!(
                "{} {} {} {}",
                person.given_name, person.prefix, person.name, person.suffix
            ))
        })
        .filter(|name| !name.is_empty() && !name.eq_ignore_ascii_case("others"))
        .collect();
    p.date = date(e)
        .map_err(|reason| (b.line, reason))?
        .map(
            |(d, year_only)| match p.arxiv_id.as_deref().and_then(arxiv_month) {
                // A year alone would be the 1st of January, and the earliest date wins a merge:
                // the arXiv id tells the month the paper was submitted (2503.x: March 2025).
                Some((y, m)) if year_only && y == d.year() => {
                    Date::from_calendar_date(y, m, 1).unwrap_or(d)
                }
                _ => d,
            },
        );
    p.doi = field("doi").map(|d| doi(&d)).filter(|d| !d.is_empty());
    p.url = field("url").filter(|u| !u.is_empty()).or_else(|| {
        p.arxiv_id
            .as_ref()
            .map(|a| format!("https://arxiv.org/abs/{a}"))
    });
    p.topics = topics(e.get("keywords"));
    p.comment = e.note().ok().map(text_of).filter(|n| !n.is_empty());
    p.journal_ref = ["journaltitle", "journal", "booktitle"]
        .iter()
        .find_map(|f| e.get(f).map(text_of))
        .filter(|j| !j.is_empty() && !GOOGLE_ARXIV.is_match(j));
    p.sources.push(SourceRef {
        file: file.to_string(),
        format: Format::Bibtex.name().to_string(),
        line: b.line,
    });
    Ok(Some(p))
}

/// Chunks as plain text: the crate has decoded accents, `\&`, `--` and brace groups; math
/// stays in `$...$` for `clean`, which also strips the commands the crate left (`\emph{x}`).
fn text_of(chunks: ChunksRef) -> String {
    let mut s = String::new();
    for c in chunks {
        match &c.v {
            // `~` is TeX's unbreakable space.
            Chunk::Normal(t) | Chunk::Verbatim(t) => s.push_str(&t.replace('~', " ")),
            Chunk::Math(m) => {
                s.push('$');
                s.push_str(m);
                s.push('$');
            }
        }
    }
    clean(&s)
}

/// Google Scholar's arXiv entries: `journal = {arXiv preprint arXiv:1803.02250}`.
static GOOGLE_ARXIV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^arxiv preprint (arxiv:\S+)$").unwrap());

/// The arXiv id from `eprint` (typed arXiv, or untyped), the DOI (10.48550/arXiv.X), the
/// URL (arxiv.org/abs/X), Google Scholar's journal line or DBLP's `CoRR` volume `abs/X`.
fn arxiv_id(e: &biblatex::Entry, field: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let eprint_type = field("eprinttype").or_else(|| field("archiveprefix"));
    let from_eprint = field("eprint")
        .filter(|_| {
            eprint_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case("arxiv"))
        })
        .and_then(|x| paper_id(&x));
    let journal = field("journal").or_else(|| field("journaltitle"));
    let from_journal = || {
        let j = journal.as_deref()?;
        if let Some(m) = GOOGLE_ARXIV.captures(j) {
            return paper_id(&m[1]);
        }
        let corr = j.eq_ignore_ascii_case("corr") || j.eq_ignore_ascii_case("arxiv");
        let volume = e.get("volume")?.format_verbatim();
        corr.then(|| paper_id(volume.trim().strip_prefix("abs/")?))?
    };
    from_eprint
        .or_else(|| field("doi").and_then(|d| paper_id(&d)))
        .or_else(|| field("url").and_then(|u| paper_id(&u)))
        .or_else(from_journal)
}

/// `https://doi.org/10.1/x` or `doi:10.1/x` -> `10.1/x`.
fn doi(d: &str) -> String {
    let d = d.trim();
    let lower = d.to_ascii_lowercase();
    for prefix in [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ] {
        if lower.starts_with(prefix) {
            return d[prefix.len()..].trim().to_string();
        }
    }
    d.to_string()
}

/// Keywords as `/bib/<slug>` topics: split on `,` and `;` (Zotero, JabRef, Mendeley).
fn topics(keywords: Option<ChunksRef>) -> Vec<String> {
    let mut topics = Vec::new();
    let Some(k) = keywords else {
        return topics;
    };
    for word in text_of(k).split([',', ';']) {
        let s = slug(word);
        let path = format!("/bib/{s}");
        if !s.is_empty() && !topics.contains(&path) {
            topics.push(path);
        }
    }
    topics
}

/// The year and month of an arXiv id: `2503.16428` and `hep-th/9901001` -> (2025, March).
fn arxiv_month(id: &str) -> Option<(i32, Month)> {
    let digits = id.rsplit('/').next()?.get(..4)?;
    let yy: i32 = digits.get(..2)?.parse().ok()?;
    let mm: u8 = digits.get(2..)?.parse().ok()?;
    let year = if yy < 91 { 2000 + yy } else { 1900 + yy };
    Some((year, Month::try_from(mm).ok()?))
}

/// The entry's date and whether it is a year alone: BibLaTeX `date` (ISO 8601, ranges: their
/// start), else `year` with `month` and `day`. A year alone is the 1st of January, a month
/// its 1st day. Neither field: no date. A year that is not a number of up to four digits is
/// an error.
fn date(e: &biblatex::Entry) -> Result<Option<(Date, bool)>, String> {
    // An empty field (`year = {}`, common in hand-kept files) is no date, not a bad one.
    let present = |f: &str| e.get(f).filter(|c| !c.format_verbatim().trim().is_empty());
    if let Some(chunks) = present("date") {
        let raw = chunks.format_verbatim();
        return match e.date() {
            Ok(PermissiveType::Typed(d)) => to_date(&d, &raw).map(Some),
            _ => Err(format!("bad date `{}`", raw.trim())),
        };
    }
    let Some(year) = present("year") else {
        return Ok(None);
    };
    let raw = year.format_verbatim();
    let y = raw.trim();
    if y.len() > 4 || !y.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("bad year `{y}`"));
    }
    // JabRef writes the `dec` macro as `{\#dec\#}`: the month name between the `#`s.
    let jabref_month = e.get("month").and_then(|m| {
        let t = m.format_verbatim();
        let name = t.trim().strip_prefix('#')?.strip_suffix('#')?.to_string();
        Some(vec![Spanned::detached(Chunk::Normal(name))])
    });
    let month = jabref_month.as_deref().or(e.get("month"));
    let d = BibDate::parse_three_fields(year, month, e.get("day"))
        .map_err(|_| format!("bad date `{y}` (month or day)"))?;
    to_date(&d, y).map(Some)
}

fn to_date(d: &BibDate, raw: &str) -> Result<(Date, bool), String> {
    let at: Datetime = match d.value {
        DateValue::At(a) | DateValue::After(a) | DateValue::Before(a) => a,
        DateValue::Between(a, _) => a,
    };
    // The crate counts months and days from zero.
    Month::try_from(at.month.unwrap_or(0) + 1)
        .and_then(|m| Date::from_calendar_date(at.year, m, at.day.unwrap_or(0) + 1))
        .map(|date| (date, at.month.is_none()))
        .map_err(|_| format!("impossible date `{}`", raw.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn run(text: &str) -> Parsed {
        parse("t.bib", text, &ParseOptions::default())
    }

    fn skips(p: &Parsed) -> Vec<(u64, String)> {
        p.skipped
            .iter()
            .map(|s| (s.line, s.reason.clone()))
            .collect()
    }

    #[test]
    fn fields_come_out_as_text() {
        let p = run(r#"
@article{k1,
  title = {{\"U}ber {NASA} \& the {$O(n \log n)$} bound -- a {\'e}tude~2},
  author = {M{\"u}ller, J{\"o}rg and van der Berg, Anna and others},
  year = {2020}, month = mar,
  doi = {https://doi.org/10.1000/XYZ},
  keywords = {Sparse Attention; Long context, Sparse attention},
  abstract = {We \emph{show} that it works.},
}
"#);
        assert_eq!(skips(&p), []);
        let e = &p.papers[0];
        assert_eq!(e.title, "Über NASA & the O(n log n) bound – a étude 2");
        assert_eq!(e.authors, ["Jörg Müller", "Anna van der Berg"]);
        assert_eq!(e.date, Some(date!(2020 - 03 - 01)));
        assert_eq!(e.doi.as_deref(), Some("10.1000/XYZ"));
        assert_eq!(e.topics, ["/bib/sparse-attention", "/bib/long-context"]);
        assert_eq!(e.abstract_text, "We show that it works.");
        assert_eq!(e.sources[0].line, 2);
        assert!(e.has_title_id());
        assert_eq!(p.no_abstract, 0);
    }

    #[test]
    fn arxiv_ids_in_every_form() {
        let p = run(r#"
@misc{a, title={A}, eprint={2503.16428v2}, archivePrefix={arXiv}, primaryClass={cs.LG}}
@online{b, title={B}, eprinttype={arxiv}, eprint={hep-th/9901001}}
@article{c, title={C}, url={https://arxiv.org/abs/2504.16795}}
@article{d, title={D}, doi={10.48550/arXiv.2505.05772}}
@article{e, title={E}, journal={arXiv preprint arXiv:1803.02250}, year={2018}}
@article{f, title={F}, journal={CoRR}, volume={abs/1904.11093}}
@article{g, title={G}, eprinttype={pubmed}, eprint={12345678}}
"#);
        let ids: Vec<_> = p.papers.iter().map(|p| p.arxiv_id.as_deref()).collect();
        assert_eq!(
            ids,
            [
                Some("2503.16428"),
                Some("hep-th/9901001"),
                Some("2504.16795"),
                Some("2505.05772"),
                Some("1803.02250"),
                Some("1904.11093"),
                None
            ]
        );
        assert_eq!(p.papers[0].id, "2503.16428");
        assert_eq!(p.papers[4].journal_ref, None);
        assert_eq!(p.no_abstract, 7);
    }

    #[test]
    fn dates() {
        let p = run(r#"
@online{a, title={A}, date={2014-12-09}}
@online{b, title={B}, date={2020-09/2021-01}}
@article{c, title={C}, year={2019}, month={\#dec\#}}
@article{d, title={D}, year={2019}, month={7}, day={4}}
@article{e, title={E}, year={ }}
@misc{f, title={F}, year={2025}, eprint={2503.16428}, archivePrefix={arXiv}}
@misc{g, title={G}, year={2024}, eprint={2503.16428}, archivePrefix={arXiv}}
"#);
        let dates: Vec<_> = p.papers.iter().map(|p| p.date).collect();
        assert_eq!(
            dates,
            [
                Some(date!(2014 - 12 - 09)),
                Some(date!(2020 - 09 - 01)),
                Some(date!(2019 - 12 - 01)),
                Some(date!(2019 - 07 - 04)),
                None,
                Some(date!(2025 - 03 - 01)),
                Some(date!(2024 - 01 - 01)),
            ]
        );
    }

    #[test]
    fn malformed_entries_are_skips_naming_their_line() {
        let text = "% header\n\
@article{ok1, title={First}, year={2020}}\n\
@article{open,\n  title = {Never closed},\n  year = {2020},\n\
@article{ok2, title={Second}}\n\
@article{notitle, year={2020}}\n\
@article{badyear, title={Third}, year={forthcoming}}\n\
@article{early,\n  title = {Closed}},\n  year = {2021}\n}\n\
@article{nocomma title={X}}\n\
@article(paren, title={In parentheses}, year=2001)\n";
        let p = run(text);
        let titles: Vec<_> = p.papers.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["First", "Second", "In parentheses"]);
        assert_eq!(
            skips(&p),
            [
                (
                    3,
                    "entry `open`: unbalanced braces: not closed before line 6".into()
                ),
                (7, "entry `notitle`: missing title".into()),
                (8, "entry `badyear`: bad year `forthcoming`".into()),
                (
                    9,
                    "entry `early`: unbalanced braces: a `}` on line 10 closes the entry early"
                        .into()
                ),
                (13, "entry `nocomma`: expected comma".into()),
            ]
        );
        assert_eq!(p.papers[2].date, Some(date!(2001 - 01 - 01)));
    }

    #[test]
    fn strings_are_shared_and_comments_ignored() {
        let p = run(r#"% Encoding: UTF-8
@STRING{tkde = {IEEE Transactions on Knowledge and Data Engineering}}
@Comment{jabref-meta: databaseType:bibtex;}
@ARTICLE{x, title = {T}, journal = tkde, year = 2005}
@article{y, title = {U}, journal = undefined}
@string{a = b} @string{b = "x" # a}
@string{s = s}
@article{z, title = {V}, journal = a}
@article{w, title = {W}, journal = s}
@article{v, title = {X}, journal = tkde # { Letters}}
"#);
        assert_eq!(p.papers.len(), 2);
        assert_eq!(
            p.papers[0].journal_ref.as_deref(),
            Some("IEEE Transactions on Knowledge and Data Engineering")
        );
        assert_eq!(
            p.papers[1].journal_ref.as_deref(),
            Some("IEEE Transactions on Knowledge and Data Engineering Letters")
        );
        assert_eq!(
            skips(&p),
            [
                (5, "entry `y`: unknown abbreviation \"undefined\"".into()),
                (8, "entry `z`: @string `a` is defined through itself".into()),
                (9, "entry `w`: @string `s` is defined through itself".into()),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_and_skips_name_its_lines(
            s in "(@[a-zA-Z]{1,7} ?[{(]|[a-z ]{0,5}|[{}()\\\\,=\"#%~$@\n]|é|title ?= ?|year ?= ?|date=|month=|author=|eprint=|crossref ?= ?|xdata=|@string\\{[ab] ?= ?|journal=[ab]|# ?|and |\\{\\\\\"u\\}|\\\\[a-z]+){0,80}"
        ) {
            let p = run(&s);
            let lines = s.lines().count().max(1) as u64;
            for skip in &p.skipped {
                proptest::prop_assert!(skip.line >= 1 && skip.line <= lines, "{skip} in {s:?}");
            }
        }
    }

    #[test]
    fn crossref_parents_fill_the_gaps() {
        let p = run(r#"
@inproceedings{child, title={Child Paper}, author={A, B}, crossref={conf2020}}
@proceedings{conf2020, title={Proceedings of Conf 2020}, year={2020}}
@inproceedings{orphan, title={Orphan}, crossref={nowhere}}
@article{self, title={Self}, crossref={self}}
@string{me = "viastring"}
@article{viastring, title={Via a string}, crossref=me}
@article{ping, title={Ping}, crossref={pong}}
@article{pong, title={Pong}, xdata={ping}, year={2001}}
"#);
        assert_eq!(skips(&p), []);
        let child = &p.papers[0];
        assert_eq!(
            child.journal_ref.as_deref(),
            Some("Proceedings of Conf 2020")
        );
        assert_eq!(child.date, Some(date!(2020 - 01 - 01)));
        assert_eq!(p.papers.len(), 7);
    }

    #[test]
    fn entries_side_by_side_on_a_line() {
        let p = run("@misc{a, title={A}} @misc{b, title={B}}\n@misc{c, title={C}} junk\n");
        let titles: Vec<_> = p.papers.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(
            skips(&p),
            [(
                2,
                "entry `c`: unbalanced braces: a `}` on line 2 closes the entry early".into()
            )]
        );
    }

    #[test]
    fn deep_nesting_is_a_skip() {
        let n = 5000;
        let text = format!(
            "@article{{deep, title = {{{}y{}}}}}\n@article{{ok, title={{OK}}}}\n",
            "\\x{".repeat(n),
            "}".repeat(n)
        );
        let p = run(&text);
        assert_eq!(p.papers.len(), 1);
        assert_eq!(
            skips(&p),
            [(1, "entry `deep`: braces nested deeper than 64".into())]
        );
    }

    #[test]
    fn sniffing() {
        assert!(looks_like("library.bib", ""));
        assert!(looks_like("x.BibTeX.gz", ""));
        assert!(looks_like("x.txt", "\n% comment\n@article{k,\n"));
        assert!(looks_like("x.txt", "@STRING {a = {b}}"));
        assert!(!looks_like("x.txt", "1. Reasoning\n@article{k,"));
        assert!(!looks_like("x.txt", "email me @ home"));
    }
}
