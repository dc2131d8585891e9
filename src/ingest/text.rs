//! Text normalization applied to every field at ingest: whitespace, LaTeX markup, mojibake.

/// Normalizes a title or abstract for indexing and display.
pub fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
