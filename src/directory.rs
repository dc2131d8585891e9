//! The index directory: tantivy's `MmapDirectory`, plus releasing the segment pages an
//! indexing run has mapped, so that its memory budget holds for its resident set.
//!
//! tantivy reads segments through shared read-only mappings. A merge reads its source
//! segments whole, and every page it touches stays in the process's resident set until the
//! segment is dropped: at a million papers, 0.8 GB of page cache counted as the indexer's
//! memory. Those pages are clean copies of files, so dropping them from the mapping
//! (`MADV_DONTNEED`) loses nothing: they stay in the page cache and the next read maps them
//! again.
//!
//! It also remembers the first write that failed: tantivy's indexing threads drop their
//! io::Error and the writer only says it "was killed", so the run's error names the cause
//! (No space left on device, File too large) from here.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    AntiCallToken, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};
use tantivy::Directory;

/// `MmapDirectory` that remembers the files it opened, to release their mapped pages, and
/// the first write that failed.
#[derive(Clone)]
pub struct PaperDirectory {
    inner: MmapDirectory,
    opened: Arc<Mutex<Vec<Weak<dyn FileHandle>>>>,
    failed: Arc<Mutex<Option<WriteFailure>>>,
}

/// A write into the index directory that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// The file, relative to the index directory.
    pub path: PathBuf,
    pub kind: io::ErrorKind,
    /// The operating system's words ("No space left on device (os error 28)").
    pub cause: String,
}

impl fmt::Debug for PaperDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaperDirectory({:?})", self.inner)
    }
}

impl PaperDirectory {
    pub fn open(dir: &Path) -> Result<PaperDirectory, OpenDirectoryError> {
        Ok(PaperDirectory {
            inner: MmapDirectory::open(dir)?,
            opened: Arc::default(),
            failed: Arc::default(),
        })
    }

    /// The first write that failed since the last call, forgetting it.
    pub fn take_write_failure(&self) -> Option<WriteFailure> {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn record<T>(&self, path: &Path, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            record(&self.failed, path, e);
        }
        result
    }

    /// Drops this process's mapping of the pages of every file still open (a no-op outside
    /// Linux). Readers see the same bytes: the next access maps them again from the page
    /// cache. Returns how many bytes of mappings it went over.
    pub fn release_mapped_pages(&self) -> usize {
        let handles: Vec<Arc<dyn FileHandle>> = {
            let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
            opened.retain(|h| h.strong_count() > 0);
            opened.iter().filter_map(Weak::upgrade).collect()
        };
        handles.iter().map(|h| release(&**h)).sum()
    }
}

/// Keeps the first failure: later ones are consequences (a writer killed, a merge cut short).
fn record(failed: &Mutex<Option<WriteFailure>>, path: &Path, error: &io::Error) {
    let mut failed = failed.lock().unwrap_or_else(PoisonError::into_inner);
    if failed.is_none() {
        *failed = Some(WriteFailure {
            path: path.to_path_buf(),
            kind: error.kind(),
            cause: os_words(error),
        });
    }
}

/// The operating system's words for an error ("No space left on device (os error 28)"),
/// found under the wrappers tantivy and tempfile put around it (tempfile's hides the error
/// from `source()`: then its kind gives the code back for the usual write failures).
fn os_words(error: &io::Error) -> String {
    let mut err: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = err {
        let io = e.downcast_ref::<io::Error>();
        if let Some(code) = io.and_then(io::Error::raw_os_error) {
            return io::Error::from_raw_os_error(code).to_string();
        }
        // A custom io::Error's source() skips its own payload: look at the payload first.
        err = match io.and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    #[cfg(unix)]
    {
        let code = match error.kind() {
            io::ErrorKind::StorageFull => Some(libc::ENOSPC),
            io::ErrorKind::FileTooLarge => Some(libc::EFBIG),
            io::ErrorKind::QuotaExceeded => Some(libc::EDQUOT),
            io::ErrorKind::ReadOnlyFilesystem => Some(libc::EROFS),
            io::ErrorKind::PermissionDenied => Some(libc::EACCES),
            _ => None,
        };
        if let Some(code) = code {
            return io::Error::from_raw_os_error(code).to_string();
        }
    }
    error.to_string()
}

/// A file being written: records its first failing write, flush or close.
struct RecordingWrite {
    inner: Box<dyn TerminatingWrite + Send + Sync>,
    path: PathBuf,
    failed: Arc<Mutex<Option<WriteFailure>>>,
}

impl RecordingWrite {
    fn record<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result {
            record(&self.failed, &self.path, e);
        }
        result
    }
}

impl Write for RecordingWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.record(result)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let result = self.inner.write_all(buf);
        self.record(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.record(result)
    }
}

impl TerminatingWrite for RecordingWrite {
    fn terminate_ref(&mut self, token: AntiCallToken) -> io::Result<()> {
        let result = self.inner.terminate_ref(token);
        self.record(result)
    }
}

#[cfg(target_os = "linux")]
fn release(handle: &dyn FileHandle) -> usize {
    // Zero-copy for mapped files: the bytes borrow the mapping and keep it alive meanwhile.
    let Ok(bytes) = handle.read_bytes(0..handle.len()) else {
        return 0;
    };
    let (ptr, len) = (bytes.as_slice().as_ptr(), bytes.len());
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
    // A mapping starts on a page; anything else (an empty file's static bytes) is not one.
    if len == 0 || !(ptr as usize).is_multiple_of(page) {
        return 0;
    }
    // SAFETY: [ptr, ptr + len) is a live read-only shared mapping of a file, held by `bytes`
    // (`MmapDirectory` hands out mappings, or empty bytes for empty files, never heap copies).
    // MADV_DONTNEED on such a mapping only unmaps its pages: later reads fault the file's
    // contents back in, so every reader keeps seeing the same bytes.
    let ok = unsafe { libc::madvise(ptr as *mut libc::c_void, len, libc::MADV_DONTNEED) } == 0;
    if ok {
        len
    } else {
        0
    }
}

#[cfg(not(target_os = "linux"))]
fn release(_handle: &dyn FileHandle) -> usize {
    0
}

impl Directory for PaperDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let handle = self.inner.get_file_handle(path)?;
        let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
        // Before growing, forget closed files: a server reopens segments at every reload.
        if opened.len() == opened.capacity() {
            opened.retain(|h| h.strong_count() > 0);
        }
        opened.push(Arc::downgrade(&handle));
        Ok(handle)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let file = self.inner.open_write(path).inspect_err(|e| {
            if let OpenWriteError::IoError { io_error, .. } = e {
                record(&self.failed, path, io_error);
            }
        })?;
        // Nothing is written yet: the buffer is empty and unwrapping it loses nothing.
        let inner = file
            .into_inner()
            .map_err(|e| OpenWriteError::wrap_io_error(e.into_error(), path.to_path_buf()))?;
        Ok(io::BufWriter::new(Box::new(RecordingWrite {
            inner,
            path: path.to_path_buf(),
            failed: self.failed.clone(),
        })))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let result = self.inner.atomic_write(path, data);
        self.record(path, result)
    }

    fn sync_directory(&self) -> io::Result<()> {
        let result = self.inner.sync_directory();
        self.record(Path::new("."), result)
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Write;

    use super::*;

    /// Resident kB of the mapping that holds `addr`, from /proc/self/smaps.
    fn resident_kb(addr: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((start, end)) = first.split_once('-') {
                if let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                ) {
                    inside = (start..end).contains(&addr);
                    continue;
                }
            }
            if inside {
                if let Some(kb) = line.strip_prefix("Rss:") {
                    return kb.trim().trim_end_matches("kB").trim().parse().unwrap();
                }
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    #[test]
    fn a_failed_write_is_named_in_the_systems_words() {
        // tempfile's wrapper adds the temporary file's name and hides the error from source().
        #[derive(Debug)]
        struct PathError(io::Error);
        impl fmt::Display for PathError {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} at path \"/i/.tmpX\"", self.0)
            }
        }
        impl std::error::Error for PathError {}
        let full = io::Error::from_raw_os_error(libc::ENOSPC);
        let hidden = io::Error::new(full.kind(), PathError(full));
        assert_eq!(os_words(&hidden), "No space left on device (os error 28)");
        let wrapped = io::Error::other(io::Error::from_raw_os_error(libc::EFBIG));
        assert_eq!(os_words(&wrapped), "File too large (os error 27)");

        let failed = Mutex::new(None);
        record(&failed, Path::new("a.idx"), &wrapped);
        record(&failed, Path::new("meta.json"), &hidden);
        let first = failed.into_inner().unwrap().unwrap();
        assert_eq!(first.path, Path::new("a.idx"), "the first failure is kept");
    }

    #[test]
    fn released_pages_leave_the_mapping_and_read_back_the_same() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = PaperDirectory::open(tmp.path()).unwrap();
        let path = Path::new("segment.idx");
        let data: Vec<u8> = (0..4u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = dir.open_write(path).unwrap();
        w.write_all(&data).unwrap();
        tantivy::directory::TerminatingWrite::terminate(w).unwrap();

        let handle = dir.get_file_handle(path).unwrap();
        let bytes = handle.read_bytes(0..handle.len()).unwrap();
        assert_eq!(bytes.as_slice(), &data[..]);
        let addr = bytes.as_slice().as_ptr() as usize;
        let before = resident_kb(addr);
        assert!(before >= 4 << 10, "read pages are mapped: {before} kB");

        assert_eq!(dir.release_mapped_pages(), data.len());
        let after = resident_kb(addr);
        assert!(after < 64, "released pages left the mapping: {after} kB");
        assert_eq!(bytes.as_slice(), &data[..], "same bytes after the release");

        // A closed file is forgotten, not released.
        drop((bytes, handle));
        assert_eq!(dir.release_mapped_pages(), 0);
    }
}
