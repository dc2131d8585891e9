//! `Engine`: the one API the CLI, HTTP server and stdio protocol call.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cite::{Citation, Citations, CiteFormat};
use crate::error::{Error, Result};
pub use crate::index::FieldStats;
use crate::index::{self, date_from_days, PaperIndex};
use crate::ingest::read::{self, Batch, Input};
use crate::ingest::{self, Format, ParseOptions, Skip};
use crate::paper::Paper;
use crate::schema::SchemaConfig;
use crate::search::{format_date, Deadline, FacetCounts, SearchRequest, SearchResponse};
use rustc_hash::FxHashSet;
use tantivy::{IndexWriter, TantivyError};

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
    /// Memory budget for the run in bytes: half for tantivy's indexing buffers, a sixteenth
    /// per batch of input text (up to three batches are in flight: being read and parsed,
    /// waiting, being indexed; their parsed papers take about twice their text).
    pub memory_budget: usize,
    /// Commit after at most this many papers written (an interrupted run keeps every commit).
    pub commit_every: usize,
    /// Follow symbolic links to directories while walking one (loops are reported).
    pub follow: bool,
}

impl IndexOptions {
    fn writer_heap_bytes(&self) -> usize {
        (self.memory_budget / 2).max(30 << 20)
    }

    fn batch_bytes(&self) -> usize {
        (self.memory_budget / 16).max(1 << 20)
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            format: None,
            parse: ParseOptions::default(),
            strict: false,
            progress: false,
            memory_budget: 512 << 20,
            commit_every: 250_000,
            follow: false,
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
    /// Records without an abstract, indexed on their title (BibTeX entries): a note, not a skip.
    pub no_abstract: usize,
    pub took_ms: f64,
}

impl std::fmt::Display for IndexReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "indexed {} file(s), {} record(s): {} added, {} updated, {} unchanged, {} duplicate(s) merged, {} skipped in {:.0} ms",
            self.files, self.records, self.added, self.updated, self.unchanged, self.duplicates_merged,
            self.skipped.len(), self.took_ms
        )?;
        match self.no_abstract {
            0 => Ok(()),
            1 => write!(f, "; 1 entry had no abstract: indexed on its title"),
            n => write!(f, "; {n} entries had no abstract: indexed on their title"),
        }
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

/// What `Engine::check` found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckReport {
    pub index: String,
    pub papers: u64,
    /// Segment files whose contents no longer match the checksum written with them.
    pub damaged: Vec<String>,
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
    /// Every indexed field, in schema order: what its postings hold.
    pub fields: Vec<FieldStats>,
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
                            TantivyError::LockFailure(..) => Error::Locked(dir.to_path_buf()),
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

    /// Indexes inputs, opened one at a time. Whole pages are read in groups of a batch's size
    /// (each page at most `read::MAX_PAGE_BYTES`) and parsed in parallel; line-based formats
    /// stream in batches (parsed in parallel), so memory stays within the budget for any
    /// input and any number of files, and an interrupted run keeps every commit.
    /// A failing batch commits nothing; earlier commits stay intact.
    pub fn index(&self, inputs: &[Input], opts: &IndexOptions) -> Result<IndexReport> {
        let directory = &self.idx.directory;
        // A write that failed before this run is not its cause.
        directory.take_write_failure();
        // What a killed run left (its uncommitted segments) goes first: on a full disk that
        // is the room this run needs, which tantivy would free only at its first commit.
        self.idx.remove_uncommitted_files();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let indexed = std::thread::scope(move |scope| {
            // Merges read whole segments through mappings; their pages would count against the
            // run's memory budget until the segments close (see directory.rs).
            scope.spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(RELEASE_EVERY) {
                    directory.release_mapped_pages();
                }
            });
            let indexed = self.index_all(inputs, opts);
            drop(stop);
            indexed
        });
        // The files this run wrote go; a failed write is named by its cause.
        indexed.map_err(|err| self.idx.recover_from(err))
    }

    fn index_all(&self, inputs: &[Input], opts: &IndexOptions) -> Result<IndexReport> {
        let started = Instant::now();
        let expanded = read::expand(inputs, opts.follow)?;
        let mut run = Run {
            writer: self.idx.writer(opts.writer_heap_bytes())?,
            report: IndexReport {
                files: expanded.files.len(),
                skipped: expanded.skipped,
                ..IndexReport::default()
            },
            seen: FxHashSet::default(),
            pending: FxHashSet::default(),
            since_commit: 0,
            opts,
        };
        let total = expanded
            .files
            .iter()
            .map(read::size_on_disk)
            .sum::<Option<u64>>();
        let progress = Progress::new(opts.progress, total);
        // Each file is sniffed and closed, then opened again when its turn comes: open files
        // and their buffers are one at a time, whatever the number of inputs.
        let mut queue = Vec::with_capacity(expanded.files.len());
        for input in expanded.files {
            if let Some(format) = opts.format {
                queue.push((read::Pending::Closed(input), format));
                continue;
            }
            let mut src = match read::try_open(&input) {
                Ok(src) => src,
                Err(skip) => {
                    run.report.skipped.push(skip);
                    continue;
                }
            };
            let name = src.name.clone();
            match ingest::sniff(&name, src.head()?) {
                None => run.report.skipped.push(Skip {
                    file: src.display.clone(),
                    line: 1,
                    reason: "unrecognized format (pass --format)".into(),
                }),
                Some(format) if src.reopenable() => {
                    queue.push((read::Pending::Closed(input), format))
                }
                Some(format) => queue.push((read::Pending::Open(src), format)),
            }
        }
        // Whole pages first, then JSON lines, each kind in the order given.
        queue.sort_by_key(|(_, format)| format.is_line_based());
        if !queue.is_empty() {
            run.stream(&self.idx, queue, &progress)?;
        }
        run.check_strict()?;
        run.commit(&self.idx)?;
        progress.finish();
        drop(run.writer);
        let mut report = run.report;
        report.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(report)
    }

    /// Removes papers by id; returns how many existed.
    pub fn delete(&self, ids: &[String]) -> Result<usize> {
        self.idx.directory.take_write_failure();
        let mut writer = self.idx.writer(32 << 20)?;
        let deleted = self
            .idx
            .delete(&writer, ids)
            .and_then(|n| Ok(writer.commit().map(|_| n)?));
        // The writer lock is released before what the failed commit wrote is removed.
        drop(writer);
        let n = deleted.map_err(|err| self.idx.recover_from(err))?;
        self.idx.reader.reload()?;
        Ok(n)
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse> {
        self.idx.search(req)
    }

    /// `search` that gives up with `Error::TimedOut` at `deadline`, stopping its work there
    /// (the server's time budget).
    pub fn search_until(&self, req: &SearchRequest, deadline: Instant) -> Result<SearchResponse> {
        let _alone = index::on_caller_thread(crate::search::is_costly(&req.q));
        self.idx.search_until(req, Deadline::at(Some(deadline)))
    }

    pub fn get(&self, id: &str) -> Result<Paper> {
        self.idx.get(id)
    }

    /// Papers like the paper `id`.
    pub fn similar(&self, id: &str, limit: usize) -> Result<SearchResponse> {
        self.idx.similar(id, limit)
    }

    /// The cite key of a stored paper: readable, stable and unique within the index
    /// (`cite::cite_key`).
    pub fn cite_key(&self, paper: &Paper) -> Result<String> {
        crate::cite::cite_key(&self.idx, paper)
    }

    /// Citations of papers by id (any form `get` takes), in the order given; an unknown id is
    /// `Error::NotFound` naming it.
    pub fn cite(&self, ids: &[String], format: CiteFormat) -> Result<Citations> {
        if ids.is_empty() {
            return Err(Error::InvalidRequest(
                "cite needs at least one paper id".into(),
            ));
        }
        if ids.len() > MAX_CITE_IDS {
            return Err(Error::InvalidRequest(format!(
                "{} paper ids to cite, the limit is {MAX_CITE_IDS}",
                ids.len()
            )));
        }
        let mut citations = Vec::with_capacity(ids.len());
        for id in ids {
            let paper = self.get(id)?;
            let key = self.cite_key(&paper)?;
            citations.push(Citation {
                text: crate::cite::render(&paper, &key, format),
                id: paper.id,
                key,
            });
        }
        Ok(Citations { format, citations })
    }

    /// Topic and date facet counts.
    pub fn facets(&self, req: &FacetsRequest) -> Result<FacetCounts> {
        self.facets_until(req, None)
    }

    /// `facets` that gives up with `Error::TimedOut` at `deadline`.
    pub fn facets_until(
        &self,
        req: &FacetsRequest,
        deadline: Option<Instant>,
    ) -> Result<FacetCounts> {
        let search = SearchRequest {
            q: req.q.clone(),
            topic: req.topic.iter().cloned().collect(),
            ..SearchRequest::default()
        };
        let _alone = index::on_caller_thread(crate::search::is_costly(&req.q));
        let mut counts = self.idx.facet_counts(&search, Deadline::at(deadline))?;
        if let Some(topic) = &req.topic {
            let prefix = self
                .idx
                .resolve_topics(std::slice::from_ref(topic))?
                .remove(0);
            counts.topic.retain(|path, _| {
                path == &prefix
                    || path.starts_with(&prefix) && path[prefix.len()..].starts_with('/')
            });
        }
        Ok(counts)
    }

    /// Reads every file of the last commit through and compares it with its checksum: the
    /// damage an open does not notice (opening reads only headers and footers).
    pub fn check(&self) -> Result<CheckReport> {
        let mut damaged: Vec<String> = self
            .idx
            .index
            .validate_checksum()?
            .into_iter()
            .map(|p| self.idx.dir.join(p).display().to_string())
            .collect();
        damaged.sort();
        Ok(CheckReport {
            index: self.idx.dir.display().to_string(),
            papers: self.idx.reader.searcher().num_docs(),
            damaged,
        })
    }

    pub fn stats(&self) -> Result<Stats> {
        let searcher = self.idx.reader.searcher();
        let range = self.idx.date_range(&searcher);
        Ok(Stats {
            index: self.idx.dir.display().to_string(),
            papers: searcher.num_docs(),
            bytes: dir_size(&self.idx.dir),
            segments: searcher.segment_readers().len(),
            first_date: range
                .and_then(|(first, _)| date_from_days(first))
                .map(format_date),
            last_date: range
                .and_then(|(_, last)| date_from_days(last))
                .map(format_date),
            schema_version: self.idx.config.version,
            schema_fingerprint: self.idx.config.fingerprint(),
            fields: self.idx.field_stats(&searcher)?,
        })
    }
}

/// State of one indexing run.
struct Run<'a> {
    writer: IndexWriter,
    report: IndexReport,
    /// `index::id_hash` of the ids written by this run, so a paper met again in a later batch
    /// counts as a duplicate.
    seen: FxHashSet<u64>,
    /// Keys (`index::lookup_keys`) of the papers added since the last commit: the index cannot
    /// see those papers yet, so meeting one again forces a commit before the lookup.
    pending: FxHashSet<(u8, u64)>,
    since_commit: usize,
    opts: &'a IndexOptions,
}

/// What the reading thread hands to the indexing thread.
enum Parsed {
    Batch {
        parsed: ingest::Parsed,
        /// Raw bytes of all inputs read so far, for progress.
        done: u64,
    },
    /// A line-based file is read to its end.
    FileEnd { done: u64, skip: Option<Skip> },
}

/// A whole page read, waiting with its group to be parsed.
struct GroupPage {
    name: String,
    format: Format,
    /// None when the file was not read (too large, cannot be opened): `skipped` says why.
    text: Option<String>,
    skipped: Vec<Skip>,
}

/// The reading thread: inputs in order, opened one at a time. Whole pages are read into
/// groups of about `batch_bytes` of text, each group parsed in parallel (a page a task) and
/// handed over as one batch, so pages take memory by the group and not all at once;
/// line-based files are cut into batches. Stops at a read error (handed over) or when the
/// indexing side stopped (a closed channel).
fn read_inputs(
    inputs: Vec<(read::Pending, Format)>,
    opts: &IndexOptions,
    tx: &std::sync::mpsc::SyncSender<Result<Parsed>>,
) {
    let batch_lines = opts.commit_every.min(READ_BATCH_LINES);
    let send = |msg: Result<Parsed>| tx.send(msg).is_ok();
    let flush = |group: &mut Vec<GroupPage>, done: u64| {
        group.is_empty()
            || send(Ok(Parsed::Batch {
                parsed: parse_pages(std::mem::take(group), &opts.parse),
                done,
            }))
    };
    let (mut group, mut group_bytes, mut done) = (Vec::new(), 0, 0);
    for (pending, format) in inputs {
        let opened = pending.open();
        if !format.is_line_based() {
            let mut page = GroupPage {
                name: String::new(),
                format,
                text: None,
                skipped: Vec::new(),
            };
            match opened {
                Err(skip) => page.skipped.push(skip),
                Ok(mut src) => {
                    let read = src.read_all();
                    done += src.bytes_read();
                    page.name = src.name;
                    match read {
                        Ok(read::Page::Text { text, skipped }) => {
                            group_bytes += text.len();
                            page.text = Some(text);
                            page.skipped = skipped;
                        }
                        Ok(read::Page::TooLarge(skip)) => page.skipped.push(skip),
                        Err(e) => {
                            send(Err(e));
                            return;
                        }
                    }
                }
            }
            group.push(page);
            if group_bytes >= opts.batch_bytes() {
                if !flush(&mut group, done) {
                    return;
                }
                group_bytes = 0;
            }
            continue;
        }
        if !flush(&mut group, done) {
            return;
        }
        group_bytes = 0;
        let mut src = match opened {
            Ok(src) => src,
            Err(skip) => {
                if !send(Ok(Parsed::FileEnd {
                    done,
                    skip: Some(skip),
                })) {
                    return;
                }
                continue;
            }
        };
        let mut lines = 0;
        loop {
            let msg = match src.next_batch(batch_lines, opts.batch_bytes()) {
                Ok(None) => break,
                Ok(Some(mut batch)) => {
                    lines += batch.lines;
                    let mut parsed = parse_batch(&src.name, &batch, format, &opts.parse);
                    parsed.skipped.append(&mut batch.skipped);
                    parsed.skipped.sort_by_key(|s| s.line);
                    src.recycle(batch);
                    Ok(Parsed::Batch {
                        parsed,
                        done: done + src.bytes_read(),
                    })
                }
                Err(e) => Err(e),
            };
            let failed = msg.is_err();
            // A closed channel means the indexing side stopped: stop reading.
            if !send(msg) || failed {
                return;
            }
        }
        done += src.bytes_read();
        let end = Parsed::FileEnd {
            done,
            skip: (lines == 0).then(|| empty_file(&src.name)),
        };
        if !send(Ok(end)) {
            return;
        }
    }
    flush(&mut group, done);
}

/// Parses a group of whole pages in parallel, a page a task, keeping their order.
fn parse_pages(group: Vec<GroupPage>, opts: &ParseOptions) -> ingest::Parsed {
    let parts: Vec<ingest::Parsed> = group
        .into_par_iter()
        .map(|page| {
            let mut parsed = match &page.text {
                Some(text) if text.trim().is_empty() => ingest::Parsed {
                    skipped: vec![empty_file(&page.name)],
                    ..Default::default()
                },
                Some(text) => ingest::parse(&page.name, text, page.format, opts),
                None => ingest::Parsed::default(),
            };
            parsed.skipped.splice(0..0, page.skipped);
            parsed
        })
        .collect();
    let mut out = ingest::Parsed::default();
    for part in parts {
        out.papers.extend(part.papers);
        out.skipped.extend(part.skipped);
        out.no_abstract += part.no_abstract;
    }
    out
}

impl Run<'_> {
    fn check_strict(&self) -> Result<()> {
        match self.report.skipped.first() {
            Some(first) if self.opts.strict => Err(Error::BadInput(format!("{first} (--strict)"))),
            _ => Ok(()),
        }
    }

    /// Reads and parses on one thread (itself parsing in parallel) while this one upserts
    /// the previous batch, so parsing overlaps tantivy's indexing threads.
    fn stream(
        &mut self,
        idx: &PaperIndex,
        inputs: Vec<(read::Pending, Format)>,
        progress: &Progress,
    ) -> Result<()> {
        let opts = self.opts;
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Parsed>>(1);
            scope.spawn(move || read_inputs(inputs, opts, &tx));
            for msg in rx {
                let done = match msg? {
                    Parsed::Batch { parsed, done } => {
                        self.report.records += parsed.papers.len();
                        self.report.no_abstract += parsed.no_abstract;
                        self.report.skipped.extend(parsed.skipped);
                        self.apply(idx, parsed.papers)?;
                        done
                    }
                    Parsed::FileEnd { done, skip } => {
                        self.report.skipped.extend(skip);
                        done
                    }
                };
                self.report.bytes = done as usize;
                progress.update(done, self.report.records);
            }
            Ok(())
        })
    }

    /// Dedups and upserts one batch; commits every `commit_every` records.
    fn apply(&mut self, idx: &PaperIndex, papers: Vec<Paper>) -> Result<()> {
        self.check_strict()?;
        let (papers, merged) = index::dedup(papers);
        let pending = &self.pending;
        if papers.iter().any(|(p, title_hash)| {
            index::probe_keys(p, *title_hash)
                .iter()
                .any(|k| pending.contains(k))
        }) {
            self.commit(idx)?;
        }
        let counts = idx.upsert(&self.writer, papers, &mut self.seen, &mut self.pending)?;
        let r = &mut self.report;
        r.duplicates_merged += merged + counts.merged;
        r.added += counts.added;
        r.updated += counts.updated;
        r.unchanged += counts.unchanged;
        let written = counts.added + counts.updated + counts.merged;
        self.since_commit += written;
        if self.since_commit >= self.opts.commit_every {
            self.commit(idx)?;
        }
        Ok(())
    }

    /// Commits what was written since the last commit, if anything, and makes it searchable.
    fn commit(&mut self, idx: &PaperIndex) -> Result<()> {
        if self.since_commit > 0 {
            self.writer.commit()?;
            idx.reader.reload()?;
            self.pending.clear();
            self.since_commit = 0;
        }
        Ok(())
    }
}

/// How often an indexing run releases the mapped pages of the segments it read: a merge
/// stacking doc stores reads up to ~2 GB/s, so at 200 ms 160 MB built up in between (a
/// million papers at --memory-budget 256), at 50 ms at most ~100 MB.
/// Most papers one `cite` call renders (each costs a lookup and a small search).
pub const MAX_CITE_IDS: usize = 1000;

const RELEASE_EVERY: Duration = Duration::from_millis(50);

/// Lines read and parsed at a time: large enough to keep both cores busy, small enough that
/// reading the next batch overlaps indexing this one.
const READ_BATCH_LINES: usize = 10_000;

fn empty_file(name: &str) -> Skip {
    Skip {
        file: name.to_string(),
        line: 1,
        reason: "empty file".into(),
    }
}

/// Parses a batch of lines in parallel, in chunks that keep their line numbers.
fn parse_batch(name: &str, batch: &Batch, format: Format, opts: &ParseOptions) -> ingest::Parsed {
    const LINES_PER_TASK: usize = 512;
    let mut chunks: Vec<(u64, &str)> = Vec::new();
    let (mut start, mut line, mut count) = (0, batch.first_line, 0);
    for i in memchr::memchr_iter(b'\n', batch.text.as_bytes()) {
        count += 1;
        if count == LINES_PER_TASK {
            chunks.push((line, &batch.text[start..=i]));
            line += LINES_PER_TASK as u64;
            start = i + 1;
            count = 0;
        }
    }
    if start < batch.text.len() {
        chunks.push((line, &batch.text[start..]));
    }
    let parts: Vec<ingest::Parsed> = chunks
        .into_par_iter()
        .map(|(first, text)| ingest::parse_lines(name, text, format, opts, first))
        .collect();
    let mut out = ingest::Parsed {
        papers: Vec::with_capacity(parts.iter().map(|p| p.papers.len()).sum()),
        ..Default::default()
    };
    for part in parts {
        out.papers.extend(part.papers);
        out.skipped.extend(part.skipped);
    }
    out
}

/// Progress on stderr when it is a terminal: bytes with ETA, records and records/s.
struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool, total_bytes: Option<u64>) -> Progress {
        let bar = if !enabled || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else if let Some(total) = total_bytes {
            let bar = ProgressBar::new(total);
            bar.set_style(
                // The bar takes the columns the text leaves, so the line fits any terminal
                // (a fixed 30 made it 83 columns at 115k records, wrapping at 80).
                ProgressStyle::with_template(
                    "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {binary_bytes}")
                    .expect("valid template"),
            );
            bar
        };
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    fn update(&self, bytes: u64, records: usize) {
        let rate = records as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        // Position and total both count raw bytes (compressed for `.gz`); a file that grew
        // while read moves the total rather than running past it.
        if self.bar.length().is_some_and(|len| bytes > len) {
            self.bar.set_length(bytes);
        }
        self.bar.set_position(bytes);
        self.bar
            .set_message(format!("{records} records ({rate:.0}/s)"));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
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
