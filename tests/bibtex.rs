//! BibTeX libraries in (`--format bibtex`, sniffed): the real exports of tests/fixtures/bibtex
//! (Better BibLaTeX from Zotero, JabRef with Google Scholar entries) index with their papers
//! and skips, fields come out as text, arXiv entries merge with the arXiv listing of the same
//! paper, malformed entries are `file:line` skips and entries without an abstract are counted.

mod common;
#[allow(dead_code)]
#[path = "common/fuzz_cases.rs"]
mod fuzz_cases;

use std::path::{Path, PathBuf};

use common::{sample, Sandbox};
use paperdex::ingest::{sniff, Format};
use paperdex::paper::{title_hash_id, Paper};
use paperdex::schema::SchemaConfig;
use paperdex::{Engine, IndexOptions, IndexReport};
use time::macros::date;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bibtex")
        .join(name)
}

/// A fresh index holding `files`, with its report.
fn index(files: &[PathBuf]) -> (tempfile::TempDir, Engine, IndexReport) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open_or_create(dir.path(), SchemaConfig::builtin()).unwrap();
    let inputs: Vec<_> = files
        .iter()
        .map(|f| paperdex::ingest::read::Input::Path(f.clone()))
        .collect();
    let report = engine.index(&inputs, &IndexOptions::default()).unwrap();
    (dir, engine, report)
}

fn papers(engine: &Engine) -> u64 {
    engine.stats().unwrap().papers
}

fn by_title(engine: &Engine, title: &str) -> Paper {
    engine.get(&title_hash_id(title)).unwrap()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn each_fixture_indexes_its_papers_and_skips() {
    // (file, records, papers, skips, entries without an abstract)
    let cases = [
        // 12 entries, 6 of them the same paper twice (arXiv preprint and conference version).
        ("zotero-better-biblatex.bib", 12, 6, 0, 1),
        ("jabref-microrecsys.bib", 23, 23, 0, 23),
        ("handwritten-arxiv.bib", 3, 3, 0, 2),
        ("handwritten-malformed.bib", 2, 2, 3, 1),
    ];
    for (name, records, n, skips, no_abstract) in cases {
        let (_dir, engine, report) = index(&[fixture(name)]);
        assert_eq!(
            (report.records, papers(&engine), report.skipped.len()),
            (records, n, skips),
            "{name}: {:?}",
            report.skipped
        );
        assert_eq!(report.no_abstract, no_abstract, "{name}");
    }
}

#[test]
fn jabref_fields_come_out_as_text() {
    let (_dir, engine, _) = index(&[fixture("jabref-microrecsys.bib")]);
    let p = by_title(
        &engine,
        "The Impact of Demographics (Age and Gender) and Other User-Characteristics on \
         Evaluating Recommender Systems",
    );
    // Accents written as {\"{o}} and {\"{u}}; a title over two lines with a tab.
    assert_eq!(
        p.authors,
        strs(&[
            "Jöran Beel",
            "Stefan Langer",
            "Andreas Nürnberger",
            "Marcel Genzmehr"
        ])
    );
    assert_eq!(p.date, Some(date!(2013 - 01 - 01)));
    assert_eq!(p.doi.as_deref(), Some("10.1007/978-3-642-40501-3_45"));
    assert_eq!(p.abstract_text, "");
    assert_eq!(p.sources.len(), 1);
    assert_eq!(
        (p.sources[0].format.as_str(), p.sources[0].line),
        ("bibtex", 19)
    );

    // JabRef's `month = {\#dec\#}`, a keyword, a @STRING journal left as written.
    let p = by_title(
        &engine,
        "The Netflix Recommender System: Algorithms, Business Value, and Innovation",
    );
    assert_eq!(p.date, Some(date!(2015 - 12 - 01)));
    assert_eq!(p.topics, strs(&["/bib/recommender-systems"]));
    assert_eq!(p.doi.as_deref(), Some("10.1145/2843948"));
    assert_eq!(p.authors, strs(&["Carlos A. Gomez-Uribe", "Neil Hunt"]));

    // Google Scholar's arXiv entry: the id is in `journal`; the year gets the id's month.
    let p = engine.get("1803.02250").unwrap();
    assert_eq!(
        p.title,
        "CF4CF: Recommending Collaborative Filtering algorithms using Collaborative Filtering"
    );
    assert_eq!(p.date, Some(date!(2018 - 03 - 01)));
    assert_eq!(
        p.authors,
        strs(&["Tiago Cunha", "Carlos Soares", "André CPLF de Carvalho"])
    );
    assert_eq!(p.journal_ref, None);
    assert_eq!(p.url.as_deref(), Some("https://arxiv.org/abs/1803.02250"));
}

#[test]
fn zotero_fields_come_out_as_text() {
    let (_dir, engine, _) = index(&[fixture("zotero-better-biblatex.bib")]);
    // The preprint and the conference version are one paper: the arXiv id, both sources,
    // the longer abstract and author list, the earlier date.
    let p = engine.get("2008.02217").unwrap();
    assert_eq!(p.title, "Hopfield Networks Is All You Need");
    assert_eq!(p.sources.len(), 2);
    assert_eq!(p.date, Some(date!(2020 - 07 - 16)));
    assert_eq!(p.authors.len(), 15);
    assert_eq!(p.authors[0], "Hubert Ramsauer");
    assert!(p
        .abstract_text
        .starts_with("We show that the transformer attention"));
    assert!(p.abstract_text.contains(r#"called "Hopfield", which"#));
    assert_eq!(
        p.topics,
        strs(&[
            "/bib/computer-science-computation-and-language",
            "/bib/computer-science-machine-learning",
            "/bib/computer-science-neural-and-evolutionary-computing",
            "/bib/statistics-machine-learning",
        ])
    );

    // `\%`, doubled braces, `\textbackslash emph\{...\}` (an escaped command in Zotero's text).
    let p = engine.get("1502.01852").unwrap();
    assert_eq!(
        p.title,
        "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet \
         Classification"
    );
    assert!(p.abstract_text.contains("4.94% top-5 test error"));
    let p = engine.get("1910.07512").unwrap();
    assert!(
        p.abstract_text
            .contains("finding equilibria in sequential games"),
        "{}",
        p.abstract_text
    );
    assert!(!p.abstract_text.contains('\\'));
    assert_eq!(p.comment.as_deref(), Some("Comment: 21 pages"));
}

#[test]
fn an_arxiv_entry_merges_with_its_listing() {
    let listings = sample("arxiv-listings-sample.jsonl");
    let (_dir, engine, report) = index(&[listings, fixture("handwritten-arxiv.bib")]);
    // 40 listings and 3 entries, each entry one of the listed papers.
    assert_eq!((report.records, papers(&engine)), (43, 40));
    for (id, line) in [("2503.16428", 6), ("1812.06145", 17), ("2504.16795", 25)] {
        let p = engine.get(id).unwrap();
        let mut formats: Vec<_> = p
            .sources
            .iter()
            .map(|s| (s.format.as_str(), s.file.as_str()))
            .collect();
        formats.sort();
        assert_eq!(
            formats,
            [
                ("arxiv-listing", "arxiv-listings-sample.jsonl"),
                ("bibtex", "handwritten-arxiv.bib")
            ],
            "{id}"
        );
        let bib = p.sources.iter().find(|s| s.format == "bibtex").unwrap();
        assert_eq!(bib.line, line, "{id}");
    }
    let p = engine.get("2503.16428").unwrap();
    assert_eq!(
        p.title,
        "XAttention: Block Sparse Attention with Antidiagonal Scoring"
    );
    assert!(p
        .abstract_text
        .starts_with("Long-Context Transformer Models"));
    assert!(p.topics.contains(&"/arxiv/cs/CL".to_string()));
    // The DOI form (10.48550/arXiv.X) and keywords split on `,` and `;`.
    let p = engine.get("2504.16795").unwrap();
    assert_eq!(p.doi.as_deref(), Some("10.48550/arXiv.2504.16795"));
    for t in ["/bib/sparse-attention", "/bib/mamba", "/arxiv/cs/CL"] {
        assert!(p.topics.contains(&t.to_string()), "{t} in {:?}", p.topics);
    }
}

#[test]
fn a_malformed_entry_is_a_skip_naming_its_line() {
    let (_dir, engine, report) = index(&[fixture("handwritten-malformed.bib")]);
    let skips: Vec<String> = report.skipped.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        skips,
        [
            "handwritten-malformed.bib:9: entry `unbalanced`: unbalanced braces: not closed \
             before line 14",
            "handwritten-malformed.bib:14: entry `notitle`: missing title",
            "handwritten-malformed.bib:19: entry `badyear`: bad year `in press`",
        ]
    );
    let p = by_title(&engine, "Gödel, Escher, Bach – an Eternal Golden Braid");
    assert_eq!(p.authors, strs(&["Douglas R. Hofstadter"]));
    assert_eq!(p.date, Some(date!(1979 - 01 - 01)));
    let p = by_title(&engine, "Sparse & Dense Retrieval");
    assert_eq!(p.date, Some(date!(2022 - 06 - 01)));
    assert_eq!(
        p.journal_ref.as_deref(),
        Some("Proceedings of the 1st Workshop")
    );
}

#[test]
fn sniffing_picks_bibtex() {
    assert_eq!(sniff("library.bib", ""), Some(Format::Bibtex));
    assert_eq!(
        sniff("Library.BIBTEX", "% nothing yet"),
        Some(Format::Bibtex)
    );
    let scholar = "@article{abavisani2018improving,\n  title={Improving ...},\n}\n";
    assert_eq!(sniff("scholar.txt", scholar), Some(Format::Bibtex));
    assert_eq!(sniff("-", "\n\n@misc{x,\n"), Some(Format::Bibtex));
    assert_eq!(sniff("notes.txt", "Notes\n@article{x,\n"), None);
    assert_eq!("bibtex".parse::<Format>(), Ok(Format::Bibtex));
}

#[test]
fn the_cli_sniffs_content_and_notes_entries_without_abstract() {
    let sb = Sandbox::new();
    // A JabRef library under another name: sniffed by its content (`% Encoding` then @STRING).
    let library = sb.home.path().join("library.txt");
    std::fs::copy(fixture("jabref-microrecsys.bib"), &library).unwrap();
    let out = sb.sub("index").arg(&library).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains(
            "23 record(s): 23 added, 0 updated, 0 unchanged, 0 duplicate(s) merged, 0 skipped"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("23 entries had no abstract: indexed on their title"),
        "{stdout}"
    );
    assert!(out.get_output().stderr.is_empty());

    // Text before the first entry: not sniffed, read with --format bibtex.
    let notes = sb.home.path().join("notes.dat");
    let text = std::fs::read_to_string(fixture("handwritten-malformed.bib")).unwrap();
    std::fs::write(&notes, format!("My reading list\n{text}")).unwrap();
    let report = sb.json("index", &[notes.as_os_str()]);
    assert_eq!(
        report["skipped"][0]["reason"],
        "unrecognized format (pass --format)"
    );
    let report = sb.json(
        "index",
        &[
            std::ffi::OsStr::new("--format"),
            std::ffi::OsStr::new("bibtex"),
            notes.as_os_str(),
        ],
    );
    assert_eq!(report["records"], 2);
    assert_eq!(report["no_abstract"], 1);
    assert_eq!(report["skipped"][0]["line"], 10);
    assert_eq!(report["skipped"][0]["file"], "notes.dat");
}

#[test]
fn a_directory_walk_reads_bib_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("handwritten-arxiv.bib"),
        dir.path().join("refs.bib"),
    )
    .unwrap();
    std::fs::copy(
        fixture("handwritten-malformed.bib"),
        dir.path().join("more.bibtex"),
    )
    .unwrap();
    let (_index, engine, report) = index(&[dir.path().to_path_buf()]);
    assert_eq!((report.files, papers(&engine)), (2, 5));
}

#[test]
fn the_fuzz_seeds_parse() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/ingest");
    // The cycles (crossref to itself or in a circle, @strings defined through themselves)
    // and commands nested thousands deep overflowed the stack in the crate.
    for name in [
        "bibtex",
        "bibtex-sniffed",
        "bibtex-crossref-cycles",
        "bibtex-string-cycles",
        "bibtex-deep-braces",
    ] {
        let data = std::fs::read(seeds.join(name)).unwrap();
        fuzz_cases::ingest(&data);
    }
    // The first byte picks the format: 8 is bibtex, 9 sniffs (and finds bibtex).
    assert_eq!(Format::ALL[8], Format::Bibtex);
    assert_eq!(Format::ALL.len(), 9);
}
