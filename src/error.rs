//! The library error type: the caller's mistakes (bad query, bad file, locked index) are kept
//! apart from internal failures so every front door can map them (exit 2 / HTTP 4xx / -32602).

use std::borrow::Cow;
use std::path::PathBuf;

/// Errors returned by the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("query syntax error in `{query}`: {message}")]
    QuerySyntax { query: String, message: String },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("{0}")]
    BadInput(String),
    #[error("paper `{0}` not found")]
    NotFound(String),
    #[error("index is locked by another process: {} (another `paperdex index` is running)", .0.display())]
    Locked(PathBuf),
    #[error("no paperdex index at {}: run `paperdex index PATHS...` first", .0.display())]
    NoIndex(PathBuf),
    #[error("index at {path} was built with schema {found}, this paperdex uses schema {expected}: re-index with `paperdex index --rebuild PATHS...`", path = .path.display())]
    SchemaMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("schema file {path}: {message}")]
    Schema { path: String, message: String },
    // Causes are in the messages, so not also `source()`s: the CLI prints the chain (`{:#}`),
    // which said each one again (tantivy's three times).
    #[error("I/O error on {}: {error}", .path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("writing the index at {} failed: {cause}; it keeps its last commit: {kept} papers", .dir.display())]
    WriteFailed {
        dir: PathBuf,
        kept: u64,
        cause: String,
    },
    #[error("the search ran past its time budget and was stopped (a query over very many terms, such as short prefixes, can: make it more specific)")]
    TimedOut,
    #[error("index error: {0}")]
    Index(tantivy::TantivyError),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Error {
        Error::Index(e)
    }
}

impl Error {
    /// True when the request or input was at fault rather than paperdex or the machine.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            Error::Io { .. } | Error::Index(_) | Error::WriteFailed { .. } | Error::TimedOut
        )
    }

    /// A stable machine-readable code for JSON error objects.
    pub fn code(&self) -> &'static str {
        match self {
            Error::QuerySyntax { .. } => "query_syntax",
            Error::InvalidRequest(_) => "invalid_request",
            Error::BadInput(_) => "bad_input",
            Error::NotFound(_) => "not_found",
            Error::Locked(_) => "index_locked",
            Error::NoIndex(_) => "no_index",
            Error::SchemaMismatch { .. } => "schema_mismatch",
            Error::Schema { .. } => "schema",
            Error::Io { .. } => "io",
            Error::WriteFailed { .. } => "write_failed",
            Error::TimedOut => "timeout",
            Error::Index(_) => "internal",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

/// `text` for a terminal: control characters (C0, DEL, C1: newline, tab, ESC...) escaped as
/// `escape_debug` writes them (`\n`, `\u{1b}`), the rest as is (`é` stays `é`). File names
/// and parsed text may hold any: printed raw, a newline in a name forges an output line and
/// an escape sequence drives the terminal. JSON output keeps the exact text.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_letters_kept() {
        assert_eq!(escape_controls("plain é ü 中.jsonl"), "plain é ü 中.jsonl");
        assert_eq!(
            escape_controls("a\n3 papers\r\t\x1b[2J\x7f\u{85}\0.jsonl"),
            "a\\n3 papers\\r\\t\\u{1b}[2J\\u{7f}\\u{85}\\0.jsonl"
        );
        // Escaping twice changes nothing more: a backslash is not a control character.
        let once = escape_controls("x\ny").into_owned();
        assert_eq!(escape_controls(&once), once);
    }
}
