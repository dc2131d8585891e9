//! Digest post with titled entries (seed 003). Entries are anchored on their "Methodology"
//! line: [title] / intro paragraph / "Methodology" / method paragraph / ["Results: ..."].
//! The anchor makes the structure unambiguous even when an entry has no title line (its
//! title is then derived from the intro) and keeps the preamble (navigation, "Highlights",
//! advertising) out of every paper.

use std::sync::LazyLock;

use regex::Regex;
use time::Date;

use super::newsletter::slug;
use super::text::{clean, month_from_name};
use super::{Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};

const ANCHOR: &str = "Methodology";
const RESULTS: &str = "Results:";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(january|february|march|april|may|june|july|august|september|october|november|december)\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:[^\n]{0,40}?\b((?:19|20)\d\d)\b)?",
    )
    .unwrap()
});
static LINK_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\s*\|\s*(?:github|code|paper|arxiv|project page|website|blog))+\s*$")
        .unwrap()
});

/// At least two "Methodology" lines.
pub fn looks_like(head: &str) -> bool {
    head.lines().filter(|l| l.trim() == ANCHOR).count() >= 2
}

pub fn parse(file: &str, text: &str, opts: &ParseOptions) -> Parsed {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let prev_nonempty = |from: usize| (0..from).rev().find(|&i| !lines[i].is_empty());
    let next_nonempty = |from: usize| (from + 1..lines.len()).find(|&i| !lines[i].is_empty());
    let anchors: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == ANCHOR).collect();

    let mut parsed = Parsed::default();
    let skip = |parsed: &mut Parsed, i: usize, reason: &str| {
        parsed.skipped.push(Skip {
            file: file.to_string(),
            line: i as u64 + 1,
            reason: reason.to_string(),
        })
    };
    let date = anchors.first().and_then(|&a| issue_date(&lines[..a], opts));
    let mut topic: Option<String> = None;
    let mut prev_end: Option<usize> = None; // last line of the previous entry
    for (k, &anchor) in anchors.iter().enumerate() {
        let not_before_prev = |i: &usize| prev_end.is_none_or(|e| *i > e);
        let Some(intro) = prev_nonempty(anchor).filter(not_before_prev) else {
            skip(
                &mut parsed,
                anchor,
                "\"Methodology\" without an introduction paragraph",
            );
            continue;
        };
        let next_anchor = anchors.get(k + 1).copied().unwrap_or(lines.len());
        let method = next_nonempty(anchor).filter(|&i| i < next_anchor && lines[i] != ANCHOR);
        let results = method
            .and_then(next_nonempty)
            .filter(|&i| i < next_anchor && lines[i].starts_with(RESULTS));
        let end = results.or(method).unwrap_or(anchor);

        // Title and section heading live in the gap after the previous entry. The gap line
        // right before the intro is the title only if it looks like one; otherwise (a
        // "Results:" line, a paragraph) this entry has no title line.
        let title_line = prev_nonempty(intro)
            .filter(not_before_prev)
            .filter(|&i| title_like(lines[i]));
        if let Some(h) = title_line.and_then(prev_nonempty).filter(not_before_prev) {
            if heading_like(lines[h]) {
                let s = slug(&clean(lines[h]));
                topic = (!s.is_empty()).then(|| format!("/digest/{s}"));
            }
        }
        prev_end = Some(end);

        let intro_text = clean(lines[intro]);
        let title = match title_line {
            Some(t) => clean(&LINK_SUFFIX.replace(lines[t], "")),
            None => title_from_sentence(&intro_text),
        };
        let mut parts = vec![intro_text];
        parts.extend(method.map(|i| clean(lines[i])));
        parts.extend(results.map(|i| clean(&lines[i][RESULTS.len()..])));
        let abstract_text = parts.join(" ").trim().to_string();
        let start = title_line.unwrap_or(intro);
        if title.is_empty() {
            skip(&mut parsed, start, "digest entry without a usable title");
            continue;
        }
        let mut p = Paper::new(title, abstract_text, None);
        p.date = date;
        p.topics.extend(topic.clone());
        p.sources.push(SourceRef {
            file: file.to_string(),
            format: Format::Digest.name().to_string(),
            line: start as u64 + 1,
        });
        parsed.papers.push(p);
    }
    parsed
}

/// A paper title: one short line, not a sentence, not an entry part.
fn title_like(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (1..=30).contains(&words)
        && line.len() <= 250
        && !line.ends_with(['.', ':', ';', ','])
        && !line.starts_with(RESULTS)
        && line != ANCHOR
}

/// A section heading ("LLMs architecture improvement"): a few words, no title punctuation.
fn heading_like(line: &str) -> bool {
    title_like(line) && line.split_whitespace().count() <= 8 && !line.contains([':', '|', '?'])
}

/// A title for an untitled entry: the intro's first sentence, cut to at most ~120 chars
/// (at a clause boundary if one is late enough, else at a word boundary).
fn title_from_sentence(intro: &str) -> String {
    const MAX: usize = 120;
    let sentence = first_sentence(intro).trim_end_matches(['.', ' ']);
    if sentence.chars().count() <= MAX {
        return sentence.to_string();
    }
    let cut = sentence
        .char_indices()
        .nth(MAX)
        .map_or(sentence.len(), |(i, _)| i);
    let head = &sentence[..cut];
    let clause = [", ", "; ", " — ", " – "]
        .iter()
        .filter_map(|sep| head.rfind(sep))
        .max()
        .filter(|&i| i >= MAX / 2);
    let end = clause.or_else(|| head.rfind(' ')).unwrap_or(cut);
    head[..end]
        .trim_end_matches([',', ';', ':', ' '])
        .to_string()
}

/// Up to the first ". " (or "? ", "! ") followed by a capital, skipping abbreviations.
fn first_sentence(s: &str) -> &str {
    const ABBREV: [&str; 6] = ["e.g", "i.e", "al", "vs", "etc", "Fig"];
    for (i, c) in s.char_indices() {
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let rest = &s[i + 1..];
        let next_is_capital = rest
            .strip_prefix(' ')
            .and_then(|r| r.chars().next())
            .is_some_and(char::is_uppercase);
        let word = s[..i].rsplit(' ').next().unwrap_or("");
        if next_is_capital && !(c == '.' && ABBREV.contains(&word)) {
            return &s[..=i];
        }
    }
    s
}

/// First day of the range in "February 16th–28th, 2025"; the year from the text, else
/// `opts.year`, else unknown.
fn issue_date(preamble: &[&str], opts: &ParseOptions) -> Option<Date> {
    let m = preamble.iter().find_map(|l| DATE.captures(l))?;
    let month = month_from_name(&m[1])?;
    let year = m
        .get(3)
        .and_then(|y| y.as_str().parse().ok())
        .or(opts.year)?;
    Date::from_calendar_date(year, month, m[2].parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::assert_clean_papers;
    use time::macros::date;

    const S003: &str = include_str!("../../corpus-samples/003_840db0f15c327b34.txt");

    #[test]
    fn seed_003() {
        let parsed = parse("003.txt", S003, &ParseOptions::default());
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert_clean_papers(&parsed.papers);
        let got: Vec<(u64, &str)> = parsed
            .papers
            .iter()
            .map(|p| (p.sources[0].line, p.title.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (20, "Native Sparse Attention: Hardware-Aligned and Natively Trainable Sparse Attention"),
                (26, "How Do LLMs Acquire New Knowledge? A Knowledge Circuits Perspective on Continual Pre-Training"),
                (31, "Continuous Diffusion Model for Language Modeling"),
                (35, "Make LoRA Great Again: Boosting LoRA with Adaptive Singular Values and Mixture-of-Experts Optimization Alignment"),
                (40, "SpargeAttn: Accurate Sparse Attention Accelerating Any Model Inference"),
                (45, "How Much Knowledge Can You Pack into a LoRA Adapter without Harming LLM?"),
                (50, "While LLMs excel in fact recall, their ability to handle temporally dynamic information is less understood"),
                (55, "Standard Transformers limit themselves by relying solely on the immediately preceding layer’s output"),
                (58, "PAFT: Prompt-Agnostic Fine-Tuning"),
                (63, "MUDDFormer: Breaking Residual Bottlenecks in Transformers via Multiway Dynamic Dense Connections"),
                (69, "Thinking Preference Optimization"),
            ]
        );
        for p in &parsed.papers {
            assert_eq!(p.date, Some(date!(2025 - 02 - 16)));
            assert_eq!(p.topics, ["/digest/llms-architecture-improvement"]);
            assert_eq!(p.sources[0].format, "digest");
            for bad in [
                "Methodology",
                "Results:",
                "| GitHub",
                "Reply",
                "World at Work",
            ] {
                assert!(
                    !p.abstract_text.contains(bad),
                    "{bad:?} in {}",
                    p.abstract_text
                );
            }
        }
        let nsa = &parsed.papers[0];
        assert!(nsa
            .abstract_text
            .starts_with("Standard attention mechanisms are notoriously"));
        assert!(nsa
            .abstract_text
            .contains("dynamic hierarchical sparse strategy"));
        assert!(nsa
            .abstract_text
            .contains("Experiments reveal that models pre-trained with NSA"));
        // The untitled entries keep their own text and do not leak into their neighbours.
        let temporal = &parsed.papers[6];
        assert!(temporal
            .abstract_text
            .starts_with("While LLMs excel in fact recall"));
        assert!(temporal.abstract_text.contains("Temporal Heads"));
        assert!(!parsed.papers[5].abstract_text.contains("Temporal Heads"));
        assert!(parsed.papers[5]
            .abstract_text
            .ends_with("during LoRA-based updates."));
        let limes = &parsed.papers[7];
        assert!(limes
            .abstract_text
            .contains("Layer-Integrated Memory (LIMe)"));
        assert!(parsed.papers[10]
            .abstract_text
            .contains("math reasoning accuracy increases by 8.6%"));
    }

    #[test]
    fn sniffs_seed_as_digest() {
        assert_eq!(
            crate::ingest::sniff("003_840db0f15c327b34.txt", S003),
            Some(Format::Digest)
        );
        assert!(!looks_like("Methodology\nThe Methodology section\n"));
    }

    #[test]
    fn derived_titles() {
        assert_eq!(
            title_from_sentence("We do X, e.g. Y. Then Z."),
            "We do X, e.g. Y"
        );
        assert_eq!(title_from_sentence("No period at all"), "No period at all");
        let long = "word ".repeat(40);
        let t = title_from_sentence(&long);
        assert!(t.len() <= 120 && t.ends_with("word"), "{t}");
    }

    #[test]
    fn heading_and_missing_parts() {
        let text =
            "Digest for March 3rd, 2024\nAgents\nTool Use Paper\nIntro one here.\nMethodology\n\
                    Method one.\nResults: Result one.\nMethodology\nMethod two.\n";
        let parsed = parse("f", text, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 1);
        let p = &parsed.papers[0];
        assert_eq!(p.title, "Tool Use Paper");
        assert_eq!(p.topics, ["/digest/agents"]);
        assert_eq!(p.abstract_text, "Intro one here. Method one. Result one.");
        assert_eq!(p.date, Some(date!(2024 - 03 - 03)));
        assert_eq!(parsed.skipped.len(), 1);
        assert_eq!(parsed.skipped[0].line, 8);
        let no_year = "Posts from March 3rd\nT\nIntro.\nMethodology\nM.\n";
        assert_eq!(
            parse("f", no_year, &ParseOptions::default()).papers[0].date,
            None
        );
        let opts = ParseOptions {
            year: Some(2023),
            ..Default::default()
        };
        assert_eq!(
            parse("f", no_year, &opts).papers[0].date,
            Some(date!(2023 - 03 - 03))
        );
    }
}
