//! The Neovim plugin (editors/nvim) as a user runs it: headless Neovim loads the plugin from
//! the runtimepath, `:PaperSearch` talks to a real `paperdex stdio` over an index of
//! corpus-samples/, and the citation lines it inserts are compared with text derived here
//! from `paperdex search --json` / `show --json`, not written out by hand.
//!
//! The Lua side is editors/nvim/test/citation_spec.lua; it stubs only the picker (it picks
//! the hit whose line contains a given word, or the first hit) and vim.notify (it records
//! messages), and reports what happened as JSON. Pasted text (a title with a colon, a phrase
//! with its quote still open) goes to the server as typed: no error, the paper first, and the
//! server's notes on how it read the text shown once at INFO level.
//!
//! editors/nvim/test/cite_spec.lua types into the plugin's own live picker (`:PaperCite`) as a
//! user does and cites into a .tex, a Markdown, a Typst and a quarto document written here;
//! the documents and the .bib files it leaves on disk are compared with text from the stdio
//! `search` and `cite` answers. Needs `nvim` on PATH (Debian's `neovim`, 0.7.2, or any
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

/// The answer to one `search` request on `paperdex stdio` (`result` or `error`).
fn stdio_search(sb: &Sandbox, params: Value) -> Value {
    stdio_call(sb, "search", params)
}

/// The answer to one request on `paperdex stdio` (`result` or `error`).
fn stdio_call(sb: &Sandbox, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
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
    serde_json::from_slice(&out).expect("one JSON response")
}

/// The search the plugin sends for `query` (see `M.search`): its result.
fn plugin_search(sb: &Sandbox, query: &str) -> Value {
    let response = stdio_search(sb, json!({"q": query, "limit": 10, "facets": false}));
    assert!(response["error"].is_null(), "{query:?}: {response}");
    response["result"].clone()
}

/// The message the plugin shows (at INFO) for a search's notes: joined by " · "; None if none.
fn notes_message(result: &Value) -> Option<String> {
    let notes: Vec<&str> = result["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().trim())
        .filter(|n| !n.is_empty())
        .collect();
    (!notes.is_empty()).then(|| format!("paperdex: {}", notes.join(" · ")))
}

/// The server's own error message for a query searched with strict syntax (the only way a
/// query's text is an error now), from one request on `paperdex stdio`.
fn stdio_error_message(sb: &Sandbox, query: &str) -> String {
    let response = stdio_search(
        sb,
        json!({"q": query, "limit": 10, "facets": false, "syntax": "strict"}),
    );
    response["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error for {query:?}: {response}"))
        .to_string()
}

/// Runs the Lua spec in headless Neovim, killing it after NVIM_TIMEOUT; returns its report.
fn run_spec(nvim: &Path, sb: &Sandbox, spec: &Path) -> Value {
    run_spec_with(nvim, sb, spec, &[])
}

/// run_spec with more environment for the spec (e.g. PAPERDEX_TEST_WORK).
fn run_spec_with(nvim: &Path, sb: &Sandbox, spec: &Path, env: &[(&str, &Path)]) -> Value {
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
        .envs(env.iter().copied())
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

/// The queries of citation_spec.lua, in order, that insert a citation.
const MOBA: &str = "MoBA";
const PASTED_TITLE: &str = "XAttention: Block Sparse Attention with Antidiagonal Scoring";
const HALF_TYPED: &str = "\"native sparse atten";

#[test]
fn headless_neovim_searches_and_inserts_citations_through_the_plugin() {
    let nvim = nvim(); // first, so a missing Neovim fails fast
    let sb = Sandbox::new();
    sb.json("index", &[samples_dir()]);

    let moba = hit(&sb, MOBA, "MoBA:");
    let xattention = hit(&sb, "XAttention", "XAttention:");
    let mosa = hit(
        &sb,
        "Mixture of Sparse Attention",
        "Mixture of Sparse Attention:",
    );
    let nsa = hit(&sb, "Native Sparse Attention", "Native Sparse Attention:");
    let syntax_error = stdio_error_message(&sb, "\"unclosed");
    // the three kinds of citation: no authors and no arXiv id; more than three authors; three
    assert_eq!(moba["authors"], json!([]), "{moba}");
    assert!(!is_arxiv_id(moba["id"].as_str().unwrap()), "{moba}");
    assert!(
        xattention["authors"].as_array().unwrap().len() > 3,
        "{xattention}"
    );
    assert_eq!(mosa["authors"].as_array().unwrap().len(), 3, "{mosa}");

    // What the server answers the plugin for the pasted title and the half-typed phrase: the
    // text read as words, with notes, and the paper they come from first.
    let pasted = plugin_search(&sb, PASTED_TITLE);
    let half = plugin_search(&sb, HALF_TYPED);
    for (res, paper) in [(&pasted, &xattention), (&half, &nsa)] {
        assert_eq!(res["interpreted"], "words", "{res}");
        assert!(notes_message(res).is_some(), "{res}");
        assert_eq!(res["hits"][0]["id"], paper["id"], "{res}");
    }

    let report = run_spec(
        &nvim,
        &sb,
        &repo().join("editors/nvim/test/citation_spec.lua"),
    );

    // The buffer holds exactly the citations, one per search, in order.
    let cited = [&moba, &xattention, &mosa, &xattention, &nsa, &moba];
    let expected: Vec<String> = cited.iter().map(|p| citation(p)).collect();
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
    // The pasted title and the half-typed phrase list the server's hits in its order, the
    // paper first; the prompt says when not every word had to match.
    for (shown, res) in [(&report["shown"][3], &pasted), (&report["shown"][4], &half)] {
        let lines: Vec<String> = res["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(picker_line)
            .collect();
        assert_eq!(shown["items"], json!(lines), "{report:#}");
    }
    assert_eq!(pasted["matched"], "most", "{pasted}");
    assert_eq!(
        report["shown"][3]["prompt"],
        format!(
            "Papers for \"{PASTED_TITLE}\" ({} of {}, with most of the words): ",
            pasted["hits"].as_array().unwrap().len(),
            pasted["total"]
        ),
        "{report:#}"
    );

    // After each insertion the chosen paper's abstract is previewed in a float.
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), cited.len(), "{report:#}");
    for (step, paper) in steps.iter().zip(cited) {
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

    // One server for the first five searches (across the query error and the pasted text); a
    // new one after the old one died.
    let jobs: Vec<&Value> = steps.iter().map(|s| &s["job"]).collect();
    assert!(jobs[0].is_number(), "{report:#}");
    for (i, job) in jobs.iter().enumerate().take(5).skip(1) {
        assert_eq!(
            jobs[0], *job,
            "search {i} reused the server (after the error from 2 on): {report:#}"
        );
    }
    assert_ne!(jobs[0], jobs[5], "a dead server was restarted: {report:#}");

    // Messages arrive through vim.notify: the missing binary; the server's own message for the
    // strict query; a warning about the killed server; and, at INFO, once per search, the
    // notes on how the server read the text (derived here from the same stdio search).
    // Nothing else: the pasted title and the half-typed phrase are no errors.
    const INFO: i64 = 2;
    const WARN: i64 = 3;
    const ERROR: i64 = 4;
    enum Note {
        Starts(&'static str, i64),
        Is(String, i64),
    }
    let info = |query: &str| notes_message(&plugin_search(&sb, query)).map(|m| Note::Is(m, INFO));
    let mut expected_notes = vec![Note::Starts(
        "paperdex: cannot start `/nonexistent/paperdex stdio`",
        ERROR,
    )];
    expected_notes.extend(info(MOBA));
    expected_notes.extend(info("XAttention"));
    expected_notes.push(Note::Is(format!("paperdex: {syntax_error}"), ERROR));
    expected_notes.extend(info("Mixture of Sparse Attention"));
    expected_notes.extend(info(PASTED_TITLE));
    expected_notes.extend(info(HALF_TYPED));
    expected_notes.push(Note::Starts("paperdex: server exited with code", WARN));
    expected_notes.extend(info(MOBA));

    let notes: Vec<(&str, i64)> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["msg"].as_str().unwrap(), n["level"].as_i64().unwrap()))
        .collect();
    assert_eq!(notes.len(), expected_notes.len(), "{notes:#?}");
    for (got, want) in notes.iter().zip(&expected_notes) {
        let ok = match want {
            Note::Starts(prefix, level) => got.0.starts_with(prefix) && got.1 == *level,
            // Notes are cut to one line of the screen, ending in "…".
            Note::Is(msg, level) => {
                let cut = got.0.strip_suffix('…').unwrap_or(got.0);
                (got.0 == msg || msg.starts_with(cut) && cut.len() > 20) && got.1 == *level
            }
        };
        assert!(ok, "{got:?} in {notes:#?}");
    }
    assert_eq!(
        notes.iter().filter(|n| n.1 == ERROR).count(),
        2,
        "{notes:#?}"
    );
    assert!(
        notes.iter().any(|(m, l)| *l == INFO
            && notes_message(&pasted)
                .unwrap()
                .starts_with(m.strip_suffix('…').unwrap_or(m))),
        "the notes on the pasted title are shown: {notes:#?}"
    );
}

/// `(key, BibTeX entry)` of a paper from the stdio `cite` method the plugin calls.
fn bibtex(sb: &Sandbox, id: &str) -> (String, String) {
    let response = stdio_call(sb, "cite", json!({"ids": [id], "format": "bibtex"}));
    let c = &response["result"]["citations"][0];
    assert!(c["key"].is_string(), "{response}");
    (
        c["key"].as_str().unwrap().to_string(),
        c["text"].as_str().unwrap().to_string(),
    )
}

/// The live picker's row: `date · topic · Title · authors`, the topic as the plugin shortens
/// it (`/arxiv/cs/CL` -> `cs.CL`, else the last part), up to two authors, then "et al.".
fn picker_row(hit: &Value) -> String {
    let mut parts = vec![hit["date"].as_str().unwrap_or("undated").to_string()];
    if let Some(topic) = hit["topics"][0].as_str() {
        parts.push(match topic.strip_prefix("/arxiv/") {
            Some(code) => code.replace('/', "."),
            None => topic.rsplit('/').next().unwrap().to_string(),
        });
    }
    parts.push(clean_title(hit));
    let authors: Vec<&str> = hit["authors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match authors.len() {
        0 => {}
        1 | 2 => parts.push(authors.join(", ")),
        _ => parts.push(format!("{} et al.", authors[0])),
    }
    parts.join(" · ")
}

/// The hits the live picker asks for: 5 a page, no facets, no snippets.
fn picker_page(sb: &Sandbox, query: &str, offset: u64) -> Value {
    let response = stdio_search(
        sb,
        json!({"q": query, "limit": 5, "offset": offset, "facets": false, "snippets": false}),
    );
    assert!(response["error"].is_null(), "{query:?}: {response}");
    response["result"].clone()
}

fn rows(results: &[&Value]) -> Vec<String> {
    results
        .iter()
        .flat_map(|r| r["hits"].as_array().unwrap().iter().map(picker_row))
        .collect()
}

#[test]
fn headless_neovim_cites_by_filetype_into_the_bibliography_from_the_live_picker() {
    let nvim = nvim();
    let sb = Sandbox::new();
    sb.json("index", &[samples_dir()]);
    let work = sb.home.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let docs = [
        (
            "paper.tex",
            "\\documentclass{article}\n\\begin{document}\nSparse attention~\n\
             Block attention \\citep[see][]{foo} helps.\n\\bibliography{refs}\n\\end{document}\n",
        ),
        (
            "notes.md",
            "---\ntitle: Notes\nbibliography:\n  - lib/refs.bib\n  - other.bib\n---\n\nBlock attention\n",
        ),
        ("doc.typ", "= Notes\nAs shown by\n#bibliography(\"works.bib\")\n"),
        ("draft.txt", "Drafted\n"),
        ("chapters/intro.tex", "%!TEX root = ../paper.tex\nIntro text\n"),
    ];
    std::fs::create_dir(work.join("chapters")).unwrap();
    for (name, text) in docs {
        std::fs::write(work.join(name), text).unwrap();
    }

    let report = run_spec_with(
        &nvim,
        &sb,
        &repo().join("editors/nvim/test/cite_spec.lua"),
        &[("PAPERDEX_TEST_WORK", &work)],
    );

    // The picker refined as the query was typed: each snapshot holds exactly the rows the
    // server answers for the text typed so far, then the second page after the first.
    let sparse = picker_page(&sb, "sparse", 0);
    let first = picker_page(&sb, "sparse attention", 0);
    let second = picker_page(&sb, "sparse attention", 5);
    let snaps = report["picker"].as_array().unwrap();
    assert_eq!(snaps.len(), 3, "{report:#}");
    for (snap, query, want) in [
        (&snaps[0], "sparse", rows(&[&sparse])),
        (&snaps[1], "sparse attention", rows(&[&first])),
        (&snaps[2], "sparse attention", rows(&[&first, &second])),
    ] {
        assert_eq!(snap["query"], query, "{snap:#}");
        assert_eq!(snap["rows"], json!(want), "{snap:#}");
    }
    assert_ne!(snaps[0]["rows"], snaps[1]["rows"], "the rows refined");
    assert_eq!(report["stale_dropped"], true, "{report:#}");
    assert_eq!(snaps[1]["status"], format!("5 of {}", first["total"]));
    assert_eq!(snaps[2]["status"], format!("10 of {}", first["total"]));
    assert_eq!(
        snaps[2]["sel"], 6,
        "moving past the last row selects the next page's first"
    );
    // authors, date and topic on the rows
    assert!(
        snaps[1]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains(" · cs.")
                && r.as_str().unwrap().contains(" et al.")),
        "{report:#}"
    );

    // The preview showed the selected (third) hit's title and whole abstract.
    let third = &first["hits"][2];
    assert_eq!(report["preview"]["id"], third["id"]);
    let preview: Vec<&str> = report["preview"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(preview[0], clean_title(third));
    let full = sb.show_json(third["id"].as_str().unwrap());
    let abstract_lines: Vec<&str> = full["abstract"]
        .as_str()
        .unwrap()
        .split('\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert!(preview.ends_with(&abstract_lines), "{preview:?}");

    // What was cited, in order, and into which file.
    let picked = second["hits"][0]["id"].as_str().unwrap();
    assert_eq!(report["tex_pick"], picked, "{report:#}");
    let moba = hit(&sb, MOBA, "MoBA:");
    let xattention = hit(&sb, "XAttention", "XAttention:");
    assert_eq!(report["moba"], moba["id"]);
    assert_eq!(report["xattention"], xattention["id"]);
    let (k6, e6) = bibtex(&sb, picked);
    let (km, em) = bibtex(&sb, moba["id"].as_str().unwrap());
    let (kx, ex) = bibtex(&sb, xattention["id"].as_str().unwrap());
    assert_eq!(kx, "xu2025xattention");

    let read = |name: &str| {
        std::fs::read_to_string(work.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // TeX: a new \cite{} after the cursor, a key appended inside it, two inside a
    // hand-written \citep[see][]{foo}; never a reference line.
    assert_eq!(
        read("paper.tex"),
        format!(
            "\\documentclass{{article}}\n\\begin{{document}}\nSparse attention~\\cite{{{k6},{km}}}\n\
             Block attention \\citep[see][]{{foo,{kx},{km}}} helps.\n\\bibliography{{refs}}\n\\end{{document}}\n"
        )
    );
    // Markdown: [@key], then ; @key inside the brackets under the cursor.
    assert_eq!(
        read("notes.md"),
        format!(
            "---\ntitle: Notes\nbibliography:\n  - lib/refs.bib\n  - other.bib\n---\n\n\
             Block attention [@{km}; @{kx}]\n"
        )
    );
    assert_eq!(
        read("doc.typ"),
        format!("= Notes\nAs shown by @{kx} and @{km} too\n#bibliography(\"works.bib\")\n")
    );
    assert_eq!(read("draft.txt"), format!("Drafted [@{km}]\n"));
    assert_eq!(
        read("chapters/intro.tex"),
        format!("%!TEX root = ../paper.tex\nIntro text\\cite{{{km}}}\n")
    );

    // Each entry once in the file the document names (refs -> refs.bib; the first of the
    // front matter's list; Typst's; the configured one), entries separated by a blank line.
    let bib = |entries: &[&String]| {
        let mut seen = Vec::new();
        for e in entries {
            if !seen.contains(e) {
                seen.push(*e);
            }
        }
        seen.iter()
            .map(|e| format!("{e}\n"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(read("refs.bib"), bib(&[&e6, &em, &ex, &em]));
    assert_eq!(read("lib/refs.bib"), bib(&[&em, &ex]));
    assert_eq!(read("works.bib"), bib(&[&ex, &em]));
    assert_eq!(read("configured.bib"), bib(&[&em]));
    assert!(!work.join("other.bib").exists());

    // One line each, saying where the entry went (relative to the working directory).
    let mut written: Vec<(String, String)> = Vec::new();
    let mut expected = Vec::new();
    for (key, file) in [
        (&k6, "refs.bib"),
        (&km, "refs.bib"),
        (&kx, "refs.bib"),
        (&km, "refs.bib"),
        (&km, "refs.bib"), // from chapters/intro.tex, through its TEX root
        (&km, "lib/refs.bib"),
        (&kx, "lib/refs.bib"),
        (&kx, "works.bib"),
        (&km, "works.bib"),
        (&km, "configured.bib"),
    ] {
        let entry = (key.clone(), file.to_string());
        let how = if written.contains(&entry) {
            "already in"
        } else {
            "added to"
        };
        written.push(entry);
        expected.push(json!({"msg": format!("paperdex: {key} {how} work/{file}"), "level": 2}));
    }
    assert_eq!(report["notes"], json!(expected), "{report:#}");

    // :help paperdex and its topics land on their tags in doc/paperdex.txt.
    let help = report["help"].as_array().unwrap();
    assert_eq!(help.len(), 4, "{report:#}");
    for h in help {
        assert_eq!(h["file"], "paperdex.txt", "{h}");
        let tag = format!("*{}*", h["topic"].as_str().unwrap());
        assert!(h["line"].as_str().unwrap().contains(&tag), "{h}");
    }
}
