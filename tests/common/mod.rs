//! Shared helpers for the CLI integration tests.
//!
//! Every `Sandbox` owns a temporary HOME (also used as XDG_DATA_HOME) and a temporary index
//! directory, and every command it builds has `PAPERDEX_INDEX` removed, so a test can never
//! read or write the user's real index.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// The bundled fixtures folder.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus-samples")
}

/// One bundled fixture by file name.
pub fn sample(name: &str) -> PathBuf {
    let path = samples_dir().join(name);
    assert!(path.is_file(), "missing fixture {}", path.display());
    path
}

/// The five seed `.txt` files (000..004), sorted by name.
pub fn seed_files() -> Vec<PathBuf> {
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("corpus-samples/ is readable")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    seeds.sort();
    assert_eq!(seeds.len(), 5, "expected five seed files, got {seeds:?}");
    seeds
}

/// The seeds plus the three JSONL samples (arXiv snapshot, arXiv listings, SciFact).
pub fn all_sample_files() -> Vec<PathBuf> {
    let mut files = seed_files();
    for name in [
        "arxiv-snapshot-sample.jsonl",
        "arxiv-listings-sample.jsonl",
        "scifact-corpus-sample.jsonl",
    ] {
        files.push(sample(name));
    }
    files
}

/// A `paperdex` command whose environment cannot reach the user's real index.
pub fn isolated_cmd(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("paperdex").expect("paperdex binary is built");
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("PAPERDEX_INDEX")
        .env_remove("PAPERDEX_SCHEMA")
        .env("NO_COLOR", "1")
        .current_dir(home);
    cmd
}

/// Parses a command's stdout as JSON, with the output in the panic message if it is not.
pub fn parse_json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    })
}

/// A temporary HOME and a temporary index directory.
pub struct Sandbox {
    pub home: TempDir,
    pub index: TempDir,
}

impl Sandbox {
    /// An empty sandbox: no index has been built in `index` yet.
    pub fn new() -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().expect("temp HOME"),
            index: tempfile::tempdir().expect("temp index dir"),
        }
    }

    /// A sandbox whose index holds the five seeds.
    pub fn with_seeds() -> Sandbox {
        let sb = Sandbox::new();
        sb.index_files(&seed_files());
        sb
    }

    /// A sandbox whose index holds every bundled sample.
    pub fn with_all_samples() -> Sandbox {
        let sb = Sandbox::new();
        sb.index_files(&all_sample_files());
        sb
    }

    /// `paperdex stdio` over this sandbox's index, its stdin and stdout piped.
    #[allow(dead_code)]
    pub fn spawn_stdio(&self) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
            .env("HOME", self.home.path())
            .env_remove("PAPERDEX_INDEX")
            .args(["stdio", "--index"])
            .arg(self.index_dir())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    pub fn index_dir(&self) -> &Path {
        self.index.path()
    }

    /// `paperdex` with the isolated environment and no `--index`.
    pub fn cmd(&self) -> Command {
        isolated_cmd(self.home.path())
    }

    /// `paperdex SUBCOMMAND --index DIR`; add the remaining arguments to it.
    pub fn sub(&self, subcommand: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.arg(subcommand).arg("--index").arg(self.index_dir());
        cmd
    }

    /// Runs `SUBCOMMAND --index DIR --json ARGS...`, which must succeed, and parses stdout.
    pub fn json<S: AsRef<std::ffi::OsStr>>(&self, subcommand: &str, args: &[S]) -> Value {
        let out = self
            .sub(subcommand)
            .arg("--json")
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        parse_json(&out)
    }

    /// `index --json FILES...`: the index report.
    pub fn index_files(&self, files: &[PathBuf]) -> Value {
        self.json("index", files)
    }

    /// `search --json ARGS...`: the search response.
    pub fn search_json(&self, args: &[&str]) -> Value {
        self.json("search", args)
    }

    /// `show --json ID`: the paper.
    pub fn show_json(&self, id: &str) -> Value {
        self.json("show", &[id])
    }

    /// `stats --json`.
    pub fn stats_json(&self) -> Value {
        self.json::<&str>("stats", &[])
    }

    /// `facets --json ARGS...`.
    pub fn facets_json(&self, args: &[&str]) -> Value {
        self.json("facets", args)
    }
}

/// The hits array of a search response.
pub fn hits(response: &Value) -> &Vec<Value> {
    response["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits array in {response}"))
}

/// The `total` of a search response.
pub fn total(response: &Value) -> u64 {
    response["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no numeric total in {response}"))
}

/// A string field of a JSON object.
pub fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {value}"))
}

/// A numeric field of a JSON object.
pub fn f64_field(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {value}"))
}

/// True if `haystack` contains `needle` case-insensitively as a whole token: the characters
/// around the match are not letters or digits (so `o1` matches "OpenAI-o1" but not "o10").
pub fn contains_token(haystack: &str, needle: &str) -> bool {
    let hay: Vec<char> = haystack.to_lowercase().chars().collect();
    let pat: Vec<char> = needle.to_lowercase().chars().collect();
    if pat.is_empty() || pat.len() > hay.len() {
        return false;
    }
    (0..=hay.len() - pat.len()).any(|i| {
        hay[i..i + pat.len()] == pat[..]
            && (i == 0 || !hay[i - 1].is_alphanumeric())
            && hay.get(i + pat.len()).is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The JSON *shape* of a value: every scalar replaced by its type name, arrays by the shape
/// of their first element, and maps keyed by facet paths (`/...`) collapsed to one entry.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Null => Value::from("null"),
        Value::Bool(_) => Value::from("bool"),
        Value::Number(_) => Value::from("number"),
        Value::String(_) => Value::from("string"),
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::Object(map) => {
            if !map.is_empty() && map.keys().all(|k| k.starts_with('/')) {
                let first = map.values().next().expect("non-empty");
                let mut collapsed = serde_json::Map::new();
                collapsed.insert("<facet path>".into(), shape(first));
                Value::Object(collapsed)
            } else {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
            }
        }
    }
}

/// Starts `paperdex serve` on a free loopback port over the sandbox's index; returns the child
/// and its base URL (read from the "serving ... at http://ADDR/" line on stderr).
pub fn spawn_server(sb: &Sandbox) -> (std::process::Child, String) {
    spawn_server_with(sb, &[])
}

/// `spawn_server` with more `serve` arguments.
pub fn spawn_server_with(sb: &Sandbox, args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paperdex"))
        .env("HOME", sb.home.path())
        .env_remove("PAPERDEX_INDEX")
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(sb.index_dir())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("paperdex serve starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).expect("stderr is readable") > 0,
            "server exited before listening"
        );
        if let Some(at) = line.find("at http://") {
            break line[at + 3..].trim().trim_end_matches('/').to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    (child, base)
}

/// One arXiv-listing JSON line, as in `../shared/data/arxiv/listings-*.jsonl.gz`.
pub fn listing(id: &str, title: &str, abstract_text: &str, date: &str, category: &str) -> String {
    serde_json::json!({
        "id": id, "title": title, "authors": ["A. Author"], "categories": [category],
        "comment": null, "abstract": abstract_text, "first_listed": date
    })
    .to_string()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writable temp dir");
    path
}
