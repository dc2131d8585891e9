//! Daily papers listing (seed 004): page chrome, a day header ("Aug 19"), then title /
//! blank / abstract pairs. Lines are classified by shape (a title is short, an abstract is
//! long prose) rather than by parity, so one broken pair is reported as a skip instead of
//! shifting every later title onto the wrong abstract.

use std::sync::LazyLock;

use regex::Regex;
use time::Date;

use super::text::{clean, month_from_name};
use super::{Format, ParseOptions, Parsed, Skip};
use crate::paper::{Paper, SourceRef};

const CHROME: [&str; 5] = [
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
];

static DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?)\s+(\d{1,2})(?:,?\s+((?:19|20)\d\d))?$")
        .unwrap()
});

fn is_chrome(line: &str) -> bool {
    CHROME.iter().any(|c| c.eq_ignore_ascii_case(line))
}

/// The day header's date: its own year, else `opts.year`, else unknown (`Ok(None)`).
/// `Err` when the line is not a day header at all.
fn day_header(line: &str, opts: &ParseOptions) -> Result<Option<Date>, ()> {
    let m = DAY.captures(line).ok_or(())?;
    let month = month_from_name(&m[1]).ok_or(())?;
    let day: u8 = m[2].parse().map_err(|_| ())?;
    let year = m.get(3).and_then(|y| y.as_str().parse().ok()).or(opts.year);
    Ok(year.and_then(|y| Date::from_calendar_date(y, month, day).ok()))
}

/// An abstract is prose: long, or at least a couple of sentences.
fn abstract_like(line: &str) -> bool {
    line.len() >= 300 || (line.len() >= 120 && line.contains(". "))
}

/// A day header followed by title/abstract pairs, or the "Daily Papers" chrome.
pub fn looks_like(head: &str) -> bool {
    let lines: Vec<&str> = head
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let chrome = lines.contains(&"Daily Papers");
    let header = lines
        .iter()
        .any(|l| day_header(l, &ParseOptions::default()).is_ok());
    let pairs = lines
        .windows(2)
        .filter(|w| !abstract_like(w[0]) && abstract_like(w[1]))
        .count();
    (header || chrome) && pairs >= 2
}

pub fn parse(file: &str, text: &str, opts: &ParseOptions) -> Parsed {
    let mut parsed = Parsed::default();
    let skip = |parsed: &mut Parsed, line: u64, reason: &str| {
        parsed.skipped.push(Skip {
            file: file.to_string(),
            line,
            reason: reason.to_string(),
        })
    };
    let mut date: Option<Date> = None;
    let mut pending: Option<(u64, &str)> = None; // a title waiting for its abstract
    for (idx, raw) in text.lines().enumerate() {
        let (line_no, line) = (idx as u64 + 1, raw.trim());
        if line.is_empty() || is_chrome(line) {
            continue;
        }
        if let Ok(d) = day_header(line, opts) {
            if let Some((at, _)) = pending.take() {
                skip(&mut parsed, at, "title without an abstract");
            }
            date = d;
            continue;
        }
        match (pending, abstract_like(line)) {
            (None, false) => pending = Some((line_no, line)),
            (None, true) => skip(&mut parsed, line_no, "abstract without a title"),
            (Some((at, _)), false) => {
                skip(&mut parsed, at, "title without an abstract");
                pending = Some((line_no, line));
            }
            (Some((at, title)), true) => {
                pending = None;
                let mut p = Paper::new(clean(title), clean(line), None);
                p.date = date;
                p.sources.push(SourceRef {
                    file: file.to_string(),
                    format: Format::Daily.name().to_string(),
                    line: at,
                });
                parsed.papers.push(p);
            }
        }
    }
    if let Some((at, _)) = pending {
        skip(&mut parsed, at, "title without an abstract");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::text::assert_clean_papers;
    use time::macros::date;

    const S004: &str = include_str!("../../corpus-samples/004_d8329b276105c370.txt");

    #[test]
    fn seed_004() {
        let parsed = parse("004.txt", S004, &ParseOptions::default());
        assert_eq!(parsed.papers.len(), 76);
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
        assert_clean_papers(&parsed.papers);
        // No year in "Aug 19": the date stays unknown rather than invented.
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.date.is_none() && p.topics.is_empty()));
        let first = &parsed.papers[0];
        assert_eq!(
            first.title,
            "Perceptual Decoupling for Scalable Multi-modal Reasoning via Reward-Optimized Captioning"
        );
        assert_eq!(first.sources[0].line, 13);
        assert_eq!(first.sources[0].format, "daily");
        assert!(first
            .abstract_text
            .starts_with("Recent advances in slow-thinking language models"));
        let meds = &parsed.papers[3];
        assert_eq!(
            meds.title,
            // `MedS$^3$`: the superscript keeps its caret (the tokenizer still finds `meds3`).
            "MedS^3: Towards Medical Small Language Models with Self-Evolved Slow Thinking"
        );
        let last = parsed.papers.last().unwrap();
        assert_eq!(
            last.title,
            "Set-Based Prompting: Provably Solving the Language Model Order Dependency Problem"
        );
        assert_eq!(last.sources[0].line, 313);
        assert!(last
            .abstract_text
            .ends_with("via modifying the input representations."));
        let recycle = parsed
            .papers
            .iter()
            .find(|p| p.title.starts_with("Turning Trash"))
            .unwrap();
        assert!(recycle
            .abstract_text
            .contains("requires <2MB of additional storage"));
        // Titles and abstracts are paired, never swapped.
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.title.len() < 150 && p.abstract_text.len() > 1000));
    }

    #[test]
    fn year_from_options() {
        let opts = ParseOptions {
            year: Some(2025),
            ..Default::default()
        };
        let parsed = parse("004.txt", S004, &opts);
        assert!(parsed
            .papers
            .iter()
            .all(|p| p.date == Some(date!(2025 - 08 - 19))));
    }

    #[test]
    fn sniffs_seed_as_daily() {
        assert_eq!(
            crate::ingest::sniff("004_d8329b276105c370.txt", S004),
            Some(Format::Daily)
        );
        assert!(!looks_like("Aug 19\n\nJust a title\n"));
    }

    #[test]
    fn broken_pairs_are_skipped_not_shifted() {
        let long =
            |tag: &str| format!("{tag} abstract. {}", "More prose follows here. ".repeat(15));
        let text = format!(
            "Daily Papers\n\nAug 19\n\nTitle One\n\n{a1}\n\n{orphan}\n\nTitle Two\n\nTitle Three\n\n{a3}\n\n\
             Sep 2, 2024\n\nTitle Four\n\n{a4}\n\nDangling Title\n",
            a1 = long("First"),
            orphan = long("Orphan"),
            a3 = long("Third"),
            a4 = long("Fourth"),
        );
        let opts = ParseOptions {
            year: Some(2025),
            ..Default::default()
        };
        let parsed = parse("f", &text, &opts);
        let got: Vec<_> = parsed
            .papers
            .iter()
            .map(|p| (p.title.as_str(), &p.abstract_text[..5], p.date.unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("Title One", "First", date!(2025 - 08 - 19)),
                ("Title Three", "Third", date!(2025 - 08 - 19)),
                ("Title Four", "Fourt", date!(2024 - 09 - 02)),
            ]
        );
        let skips: Vec<_> = parsed
            .skipped
            .iter()
            .map(|s| (s.line, s.reason.as_str()))
            .collect();
        assert_eq!(
            skips,
            [
                (9, "abstract without a title"),
                (11, "title without an abstract"),
                (23, "title without an abstract"),
            ]
        );
    }
}
