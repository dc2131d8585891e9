//! Shared bench setup: the corpora and where they come from.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The bundled samples (always present).
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples")
}

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

/// The first `n` listings as a plain JSON-lines file under target/bench-data (written once),
/// when ../shared is present.
#[allow(dead_code)] // not every bench uses it
pub fn listings_slice(n: usize) -> Option<PathBuf> {
    let src = listings()?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let out = dir.join(format!("listings-{n}.jsonl"));
    if !out.is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let gz = flate2::read::MultiGzDecoder::new(std::fs::File::open(src).unwrap());
        let tmp = out.with_extension("tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
        for line in BufReader::new(gz).lines().take(n) {
            writeln!(w, "{}", line.unwrap()).unwrap();
        }
        w.flush().unwrap();
        std::fs::rename(&tmp, &out).unwrap();
    }
    Some(out)
}

/// Titles and abstracts of a listings file, one paper per line: the text the analyzer sees.
#[allow(dead_code)]
pub fn listings_text(path: &Path) -> String {
    let mut text = String::new();
    for line in BufReader::new(std::fs::File::open(path).unwrap()).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        for field in ["title", "abstract"] {
            text.push_str(v[field].as_str().unwrap_or_default());
            text.push('\n');
        }
    }
    text
}
