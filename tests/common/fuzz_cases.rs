//! What each fuzz target checks, shared by the targets under `fuzz/` (through `#[path]`) and
//! by `tests/fuzz_regressions.rs`, which replays every input the fuzzers ever crashed on.

use std::sync::OnceLock;

use paperdex::ingest::read::{decode, Input};
use paperdex::ingest::{parse, parse_lines, sniff, Format, ParseOptions};
use paperdex::schema::SchemaConfig;
use paperdex::search::{SearchRequest, SortOrder, SyntaxMode};
use paperdex::server::{http, stdio};
use paperdex::{Engine, IndexOptions};

/// The bundled listings sample and two seed files, indexed once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let engine =
                Engine::open_or_create(dir.path(), SchemaConfig::builtin()).expect("index");
            // The project's samples, from the test crate or from fuzz/ below it.
            let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|dir| dir.join("corpus-samples"))
                .find(|dir| dir.is_dir())
                .expect("corpus-samples/ above the crate");
            let inputs = [
                "arxiv-listings-sample.jsonl",
                "000_49c743b0cf8a9bc6.txt",
                "001_2e2c283b0582c765.txt",
            ]
            .map(|f| Input::Path(samples.join(f)));
            engine
                .index(&inputs, &IndexOptions::default())
                .expect("samples index");
            (dir, engine)
        })
        .1
}

/// Every ingest format on arbitrary bytes: the first byte picks the format (or sniffing),
/// the rest is the file. Parsing never panics, and every skip names a line of the file.
pub fn ingest(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (text, _) = decode("fuzz.txt", rest.to_vec());
    // One value past the formats means sniffing.
    let format = match Format::ALL.get(pick as usize % (Format::ALL.len() + 1)) {
        Some(&f) => f,
        None => match sniff("fuzz.txt", &text) {
            Some(f) => f,
            None => return,
        },
    };
    let opts = ParseOptions {
        year: (pick & 0x80 != 0).then_some(2025),
        field_map: vec![
            ("title".into(), "name".into()),
            ("date".into(), "when".into()),
        ],
        ..ParseOptions::default()
    };
    let lines = text.lines().count() as u64 + 1;
    let parsed = if format.is_line_based() {
        parse_lines("fuzz.txt", &text, format, &opts, 1)
    } else {
        parse("fuzz.txt", &text, format, &opts)
    };
    for skip in &parsed.skipped {
        assert!(
            skip.line <= lines,
            "{skip} is past the end of a {lines}-line file"
        );
    }
}

/// The query layer: arbitrary text as the query, the other knobs from the first four bytes.
/// A search gives results or a user error, never a panic or an internal error.
pub fn query(data: &[u8]) {
    let (knobs, text) = data.split_at(data.len().min(4));
    let knob = |i: usize| knobs.get(i).copied().unwrap_or(0);
    let req = SearchRequest {
        q: String::from_utf8_lossy(text).into_owned(),
        plain: knob(0) & 1 == 1,
        sort: if knob(0) & 2 == 2 {
            SortOrder::Date
        } else {
            SortOrder::Relevance
        },
        facets: Some(knob(0) & 4 == 4),
        explain: knob(0) & 8 == 8,
        limit: Some(knob(1) as usize),
        offset: knob(2) as usize * 7,
        recency_weight: Some(knob(3) as f32 / 16.0),
        topic: if knob(0) & 16 == 16 {
            vec!["/arxiv/cs".into()]
        } else {
            Vec::new()
        },
        ..SearchRequest::default()
    };
    search(&req);
}

/// HTTP query-parameter parsing: arbitrary bytes as `/api/search`'s raw query string. It
/// parses to a request or a 400; a parsed request then searches as `query` requires.
pub fn http_params(data: &[u8]) {
    let raw = String::from_utf8_lossy(data).into_owned();
    if let Ok(req) = http::search_request(Some(raw)) {
        search(&req);
    }
}

/// The stdio (JSON-RPC) loop on arbitrary bytes: it ends normally, every reply is one JSON
/// object or array per line, and none is an internal error (the loop turns engine panics into
/// -32603 replies, so that code is how a panic shows here).
pub fn stdio(data: &[u8]) {
    let mut out = Vec::new();
    stdio::run(engine(), data, &mut out).expect("writing to a Vec cannot fail");
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let reply: serde_json::Value = serde_json::from_slice(line).expect("replies are JSON");
        let replies = match &reply {
            serde_json::Value::Array(items) => items.clone(),
            serde_json::Value::Object(_) => vec![reply.clone()],
            other => panic!("not a JSON-RPC reply: {other}"),
        };
        for r in replies {
            assert_ne!(r["error"]["code"], stdio::INTERNAL_ERROR, "{r}");
        }
    }
}

/// Query cost: each byte adds a construct that expands or reads positions (a one- to
/// three-letter prefix, a fuzzy term with any edit count, a phrase with a slop or a `*`, a
/// range, a regex, an operator). Under a deadline a search answers, is a user error or is
/// `TimedOut`, never a panic or an internal error; with strict syntax, more than 8 terms
/// that expand is an error, never a search.
pub fn query_cost(data: &[u8]) {
    const WORDS: [&str; 8] = [
        "a",
        "at",
        "att",
        "model",
        "sparse",
        "attention",
        "the",
        "of",
    ];
    let mut parts = Vec::new();
    let mut expanding = 0;
    for pair in data.chunks(2) {
        let (kind, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let word = WORDS[arg as usize % WORDS.len()];
        let letters = &"abcdefghijklmnopqrstuvwxyz0123456789"[(arg as usize % 34)..];
        let stem = &letters[..1 + kind as usize / 64 % 3];
        parts.push(match kind % 9 {
            0 => {
                expanding += 1;
                format!("{stem}*")
            }
            1 => {
                expanding += 1;
                format!("{word}~{}", arg % 10)
            }
            2 => {
                expanding += 1;
                format!("\"{word} {stem}\"~{arg}")
            }
            3 => {
                expanding += 1;
                format!("\"{word} {stem}\"*")
            }
            4 => format!("title:[{stem} TO {word}]"),
            5 => format!("abstract:/{stem}.*/"),
            6 => ["AND", "OR", "NOT", "-", "+"][arg as usize % 5].to_string(),
            7 => format!("({word}"),
            _ => word.to_string(),
        });
    }
    let q = parts.join(" ");
    for syntax in [SyntaxMode::Auto, SyntaxMode::Strict] {
        let req = SearchRequest {
            q: q.clone(),
            syntax,
            limit: Some(100),
            ..SearchRequest::default()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
        match engine().search_until(&req, deadline) {
            Ok(_) => assert!(
                syntax == SyntaxMode::Auto || expanding <= 8,
                "{expanding} expanding terms searched with strict syntax: {q}"
            ),
            Err(paperdex::Error::TimedOut) => {}
            Err(e) => assert!(e.is_user_error(), "internal error for {q:?}: {e}"),
        }
    }
}

/// stdio batches: the bytes pick how many searches a batch holds (up to 1.5x the bound) and
/// each one's limit. A batch over `MAX_BATCH` gets one -32600 error; otherwise one reply per
/// request, in order, each a result or an error object, and never an internal error.
pub fn stdio_batch(data: &[u8]) {
    let Some((&n, limits)) = data.split_first() else {
        return;
    };
    let n = n as usize * stdio::MAX_BATCH * 3 / 2 / 255;
    let batch: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let limit = limits.get(i).map_or(10, |&b| b as usize * 4);
            serde_json::json!({
                "jsonrpc": "2.0", "id": i, "method": "search",
                "params": {"q": "attention model", "limit": limit}
            })
        })
        .collect();
    let line = serde_json::to_vec(&serde_json::Value::Array(batch)).expect("JSON");
    let mut out = Vec::new();
    stdio::run(engine(), &line[..], &mut out).expect("writing to a Vec cannot fail");
    let reply: serde_json::Value = serde_json::from_slice(&out).expect("one JSON reply");
    if n == 0 || n > stdio::MAX_BATCH {
        assert_eq!(
            reply["error"]["code"],
            stdio::INVALID_REQUEST,
            "{n}: {reply}"
        );
        return;
    }
    let replies = reply.as_array().expect("a batch gets an array");
    assert_eq!(replies.len(), n);
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r["id"], i, "{r}");
        assert!(r["result"].is_object() != r["error"].is_object(), "{r}");
        assert_ne!(r["error"]["code"], stdio::INTERNAL_ERROR, "{r}");
    }
}

fn search(req: &SearchRequest) {
    if let Err(e) = engine().search(req) {
        assert!(e.is_user_error(), "internal error for {req:?}: {e}");
    }
}
