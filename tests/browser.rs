//! The search page in a real headless Chromium (Debian's chromium + chromium-driver), driven
//! over WebDriver with fantoccini: type a query, see results, click a topic facet, see the
//! filtered results agree with the API; paste a title or type half a phrase and never see an
//! error, only a quiet line on how the text was read; open a paper by any form of its id.
//! Issue 23's page, one test a point: PDF links, copy buttons (id, BibTeX), author links,
//! arXiv topic and group names, Back closing a paper, the greyed count of a search in
//! flight, Favour recent under Newest first, month names, the topic filter box, the home.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_program(names: &[&str]) -> String {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = format!("{dir}/{name}");
            if std::path::Path::new(&path).is_file() {
                return path;
            }
        }
    }
    panic!(
        "{names:?} not found: install Debian's chromium and chromium-driver (scripts/test.sh does)"
    );
}

fn serve(sb: &Sandbox) -> (Killed, String) {
    let (child, base) = common::spawn_server(sb);
    (Killed(child), base)
}

/// The served index of every sample, and a headless Chromium session on the page.
struct Browser {
    client: Client,
    base: String,
    _server: Killed,
    _driver: Killed,
    _profile: tempfile::TempDir,
    _sb: Sandbox,
}

async fn browser() -> Browser {
    browser_on(Sandbox::with_all_samples()).await
}

/// A headless Chromium on the page over the index of `sb`.
async fn browser_on(sb: Sandbox) -> Browser {
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let chromedriver = find_program(&["chromedriver"]);
    let (server, base) = serve(&sb);
    let port = free_port();
    let driver = Killed(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps.as_object().unwrap().clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => break c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a WebDriver session: {e}"),
        }
    };
    Browser {
        client,
        base,
        _server: server,
        _driver: driver,
        _profile: profile,
        _sb: sb,
    }
}

/// `/api/search?q=...` as the page asks it (first page of ten).
fn api_search(base: &str, q: &str) -> Value {
    let mut resp = ureq::get(format!("{base}/api/search"))
        .query("q", q)
        .query("limit", "10")
        .call()
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// The id of the paper titled exactly `title`, found through the API.
fn id_of_title(base: &str, title: &str) -> String {
    let res = api_search(base, title);
    let hit = res["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == title)
        .unwrap_or_else(|| panic!("no paper titled {title:?} in the samples: {res}"));
    hit["id"].as_str().unwrap().to_string()
}

/// Percent-encodes a URL query value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Waits until the page has searched for exactly `q` (the URL holds it: the debounced search
/// writes it just before it sends the request) and the answer is rendered (no aria-busy).
async fn wait_settled(client: &Client, q: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let done = client
            .execute(
                "return new URLSearchParams(location.search).get('q') === arguments[0]
                    && !document.getElementById('results').hasAttribute('aria-busy');",
                vec![json!(q)],
            )
            .await
            .unwrap();
        if done == json!(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the page never finished searching for {q:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Text of the first element matching `css`.
async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Asserts the red error line is hidden and empty.
async fn assert_no_error(client: &Client, when: &str) {
    let error = client.find(Locator::Css("#error")).await.unwrap();
    let text = error.html(true).await.unwrap();
    assert!(
        !error.is_displayed().await.unwrap() && text.is_empty(),
        "an error is shown {when}: {text:?}"
    );
}

/// What "#count" says about which papers it counts, for a response's `matched`.
fn which_papers(res: &Value) -> &'static str {
    match res["matched"].as_str().unwrap() {
        "all" => "with every word",
        "most" => "with most of the words",
        "any" => "with any of the words",
        other => panic!("unknown matched {other:?}"),
    }
}

/// "#reading" shows the response's notes joined (backquotes become <code>, not text).
fn reading_of(res: &Value) -> String {
    res["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().replace('`', ""))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The `data-id` of the first result.
async fn first_hit_id(client: &Client) -> String {
    client
        .find(Locator::Css("#results > .hit"))
        .await
        .unwrap()
        .attr("data-id")
        .await
        .unwrap()
        .expect("hits carry data-id")
}

fn api_total(base: &str, query: &str) -> u64 {
    let mut resp = ureq::get(format!("{base}/api/search?{query}&limit=0"))
        .call()
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    body["total"].as_u64().unwrap()
}

/// Waits until the "#count" line shows `expected` papers and the results are on the page.
async fn wait_for_count(client: &Client, expected: u64, when: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = client
            .find(Locator::Css("#count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let hits = client.find_all(Locator::Css(".hit")).await.unwrap();
        if count_of(&text) == Some(expected) && !hits.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "count `{text}` never became {expected} {when}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The leading number of the "N papers" line.
fn count_of(text: &str) -> Option<u64> {
    text.split(|c: char| !c.is_ascii_digit() && c != ',')
        .find(|s| !s.is_empty())?
        .replace(',', "")
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_searches_and_filters_in_a_real_browser() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let wait = || client.wait().at_most(Duration::from_secs(10));

    client.goto(base).await.unwrap();
    let search = wait().for_element(Locator::Css("#q")).await.unwrap();
    search.send_keys("attention").await.unwrap();

    // Results arrive as you type, and the count agrees with the API.
    let expected = api_total(base, "q=attention");
    wait_for_count(client, expected, "as you type").await;
    let first_title = client
        .find(Locator::Css(".hit .hit-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!first_title.is_empty());
    let marks = client.find_all(Locator::Css(".hit mark")).await.unwrap();
    assert!(!marks.is_empty(), "snippets highlight the query");

    // Click a topic facet: the results are filtered to it.
    let facet = wait()
        .for_element(Locator::Css(".facet[data-path=\"/arxiv\"]"))
        .await
        .unwrap();
    facet.click().await.unwrap();
    let filtered = api_total(base, "q=attention&topic=/arxiv");
    assert!(
        filtered < expected,
        "the facet must narrow the results ({filtered} vs {expected})"
    );
    wait_for_count(client, filtered, "after the facet click").await;
    assert!(
        !client
            .find_all(Locator::Css(".chip"))
            .await
            .unwrap()
            .is_empty(),
        "an active filter chip is shown"
    );
    let hit_ids: Vec<String> = {
        let mut ids = Vec::new();
        for hit in client.find_all(Locator::Css(".hit")).await.unwrap() {
            ids.push(
                hit.attr("data-id")
                    .await
                    .unwrap()
                    .expect("hits carry data-id"),
            );
        }
        ids
    };
    assert!(!hit_ids.is_empty());
    for id in &hit_ids {
        let mut resp = ureq::get(format!("{base}/api/papers/{id}")).call().unwrap();
        let paper: serde_json::Value =
            serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        let topics = paper["topics"].as_array().unwrap();
        assert!(
            topics
                .iter()
                .any(|t| t.as_str().unwrap().starts_with("/arxiv")),
            "{id} is not under /arxiv"
        );
    }

    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let out = std::env::var("PAPERDEX_SCREENSHOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_TARGET_TMPDIR"), "/search-page.png").to_string());
    std::fs::write(out, png).unwrap();
    b.client.close().await.unwrap();
}

/// A pasted title with a colon is not query syntax (`XAttention` is no field): no error, the
/// paper comes first, and a quiet line says how the text was read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_title_with_a_colon_finds_the_paper_without_an_error() {
    const TITLE: &str = "XAttention: Block Sparse Attention with Antidiagonal Scoring";
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let id = id_of_title(base, TITLE);
    let res = api_search(base, TITLE);
    assert_eq!(res["interpreted"], "words", "{res}");
    assert!(
        res["notes"].as_array().is_some_and(|n| !n.is_empty()),
        "{res}"
    );

    client.goto(base).await.unwrap();
    let q = client.wait().for_element(Locator::Css("#q")).await.unwrap();
    q.send_keys(TITLE).await.unwrap();
    wait_settled(client, TITLE).await;

    assert_no_error(client, "for a pasted title").await;
    assert_eq!(first_hit_id(client).await, id);
    assert_eq!(text_of(client, "#results > .hit .hit-title").await, TITLE);
    let count = text_of(client, "#count").await;
    assert_eq!(count_of(&count), res["total"].as_u64(), "{count}");
    assert!(count.contains(which_papers(&res)), "{count} for {res}");
    let reading = client.find(Locator::Css("#reading")).await.unwrap();
    assert!(reading.is_displayed().await.unwrap());
    assert_eq!(reading.text().await.unwrap(), reading_of(&res));
    assert!(
        !client
            .find_all(Locator::Css("#reading code"))
            .await
            .unwrap()
            .is_empty(),
        "`XAttention` in the note is shown as code"
    );

    // For a person to look at: the count line, the reading under it, the paper first.
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let out = std::env::var("PAPERDEX_READING_SCREENSHOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_TARGET_TMPDIR"), "/page-reading.png").to_string());
    std::fs::write(out, png).unwrap();

    // A single word: no note, the line goes away; the count says nothing about words.
    q.clear().await.unwrap();
    q.send_keys("attention").await.unwrap();
    wait_settled(client, "attention").await;
    assert!(!client
        .find(Locator::Css("#reading"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());
    let count = text_of(client, "#count").await;
    assert!(!count.contains("word"), "{count}");

    // A pasted text over the server's 4096 bytes (the abstract, three times): the page sends
    // it whole, the server searches its opening and says so; still no error.
    let paper: Value = serde_json::from_str(
        &ureq::get(format!("{base}/api/papers/{id}"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let abstract_text = paper["abstract"].as_str().unwrap().split_whitespace();
    let long = vec![abstract_text.collect::<Vec<_>>().join(" "); 3].join(" ");
    assert!(long.len() > 4096, "{} bytes", long.len());
    client
        .execute(
            "const q = document.getElementById('q');
             q.value = arguments[0];
             q.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(long)],
        )
        .await
        .unwrap();
    wait_settled(client, &long).await;
    assert_no_error(client, "for a pasted text over 4096 bytes").await;
    assert_eq!(first_hit_id(client).await, id);
    let res = api_search(base, &long);
    assert!(
        res["notes"].as_array().is_some_and(|n| !n.is_empty()),
        "the server says it cut the text: {res}"
    );
    assert_eq!(text_of(client, "#reading").await, reading_of(&res));
    b.client.close().await.unwrap();
}

/// A phrase typed key by key with its closing quote still missing: at no point does the page
/// show an error (every search it sends answers 200), and the paper comes first at the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_typed_phrase_never_shows_an_error_while_typing() {
    const TYPED: &str = "\"Native Sparse";
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let id = id_of_title(
        base,
        "Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention",
    );

    client.goto(base).await.unwrap();
    let q = client.wait().for_element(Locator::Css("#q")).await.unwrap();
    // Record every status of /api/search, and any moment #error is shown or has text.
    client
        .execute(
            "window.seen = { statuses: [], errors: [] };
             const fetch0 = window.fetch;
             window.fetch = async (...args) => {
               const r = await fetch0(...args);
               if (String(args[0]).includes('api/search')) window.seen.statuses.push(r.status);
               return r;
             };
             const e = document.getElementById('error');
             new MutationObserver(() => { if (!e.hidden || e.textContent) window.seen.errors.push(e.textContent); })
               .observe(e, { attributes: true, childList: true, characterData: true, subtree: true });",
            vec![],
        )
        .await
        .unwrap();

    let mut typed = String::new();
    for (i, c) in TYPED.chars().enumerate() {
        q.send_keys(&c.to_string()).await.unwrap();
        typed.push(c);
        // Some keys quickly, some slowly enough for the debounced search to run on the prefix.
        let pause = if i % 3 == 2 { 60 } else { 260 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        assert_no_error(client, &format!("after typing {typed:?}")).await;
    }
    wait_settled(client, TYPED).await;
    assert_no_error(client, "at the end").await;

    let seen = client.execute("return window.seen;", vec![]).await.unwrap();
    let statuses = seen["statuses"].as_array().unwrap();
    assert!(
        statuses.len() >= 5,
        "the page searched as it was typed: {seen}"
    );
    assert!(statuses.iter().all(|s| s == 200), "{seen}");
    assert_eq!(seen["errors"], json!([]), "#error was never shown: {seen}");

    assert_eq!(first_hit_id(client).await, id);
    let res = api_search(base, TYPED);
    let count = text_of(client, "#count").await;
    assert_eq!(count_of(&count), res["total"].as_u64(), "{count}");
    assert!(count.contains(which_papers(&res)), "{count} for {res}");
    assert_eq!(res["interpreted"], "words", "{res}");
    assert!(
        res["notes"].as_array().is_some_and(|n| !n.is_empty()),
        "{res}"
    );
    assert_eq!(text_of(client, "#reading").await, reading_of(&res));
    b.client.close().await.unwrap();
}

/// `?paper=` takes the id in any form people paste; the detail and its similar papers load,
/// and the address is rewritten to the paper's own id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paper_param_takes_any_form_of_the_id() {
    const TITLE: &str = "XAttention: Block Sparse Attention with Antidiagonal Scoring";
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let id = id_of_title(base, TITLE);
    for form in [
        format!("arXiv:{id}v2"),
        format!("https://arxiv.org/abs/{id}"),
        id.clone(),
    ] {
        client
            .goto(&format!("{base}/?paper={}", url_encode(&form)))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let title = text_of(client, "#detail-title").await;
            let similar = client.find_all(Locator::Css(".similar")).await.unwrap();
            if title == TITLE && !similar.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "?paper={form}: detail {title:?}, {} similar",
                similar.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            client
                .find(Locator::Css("#detail .error"))
                .await
                .map(|_| ())
                .ok(),
            None,
            "?paper={form} shows an error"
        );
        let url = client.current_url().await.unwrap();
        let paper = url
            .query_pairs()
            .find(|(k, _)| k == "paper")
            .map(|(_, v)| v.into_owned());
        assert_eq!(paper.as_deref(), Some(id.as_str()), "{url}");
    }
    b.client.close().await.unwrap();
}

// ---- issue 23, item 4: the page

/// `GET base+path` as JSON.
fn get_json(base: &str, path: &str) -> Value {
    let mut resp = ureq::get(format!("{base}{path}")).call().unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

/// Polls the script `js` (a function body, `arguments` from `args`) until it returns true.
async fn wait_until(client: &Client, js: &str, args: Vec<Value>, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = client.execute(js, args.clone()).await.unwrap();
        if v == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "never true: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `2181` -> `2,181`, as the page writes counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Saves a screenshot under the test's temporary directory, for a person to look at.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(format!("{}/{name}", env!("CARGO_TARGET_TMPDIR")), png).unwrap();
}

/// The value of `key` in the page's address.
async fn url_param(client: &Client, key: &str) -> Option<String> {
    let url = client.current_url().await.unwrap();
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Opens the page at `?query` and waits for its first search to be rendered.
async fn open_at(client: &Client, base: &str, query: &str, q: &str) {
    client.goto(&format!("{base}/?{query}")).await.unwrap();
    wait_until(
        client,
        "return (new URLSearchParams(location.search).get('q') || '') === arguments[0]
            && !document.getElementById('results').hasAttribute('aria-busy')
            && document.querySelectorAll('#results > .hit').length > 0;",
        vec![json!(q)],
        &format!("results for ?{query}"),
    )
    .await;
}

/// arXiv papers have a PDF link right after their abstract link, in the results and the
/// detail; papers without an arXiv id (newsletter-only, `t:...`) have none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arxiv_papers_link_their_pdf_beside_the_abstract() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=agents", "agents").await;
    let rows = client
        .execute(
            "return [...document.querySelectorAll('#results > .hit')].map((h) => {
               const pdf = h.querySelector('a.pdf');
               return { id: h.dataset.id, pdf: pdf && pdf.href,
                        before: pdf && pdf.previousElementSibling && pdf.previousElementSibling.href };
             });",
            vec![],
        )
        .await
        .unwrap();
    let res = api_search(base, "agents");
    let hits = res["hits"].as_array().unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), hits.len());
    let (mut arxiv, mut other) = (0, 0);
    for (row, hit) in rows.iter().zip(hits) {
        let id = hit["id"].as_str().unwrap();
        assert_eq!(row["id"], id);
        if id.starts_with("t:") {
            other += 1;
            assert_eq!(row["pdf"], Value::Null, "{id} has no PDF: {row}");
        } else {
            arxiv += 1;
            assert_eq!(row["pdf"], format!("https://arxiv.org/pdf/{id}"), "{row}");
            assert_eq!(row["before"], hit["url"], "beside the abstract link: {row}");
        }
    }
    assert!(arxiv > 0 && other > 0, "both kinds on the page: {rows:?}");

    let id = hits
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .find(|id| !id.starts_with("t:"));
    let id = id.unwrap();
    client.goto(&format!("{base}/?paper={id}")).await.unwrap();
    let pdf = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#detail .meta a.pdf"))
        .await
        .unwrap();
    assert_eq!(
        pdf.attr("href").await.unwrap().as_deref(),
        Some(format!("https://arxiv.org/pdf/{id}").as_str())
    );
    b.client.close().await.unwrap();
}

/// An author's name is a link that searches `author:"Name"`, the API's author search: every
/// result is theirs, and Back returns to the search before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authors_are_links_that_search_for_that_author() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=agents", "agents").await;
    let link = client
        .find(Locator::Css("#results > .hit a.author"))
        .await
        .unwrap();
    let name = link.text().await.unwrap();
    let q = format!("author:\"{name}\"");
    assert_eq!(
        link.attr("href").await.unwrap(),
        Some(format!("?q={}", url_encode(&q)))
    );
    link.click().await.unwrap();
    wait_settled(client, &q).await;
    assert_no_error(client, "after an author click").await;
    let res = api_search(base, &q);
    let total = res["total"].as_u64().unwrap();
    assert!(total >= 1, "{res}");
    assert_eq!(count_of(&text_of(client, "#count").await), Some(total));
    for hit in res["hits"].as_array().unwrap() {
        assert!(
            hit["authors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == &json!(name)),
            "{name} wrote {hit}"
        );
    }
    assert_eq!(
        first_hit_id(client).await,
        res["hits"][0]["id"].as_str().unwrap()
    );
    // The detail's authors are links too.
    let id = first_hit_id(client).await;
    client
        .find(Locator::Css("#results > .hit .hit-title"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let in_detail = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#detail .detail-authors a.author"))
        .await
        .unwrap();
    assert!(!in_detail.text().await.unwrap().is_empty(), "{id}");
    client.back().await.unwrap();
    client.back().await.unwrap();
    wait_settled(client, "agents").await;
    b.client.close().await.unwrap();
}

/// `/api/facets` labels arXiv paths; the tree, the result tags and the filter chips show
/// "cs.CL Computation and Language", and groups their names ("cs Computer Science").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_show_their_arxiv_names_and_group_names() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let facets = get_json(base, "/api/facets");
    assert_eq!(
        facets["labels"]["/arxiv/cs/CL"],
        "cs.CL Computation and Language"
    );
    assert_eq!(facets["labels"]["/arxiv/cs"], "cs Computer Science");
    assert_eq!(facets["labels"]["/arxiv/math"], "math Mathematics");
    assert!(facets["labels"].get("/newsletter").is_none(), "{facets}");
    assert!(facets["topic"]["/arxiv/cs/CL"].as_u64().unwrap() > 0);

    open_at(client, base, "", "").await;
    let wait = || client.wait().at_most(Duration::from_secs(10));
    for path in ["/arxiv", "/arxiv/cs"] {
        wait()
            .for_element(Locator::Css(&format!(".twisty[data-path=\"{path}\"]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    let group = text_of(client, ".facet[data-path=\"/arxiv/cs\"] .name").await;
    assert_eq!(group, "cs Computer Science");
    let math = text_of(client, ".facet[data-path=\"/arxiv/math\"] .name").await;
    assert_eq!(math, "math Mathematics");
    let cl = wait()
        .for_element(Locator::Css(".facet[data-path=\"/arxiv/cs/CL\"] .name"))
        .await
        .unwrap();
    assert_eq!(cl.text().await.unwrap(), "cs.CL Computation and Language");
    screenshot(client, "page-topic-names.png").await;

    open_at(client, base, "q=&topic=%2Farxiv%2Fcs%2FCL", "").await;
    let tag = text_of(client, "#results .tag[data-path=\"/arxiv/cs/CL\"]").await;
    assert_eq!(tag, "cs.CL Computation and Language");
    let chip = text_of(client, ".chip[data-path=\"/arxiv/cs/CL\"]").await;
    assert!(chip.starts_with("cs.CL Computation and Language"), "{chip}");

    // A paper opened straight from its address, before the labels have come, gets them too.
    let id = first_hit_id(client).await;
    client.goto(&format!("{base}/?paper={id}")).await.unwrap();
    wait_until(
        client,
        "const t = document.querySelector('#detail .tag[data-path=\"/arxiv/cs/CL\"]');
         return !!t && t.textContent === 'cs.CL Computation and Language';",
        vec![],
        "the detail's topics are labelled",
    )
    .await;
    b.client.close().await.unwrap();
}

/// Opening a paper is a history entry: Back closes the detail and leaves the results as they
/// were, Forward opens it again, and Close goes back the same way (no extra entry).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_closes_the_detail_panel() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=attention", "attention").await;
    let length = || async {
        client
            .execute("return history.length;", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap()
    };
    let before = length().await;
    let id = first_hit_id(client).await;
    let detail_open = "return !document.getElementById('detail').hidden
        && !!document.querySelector('#detail-title');";
    let detail_closed = "return document.getElementById('detail').hidden;";
    let open_first = || async {
        client
            .find(Locator::Css("#results > .hit .hit-title"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until(client, detail_open, vec![], "the detail opens").await;
    };
    open_first().await;
    assert_eq!(
        url_param(client, "paper").await.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(length().await, before + 1, "opening a paper is an entry");

    client.back().await.unwrap();
    wait_until(client, detail_closed, vec![], "Back closes the detail").await;
    assert_eq!(url_param(client, "paper").await, None);
    assert_eq!(url_param(client, "q").await.as_deref(), Some("attention"));
    assert_eq!(first_hit_id(client).await, id, "the results stay");

    client.forward().await.unwrap();
    wait_until(client, detail_open, vec![], "Forward opens it again").await;
    assert_eq!(
        url_param(client, "paper").await.as_deref(),
        Some(id.as_str())
    );

    // Close (and Esc) go back from the paper's entry: Back then leaves the page's search.
    client
        .find(Locator::Css("#detail-close"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(client, detail_closed, vec![], "Close closes the detail").await;
    wait_until(
        client,
        "return !new URLSearchParams(location.search).has('paper');",
        vec![],
        "Close takes the paper out of the address",
    )
    .await;
    open_first().await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    wait_until(client, detail_closed, vec![], "Esc closes the detail").await;
    assert_eq!(url_param(client, "q").await.as_deref(), Some("attention"));

    // Paper to similar paper: Back steps back one paper, Close closes them all.
    open_first().await;
    let similar = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#detail .similar"))
        .await
        .unwrap();
    let other = similar.attr("data-id").await.unwrap().unwrap();
    similar.click().await.unwrap();
    wait_until(
        client,
        "return new URLSearchParams(location.search).get('paper') === arguments[0];",
        vec![json!(other)],
        "the similar paper opens",
    )
    .await;
    client.back().await.unwrap();
    wait_until(
        client,
        "return new URLSearchParams(location.search).get('paper') === arguments[0]
            && !document.getElementById('detail').hidden;",
        vec![json!(id)],
        "Back returns to the first paper",
    )
    .await;
    client.forward().await.unwrap();
    wait_until(
        client,
        "return new URLSearchParams(location.search).get('paper') === arguments[0];",
        vec![json!(other)],
        "Forward to the similar paper",
    )
    .await;
    client
        .find(Locator::Css("#detail-close"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        client,
        "return document.getElementById('detail').hidden
            && !new URLSearchParams(location.search).has('paper');",
        vec![],
        "Close leaves both papers",
    )
    .await;
    assert_eq!(url_param(client, "q").await.as_deref(), Some("attention"));
    b.client.close().await.unwrap();
}

/// While a new search is out, the count line and the results it counts are greyed, still
/// showing the old answer; the new answer brings them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_line_greys_out_while_a_search_is_in_flight() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=attention", "attention").await;
    let old = text_of(client, "#count").await;
    // Searches wait for the test's go-ahead.
    client
        .execute(
            "window.held = [];
             const fetch0 = window.fetch;
             window.fetch = async (...args) => {
               if (String(args[0]).includes('api/search')) await new Promise((go) => window.held.push(go));
               return fetch0(...args);
             };",
            vec![],
        )
        .await
        .unwrap();
    let q = client.find(Locator::Css("#q")).await.unwrap();
    q.clear().await.unwrap();
    q.send_keys("sparse").await.unwrap();
    let greyed = "const c = document.getElementById('count');
        return c.classList.contains('pending') && document.getElementById('results').classList.contains('pending')
            && parseFloat(getComputedStyle(c).opacity) < 0.7 && window.held.length > 0;";
    wait_until(client, greyed, vec![], "the count line greys out").await;
    assert_eq!(text_of(client, "#count").await, old, "the old count stays");
    screenshot(client, "page-stale-count.png").await;

    client
        .execute("window.held.splice(0).forEach((go) => go());", vec![])
        .await
        .unwrap();
    wait_settled(client, "sparse").await;
    wait_until(
        client,
        "const c = document.getElementById('count');
         return !c.classList.contains('pending') && parseFloat(getComputedStyle(c).opacity) === 1;",
        vec![],
        "the count line is itself again",
    )
    .await;
    let res = api_search(base, "sparse");
    assert_eq!(
        count_of(&text_of(client, "#count").await),
        res["total"].as_u64()
    );
    b.client.close().await.unwrap();
}

/// "Newest first" does not rank by score, so "Favour recent" is disabled under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favour_recent_is_disabled_under_newest_first() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=attention", "attention").await;
    let recency = client.find(Locator::Css("#recency")).await.unwrap();
    assert!(recency.is_enabled().await.unwrap());
    let sort = client.find(Locator::Css("#sort")).await.unwrap();
    sort.select_by_value("date").await.unwrap();
    wait_until(
        client,
        "return document.getElementById('recency').disabled
            && new URLSearchParams(location.search).get('sort') === 'date';",
        vec![],
        "Favour recent is disabled under Newest first",
    )
    .await;
    sort.select_by_value("relevance").await.unwrap();
    wait_until(
        client,
        "return !document.getElementById('recency').disabled;",
        vec![],
        "and enabled again under Relevance",
    )
    .await;
    // Straight from an address too.
    open_at(client, base, "q=attention&sort=date", "attention").await;
    let recency = client.find(Locator::Css("#recency")).await.unwrap();
    assert!(!recency.is_enabled().await.unwrap());
    b.client.close().await.unwrap();
}

/// The histogram names its months under the bars, readable without hovering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_names_are_shown_under_the_histogram() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    open_at(client, base, "q=", "").await;
    let cols = client
        .execute(
            "return [...document.querySelectorAll('#bars .hcol')].map((c) => {
               const bar = c.querySelector('.bar, .bar-empty'), m = c.querySelector('.hmonth');
               const box = m ? m.getBoundingClientRect() : { width: 0, height: 0 };
               return { month: bar.dataset.month || null, label: m ? m.textContent : null,
                        shown: box.width > 0 && box.height > 0 && getComputedStyle(m).visibility === 'visible' };
             });",
            vec![],
        )
        .await
        .unwrap();
    const ABBR: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let facets = get_json(base, "/api/facets");
    let months: Vec<&String> = facets["date"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.len() == 8)
        .collect();
    let cols = cols.as_array().unwrap();
    let bars: Vec<&Value> = cols.iter().filter(|c| c["month"].is_string()).collect();
    assert_eq!(bars.len(), months.len(), "{cols:?}");
    // A dozen or so months at 1280 px: every one is named.
    for col in bars {
        let month = col["month"].as_str().unwrap();
        let n: usize = month[5..].parse().unwrap();
        assert_eq!(col["label"], ABBR[n - 1], "{col}");
        assert_eq!(col["shown"], true, "{col}");
    }
    screenshot(client, "page-months.png").await;
    b.client.close().await.unwrap();
}

/// A level of the topic tree with more than 12 children (arXiv's cs in the real listings)
/// gets a filter box that narrows it by code or name; Esc empties it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_topic_level_has_a_filter_box() {
    let sb = Sandbox::new();
    let slice = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings-slice.jsonl.gz");
    sb.index_files(&[slice]);
    let b = browser_on(sb).await;
    let (client, base) = (&b.client, b.base.as_str());
    let facets = get_json(base, "/api/facets");
    let children = |parent: &str| -> Vec<String> {
        let topic = facets["topic"].as_object().unwrap();
        let prefix = format!("{parent}/");
        topic
            .keys()
            .filter(|k| k.starts_with(&prefix) && !k[prefix.len()..].contains('/'))
            .cloned()
            .collect()
    };
    let cs = children("/arxiv/cs");
    assert!(cs.len() > 12, "{cs:?}");
    assert!(children("").len() <= 12);

    open_at(client, base, "", "").await;
    let wait = || client.wait().at_most(Duration::from_secs(10));
    assert!(client
        .find_all(Locator::Css(".topic-filter[data-parent=\"\"]"))
        .await
        .unwrap()
        .is_empty());
    for path in ["/arxiv", "/arxiv/cs"] {
        wait()
            .for_element(Locator::Css(&format!(".twisty[data-path=\"{path}\"]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    let filter = wait()
        .for_element(Locator::Css(".topic-filter[data-parent=\"/arxiv/cs\"]"))
        .await
        .unwrap();
    let label = filter.attr("aria-label").await.unwrap().unwrap();
    assert!(label.contains("cs Computer Science"), "{label}");
    filter.send_keys("language").await.unwrap();
    let expected: Vec<String> = cs
        .iter()
        .filter(|p| {
            let l = facets["labels"][p.as_str()].as_str().unwrap_or("");
            l.to_lowercase().contains("language")
        })
        .cloned()
        .collect();
    assert!(
        expected.contains(&"/arxiv/cs/CL".to_string()),
        "{expected:?}"
    );
    let shown = "return [...document.querySelector('.topic-filter[data-parent=\"/arxiv/cs\"]')
            .closest('ul').querySelectorAll(':scope > li > .node > .facet')].map((f) => f.dataset.path).sort();";
    let mut want = expected.clone();
    want.sort();
    wait_until(
        client,
        &format!("return JSON.stringify((() => {{ {shown} }})()) === arguments[0];"),
        vec![json!(serde_json::to_string(&want).unwrap())],
        "the filter keeps the topics whose name has the words",
    )
    .await;
    // Typing keeps the focus in the box (the tree is drawn anew under it).
    let focused = client
        .execute(
            "return document.activeElement.matches('.topic-filter[data-parent=\"/arxiv/cs\"]');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, json!(true));
    screenshot(client, "page-topic-filter.png").await;

    client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    wait_until(
        client,
        &format!("return (() => {{ {shown} }})().length === 8;"),
        vec![],
        "Esc empties the box: the first 8 again",
    )
    .await;
    b.client.close().await.unwrap();
}

/// The home page (nothing typed, no filter) says what the index holds: how many papers, from
/// when to when, from which sources, and the most common topics, each a filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_shows_what_the_index_holds() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let health = get_json(base, "/health");
    let facets = get_json(base, "/api/facets");
    client.goto(base).await.unwrap();
    let overview = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#overview .overview-papers"))
        .await
        .unwrap();
    let papers = health["papers"].as_u64().unwrap();
    assert!(papers > 100, "{health}");
    assert_eq!(
        overview.text().await.unwrap(),
        format!("{} papers", thousands(papers))
    );
    let dates = text_of(client, "#overview .overview-dates").await;
    assert_eq!(
        dates,
        format!(
            "{} to {}",
            health["first_date"].as_str().unwrap(),
            health["last_date"].as_str().unwrap()
        )
    );
    let line = text_of(client, "#overview .overview-line").await;
    assert!(line.contains("newsletter"), "{line}");

    // The top topics are the leaves of the tree with the most papers.
    let topic = facets["topic"].as_object().unwrap();
    let mut leaves: Vec<(&String, u64)> = topic
        .iter()
        .filter(|(p, _)| !topic.keys().any(|q| q.starts_with(&format!("{p}/"))))
        .map(|(p, n)| (p, n.as_u64().unwrap()))
        .collect();
    leaves.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let want: Vec<&String> = leaves.iter().take(8).map(|(p, _)| *p).collect();
    let shown = client
        .execute(
            "return [...document.querySelectorAll('#overview .top-topic')].map((b) => b.dataset.path);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(want));
    let first = want[0].as_str();
    let button = client
        .find(Locator::Css(&format!(
            "#overview .top-topic[data-path=\"{first}\"]"
        )))
        .await
        .unwrap();
    if let Some(label) = facets["labels"][first].as_str() {
        assert!(button.text().await.unwrap().starts_with(label));
    }
    screenshot(client, "page-home.png").await;

    // A topic from it filters; the overview makes way for the filtered results.
    button.click().await.unwrap();
    wait_for_count(
        client,
        topic[first].as_u64().unwrap(),
        "after a top topic click",
    )
    .await;
    let overview = client.find(Locator::Css("#overview")).await.unwrap();
    assert!(!overview.is_displayed().await.unwrap());
    client.back().await.unwrap();
    wait_until(
        client,
        "return !document.getElementById('overview').hidden;",
        vec![],
        "the overview is back with the unfiltered page",
    )
    .await;
    client
        .find(Locator::Css("#q"))
        .await
        .unwrap()
        .send_keys("attention")
        .await
        .unwrap();
    wait_settled(client, "attention").await;
    assert!(!overview.is_displayed().await.unwrap());
    b.client.close().await.unwrap();
}

/// The copy buttons put a paper's id, and its entry from `/api/papers/{id}/cite?format=bibtex`,
/// on the clipboard and say "Copied" for a moment: through the async Clipboard API (stubbed
/// here to record what it is given), else through a selected textarea and `execCommand`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_buttons_copy_the_id_and_the_bibtex_entry() {
    let b = browser().await;
    let (client, base) = (&b.client, b.base.as_str());
    let stub = "window.copied = [];
        Object.defineProperty(navigator, 'clipboard', { configurable: true,
          value: { writeText: async (t) => { window.copied.push(t); } } });";
    let bibtex = |id: &str| {
        let mut resp = ureq::get(format!(
            "{base}/api/papers/{}/cite?format=bibtex",
            url_encode(id)
        ))
        .call()
        .unwrap();
        resp.body_mut().read_to_string().unwrap()
    };
    // Scrolled to the middle first: WebDriver clicks what is in the viewport as it stands,
    // even under the sticky header.
    let click = |css: String| async move {
        client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
                vec![json!(css)],
            )
            .await
            .unwrap();
        client
            .find(Locator::Css(&css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    };
    let copied = |n: usize| {
        format!(
            "return window.copied.length === {n} ? window.copied[{}] : null;",
            n - 1
        )
    };

    open_at(client, base, "q=agents", "agents").await;
    client.execute(stub, vec![]).await.unwrap();
    let ids = client
        .execute(
            "return [...document.querySelectorAll('#results > .hit')].map((h) => h.dataset.id);",
            vec![],
        )
        .await
        .unwrap();
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    let button = |i: usize, kind: &str| {
        format!(
            "#results > .hit:nth-child({}) .copy[data-copy=\"{kind}\"]",
            i + 1
        )
    };

    click(button(0, "id")).await;
    wait_until(
        client,
        "return window.copied.length === 1;",
        vec![],
        "the id is copied",
    )
    .await;
    let got = client.execute(&copied(1), vec![]).await.unwrap();
    assert_eq!(got, json!(ids[0]));
    assert_eq!(text_of(client, &button(0, "id")).await, "Copied");
    assert!(text_of(client, "#announce").await.starts_with("Copied"));
    wait_until(
        client,
        "return document.querySelector(arguments[0]).textContent === arguments[1];",
        vec![json!(button(0, "id")), json!(ids[0])],
        "the button shows the id again",
    )
    .await;

    // A newsletter-only paper (t:...) has an entry too: @misc with what is known.
    let other = ids.iter().position(|id| id.starts_with("t:")).unwrap();
    for (n, i) in [(2, 0), (3, other)] {
        click(button(i, "bibtex")).await;
        wait_until(
            client,
            &format!("return window.copied.length === {n};"),
            vec![],
            "the BibTeX entry is copied",
        )
        .await;
        let got = client.execute(&copied(n), vec![]).await.unwrap();
        let entry = bibtex(&ids[i]);
        assert!(entry.starts_with('@'), "{entry}");
        assert_eq!(got, json!(entry));
        assert_eq!(text_of(client, &button(i, "bibtex")).await, "Copied");
    }

    // No Clipboard API (plain http on a LAN name, older browsers): the textarea fallback.
    client
        .execute(
            "Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
             window.fallback = null;
             document.execCommand = (cmd) => { window.fallback = [cmd, document.activeElement.value]; return true; };",
            vec![],
        )
        .await
        .unwrap();
    click(button(1, "id")).await;
    wait_until(
        client,
        "return window.fallback !== null;",
        vec![],
        "execCommand copies",
    )
    .await;
    let fallback = client
        .execute("return window.fallback;", vec![])
        .await
        .unwrap();
    assert_eq!(fallback, json!(["copy", ids[1]]));
    assert_eq!(text_of(client, &button(1, "id")).await, "Copied");
    // And when that is refused too, the button says so.
    client
        .execute("document.execCommand = () => false;", vec![])
        .await
        .unwrap();
    click(button(2, "id")).await;
    wait_until(
        client,
        "return document.querySelector(arguments[0]).textContent === 'Copy failed';",
        vec![json!(button(2, "id"))],
        "a refused copy says so",
    )
    .await;

    // The detail panel has both buttons.
    client
        .goto(&format!("{base}/?paper={}", url_encode(&ids[0])))
        .await
        .unwrap();
    let bib = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#detail .copy[data-copy=\"bibtex\"]"))
        .await
        .unwrap();
    client.execute(stub, vec![]).await.unwrap();
    bib.click().await.unwrap();
    wait_until(
        client,
        "return window.copied.length === 1;",
        vec![],
        "the detail's BibTeX is copied",
    )
    .await;
    let got = client.execute(&copied(1), vec![]).await.unwrap();
    assert_eq!(got, json!(bibtex(&ids[0])));
    screenshot(client, "page-detail.png").await;
    b.client.close().await.unwrap();
}
