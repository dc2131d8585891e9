//! Reading inputs: files, directories, `.gz`, stdin and in-memory samples, decoded to text
//! with invalid UTF-8 reported per line instead of failing the whole file.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use rustc_hash::FxHashSet;

use super::Skip;
use crate::error::{Error, Result};

/// One thing to index.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Stdin,
    /// An in-memory file (the bundled samples).
    Bytes {
        name: String,
        bytes: &'static [u8],
    },
}

/// One decoded file.
#[derive(Debug)]
pub struct TextFile {
    /// File name without directories, as recorded in sources.
    pub name: String,
    /// Path for messages.
    pub display: String,
    pub text: String,
    pub skipped: Vec<Skip>,
    pub bytes: usize,
}

/// File extensions picked up when a directory is given.
const EXTENSIONS: [&str; 8] = ["txt", "html", "htm", "jsonl", "json", "gz", "bib", "bibtex"];

/// The files to read, and the paths a directory walk could not use.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<Input>,
    pub skipped: Vec<Skip>,
}

/// Expands directories (recursively, sorted, skipping hidden entries) into files, as ripgrep
/// walks: symbolic links to directories are followed only with `follow` (loops are then
/// reported, not walked), each file is listed once however many links reach it, and a walk
/// reads only regular files. A path given by itself is read whatever it is (a pipe, a
/// device); one that does not exist is an error, any other bad path a skip.
pub fn expand(inputs: &[Input], follow: bool) -> Result<Expanded> {
    let mut out = Expanded::default();
    let mut seen = FxHashSet::default();
    for input in inputs {
        let Input::Path(path) = input else {
            out.files.push(input.clone());
            continue;
        };
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, follow, &mut seen, &mut out),
            Ok(meta) => {
                if !meta.is_file() || file_key(&meta).is_none_or(|key| seen.insert(key)) {
                    out.files.push(input.clone());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::BadInput(format!(
                    "{}: no such file or directory",
                    path.display()
                )))
            }
            Err(e) => out
                .skipped
                .push(path_skip(path, format!("cannot read: {e}"))),
        }
    }
    Ok(out)
}

fn walk(root: &Path, follow: bool, seen: &mut FxHashSet<(u64, u64)>, out: &mut Expanded) {
    let entries = walkdir::WalkDir::new(root)
        .follow_links(follow)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.skipped.push(walk_error(root, e));
                continue;
            }
        };
        let path = entry.path();
        let picked = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e));
        if entry.file_type().is_dir() || !picked {
            continue;
        }
        // Without --follow the entry of a link is the link itself: what it points to decides.
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.skipped.push(path_skip(
                    path,
                    "symbolic link to nothing (dangling)".into(),
                ));
                continue;
            }
            Err(e) => {
                out.skipped
                    .push(path_skip(path, format!("cannot read: {e}")));
                continue;
            }
        };
        if meta.is_dir() {
            continue; // a link to a directory, not followed without --follow
        }
        if !meta.is_file() {
            // A FIFO would block the run (with the index locked) until something writes it.
            out.skipped.push(path_skip(
                path,
                "not a regular file (a FIFO, socket or device); a walk reads only files, name it on its own to read it".into(),
            ));
            continue;
        }
        if file_key(&meta).is_none_or(|key| seen.insert(key)) {
            out.files.push(Input::Path(path.to_path_buf()));
        }
    }
}

fn walk_error(root: &Path, e: walkdir::Error) -> Skip {
    let path = e.path().unwrap_or(root);
    let reason = match (e.loop_ancestor(), e.io_error()) {
        (Some(ancestor), _) => format!(
            "symbolic link loop back to {}, not walked again",
            ancestor.display()
        ),
        (None, Some(io)) => format!("cannot read: {io}"),
        (None, None) => e.to_string(),
    };
    path_skip(path, reason)
}

/// A skip for a whole file, reported on its first line.
fn path_skip(path: &Path, reason: String) -> Skip {
    Skip {
        file: path.display().to_string(),
        line: 1,
        reason,
    }
}

/// The identity of a file, so a file reached through links is read once.
#[cfg(unix)]
fn file_key(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_key(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Size on disk without opening the input, for the progress bar's total.
pub fn size_on_disk(input: &Input) -> Option<u64> {
    match input {
        Input::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        Input::Stdin => None,
        Input::Bytes { bytes, .. } => Some(bytes.len() as u64),
    }
}

/// Longest line a line-based file may have; a record over it is skipped without being held
/// in memory (real arXiv records are a few KiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Largest whole page (newsletter, cards, digest, daily), decoded. Real pages are 10 to
/// 130 KB, so 32 MiB is a wide margin; a page is read and parsed in memory at once, and
/// without a cap a small `.gz` expanding to gigabytes (or `/dev/zero`) took all memory.
pub const MAX_PAGE_BYTES: usize = 32 << 20;

/// How much of a file `sniff` sees.
const HEAD_BYTES: usize = 64 * 1024;

/// Counts raw bytes as they are read (before decompression), for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An opened input, read through a buffer.
pub struct Source {
    /// File name without directories or `.gz`, as recorded in sources and skips.
    pub name: String,
    /// Path for messages.
    pub display: String,
    /// Raw size on disk, when known.
    pub size: Option<u64>,
    /// A regular file or bundled bytes: can be closed and opened again from the start.
    reopenable: bool,
    reader: Box<dyn BufRead + Send>,
    consumed: Arc<AtomicU64>,
    next_line: u64,
    head: Option<String>,
    /// The buffer of a batch done with, to fill again (`recycle`).
    spare: Option<String>,
}

/// A whole-page file as read.
#[derive(Debug)]
pub enum Page {
    /// The text, with its lines that are not UTF-8 blanked and reported.
    Text { text: String, skipped: Vec<Skip> },
    /// Over `MAX_PAGE_BYTES`: the skip that says so; the rest of the file is not read.
    TooLarge(Skip),
}

/// An input whose format is known, waiting for its turn. A regular file is closed until
/// then, so any number of files fits within the open-file limit and the memory budget;
/// stdin, a pipe or a device stays open from sniffing, since what it gave cannot be read
/// again.
pub enum Pending {
    Closed(Input),
    Open(Source),
}

impl Pending {
    pub fn open(self) -> std::result::Result<Source, Skip> {
        match self {
            Pending::Closed(input) => try_open(&input),
            Pending::Open(source) => Ok(source),
        }
    }
}

/// A run of whole lines of a line-based file.
#[derive(Debug)]
pub struct Batch {
    /// Line number of the first line of `text`.
    pub first_line: u64,
    /// The lines, each ending in `\n`; unreadable lines are left empty so numbers stay true.
    pub text: String,
    pub lines: usize,
    pub skipped: Vec<Skip>,
}

/// Opens one input for reading.
pub fn open(input: &Input) -> Result<Source> {
    try_open(input).map_err(|skip| Error::BadInput(skip.to_string()))
}

/// Opens one input for reading; one that cannot be opened (permissions, removed since the
/// walk) is a skip with the reason.
pub fn try_open(input: &Input) -> std::result::Result<Source, Skip> {
    let consumed = Arc::new(AtomicU64::new(0));
    let (name, display, size, reopenable, raw): (
        String,
        String,
        Option<u64>,
        bool,
        Box<dyn Read + Send>,
    ) = match input {
        Input::Path(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| path_skip(path, format!("cannot open: {e}")))?;
            let meta = file.metadata().ok();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                name,
                path.display().to_string(),
                meta.as_ref().map(|m| m.len()),
                meta.is_some_and(|m| m.is_file()),
                Box::new(file),
            )
        }
        Input::Stdin => (
            "<stdin>".into(),
            "<stdin>".into(),
            None,
            false,
            Box::new(std::io::stdin()),
        ),
        Input::Bytes { name, bytes } => (
            name.clone(),
            name.clone(),
            Some(bytes.len() as u64),
            true,
            Box::new(*bytes),
        ),
    };
    let counted = Counting {
        inner: raw,
        count: consumed.clone(),
    };
    let reader: Box<dyn BufRead + Send> = if name.ends_with(".gz") {
        Box::new(BufReader::with_capacity(
            256 << 10,
            MultiGzDecoder::new(BufReader::new(counted)),
        ))
    } else {
        Box::new(BufReader::with_capacity(256 << 10, counted))
    };
    let name = name.strip_suffix(".gz").unwrap_or(&name).to_string();
    Ok(Source {
        name,
        display,
        size,
        reopenable,
        reader,
        consumed,
        next_line: 1,
        head: None,
        spare: None,
    })
}

impl Source {
    fn io_error(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::InvalidInput
            || e.kind() == std::io::ErrorKind::InvalidData
        {
            Error::BadInput(format!("{}: cannot decompress: {e}", self.display))
        } else {
            Error::BadInput(format!("{}: read error: {e}", self.display))
        }
    }

    /// The first 64 KiB (lossily decoded), for sniffing. Reading continues from the start.
    pub fn head(&mut self) -> Result<&str> {
        if self.head.is_none() {
            let mut head = Vec::with_capacity(HEAD_BYTES);
            (&mut self.reader)
                .take(HEAD_BYTES as u64)
                .read_to_end(&mut head)
                .map_err(|e| self.io_error(e))?;
            let text = String::from_utf8_lossy(&head).into_owned();
            let rest = std::mem::replace(&mut self.reader, Box::new(std::io::empty()));
            self.reader = Box::new(BufReader::with_capacity(
                256 << 10,
                std::io::Cursor::new(head).chain(rest),
            ));
            self.head = Some(text);
        }
        Ok(self.head.as_deref().unwrap_or_default())
    }

    /// Raw bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    /// Whether the input can be closed now and opened again when its turn comes: regular
    /// files can, stdin, pipes and devices cannot (what was read is gone).
    pub fn reopenable(&self) -> bool {
        self.reopenable
    }

    /// The whole remaining text, with invalid UTF-8 reported per line, unless it is over
    /// `MAX_PAGE_BYTES` decoded: reading then stops at the buffer that passes it.
    pub fn read_all(&mut self) -> Result<Page> {
        // Grown by hand, doubling up to the cap: `read_to_end` doubles a full buffer before it
        // sees the end, so a page near the cap took twice the cap.
        let mut raw =
            Vec::with_capacity(self.size.map_or(0, |s| s.min(MAX_PAGE_BYTES as u64)) as usize);
        let too_large = loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(e)),
            };
            if buf.is_empty() {
                break false;
            }
            let n = buf.len();
            if raw.len() + n > MAX_PAGE_BYTES {
                break true;
            }
            if raw.len() + n > raw.capacity() {
                let grown = (raw.capacity() * 2).clamp(raw.len() + n, MAX_PAGE_BYTES);
                raw.reserve_exact(grown - raw.len());
            }
            raw.extend_from_slice(buf);
            self.reader.consume(n);
        };
        if too_large {
            return Ok(Page::TooLarge(path_skip(
                Path::new(&self.display),
                format!(
                    "larger than {} MiB, no real page is; split it into pages, or check it is the file meant",
                    MAX_PAGE_BYTES >> 20
                ),
            )));
        }
        let (text, skipped) = decode(&self.name, raw);
        Ok(Page::Text { text, skipped })
    }

    /// The next lines, up to `max_lines` lines or about `max_bytes` bytes; None at the end.
    pub fn next_batch(&mut self, max_lines: usize, max_bytes: usize) -> Result<Option<Batch>> {
        let mut batch = Batch {
            first_line: self.next_line,
            text: self.spare.take().unwrap_or_default(),
            lines: 0,
            skipped: Vec::new(),
        };
        let mut line = Vec::new();
        while batch.lines < max_lines && batch.text.len() < max_bytes {
            let (read, overlong) = read_line_capped(&mut self.reader, &mut line, MAX_LINE_BYTES)
                .map_err(|e| self.io_error(e))?;
            if read == 0 {
                break;
            }
            let number = self.next_line;
            self.next_line += 1;
            batch.lines += 1;
            let skip = |reason: String| Skip {
                file: self.name.clone(),
                line: number,
                reason,
            };
            if overlong {
                batch.skipped.push(skip(format!(
                    "line is {read} bytes, over the {MAX_LINE_BYTES}-byte limit"
                )));
            } else {
                while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                    line.pop();
                }
                match std::str::from_utf8(&line) {
                    Ok(s) => batch.text.push_str(s),
                    Err(e) => batch.skipped.push(skip(format!(
                        "invalid UTF-8 at byte {} of the line",
                        e.valid_up_to()
                    ))),
                }
            }
            batch.text.push('\n');
        }
        Ok((batch.lines > 0).then_some(batch))
    }

    /// Takes back a batch's text buffer for the next batch to fill: a fresh buffer grew by
    /// doubling, copying each batch about twice, and faulted in new kernel-zeroed pages.
    pub fn recycle(&mut self, batch: Batch) {
        let mut text = batch.text;
        text.clear();
        self.spare = Some(text);
    }
}

/// Reads one line into `out` unless it is longer than `max` bytes, in which case it is
/// consumed without being kept. Returns the bytes consumed and whether it was too long.
pub(crate) fn read_line_capped(
    r: &mut dyn BufRead,
    out: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    out.clear();
    let (mut total, mut overlong) = (0, false);
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let (len, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !overlong {
            if out.len() + len > max {
                overlong = true;
                out.clear();
            } else {
                out.extend_from_slice(&buf[..len]);
            }
        }
        total += len;
        r.consume(len);
        if done {
            break;
        }
    }
    Ok((total, overlong))
}

/// Reads and decodes one whole input.
pub fn read(input: &Input) -> Result<TextFile> {
    let mut source = open(input)?;
    let (text, skipped) = match source.read_all()? {
        Page::Text { text, skipped } => (text, skipped),
        Page::TooLarge(skip) => return Err(Error::BadInput(skip.to_string())),
    };
    Ok(TextFile {
        name: source.name.clone(),
        display: source.display.clone(),
        text,
        skipped,
        bytes: source.bytes_read() as usize,
    })
}

/// UTF-8 decoding that blanks (and reports) only the lines that are not valid UTF-8, so line
/// numbers stay true and the rest of the file is kept.
pub fn decode(name: &str, raw: Vec<u8>) -> (String, Vec<Skip>) {
    let raw = match String::from_utf8(raw) {
        Ok(text) => return (text, Vec::new()),
        Err(e) => e.into_bytes(),
    };
    let mut text = String::with_capacity(raw.len());
    let mut skipped = Vec::new();
    for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(e) => skipped.push(Skip {
                file: name.to_string(),
                line: i as u64 + 1,
                reason: format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
            }),
        }
    }
    (text, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(b: &[u8]) -> Input {
        Input::Bytes {
            name: "f.jsonl".into(),
            bytes: Box::leak(b.to_vec().into_boxed_slice()),
        }
    }

    #[test]
    fn batches_keep_line_numbers_and_report_bad_lines() {
        let mut long = vec![b'x'; MAX_LINE_BYTES + 10];
        long.push(b'\n');
        let mut data = b"one\r\ntwo\n\xff\xfe\n".to_vec();
        data.extend_from_slice(&long);
        data.extend_from_slice(b"five");
        let mut src = open(&bytes(&data)).unwrap();
        assert!(src.head().unwrap().starts_with("one"));
        let b1 = src.next_batch(2, usize::MAX).unwrap().unwrap();
        assert_eq!(
            (b1.first_line, b1.text.as_str(), b1.lines),
            (1, "one\ntwo\n", 2)
        );
        let b2 = src.next_batch(100, usize::MAX).unwrap().unwrap();
        assert_eq!(b2.first_line, 3);
        assert_eq!(b2.text, "\n\nfive\n");
        let reasons: Vec<String> = b2.skipped.iter().map(|s| s.to_string()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].starts_with("f.jsonl:3: invalid UTF-8"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("f.jsonl:4: line is 1048587 bytes"),
            "{reasons:?}"
        );
        assert!(src.next_batch(100, usize::MAX).unwrap().is_none());
        assert_eq!(src.bytes_read(), data.len() as u64);
    }

    #[test]
    fn a_broken_gzip_file_is_a_clear_error() {
        let input = Input::Bytes {
            name: "x.jsonl.gz".into(),
            bytes: b"\x1f\x8bnot really gzip",
        };
        let err = read(&input).unwrap_err().to_string();
        assert!(err.contains("x.jsonl.gz"), "{err}");
    }

    #[test]
    fn a_page_of_the_cap_is_read_and_one_byte_more_is_a_skip() {
        let page: &'static [u8] = Box::leak(vec![b'a'; MAX_PAGE_BYTES + 1].into_boxed_slice());
        let read = |bytes| {
            open(&Input::Bytes {
                name: "p.txt".into(),
                bytes,
            })
            .unwrap()
            .read_all()
            .unwrap()
        };
        assert!(
            matches!(read(&page[..MAX_PAGE_BYTES]), Page::Text { text, .. } if text.len() == MAX_PAGE_BYTES)
        );
        let Page::TooLarge(skip) = read(page) else {
            panic!("a page over the cap was read")
        };
        assert!(
            skip.to_string().starts_with("p.txt:1: larger than 32 MiB"),
            "{skip}"
        );
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_a_skip_naming_it() {
        let path = std::env::temp_dir().join("paperdex-no-such-dir/gone.jsonl");
        let Err(skip) = try_open(&Input::Path(path.clone())) else {
            panic!("opened a missing file")
        };
        let text = skip.to_string();
        assert!(
            text.starts_with(&format!("{}:1: cannot open: ", path.display())),
            "{text}"
        );
    }

    #[test]
    fn invalid_utf8_lines_are_reported_and_blanked() {
        let (text, skipped) = decode("f.jsonl", b"ok 1\nbad \xff\xfe\nok 3".to_vec());
        assert_eq!(text, "ok 1\n\nok 3");
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            skipped[0].to_string(),
            "f.jsonl:2: invalid UTF-8 at byte 4 of the line"
        );
    }

    #[test]
    fn gzip_inputs_are_decompressed() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n").unwrap();
        let bytes: &'static [u8] = Box::leak(gz.finish().unwrap().into_boxed_slice());
        let file = read(&Input::Bytes {
            name: "x.jsonl.gz".into(),
            bytes,
        })
        .unwrap();
        assert_eq!(file.text, "{\"a\":1}\n");
        assert_eq!(file.name, "x.jsonl");
    }
}
