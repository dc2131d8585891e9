//! The HTTP front door through the real binary: same JSON as the CLI, every route against the
//! OpenAPI description, JSON errors for bad input, live index updates, loopback by default.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{sample, Sandbox};
use serde_json::{json, Value};

/// A running `paperdex serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(sb: &Sandbox) -> Server {
        Server::start_with(sb, &[])
    }

    fn start_with(sb: &Sandbox, args: &[&str]) -> Server {
        let (child, base) = common::spawn_server_with(sb, args);
        Server { child, base }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent.get(format!("{}{path}", self.base)).call().unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    }

    /// A GET written by hand, for URIs longer than HTTP clients agree to send.
    fn raw_get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.raw("GET", path, &[]);
        (status, body)
    }

    /// A request written by hand: status, header lines (lowercased), body.
    fn raw(&self, method: &str, path: &str, headers: &[&str]) -> (u16, Vec<String>, String) {
        let mut stream =
            std::net::TcpStream::connect(self.base.trim_start_matches("http://")).unwrap();
        let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
        let own_host = headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("host:"));
        let host = if own_host { "" } else { "Host: localhost\r\n" };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\n{host}{extra}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let headers = head.lines().skip(1).map(str::to_ascii_lowercase).collect();
        (status, headers, body.to_string())
    }

    fn json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path);
        (
            status,
            serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}")),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_error(server: &Server, path: &str, status: u16) {
    let (got, body) = server.json(path);
    assert_eq!(got, status, "{path}: {body}");
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{path}: {body}"
    );
}

#[test]
fn search_gives_the_same_json_as_the_cli() {
    let sb = Sandbox::with_all_samples();
    let server = Server::start(&sb);
    let (status, http) = server.json("/api/search?q=sparse+attention&topic=/arxiv&since=2025-01-01&limit=5&recency_weight=0.5&half_life=90");
    assert_eq!(status, 200);
    let cli = sb.search_json(&[
        "sparse attention",
        "--topic",
        "/arxiv",
        "--since",
        "2025-01-01",
        "--limit",
        "5",
        "--recency-weight",
        "0.5",
        "--half-life",
        "90",
    ]);
    for key in ["query", "total", "offset", "limit", "hits", "facets"] {
        assert_eq!(http[key], cli[key], "{key}");
    }
    assert!(http["hits"].as_array().unwrap().len() == 5);
    // The same switch for snippets on both doors.
    let (_, http) = server.json("/api/search?q=sparse+attention&limit=3&snippets=false");
    let cli = sb.search_json(&["sparse attention", "--limit", "3", "--no-snippets"]);
    assert_eq!(http["hits"], cli["hits"]);
    assert_eq!(http["hits"][0]["snippet"], "");
}

#[test]
fn every_route_matches_the_openapi_description() {
    let sb = Sandbox::with_all_samples();
    let server = Server::start(&sb);
    let (_, spec) = server.json("/api/openapi.json");
    let paths = spec["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    let mut served: Vec<&str> = paperdex::server::http::DOCUMENTED_ROUTES.to_vec();
    served.sort();
    assert_eq!(
        documented, served,
        "the OpenAPI paths and the router's routes differ"
    );
    let schemas = &spec["components"]["schemas"];
    for (path, item) in paths {
        let op = &item["get"];
        let concrete = path.replace("{id}", "2502.00511");
        let (status, body) = server.get(&concrete);
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{path}: status {status} undocumented"
        );
        let content = &op["responses"]["200"]["content"];
        if let Some(schema) = content.get("application/json").map(|c| &c["schema"]) {
            let value: Value = serde_json::from_str(&body).unwrap();
            let schema = match schema["$ref"].as_str() {
                Some(r) => &schemas[r.rsplit('/').next().unwrap()],
                None => schema,
            };
            for key in schema["required"].as_array().into_iter().flatten() {
                assert!(
                    value.get(key.as_str().unwrap()).is_some(),
                    "{path}: missing `{key}` in {body}"
                );
            }
        }
        // Every documented query parameter is accepted (with a harmless value).
        for p in op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
        {
            let name = p["name"].as_str().unwrap();
            let value = match p["schema"]["type"].as_str() {
                _ if p["schema"]["enum"].is_array() => p["schema"]["enum"][0].as_str().unwrap(),
                Some("integer") | Some("number") => "1",
                Some("boolean") => "true",
                _ if name == "since" || name == "until" => "2025-02-01",
                _ if name == "sort" => "date",
                _ if name == "as_of" => "today",
                _ if name == "topic" => "/arxiv",
                _ => "attention",
            };
            let (status, body) = server.get(&format!("{concrete}?{name}={value}"));
            assert_eq!(status, 200, "{path}?{name}={value}: {body}");
        }
    }
    // Hits follow the Hit schema.
    let (_, r) = server.json("/api/search?q=attention");
    for key in schemas["Hit"]["required"].as_array().unwrap() {
        assert!(
            r["hits"][0].get(key.as_str().unwrap()).is_some(),
            "hit lacks {key}"
        );
    }
}

#[test]
fn bad_requests_get_json_errors_and_the_server_keeps_serving() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    let long = "a".repeat(100 * 1024);
    let cases = [
        ("/api/search?q=x&colour=red", 400),
        ("/api/search?q=x&limit=100000", 400),
        ("/api/search?q=x&limit=-1", 400),
        ("/api/search?q=x&offset=abc", 400),
        ("/api/search?q=x&since=2025-02-30", 400),
        ("/api/search?q=x&since=2025-03-01&until=2025-01-01", 400),
        ("/api/search?q=x&sort=popular", 400),
        ("/api/search?q=x&recency_weight=-2", 400),
        ("/api/search?q=x&half_life=0", 400),
        ("/api/search?q=title:(unclosed&syntax=strict", 400),
        ("/api/search?q=%22unclosed&syntax=strict", 400),
        ("/api/search?q=-only&syntax=strict", 400),
        ("/api/search?q=title:/atten.%2A/&syntax=strict", 400),
        ("/api/search?q=nofield:%2A&syntax=strict", 400),
        ("/api/search?q=title:%2A&syntax=strict", 400),
        ("/api/papers/no-such-paper", 404),
        ("/api/similar/no-such-paper", 404),
        ("/api/similar/t:00?limit=0", 400),
        ("/api/facets?colour=red", 400),
        ("/no/such/route", 404),
    ];
    for (path, status) in cases {
        assert_error(&server, path, status);
    }
    // Without `syntax=strict` the same texts are words, read as such, never an error.
    for q in ["title:(unclosed", "%22unclosed", "nofield:%2A", "match=all"] {
        let (status, r) = server.json(&format!("/api/search?q={q}"));
        assert_eq!(status, 200, "{q}: {r}");
        assert_eq!(r["interpreted"], "words", "{q}: {r}");
    }
    assert_error(&server, "/api/search?q=x&match=most", 400);
    assert_error(&server, "/api/search?q=x&syntax=lenient", 400);
    // A 20 KB query is searched on its opening, with a note saying so.
    let (status, body) = server.raw_get(&format!("/api/search?q={}", &long[..20 * 1024]));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("searched on its first"), "{body}");
    let (status, r) = server.json("/api/search?q=reasoning");
    assert_eq!(status, 200);
    assert!(r["total"].as_u64().unwrap() > 0);
}

#[test]
fn papers_and_similar_papers_are_served() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    let (status, paper) = server.json("/api/papers/2502.00511");
    assert_eq!(status, 200);
    assert_eq!(paper["id"], "2502.00511");
    assert_eq!(paper, sb.show_json("2502.00511"));
    let (status, similar) = server.json("/api/similar/2502.00511?limit=3");
    assert_eq!(status, 200);
    let hits = similar["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert!(
        hits.iter().all(|h| h["id"] != "2502.00511"),
        "a paper is not similar to itself"
    );
    let (_, facets) = server.json("/api/facets?topic=/newsletter");
    assert!(facets["topic"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| k.starts_with("/newsletter")));
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        page.contains("<html") || page.contains("<!doctype") || page.contains("<!DOCTYPE"),
        "{page}"
    );
}

#[test]
fn only_loopback_host_names_are_served_and_knobs_are_checked() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    // DNS rebinding: a page whose own name now points at 127.0.0.1 cannot read the API.
    for host in [
        "evil.example",
        "evil.example:7700",
        "10.0.0.1",
        "127.0.0.1.evil.example",
    ] {
        let (status, _, body) = server.raw("GET", "/api/search?q=x", &[&format!("Host: {host}")]);
        assert_eq!(status, 403, "{host}: {body}");
        assert!(body.contains("\"forbidden_host\""), "{host}: {body}");
    }
    for host in [
        "localhost",
        "localhost:7700",
        "127.0.0.1:9",
        "127.1.2.3",
        "[::1]:7700",
        "app.localhost",
    ] {
        let (status, _, body) = server.raw("GET", "/health", &[&format!("Host: {host}")]);
        assert_eq!(status, 200, "{host}: {body}");
    }
    // Booleans are true or false, never a guess; knobs stay where scores stay finite.
    for path in [
        "/api/search?q=x&plain=yes",
        "/api/search?q=x&explain=maybe",
        "/api/search?q=x&facets=no",
        "/api/search?q=x&recency_weight=3.4e38",
        "/api/search?q=x&recency_weight=NaN",
        "/api/search?q=x&half_life=1e30",
    ] {
        assert_error(&server, path, 400);
    }
    let path = "/api/search?q=x&plain=1&explain=true&facets=0&snippets=false&recency_weight=1000";
    let (status, body) = server.json(path);
    assert_eq!(status, 200, "{path}: {body}");
    // Errors keep the JSON shape: an id that is not UTF-8, a method other than GET.
    let (status, _, body) = server.raw("GET", "/api/papers/%ff%fe", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"invalid_request\""), "{body}");
    let (status, headers, body) = server.raw("POST", "/api/search?q=x", &["Content-Length: 0"]);
    assert_eq!(status, 405, "{body}");
    assert!(body.contains("\"method_not_allowed\""), "{body}");
    assert!(
        headers.iter().any(|h| h.starts_with("allow:")),
        "{headers:?}"
    );
    // `--allow-remote` serves any name.
    let open = Server::start_with(&sb, &["--allow-remote"]);
    let (status, _, _) = open.raw("GET", "/health", &["Host: papers.example"]);
    assert_eq!(status, 200);
}

#[test]
fn papers_and_similar_papers_take_every_id_form() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    for form in [
        "arXiv:2502.00511",
        "2502.00511v2",
        "https:%2F%2Farxiv.org%2Fabs%2F2502.00511",
        "https://arxiv.org/pdf/2502.00511v1",
    ] {
        let (status, paper) = server.json(&format!("/api/papers/{form}"));
        assert_eq!(
            (status, &paper["id"]),
            (200, &json!("2502.00511")),
            "{form}"
        );
        let (status, similar) = server.json(&format!("/api/similar/{form}?limit=2"));
        assert_eq!(status, 200, "{form}: {similar}");
        assert_eq!(similar["query"], "similar:2502.00511", "{form}");
    }
    let (status, r) = server.json("/api/search?q=arXiv:2502.00511&limit=1");
    assert_eq!((status, &r["interpreted"]), (200, &json!("id")), "{r}");
    assert_eq!(r["hits"][0]["id"], "2502.00511");
}

#[test]
fn papers_indexed_by_another_process_show_up_without_a_restart() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    let (_, before) = server.json("/api/search?q=&limit=0");
    let before = before["total"].as_u64().unwrap();
    sb.index_files(&[sample("arxiv-listings-sample.jsonl")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, now) = server.json("/api/search?q=&limit=0");
        if now["total"].as_u64().unwrap() == before + 40 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "new papers not visible after 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn concurrent_requests_are_all_answered() {
    let sb = Sandbox::with_all_samples();
    let server = Server::start(&sb);
    let queries = [
        "attention",
        "sparse+attention",
        "reasoning",
        "%22language+models%22",
        "atten*",
        "&topic=/arxiv",
    ];
    std::thread::scope(|s| {
        for t in 0..8 {
            let server = &server;
            s.spawn(move || {
                for i in 0..25 {
                    let q = queries[(t + i) % queries.len()];
                    let (status, _) = server.get(&format!("/api/search?q={q}"));
                    assert_eq!(status, 200, "{q}");
                }
            });
        }
    });
}

#[test]
fn serving_beyond_loopback_needs_an_explicit_flag() {
    let sb = Sandbox::with_seeds();
    let out = sb
        .sub("serve")
        .args(["--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let sb = Sandbox::with_seeds();
    let mut server = Server::start(&sb);
    assert_eq!(server.get("/health").0, 200);
    // SAFETY: sending SIGTERM to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

/// Prefixes of every letter over all fields, every facet counted, 1,000 snippets: the kind of
/// request that reads most of the index.
const PATHOLOGICAL: &str =
    "/api/search?q=a*+b*+c*+d*+e*+f*+g*+h*+i*+j*+k*+l*+m*+n*+o*+p*+r*+s*+t*+u*+v*+w*&limit=1000&match=any";

fn listings_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    let slice = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings-slice.jsonl.gz");
    sb.index_files(&[slice]);
    sb
}

#[test]
fn a_query_over_its_time_budget_gets_503_timeout_and_the_server_keeps_serving() {
    let sb = listings_sandbox();
    let server = Server::start_with(&sb, &["--time-budget-ms", "100"]);
    let started = Instant::now();
    let (status, body) = server.json(PATHOLOGICAL);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "timeout", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("100 ms"),
        "{body}"
    );
    // Answered at the budget, not when the work ends; then ordinary requests still work.
    assert!(started.elapsed() < Duration::from_secs(5));
    let (status, r) = server.json("/api/search?q=reasoning&facets=0");
    assert_eq!(status, 200, "{r}");
    // With room the same request completes (a debug build under a parallel test run can
    // take a second or more for it, near the default 2 s budget).
    let roomy = Server::start_with(&sb, &["--time-budget-ms", "60000"]);
    let (status, r) = roomy.json(PATHOLOGICAL);
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["hits"].as_array().unwrap().len(), 1000);
}

#[test]
fn cors_is_off_unless_an_origin_is_given() {
    let sb = Sandbox::with_seeds();
    let origin = "Origin: http://localhost:5173";
    let closed = Server::start(&sb);
    let (status, headers, _) = closed.raw("GET", "/api/search?q=x", &[origin]);
    assert_eq!(status, 200);
    assert!(
        !headers.iter().any(|h| h.starts_with("access-control-")),
        "{headers:?}"
    );
    let preflight = [origin, "Access-Control-Request-Method: GET"];
    let (_, headers, _) = closed.raw("OPTIONS", "/api/search", &preflight);
    assert!(
        !headers.iter().any(|h| h.starts_with("access-control-")),
        "{headers:?}"
    );

    let open = Server::start_with(&sb, &["--cors", "http://localhost:5173"]);
    let (status, headers, _) = open.raw("GET", "/api/search?q=x", &[origin]);
    assert_eq!(status, 200);
    assert!(
        headers.contains(&"access-control-allow-origin: http://localhost:5173".to_string()),
        "{headers:?}"
    );
    let (status, headers, _) = open.raw("OPTIONS", "/api/search", &preflight);
    assert!((200..300).contains(&status), "{status} {headers:?}");
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("access-control-allow-methods:") && h.contains("get")),
        "{headers:?}"
    );

    for bad in ["*", "localhost:5173", "http://localhost:5173/path"] {
        let out = sb.sub("serve").args(["--cors", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--cors {bad}");
    }
}

#[test]
fn no_route_serves_files_from_disk() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    for path in [
        "/Cargo.toml",
        "/../Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/static/index.html",
        "/src/server/static/app.js",
        "/api/papers/..%2f..%2fCargo.toml",
        "/api/papers/../../../../etc/passwd",
        "/etc/passwd",
    ] {
        let (status, _, body) = server.raw("GET", path, &[]);
        assert!((400..500).contains(&status), "{path}: {status}");
        assert!(
            !body.contains("[package]") && !body.contains("root:"),
            "{path}: {body}"
        );
    }
}

/// The address of a running server, for raw sockets.
fn addr(server: &Server) -> &str {
    server.base.trim_start_matches("http://")
}

/// Reads `stream` until the server closes it (end of file or a reset) or `within` passes.
/// Returns when it closed (None if it did not) and what was read.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Option<Duration>, Vec<u8>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let left = within.saturating_sub(start.elapsed());
        if left.is_zero() {
            return (None, got);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return (Some(start.elapsed()), got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if is_reset(&e) => return (Some(start.elapsed()), got),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (None, got)
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// A connection, within a timeout: a server that stopped accepting fails the test rather than
/// hanging it once the kernel's queue is full.
fn connect(server: &Server) -> TcpStream {
    let addr = addr(server).parse().unwrap();
    TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connecting: {e}"))
}

/// A connection that sent the start of a request and nothing more.
fn half_sent(server: &Server) -> TcpStream {
    let mut stream = connect(server);
    stream.write_all(b"GET /api/search?q=att").unwrap();
    stream
}

#[test]
fn slow_and_idle_connections_are_closed_within_the_header_timeout() {
    let sb = Sandbox::with_seeds();
    let server = Server::start_with(&sb, &["--header-timeout-ms", "1000"]);
    // Closed within the 1 s timeout plus scheduling; without one they stay open for ever.
    let bound = Duration::from_secs(3);
    std::thread::scope(|s| {
        s.spawn(|| {
            let (closed, _) = read_until_closed(&mut half_sent(&server), bound);
            assert!(closed.is_some(), "a half-sent request line stayed open");
        });
        s.spawn(|| {
            let mut silent = TcpStream::connect(addr(&server)).unwrap();
            let (closed, _) = read_until_closed(&mut silent, bound);
            assert!(
                closed.is_some(),
                "a connection that sent nothing stayed open"
            );
        });
        s.spawn(|| {
            // After its response, an idle keep-alive connection gets the same time.
            let mut idle = TcpStream::connect(addr(&server)).unwrap();
            idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let (closed, got) = read_until_closed(&mut idle, bound);
            assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
            assert!(
                closed.is_some(),
                "an idle keep-alive connection stayed open"
            );
        });
        s.spawn(|| {
            // One byte every 200 ms would take 8 s for this request: no byte extends the time.
            let mut drip = TcpStream::connect(addr(&server)).unwrap();
            let start = Instant::now();
            for byte in b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n" {
                if drip.write_all(&[*byte]).is_err() {
                    break;
                }
                if read_until_closed(&mut drip, Duration::from_millis(200))
                    .0
                    .is_some()
                {
                    break;
                }
            }
            assert!(
                start.elapsed() < bound,
                "a client sending a byte every 200 ms stayed {:?}",
                start.elapsed()
            );
        });
    });
    // The server itself is fine.
    assert_eq!(server.get("/health").0, 200);
}

/// Lowers the open-file limit of a running process, as `prlimit --nofile` does.
#[cfg(target_os = "linux")]
fn limit_open_files(pid: u32, n: u64) {
    let limit = libc::rlimit {
        rlim_cur: n,
        rlim_max: n,
    };
    // SAFETY: setting a resource limit of our own child process.
    let rc = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            &limit,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// A search on a fresh connection, with a client-side timeout so a server that never answers
/// fails the test rather than hanging it: the status line.
fn search_within(server: &Server, within: Duration) -> String {
    let mut stream = connect(server);
    stream
        .write_all(
            b"GET /api/search?q=attention HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let (_, got) = read_until_closed(&mut stream, within);
    let got = String::from_utf8_lossy(&got);
    got.lines().next().unwrap_or("(no answer)").to_string()
}

#[test]
fn a_flood_of_idle_connections_does_not_keep_requests_out() {
    let sb = Sandbox::with_seeds();
    let answer = Duration::from_secs(5);
    // More half-sent requests than the server has file descriptors: accepting fails (EMFILE)
    // until a connection closes, so the connections idle longest make room.
    #[cfg(target_os = "linux")]
    {
        let server = Server::start(&sb);
        limit_open_files(server.child.id(), 128);
        let flood: Vec<TcpStream> = (0..300).map(|_| half_sent(&server)).collect();
        assert_eq!(search_within(&server, answer), "HTTP/1.1 200 OK");
        drop(flood);
    }
    // More than --max-connections: the oldest idle ones are closed, the newest answered.
    let server = Server::start_with(&sb, &["--max-connections", "20"]);
    let mut flood: Vec<TcpStream> = (0..100).map(|_| half_sent(&server)).collect();
    assert_eq!(search_within(&server, answer), "HTTP/1.1 200 OK");
    let (closed, _) = read_until_closed(&mut flood[0], answer);
    assert!(closed.is_some(), "the oldest idle connection stayed open");
    let (closed, _) = read_until_closed(&mut flood[99], Duration::from_millis(300));
    assert!(
        closed.is_none(),
        "the newest idle connection was closed first"
    );
}

/// Sends SIGTERM to the server and waits for it to exit; how long it took.
fn terminate(server: &mut Server, within: Duration) -> Duration {
    // SAFETY: sending SIGTERM to our own child process.
    unsafe {
        libc::kill(server.child.id() as i32, libc::SIGTERM);
    }
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "the server did not exit within {within:?} of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_closes_idle_connections_at_once_and_lets_requests_in_flight_finish() {
    // Idle and half-sent connections do not hold the exit (they held it 15-20 s).
    let sb = Sandbox::with_seeds();
    let mut server = Server::start(&sb);
    let _half = half_sent(&server);
    let mut idle = TcpStream::connect(addr(&server)).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).unwrap();
    let took = terminate(&mut server, Duration::from_secs(2));
    assert!(took < Duration::from_secs(2), "{took:?}");

    // A request being computed when SIGTERM comes is answered before the server exits.
    let sb = listings_sandbox();
    let mut server = Server::start(&sb);
    let addr = addr(&server).to_string();
    let in_flight = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {PATHOLOGICAL} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        read_until_closed(&mut stream, Duration::from_secs(10)).1
    });
    std::thread::sleep(Duration::from_millis(100));
    terminate(&mut server, Duration::from_secs(5));
    let got = in_flight.join().unwrap();
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("HTTP/1.1 200") || got.starts_with("HTTP/1.1 503"),
        "{got}"
    );
}

#[test]
fn a_client_that_stops_reading_is_disconnected() {
    let sb = Sandbox::with_seeds();
    let server = Server::start_with(&sb, &["--send-timeout-ms", "1000"]);
    // 2,000 pipelined requests for the 11 KB OpenAPI document, about 23 MB of answers: far
    // more than the sockets buffer, so the server's writes stall while nothing is read.
    let mut stream = TcpStream::connect(addr(&server)).unwrap();
    let request = b"GET /api/openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let requests = 2000;
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let _ = stream.write_all(&request.repeat(requests));
    std::thread::sleep(Duration::from_secs(3));
    let (closed, got) = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(closed.is_some(), "the connection stayed open");
    let answered = got.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    assert!(
        answered < requests,
        "all {answered} answers were sent to a client that did not read"
    );
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn oversized_uris_and_headers_get_json_errors() {
    let sb = Sandbox::with_seeds();
    let server = Server::start(&sb);
    let json_error = |(status, _, body): (u16, Vec<String>, String), want: u16, code: &str| {
        assert_eq!(status, want, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(body["error"]["code"], code, "{body}");
    };
    let long = "a".repeat(40 * 1024);
    json_error(
        server.raw("GET", &format!("/api/search?q={long}"), &[]),
        414,
        "uri_too_long",
    );
    let big: Vec<String> = (0..20)
        .map(|i| format!("X-Pad-{i}: {}", "b".repeat(1000)))
        .collect();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    json_error(server.raw("GET", "/health", &big), 431, "headers_too_large");
    let many: Vec<String> = (0..80).map(|i| format!("X-Many-{i}: 1")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    json_error(
        server.raw("GET", "/health", &many),
        431,
        "headers_too_large",
    );
    // Past the `http` crate's 64 KiB, hyper answers 414 itself, before paperdex sees it.
    let longer = "a".repeat(100 * 1024);
    assert_eq!(server.raw_get(&format!("/api/search?q={longer}")).0, 414);
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn topics_are_read_as_the_cli_reads_them() {
    let sb = Sandbox::new();
    sb.index_files(&[std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings-slice.jsonl.gz")]);
    let server = Server::start(&sb);
    let (status, by_path) = server.json("/api/search?q=attention&topic=/arxiv/cs/CL");
    assert_eq!(status, 200, "{by_path}");
    assert!(by_path["total"].as_u64().unwrap() > 0);
    let (_, by_code) = server.json("/api/search?q=attention&topic=cs.CL");
    assert_eq!(by_code["total"], by_path["total"]);
    let (status, facets) = server.json("/api/facets?topic=cs.cl");
    assert_eq!(status, 200, "{facets}");
    assert!(facets["topic"].get("/arxiv/cs/CL").is_some(), "{facets}");
    let (status, err) = server.json("/api/search?q=attention&topic=cs.XX");
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nearest"),
        "{err}"
    );
}
