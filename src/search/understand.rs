//! What typed or pasted text means: a paper id, query syntax used on purpose, or words.
//! Every front door goes through here, so a pasted title, URL or half-typed phrase is read
//! the same in the CLI, the page, the editor and the API, and never answers a syntax error
//! unless the caller asked for strictness.

use serde::{Deserialize, Serialize};

/// How the query text was read; reported in every search response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpreted {
    /// Empty text: every paper (with the filters).
    Empty,
    /// The text was a paper id (`arXiv:2503.16428`, an arXiv or DOI URL, ...): that paper
    /// first, then papers that mention the id.
    Id,
    /// Query syntax, used on purpose (`title:`, quotes, `AND`, `atten*`, ...).
    Syntax,
    /// Plain words: nothing in the text is syntax.
    Words,
}

/// Whether text that fails to parse is an error (`strict`, for scripts) or searched as words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyntaxMode {
    #[default]
    Auto,
    Strict,
}

impl std::str::FromStr for SyntaxMode {
    type Err = String;
    fn from_str(s: &str) -> Result<SyntaxMode, String> {
        match s {
            "auto" => Ok(SyntaxMode::Auto),
            "strict" => Ok(SyntaxMode::Strict),
            other => Err(format!("syntax must be auto or strict, got `{other}`")),
        }
    }
}

/// Which papers a query's words select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Only papers with every word.
    All,
    /// Papers with any word, ranked by BM25 (what `eval` and `--plain` use).
    Any,
    /// Every word when enough papers have them all, else papers with most of the words,
    /// those with every word ranked first.
    Auto,
}

impl std::str::FromStr for MatchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<MatchMode, String> {
        match s {
            "all" => Ok(MatchMode::All),
            "any" => Ok(MatchMode::Any),
            "auto" => Ok(MatchMode::Auto),
            other => Err(format!("match must be all, any or auto, got `{other}`")),
        }
    }
}

/// Which papers the total, the facets and the first hits describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matched {
    /// Papers with every word (or every clause of the syntax).
    All,
    /// Papers with at least `required` of the words; those with every word come first.
    Most,
    /// Papers with any word.
    Any,
}

/// The fields a query may name; anything else before a colon is text (`XAttention: Block
/// Sparse ...`). `arxiv` is the id field under the name people write (`arXiv:2502.00511`).
pub const QUERY_FIELDS: [&str; 6] = ["title", "abstract", "author", "topic", "id", "arxiv"];

/// Whether `text` holds anything the query grammar reads as more than words: quotes,
/// parentheses, a colon, `+`/`-` before a word, `*`, `~`, `^`, brackets, or an operator word.
pub(crate) fn has_syntax(text: &str) -> bool {
    if text.bytes().any(|b| {
        matches!(
            b,
            b'"' | b'\''
                | b'('
                | b')'
                | b':'
                | b'*'
                | b'~'
                | b'^'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'\\'
        )
    }) {
        return true;
    }
    text.split_whitespace().any(|w| {
        matches!(w, "AND" | "OR" | "NOT" | "IN" | "TO" | "&&" | "||")
            || w.starts_with('+')
            || w.starts_with('-')
            || w.starts_with('!')
    })
}

/// The paper id `text` names, in the form the index keeps (no version, no prefix), when the
/// whole text is one: `2503.16428`, `2503.16428v2`, `arXiv:2503.16428`,
/// `https://arxiv.org/abs/2503.16428`, `arxiv.org/pdf/2503.16428v3.pdf`,
/// `https://doi.org/10.48550/arXiv.2503.16428`, `hep-th/9901001`, `math.GT/0309136`
/// (the subject class is not part of an old-style id: `math/0309136`).
pub fn paper_id(text: &str) -> Option<String> {
    let mut s = text
        .trim()
        .trim_matches(|c: char| matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '.' | ',' | ';'));
    // A URL: scheme, host and the path prefixes arXiv and doi.org use.
    for scheme in ["https://", "http://"] {
        if let Some(rest) = strip_prefix_ci(s, scheme) {
            s = rest;
        }
    }
    let s = s.split(['?', '#']).next().unwrap_or("");
    let s = s.trim_end_matches('/');
    let mut id = s;
    for host in ["www.arxiv.org/", "export.arxiv.org/", "arxiv.org/"] {
        if let Some(rest) = strip_prefix_ci(id, host) {
            id = ["abs/", "pdf/", "html/", "format/"]
                .iter()
                .find_map(|p| rest.strip_prefix(p))?;
            break;
        }
    }
    for host in ["dx.doi.org/", "doi.org/"] {
        if let Some(rest) = strip_prefix_ci(id, host) {
            id = rest;
            break;
        }
    }
    if let Some(rest) = strip_prefix_ci(id, "doi:") {
        id = rest.trim_start();
    }
    if let Some(rest) = strip_prefix_ci(id, "10.48550/arxiv.") {
        id = rest;
    }
    if let Some(rest) = strip_prefix_ci(id, "arxiv:") {
        id = rest.trim_start();
    }
    let id = id.strip_suffix(".pdf").unwrap_or(id);
    let id = strip_version(id);
    if is_new_style(id) {
        return Some(id.to_string());
    }
    old_style(id)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `2503.16428v2` -> `2503.16428`.
fn strip_version(id: &str) -> &str {
    match id.rfind(['v', 'V']) {
        Some(pos)
            if pos > 0
                && pos + 1 < id.len()
                && id[pos + 1..].bytes().all(|b| b.is_ascii_digit())
                && id.as_bytes()[pos - 1].is_ascii_digit() =>
        {
            &id[..pos]
        }
        _ => id,
    }
}

/// `YYMM.NNNN` (2007 to 2014) or `YYMM.NNNNN` (2015 on), with a valid month.
fn is_new_style(id: &str) -> bool {
    let Some((yymm, num)) = id.split_once('.') else {
        return false;
    };
    let month = yymm.get(2..).and_then(|m| m.parse::<u32>().ok());
    yymm.len() == 4
        && yymm.bytes().all(|b| b.is_ascii_digit())
        && matches!(month, Some(1..=12))
        && matches!(num.len(), 4 | 5)
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// `archive(.CLASS)?/YYMMNNN` -> `archive/YYMMNNN` (arXiv before April 2007).
fn old_style(id: &str) -> Option<String> {
    let (archive, num) = id.split_once('/')?;
    let archive = archive.split_once('.').map_or(archive, |(a, _class)| a);
    let archive_ok = !archive.is_empty()
        && archive.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && archive.as_bytes()[0].is_ascii_lowercase();
    let month = num.get(2..4).and_then(|m| m.parse::<u32>().ok());
    (archive_ok
        && num.len() == 7
        && num.bytes().all(|b| b.is_ascii_digit())
        && matches!(month, Some(1..=12)))
    .then(|| format!("{archive}/{num}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_form_names_the_same_paper() {
        for (text, id) in [
            ("2503.16428", "2503.16428"),
            ("2503.16428v2", "2503.16428"),
            ("arXiv:2503.16428", "2503.16428"),
            ("arxiv:2503.16428v1", "2503.16428"),
            ("ARXIV: 2503.16428", "2503.16428"),
            ("https://arxiv.org/abs/2503.16428", "2503.16428"),
            ("http://arxiv.org/abs/2503.16428v2", "2503.16428"),
            ("arxiv.org/abs/2503.16428", "2503.16428"),
            ("https://arxiv.org/pdf/2503.16428v3", "2503.16428"),
            ("https://arxiv.org/pdf/2503.16428v3.pdf", "2503.16428"),
            ("https://www.arxiv.org/abs/2503.16428/", "2503.16428"),
            ("https://arxiv.org/html/2503.16428v1#S2", "2503.16428"),
            (
                "https://export.arxiv.org/abs/2503.16428?context=cs",
                "2503.16428",
            ),
            ("https://doi.org/10.48550/arXiv.2503.16428", "2503.16428"),
            ("10.48550/arXiv.2503.16428", "2503.16428"),
            ("doi:10.48550/ARXIV.2503.16428", "2503.16428"),
            ("  <2503.16428>  ", "2503.16428"),
            ("0704.0001", "0704.0001"),
            ("hep-th/9901001", "hep-th/9901001"),
            ("hep-th/9901001v3", "hep-th/9901001"),
            ("math.GT/0309136", "math/0309136"),
            ("arXiv:math.GT/0309136v1", "math/0309136"),
            ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ] {
            assert_eq!(paper_id(text).as_deref(), Some(id), "{text:?}");
        }
    }

    #[test]
    fn text_that_is_no_id_is_not_taken_for_one() {
        for text in [
            "",
            "attention",
            "2503.16428 attention",
            "2513.16428",
            "25031.6428",
            "3.14159",
            "Qwen2.5",
            "https://example.org/abs/2503.16428",
            "https://arxiv.org/list/cs.CL/recent",
            "and/or",
            "t:abc",
            "4983",
        ] {
            assert_eq!(paper_id(text), None, "{text:?}");
        }
    }

    #[test]
    fn syntax_characters_and_operator_words_are_noticed() {
        for text in [
            "title:attention",
            "\"chain of thought",
            "sparse AND",
            "atten*",
            "spars~1",
            "MedS^3",
            "-vision attention",
            "+must word",
            "(a b)",
        ] {
            assert!(has_syntax(text), "{text:?}");
        }
        for text in [
            "sparse attention",
            "GPT-4o and Llama-3.1-8B",
            "what is not known",
            "C++ & Rust",
        ] {
            assert!(!has_syntax(text), "{text:?}");
        }
    }
}
