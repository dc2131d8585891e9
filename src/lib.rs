//! paperdex: fast local full-text search over scientific paper abstracts, on tantivy.

pub mod ingest;
pub mod paper;
