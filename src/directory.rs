//! The index directory: tantivy's `MmapDirectory`, plus releasing the segment pages an
//! indexing run has mapped, so that its memory budget holds for its resident set.
//!
//! tantivy reads segments through shared read-only mappings. A merge reads its source
//! segments whole, and every page it touches stays in the process's resident set until the
//! segment is dropped: at a million papers, 0.8 GB of page cache counted as the indexer's
//! memory. Those pages are clean copies of files, so dropping them from the mapping
//! (`MADV_DONTNEED`) loses nothing: they stay in the page cache and the next read maps them
//! again.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::Directory;

/// `MmapDirectory` that remembers the files it opened, to release their mapped pages.
#[derive(Clone)]
pub struct PaperDirectory {
    inner: MmapDirectory,
    opened: Arc<Mutex<Vec<Weak<dyn FileHandle>>>>,
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
        })
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
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
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
