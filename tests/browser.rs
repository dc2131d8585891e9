//! The search page in a real headless Chromium (Debian's chromium + chromium-driver), driven
//! over WebDriver with fantoccini: type a query, see results, click a topic facet, see the
//! filtered results agree with the API.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

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

fn api_total(base: &str, query: &str) -> u64 {
    let mut resp = ureq::get(format!("{base}/api/search?{query}&limit=0"))
        .call()
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    body["total"].as_u64().unwrap()
}

/// Waits until the "#count" line shows `expected` papers and the results are on the page.
async fn wait_for_count(client: &fantoccini::Client, expected: u64, when: &str) {
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
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let chromedriver = find_program(&["chromedriver"]);
    let sb = Sandbox::with_all_samples();
    let (_server, base) = serve(&sb);
    let port = free_port();
    let _driver = Killed(
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
    let wait = || client.wait().at_most(Duration::from_secs(10));

    client.goto(&base).await.unwrap();
    let search = wait().for_element(Locator::Css("#q")).await.unwrap();
    search.send_keys("attention").await.unwrap();

    // Results arrive as you type, and the count agrees with the API.
    let expected = api_total(&base, "q=attention");
    wait_for_count(&client, expected, "as you type").await;
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
    let filtered = api_total(&base, "q=attention&topic=/arxiv");
    assert!(
        filtered < expected,
        "the facet must narrow the results ({filtered} vs {expected})"
    );
    wait_for_count(&client, filtered, "after the facet click").await;
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
    client.close().await.unwrap();
}
