//! paperdex: fast local full-text search over scientific paper abstracts, on tantivy.

pub mod analysis;
pub mod error;
pub mod ingest;
pub mod paper;
pub mod schema;

pub use error::{Error, Result};
