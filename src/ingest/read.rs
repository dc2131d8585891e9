//! Reading inputs: files, directories, `.gz`, stdin and in-memory samples, decoded to text
//! with invalid UTF-8 reported per line instead of failing the whole file.

use std::io::Read;
use std::path::{Path, PathBuf};

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

/// Reads and decodes one input.
pub fn read(input: &Input) -> Result<TextFile> {
    let (name, display, raw) = match input {
        Input::Path(path) => {
            let raw = std::fs::read(path)
                .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, path.display().to_string(), raw)
        }
        Input::Stdin => {
            let mut raw = Vec::new();
            std::io::stdin()
                .read_to_end(&mut raw)
                .map_err(|e| Error::io("<stdin>", e))?;
            ("<stdin>".to_string(), "<stdin>".to_string(), raw)
        }
        Input::Bytes { name, bytes } => (name.clone(), name.clone(), bytes.to_vec()),
    };
    let bytes = raw.len();
    let raw = if name.ends_with(".gz") {
        let mut out = Vec::new();
        MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::BadInput(format!("{display}: not a valid gzip file: {e}")))?;
        out
    } else {
        raw
    };
    let (text, skipped) = decode(&name, raw);
    let name = name.strip_suffix(".gz").unwrap_or(&name).to_string();
    Ok(TextFile {
        name,
        display,
        text,
        skipped,
        bytes,
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
