//! paperdex: fast local full-text search over scientific paper abstracts, on tantivy.

pub mod alloc;
pub mod analysis;
pub mod cite;
pub mod directory;
pub mod engine;
pub mod error;
pub mod eval;
pub mod gen;
pub mod index;
pub mod ingest;
pub mod paper;
pub mod schema;
pub mod search;
pub mod server;

pub use engine::{Engine, IndexOptions, IndexReport};
pub use error::{Error, Result};
