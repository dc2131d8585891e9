//! Weekly newsletter with numbered headings (seeds 000, 002): "1. Section" lines are topics,
//! "1.2. Title" lines start papers, the lines up to the next heading are the abstract.
//! Everything before the first section (intro, table of contents, e-book promo) is not a
//! paper, and promotional lines trailing a paper (mentoring, e-book links) are dropped.

use std::sync::LazyLock;

use regex::Regex;
use time::{Date, Month};

use super::text::{clean, month_from_name};
use super::{Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};

static SECTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,2})\.\s+(\S.*)$").unwrap());
static PAPER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})\.(\d{1,2})\.\s+(\S.*)$").unwrap());
static WEEK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bweek\s+(?:from|of)\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?").unwrap()
});
static MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december)\s+((?:19|20)\d\d)\b",
    )
    .unwrap()
});
static PROMO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)mentoring|start a career|\be-?book\b|lnkd\.in|\bsubscribe\b|newsletter|follow me",
    )
    .unwrap()
});

/// Several "N." section headings and "N.M." paper headings.
pub fn looks_like(head: &str) -> bool {
    let (mut sections, mut papers) = (0, 0);
    for line in head.lines().map(str::trim) {
        if PAPER.is_match(line) {
            papers += 1;
        } else if SECTION.is_match(line) && line.len() <= 100 {
            sections += 1;
        }
    }
    sections >= 2 && papers >= 3
}

struct Draft {
    line: u64,
    title: String,
    topic: Option<String>,
    body: Vec<String>,
}

pub fn parse(file: &str, text: &str, opts: &ParseOptions) -> Parsed {
    let date = issue_date(text, opts);
    let mut drafts: Vec<Draft> = Vec::new();
    let mut section = 0u32; // 0 = preamble: intro, table of contents, promos
    let mut topic: Option<String> = None;
    let mut last_minor = 0u32;
    let mut in_paper = false;
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        // Headings must continue the numbering, so an abstract line that happens to start
        // with "2." is not mistaken for one. A numbered table of contents is tolerated by
        // letting "1." / "1.1." restart the numbering while no paper has been seen.
        if let Some(m) = PAPER.captures(line) {
            let (major, minor) = (num(&m[1]), num(&m[2]));
            let continues = (major == section && minor > last_minor)
                || (minor == 1 && (major > section || drafts.is_empty()));
            if continues && m[3].len() <= 300 {
                if major != section {
                    topic = None; // its section heading is missing
                }
                section = major;
                last_minor = minor;
                in_paper = true;
                drafts.push(Draft {
                    line: idx as u64 + 1,
                    title: clean(&m[3]),
                    topic: topic.clone(),
                    body: Vec::new(),
                });
                continue;
            }
        } else if let Some(m) = SECTION.captures(line) {
            let (n, heading) = (num(&m[1]), m[2].trim());
            let continues = n == section + 1 || (n == 1 && drafts.is_empty());
            if continues && heading.len() <= 100 && !heading.ends_with('.') {
                section = n;
                last_minor = 0;
                // Text under a section heading but before its first paper is no abstract.
                in_paper = false;
                let slug = slug(&clean(heading));
                topic = (!slug.is_empty()).then(|| format!("/newsletter/{slug}"));
                continue;
            }
        }
        if in_paper {
            if let Some(d) = drafts.last_mut() {
                d.body.push(line.to_string());
            }
        }
    }

    let mut parsed = Parsed::default();
    for mut d in drafts {
        // Promotional tails ("My New E-Book ...", "Mentoring sessions: https://lnkd.in/..").
        while d.body.last().is_some_and(|l| PROMO.is_match(l)) {
            d.body.pop();
        }
        let abstract_text = clean(&d.body.join(" "));
        let missing = match (d.title.is_empty(), abstract_text.is_empty()) {
            (true, _) => Some("newsletter entry without a title"),
            (false, true) => Some("newsletter entry without an abstract"),
            (false, false) => None,
        };
        if let Some(reason) = missing {
            parsed.skipped.push(Skip {
                file: file.to_string(),
                line: d.line,
                reason: reason.to_string(),
            });
            continue;
        }
        let mut p = Paper::new(d.title, abstract_text, None);
        p.date = date;
        p.topics.extend(d.topic);
        p.sources.push(SourceRef {
            file: file.to_string(),
            format: Format::Newsletter.name().to_string(),
            line: d.line,
        });
        parsed.papers.push(p);
    }
    parsed
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(0)
}

/// "LLM Scaling & Optimization" -> "llm-scaling-optimization".
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(out.trim_end_matches('-').len());
    out
}

/// First day of "Week from 24/02 to 01/03"; the year comes from a "February 2025" mention
/// (the intro), else from `opts.year`, else the date stays unknown.
fn issue_date(text: &str, opts: &ParseOptions) -> Option<Date> {
    let head: String = text.lines().take(30).collect::<Vec<_>>().join("\n");
    let week = WEEK.captures(&head)?;
    let (day, month) = (num(&week[1]) as u8, num(&week[2]) as u8);
    let month = Month::try_from(month).ok()?;
    let year = match week.get(3) {
        Some(y) => y.as_str().parse().ok(),
        None => MONTH_YEAR
            .captures(&head)
            .and_then(|m| {
                let year: i32 = m[2].parse().ok()?;
                let named = month_from_name(&m[1])?;
                // A week spanning new year: "29/12 to 04/01" in "First Week of January 2026".
                Some(if named == Month::January && month == Month::December {
                    year - 1
                } else {
                    year
                })
            })
            .or(opts.year),
    }?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::assert_clean_papers;
    use time::macros::date;

    const S000: &str = include_str!("../../corpus-samples/000_49c743b0cf8a9bc6.txt");
    const S002: &str = include_str!("../../corpus-samples/002_d39b0cd639caf1e2.txt");

    fn titled<'a>(parsed: &'a Parsed, title: &str) -> &'a Paper {
        parsed
            .papers
            .iter()
            .find(|p| p.title == title)
            .unwrap_or_else(|| panic!("no paper {title:?}"))
    }

    #[test]
    fn seed_000() {
        let parsed = parse("000.txt", S000, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 17);
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert_clean_papers(&parsed.papers);
        let lora = titled(
            &parsed,
            "Make LoRA Great Again: Boosting LoRA with Adaptive Singular Values and \
             Mixture-of-Experts Optimization Alignment",
        );
        assert_eq!(lora.date, Some(date!(2025 - 02 - 24)));
        assert_eq!(lora.topics, ["/newsletter/llm-scaling-optimization"]);
        assert_eq!(lora.sources[0].line, 69);
        assert_eq!(lora.sources[0].format, "newsletter");
        assert!(lora
            .abstract_text
            .starts_with("While Low-Rank Adaptation (LoRA) enables"));
        assert!(
            lora.abstract_text
                .ends_with("state-of-the-art performance, closing the gap with Full FT."),
            "{}",
            lora.abstract_text
        );
        let first = &parsed.papers[0];
        assert_eq!(first.title, "Thus Spake Long-Context Large Language Model");
        assert_eq!(first.topics, ["/newsletter/llm-progress-technical-reports"]);
        assert!(first
            .abstract_text
            .starts_with("Long context is an important topic"));
        // LaTeX and TeX quotes are cleaned; the last paper loses the mentoring tail.
        let p2l = titled(&parsed, "Prompt-to-Leaderboard");
        assert!(p2l
            .abstract_text
            .ends_with("achieved the #1 spot in the Chatbot Arena leaderboard."));
        let moba = titled(
            &parsed,
            "MoBA: Mixture of Block Attention for Long-Context LLMs",
        );
        assert!(moba
            .abstract_text
            .contains("the \"less structure\" principle"));
        let last = parsed.papers.last().unwrap();
        assert!(last.title.starts_with("CODESYNC:"));
        assert!(last
            .abstract_text
            .ends_with("real-time code knowledge updating in the future."));
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.date == Some(date!(2025 - 02 - 24))));
    }

    #[test]
    fn seed_002() {
        let parsed = parse("002.txt", S002, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 23);
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert_clean_papers(&parsed.papers);
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.date == Some(date!(2025 - 02 - 03))));
        let bolt = titled(
            &parsed,
            "BOLT: Bootstrap Long Chain-of-Thought in Language Models without Distillation",
        );
        assert_eq!(bolt.topics, ["/newsletter/llm-reasoning"]);
        assert!(bolt
            .abstract_text
            .contains("BOLT involves three stages: 1) LongCoT data"));
        let rag = titled(
            &parsed,
            "DeepRAG: Thinking to Retrieval Step by Step for Large Language Models",
        );
        assert_eq!(
            rag.topics,
            ["/newsletter/retrieval-augmented-generation-rag"]
        );
        // The section heading wins over the table of contents ("Scaling & Optimization").
        let smol = titled(&parsed, "s1: Simple test-time scaling");
        assert_eq!(smol.topics, ["/newsletter/llm-scaling-quantization"]);
        let ssqr = parsed
            .papers
            .iter()
            .find(|p| p.title.starts_with("Self-supervised Quantized"))
            .unwrap();
        assert!(ssqr.abstract_text.contains("discrete codes (i.e., tokens)"));
        let last = parsed.papers.last().unwrap();
        assert!(last
            .abstract_text
            .ends_with("under aggressive compression ratios."));
    }

    #[test]
    fn sniffs_seeds_as_newsletter() {
        for (name, text) in [
            ("000_49c743b0cf8a9bc6.txt", S000),
            ("002_d39b0cd639caf1e2.txt", S002),
        ] {
            assert_eq!(
                crate::ingest::sniff(name, text),
                Some(Format::Newsletter),
                "{name}"
            );
        }
        assert!(!looks_like("1. Intro\nSome text.\n2. More\n"));
    }

    #[test]
    fn date_needs_a_year() {
        let text = "Important LLMs Papers for the Week from 24/02 to 01/03\n1. Agents\n\
                    1.1. A Title\nAn abstract line long enough to be one.\n";
        assert_eq!(
            parse("f", text, &ParseOptions::default()).papers[0].date,
            None
        );
        let opts = ParseOptions {
            year: Some(2024),
            ..Default::default()
        };
        assert_eq!(
            parse("f", text, &opts).papers[0].date,
            Some(date!(2024 - 02 - 24))
        );
        let new_year = "Papers for the Week from 29/12 to 04/01\nThe First Week of January 2026.\n\
                        1. Agents\n1.1. A Title\nAbstract.\n";
        let p = &parse("f", new_year, &ParseOptions::default()).papers[0];
        assert_eq!(p.date, Some(date!(2025 - 12 - 29)));
    }

    #[test]
    fn numbering_guards_headings() {
        let text = "Table of Contents:\n1. Reasoning\n2. Agents\n\
                    1. Reasoning\n1.1. First Paper\nIt works in stages:\n1.5 billion parameters suffice.\n\
                    2. a second stage that looks like a heading.\n3. Later Section\n1.1. Not a paper\n\
                    2. Agents\n2.1. Second Paper\nBody two.\nSubscribe to my newsletter: https://lnkd.in/x\n";
        let parsed = parse("f", text, &ParseOptions::default());
        let titles: Vec<_> = parsed.papers.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["First Paper", "Second Paper"]);
        assert_eq!(parsed.papers[0].topics, ["/newsletter/reasoning"]);
        assert_eq!(parsed.papers[0].sources[0].line, 5);
        assert!(parsed.papers[0]
            .abstract_text
            .contains("stages: 1.5 billion parameters suffice. 2. a second stage"));
        assert!(parsed.papers[0].abstract_text.ends_with("1.1. Not a paper"));
        assert_eq!(parsed.papers[1].abstract_text, "Body two.");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("LLM Reasoning"), "llm-reasoning");
        assert_eq!(
            slug("Retrieval Augmented Generation (RAG)"),
            "retrieval-augmented-generation-rag"
        );
        assert_eq!(
            slug("  LLM Scaling & Optimization!  "),
            "llm-scaling-optimization"
        );
        assert_eq!(slug("&&"), "");
    }
}
