//! End-to-end tests of the `paperdex` binary: every command runs in a sandbox with its own
//! HOME, XDG_DATA_HOME and index directory (see `common`).

mod common;

use std::collections::BTreeSet;

use predicates::prelude::*;
use serde_json::Value;

use common::*;

const SEED_PAPERS: u64 = 142;

// ---------------------------------------------------------------------------------------
// 1. index: counts, idempotent re-indexing
// ---------------------------------------------------------------------------------------

#[test]
fn index_five_seeds_reports_142_added_and_2_duplicates_merged() {
    let sb = Sandbox::new();
    let report = sb.index_files(&seed_files());
    assert_eq!(report["files"], 5, "{report}");
    assert_eq!(report["added"], SEED_PAPERS, "{report}");
    assert_eq!(report["updated"], 0, "{report}");
    assert_eq!(report["unchanged"], 0, "{report}");
    assert_eq!(report["duplicates_merged"], 2, "{report}");
    assert_eq!(
        report["records"].as_u64(),
        Some(SEED_PAPERS + 2),
        "records = papers + merged duplicates: {report}"
    );
    assert_eq!(report["skipped"], Value::Array(vec![]), "{report}");
}

#[test]
fn index_human_summary_line_has_all_counts() {
    let sb = Sandbox::new();
    let out = sb
        .sub("index")
        .args(seed_files())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(out).expect("utf-8 stdout");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("indexed "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    for part in [
        "indexed 5 file(s)",
        "144 record(s)",
        "142 added",
        "0 updated",
        "0 unchanged",
        "2 duplicate(s) merged",
        "0 skipped in ",
    ] {
        assert!(line.contains(part), "summary `{line}` lacks `{part}`");
    }
    assert!(line.trim_end().ends_with(" ms"), "summary `{line}`");
}

#[test]
fn reindexing_same_seeds_is_a_no_op() {
    let sb = Sandbox::with_seeds();
    let again = sb.index_files(&seed_files());
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert_eq!(again["unchanged"], SEED_PAPERS, "{again}");
    let stats = sb.stats_json();
    assert_eq!(stats["papers"], SEED_PAPERS, "{stats}");
}

// ---------------------------------------------------------------------------------------
// 2. stats
// ---------------------------------------------------------------------------------------

#[test]
fn stats_json_has_documented_keys() {
    let sb = Sandbox::with_seeds();
    let stats = sb.stats_json();
    for key in [
        "papers",
        "bytes",
        "first_date",
        "last_date",
        "schema_version",
    ] {
        assert!(stats.get(key).is_some(), "stats lacks `{key}`: {stats}");
    }
    assert_eq!(stats["papers"], SEED_PAPERS);
    assert!(stats["bytes"].as_u64().unwrap_or(0) > 0, "{stats}");
    assert!(stats["schema_version"].is_u64(), "{stats}");
    let first = str_field(&stats, "first_date");
    let last = str_field(&stats, "last_date");
    assert!(first <= last, "first_date {first} after last_date {last}");
}

#[test]
fn stats_count_the_terms_and_tokens_of_every_indexed_field() {
    let sb = Sandbox::with_seeds();
    let stats = sb.stats_json();
    let fields = stats["fields"].as_array().expect("fields array");
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("stats lacks field `{name}`: {stats}"))
    };
    let count = |name: &str, key: &str| field(name)[key].as_u64().unwrap();
    assert!(count("author", "terms") <= count("author", "tokens")); // the seeds name no authors
    for name in ["id", "title", "abstract", "topic", "date", "title_hash"] {
        let (terms, tokens) = (count(name, "terms"), count(name, "tokens"));
        assert!(
            0 < terms && terms <= tokens,
            "{name}: {terms} terms, {tokens} tokens"
        );
    }
    // One id and one title key per paper; the abstract field also holds every title.
    assert_eq!(count("id", "tokens"), SEED_PAPERS);
    assert_eq!(count("title_hash", "tokens"), SEED_PAPERS);
    assert!(count("abstract", "tokens") > count("title", "tokens"));
    assert!(
        fields.iter().all(|f| f["name"] != "paper"),
        "stored-only field listed"
    );
}

// ---------------------------------------------------------------------------------------
// 3. search --json shape
// ---------------------------------------------------------------------------------------

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[test]
fn search_json_has_documented_shape() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["sparse attention"]);
    for key in ["query", "total", "took_ms", "hits", "facets"] {
        assert!(r.get(key).is_some(), "response lacks `{key}`: {r}");
    }
    assert_eq!(r["query"], "sparse attention");
    assert!(r["took_ms"].as_f64().is_some_and(|t| t >= 0.0), "{r}");
    let hits = hits(&r);
    assert!(!hits.is_empty(), "no hits for `sparse attention`");
    assert!(total(&r) >= hits.len() as u64);
    assert!(r["facets"]["topic"].is_object(), "{}", r["facets"]);
    assert!(r["facets"]["date"].is_object(), "{}", r["facets"]);
    for hit in hits {
        for key in [
            "id", "title", "authors", "date", "topics", "url", "score", "snippet",
        ] {
            assert!(hit.get(key).is_some(), "hit lacks `{key}`: {hit}");
        }
        assert!(!str_field(hit, "id").is_empty(), "{hit}");
        assert!(!str_field(hit, "title").is_empty(), "{hit}");
        assert!(hit["authors"]
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)));
        assert!(
            hit["date"].is_null() || hit["date"].as_str().is_some_and(is_iso_date),
            "{hit}"
        );
        assert!(
            hit["topics"].as_array().is_some_and(|a| a
                .iter()
                .all(|t| t.as_str().is_some_and(|t| t.starts_with('/')))),
            "{hit}"
        );
        assert!(hit["url"].is_null() || hit["url"].is_string(), "{hit}");
        assert!(hit["score"].is_number(), "{hit}");
        assert!(hit["snippet"].is_string(), "{hit}");
    }
}

#[test]
fn search_json_shape_snapshot() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["--limit", "1", "2502.00511"]);
    insta::assert_json_snapshot!(shape(&r), @r#"
    {
      "facets": {
        "date": {
          "<facet path>": "number"
        },
        "topic": {
          "<facet path>": "number"
        }
      },
      "hits": [
        {
          "authors": [],
          "date": "string",
          "highlights": [],
          "id": "string",
          "score": "number",
          "snippet": "string",
          "title": "string",
          "topics": [
            "string"
          ],
          "url": "string"
        }
      ],
      "interpreted": "string",
      "limit": "number",
      "matched": "string",
      "notes": [],
      "offset": "number",
      "query": "string",
      "took_ms": "number",
      "total": "number"
    }
    "#);
}

// ---------------------------------------------------------------------------------------
// 4. tokenization of model names, plurals and arXiv ids
// ---------------------------------------------------------------------------------------

#[test]
fn model_names_and_terms_find_papers_containing_them() {
    let sb = Sandbox::with_seeds();
    for literal in [
        "GPT-4o",
        "Llama-3.1-8B",
        "Qwen2.5",
        "o1",
        "MoBA",
        "chain-of-thought",
    ] {
        let r = sb.search_json(&["--limit", "50", "--", literal]);
        let hits = hits(&r);
        let found = hits.iter().any(|hit| {
            contains_token(str_field(hit, "title"), literal) || {
                let paper = sb.show_json(str_field(hit, "id"));
                contains_token(str_field(&paper, "abstract"), literal)
            }
        });
        let titles: Vec<&str> = hits.iter().map(|h| str_field(h, "title")).collect();
        assert!(
            found,
            "no hit for `{literal}` contains it literally ({} total): {titles:?}",
            total(&r)
        );
    }
}

#[test]
fn plural_and_singular_llm_match_the_same_papers() {
    let sb = Sandbox::with_seeds();
    let plural = total(&sb.search_json(&["--limit", "0", "LLMs"]));
    let singular = total(&sb.search_json(&["--limit", "0", "LLM"]));
    assert!(plural > 0);
    assert_eq!(plural, singular, "LLMs vs LLM totals");
}

#[test]
fn arxiv_id_query_ranks_that_paper_first() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["2502.00511"]);
    let first = hits(&r)
        .first()
        .unwrap_or_else(|| panic!("no hits for 2502.00511: {r}"));
    assert_eq!(first["id"], "2502.00511", "{first}");
}

// ---------------------------------------------------------------------------------------
// 5-6. argument placement
// ---------------------------------------------------------------------------------------

#[test]
fn index_flag_is_accepted_after_the_subcommand() {
    let sb = Sandbox::with_seeds();
    sb.cmd()
        .args(["search", "--index"])
        .arg(sb.index_dir())
        .arg("sparse attention")
        .assert()
        .success()
        .stdout(predicate::str::contains("Sparse Attention"));
}

#[test]
fn index_flag_is_accepted_before_the_subcommand() {
    let sb = Sandbox::with_seeds();
    sb.cmd()
        .arg("--index")
        .arg(sb.index_dir())
        .args(["search", "sparse attention"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Sparse Attention"));
}

#[test]
fn query_starting_with_dash_works_after_double_dash() {
    let sb = Sandbox::with_seeds();
    let out = sb
        .sub("search")
        .args(["--json", "--", "-sparse attention"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let r = parse_json(&out);
    assert_eq!(r["query"], "-sparse attention", "{r}");
    assert!(total(&r) > 0, "{r}");
}

// ---------------------------------------------------------------------------------------
// 7. usage errors exit 2
// ---------------------------------------------------------------------------------------

#[test]
fn query_syntax_errors_exit_2_with_a_clear_message_when_strict() {
    let sb = Sandbox::with_seeds();
    for (bad, why) in [
        ("title:(unbalanced", "parenthesis is not closed"),
        ("\"unclosed", "quote is not closed"),
        ("XAttention: Block", "`XAttention` is not a field"),
    ] {
        sb.sub("search")
            .args(["--strict-syntax", "--"])
            .arg(bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("query syntax"))
            .stderr(predicate::str::contains(why))
            .stderr(predicate::str::contains("does not exist").not())
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn text_that_is_not_syntax_is_searched_as_words_with_a_note_on_stderr() {
    let sb = Sandbox::with_seeds();
    for text in ["title:(unbalanced", "\"unclosed", "sparse AND"] {
        let out = sb
            .sub("search")
            .arg("--")
            .arg(text)
            .assert()
            .success()
            .stderr(predicate::str::contains("note: searched as words"))
            .get_output()
            .clone();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("error"),
            "{text}"
        );
    }
    let r = sb.search_json(&["--", "\"unclosed"]);
    assert_eq!(r["interpreted"], "words", "{r}");
    assert!(r["notes"][0].as_str().unwrap().contains("quote"), "{r}");
}

#[test]
fn unknown_flag_exits_2() {
    let sb = Sandbox::with_seeds();
    sb.sub("search")
        .args(["--no-such-flag", "attention"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn invalid_since_date_exits_2_naming_the_date() {
    let sb = Sandbox::with_seeds();
    sb.sub("search")
        .args(["--since", "2025-13-01", "attention"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2025-13-01"));
}

// ---------------------------------------------------------------------------------------
// 8. default index location
// ---------------------------------------------------------------------------------------

#[test]
fn first_run_builds_default_index_from_bundled_samples_once() {
    let home = tempfile::tempdir().expect("temp HOME");
    let first = isolated_cmd(home.path())
        .args(["search", "sparse attention"])
        .assert()
        .success();
    let out = first.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("corpus-samples"),
        "no first-run notice on stderr: {stderr}"
    );
    // The notice's last line says how to put your own papers in their place.
    assert!(
        stderr.lines().last().is_some_and(
            |l| l.contains("`paperdex index --rebuild PATHS...` replaces these samples")
        ),
        "the first-run notice does not say how to replace the samples: {stderr}"
    );
    assert!(
        stdout.contains("Sparse Attention"),
        "no results on stdout:\n{stdout}"
    );
    assert!(
        home.path().join("data/paperdex/index/meta.json").is_file(),
        "the default index was not built under XDG_DATA_HOME"
    );

    let second = isolated_cmd(home.path())
        .args(["search", "sparse attention"])
        .assert()
        .success();
    let out = second.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("corpus-samples") && !stderr.contains("no index"),
        "second run printed a notice again: {stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Sparse Attention"));
}

#[test]
fn paperdex_index_env_var_chooses_the_index_dir() {
    let home = tempfile::tempdir().expect("temp HOME");
    let dir = tempfile::tempdir().expect("temp index");
    isolated_cmd(home.path())
        .env("PAPERDEX_INDEX", dir.path())
        .arg("index")
        .arg(sample("003_840db0f15c327b34.txt"))
        .assert()
        .success();
    assert!(
        dir.path().join("meta.json").is_file(),
        "no index written to $PAPERDEX_INDEX"
    );
    assert!(
        !home.path().join("data/paperdex").exists(),
        "the platform data dir was used despite $PAPERDEX_INDEX"
    );
    let out = isolated_cmd(home.path())
        .env("PAPERDEX_INDEX", dir.path())
        .args(["stats", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stats = parse_json(&out);
    assert!(stats["papers"].as_u64().unwrap_or(0) > 0, "{stats}");
}

// ---------------------------------------------------------------------------------------
// 9. topic filter and facets
// ---------------------------------------------------------------------------------------

#[test]
fn topic_filter_keeps_only_papers_under_the_topic() {
    let sb = Sandbox::with_all_samples();
    let r = sb.search_json(&["--topic", "/newsletter", "--limit", "1000", "model"]);
    let hits = hits(&r);
    assert!(!hits.is_empty(), "no /newsletter hits for `model`");
    assert_eq!(total(&r), hits.len() as u64);
    for hit in hits {
        let topics = hit["topics"].as_array().expect("topics array");
        assert!(
            topics
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.starts_with("/newsletter"))),
            "hit outside /newsletter: {hit}"
        );
    }
    let unfiltered = total(&sb.search_json(&["--limit", "0", "model"]));
    assert!(
        unfiltered > total(&r),
        "the filter removed nothing ({unfiltered} vs {})",
        total(&r)
    );
}

#[test]
fn facet_counts_equal_filtered_search_totals() {
    let sb = Sandbox::with_all_samples();
    let facets = sb.facets_json(&[]);
    let topics = facets["topic"].as_object().expect("topic map");
    assert!(facets["date"].is_object(), "{facets}");
    for path in [
        "/newsletter",
        "/newsletter/llm-reasoning",
        "/digest",
        "/arxiv",
        "/arxiv/cs",
        "/arxiv/cs/CL",
    ] {
        let count = topics
            .get(path)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("facets lack {path}: {facets}"));
        let r = sb.search_json(&["", "--topic", path, "--limit", "0"]);
        assert!(hits(&r).is_empty(), "--limit 0 returned hits");
        assert_eq!(total(&r), count, "facet count vs search total for {path}");
    }
}

#[test]
fn facets_topic_lists_only_its_subtree() {
    let sb = Sandbox::with_all_samples();
    let facets = sb.facets_json(&["--topic", "/arxiv"]);
    let topics = facets["topic"].as_object().expect("topic map");
    assert!(topics.contains_key("/arxiv"), "{facets}");
    assert!(topics.len() > 1, "no subtopics under /arxiv: {facets}");
    for path in topics.keys() {
        assert!(
            path == "/arxiv" || path.starts_with("/arxiv/"),
            "`{path}` is not under /arxiv"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 10. date filter and date sort
// ---------------------------------------------------------------------------------------

#[test]
fn since_until_keep_dates_within_bounds() {
    let sb = Sandbox::with_all_samples();
    let (since, until) = ("2025-02-10", "2025-04-30");
    let r = sb.search_json(&["", "--since", since, "--until", until, "--limit", "1000"]);
    let hits = hits(&r);
    assert!(!hits.is_empty(), "no papers between {since} and {until}");
    assert_eq!(total(&r), hits.len() as u64);
    let mut seen = BTreeSet::new();
    for hit in hits {
        let date = hit["date"]
            .as_str()
            .unwrap_or_else(|| panic!("undated paper passed a date filter: {hit}"));
        assert!(
            (since..=until).contains(&date),
            "{date} outside {since}..{until}"
        );
        seen.insert(date.to_string());
    }
    assert!(seen.len() > 1, "expected several dates, got {seen:?}");
    let everything = total(&sb.search_json(&["", "--limit", "0"]));
    assert!(everything > total(&r), "the date filter removed nothing");
}

#[test]
fn sort_by_date_gives_non_increasing_dates() {
    let sb = Sandbox::with_all_samples();
    let r = sb.search_json(&["model", "--sort", "date", "--limit", "1000"]);
    let dates: Vec<Option<&str>> = hits(&r).iter().map(|h| h["date"].as_str()).collect();
    assert!(dates.len() > 10, "too few hits: {}", dates.len());
    assert!(
        dates.iter().filter(|d| d.is_some()).count() > 1,
        "{dates:?}"
    );
    for pair in dates.windows(2) {
        // `None` (undated) sorts below every date, so it may only be followed by `None`.
        assert!(pair[0] >= pair[1], "dates out of order: {pair:?}");
    }
}

// ---------------------------------------------------------------------------------------
// 11. show
// ---------------------------------------------------------------------------------------

#[test]
fn show_lists_every_source_of_a_merged_paper() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["\"Make LoRA Great Again\""]);
    let first = hits(&r)
        .first()
        .unwrap_or_else(|| panic!("no hit for Make LoRA Great Again: {r}"));
    assert!(
        str_field(first, "title").starts_with("Make LoRA Great Again"),
        "{first}"
    );
    let paper = sb.show_json(str_field(first, "id"));
    let sources = paper["sources"].as_array().expect("sources array");
    assert_eq!(sources.len(), 2, "{paper}");
    let files: BTreeSet<&str> = sources.iter().map(|s| str_field(s, "file")).collect();
    assert_eq!(
        files.len(),
        2,
        "both sources name the same file: {sources:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 12. human output
// ---------------------------------------------------------------------------------------

#[test]
fn human_output_is_plain_and_shows_title_and_date() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["sparse attention"]);
    let first = &hits(&r)[0];
    let title = str_field(first, "title");
    let date = str_field(first, "date");
    // NO_COLOR is set by the sandbox; also check without it (stdout is a pipe, not a TTY).
    for no_color in [true, false] {
        let mut cmd = sb.sub("search");
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd
            .arg("sparse attention")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let stdout = String::from_utf8(out).expect("utf-8 stdout");
        assert!(
            !stdout.contains('\x1b'),
            "ANSI escape in output (NO_COLOR={no_color})"
        );
        // Titles wrap at 80 columns: compare with the line breaks undone.
        let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains(title), "no `{title}` in:\n{stdout}");
        assert!(stdout.contains(date), "no `{date}` in:\n{stdout}");
    }
}

// ---------------------------------------------------------------------------------------
// 13. recency
// ---------------------------------------------------------------------------------------

#[test]
fn recency_off_gives_boost_one() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&["--recency", "off", "--explain", "--limit", "100", "model"]);
    let hits = hits(&r);
    assert!(!hits.is_empty());
    for hit in hits {
        let e = &hit["explain"];
        assert_eq!(f64_field(e, "recency_boost"), 1.0, "{hit}");
        let (bm25, score) = (f64_field(e, "bm25"), f64_field(hit, "score"));
        assert!(
            (bm25 - score).abs() <= 1e-3 * score.abs(),
            "with recency off score {score} != bm25 {bm25}"
        );
    }
}

#[test]
fn recency_score_is_bm25_times_boost() {
    let sb = Sandbox::with_seeds();
    let r = sb.search_json(&[
        "--recency-weight",
        "1",
        "--half-life",
        "30",
        "--explain",
        "--limit",
        "200",
        "model",
    ]);
    let hits = hits(&r);
    let (mut dated, mut undated, mut boosted) = (0, 0, 0);
    for hit in hits {
        let e = &hit["explain"];
        let (bm25, boost) = (f64_field(e, "bm25"), f64_field(e, "recency_boost"));
        let score = f64_field(hit, "score");
        assert!(
            (bm25 * boost - score).abs() <= 1e-3 * score.abs(),
            "bm25 {bm25} x boost {boost} != score {score}: {hit}"
        );
        assert_eq!(f64_field(e, "recency_weight"), 1.0, "{e}");
        assert_eq!(f64_field(e, "half_life_days"), 30.0, "{e}");
        if hit["date"].is_null() {
            undated += 1;
            assert_eq!(boost, 1.0, "undated paper boosted: {hit}");
        } else {
            dated += 1;
            let age = e["age_days"].as_f64().expect("dated hit has age_days");
            let expected = 1.0 + 0.5f64.powf(age / 30.0);
            assert!(
                (boost - expected).abs() < 1e-4,
                "boost {boost} != 1 + 0.5^({age}/30) = {expected}"
            );
            if boost > 1.01 {
                boosted += 1;
            }
        }
    }
    assert!(
        dated > 0 && undated > 0,
        "need both: {dated} dated, {undated} undated"
    );
    assert!(boosted > 0, "no dated hit got a visible boost");
}

// ---------------------------------------------------------------------------------------
// 15. runtime errors exit 1
// ---------------------------------------------------------------------------------------

#[test]
fn show_unknown_id_exits_1_not_found() {
    let sb = Sandbox::with_seeds();
    sb.sub("show")
        .arg("nonexistent-id")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not found"));
}

#[test]
fn search_on_empty_dir_exits_1_suggesting_paperdex_index() {
    let sb = Sandbox::new();
    sb.sub("search")
        .arg("attention")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("paperdex index"));
    assert!(
        std::fs::read_dir(sb.index_dir())
            .expect("index dir")
            .next()
            .is_none(),
        "search wrote into a directory that held no index"
    );
}

#[test]
fn show_similar_search_and_delete_take_every_id_form() {
    let sb = Sandbox::with_seeds();
    for form in [
        "2502.00511",
        "arXiv:2502.00511",
        "2502.00511v2",
        "https://arxiv.org/abs/2502.00511",
        "https://arxiv.org/pdf/2502.00511v1",
        "https://doi.org/10.48550/arXiv.2502.00511",
    ] {
        assert_eq!(sb.show_json(form)["id"], "2502.00511", "{form}");
        let similar = sb.json("similar", &["--limit", "2", form]);
        assert_eq!(similar["query"], "similar:2502.00511", "{form}");
        let found = sb.search_json(&["--limit", "1", "--", form]);
        assert_eq!(found["interpreted"], "id", "{form}");
        assert_eq!(found["hits"][0]["id"], "2502.00511", "{form}");
    }
    sb.sub("delete")
        .arg("https://arxiv.org/abs/2502.00511v3")
        .assert()
        .success()
        .stdout(predicate::str::contains("deleted 1 of 1"));
    sb.sub("show").arg("2502.00511").assert().code(1);
}

/// A file name is terminal text only escaped: one with a newline and an ESC shows as
/// `\n` and `\u{1b}` in skip lines, `show` and errors, never raw (a forged summary line, a
/// cleared screen); JSON keeps the exact name.
#[test]
fn control_characters_in_file_names_are_escaped_on_the_terminal_and_exact_in_json() {
    let sb = Sandbox::new();
    let name = "a\n3 papers indexed\x1b[2J.jsonl";
    let escaped = "a\\n3 papers indexed\\u{1b}[2J.jsonl";
    let record = listing(
        "2502.07001",
        "Names with escapes",
        "An abstract about file names.",
        "2025-02-10",
        "cs.CL",
    );
    let file = write_file(sb.home.path(), name, format!("{record}\nnot json\n"));
    let no_raw_name = |what: &str, text: &str| {
        assert!(!text.contains('\x1b'), "{what}: raw ESC in {text:?}");
        assert!(
            !text.lines().any(|l| l.starts_with("3 papers indexed")),
            "{what}: forged line in {text:?}"
        );
    };

    let out = sb.sub("index").arg(&file).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    no_raw_name("index stdout", &stdout);
    no_raw_name("index stderr", &stderr);
    assert!(
        stderr.contains(&format!("skipped {escaped}:2: ")),
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");

    let out = sb.sub("show").arg("2502.07001").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    no_raw_name("show", &stdout);
    assert!(
        stdout.contains(&format!("source  {escaped}:1 ")),
        "{stdout}"
    );

    // JSON escapes the name itself and keeps it exact.
    let report = sb.index_files(std::slice::from_ref(&file));
    assert_eq!(report["skipped"][0]["file"], name, "{report}");
    assert_eq!(sb.show_json("2502.07001")["sources"][0]["file"], name);

    // An error naming the path is one line.
    let missing = sb.home.path().join("gone\n\x1b[2J.jsonl");
    let out = sb.sub("index").arg(&missing).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    no_raw_name("error", &stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("gone\\n\\u{1b}[2J.jsonl"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// 16. the terminal (issue 23): authors, wrapping, counts
// ---------------------------------------------------------------------------------------

/// Runs a human-output command at `columns` (or without COLUMNS: a pipe is 80) and returns
/// its stdout, which must succeed.
fn human(sb: &Sandbox, subcommand: &str, args: &[&str], columns: Option<usize>) -> String {
    let mut cmd = sb.sub(subcommand);
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("utf-8 stdout")
}

fn assert_fits(text: &str, columns: usize) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= columns,
            "line over {columns} columns: `{line}`\nin:\n{text}"
        );
    }
}

#[test]
fn search_shows_short_authors_wraps_to_the_width_and_counts_one_paper() {
    let sb = Sandbox::with_all_samples();
    // XAttention has more than three authors: the first three, then "et al.".
    let one = human(&sb, "search", &["2503.16428"], None);
    assert!(
        one.contains("Ruyi Xu, Guangxuan Xiao, Haofeng Huang et al."),
        "{one}"
    );
    assert_eq!(
        one.lines().last().map(|l| l.split(" in ").next()),
        Some(Some("1 paper")),
        "{one}"
    );
    let page = human(&sb, "search", &["--limit", "3", "sparse attention"], None);
    assert_fits(&page, 80);
    assert!(
        page.lines().last().unwrap().starts_with("1-3 of "),
        "{page}"
    );
    let narrow = human(
        &sb,
        "search",
        &["--limit", "3", "sparse attention"],
        Some(50),
    );
    assert_fits(&narrow, 50);
    // Wrapped lines keep the five-column indent of the hit.
    let last = narrow.lines().last().unwrap_or_default();
    assert!(last.starts_with("1-3 of "), "{narrow}");
    for line in narrow.lines().filter(|l| !l.is_empty() && *l != last) {
        assert!(
            line.starts_with("     ") || line.starts_with("  ") && line.contains(". "),
            "`{line}`"
        );
    }
}

#[test]
fn no_snippets_leaves_no_blank_lines() {
    let sb = Sandbox::with_all_samples();
    let out = human(
        &sb,
        "search",
        &["--no-snippets", "--limit", "5", "model"],
        None,
    );
    assert!(out.lines().count() > 5, "{out}");
    assert!(!out.lines().any(|l| l.trim().is_empty()), "{out}");
}

#[test]
fn show_wraps_to_the_width_with_values_aligned_under_their_labels() {
    let sb = Sandbox::with_all_samples();
    let out = human(&sb, "show", &["2504.17768"], Some(60));
    assert_fits(&out, 60);
    // Every value (and each wrapped line of one: the six authors) starts in column 10,
    // after its label right-aligned in 8 columns.
    let block: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("      id  "))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(block.len() > 5, "{out}");
    for line in &block {
        let chars: Vec<char> = line.chars().collect();
        assert!(
            chars.len() > 10 && chars[8] == ' ' && chars[9] == ' ' && chars[10] != ' ',
            "`{line}` not aligned in:\n{out}"
        );
    }
    assert!(
        block.iter().any(|l| l.starts_with("          ")),
        "no wrapped value:\n{out}"
    );
}

// ---------------------------------------------------------------------------------------
// 17. topics by arXiv code, any case; the facet tree (issue 23)
// ---------------------------------------------------------------------------------------

#[test]
fn topic_takes_arxiv_codes_any_case_and_an_unknown_one_names_the_nearest() {
    let sb = Sandbox::with_all_samples();
    let by_path = sb.search_json(&["--topic", "/arxiv/cs/CL", "--limit", "100", "model"]);
    assert!(total(&by_path) > 0, "{by_path}");
    for form in ["cs.CL", "cs.cl", "CS.CL", "/arxiv/cs/cl", "arxiv/cs/CL"] {
        let r = sb.search_json(&["--topic", form, "--limit", "100", "model"]);
        assert_eq!(total(&r), total(&by_path), "--topic {form}");
    }
    let newsletter = sb.search_json(&["--topic", "/NEWSLETTER", "attention"]);
    assert!(total(&newsletter) > 0, "{newsletter}");
    // A topic no paper has is an error naming the nearest ones, not an empty list.
    sb.sub("search")
        .args(["--topic", "cs.CX", "attention"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no paper has topic `cs.CX`"))
        .stderr(predicate::str::contains(
            "/arxiv/cs/CL (cs.CL Computation and Language)",
        ));
    sb.sub("facets")
        .args(["--topic", "cs.cl"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cs.CL  Computation and Language"));
}

#[test]
fn facets_sorts_the_tree_as_a_tree_and_names_every_group() {
    let sb = Sandbox::with_all_samples();
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = [
        listing(
            "2501.00001",
            "Rings",
            "Commutative rings.",
            "2025-01-02",
            "math.AC",
        ),
        listing(
            "2501.00002",
            "Fields",
            "Mathematical physics.",
            "2025-01-02",
            "math-ph",
        ),
        listing(
            "2501.00003",
            "Schemes",
            "Algebraic geometry.",
            "2025-01-02",
            "math.AG",
        ),
    ];
    let file = write_file(dir.path(), "math.jsonl", lines.join("\n") + "\n");
    sb.index_files(&[file]);
    let out = human(&sb, "facets", &[], None);
    assert_fits(&out, 80);
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    let at = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("no `{name}` in:\n{out}"))
    };
    assert!(
        at("math") < at("math.AC")
            && at("math.AC") < at("math.AG")
            && at("math.AG") < at("math-ph"),
        "math.AC and math.AG under math, before math-ph:\n{out}"
    );
    for (root, name) in [
        ("/arxiv", "arXiv categories"),
        ("/newsletter", "newsletter sections"),
        ("/digest", "digest posts"),
        ("/arxcompass", "arxcompass paper cards"),
    ] {
        let line = &out.lines().nth(at(root)).unwrap_or_default();
        assert!(line.ends_with(name), "`{line}` does not name {root}");
    }
    assert!(out.contains("math-ph  Mathematical Physics"), "{out}");
}

// ---------------------------------------------------------------------------------------
// 18. errors: unknown ids, the missing-index hint, JSON errors (issue 23)
// ---------------------------------------------------------------------------------------

#[test]
fn delete_of_an_unknown_id_names_it_and_exits_1() {
    let sb = Sandbox::with_seeds();
    sb.sub("delete")
        .arg("2599.99999")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("deleted 0 of 1"))
        .stderr(predicate::str::contains("paper `2599.99999` not found"));
}

#[test]
fn missing_index_hint_keeps_the_index_flag() {
    let sb = Sandbox::new();
    let dir = sb.home.path().join("my index");
    for sub in ["search", "delete", "show", "facets"] {
        let arg = if sub == "facets" { "--json" } else { "x" };
        sb.cmd()
            .args([sub, "--index", dir.to_str().unwrap(), arg])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "run `paperdex index --index '{}' PATHS...` first",
                dir.display()
            )));
    }
}

/// With --json an error is one JSON line on stderr, in the shape HTTP answers with, and
/// stdout holds no result.
#[test]
fn errors_are_json_on_stderr_when_json_is_asked_for() {
    let sb = Sandbox::with_seeds();
    for (args, code, exit) in [
        (vec!["show", "2599.99999"], "not_found", 1),
        (vec!["cite", "2599.99999"], "not_found", 1),
        (
            vec!["search", "--topic", "cs.XX", "attention"],
            "invalid_request",
            2,
        ),
        (
            vec!["search", "--since", "2025-13-01", "x"],
            "invalid_request",
            2,
        ),
        (vec!["search", "--no-such-flag", "x"], "usage", 2),
        (vec!["delete", "2599.99999"], "not_found", 1),
    ] {
        let out = sb
            .sub(args[0])
            .arg("--json")
            .args(&args[1..])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(exit), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        let error: Value = serde_json::from_str(&stderr).expect("stderr is JSON");
        assert_eq!(error["error"]["code"], code, "{args:?}: {stderr}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{stderr}"
        );
        if args[0] != "delete" {
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// 19. completions and the man page (issue 23)
// ---------------------------------------------------------------------------------------

#[test]
fn completions_and_man_pages_are_generated_from_the_flags() {
    let sb = Sandbox::new();
    for (shell, marker) in [
        ("bash", "_paperdex()"),
        ("zsh", "#compdef paperdex"),
        ("fish", "complete -c paperdex"),
    ] {
        sb.cmd()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker))
            .stdout(predicate::str::contains("no-snippets"))
            .stdout(predicate::str::contains("completions"));
    }
    sb.cmd()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie").or(predicate::str::starts_with(".TH")))
        .stdout(predicate::str::contains(".TH paperdex 1"))
        .stdout(predicate::str::contains("paperdex\\-search(1)"));
    let dir = sb.home.path().join("man1");
    sb.cmd()
        .args(["man", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    let search = std::fs::read_to_string(dir.join("paperdex-search.1")).expect("search page");
    assert!(search.contains("\\-\\-no\\-snippets"), "{search}");
    assert!(dir.join("paperdex.1").is_file());
}

/// A snippet cut from the middle of a sentence says so with "…" at each cut; one starting at
/// a sentence (or the abstract's start) has none.
#[test]
fn snippets_cut_mid_sentence_start_and_end_with_an_ellipsis() {
    let sb = Sandbox::with_all_samples();
    let r = sb.search_json(&["--limit", "20", "sparse attention"]);
    let mut cut = 0;
    for hit in hits(&r) {
        let snippet = str_field(hit, "snippet");
        let paper = sb.show_json(str_field(hit, "id"));
        let text = str_field(&paper, "abstract");
        let inner = snippet.trim_start_matches('…').trim_end_matches('…');
        let at = text.find(inner).expect("the snippet is from the abstract");
        let before = text[..at].trim_end();
        let mid = !before.is_empty() && !before.ends_with(['.', '!', '?']);
        assert_eq!(
            snippet.starts_with('…'),
            mid,
            "`{snippet}` after `{before}`"
        );
        cut += usize::from(mid);
        // Highlights still mark the query's words.
        for h in hit["highlights"].as_array().unwrap() {
            let (s, e) = (
                h[0].as_u64().unwrap() as usize,
                h[1].as_u64().unwrap() as usize,
            );
            let word = snippet[s..e].to_lowercase();
            assert!(
                word.starts_with("spars") || word.starts_with("attent"),
                "{word}"
            );
        }
    }
    assert!(cut > 0, "no snippet started mid-sentence: {r}");
}
