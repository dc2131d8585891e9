//! `Engine`: the one API the CLI, HTTP server and stdio protocol call.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::index::{self, date_from_days, PaperIndex};
use crate::ingest::read::{self, Input, TextFile};
use crate::ingest::{self, Format, ParseOptions, Skip};
use crate::paper::Paper;
use crate::schema::SchemaConfig;
use crate::search::{format_date, FacetCounts, SearchRequest, SearchResponse};

/// Settings for one indexing run.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Forces a format instead of sniffing each file.
    pub format: Option<Format>,
    pub parse: ParseOptions,
    /// Fail on the first malformed record instead of skipping it.
    pub strict: bool,
    /// Show progress bars (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Indexing memory budget in bytes.
    pub heap_bytes: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            format: None,
            parse: ParseOptions::default(),
            strict: false,
            progress: false,
            heap_bytes: 256 << 20,
        }
    }
}

/// What an indexing run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    pub files: usize,
    pub bytes: usize,
    /// Records parsed into papers, before deduplication.
    pub records: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Records folded into another record of the same run.
    pub duplicates_merged: usize,
    pub skipped: Vec<Skip>,
    pub took_ms: f64,
}

impl std::fmt::Display for IndexReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "indexed {} file(s), {} record(s): {} added, {} updated, {} unchanged, {} duplicate(s) merged, {} skipped in {:.0} ms",
            self.files, self.records, self.added, self.updated, self.unchanged, self.duplicates_merged,
            self.skipped.len(), self.took_ms
        )
    }
}

/// Facet listing request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacetsRequest {
    /// Only papers under this topic, and only its subtree of topics.
    pub topic: Option<String>,
    /// Optional query restricting the papers counted.
    pub q: String,
}

/// Index statistics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub index: String,
    pub papers: u64,
    pub bytes: u64,
    pub segments: usize,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub schema_version: u32,
    pub schema_fingerprint: String,
}

pub struct Engine {
    idx: PaperIndex,
}

impl Engine {
    /// Opens an existing index.
    pub fn open(dir: &Path, schema: SchemaConfig) -> Result<Engine> {
        Ok(Engine {
            idx: PaperIndex::open(dir, schema)?,
        })
    }

    /// Opens the index, creating an empty one if `dir` holds none.
    pub fn open_or_create(dir: &Path, schema: SchemaConfig) -> Result<Engine> {
        Ok(Engine {
            idx: PaperIndex::open_or_create(dir, schema)?,
        })
    }

    /// Deletes whatever index is in `dir` and creates an empty one.
    pub fn rebuild(dir: &Path, schema: SchemaConfig) -> Result<Engine> {
        if index::exists(dir) || dir.join("paperdex.json").exists() {
            // Hold the writer lock while clearing so a running writer is not pulled from under.
            if let Ok(old) = tantivy::Index::open_in_dir(dir) {
                let _lock =
                    old.writer::<tantivy::TantivyDocument>(15_000_000)
                        .map_err(|e| match e {
                            tantivy::TantivyError::LockFailure(..) => {
                                Error::Locked(dir.to_path_buf())
                            }
                            other => Error::Index(other),
                        })?;
            }
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(Engine {
            idx: PaperIndex::create(dir, schema)?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.idx.dir
    }

    pub fn schema(&self) -> &SchemaConfig {
        &self.idx.config
    }

    /// The underlying index (for tests and benches that compare against raw tantivy).
    pub fn raw(&self) -> &PaperIndex {
        &self.idx
    }

    /// Parses inputs in parallel, deduplicates, upserts and commits once. Nothing is
    /// committed if the run fails, so the previous commit stays intact.
    pub fn index(&self, inputs: &[Input], opts: &IndexOptions) -> Result<IndexReport> {
        let started = Instant::now();
        let files = read::expand(inputs)?;
        let mut writer = self.idx.writer(opts.heap_bytes)?;
        let bar = progress_bar(opts.progress, files.len() as u64, "parsing");
        let parsed: Vec<Result<(TextFile, ingest::Parsed)>> = files
            .par_iter()
            .map(|input| {
                let file = read::read(input)?;
                let format = match opts.format {
                    Some(f) => Some(f),
                    None => ingest::sniff(&file.name, &file.text),
                };
                let parsed = match format {
                    Some(format) => ingest::parse(&file.name, &file.text, format, &opts.parse),
                    None => ingest::Parsed {
                        papers: Vec::new(),
                        skipped: vec![Skip {
                            file: file.display.clone(),
                            line: 1,
                            reason: "unrecognized format (pass --format)".into(),
                        }],
                    },
                };
                bar.inc(1);
                Ok((file, parsed))
            })
            .collect();
        bar.finish_and_clear();
        let mut report = IndexReport {
            files: files.len(),
            ..IndexReport::default()
        };
        let mut papers: Vec<Paper> = Vec::new();
        for item in parsed {
            let (file, parsed) = item?;
            report.bytes += file.bytes;
            report.skipped.extend(file.skipped);
            report.skipped.extend(parsed.skipped);
            report.records += parsed.papers.len();
            papers.extend(parsed.papers);
        }
        if opts.strict {
            if let Some(first) = report.skipped.first() {
                return Err(Error::BadInput(format!("{first} (--strict)")));
            }
        }
        let (papers, merged) = index::dedup(papers);
        report.duplicates_merged = merged;
        let counts = self.idx.upsert(&writer, papers)?;
        report.added = counts.added;
        report.updated = counts.updated;
        report.unchanged = counts.unchanged;
        writer.commit()?;
        drop(writer);
        self.idx.reader.reload()?;
        report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(report)
    }

    /// Removes papers by id; returns how many existed.
    pub fn delete(&self, ids: &[String]) -> Result<usize> {
        let mut writer = self.idx.writer(32 << 20)?;
        let n = self.idx.delete(&writer, ids)?;
        writer.commit()?;
        self.idx.reader.reload()?;
        Ok(n)
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        self.idx.search(req)
    }

    pub fn get(&self, id: &str) -> Result<Paper> {
        self.idx.get(id)
    }

    /// Topic and date facet counts.
    pub fn facets(&self, req: &FacetsRequest) -> Result<FacetCounts> {
        let search = SearchRequest {
            q: req.q.clone(),
            topic: req.topic.iter().cloned().collect(),
            ..SearchRequest::default()
        };
        let mut counts = self.idx.facet_counts(&search)?;
        if let Some(prefix) = &req.topic {
            let prefix = if prefix.starts_with('/') {
                prefix.clone()
            } else {
                format!("/{prefix}")
            };
            let prefix = prefix.trim_end_matches('/').to_string();
            counts.topic.retain(|path, _| {
                path == &prefix
                    || path.starts_with(&prefix) && path[prefix.len()..].starts_with('/')
            });
        }
        Ok(counts)
    }

    pub fn stats(&self) -> Result<Stats> {
        let searcher = self.idx.reader.searcher();
        let mut first = None::<i64>;
        let mut last = None::<i64>;
        for seg in searcher.segment_readers() {
            if let Ok(col) = seg.fast_fields().i64("date_days") {
                if col.values.num_vals() > 0 {
                    first = Some(first.map_or(col.min_value(), |f| f.min(col.min_value())));
                    last = Some(last.map_or(col.max_value(), |l| l.max(col.max_value())));
                }
            }
        }
        Ok(Stats {
            index: self.idx.dir.display().to_string(),
            papers: searcher.num_docs(),
            bytes: dir_size(&self.idx.dir),
            segments: searcher.segment_readers().len(),
            first_date: first.and_then(date_from_days).map(format_date),
            last_date: last.and_then(date_from_days).map(format_date),
            schema_version: self.idx.config.version,
            schema_fingerprint: self.idx.config.fingerprint(),
        })
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn progress_bar(enabled: bool, len: u64, what: &'static str) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>8} [{bar:40}] {pos}/{len} files ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

/// The sample corpus compiled into the binary, so a fresh install can index something.
pub fn bundled_samples() -> Vec<Input> {
    macro_rules! sample {
        ($name:literal) => {
            Input::Bytes {
                name: $name.to_string(),
                bytes: include_bytes!(concat!("../corpus-samples/", $name)),
            }
        };
    }
    vec![
        sample!("000_49c743b0cf8a9bc6.txt"),
        sample!("001_2e2c283b0582c765.txt"),
        sample!("002_d39b0cd639caf1e2.txt"),
        sample!("003_840db0f15c327b34.txt"),
        sample!("004_d8329b276105c370.txt"),
        sample!("arxiv-listings-sample.jsonl"),
        sample!("arxiv-snapshot-sample.jsonl"),
        sample!("scifact-corpus-sample.jsonl"),
    ]
}

/// Where the index lives when no `--index` is given: `$PAPERDEX_INDEX`, else the platform
/// data directory.
pub fn default_index_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PAPERDEX_INDEX").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "paperdex").map(|d| d.data_dir().join("index"))
}
