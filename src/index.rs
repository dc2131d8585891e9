//! The on-disk index: create/open with a schema check, the single writer, and upsert by id.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::directory::error::LockError;
use tantivy::directory::{INDEX_WRITER_LOCK, META_LOCK};
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{
    Directory, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};
use time::Date;

use crate::directory::PaperDirectory;
use crate::error::{Error, Result};
use crate::paper::Paper;
use crate::schema::{PaperFields, SchemaConfig};

/// Written beside tantivy's files: what schema the index was built with.
const META_FILE: &str = "paperdex.json";

#[derive(Debug, Serialize, Deserialize)]
struct IndexMeta {
    schema_version: u32,
    schema_fingerprint: String,
    paperdex_version: String,
}

/// An open paperdex index with its reader.
pub struct PaperIndex {
    pub dir: PathBuf,
    pub index: Index,
    pub fields: PaperFields,
    pub reader: IndexReader,
    pub config: SchemaConfig,
    /// Date columns of the last searcher generation asked about: every ranked search needs
    /// the newest date and each segment's dates, and opening a segment's column cost ~1% of
    /// a search each time.
    dates_cache: std::sync::Mutex<Option<(u64, Arc<Dates>)>>,
    /// Threads one search spreads over (see `search_threads`); the same pool as an executor
    /// that hands tantivy's collectors the segments.
    search_pool: Arc<rayon::ThreadPool>,
    search_executor: tantivy::Executor,
    /// The files tantivy reads, whose mapped pages an indexing run releases as it goes.
    pub directory: PaperDirectory,
}

/// At most this many threads per search: beyond that, waking them costs more than the
/// segments of a paper index give them to do.
const MAX_SEARCH_THREADS: usize = 4;

/// Oldest and newest `date_days` of an index, `None` when no paper is dated.
type DateRange = Option<(i64, i64)>;

/// The `date_days` column of each segment of one searcher (by segment ordinal) and their range.
pub struct Dates {
    pub columns: Vec<Option<Column<i64>>>,
    pub range: DateRange,
}

/// True when `dir` holds a tantivy index.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Whether the tantivy index in `dir` opens and has no segment (nothing was ever committed).
fn holds_no_segment(dir: &Path) -> bool {
    Index::open_in_dir(dir)
        .and_then(|index| index.searchable_segment_metas())
        .is_ok_and(|segments| segments.is_empty())
}

/// Writes `paperdex.json` atomically: a temporary file, synced, renamed over the marker, and
/// the directory synced, so a crash or a full disk leaves the old marker or the new one,
/// never an empty or partial file.
fn write_marker(dir: &Path, config: &SchemaConfig) -> Result<()> {
    use std::io::Write;
    let meta = IndexMeta {
        schema_version: config.version,
        schema_fingerprint: config.fingerprint(),
        paperdex_version: env!("CARGO_PKG_VERSION").into(),
    };
    let json = serde_json::to_vec_pretty(&meta).expect("serializable");
    let tmp = dir.join("paperdex.json.tmp");
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    let meta_path = dir.join(META_FILE);
    std::fs::rename(&tmp, &meta_path).map_err(|e| Error::io(&meta_path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl PaperIndex {
    /// Opens an existing index, refusing one built with another schema.
    pub fn open(dir: &Path, config: SchemaConfig) -> Result<PaperIndex> {
        if !exists(dir) {
            return Err(Error::NoIndex(dir.to_path_buf()));
        }
        let expected = config.fingerprint();
        let meta_path = dir.join(META_FILE);
        let found = match std::fs::read(&meta_path) {
            Ok(bytes) => serde_json::from_slice::<IndexMeta>(&bytes)
                .map(|m| m.schema_fingerprint)
                .unwrap_or_else(|_| "an unreadable paperdex.json".into()),
            Err(_) => "no paperdex.json (not a paperdex index)".into(),
        };
        if found != expected {
            return Err(Error::SchemaMismatch {
                path: dir.to_path_buf(),
                found,
                expected,
            });
        }
        let directory = PaperDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let index = Index::open(directory.clone())?;
        Self::finish(dir, index, directory, config)
    }

    /// Creates a new empty index in `dir` (which must not hold one).
    pub fn create(dir: &Path, config: SchemaConfig) -> Result<PaperIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let fields = config.build();
        let settings = tantivy::IndexSettings {
            docstore_blocksize: DOCSTORE_BLOCK_BYTES,
            ..Default::default()
        };
        let directory = PaperDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        if Index::exists(&directory).map_err(tantivy::TantivyError::from)? {
            return Err(tantivy::TantivyError::IndexAlreadyExists.into());
        }
        // The marker first, whole or not at all: a run killed before tantivy's meta.json
        // leaves a directory that the next run creates into.
        write_marker(dir, &config)?;
        let index = Index::create(directory.clone(), fields.schema.clone(), settings)?;
        Self::finish(dir, index, directory, config)
    }

    /// Opens the index in `dir`, or creates it. An index whose creation was cut short (its
    /// marker missing, empty or unreadable, and not one segment written; what a kill or a
    /// full disk left before the marker was written atomically) is taken as empty.
    pub fn open_or_create(dir: &Path, config: SchemaConfig) -> Result<PaperIndex> {
        if !exists(dir) {
            return Self::create(dir, config);
        }
        let marker = std::fs::read(dir.join(META_FILE)).ok();
        let readable = marker.is_some_and(|b| serde_json::from_slice::<IndexMeta>(&b).is_ok());
        if !readable && holds_no_segment(dir) {
            write_marker(dir, &config)?;
        }
        Self::open(dir, config)
    }

    fn finish(
        dir: &Path,
        mut index: Index,
        directory: PaperDirectory,
        config: SchemaConfig,
    ) -> Result<PaperIndex> {
        // The indexing threads compress their own doc store blocks: a dedicated compressor
        // thread per segment costs a channel send, a futex wake and a context switch per 4 KiB
        // block, and on two busy cores runs in no spare time (indexing the listings 4-9%
        // faster, sys time -0.4 s, BENCHMARKS.md). Only writers read this; existing indexes
        // take it too.
        index.settings_mut().docstore_compress_dedicated_thread = false;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_SEARCH_THREADS);
        let search_pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("paperdex-search-{i}"))
            .build()
            .map_err(tantivy::TantivyError::from)?;
        let search_pool = Arc::new(search_pool);
        let search_executor = tantivy::Executor::ThreadPool(search_pool.clone());
        config.register_tokenizers(&index);
        let fields = config.build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(PaperIndex {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            config,
            dates_cache: std::sync::Mutex::new(None),
            search_pool,
            search_executor,
            directory,
        })
    }

    /// The search threads and their executor for one search (a local tool serves one user at
    /// a time, so its latency beats throughput), or `None` when the caller is itself a rayon
    /// worker (`eval` runs its queries in parallel): a worker waiting on another pool runs
    /// its own pool's jobs meanwhile, so each search would nest the next on its stack.
    /// Also `None` on a thread that runs a costly search (`on_caller_thread`).
    pub(crate) fn search_threads(&self) -> Option<(&rayon::ThreadPool, &tantivy::Executor)> {
        (rayon::current_thread_index().is_none() && !ON_CALLER.get())
            .then_some((&*self.search_pool, &self.search_executor))
    }

    /// Takes the index's single writer lock.
    pub fn writer(&self, heap_bytes: usize) -> Result<IndexWriter> {
        self.index.writer(heap_bytes).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(LockError::LockBusy, _) => {
                Error::Locked(self.dir.clone())
            }
            other => Error::Index(other),
        })
    }

    /// What to report after a run or a delete failed with `err` (its writer dropped): the
    /// files it wrote are removed first, and a failed write becomes `WriteFailed` naming the
    /// first write the directory saw fail (tantivy's own error only says a worker died).
    pub fn recover_from(&self, err: Error) -> Error {
        self.remove_uncommitted_files();
        let failure = self.directory.take_write_failure();
        let cause = match (&err, failure) {
            (Error::Index(_), Some(failure)) => failure.cause,
            (
                Error::Index(
                    e @ (TantivyError::ErrorInThread(_)
                    | TantivyError::IoError(_)
                    | TantivyError::OpenWriteError(_)
                    | TantivyError::InternalError(_)),
                ),
                None,
            ) => format!("most likely a full disk, a file size limit or a permission: {e}"),
            _ => return err,
        };
        let _ = self.reader.reload();
        Error::WriteFailed {
            dir: self.dir.clone(),
            kept: self.reader.searcher().num_docs(),
            cause,
        }
    }

    /// Removes every file tantivy created that the last commit does not use: the segments
    /// and delete files written since (a failed run's, 60 MB on a full disk, which would make
    /// a rerun fail at once) and leftovers of merges. Only while no writer runs (another's new
    /// segments are not in meta.json yet), under the meta lock a reader in another process
    /// takes between reading meta.json and opening its files. Returns the bytes removed.
    pub fn remove_uncommitted_files(&self) -> u64 {
        let dir = self.index.directory();
        let Ok(_writer) = dir.acquire_lock(&INDEX_WRITER_LOCK) else {
            return 0;
        };
        let Ok(_meta) = dir.acquire_lock(&META_LOCK) else {
            return 0;
        };
        let Ok(meta) = self.index.load_metas() else {
            return 0;
        };
        let mut used = meta.list_segment_files();
        used.insert(PathBuf::from("meta.json"));
        let mut removed = 0;
        for path in dir.list_managed_files() {
            if used.contains(&path) {
                continue;
            }
            let size = std::fs::metadata(self.dir.join(&path)).map_or(0, |m| m.len());
            if dir.delete(&path).is_ok() {
                removed += size;
            }
        }
        removed
    }

    /// The stored paper of a document.
    pub fn paper_of(&self, doc: &TantivyDocument) -> Result<Paper> {
        let json = doc
            .get_first(self.fields.paper)
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                Error::Index(tantivy::TantivyError::InternalError(
                    "document without stored paper".into(),
                ))
            })?;
        serde_json::from_str(json).map_err(|e| {
            Error::Index(tantivy::TantivyError::InternalError(format!(
                "stored paper is not valid JSON: {e}"
            )))
        })
    }

    /// The term a paper's id is indexed as.
    pub fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.fields.id, id)
    }

    /// Papers indexed under `term` (an id, a title hash).
    pub fn find_exact(&self, searcher: &Searcher, term: Term, limit: usize) -> Result<Vec<Paper>> {
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let hits = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        hits.into_iter()
            .map(|(_, addr)| self.paper_of(&searcher.doc(addr)?))
            .collect()
    }

    /// Looks a paper up by id, in any form a person pastes (`arXiv:2503.16428v2`, an arXiv
    /// or DOI URL, `math.GT/0309136`: `search::paper_id`); an id the index holds as written
    /// (a corpus id, a `t:` id) wins.
    pub fn get(&self, id: &str) -> Result<Paper> {
        let searcher = self.reader.searcher();
        for candidate in id_candidates(id) {
            if let Some(paper) = self
                .find_exact(&searcher, self.id_term(&candidate), 1)?
                .pop()
            {
                return Ok(paper);
            }
        }
        Err(Error::NotFound(id.to_string()))
    }

    /// The tantivy document for a paper; `title_hash` is `paper.title_hash()`, which the
    /// caller has at hand.
    pub fn document(&self, paper: &Paper, title_hash: u64) -> TantivyDocument {
        let f = &self.fields;
        // Sized for what is copied in (the title twice, the abstract, the stored record, which
        // holds both again): growing from tantivy's 1 KiB default reallocated every document.
        let text = paper.title.len() + paper.abstract_text.len();
        let names: usize = paper.authors.iter().map(String::len).sum();
        let mut doc = TantivyDocument::with_capacity(3 * text + 2 * names + 1024);
        doc.add_text(f.id, &paper.id);
        doc.add_text(f.title, &paper.title);
        if f.abstract_includes_title {
            // A separate value: tantivy leaves a position gap, so no phrase spans the two.
            doc.add_text(f.abstract_text, &paper.title);
        }
        doc.add_text(f.abstract_text, &paper.abstract_text);
        for author in &paper.authors {
            doc.add_text(f.author, author);
        }
        for topic in &paper.topics {
            if let Ok(facet) = Facet::from_text(topic) {
                doc.add_facet(f.topic, facet);
            }
        }
        if let Some(date) = paper.date {
            doc.add_facet(f.date, date_facet(date));
            doc.add_i64(f.date_days, days_since_epoch(date));
        }
        doc.add_u64(f.title_hash, title_hash);
        doc.add_text(f.paper, serde_json::to_string(paper).expect("serializable"));
        doc
    }

    /// Upserts `papers` (already deduplicated among themselves) against what the index holds:
    /// an incoming paper that matches a stored one (same id, or same title where either has
    /// no native id) is merged into it and replaces it; an identical result is left alone.
    /// `seen` holds the `id_hash` of the ids this run already wrote: folding into one of them
    /// counts as a duplicate merged rather than an update. The `lookup_keys` of every paper
    /// written are added to `pending` (the caller commits before a paper whose `probe_keys`
    /// hit them). Each paper comes with its title hash, as `dedup` returns them.
    pub fn upsert(
        &self,
        writer: &IndexWriter,
        papers: Vec<(Paper, u64)>,
        seen: &mut FxHashSet<u64>,
        pending: &mut FxHashSet<(u8, u64)>,
    ) -> Result<UpsertCounts> {
        let searcher = self.reader.searcher();
        let empty = searcher.num_docs() == 0;
        let mut counts = UpsertCounts::default();
        for (paper, title_hash) in papers {
            let existing = if empty {
                Vec::new()
            } else {
                self.matches(&searcher, &paper, title_hash)?
            };
            let (merged, title_hash) = match existing.as_slice() {
                [] => {
                    counts.added += 1;
                    (paper, title_hash)
                }
                [first, rest @ ..] => {
                    let mut merged = first.clone();
                    for other in rest {
                        merged.merge(other.clone());
                    }
                    let changed = merged.merge(paper) || !rest.is_empty();
                    if !changed {
                        counts.unchanged += 1;
                        continue;
                    }
                    for old in &existing {
                        writer.delete_term(self.id_term(&old.id));
                    }
                    if existing.iter().all(|old| seen.contains(&id_hash(&old.id))) {
                        counts.merged += 1;
                    } else {
                        counts.updated += 1;
                    }
                    // A stored paper met by its id may have had another title.
                    let title_hash = merged.title_hash();
                    (merged, title_hash)
                }
            };
            writer.add_document(self.document(&merged, title_hash))?;
            pending.extend(lookup_keys(&merged, title_hash));
            seen.insert(id_hash(&merged.id));
        }
        Ok(counts)
    }

    fn matches(&self, searcher: &Searcher, paper: &Paper, title_hash: u64) -> Result<Vec<Paper>> {
        let mut found = Vec::new();
        let id = self.id_term(&paper.id);
        if self.has_term(searcher, &id)? {
            found = self.find_exact(searcher, id, 1)?;
        }
        let title = Term::from_field_u64(self.fields.title_hash, title_hash);
        if self.has_term(searcher, &title)? {
            for candidate in self.find_exact(searcher, title, 16)? {
                if candidate.id != paper.id && paper.same_paper(&candidate) {
                    found.push(candidate);
                }
            }
        }
        Ok(found)
    }

    /// True when some segment's term dictionary holds `term` (deleted documents included):
    /// an FST lookup, so the common "new paper" case skips running a query.
    fn has_term(&self, searcher: &Searcher, term: &Term) -> Result<bool> {
        for segment in searcher.segment_readers() {
            let terms = segment.inverted_index(term.field())?;
            if terms
                .get_term_info(term)
                .map_err(|e| Error::io(&self.dir, e))?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Terms and tokens of every indexed field, summed over `searcher`'s segments.
    pub fn field_stats(&self, searcher: &Searcher) -> Result<Vec<FieldStats>> {
        let mut stats = Vec::new();
        let schema = &self.fields.schema;
        for (field, entry) in schema.fields().filter(|(_, e)| e.is_indexed()) {
            let (mut terms, mut tokens) = (0, 0);
            for segment in searcher.segment_readers() {
                let postings = segment.inverted_index(field)?;
                terms += postings.terms().num_terms() as u64;
                tokens += postings.total_num_tokens();
            }
            stats.push(FieldStats {
                name: entry.name().to_string(),
                terms,
                tokens,
            });
        }
        Ok(stats)
    }

    /// Oldest and newest dates among indexed papers, as days since the epoch (from the fast
    /// column's per-segment bounds, so O(segments)).
    pub fn date_range(&self, searcher: &Searcher) -> DateRange {
        self.dates(searcher).range
    }

    /// The date columns of `searcher`'s segments, opened once per searcher generation.
    pub fn dates(&self, searcher: &Searcher) -> Arc<Dates> {
        let generation = searcher.generation().generation_id();
        let mut cache = self
            .dates_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, dates)) = &*cache {
            if *cached == generation {
                return dates.clone();
            }
        }
        let columns: Vec<Option<Column<i64>>> = searcher
            .segment_readers()
            .iter()
            .map(|seg| seg.fast_fields().i64("date_days").ok())
            .collect();
        let range = columns
            .iter()
            .flatten()
            .filter(|col| col.values.num_vals() > 0)
            .map(|col| (col.min_value(), col.max_value()))
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
        let dates = Arc::new(Dates { columns, range });
        *cache = Some((generation, dates.clone()));
        dates
    }

    /// Deletes papers by id; returns how many ids existed.
    /// Ids are read as `get` reads them: the first form of each that the index holds is
    /// deleted.
    pub fn delete(&self, writer: &IndexWriter, ids: &[String]) -> Result<usize> {
        let searcher = self.reader.searcher();
        let mut n = 0;
        for id in ids {
            for candidate in id_candidates(id) {
                let term = self.id_term(&candidate);
                if !self.find_exact(&searcher, term.clone(), 1)?.is_empty() {
                    n += 1;
                    writer.delete_term(term);
                    break;
                }
            }
        }
        Ok(n)
    }
}

/// The ids `id` may stand for, as written first, then as a paper id in its indexed form.
fn id_candidates(id: &str) -> Vec<String> {
    let mut out = vec![id.to_string()];
    if let Some(canonical) = crate::search::paper_id(id).filter(|c| c != id) {
        out.push(canonical);
    }
    out
}

/// Doc store block size (tantivy's default is 16 KiB). Each hit a search shows decompresses its
/// whole block: 8 KiB blocks took 5% of a search's instructions off for a 5% larger index, and
/// 4 KiB (two or three papers) 3.5% more for 5% more (BENCHMARKS.md). Readers take any size.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// Keys under which a written paper can be met again (hashes tagged by kind): its id, its
/// title key, and its title key among papers without a native id.
/// `title_hash` is `paper.title_hash()`.
pub fn lookup_keys(paper: &Paper, title_hash: u64) -> impl Iterator<Item = (u8, u64)> {
    let title_id = paper
        .has_title_id()
        .then_some((KEY_TITLE_OF_TITLE_ID, title_hash));
    [(KEY_ID, id_hash(&paper.id)), (KEY_TITLE, title_hash)]
        .into_iter()
        .chain(title_id)
}

/// The keys an incoming paper can match written ones under (see `Paper::same_paper`): the
/// same id, or the same title when either side has no native id. Two native ids with the
/// same title never merge, so they need not see each other. `title_hash` is
/// `paper.title_hash()`.
pub fn probe_keys(paper: &Paper, title_hash: u64) -> [(u8, u64); 2] {
    let (id, title) = (id_hash(&paper.id), title_hash);
    let kind = if paper.has_title_id() {
        KEY_TITLE
    } else {
        KEY_TITLE_OF_TITLE_ID
    };
    [(KEY_ID, id), (kind, title)]
}

const KEY_ID: u8 = 0;
const KEY_TITLE: u8 = 1;
const KEY_TITLE_OF_TITLE_ID: u8 = 2;

/// 64 bits for an id, where a rare collision costs nothing but a count: a run keeps one per
/// paper written (8 bytes, against ~45 for the id itself in a set: 35 MB at a million).
pub fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// Size of one indexed field's postings. `terms` adds up each segment's dictionary (a term
/// in two segments counts twice): what indexing and merging work through.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldStats {
    pub name: String,
    pub terms: u64,
    pub tokens: u64,
}

/// What an upsert did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Folded into a paper written earlier in the same run.
    pub merged: usize,
}

/// Deduplicates one batch in input order: the same paper (per `Paper::same_paper`) becomes one
/// record. Returns the papers, each with its `Paper::title_hash` (the costliest key to build,
/// which the probe for pending papers, the index lookup and the document all need again), and
/// how many records were folded into another. A merge keeps the hash: it only takes a title
/// with the same key.
pub fn dedup(papers: impl IntoIterator<Item = Paper>) -> (Vec<(Paper, u64)>, usize) {
    let papers = papers.into_iter();
    // Presized: a batch is thousands of papers, and growing by doubling faulted in fresh pages.
    let n = papers.size_hint().0;
    let mut out: Vec<(Paper, u64)> = Vec::with_capacity(n);
    let mut by_id: FxHashMap<String, usize> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    // By title hash: `same_paper` compares the title keys themselves, so a collision merges
    // nothing.
    let mut by_title: FxHashMap<u64, Vec<usize>> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    let mut merged = 0;
    for paper in papers {
        let title_hash = paper.title_hash();
        let target = by_id.get(&paper.id).copied().or_else(|| {
            by_title
                .get(&title_hash)
                .and_then(|idx| idx.iter().copied().find(|&i| out[i].0.same_paper(&paper)))
        });
        match target {
            Some(i) => {
                let kept = &mut out[i].0;
                let old_id = kept.id.clone();
                kept.merge(paper);
                if kept.id != old_id {
                    by_id.remove(&old_id);
                    by_id.insert(kept.id.clone(), i);
                }
                merged += 1;
            }
            None => {
                by_id.insert(paper.id.clone(), out.len());
                by_title.entry(title_hash).or_default().push(out.len());
                out.push((paper, title_hash));
            }
        }
    }
    (out, merged)
}

pub fn days_since_epoch(date: Date) -> i64 {
    (date - Date::from_calendar_date(1970, time::Month::January, 1).expect("valid")).whole_days()
}

pub fn date_from_days(days: i64) -> Option<Date> {
    let epoch = Date::from_calendar_date(1970, time::Month::January, 1).expect("valid");
    epoch.checked_add(time::Duration::days(days))
}

pub fn date_facet(date: Date) -> Facet {
    Facet::from_path([
        format!("{:04}", date.year()),
        format!("{:02}", date.month() as u8),
        format!("{:02}", date.day()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_returns_each_kept_paper_with_its_title_hash_after_merges() {
        let titled = Paper::new("Sparse attention".into(), "a".into(), None);
        let native = Paper::new(
            "Sparse Attention, revisited".into(),
            "b".into(),
            Some("2502.00001".into()),
        );
        // Same title key as `titled`, longer title and a native id: the merge takes both.
        let longer = Paper::new(
            "Sparse  Attention!".into(),
            "c".into(),
            Some("2502.00002".into()),
        );
        let (kept, merged) = dedup([titled, native, longer]);
        assert_eq!(merged, 1);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].0.id, "2502.00002");
        assert_eq!(kept[0].0.title, "Sparse  Attention!");
        for (paper, title_hash) in &kept {
            assert_eq!(*title_hash, paper.title_hash(), "{}", paper.title);
        }
    }
}

thread_local! {
    static ON_CALLER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While the guard lives, searches on this thread run on it alone, not on the shared search
/// threads: a costly search out of time may still be finishing a segment, and there it would
/// queue every other search's segments behind its own.
pub(crate) fn on_caller_thread(yes: bool) -> impl Drop {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ON_CALLER.set(self.0);
        }
    }
    let before = ON_CALLER.replace(yes || ON_CALLER.get());
    Restore(before)
}
