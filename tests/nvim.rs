//! The Neovim plugin (editors/nvim) as a user runs it: headless Neovim loads the plugin from
//! the runtimepath, `:PaperSearch` talks to a real `paperdex stdio` over an index of
//! corpus-samples/, and the citation lines it inserts are compared with text derived here
//! from `paperdex search --json` / `show --json`, not written out by hand.
//!
//! The Lua side is editors/nvim/test/citation_spec.lua; it stubs only the picker (it picks
//! the hit whose line contains a given word) and vim.notify (it records messages), and
//! reports what happened as JSON. Needs `nvim` on PATH (Debian's `neovim`, 0.7.2, or any
//! newer release); PAPERDEX_TEST_NVIM=/path/to/nvim picks another build.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{samples_dir, Sandbox};
use serde_json::{json, Value};

const NVIM_TIMEOUT: Duration = Duration::from_secs(60);

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The nvim to run; fails the test (never skips it) when there is none.
fn nvim() -> PathBuf {
    let nvim =
        std::env::var_os("PAPERDEX_TEST_NVIM").map_or_else(|| PathBuf::from("nvim"), PathBuf::from);
    let found = Command::new(&nvim)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{}` not found: the Neovim plugin test needs Neovim; install Debian's neovim \
         (`apt-get install neovim`, which scripts/test.sh does) or set PAPERDEX_TEST_NVIM",
        nvim.display()
    );
    nvim
}

/// Year from an ISO date, as the plugin shows it.
fn year(hit: &Value) -> Option<&str> {
    hit["date"].as_str().and_then(|d| d.get(..4))
}

fn is_arxiv_id(id: &str) -> bool {
    regex::Regex::new(r"^(\d{4}\.\d{4,5}|[A-Za-z-]+(\.[A-Za-z]+)?/\d{7})(v\d+)?$")
        .unwrap()
        .is_match(id)
}

fn clean_title(hit: &Value) -> String {
    hit["title"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The citation format of the README: `Title. A, B, C et al. Year. arXiv:ID https://arxiv.org/abs/ID`,
/// with the URL (or else the id) in place of the arXiv part for other papers.
fn citation(hit: &Value) -> String {
    let mut title = clean_title(hit);
    if !title.ends_with(['.', '?', '!']) {
        title.push('.');
    }
    let mut parts = vec![title];
    let authors: Vec<&str> = hit["authors"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !authors.is_empty() {
        let names = authors[..authors.len().min(3)].join(", ");
        parts.push(if authors.len() > 3 {
            format!("{names} et al.")
        } else {
            format!("{names}.")
        });
    }
    if let Some(y) = year(hit) {
        parts.push(format!("{y}."));
    }
    let id = hit["id"].as_str().unwrap();
    if is_arxiv_id(id) {
        parts.push(format!("arXiv:{id} https://arxiv.org/abs/{id}"));
    } else {
        parts.push(hit["url"].as_str().unwrap_or(id).to_string());
    }
    parts.join(" ")
}

/// The picker line: `Title — Year — first author`, missing parts left out.
fn picker_line(hit: &Value) -> String {
    let mut parts = vec![clean_title(hit)];
    parts.extend(year(hit).map(str::to_string));
    parts.extend(hit["authors"][0].as_str().map(str::to_string));
    parts.join(" — ")
}

/// The first hit of `paperdex search --json QUERY` whose title starts with `pick`.
fn hit(sb: &Sandbox, query: &str, pick: &str) -> Value {
    let res = sb.search_json(&[query, "--limit", "10"]);
    res["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"].as_str().is_some_and(|t| t.starts_with(pick)))
        .unwrap_or_else(|| panic!("no hit titled {pick:?} for {query:?}: {res}"))
        .clone()
}

/// The server's own error message for a query, from one request on `paperdex stdio`.
fn stdio_error_message(sb: &Sandbox, query: &str) -> String {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "search", "params": {"q": query}});
    let out = sb
        .cmd()
        .arg("stdio")
        .arg("--index")
        .arg(sb.index_dir())
        .write_stdin(format!("{request}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let response: Value = serde_json::from_slice(&out).expect("one JSON response");
    response["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {query:?}: {response}"))
        .to_string()
}

/// Runs the Lua spec in headless Neovim, killing it after NVIM_TIMEOUT; returns its report.
fn run_spec(nvim: &Path, sb: &Sandbox, spec: &Path) -> Value {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("report.json");
    let log = work.path().join("nvim.log");
    let plugin = repo().join("editors/nvim");
    let mut child = Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("--cmd")
        .arg(format!("set rtp+={}", plugin.display()))
        .arg("-c")
        .arg(format!("luafile {}", spec.display()))
        // no user config, state or index of the person running the tests
        .env("HOME", sb.home.path())
        .env("XDG_CONFIG_HOME", sb.home.path().join("config"))
        .env("XDG_DATA_HOME", sb.home.path().join("data"))
        .env("XDG_STATE_HOME", sb.home.path().join("state"))
        .env("XDG_CACHE_HOME", sb.home.path().join("cache"))
        .env_remove("PAPERDEX_INDEX")
        .env_remove("PAPERDEX_SCHEMA")
        .env("PAPERDEX_BIN", assert_cmd::cargo::cargo_bin("paperdex"))
        .env("PAPERDEX_TEST_INDEX", sb.index_dir())
        .env("PAPERDEX_TEST_OUT", &out)
        .current_dir(sb.home.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(work.path().join("nvim.err")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", nvim.display()));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > NVIM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(work.path().join("nvim.err")).unwrap_or_default();
    let report = std::fs::read_to_string(&out).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!(
            "nvim still running after {NVIM_TIMEOUT:?}, killed\nstderr: {stderr}\nreport: {report}"
        )
    });
    assert!(
        status.success(),
        "nvim exited with {status}\nstderr: {stderr}\nreport: {report}"
    );
    let report: Value = serde_json::from_str(&report).unwrap_or_else(|e| {
        panic!("no JSON report from the spec ({e}): {report:?}\nstderr: {stderr}")
    });
    assert!(report["error"].is_null(), "{report}");
    report
}

#[test]
fn headless_neovim_searches_and_inserts_citations_through_the_plugin() {
    let nvim = nvim(); // first, so a missing Neovim fails fast
    let sb = Sandbox::new();
    sb.json("index", &[samples_dir()]);

    let moba = hit(&sb, "MoBA", "MoBA:");
    let xattention = hit(&sb, "XAttention", "XAttention:");
    let mosa = hit(
        &sb,
        "Mixture of Sparse Attention",
        "Mixture of Sparse Attention:",
    );
    let syntax_error = stdio_error_message(&sb, "\"unclosed");
    // the three kinds of citation: no authors and no arXiv id; more than three authors; three
    assert_eq!(moba["authors"], json!([]), "{moba}");
    assert!(!is_arxiv_id(moba["id"].as_str().unwrap()), "{moba}");
    assert!(
        xattention["authors"].as_array().unwrap().len() > 3,
        "{xattention}"
    );
    assert_eq!(mosa["authors"].as_array().unwrap().len(), 3, "{mosa}");

    let report = run_spec(
        &nvim,
        &sb,
        &repo().join("editors/nvim/test/citation_spec.lua"),
    );

    // The buffer holds exactly the citations, one per search, in order.
    let expected = [
        citation(&moba),
        citation(&xattention),
        citation(&mosa),
        citation(&moba),
    ];
    assert_eq!(report["lines"], json!(expected), "{report:#}");
    assert_eq!(
        expected[0],
        format!(
            "MoBA: Mixture of Block Attention for Long-Context LLMs. 2025. {}",
            moba["id"].as_str().unwrap()
        )
    );
    let xid = xattention["id"].as_str().unwrap();
    assert!(
        expected[1].ends_with(&format!(
            " et al. 2025. arXiv:{xid} https://arxiv.org/abs/{xid}"
        )),
        "{}",
        expected[1]
    );

    // The picker showed "Title — Year — first author" for every hit.
    assert_eq!(
        report["shown"][0]["items"],
        json!([picker_line(&moba)]),
        "{report:#}"
    );
    assert_eq!(
        report["shown"][1]["items"],
        json!([picker_line(&xattention)]),
        "{report:#}"
    );
    let items = report["shown"][2]["items"].as_array().unwrap();
    assert!(items.contains(&json!(picker_line(&mosa))), "{items:?}");
    assert!(
        !report["input_prompt"].is_null(),
        "bare :PaperSearch prompts: {report:#}"
    );

    // After each insertion the chosen paper's abstract is previewed in a float.
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "{report:#}");
    for (step, paper) in steps.iter().zip([&moba, &xattention, &mosa, &moba]) {
        let full = sb.show_json(paper["id"].as_str().unwrap());
        let preview: Vec<&str> = step["preview"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(preview[0], clean_title(paper), "{step}");
        let abstract_lines: Vec<&str> = full["abstract"]
            .as_str()
            .unwrap()
            .split('\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert!(
            preview.ends_with(&abstract_lines),
            "preview {preview:?} does not end with the abstract {abstract_lines:?}"
        );
    }

    // One server for the first three searches (across the query error); a new one after the
    // old one died.
    let jobs: Vec<&Value> = steps.iter().map(|s| &s["job"]).collect();
    assert!(jobs[0].is_number(), "{report:#}");
    assert_eq!(
        jobs[0], jobs[1],
        "the second search reused the server: {report:#}"
    );
    assert_eq!(
        jobs[0], jobs[2],
        "the search after an error reused the server: {report:#}"
    );
    assert_ne!(jobs[0], jobs[3], "a dead server was restarted: {report:#}");

    // Errors arrive through vim.notify: the missing binary, then the server's own message
    // for the bad query, then a warning about the killed server; nothing else.
    let notes: Vec<(&str, i64)> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["msg"].as_str().unwrap(), n["level"].as_i64().unwrap()))
        .collect();
    const WARN: i64 = 3;
    const ERROR: i64 = 4;
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert!(
        notes[0]
            .0
            .starts_with("paperdex: cannot start `/nonexistent/paperdex stdio`")
            && notes[0].1 == ERROR,
        "{notes:#?}"
    );
    assert_eq!(
        notes[1],
        (format!("paperdex: {syntax_error}").as_str(), ERROR)
    );
    assert!(
        notes[2].0.starts_with("paperdex: server exited with code") && notes[2].1 == WARN,
        "{notes:#?}"
    );
}
