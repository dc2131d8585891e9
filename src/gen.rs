//! A deterministic generator of realistic papers for scale benchmarks: vocabulary, title and
//! abstract lengths, dates and topics are drawn from real papers (the bundled samples, or any
//! files `paperdex` can read), and written as arXiv-listing JSON lines.

use std::collections::HashMap;
use std::io::Write;

use crate::index::{date_from_days, days_since_epoch};
use crate::paper::Paper;
use crate::search::format_date;

/// What the generator learned from real papers.
pub struct Model {
    words: Vec<String>,
    /// Cumulative word weights, for sampling by binary search.
    cumulative: Vec<u64>,
    title_lengths: Vec<usize>,
    abstract_lengths: Vec<usize>,
    days: Vec<i64>,
    categories: Vec<Vec<String>>,
}

/// How generated papers' dates follow one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// Oldest first, as arXiv dumps and daily listings arrive: paper `i` of `n` gets the
    /// learned dates' `i/n` quantile, so each indexing batch spans a short stretch of time.
    #[default]
    Chronological,
    /// Each paper draws a learned date at random: every segment spans the whole range (the
    /// worst case for the recency bound, which is per segment).
    Shuffled,
}

/// SplitMix64: tiny, fast and fully deterministic across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl Model {
    /// Learns from papers; None when they hold no text to learn from.
    pub fn learn(papers: &[Paper]) -> Option<Model> {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut model = Model {
            words: Vec::new(),
            cumulative: Vec::new(),
            title_lengths: Vec::new(),
            abstract_lengths: Vec::new(),
            days: Vec::new(),
            categories: Vec::new(),
        };
        for p in papers {
            let title: Vec<&str> = p.title.split_whitespace().collect();
            let abs: Vec<&str> = p.abstract_text.split_whitespace().collect();
            if title.is_empty() || abs.is_empty() {
                continue;
            }
            model.title_lengths.push(title.len());
            model.abstract_lengths.push(abs.len());
            for w in title.into_iter().chain(abs) {
                *counts.entry(w).or_default() += 1;
            }
            if let Some(d) = p.date {
                model.days.push(days_since_epoch(d));
            }
            let cats: Vec<String> = p
                .topics
                .iter()
                .filter_map(|t| t.strip_prefix("/arxiv/"))
                .map(|t| t.replacen('/', ".", 1))
                .collect();
            if !cats.is_empty() {
                model.categories.push(cats);
            }
        }
        if counts.is_empty() {
            return None;
        }
        let mut words: Vec<(&str, u64)> = counts.into_iter().collect();
        words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut total = 0;
        for (w, n) in words {
            total += n;
            model.words.push(w.to_string());
            model.cumulative.push(total);
        }
        model.days.sort_unstable();
        Some(model)
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let total = *self.cumulative.last().expect("non-empty");
        let pick = rng.next() % total;
        let i = self.cumulative.partition_point(|&c| c <= pick);
        &self.words[i]
    }

    fn text(&self, rng: &mut Rng, len: usize) -> String {
        let mut out = String::new();
        for i in 0..len {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word(rng));
        }
        out
    }

    /// Writes `n` papers as arXiv-listing JSON lines; the same seed and order give the same
    /// bytes.
    pub fn generate(
        &self,
        n: usize,
        seed: u64,
        order: DateOrder,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        let mut rng = Rng(seed);
        for i in 0..n {
            let title_len = self.title_lengths[rng.below(self.title_lengths.len())];
            let abstract_len = self.abstract_lengths[rng.below(self.abstract_lengths.len())];
            let date = if self.days.is_empty() {
                None
            } else {
                let at = match order {
                    // u128: i * len overflows u64 for no realistic n, but costs nothing.
                    DateOrder::Chronological => {
                        (i as u128 * self.days.len() as u128 / n as u128) as usize
                    }
                    DateOrder::Shuffled => rng.below(self.days.len()),
                };
                date_from_days(self.days[at]).map(format_date)
            };
            let categories: &[String] = if self.categories.is_empty() {
                &[]
            } else {
                &self.categories[rng.below(self.categories.len())]
            };
            let record = serde_json::json!({
                "id": format!("gen-{i:09}"),
                "title": self.text(&mut rng, title_len),
                "authors": [format!("Author {}", rng.below(50_000))],
                "categories": categories,
                "comment": null,
                "abstract": self.text(&mut rng, abstract_len),
                "first_listed": date,
            });
            serde_json::to_writer(&mut *out, &record)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{self, Format, ParseOptions};

    fn model() -> Model {
        let text = include_str!("../corpus-samples/arxiv-listings-sample.jsonl");
        let parsed = ingest::parse(
            "s.jsonl",
            text,
            Format::ArxivListing,
            &ParseOptions::default(),
        );
        Model::learn(&parsed.papers).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
        let m = model();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        m.generate(50, 7, DateOrder::Chronological, &mut a).unwrap();
        m.generate(50, 7, DateOrder::Chronological, &mut b).unwrap();
        m.generate(50, 8, DateOrder::Chronological, &mut c).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let (mut d, mut e) = (Vec::new(), Vec::new());
        m.generate(50, 7, DateOrder::Shuffled, &mut d).unwrap();
        m.generate(50, 7, DateOrder::Shuffled, &mut e).unwrap();
        assert_eq!(d, e);
        assert_ne!(a, d);
    }

    fn dates(m: &Model, n: usize, order: DateOrder) -> Vec<i64> {
        let mut out = Vec::new();
        m.generate(n, 3, order, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let parsed = ingest::parse(
            "g.jsonl",
            &text,
            Format::ArxivListing,
            &ParseOptions::default(),
        );
        assert_eq!(parsed.papers.len(), n);
        parsed
            .papers
            .iter()
            .map(|p| days_since_epoch(p.date.unwrap()))
            .collect()
    }

    #[test]
    fn chronological_dates_are_the_learned_dates_in_order() {
        let m = model();
        // As many papers as learned dates: exactly those dates, oldest first.
        assert_eq!(dates(&m, m.days.len(), DateOrder::Chronological), m.days);
        // Three times as many: each learned date three times, still in order.
        let tripled: Vec<i64> = m.days.iter().flat_map(|&d| [d; 3]).collect();
        assert_eq!(
            dates(&m, 3 * m.days.len(), DateOrder::Chronological),
            tripled
        );
    }

    #[test]
    fn shuffled_dates_are_learned_dates_out_of_order() {
        let m = model();
        let got = dates(&m, 500, DateOrder::Shuffled);
        assert!(got.iter().all(|d| m.days.binary_search(d).is_ok()));
        assert!(
            got.windows(2).any(|w| w[1] < w[0]),
            "never goes back in time"
        );
    }

    #[test]
    fn generated_papers_parse_and_stay_within_what_was_learned() {
        let m = model();
        let mut out = Vec::new();
        m.generate(200, 1, DateOrder::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let parsed = ingest::parse(
            "g.jsonl",
            &text,
            Format::ArxivListing,
            &ParseOptions::default(),
        );
        assert_eq!(parsed.papers.len(), 200, "{:?}", parsed.skipped.first());
        let (lo, hi) = (m.days[0], *m.days.last().unwrap());
        for p in &parsed.papers {
            let d = days_since_epoch(p.date.unwrap());
            assert!((lo..=hi).contains(&d));
            let len = p.abstract_text.split_whitespace().count();
            assert!(m.abstract_lengths.contains(&len), "{len}");
            assert!(p
                .title
                .split_whitespace()
                .all(|w| m.words.iter().any(|v| v == w)));
        }
        let ids: std::collections::HashSet<_> = parsed.papers.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), 200);
    }
}
