//! The search page in a real headless Chromium (Debian's chromium + chromium-driver), driven
//! over WebDriver with fantoccini: type a query, see results, click a topic facet, see the
//! filtered results agree with the API; paste a title or type half a phrase and never see an
//! error, only a quiet line on how the text was read; open a paper by any form of its id.

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
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let chromedriver = find_program(&["chromedriver"]);
    let sb = Sandbox::with_all_samples();
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
