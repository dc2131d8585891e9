//! Shared bench setup: the corpora and where they come from.

use std::path::{Path, PathBuf};

/// The bundled samples (always present).
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples")
}

#[allow(dead_code)] // used by the query bench only
/// The real arXiv listings beside the project, when a checkout has `../shared`.
pub fn listings() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/arxiv/listings-2025-2026.jsonl.gz");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "note: {} is missing; benching the bundled corpus-samples/ only",
            path.display()
        );
        None
    }
}
