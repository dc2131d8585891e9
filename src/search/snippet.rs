//! Snippets: the best window of an abstract and the ranges of the query's terms in it.
//!
//! The query's terms are found without analyzing the whole abstract. A word's analyzed form
//! keeps its first letter, and all of it but its last `STEM_TAIL` bytes is a prefix of the
//! word (English stems and no-stem analyzers; `PaperAnalyzer::for_terms` relies on the
//! first), so only the whitespace-delimited pieces where a word starts like one of the terms,
//! or that hold a non-ASCII byte (folding), go through the analyzer. The tokenizer splits text
//! piece by piece, so a piece's tokens are those the whole text gives there. The window is the
//! one of at most `max_chars` bytes with the highest sum of matched term weights (every start
//! at a match is tried, so a cluster of matches is never cut in two as by fixed fragments),
//! widened with context on both sides to word boundaries.

use std::collections::BTreeSet;
use std::ops::Range;

use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::tokenizer::{Language, TokenStream, Tokenizer};
use tantivy::{Searcher, Term};

use crate::analysis::{is_word_byte, PaperAnalyzer, PaperAnalyzerStream, STEM_TAIL};
use crate::error::Result;
use crate::schema::TokenizerConfig;

#[derive(Clone)]
pub struct Highlighter {
    /// Analyzed query terms of the field and their weight, `1 / (1 + doc_freq)`.
    terms: Vec<(String, f32)>,
    analyzer: PaperAnalyzer,
    max_chars: usize,
    /// Bytes a token that can become a term may start with: the terms' ASCII first letters
    /// in both cases and every non-ASCII byte (folding). `None` (a stemmer that may change
    /// first letters) analyzes the whole text.
    starts: Option<Box<[bool; 256]>>,
    /// With `starts`: what a word must begin with (ASCII, case aside) to become each term,
    /// the term but its last `STEM_TAIL` bytes (at least its first byte).
    prefixes: Vec<Box<[u8]>>,
}

/// From this many distinct terms a query is prose, and terms in over half the papers are left
/// unhighlighted too.
const PROSE_TERMS: usize = 5;

/// English function words, as the analyzer leaves them (Snowball keeps these unchanged).
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "ani", "are", "as", "at", "be", "been",
    "between", "both", "but", "by", "can", "do", "doe", "each", "for", "from", "had", "has",
    "have", "here", "how", "i", "if", "in", "into", "is", "it", "its", "may", "more", "most", "no",
    "not", "of", "on", "onli", "or", "other", "our", "over", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "under",
    "up", "us", "veri", "via", "was", "we", "were", "what", "when", "where", "whether", "which",
    "while", "who", "whi", "will", "with", "within", "without", "would", "you", "your",
];

/// Whether an analyzed word is an English function word (`STOPWORDS`).
pub(crate) fn is_function_word(term: &str) -> bool {
    STOPWORDS.contains(&term)
}

/// A window of a text and the byte ranges, relative to the window, that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub range: Range<usize>,
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The window as shown: `…` before it when it starts mid-sentence and after it when it
    /// stops mid-sentence before the end, so a cut is never read as the paper's own words;
    /// highlights shifted to match.
    pub fn text(&self, text: &str) -> (String, Vec<[usize; 2]>) {
        const ELLIPSIS: &str = "…";
        let before = text[..self.range.start].trim_end();
        let cut_start = !before.is_empty() && !ends_sentence(before);
        let window = &text[self.range.clone()];
        let cut_end = !text[self.range.end..].trim().is_empty() && !ends_sentence(window);
        let shift = if cut_start { ELLIPSIS.len() } else { 0 };
        let mut out = String::with_capacity(window.len() + 2 * ELLIPSIS.len());
        if cut_start {
            out.push_str(ELLIPSIS);
        }
        out.push_str(window);
        if cut_end {
            out.push_str(ELLIPSIS);
        }
        let highlights = self
            .highlights
            .iter()
            .map(|r| [r.start + shift, r.end + shift])
            .collect();
        (out, highlights)
    }
}

/// Whether text ending here ends a sentence: `.`, `!` or `?`, perhaps inside a closing
/// quote or bracket.
fn ends_sentence(text: &str) -> bool {
    let last = text
        .trim_end_matches(['"', '\'', ')', ']', '”', '’'])
        .chars()
        .last();
    matches!(last, Some('.' | '!' | '?'))
}

/// A matched token: its byte range in the text and its term's weight.
type Match = (usize, usize, f32);

impl Highlighter {
    /// For the terms `query` has in `field` that occur in the index; `tokenizer` is the
    /// configuration of the field's analyzer.
    pub fn new(
        searcher: &Searcher,
        query: &dyn Query,
        field: Field,
        tokenizer: &TokenizerConfig,
        max_chars: usize,
    ) -> Result<Highlighter> {
        let mut found: BTreeSet<&Term> = BTreeSet::new();
        query.query_terms(&mut |term, _| {
            if term.field() == field {
                found.insert(term);
            }
        });
        let mut terms = Vec::with_capacity(found.len());
        let mut informative = Vec::with_capacity(found.len());
        // In prose (a pasted abstract) a word found in most papers lights up everywhere.
        let prose = found.len() >= PROSE_TERMS;
        let common = searcher.num_docs() / 2;
        for term in found {
            let value = term.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let doc_freq = searcher.doc_freq(term)?;
            if doc_freq > 0 {
                let weighted = (text.to_string(), 1.0 / (1.0 + doc_freq as f32));
                if !(STOPWORDS.contains(&text) || prose && doc_freq > common) {
                    informative.push(weighted.clone());
                }
                terms.push(weighted);
            }
        }
        // Words that carry no information are highlighted only when the query has nothing else.
        if !informative.is_empty() {
            terms = informative;
        }
        let keeps_first_letter = matches!(tokenizer.stemmer, None | Some(Language::English));
        let starts = keeps_first_letter.then(|| {
            let mut starts = Box::new([false; 256]);
            starts[0x80..].fill(true);
            for b in terms.iter().filter_map(|(t, _)| t.bytes().next()) {
                starts[b.to_ascii_lowercase() as usize] = true;
                starts[b.to_ascii_uppercase() as usize] = true;
            }
            starts
        });
        let prefixes = terms
            .iter()
            .map(|(t, _)| t.as_bytes()[..t.len().saturating_sub(STEM_TAIL).max(1)].into())
            .collect();
        let analyzer = PaperAnalyzer::for_terms(tokenizer, terms.iter().map(|(t, _)| t.as_str()));
        Ok(Highlighter {
            terms,
            analyzer,
            max_chars,
            starts,
            prefixes,
        })
    }

    /// Every token of `text` that analyzes to a wanted term, in order.
    fn matches(&mut self, text: &str) -> Vec<Match> {
        let mut out = Vec::new();
        let terms = &self.terms;
        let prefixes = &self.prefixes;
        let mut stream = self.analyzer.token_stream(text);
        let mut keep = |stream: &PaperAnalyzerStream| {
            let token = stream.token();
            if let Some((_, weight)) = terms.iter().find(|(t, _)| *t == token.text) {
                out.push((token.offset_from, token.offset_to, *weight));
            }
        };
        let Some(starts) = &self.starts else {
            while stream.advance() {
                keep(&stream);
            }
            return out;
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // A token starts at a piece start or after a byte that is no word byte (ASCII
            // letters, digits and `_` never break inside); a non-ASCII byte always counts.
            let b = bytes[i];
            if !starts[b as usize]
                || (b.is_ascii()
                    && ((i > 0 && is_word_byte(bytes[i - 1])) || !may_match(prefixes, &bytes[i..])))
            {
                i += 1;
                continue;
            }
            // The whitespace-delimited piece around the byte, as the tokenizer cuts them.
            let from = bytes[..i]
                .iter()
                .rposition(u8::is_ascii_whitespace)
                .map_or(0, |p| p + 1);
            stream.piece_at(from);
            while stream.advance() {
                keep(&stream);
            }
            i = bytes[i..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(bytes.len(), |p| i + p);
        }
        out
    }

    /// The window of at most `max_chars` bytes (a single longer match stands alone) with the
    /// highest sum of matched term weights, the earliest on ties, widened to `max_chars` with
    /// the words around it; `None` when no term occurs in `text`.
    pub fn snippet(&mut self, text: &str) -> Option<Snippet> {
        if self.terms.is_empty() {
            return None;
        }
        let found = self.matches(text);
        let (first, last) = best_window(&found, self.max_chars)?;
        let range = widen(text, found[first].0..found[last].1, self.max_chars);
        let highlights = found
            .iter()
            .filter(|m| m.0 >= range.start && m.1 <= range.end)
            .map(|m| m.0 - range.start..m.1 - range.start)
            .collect();
        Some(Snippet { range, highlights })
    }
}

/// False when the word at the start of `rest` cannot analyze to any term: its leading ASCII
/// letters and digits already differ from every term's prefix. Anything else in the way
/// (punctuation, `^`, `_`, non-ASCII, the end) leaves it to the analyzer.
fn may_match(prefixes: &[Box<[u8]>], rest: &[u8]) -> bool {
    prefixes.iter().any(|prefix| {
        for (k, &want) in prefix.iter().enumerate() {
            match rest.get(k) {
                Some(b) if b.is_ascii_alphanumeric() => {
                    if b.to_ascii_lowercase() != want {
                        return false;
                    }
                }
                _ => return true,
            }
        }
        true
    })
}

/// First and last index of the run of matches within `max_chars` bytes with the highest
/// weight sum (earliest on ties); a match longer than `max_chars` is a run of its own.
fn best_window(found: &[Match], max_chars: usize) -> Option<(usize, usize)> {
    let mut best: Option<(f32, usize, usize)> = None;
    let mut last = 0;
    for (first, m) in found.iter().enumerate() {
        last = last.max(first);
        while last + 1 < found.len() && found[last + 1].1 - m.0 <= max_chars {
            last += 1;
        }
        // Summed afresh per window (a handful of matches), so ties compare exactly.
        let score: f32 = found[first..=last].iter().map(|m| m.2).sum();
        if best.is_none_or(|(s, _, _)| score > s) {
            best = Some((score, first, last));
        }
    }
    best.map(|(_, first, last)| (first, last))
}

/// `core` grown to about `max_chars` bytes with the text around it, half before and the
/// rest after, cut at ASCII whitespace so no word is split (never smaller than `core`).
fn widen(text: &str, core: Range<usize>, max_chars: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let ws = u8::is_ascii_whitespace;
    let slack = max_chars.saturating_sub(core.len());
    let mut start = core.start.saturating_sub(slack / 2);
    if start > 0 && !ws(&bytes[start - 1]) {
        // Mid-word: move to the next word start, or to the core.
        start = bytes[start..core.start]
            .iter()
            .position(ws)
            .map_or(core.start, |p| start + p + 1);
    }
    start += bytes[start..core.start]
        .iter()
        .take_while(|b| ws(b))
        .count();
    let limit = (start + max_chars).clamp(core.end, text.len());
    let mut end = if limit == text.len() || ws(&bytes[limit]) {
        limit
    } else {
        bytes[core.end..limit]
            .iter()
            .rposition(ws)
            .map_or(core.end, |p| core.end + p)
    };
    while end > core.end && ws(&bytes[end - 1]) {
        end -= 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
    use tantivy::{doc, Index};

    use super::*;
    use crate::analysis::build_analyzer;

    const WORDS: &[&str] = &[
        "graph",
        "graphs",
        "Graphing",
        "neural",
        "networks",
        "network",
        "the",
        "of",
        "LLMs",
        "diffusion",
        "model",
        "models",
        "Modeling",
        "x^2",
        "état",
        "naïve",
        "learning",
        "learn",
        "(Graphs)",
        "self-learning",
        "x.model",
        "net_learning",
        // Stems that rewrite the word's tail, and words sharing only a few first letters.
        "dying",
        "die",
        "hoping",
        "hope",
        "capability",
        "capable",
        "improving",
        "improve",
        "in",
        "impossible",
        "studies",
        "study",
        "x^1234",
        "MedS^3",
        "model's",
        "'modeling",
    ];

    fn fixture(docs: &[String]) -> (Index, Field) {
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("paper")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let field = schema.add_text_field(
            "abstract",
            TextOptions::default().set_indexing_options(indexing),
        );
        let index = Index::create_in_ram(schema.build());
        index
            .tokenizers()
            .register("paper", build_analyzer(&TokenizerConfig::default()));
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for d in docs {
            writer.add_document(doc!(field => d.as_str())).unwrap();
        }
        writer.commit().unwrap();
        (index, field)
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), 0..80).prop_map(|w| w.join(" "))
    }

    /// Byte ranges of the tokens of `text` whose indexing analysis is one of `terms`.
    fn reference_matches(text: &str, terms: &[(String, f32)]) -> Vec<Match> {
        let mut analyzer = build_analyzer(&TokenizerConfig::default());
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            if let Some((_, w)) = terms.iter().find(|(term, _)| *term == t.text) {
                out.push((t.offset_from, t.offset_to, *w));
            }
        }
        out
    }

    fn highlighter_for(docs: &[String], query: &[&str], max_chars: usize) -> Highlighter {
        let (index, field) = fixture(docs);
        let searcher = index.reader().unwrap().searcher();
        let mut analyzer = index.tokenizer_for_field(field).unwrap();
        let clauses: Vec<(Occur, Box<dyn Query>)> = query
            .iter()
            .flat_map(|w| crate::analysis::terms(&mut analyzer, w))
            .map(|t| {
                let q = TermQuery::new(
                    Term::from_field_text(field, &t),
                    IndexRecordOption::WithFreqs,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        let query = BooleanQuery::new(clauses);
        let config = TokenizerConfig::default();
        Highlighter::new(&searcher, &query, field, &config, max_chars).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The matches found piece by piece are the tokens the whole text analyzes to a term;
        /// the window holds at most `max_chars` bytes (or one longer match), starts and ends
        /// on word boundaries, highlights exactly the matches inside it, and no other window
        /// of matches within `max_chars` weighs more.
        #[test]
        fn the_window_is_the_heaviest_and_highlights_every_match_in_it(
            docs in prop::collection::vec(text(), 1..6),
            query in prop::collection::vec(prop::sample::select(WORDS), 1..4),
            max_chars in 5usize..200,
        ) {
            let mut ours = highlighter_for(&docs, &query, max_chars);
            for d in &docs {
                let expected = reference_matches(d, &ours.terms);
                prop_assert_eq!(&ours.matches(d), &expected, "{:?}", d);
                let Some(s) = ours.snippet(d) else {
                    prop_assert!(expected.is_empty(), "{:?}", d);
                    continue;
                };
                let inside: Vec<&Match> = expected
                    .iter()
                    .filter(|m| m.0 >= s.range.start && m.1 <= s.range.end)
                    .collect();
                let got: Vec<Range<usize>> =
                    s.highlights.iter().map(|r| r.start + s.range.start..r.end + s.range.start).collect();
                let want: Vec<Range<usize>> = inside.iter().map(|m| m.0..m.1).collect();
                prop_assert_eq!(got, want, "{:?}", d);
                let longest = expected.iter().map(|m| m.1 - m.0).max().unwrap();
                prop_assert!(s.range.len() <= max_chars.max(longest), "{:?} {:?}", s.range, d);
                let b = d.as_bytes();
                prop_assert!(s.range.start == 0 || b[s.range.start - 1].is_ascii_whitespace()
                    || expected.iter().any(|m| m.0 == s.range.start), "{:?} {:?}", s.range, d);
                prop_assert!(s.range.end == d.len() || b[s.range.end].is_ascii_whitespace()
                    || expected.iter().any(|m| m.1 == s.range.end), "{:?} {:?}", s.range, d);
                let weight: f32 = inside.iter().map(|m| m.2).sum();
                for (i, a) in expected.iter().enumerate() {
                    let other: f32 = expected[i..]
                        .iter()
                        .take_while(|m| m.1 - a.0 <= max_chars)
                        .map(|m| m.2)
                        .sum();
                    prop_assert!(other <= weight + 1e-6, "window at {} weighs {} > {}", a.0, other, weight);
                }
            }
        }
    }

    #[test]
    fn a_cluster_of_matches_is_not_cut_at_a_fixed_fragment_edge() {
        // Greedy 40-byte fragments from the start (tantivy's `SnippetGenerator`) end the first
        // one after "sparse" (27..33) and start the next at "attention" (34..43), so each holds
        // one match; the sliding window keeps both.
        let filler = "alpha beta gamma delta eps";
        let doc = format!("{filler} sparse attention omega");
        let mut h = highlighter_for(std::slice::from_ref(&doc), &["sparse", "attention"], 40);
        let s = h.snippet(&doc).unwrap();
        let window = &doc[s.range.clone()];
        let marked: Vec<&str> = s.highlights.iter().map(|r| &window[r.clone()]).collect();
        assert_eq!(marked, ["sparse", "attention"], "{window:?}");
        assert!(window.len() <= 40 && !window.starts_with(' ') && !window.ends_with(' '));
    }
}
