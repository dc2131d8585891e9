//! Citations out (issue 23, item 1): BibTeX, CSL-JSON and reference lines through the library,
//! the CLI, HTTP and stdio; cite keys unique and stable; every generated entry of the fixtures
//! parsed back by a real BibTeX parser (the `biblatex` crate).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use biblatex::{Bibliography, ChunksExt, DateValue, PermissiveType};
use common::{all_sample_files, parse_json, write_file, Sandbox};
use serde_json::{json, Value};

use paperdex::cite::{CiteFormat, Name};
use paperdex::ingest::read::Input;
use paperdex::schema::SchemaConfig;
use paperdex::search::SearchRequest;
use paperdex::{Engine, Error, IndexOptions};

fn engine_over(dir: &Path, paths: &[PathBuf]) -> Engine {
    let engine = Engine::open_or_create(dir, SchemaConfig::builtin()).unwrap();
    let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
    engine.index(&inputs, &IndexOptions::default()).unwrap();
    engine
}

/// Every paper id in the index (an empty query matches every paper).
fn all_ids(engine: &Engine) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let response = engine
            .search(&SearchRequest {
                limit: Some(1000),
                offset: ids.len(),
                facets: Some(false),
                snippets: Some(false),
                ..SearchRequest::default()
            })
            .unwrap();
        if response.hits.is_empty() {
            break;
        }
        ids.extend(response.hits.into_iter().map(|h| h.id));
    }
    ids
}

/// One arXiv-listing JSON line with the given authors.
fn listing(id: &str, title: &str, authors: &[&str], date: &str) -> String {
    json!({
        "id": id, "title": title, "authors": authors, "categories": ["cs.CL"],
        "comment": null, "abstract": format!("An abstract about {title}."), "first_listed": date
    })
    .to_string()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn one(engine: &Engine, id: &str, format: CiteFormat) -> String {
    let mut c = engine.cite(&ids(&[id]), format).unwrap();
    assert_eq!(c.citations.len(), 1);
    c.citations.remove(0).text
}

fn key(engine: &Engine, id: &str) -> String {
    engine
        .cite(&ids(&[id]), CiteFormat::Bibtex)
        .unwrap()
        .citations[0]
        .key
        .clone()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `entry` with the biblatex crate and checks every field against the stored paper.
fn check_round_trip(engine: &Engine, id: &str, key: &str, entry: &str) {
    let paper = engine.get(id).unwrap();
    let bib = Bibliography::parse(entry)
        .unwrap_or_else(|e| panic!("{id}: biblatex cannot parse ({e:?}):\n{entry}"));
    assert_eq!(bib.len(), 1, "{id}: one entry in\n{entry}");
    let parsed = bib
        .get(key)
        .unwrap_or_else(|| panic!("{id}: no entry `{key}` in\n{entry}"));
    let title = parsed.title().unwrap().format_verbatim();
    assert_eq!(
        collapse(&title),
        // TeX reads `--` in text as an en dash, `---` as an em dash (LaTeX sources have them).
        collapse(
            &paper
                .title
                .replace(char::is_control, "")
                .replace("---", "\u{2014}")
                .replace("--", "\u{2013}")
        ),
        "{id}: title\n{entry}"
    );
    let authors = if paper.authors.is_empty() {
        assert!(parsed.author().is_err(), "{id}: no author field expected");
        Vec::new()
    } else {
        parsed.author().unwrap()
    };
    assert_eq!(authors.len(), paper.authors.len(), "{id}: authors\n{entry}");
    for (person, raw) in authors.iter().zip(&paper.authors) {
        let name = Name::parse(raw);
        if raw
            .split_whitespace()
            .skip(1)
            .any(|w| w.eq_ignore_ascii_case("and"))
        {
            // A company name (`Smith and Sons`) is one braced literal.
            assert_eq!(person.name, collapse(raw), "{id}: {raw}");
            continue;
        }
        assert_eq!(person.name, name.family, "{id}: surname of {raw}\n{entry}");
        assert_eq!(
            person.given_name, name.given,
            "{id}: given of {raw}\n{entry}"
        );
        assert_eq!(
            person.prefix,
            name.particle.clone().unwrap_or_default(),
            "{id}: particle of {raw}"
        );
    }
    match paper.date {
        Some(d) => {
            let PermissiveType::Typed(date) = parsed.date().unwrap() else {
                panic!("{id}: untyped date\n{entry}");
            };
            let DateValue::At(at) = date.value else {
                panic!("{id}: date range\n{entry}");
            };
            assert_eq!(at.year, d.year(), "{id}: year");
            assert_eq!(at.month, Some(d.month() as u8 - 1), "{id}: month (from 0)");
        }
        None => assert!(parsed.date().is_err(), "{id}: no date expected\n{entry}"),
    }
    match &paper.arxiv_id {
        Some(a) => {
            assert_eq!(&parsed.eprint().unwrap(), a, "{id}: eprint");
            let prefix = parsed.eprint_type().unwrap().format_verbatim();
            assert_eq!(prefix, "arXiv", "{id}: archivePrefix");
        }
        None => assert!(parsed.eprint().is_err(), "{id}: no eprint expected"),
    }
    match &paper.doi {
        Some(doi) => assert_eq!(&parsed.doi().unwrap(), doi, "{id}: doi"),
        None => assert!(parsed.doi().is_err(), "{id}: no doi expected"),
    }
}

#[test]
fn every_fixture_entry_parses_back_with_biblatex() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = all_sample_files();
    files
        .push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/listings-slice.jsonl.gz"));
    let engine = engine_over(dir.path(), &files);
    let ids = all_ids(&engine);
    assert!(ids.len() > 2000, "{} papers", ids.len());
    let mut keys = std::collections::HashSet::new();
    let mut document = String::new();
    for chunk in ids.chunks(paperdex::engine::MAX_CITE_IDS) {
        let cited = engine.cite(chunk, CiteFormat::Bibtex).unwrap();
        document.push_str(&cited.document());
        document.push('\n');
        for c in &cited.citations {
            check_round_trip(&engine, &c.id, &c.key, &c.text);
            assert!(keys.insert(c.key.clone()), "key {} given twice", c.key);
            assert!(
                c.key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "key {} is not plain ASCII",
                c.key
            );
        }
    }
    // The whole document is one valid .bib file too.
    let bib = Bibliography::parse(&document).unwrap();
    assert_eq!(bib.len(), ids.len());
}

/// A library where keys collide: two papers by Xu in 2025 starting with "Attention", an
/// O'Brien and an Obrien, an undated pair, a paper with LaTeX specials and accented names.
fn collision_library(dir: &Path) -> PathBuf {
    let lines = [
        listing(
            "2501.00002",
            "Attention Sinks Revisited",
            &["Ruyi Xu", "Song Han"],
            "2025-01-02",
        ),
        listing(
            "2501.00001",
            "The Attention Budget",
            &["Ruyi Xu"],
            "2025-01-01",
        ),
        listing(
            "2501.00003",
            "Attention Elsewhere",
            &["Wei Xu"],
            "2024-05-01",
        ),
        listing("2501.00004", "Sparse Kernels", &["Ruyi Xu"], "2025-03-01"),
        listing(
            "2502.00010",
            "Graph Search at Scale",
            &["Conan O'Brien"],
            "2025-02-01",
        ),
        listing(
            "2502.00011",
            "Graph Search in Practice",
            &["Pat Obrien"],
            "2025-02-02",
        ),
        listing(
            "hep-th/9901001",
            "Strings & Branes: 100% of the $N$ #1 snake_case {set} ~ ^ \\ Cases",
            &["Élodie Dupré", "Søren Kierkegaard", "Ludwig van Beethoven"],
            "1999-01-04",
        ),
    ];
    write_file(dir, "collisions.jsonl", lines.join("\n") + "\n")
}

#[test]
fn keys_collide_into_suffixes_in_id_order_and_stay_stable() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let engine = engine_over(dir.path(), &[collision_library(files.path())]);
    assert_eq!(key(&engine, "2501.00001"), "xu2025attentiona");
    assert_eq!(key(&engine, "2501.00002"), "xu2025attentionb");
    // Another year, another title word: their own base keys.
    assert_eq!(key(&engine, "2501.00003"), "xu2024attention");
    assert_eq!(key(&engine, "2501.00004"), "xu2025sparse");
    // `o'brien` and `obrien` are different author terms with the same letters.
    assert_eq!(key(&engine, "2502.00010"), "obrien2025grapha");
    assert_eq!(key(&engine, "2502.00011"), "obrien2025graphb");
    // Asked together, in another order, again: the same keys.
    let again = engine
        .cite(
            &ids(&["2502.00011", "2501.00002", "2501.00001", "2502.00010"]),
            CiteFormat::Bibtex,
        )
        .unwrap();
    let keys: Vec<&str> = again.citations.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "obrien2025graphb",
            "xu2025attentionb",
            "xu2025attentiona",
            "obrien2025grapha"
        ]
    );
    // Deleting one of a pair gives the other its base key back.
    engine.delete(&ids(&["2501.00002"])).unwrap();
    assert_eq!(key(&engine, "2501.00001"), "xu2025attention");
    // Undated papers without authors: `anon-` + the title word, still unique.
    let undated = write_file(
        files.path(),
        "undated.jsonl",
        [
            json!({"_id": "u1", "title": "Medusa Heads", "text": "Abstract one."}).to_string(),
            json!({"_id": "u2", "title": "Medusa Tails", "text": "Abstract two."}).to_string(),
            // No author, no date, no ASCII title word: the bare `anon`, still unique.
            json!({"_id": "c2", "title": "深度学习", "text": "摘要二。"}).to_string(),
            json!({"_id": "c1", "title": "机器翻译", "text": "摘要一。"}).to_string(),
        ]
        .join("\n")
            + "\n",
    );
    engine
        .index(&[Input::Path(undated)], &IndexOptions::default())
        .unwrap();
    assert_eq!(key(&engine, "u1"), "anon-medusaa");
    assert_eq!(key(&engine, "u2"), "anon-medusab");
    assert_eq!(key(&engine, "c1"), "anona");
    assert_eq!(key(&engine, "c2"), "anonb");
}

#[test]
fn specials_and_accents_are_escaped_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let engine = engine_over(dir.path(), &[collision_library(files.path())]);
    let paper = engine.get("hep-th/9901001").unwrap();
    let entry = one(&engine, "hep-th/9901001", CiteFormat::Bibtex);
    let k = key(&engine, "hep-th/9901001");
    assert_eq!(k, "dupre1999strings");
    for (raw, escaped) in [
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("\\", r"\textbackslash{}"),
    ] {
        if paper.title.contains(raw) {
            assert!(
                entry.contains(escaped),
                "`{raw}` not as `{escaped}` in\n{entry}"
            );
        }
    }
    assert!(paper.title.contains('&') && paper.title.contains('%') && paper.title.contains('_'));
    assert!(
        entry.contains(
            r"author={Dupr{\'e}, {\'E}lodie and Kierkegaard, S{\o}ren and van Beethoven, Ludwig}"
        ),
        "{entry}"
    );
    assert!(entry.contains("eprint={hep-th/9901001}"), "{entry}");
    assert!(entry.contains("primaryClass={cs.CL}"), "{entry}");
    assert!(
        entry.contains("url={https://arxiv.org/abs/hep-th/9901001}"),
        "{entry}"
    );
    assert!(entry.is_ascii(), "{entry}");
    check_round_trip(&engine, "hep-th/9901001", &k, &entry);
    let bib = Bibliography::parse(&entry).unwrap();
    let authors = bib.get(&k).unwrap().author().unwrap();
    assert_eq!(authors[0].name, "Dupré");
    assert_eq!(authors[0].given_name, "Élodie");
    assert_eq!(authors[1].given_name, "Søren");
    // CSL-JSON and the reference line keep UTF-8.
    let csl: Value =
        serde_json::from_str(&one(&engine, "hep-th/9901001", CiteFormat::CslJson)).unwrap();
    assert_eq!(
        csl[0]["author"][0],
        json!({"family": "Dupré", "given": "Élodie"})
    );
    assert_eq!(
        csl[0]["author"][2],
        json!({"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"})
    );
    let line = one(&engine, "hep-th/9901001", CiteFormat::Text);
    assert!(
        line.starts_with(
            "Dupré, É., Kierkegaard, S., & van Beethoven, L. (1999). Strings & Branes"
        ),
        "{line}"
    );
    assert!(line.ends_with("arXiv:hep-th/9901001."), "{line}");
}

#[test]
fn arxiv_papers_come_out_as_arxiv_exports_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_over(dir.path(), &all_sample_files());
    let entry = one(&engine, "2503.16428", CiteFormat::Bibtex);
    assert_eq!(
        entry,
        "@misc{xu2025xattention,
      title={{XAttention}: Block Sparse Attention with Antidiagonal Scoring},
      author={Xu, Ruyi and Xiao, Guangxuan and Huang, Haofeng and Guo, Junxian and Han, Song},
      year={2025},
      month=mar,
      eprint={2503.16428},
      archivePrefix={arXiv},
      primaryClass={cs.CL},
      url={https://arxiv.org/abs/2503.16428},
}"
    );
    // Every id form names the same paper.
    for form in [
        "2503.16428v2",
        "arXiv:2503.16428",
        "https://arxiv.org/abs/2503.16428",
        "arxiv.org/pdf/2503.16428v1",
        "https://doi.org/10.48550/arXiv.2503.16428",
    ] {
        assert_eq!(one(&engine, form, CiteFormat::Bibtex), entry, "{form}");
    }
    let csl: Value =
        serde_json::from_str(&one(&engine, "2503.16428", CiteFormat::CslJson)).unwrap();
    let item = &csl[0];
    assert_eq!(item["id"], "xu2025xattention");
    assert_eq!(item["type"], "article");
    assert_eq!(item["publisher"], "arXiv");
    assert_eq!(item["number"], "arXiv:2503.16428");
    assert_eq!(item["URL"], "https://arxiv.org/abs/2503.16428");
    assert_eq!(item["issued"], json!({"date-parts": [[2025, 3, 21]]}));
    assert_eq!(item["author"][0], json!({"family": "Xu", "given": "Ruyi"}));
    assert_eq!(
        one(&engine, "2503.16428", CiteFormat::Text),
        "Xu, R., Xiao, G., Huang, H., Guo, J., & Han, S. (2025). XAttention: Block Sparse \
         Attention with Antidiagonal Scoring. arXiv:2503.16428."
    );
    // The DOI when the record has one (the arXiv snapshot does).
    let snap = one(&engine, "0704.0001", CiteFormat::Bibtex);
    assert!(snap.contains("doi={10.1103/PhysRevD.76.013009}"), "{snap}");
    let csl: Value = serde_json::from_str(&one(&engine, "0704.0001", CiteFormat::CslJson)).unwrap();
    assert_eq!(csl[0]["DOI"], "10.1103/PhysRevD.76.013009");
}

#[test]
fn newsletter_papers_get_only_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_over(dir.path(), &all_sample_files());
    let hits = engine
        .search(&SearchRequest {
            q: "MoBA: Mixture of Block Attention for Long-Context LLMs".into(),
            ..SearchRequest::default()
        })
        .unwrap()
        .hits;
    let id = hits
        .iter()
        .find(|h| h.id.starts_with("t:") && h.title.starts_with("MoBA"))
        .expect("the newsletter's MoBA")
        .id
        .clone();
    let paper = engine.get(&id).unwrap();
    assert!(paper.arxiv_id.is_none() && paper.authors.is_empty());
    let entry = one(&engine, &id, CiteFormat::Bibtex);
    assert!(entry.starts_with("@misc{anon2025moba,\n"), "{entry}");
    assert!(
        entry.contains("note={Listed in newsletter: attention-models}"),
        "{entry}"
    );
    for invented in [
        "eprint",
        "archivePrefix",
        "primaryClass",
        "author",
        "doi",
        "url",
    ] {
        assert!(
            !entry.contains(&format!("{invented}=")),
            "{invented} in\n{entry}"
        );
    }
    let csl: Value = serde_json::from_str(&one(&engine, &id, CiteFormat::CslJson)).unwrap();
    assert!(csl[0].get("publisher").is_none() && csl[0].get("number").is_none());
    assert_eq!(csl[0]["note"], "Listed in newsletter: attention-models");
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_over(dir.path(), &all_sample_files());
    match engine.cite(&ids(&["2503.16428", "9999.99999"]), CiteFormat::Text) {
        Err(Error::NotFound(id)) => assert_eq!(id, "9999.99999"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        engine.cite(&[], CiteFormat::Text),
        Err(Error::InvalidRequest(_))
    ));
    assert!("ris"
        .parse::<CiteFormat>()
        .unwrap_err()
        .contains("bibtex, csl-json, text"));
}

/// `paperdex cite`, `GET /api/papers/{id}/cite` and stdio `cite` give the same text.
#[test]
fn cli_http_and_stdio_give_the_same_text() {
    let sb = Sandbox::with_all_samples();
    let (mut server, base) = common::spawn_server(&sb);
    let mut stdio = sb.spawn_stdio();
    let mut stdin = stdio.stdin.take().unwrap();
    let mut stdout = BufReader::new(stdio.stdout.take().unwrap());
    let mut call = |request: Value| -> Value {
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str| {
        let mut resp = agent.get(format!("{base}{path}")).call().unwrap();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            resp.status().as_u16(),
            ctype,
            resp.body_mut().read_to_string().unwrap(),
        )
    };

    for (format, ctype) in [
        ("bibtex", "text/x-bibtex; charset=utf-8"),
        ("csl-json", "application/vnd.citationstyles.csl+json"),
        ("text", "text/plain; charset=utf-8"),
    ] {
        let out = sb
            .sub("cite")
            .args(["arXiv:2503.16428v2", "--format", format])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let cli = String::from_utf8(out).unwrap();
        let (status, content_type, body) =
            get(&format!("/api/papers/2503.16428/cite?format={format}"));
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, ctype);
        assert_eq!(body, cli, "{format}: HTTP and CLI differ");
        // The same on the paper route with ?format, and with an URL as the id.
        let (_, _, same) = get(&format!(
            "/api/papers/https://arxiv.org/abs/2503.16428/cite?format={format}"
        ));
        assert_eq!(same, cli);
        let (_, _, same) = get(&format!("/api/papers/2503.16428?format={format}"));
        assert_eq!(same, cli);
        let reply = call(json!({"jsonrpc": "2.0", "id": 1, "method": "cite",
            "params": {"ids": ["https://doi.org/10.48550/arXiv.2503.16428"], "format": format}}));
        let text = reply["result"]["citations"][0]["text"].as_str().unwrap();
        assert_eq!(format!("{text}\n"), cli, "{format}: stdio and CLI differ");
        assert_eq!(reply["result"]["citations"][0]["key"], "xu2025xattention");
        // `--json` is the stdio result.
        let json_out = sb
            .sub("cite")
            .args(["2503.16428", "--json", "--format", format])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(parse_json(&json_out), reply["result"]);
    }

    // Several ids: several entries, in the order given.
    let out = sb
        .sub("cite")
        .args(["2503.16428", "0704.0001"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = String::from_utf8(out).unwrap();
    let bib = Bibliography::parse(&doc).unwrap();
    let keys: Vec<&str> = bib.keys().collect();
    assert_eq!(keys, ["xu2025xattention", "balazs2007calculation"]);

    // Unknown ids: exit 1 naming it, 404 JSON, the JSON-RPC not-found error.
    let err = sb
        .sub("cite")
        .args(["2503.16428", "9999.99999"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains("9999.99999"));
    let (status, _, body) = get("/api/papers/9999.99999/cite");
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]["code"],
        "not_found"
    );
    let reply = call(json!({"jsonrpc": "2.0", "id": 2, "method": "cite",
        "params": {"ids": ["9999.99999"]}}));
    assert_eq!(reply["error"]["code"], -32001);
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("9999.99999"));
    // Bad formats: a usage error, a 400, invalid params.
    sb.sub("cite")
        .args(["2503.16428", "--format", "ris"])
        .assert()
        .code(2);
    let (status, _, _) = get("/api/papers/2503.16428/cite?format=ris");
    assert_eq!(status, 400);
    let reply = call(json!({"jsonrpc": "2.0", "id": 3, "method": "cite",
        "params": {"ids": ["2503.16428"], "format": "ris"}}));
    assert_eq!(reply["error"]["code"], -32602);

    drop(stdin);
    let _ = stdio.wait();
    let _ = server.kill();
    let _ = server.wait();
}
