//! The editor protocol through the binary: JSON-RPC 2.0 lines on stdin/stdout.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout};

use common::Sandbox;
use serde_json::{json, Value};

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Session {
    fn start(sb: &Sandbox) -> Session {
        let mut child = sb.spawn_stdio();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
        }
    }

    fn send_raw(&mut self, line: &[u8]) {
        self.stdin.write_all(line).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut line = String::new();
        assert!(
            self.stdout.read_line(&mut line).unwrap() > 0,
            "stdout closed"
        );
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON value per line ({e}): {line}"))
    }

    fn call(&mut self, request: Value) -> Value {
        self.send_raw(request.to_string().as_bytes());
        self.read()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn req(id: i64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

#[test]
fn methods_answer_with_the_same_shapes_as_the_cli() {
    let sb = Sandbox::with_all_samples();
    let mut s = Session::start(&sb);
    let r = s.call(req(
        1,
        "search",
        json!({ "q": "sparse attention", "limit": 3, "topic": ["/arxiv"] }),
    ));
    assert_eq!(r["jsonrpc"], "2.0");
    assert_eq!(r["id"], 1);
    let cli = sb.search_json(&["sparse attention", "--limit", "3", "--topic", "/arxiv"]);
    for key in ["query", "total", "hits", "facets"] {
        assert_eq!(r["result"][key], cli[key], "{key}");
    }
    let id = r["result"]["hits"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.call(req(2, "get", json!({ "id": id })))["result"],
        sb.show_json(&id)
    );
    let similar = s.call(req(3, "similar", json!({ "id": id, "limit": 2 })));
    assert_eq!(similar["result"]["hits"].as_array().unwrap().len(), 2);
    let facets = s.call(req(4, "facets", json!({ "topic": "/arxiv" })));
    assert!(facets["result"]["topic"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| k.starts_with("/arxiv")));
    let stats = s.call(json!({ "jsonrpc": "2.0", "id": "s", "method": "stats" }));
    assert_eq!(stats["id"], "s");
    assert_eq!(stats["result"], sb.stats_json());
}

#[test]
fn get_and_similar_take_every_id_form() {
    let sb = Sandbox::with_seeds();
    let mut s = Session::start(&sb);
    for (n, form) in [
        "arXiv:2502.00511",
        "2502.00511v2",
        "https://arxiv.org/abs/2502.00511",
    ]
    .into_iter()
    .enumerate()
    {
        let got = s.call(req(n as i64, "get", json!({ "id": form })));
        assert_eq!(got["result"]["id"], "2502.00511", "{form}: {got}");
        let similar = s.call(req(
            100 + n as i64,
            "similar",
            json!({ "id": form, "limit": 2 }),
        ));
        assert_eq!(similar["result"]["query"], "similar:2502.00511", "{form}");
    }
}

#[test]
fn batches_are_bounded_in_requests_and_in_reply_bytes() {
    let sb = Sandbox::new();
    let slice = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings-slice.jsonl.gz");
    sb.index_files(&[slice]);
    let mut s = Session::start(&sb);
    let search = |id: usize| {
        req(
            id as i64,
            "search",
            json!({ "q": "learning", "limit": 1000 }),
        )
    };
    let too_many: Vec<Value> = (0..101).map(search).collect();
    let r = s.call(Value::Array(too_many));
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains("limit is 100"));
    // 100 searches of 1,000 hits would be about 60 MB: the reply stops past 16 MiB, the
    // remaining requests each get an error, and the session goes on.
    let batch: Vec<Value> = (0..100).map(search).collect();
    s.send_raw(serde_json::to_string(&batch).unwrap().as_bytes());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut s.stdout, &mut line).unwrap();
    assert!(line.len() < 24 << 20, "{} bytes", line.len());
    let replies: Vec<Value> = serde_json::from_str(&line).unwrap();
    assert_eq!(replies.len(), 100);
    let answered = replies.iter().filter(|r| r["result"].is_object()).count();
    assert!((1..100).contains(&answered), "{answered}");
    for r in &replies[answered..] {
        assert_eq!(r["error"]["code"], -32600, "{r}");
    }
    let after = s.call(req(500, "stats", json!({})));
    assert!(after["result"].is_object(), "{after}");
}

#[test]
fn errors_use_json_rpc_codes_and_the_loop_goes_on() {
    let sb = Sandbox::with_seeds();
    let mut s = Session::start(&sb);
    let cases: Vec<(Vec<u8>, i64, Value)> = vec![
        (b"{not json".to_vec(), -32700, Value::Null),
        (b"42".to_vec(), -32600, Value::Null),
        (
            br#"{"jsonrpc":"1.0","id":1,"method":"stats"}"#.to_vec(),
            -32600,
            json!(1),
        ),
        (br#"{"jsonrpc":"2.0","id":2}"#.to_vec(), -32600, json!(2)),
        (
            br#"{"jsonrpc":"2.0","id":{"a":1},"method":"stats"}"#.to_vec(),
            -32600,
            Value::Null,
        ),
        (
            br#"{"jsonrpc":"2.0","id":3,"method":"search","params":[1]}"#.to_vec(),
            -32600,
            json!(3),
        ),
        (
            br#"{"jsonrpc":"2.0","id":4,"method":"frobnicate"}"#.to_vec(),
            -32601,
            json!(4),
        ),
        (
            br#"{"jsonrpc":"2.0","id":5,"method":"search","params":{"q":"x","colour":1}}"#.to_vec(),
            -32602,
            json!(5),
        ),
        (
            br#"{"jsonrpc":"2.0","id":6,"method":"search","params":{"q":"title:(x","syntax":"strict"}}"#.to_vec(),
            -32602,
            json!(6),
        ),
        (
            br#"{"jsonrpc":"2.0","id":7,"method":"search","params":{"q":"x","limit":99999}}"#
                .to_vec(),
            -32602,
            json!(7),
        ),
        (
            br#"{"jsonrpc":"2.0","id":8,"method":"get","params":{}}"#.to_vec(),
            -32602,
            json!(8),
        ),
        (
            br#"{"jsonrpc":"2.0","id":9,"method":"get","params":{"id":"no-such"}}"#.to_vec(),
            -32001,
            json!(9),
        ),
        (b"[]".to_vec(), -32600, Value::Null),
    ];
    for (line, code, id) in cases {
        s.send_raw(&line);
        let r = s.read();
        assert_eq!(
            r["error"]["code"],
            code,
            "{}: {r}",
            String::from_utf8_lossy(&line)
        );
        assert_eq!(r["id"], id, "{r}");
        assert!(r["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let syntax = s.call(req(
        10,
        "search",
        json!({ "q": "\"unclosed", "syntax": "strict" }),
    ));
    assert_eq!(syntax["error"]["data"]["code"], "query_syntax");
    // Without strictness the same text is words.
    let words = s.call(req(12, "search", json!({ "q": "\"unclosed" })));
    assert_eq!(words["result"]["interpreted"], "words", "{words}");
    // Still serving.
    assert!(
        s.call(req(11, "search", json!({ "q": "reasoning" })))["result"]["total"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn notifications_get_no_reply_and_batches_answer_in_order() {
    let sb = Sandbox::with_seeds();
    let mut s = Session::start(&sb);
    s.send_raw(br#"{"jsonrpc":"2.0","method":"stats"}"#);
    s.send_raw(b"   ");
    let batch = json!([
        req(1, "search", json!({ "q": "MoBA" })),
        { "jsonrpc": "2.0", "method": "search", "params": { "q": "x" } },
        req(2, "nope", json!({})),
        req(3, "stats", json!({})),
    ]);
    let r = s.call(batch);
    let ids: Vec<&Value> = r.as_array().unwrap().iter().map(|x| &x["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3)], "{r}");
    assert_eq!(r[1]["error"]["code"], -32601);
    // The notification and the blank line produced nothing: the next line is the next reply.
    assert_eq!(s.call(req(4, "stats", json!({})))["id"], 4);
}

#[test]
fn a_10_mb_line_is_rejected_and_the_session_continues() {
    let sb = Sandbox::with_seeds();
    let mut s = Session::start(&sb);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"search","params":{{"q":"{}"}}}}"#,
        "a".repeat(10 << 20)
    );
    s.send_raw(huge.as_bytes());
    let r = s.read();
    assert_eq!(r["error"]["code"], -32600);
    assert!(
        r["error"]["message"].as_str().unwrap().contains("limit"),
        "{r}"
    );
    assert_eq!(s.call(req(2, "stats", json!({})))["id"], 2);
}

#[test]
fn eof_and_shutdown_end_the_process_cleanly_with_nothing_else_on_stdout() {
    let sb = Sandbox::with_seeds();
    let out = sb
        .sub("stdio")
        .write_stdin(format!(
            "{}\n{}\n",
            req(1, "stats", json!({})),
            req(2, "search", json!({ "q": "o1" }))
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let out = sb
        .sub("stdio")
        .write_stdin(format!(
            "{}\n{}\n",
            req(1, "shutdown", json!(null)),
            req(2, "stats", json!({}))
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "nothing after shutdown: {text}");
    assert_eq!(
        serde_json::from_str::<Value>(text.trim()).unwrap(),
        json!({"jsonrpc": "2.0", "id": 1, "result": null})
    );
}

#[test]
fn topics_are_read_as_the_cli_reads_them() {
    let sb = Sandbox::new();
    sb.index_files(&[std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings-slice.jsonl.gz")]);
    let mut s = Session::start(&sb);
    let total = |s: &mut Session, topic: &str| {
        let r = s.call(req(
            1,
            "search",
            json!({ "q": "attention", "topic": [topic] }),
        ));
        r["result"]["total"]
            .as_u64()
            .unwrap_or_else(|| panic!("{topic}: {r}"))
    };
    let by_path = total(&mut s, "/arxiv/cs/CL");
    assert!(by_path > 0);
    assert_eq!(total(&mut s, "cs.CL"), by_path);
    assert_eq!(total(&mut s, "ARXIV/CS/cl"), by_path);
    let r = s.call(req(
        2,
        "search",
        json!({ "q": "attention", "topic": ["cs.XX"] }),
    ));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("nearest"),
        "{r}"
    );
}
