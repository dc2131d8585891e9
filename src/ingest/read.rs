//! Reading inputs: files, directories, `.gz`, stdin and in-memory samples, decoded to text
//! with invalid UTF-8 reported per line instead of failing the whole file.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

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
const EXTENSIONS: [&str; 6] = ["txt", "html", "htm", "jsonl", "json", "gz"];

/// Expands directories (recursively, sorted, skipping hidden entries) into files.
pub fn expand(inputs: &[Input]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for input in inputs {
        match input {
            Input::Path(p) if p.is_dir() => walk(p, &mut out)?,
            Input::Path(p) if !p.exists() => {
                return Err(Error::BadInput(format!(
                    "{}: no such file or directory",
                    p.display()
                )))
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Input>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e))
        {
            out.push(Input::Path(path));
        }
    }
    Ok(())
}

/// Longest line a line-based file may have; a record over it is skipped without being held
/// in memory (real arXiv records are a few KiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

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
    reader: Box<dyn BufRead + Send>,
    consumed: Arc<AtomicU64>,
    next_line: u64,
    head: Option<String>,
    /// The buffer of a batch done with, to fill again (`recycle`).
    spare: Option<String>,
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
    let consumed = Arc::new(AtomicU64::new(0));
    let (name, display, size, raw): (String, String, Option<u64>, Box<dyn Read + Send>) =
        match input {
            Input::Path(path) => {
                let file = std::fs::File::open(path)
                    .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
                let size = file.metadata().ok().map(|m| m.len());
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, path.display().to_string(), size, Box::new(file))
            }
            Input::Stdin => (
                "<stdin>".into(),
                "<stdin>".into(),
                None,
                Box::new(std::io::stdin()),
            ),
            Input::Bytes { name, bytes } => (
                name.clone(),
                name.clone(),
                Some(bytes.len() as u64),
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

    /// The whole remaining text, with invalid UTF-8 reported per line.
    pub fn read_all(&mut self) -> Result<(String, Vec<Skip>)> {
        let mut raw = Vec::new();
        self.reader
            .read_to_end(&mut raw)
            .map_err(|e| self.io_error(e))?;
        Ok(decode(&self.name, raw))
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
    let (text, skipped) = source.read_all()?;
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
