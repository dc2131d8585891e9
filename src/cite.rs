//! Citations out: a paper as a BibTeX entry, a CSL-JSON item or a plain reference line, and
//! the parts of its cite key. Every front door (CLI, HTTP, stdio) renders through `render`;
//! `Engine::cite` picks the keys, which need the whole index to be unique.
//!
//! Choices, and why:
//! - arXiv papers come out as arXiv's "Export BibTeX" writes them (arxiv-browse
//!   `formatting/cite.py`: `@misc`, fields in its order and indentation, `eprint`,
//!   `archivePrefix = {arXiv}`, `primaryClass`, `url`), plus `month` and the DOI when known.
//!   Differences: authors are written `Last, First` (arXiv writes `First Last`, which BibTeX
//!   misreads for multi-word surnames), the DOI bare (arXiv writes a doi.org URL there, which
//!   styles print twice), and the key is paperdex's own (below).
//! - Papers without an arXiv id (newsletters, digests, corpora) get `@misc` with what the
//!   record holds: title, authors, date, `url`, `doi`, and a `note` saying where it was listed.
//!   Nothing is made up (no eprint, no publisher).
//! - Text is ASCII with LaTeX commands: the ten special characters are escaped, accented Latin
//!   letters become accent commands (`{\'e}`, `{\o}`), as Better BibTeX exports for BibTeX:
//!   classic BibTeX reads bytes, so UTF-8 names broke its initials and sorting, and biber
//!   and biblatex read the commands too. Other scripts (CJK, Greek) stay UTF-8: no command
//!   exists for them.
//! - Title words with a capital past their first letter (`XAttention`, `LLMs`, `GPT-4o`) are
//!   braced, so styles that lower-case titles keep them; other words follow the style.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use std::ops::Bound;

use tantivy::collector::DocSetCollector;
use tantivy::query::{
    AllQuery, BooleanQuery, ExistsQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;
use time::Month;

use crate::error::Result;
use crate::index::{days_since_epoch, PaperIndex};
use crate::paper::Paper;

/// The three renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiteFormat {
    #[default]
    Bibtex,
    CslJson,
    Text,
}

impl CiteFormat {
    pub const NAMES: [&'static str; 3] = ["bibtex", "csl-json", "text"];

    pub fn name(self) -> &'static str {
        match self {
            CiteFormat::Bibtex => "bibtex",
            CiteFormat::CslJson => "csl-json",
            CiteFormat::Text => "text",
        }
    }

    /// The media type of one rendering as the HTTP route serves it. BibTeX: `text/x-bibtex`,
    /// the type freedesktop's shared-mime-info and Apache's table give `.bib` (arXiv's
    /// /bibtex/ID serves its entry as `text/plain`, which says less to a client); CSL-JSON:
    /// the CSL project's registered type.
    pub fn content_type(self) -> &'static str {
        match self {
            CiteFormat::Bibtex => "text/x-bibtex; charset=utf-8",
            CiteFormat::CslJson => "application/vnd.citationstyles.csl+json",
            CiteFormat::Text => "text/plain; charset=utf-8",
        }
    }
}

impl std::str::FromStr for CiteFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "bibtex" | "bib" => Ok(CiteFormat::Bibtex),
            "csl-json" | "csl" | "csljson" => Ok(CiteFormat::CslJson),
            "text" | "txt" => Ok(CiteFormat::Text),
            other => Err(format!(
                "unknown citation format `{other}` (expected one of: {})",
                CiteFormat::NAMES.join(", ")
            )),
        }
    }
}

/// One paper's citation, as every front door returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// The paper's id as the index keeps it.
    pub id: String,
    /// The cite key (unique within the index).
    pub key: String,
    /// The rendering: a BibTeX entry, a CSL-JSON array of one item, or one reference line;
    /// no trailing newline.
    pub text: String,
}

/// Citations of several papers in one format: what `Engine::cite` returns and the JSON shape
/// of `paperdex cite --json` and stdio `cite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citations {
    pub format: CiteFormat,
    pub citations: Vec<Citation>,
}

impl Citations {
    /// Everything as one document: BibTeX entries separated by blank lines, one CSL-JSON array
    /// of every item, or one reference line each. Ends with a newline.
    pub fn document(&self) -> String {
        match self.format {
            CiteFormat::CslJson if self.citations.len() != 1 => {
                let items: Vec<Value> = self
                    .citations
                    .iter()
                    .flat_map(|c| match serde_json::from_str::<Value>(&c.text) {
                        Ok(Value::Array(items)) => items,
                        _ => Vec::new(),
                    })
                    .collect();
                format!("{}\n", pretty(&Value::Array(items)))
            }
            CiteFormat::Bibtex => {
                let entries: Vec<&str> = self.citations.iter().map(|c| c.text.as_str()).collect();
                format!("{}\n", entries.join("\n\n"))
            }
            _ => {
                let lines: Vec<&str> = self.citations.iter().map(|c| c.text.as_str()).collect();
                format!("{}\n", lines.join("\n"))
            }
        }
    }
}

/// `paper` rendered in `format` under the cite `key` (no trailing newline).
pub fn render(paper: &Paper, key: &str, format: CiteFormat) -> String {
    match format {
        CiteFormat::Bibtex => bibtex(paper, key),
        CiteFormat::CslJson => pretty(&Value::Array(vec![csl_json(paper, key)])),
        CiteFormat::Text => text(paper),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("plain JSON")
}

// ---------------------------------------------------------------------------------------------
// BibTeX

/// The BibTeX entry (`@misc`), fields in arXiv's order.
pub fn bibtex(paper: &Paper, key: &str) -> String {
    let mut fields: Vec<(&str, String)> = Vec::new();
    fields.push(("title", bib_title(&paper.title)));
    let names: Vec<String> = paper
        .authors
        .iter()
        .map(|a| bib_name(&Name::parse(a)))
        .filter(|n| !n.is_empty())
        .collect();
    if !names.is_empty() {
        fields.push(("author", names.join(" and ")));
    }
    if let Some(date) = paper.date {
        fields.push(("year", date.year().to_string()));
        // A month macro, unbraced: styles print it in their language (BibTeX's standard form).
        fields.push(("month", MONTHS[date.month() as usize - 1].to_string()));
    }
    if let Some(arxiv) = &paper.arxiv_id {
        fields.push(("eprint", verbatim(arxiv)));
        fields.push(("archivePrefix", "arXiv".into()));
        if let Some(class) = primary_class(paper) {
            fields.push(("primaryClass", escape(&class)));
        }
    }
    if let Some(doi) = &paper.doi {
        fields.push(("doi", verbatim(doi)));
    }
    if let Some(url) = url(paper) {
        fields.push(("url", verbatim(&url)));
    }
    if paper.arxiv_id.is_none() {
        if let Some(note) = note(paper) {
            fields.push(("note", escape(&note)));
        }
    }
    let mut out = format!("@misc{{{key},\n");
    for (name, value) in &fields {
        if *name == "month" {
            let _ = writeln!(out, "      {name}={value},");
        } else {
            let _ = writeln!(out, "      {name}={{{value}}},");
        }
    }
    out.push('}');
    out
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The title, escaped, with the words that carry their own capitals braced: each part of a
/// hyphenated word on its own (`{GPT}-4o`, `Long-Context` as is), punctuation outside the
/// braces (`{XAttention}:`).
fn bib_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len() + 16);
    for (i, word) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for (j, part) in word.split('-').enumerate() {
            if j > 0 {
                out.push('-');
            }
            let core = part.trim_matches(|c: char| !c.is_alphanumeric());
            if core.chars().skip(1).any(char::is_uppercase) {
                let start = part.len()
                    - part
                        .trim_start_matches(|c: char| !c.is_alphanumeric())
                        .len();
                let end = start + core.len();
                let _ = write!(
                    out,
                    "{}{{{}}}{}",
                    escape(&part[..start]),
                    escape(core),
                    escape(&part[end..])
                );
            } else {
                out.push_str(&escape(part));
            }
        }
    }
    out
}

/// `Last, Suffix, First` (`von Last, First` with a lowercase particle), escaped. A name
/// BibTeX would cut apart (an `and` among its words: a company) is braced whole.
fn bib_name(name: &Name) -> String {
    if name.family.is_empty() {
        return String::new();
    }
    let mut family = name.family.clone();
    if let Some(particle) = &name.particle {
        family = format!("{particle} {family}");
    }
    let parts = [
        name.given.as_str(),
        &family,
        name.suffix.as_deref().unwrap_or(""),
    ];
    if parts
        .iter()
        .flat_map(|part| part.split(' '))
        .any(|w| w.eq_ignore_ascii_case("and"))
    {
        let words: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        return format!("{{{}}}", escape(&words.join(" ")));
    }
    let mut out = escape(&family);
    if let Some(suffix) = &name.suffix {
        let _ = write!(out, ", {}", escape(suffix));
    }
    if !name.given.is_empty() {
        let _ = write!(out, ", {}", escape(&name.given));
    }
    out
}

/// A value BibTeX styles print as is (eprint, doi, url): only a brace, which would unbalance
/// the entry, or a backslash is replaced (by its URL escape).
fn verbatim(value: &str) -> String {
    value
        .replace(|c: char| c.is_control() || c.is_whitespace(), "")
        .replace('\\', "%5C")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// Escapes text for a BibTeX field: the LaTeX special characters as commands, accented Latin
/// letters as accent commands; other characters are kept (see the module comment).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            // Text from input files: a control character never reaches the entry.
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            c if c.is_ascii() => out.push(c),
            c => match latex_letter(c) {
                Some(cmd) => out.push_str(&cmd),
                None => out.push(c),
            },
        }
    }
    out
}

/// `é` -> `{\'e}`, `ø` -> `{\o}`; None when LaTeX has no command for the character.
fn latex_letter(c: char) -> Option<String> {
    let special = match c {
        'ø' => "{\\o}",
        'Ø' => "{\\O}",
        'æ' => "{\\ae}",
        'Æ' => "{\\AE}",
        'œ' => "{\\oe}",
        'Œ' => "{\\OE}",
        'ß' => "{\\ss}",
        'ł' => "{\\l}",
        'Ł' => "{\\L}",
        'ı' => "{\\i}",
        'å' => "{\\aa}",
        'Å' => "{\\AA}",
        _ => "",
    };
    if !special.is_empty() {
        return Some(special.to_string());
    }
    let at = ACCENTS.binary_search_by_key(&c, |&(ch, _, _)| ch).ok()?;
    let (_, accent, base) = ACCENTS[at];
    // Symbol accents take the letter directly (`{\'e}`); letter accents need braces
    // (`{\v{c}}`), or `\vc` would read as one command.
    Some(if accent.is_ascii_alphabetic() {
        format!("{{\\{accent}{{{base}}}}}")
    } else {
        format!("{{\\{accent}{base}}}")
    })
}

/// Latin letters that are an ASCII letter plus one accent LaTeX has a command for, sorted by
/// character (U+00C0..U+017F, U+1E00..U+1EFF, generated from Unicode's decompositions).
#[rustfmt::skip]
const ACCENTS: &[(char, char, char)] = &[
    ('À', '`', 'A'), ('Á', '\'', 'A'), ('Â', '^', 'A'), ('Ã', '~', 'A'), ('Ä', '"', 'A'), ('Å', 'r', 'A'),
    ('Ç', 'c', 'C'), ('È', '`', 'E'), ('É', '\'', 'E'), ('Ê', '^', 'E'), ('Ë', '"', 'E'), ('Ì', '`', 'I'),
    ('Í', '\'', 'I'), ('Î', '^', 'I'), ('Ï', '"', 'I'), ('Ñ', '~', 'N'), ('Ò', '`', 'O'), ('Ó', '\'', 'O'),
    ('Ô', '^', 'O'), ('Õ', '~', 'O'), ('Ö', '"', 'O'), ('Ù', '`', 'U'), ('Ú', '\'', 'U'), ('Û', '^', 'U'),
    ('Ü', '"', 'U'), ('Ý', '\'', 'Y'), ('à', '`', 'a'), ('á', '\'', 'a'), ('â', '^', 'a'), ('ã', '~', 'a'),
    ('ä', '"', 'a'), ('å', 'r', 'a'), ('ç', 'c', 'c'), ('è', '`', 'e'), ('é', '\'', 'e'), ('ê', '^', 'e'),
    ('ë', '"', 'e'), ('ì', '`', 'i'), ('í', '\'', 'i'), ('î', '^', 'i'), ('ï', '"', 'i'), ('ñ', '~', 'n'),
    ('ò', '`', 'o'), ('ó', '\'', 'o'), ('ô', '^', 'o'), ('õ', '~', 'o'), ('ö', '"', 'o'), ('ù', '`', 'u'),
    ('ú', '\'', 'u'), ('û', '^', 'u'), ('ü', '"', 'u'), ('ý', '\'', 'y'), ('ÿ', '"', 'y'), ('Ā', '=', 'A'),
    ('ā', '=', 'a'), ('Ă', 'u', 'A'), ('ă', 'u', 'a'), ('Ą', 'k', 'A'), ('ą', 'k', 'a'), ('Ć', '\'', 'C'),
    ('ć', '\'', 'c'), ('Ĉ', '^', 'C'), ('ĉ', '^', 'c'), ('Ċ', '.', 'C'), ('ċ', '.', 'c'), ('Č', 'v', 'C'),
    ('č', 'v', 'c'), ('Ď', 'v', 'D'), ('ď', 'v', 'd'), ('Ē', '=', 'E'), ('ē', '=', 'e'), ('Ĕ', 'u', 'E'),
    ('ĕ', 'u', 'e'), ('Ė', '.', 'E'), ('ė', '.', 'e'), ('Ę', 'k', 'E'), ('ę', 'k', 'e'), ('Ě', 'v', 'E'),
    ('ě', 'v', 'e'), ('Ĝ', '^', 'G'), ('ĝ', '^', 'g'), ('Ğ', 'u', 'G'), ('ğ', 'u', 'g'), ('Ġ', '.', 'G'),
    ('ġ', '.', 'g'), ('Ģ', 'c', 'G'), ('ģ', 'c', 'g'), ('Ĥ', '^', 'H'), ('ĥ', '^', 'h'), ('Ĩ', '~', 'I'),
    ('ĩ', '~', 'i'), ('Ī', '=', 'I'), ('ī', '=', 'i'), ('Ĭ', 'u', 'I'), ('ĭ', 'u', 'i'), ('Į', 'k', 'I'),
    ('į', 'k', 'i'), ('İ', '.', 'I'), ('Ĵ', '^', 'J'), ('ĵ', '^', 'j'), ('Ķ', 'c', 'K'), ('ķ', 'c', 'k'),
    ('Ĺ', '\'', 'L'), ('ĺ', '\'', 'l'), ('Ļ', 'c', 'L'), ('ļ', 'c', 'l'), ('Ľ', 'v', 'L'), ('ľ', 'v', 'l'),
    ('Ń', '\'', 'N'), ('ń', '\'', 'n'), ('Ņ', 'c', 'N'), ('ņ', 'c', 'n'), ('Ň', 'v', 'N'), ('ň', 'v', 'n'),
    ('Ō', '=', 'O'), ('ō', '=', 'o'), ('Ŏ', 'u', 'O'), ('ŏ', 'u', 'o'), ('Ő', 'H', 'O'), ('ő', 'H', 'o'),
    ('Ŕ', '\'', 'R'), ('ŕ', '\'', 'r'), ('Ŗ', 'c', 'R'), ('ŗ', 'c', 'r'), ('Ř', 'v', 'R'), ('ř', 'v', 'r'),
    ('Ś', '\'', 'S'), ('ś', '\'', 's'), ('Ŝ', '^', 'S'), ('ŝ', '^', 's'), ('Ş', 'c', 'S'), ('ş', 'c', 's'),
    ('Š', 'v', 'S'), ('š', 'v', 's'), ('Ţ', 'c', 'T'), ('ţ', 'c', 't'), ('Ť', 'v', 'T'), ('ť', 'v', 't'),
    ('Ũ', '~', 'U'), ('ũ', '~', 'u'), ('Ū', '=', 'U'), ('ū', '=', 'u'), ('Ŭ', 'u', 'U'), ('ŭ', 'u', 'u'),
    ('Ů', 'r', 'U'), ('ů', 'r', 'u'), ('Ű', 'H', 'U'), ('ű', 'H', 'u'), ('Ų', 'k', 'U'), ('ų', 'k', 'u'),
    ('Ŵ', '^', 'W'), ('ŵ', '^', 'w'), ('Ŷ', '^', 'Y'), ('ŷ', '^', 'y'), ('Ÿ', '"', 'Y'), ('Ź', '\'', 'Z'),
    ('ź', '\'', 'z'), ('Ż', '.', 'Z'), ('ż', '.', 'z'), ('Ž', 'v', 'Z'), ('ž', 'v', 'z'), ('Ḃ', '.', 'B'),
    ('ḃ', '.', 'b'), ('Ḅ', 'd', 'B'), ('ḅ', 'd', 'b'), ('Ḋ', '.', 'D'), ('ḋ', '.', 'd'), ('Ḍ', 'd', 'D'),
    ('ḍ', 'd', 'd'), ('Ḑ', 'c', 'D'), ('ḑ', 'c', 'd'), ('Ḟ', '.', 'F'), ('ḟ', '.', 'f'), ('Ḡ', '=', 'G'),
    ('ḡ', '=', 'g'), ('Ḣ', '.', 'H'), ('ḣ', '.', 'h'), ('Ḥ', 'd', 'H'), ('ḥ', 'd', 'h'), ('Ḧ', '"', 'H'),
    ('ḧ', '"', 'h'), ('Ḩ', 'c', 'H'), ('ḩ', 'c', 'h'), ('Ḱ', '\'', 'K'), ('ḱ', '\'', 'k'), ('Ḳ', 'd', 'K'),
    ('ḳ', 'd', 'k'), ('Ḷ', 'd', 'L'), ('ḷ', 'd', 'l'), ('Ḿ', '\'', 'M'), ('ḿ', '\'', 'm'), ('Ṁ', '.', 'M'),
    ('ṁ', '.', 'm'), ('Ṃ', 'd', 'M'), ('ṃ', 'd', 'm'), ('Ṅ', '.', 'N'), ('ṅ', '.', 'n'), ('Ṇ', 'd', 'N'),
    ('ṇ', 'd', 'n'), ('Ṕ', '\'', 'P'), ('ṕ', '\'', 'p'), ('Ṗ', '.', 'P'), ('ṗ', '.', 'p'), ('Ṙ', '.', 'R'),
    ('ṙ', '.', 'r'), ('Ṛ', 'd', 'R'), ('ṛ', 'd', 'r'), ('Ṡ', '.', 'S'), ('ṡ', '.', 's'), ('Ṣ', 'd', 'S'),
    ('ṣ', 'd', 's'), ('Ṫ', '.', 'T'), ('ṫ', '.', 't'), ('Ṭ', 'd', 'T'), ('ṭ', 'd', 't'), ('Ṽ', '~', 'V'),
    ('ṽ', '~', 'v'), ('Ṿ', 'd', 'V'), ('ṿ', 'd', 'v'), ('Ẁ', '`', 'W'), ('ẁ', '`', 'w'), ('Ẃ', '\'', 'W'),
    ('ẃ', '\'', 'w'), ('Ẅ', '"', 'W'), ('ẅ', '"', 'w'), ('Ẇ', '.', 'W'), ('ẇ', '.', 'w'), ('Ẉ', 'd', 'W'),
    ('ẉ', 'd', 'w'), ('Ẋ', '.', 'X'), ('ẋ', '.', 'x'), ('Ẍ', '"', 'X'), ('ẍ', '"', 'x'), ('Ẏ', '.', 'Y'),
    ('ẏ', '.', 'y'), ('Ẑ', '^', 'Z'), ('ẑ', '^', 'z'), ('Ẓ', 'd', 'Z'), ('ẓ', 'd', 'z'), ('ẗ', '"', 't'),
    ('ẘ', 'r', 'w'), ('ẙ', 'r', 'y'), ('Ạ', 'd', 'A'), ('ạ', 'd', 'a'), ('Ẹ', 'd', 'E'), ('ẹ', 'd', 'e'),
    ('Ẽ', '~', 'E'), ('ẽ', '~', 'e'), ('Ị', 'd', 'I'), ('ị', 'd', 'i'), ('Ọ', 'd', 'O'), ('ọ', 'd', 'o'),
    ('Ụ', 'd', 'U'), ('ụ', 'd', 'u'), ('Ỳ', '`', 'Y'), ('ỳ', '`', 'y'), ('Ỵ', 'd', 'Y'), ('ỵ', 'd', 'y'),
    ('Ỹ', '~', 'Y'), ('ỹ', '~', 'y'),
];

// ---------------------------------------------------------------------------------------------
// CSL-JSON

/// The CSL-JSON item (CSL-JSON schema 1.0): an arXiv paper is an `article` published by arXiv
/// with its id as `number` (`arXiv:2503.16428`, as Zotero exports preprints).
pub fn csl_json(paper: &Paper, key: &str) -> Value {
    let mut item = json!({
        "id": key,
        "type": "article",
        "title": paper.title,
    });
    let obj = item.as_object_mut().expect("an object");
    let authors: Vec<Value> = paper
        .authors
        .iter()
        .map(|a| Name::parse(a))
        .filter(|n| !n.family.is_empty())
        .map(|n| csl_name(&n))
        .collect();
    if !authors.is_empty() {
        obj.insert("author".into(), Value::Array(authors));
    }
    if let Some(d) = paper.date {
        obj.insert(
            "issued".into(),
            json!({ "date-parts": [[d.year(), d.month() as u8, d.day()]] }),
        );
    }
    if let Some(arxiv) = &paper.arxiv_id {
        obj.insert("publisher".into(), json!("arXiv"));
        obj.insert("number".into(), json!(format!("arXiv:{arxiv}")));
    }
    if let Some(doi) = &paper.doi {
        obj.insert("DOI".into(), json!(doi));
    }
    if let Some(url) = url(paper) {
        obj.insert("URL".into(), json!(url));
    }
    if paper.arxiv_id.is_none() {
        if let Some(note) = note(paper) {
            obj.insert("note".into(), json!(note));
        }
    }
    item
}

fn csl_name(name: &Name) -> Value {
    let mut out = serde_json::Map::new();
    if name.given.is_empty() && name.particle.is_none() && name.suffix.is_none() {
        // One word: an organisation or a mononym, printed as written.
        out.insert("literal".into(), json!(name.family));
        return Value::Object(out);
    }
    out.insert("family".into(), json!(name.family));
    if !name.given.is_empty() {
        out.insert("given".into(), json!(name.given));
    }
    if let Some(p) = &name.particle {
        out.insert("non-dropping-particle".into(), json!(p));
    }
    if let Some(s) = &name.suffix {
        out.insert("suffix".into(), json!(s));
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// Plain reference line

/// One line in APA's order: `Xu, R., Xiao, G., & Han, S. (2025). Title. arXiv:2503.16428.`
pub fn text(paper: &Paper) -> String {
    let mut out = String::new();
    let names: Vec<String> = paper
        .authors
        .iter()
        .map(|a| Name::parse(a).short())
        .filter(|n| !n.is_empty())
        .collect();
    let year = paper
        .date
        .map_or_else(|| "n.d.".to_string(), |d| d.year().to_string());
    let title = paper.title.trim();
    let title_end = if title.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    if names.is_empty() {
        let _ = write!(out, "{title}{title_end} ({year}).");
    } else {
        // APA 7: up to 20 names; past that the first 19, an ellipsis and the last.
        let list = match names.len() {
            1 => names[0].clone(),
            2..=20 => {
                let (last, rest) = names.split_last().expect("two or more");
                format!("{}, & {last}", rest.join(", "))
            }
            _ => format!(
                "{}, ... {}",
                names[..19].join(", "),
                names.last().expect("many")
            ),
        };
        let sep = if list.ends_with('.') { "" } else { "." };
        let _ = write!(out, "{list}{sep} ({year}). {title}{title_end}");
    }
    if let Some(arxiv) = &paper.arxiv_id {
        let _ = write!(out, " arXiv:{arxiv}.");
    } else if let Some(note) = note(paper) {
        let _ = write!(out, " {note}.");
    }
    if let Some(doi) = &paper.doi {
        let _ = write!(out, " https://doi.org/{doi}");
    } else if paper.arxiv_id.is_none() {
        if let Some(url) = &paper.url {
            let _ = write!(out, " {url}");
        }
    }
    // Titles and names come from input files: one line without control characters.
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(char::is_control, "")
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// The paper's URL: the one recorded, else its arXiv abstract page.
fn url(paper: &Paper) -> Option<String> {
    paper.url.clone().or_else(|| {
        paper
            .arxiv_id
            .as_ref()
            .map(|a| format!("https://arxiv.org/abs/{a}"))
    })
}

/// The primary arXiv category (`cs.CL`): the first `/arxiv/...` topic, as arXiv lists it first.
pub fn primary_class(paper: &Paper) -> Option<String> {
    paper.topics.iter().find_map(|t| {
        let rest = t.strip_prefix("/arxiv/")?;
        (!rest.is_empty()).then(|| rest.replace('/', "."))
    })
}

/// Where a paper without an arXiv id was listed: `Listed in newsletter: llm-reasoning`, from
/// its newsletter, digest, card-page or daily-listing topics, else the formats it was read in.
fn note(paper: &Paper) -> Option<String> {
    let mut places: Vec<String> = Vec::new();
    for topic in &paper.topics {
        let mut parts = topic.trim_start_matches('/').splitn(2, '/');
        let (Some(root), rest) = (parts.next(), parts.next()) else {
            continue;
        };
        let kind = match root {
            "newsletter" => "newsletter",
            "digest" => "digest",
            "arxcompass" => "arXiv Compass paper cards",
            "daily" => "daily papers",
            _ => continue,
        };
        let place = match rest {
            Some(section) if !section.is_empty() => format!("{kind}: {section}"),
            _ => kind.to_string(),
        };
        if !places.contains(&place) {
            places.push(place);
        }
    }
    if places.is_empty() {
        for s in &paper.sources {
            let place = match s.format.as_str() {
                "newsletter" | "digest" | "daily" => s.format.clone(),
                "cards" => "arXiv Compass paper cards".into(),
                _ => continue,
            };
            if !places.contains(&place) {
                places.push(place);
            }
        }
    }
    (!places.is_empty()).then(|| format!("Listed in {}", places.join("; ")))
}

/// An author's name in parts. The input is one string as sources give it: `First Last`,
/// `First von Last`, `First Last Jr.` or `Last, First`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    pub given: String,
    pub particle: Option<String>,
    pub family: String,
    pub suffix: Option<String>,
}

const PARTICLES: [&str; 20] = [
    "von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "dos", "das", "des", "le",
    "la", "ten", "ter", "zu", "vom", "dei",
];
const SUFFIXES: [&str; 7] = ["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"];

impl Name {
    pub fn parse(raw: &str) -> Name {
        let mut raw = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        // "A, B, and C" split at commas leaves "and C" in some listings.
        if let Some(rest) = raw.strip_prefix("and ") {
            raw = rest.to_string();
        }
        if let Some((family, given)) = raw.split_once(", ") {
            // `Last, First` or `Last, Jr., First`.
            let (suffix, given) = match given.split_once(", ") {
                Some((s, g)) => (Some(s.to_string()), g.to_string()),
                None => (None, given.to_string()),
            };
            return Name::with_particle(family, given, suffix);
        }
        let mut words: Vec<&str> = raw.split(' ').filter(|w| !w.is_empty()).collect();
        let suffix = match words.last() {
            Some(w) if words.len() > 2 && SUFFIXES.contains(w) => words.pop().map(str::to_string),
            _ => None,
        };
        let Some(last) = words.pop() else {
            return Name::default();
        };
        // Lowercase particles before the last word belong to the surname.
        let mut start = words.len();
        while start > 1 && PARTICLES.contains(&words[start - 1]) {
            start -= 1;
        }
        let particle = (start < words.len()).then(|| words[start..].join(" "));
        Name {
            given: words[..start].join(" "),
            particle,
            family: last.to_string(),
            suffix,
        }
    }

    fn with_particle(family: &str, given: String, suffix: Option<String>) -> Name {
        let words: Vec<&str> = family.split(' ').collect();
        let mut start = 0;
        while start + 1 < words.len() && PARTICLES.contains(&words[start]) {
            start += 1;
        }
        Name {
            given,
            particle: (start > 0).then(|| words[..start].join(" ")),
            family: words[start..].join(" "),
            suffix,
        }
    }

    /// `Xu, R.`, `van Beethoven, L.`, `Peng, C.-Y.`: surname and initials.
    pub fn short(&self) -> String {
        let mut family = self.family.clone();
        if let Some(p) = &self.particle {
            family = format!("{p} {family}");
        }
        let initials: Vec<String> = self
            .given
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.split('-')
                    .filter_map(|part| part.chars().find(|c| c.is_alphabetic()))
                    .map(|c| format!("{}.", c.to_uppercase()))
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .filter(|i| !i.is_empty())
            .collect();
        match (initials.is_empty(), &self.suffix) {
            (true, _) => family,
            (false, Some(s)) => format!("{family}, {}, {s}", initials.join(" ")),
            (false, None) => format!("{family}, {}", initials.join(" ")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cite keys

/// What a cite key is made of, Better BibTeX's `[auth:lower][year][shorttitle:lower]`:
/// `xu` + `2025` + `xattention`. Two papers share a base key exactly when they share these
/// parts (letters-only author, four-digit year or a `-` for none, so the string parses back
/// one way), which is what makes the index search for colliding papers exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyParts {
    /// The first author's surname, ASCII letters only, lowercase; `anon` when there is none.
    pub auth: String,
    pub year: Option<i32>,
    /// The first title word that is not a function word: a token of the index's tokenizer
    /// made of ASCII letters and digits only (at least one letter), lowercase.
    pub word: Option<String>,
}

/// The author part of papers without a usable author name.
pub const ANON: &str = "anon";

impl KeyParts {
    /// `xu2025xattention`; undated: `xu-xattention`.
    pub fn base(&self) -> String {
        let word = self.word.as_deref().unwrap_or("");
        match self.year {
            Some(y) => format!("{}{:04}{word}", self.auth, y.clamp(0, 9999)),
            None if word.is_empty() => self.auth.clone(),
            None => format!("{}-{word}", self.auth),
        }
    }
}

/// The author part from the first author's surname as the author field's analyzer cuts it
/// (lowercase, ASCII-folded): the letters of its last token made of ASCII letters and the
/// characters a word may hold inside (`WORD_INNER`: `o'brien`, `st.john`), with a letter.
pub fn key_auth(paper: &Paper, tokens: &mut dyn FnMut(&str) -> Vec<String>) -> String {
    let Some(first) = paper.authors.first() else {
        return ANON.into();
    };
    let name = Name::parse(first);
    tokens(&name.family)
        .iter()
        .rev()
        .filter(|t| {
            t.chars()
                .all(|c| c.is_ascii_lowercase() || WORD_INNER.contains(c))
        })
        .map(|t| letters(t))
        .find(|l| !l.is_empty())
        .unwrap_or_else(|| ANON.into())
}

/// What a token may hold besides letters for its letters to make the author part: digits
/// and the characters Unicode word boundaries keep inside a word. A short list keeps the
/// regex over the author terms small (its automaton is built for every key).
const WORD_INNER: &str = "0123456789'._:\u{2019}\u{b7}";

/// The title word: the first token of the title (cut by an analyzer without stemming) made
/// only of ASCII letters and digits, with a letter, and not a function word.
pub fn key_word(title: &str, tokens: &mut dyn FnMut(&str) -> Vec<String>) -> Option<String> {
    tokens(title).into_iter().find(|t| {
        t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && t.bytes().any(|b| b.is_ascii_lowercase())
            && FUNCTION_WORDS.binary_search(&t.as_str()).is_err()
    })
}

/// The ASCII lowercase letters of a token.
pub fn letters(token: &str) -> String {
    token
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A regular expression matching every author term made the author part `letters` (the field
/// may hold `o'brien` for `obrien`): the search for colliding keys must find them all.
pub fn letters_regex(letters: &str) -> String {
    let inner = "[0-9'._:\u{2019}\u{b7}]*";
    let mut re = String::from(inner);
    for c in letters.chars() {
        re.push(c);
        re.push_str(inner);
    }
    re
}

/// Suffixes for keys shared by several papers, in id order: a..z, aa..az, ba...
pub fn suffix(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// The key parts of `paper`, cut by the index's analyzers (see `KeyParts`).
pub fn key_parts(idx: &PaperIndex, paper: &Paper) -> Result<KeyParts> {
    let mut names = idx.index.tokenizer_for_field(idx.fields.author)?;
    let mut tokens = |text: &str| analyzed(&mut names, text);
    Ok(KeyParts {
        auth: key_auth(paper, &mut tokens),
        year: paper.date.map(|d| d.year()),
        word: key_word(&paper.title, &mut tokens),
    })
}

fn analyzed(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer
        .token_stream(text)
        .process(&mut |t| out.push(t.text.clone()));
    out
}

/// The cite key of `paper` within the index: its base key, with a suffix (`a`, `b`, ... in
/// id order) when other papers share the base.
///
/// The papers that could share it are found with one query, not a scan: every paper with the
/// same base has an author token with the same letters (a regex over the author field's
/// terms), a date in the same year (a range over `date_days`) and the same title word (its
/// title term). A part that gives no clause (`anon`, no date, no word) only widens the query.
/// The candidates' bases are then computed from their stored records, so the result is exact
/// and the same for every paper of a group: same index, same keys. Not checked: a suffixed key
/// equal to another paper's base (`xu2025attention` + `a` against a title word `attentiona`),
/// as in Better BibTeX.
pub fn cite_key(idx: &PaperIndex, paper: &Paper) -> Result<String> {
    let parts = key_parts(idx, paper)?;
    let base = parts.base();
    let searcher = idx.reader.searcher();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if parts.auth != ANON {
        let regex = RegexQuery::from_pattern(&letters_regex(&parts.auth), idx.fields.author)?;
        clauses.push((Occur::Must, Box::new(regex)));
    }
    if let Some(year) = parts.year {
        let day = |month, day| {
            time::Date::from_calendar_date(year, month, day)
                .map(|d| Term::from_field_i64(idx.fields.date_days, days_since_epoch(d)))
        };
        if let (Ok(first), Ok(last)) = (day(Month::January, 1), day(Month::December, 31)) {
            let range = RangeQuery::new(Bound::Included(first), Bound::Included(last));
            clauses.push((Occur::Must, Box::new(range)));
        }
    }
    if parts.year.is_none() {
        // An undated key (`anon-`, no word even) is shared with undated papers only.
        let name = idx
            .fields
            .schema
            .get_field_name(idx.fields.date_days)
            .to_string();
        clauses.push((Occur::MustNot, Box::new(ExistsQuery::new(name, false))));
    }
    if let Some(word) = &parts.word {
        if let Some(term) = title_term(idx, word)? {
            let query = TermQuery::new(term, IndexRecordOption::Basic);
            clauses.push((Occur::Must, Box::new(query)));
        }
    }
    if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    let query = BooleanQuery::new(clauses);
    let docs = searcher.search(&query, &DocSetCollector)?;
    let mut sharing: Vec<String> = Vec::new();
    for addr in docs {
        let other = idx.paper_of(&searcher.doc(addr)?)?;
        if other.id == paper.id || key_parts(idx, &other)?.base() == base {
            sharing.push(other.id);
        }
    }
    if !sharing.contains(&paper.id) {
        sharing.push(paper.id.clone());
    }
    if sharing.len() == 1 {
        return Ok(base);
    }
    sharing.sort();
    sharing.dedup();
    let at = sharing
        .iter()
        .position(|id| id == &paper.id)
        .expect("the paper is among them");
    Ok(format!("{base}{}", suffix(at)))
}

/// The title field's term for a key word, when the title analyzer maps it to one term and
/// folds accents as the author analyzer (which cut the word) does; else None, and the search
/// for colliding keys goes without a title clause.
fn title_term(idx: &PaperIndex, word: &str) -> Result<Option<Term>> {
    let mut title = idx.index.tokenizer_for_field(idx.fields.title)?;
    let mut names = idx.index.tokenizer_for_field(idx.fields.author)?;
    if analyzed(&mut title, "\u{e9}") != analyzed(&mut names, "\u{e9}") {
        return Ok(None);
    }
    let terms = analyzed(&mut title, word);
    Ok(match terms.as_slice() {
        [one] => Some(Term::from_field_text(idx.fields.title, one)),
        _ => None,
    })
}

/// Words skipped for the title part (Better BibTeX's skip words, sorted).
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "ab",
    "aboard",
    "about",
    "above",
    "across",
    "after",
    "against",
    "al",
    "along",
    "amid",
    "among",
    "an",
    "and",
    "anti",
    "are",
    "around",
    "as",
    "at",
    "before",
    "behind",
    "below",
    "beneath",
    "beside",
    "besides",
    "between",
    "beyond",
    "but",
    "by",
    "d",
    "da",
    "das",
    "de",
    "del",
    "dell",
    "dello",
    "dem",
    "den",
    "der",
    "des",
    "despite",
    "die",
    "do",
    "down",
    "du",
    "during",
    "ein",
    "eine",
    "einem",
    "einen",
    "einer",
    "eines",
    "el",
    "en",
    "et",
    "except",
    "for",
    "from",
    "gli",
    "i",
    "il",
    "in",
    "inside",
    "into",
    "is",
    "l",
    "la",
    "las",
    "le",
    "les",
    "like",
    "lo",
    "los",
    "near",
    "nor",
    "of",
    "off",
    "on",
    "onto",
    "or",
    "over",
    "past",
    "per",
    "plus",
    "round",
    "save",
    "since",
    "so",
    "some",
    "sur",
    "than",
    "the",
    "through",
    "to",
    "toward",
    "towards",
    "un",
    "una",
    "unas",
    "under",
    "underneath",
    "une",
    "unlike",
    "uno",
    "unos",
    "until",
    "up",
    "upon",
    "versus",
    "via",
    "von",
    "while",
    "with",
    "within",
    "without",
    "yet",
    "zu",
    "zum",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    #[test]
    fn cite_tables_are_sorted() {
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(ACCENTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn cite_escapes_specials_and_accents() {
        assert_eq!(
            escape("R&D 50% $x$ #1 a_b {c}"),
            r"R\&D 50\% \$x\$ \#1 a\_b \{c\}"
        );
        assert_eq!(
            escape(r"~^\"),
            r"\textasciitilde{}\textasciicircum{}\textbackslash{}"
        );
        assert_eq!(
            escape("Müller Søren Čech"),
            r#"M{\"u}ller S{\o}ren {\v{C}}ech"#
        );
        assert_eq!(escape("张伟"), "张伟");
    }

    #[test]
    fn cite_names_split_into_parts() {
        let n = Name::parse("Ludwig van Beethoven");
        assert_eq!(n.family, "Beethoven");
        assert_eq!(n.particle.as_deref(), Some("van"));
        assert_eq!(bib_name(&n), "van Beethoven, Ludwig");
        assert_eq!(Name::parse("Chen-Yu Peng").short(), "Peng, C.-Y.");
        assert_eq!(
            Name::parse("Martin Luther King Jr.").short(),
            "King, M. L., Jr."
        );
        assert_eq!(bib_name(&Name::parse("Xu, Ruyi")), "Xu, Ruyi");
        assert_eq!(bib_name(&Name::parse("DeepSeek-AI")), "DeepSeek-AI");
        assert_eq!(bib_name(&Name::parse("and Huchuan Lu")), "Lu, Huchuan");
        assert_eq!(bib_name(&Name::parse("Smith and Sons")), "{Smith and Sons}");
    }

    #[test]
    fn cite_key_parts() {
        let mut tok = |t: &str| words(t);
        let mut p = Paper::new("The XAttention: Block".into(), String::new(), None);
        p.authors = vec!["Ruyi Xu".into()];
        p.date = Some(time::macros::date!(2025 - 03 - 21));
        let parts = KeyParts {
            auth: key_auth(&p, &mut tok),
            year: p.date.map(|d| d.year()),
            word: key_word(&p.title, &mut tok),
        };
        assert_eq!(parts.base(), "xu2025xattention");
        assert_eq!(suffix(0), "a");
        assert_eq!(suffix(25), "z");
        assert_eq!(suffix(26), "aa");
        assert_eq!(suffix(27), "ab");
        assert!(regex::Regex::new(&format!("^{}$", letters_regex("obrien")))
            .unwrap()
            .is_match("o\u{2019}brien"));
    }
}
