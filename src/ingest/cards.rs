//! arxcompass-style paper cards (seed 001): markdown page whose `<div class="paper-card">`
//! blocks hold an arXiv link + title, a meta line ("📅 date | 💬 comment", often as mojibake)
//! and a `<details class="paper-abstract">`. The page title "# llm - 2025_02" gives the topic.

use std::sync::LazyLock;

use regex::Regex;
use time::Date;

use super::text::{clean, decode_entities};
use super::{Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};

const CARD: &str = "class=\"paper-card\"";

static TITLE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)class="paper-title"[^>]*>\s*(?:<a\s[^>]*href="([^"]*)"[^>]*>)?(.*?)</div>"#)
        .unwrap()
});
static META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?s)class="paper-meta"[^>]*>(.*?)</div>"#).unwrap());
static ABSTRACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)<details[^>]*class="paper-abstract"[^>]*>(.*?)(?:</details>|$)"#).unwrap()
});
static SUMMARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<summary[^>]*>.*?</summary>").unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").unwrap());
static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").unwrap());
static ARXIV_ABS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"arxiv\.org/(?:abs|pdf)/((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)")
        .unwrap()
});
static PAGE_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^#\s+(.+?)\s+-\s+\d{4}_\d{2}\s*$").unwrap());

// `sniff` recognizes cards by the same marker inline; this keeps the parser interface uniform.
#[allow(dead_code)]
pub fn looks_like(head: &str) -> bool {
    head.contains(CARD)
}

pub fn parse(file: &str, text: &str, _opts: &ParseOptions) -> Parsed {
    let topic = PAGE_TITLE
        .captures(text)
        .map(|m| super::newsletter::slug(&m[1]))
        .filter(|s| !s.is_empty())
        .map(|s| format!("/arxcompass/{s}"));
    let mut parsed = Parsed::default();
    // A card runs from its opening line to the next card (or the end of the file), so one
    // malformed card never swallows its neighbours.
    let starts: Vec<usize> = text
        .match_indices("<div")
        .filter(|(i, _)| {
            text[*i..]
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains(CARD))
        })
        .map(|(i, _)| i)
        .collect();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let line = text[..start].matches('\n').count() as u64 + 1;
        match card(&text[start..end]) {
            Ok(mut p) => {
                p.topics.extend(topic.clone());
                p.sources.push(SourceRef {
                    file: file.to_string(),
                    format: Format::Cards.name().to_string(),
                    line,
                });
                parsed.papers.push(p);
            }
            Err(reason) => parsed.skipped.push(Skip {
                file: file.to_string(),
                line,
                reason: reason.to_string(),
            }),
        }
    }
    parsed
}

/// Markup -> text: tags removed before entities are decoded, so "&lt;b&gt;" stays text.
fn html_text(s: &str) -> String {
    clean(&decode_entities(&TAG.replace_all(s, " ")))
}

fn card(block: &str) -> Result<Paper, &'static str> {
    let title_m = TITLE_LINK
        .captures(block)
        .ok_or("paper card without a title")?;
    let title = html_text(&title_m[2]);
    if title.is_empty() {
        return Err("paper card with an empty title");
    }
    let abstract_text = ABSTRACT
        .captures(block)
        .map(|m| html_text(&SUMMARY.replace_all(&m[1], " ")))
        .unwrap_or_default();
    if abstract_text.is_empty() {
        return Err("paper card without an abstract");
    }
    let href = title_m.get(1).map(|h| decode_entities(h.as_str()));
    let arxiv = href
        .as_deref()
        .and_then(|h| ARXIV_ABS.captures(h))
        .map(|m| m[1].to_string());
    let mut p = Paper::new(title, abstract_text, arxiv);
    p.url = match &p.arxiv_id {
        Some(id) => Some(format!("https://arxiv.org/abs/{id}")),
        None => href.filter(|h| h.starts_with("http")),
    };
    if let Some(meta) = META.captures(block) {
        let meta = html_text(&meta[1]);
        // "📅 2025-02-01 | 💬 AAAI 2025": the date before the first '|', the comment after.
        let (dates, comment) = meta.split_once('|').unwrap_or((&meta, ""));
        p.date = DATE.captures(dates).and_then(|d| {
            let month = time::Month::try_from(d[2].parse::<u8>().ok()?).ok()?;
            Date::from_calendar_date(d[1].parse().ok()?, month, d[3].parse().ok()?).ok()
        });
        // Strip the leading marker emoji (or whatever was left of it) from the comment.
        let comment = comment.trim_start_matches(|c: char| c.is_whitespace() || is_symbol(c));
        p.comment = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
    }
    Ok(p)
}

/// Pictographs and the variation selector / joiner that accompany them.
fn is_symbol(c: char) -> bool {
    !c.is_ascii() && !c.is_alphanumeric() && !matches!(c, '“' | '‘' | '«')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::assert_clean_papers;
    use time::macros::date;

    const S001: &str = include_str!("../../corpus-samples/001_2e2c283b0582c765.txt");

    #[test]
    fn seed_001() {
        let parsed = parse("001.txt", S001, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 17);
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert_clean_papers(&parsed.papers);
        let first = &parsed.papers[0];
        assert_eq!(first.id, "2412.17626");
        assert_eq!(first.arxiv_id.as_deref(), Some("2412.17626"));
        assert_eq!(
            first.url.as_deref(),
            Some("https://arxiv.org/abs/2412.17626")
        );
        assert_eq!(
            first.title,
            "Tracking the Feature Dynamics in LLM Training: A Mechanistic Study"
        );
        assert_eq!(first.date, Some(date!(2025 - 02 - 01)));
        assert_eq!(first.comment, None);
        assert_eq!(first.topics, ["/arxcompass/llm"]);
        assert_eq!(first.sources[0].line, 24);
        assert_eq!(first.sources[0].format, "cards");
        assert!(first
            .abstract_text
            .starts_with("Understanding training dynamics"));
        let vtg = parsed
            .papers
            .iter()
            .find(|p| p.title.starts_with("VTG-LLM:"))
            .unwrap();
        assert_eq!(vtg.comment.as_deref(), Some("AAAI 2025"));
        assert_eq!(vtg.id, "2405.13382");
        let uni = parsed.papers.iter().find(|p| p.id == "2502.00439").unwrap();
        assert!(
            uni.abstract_text
                .contains("Softmax Unification in Attention (UniAttn)"),
            "{}",
            uni.abstract_text
        );
        assert!(uni
            .abstract_text
            .contains("https://github.com/Bostoncake/UniAttn"));
        assert_eq!(
            uni.comment.as_deref(),
            Some("11 pages, 4 figures. Preprint, under review")
        );
        let market = parsed.papers.iter().find(|p| p.id == "2502.00415").unwrap();
        assert!(market.abstract_text.contains("S&P 100 stocks"));
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.date == Some(date!(2025 - 02 - 01))));
        assert_eq!(
            parsed.papers.iter().filter(|p| p.comment.is_some()).count(),
            10
        );
    }

    #[test]
    fn sniffs_seed_as_cards() {
        assert_eq!(
            crate::ingest::sniff("001_2e2c283b0582c765.txt", S001),
            Some(Format::Cards)
        );
        assert!(looks_like(S001));
    }

    #[test]
    fn entities_and_broken_cards() {
        let text = "# cs.CL - 2025_03\n\
            <div class=\"paper-card\">\n\
            <div class=\"paper-title\"><a href=\"https://example.org/x\">A &amp; B &lt;C&gt; &#233;t&#xE9;</a></div>\n\
            <div class=\"paper-meta\">ðŸ“… 2025-03-02 | ðŸ’¬ &quot;Oral&quot;</div>\n\
            <details class=\"paper-abstract\"><summary>Abstract</summary>It&#39;s an abstract.</details>\n\
            </div>\n\
            <div class=\"paper-card\">\n\
            <div class=\"paper-title\"><a href=\"http://arxiv.org/abs/2501.00001v1\">No abstract</a></div>\n\
            </div>\n\
            <div class=\"paper-card\"><details class=\"paper-abstract\">Orphan.</details></div>\n";
        let parsed = parse("f.md", text, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 1);
        let p = &parsed.papers[0];
        assert_eq!(p.title, "A & B <C> été");
        assert_eq!(p.abstract_text, "It's an abstract.");
        assert_eq!(p.comment.as_deref(), Some("\"Oral\""));
        assert_eq!(p.date, Some(date!(2025 - 03 - 02)));
        assert_eq!(p.url.as_deref(), Some("https://example.org/x"));
        assert_eq!(p.arxiv_id, None);
        assert_eq!(p.topics, ["/arxcompass/cs-cl"]);
        let skips: Vec<_> = parsed
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skips,
            [
                (7, "paper card without an abstract"),
                (10, "paper card without a title")
            ]
        );
    }
}
