//! Snippets: the best-scoring window of an abstract and the ranges of the query's terms in it.
//!
//! Selects the same fragment and highlights as tantivy's `SnippetGenerator` (a test checks
//! it) but runs one analyzer over all the hits of a search: tantivy clones the analyzer for
//! every snippet (a cold stem cache each time) and lowercases every token into a new
//! `String` to look it up, which made snippets half the latency of a two-term search. That
//! analyzer only stems the words that can become a query term (`PaperAnalyzer::for_terms`).

use std::collections::BTreeSet;
use std::ops::Range;

use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{Searcher, Term};

use crate::analysis::PaperAnalyzer;
use crate::error::Result;
use crate::schema::TokenizerConfig;

pub struct Highlighter {
    /// Analyzed query terms of the field and their weight, `1 / (1 + doc_freq)`.
    terms: Vec<(String, f32)>,
    analyzer: TextAnalyzer,
    max_chars: usize,
}

/// A window of a text and the byte ranges, relative to the window, that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub range: Range<usize>,
    pub highlights: Vec<Range<usize>>,
}

struct Fragment {
    score: f32,
    start: usize,
    stop: usize,
    highlights: Vec<Range<usize>>,
}

impl Fragment {
    fn new(start: usize) -> Fragment {
        Fragment {
            score: 0.0,
            start,
            stop: start,
            highlights: Vec::new(),
        }
    }
}

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
        for term in found {
            let value = term.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let doc_freq = searcher.doc_freq(term)?;
            if doc_freq > 0 {
                terms.push((text.to_string(), 1.0 / (1.0 + doc_freq as f32)));
            }
        }
        let analyzer = PaperAnalyzer::for_terms(tokenizer, terms.iter().map(|(t, _)| t.as_str()));
        Ok(Highlighter {
            terms,
            analyzer: TextAnalyzer::from(analyzer),
            max_chars,
        })
    }

    /// The window of at most `max_chars` bytes (cut at token boundaries) with the highest sum
    /// of matched term weights, the earliest on ties; `None` when no term occurs in `text`.
    pub fn snippet(&mut self, text: &str) -> Option<Snippet> {
        if self.terms.is_empty() {
            return None;
        }
        let mut best: Option<Fragment> = None;
        let mut current = Fragment::new(0);
        let mut stream = self.analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            if token.offset_to - current.start > self.max_chars {
                let next = Fragment::new(token.offset_from);
                keep_better(&mut best, std::mem::replace(&mut current, next));
            }
            current.stop = token.offset_to;
            if let Some((_, weight)) = self.terms.iter().find(|(t, _)| *t == token.text) {
                current.score += weight;
                current.highlights.push(token.offset_from..token.offset_to);
            }
        }
        keep_better(&mut best, current);
        best.map(|f| Snippet {
            range: f.start..f.stop,
            highlights: f
                .highlights
                .into_iter()
                .map(|r| r.start - f.start..r.end - f.start)
                .collect(),
        })
    }
}

/// Keeps the first of the highest-scoring fragments that matched anything.
fn keep_better(best: &mut Option<Fragment>, candidate: Fragment) {
    if candidate.score > 0.0 && best.as_ref().is_none_or(|b| candidate.score > b.score) {
        *best = Some(candidate);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
    use tantivy::snippet::SnippetGenerator;
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Same fragment and highlights as tantivy's generator, for any text and query terms.
        #[test]
        fn agrees_with_tantivy_snippet_generator(
            docs in prop::collection::vec(text(), 1..6),
            query in prop::collection::vec(prop::sample::select(WORDS), 1..4),
            max_chars in 20usize..200,
        ) {
            let (index, field) = fixture(&docs);
            let searcher = index.reader().unwrap().searcher();
            let mut analyzer = index.tokenizer_for_field(field).unwrap();
            let clauses: Vec<(Occur, Box<dyn Query>)> = query
                .iter()
                .flat_map(|w| crate::analysis::terms(&mut analyzer, w))
                .map(|t| {
                    let q = TermQuery::new(Term::from_field_text(field, &t), IndexRecordOption::WithFreqs);
                    (Occur::Should, Box::new(q) as Box<dyn Query>)
                })
                .collect();
            let query = BooleanQuery::new(clauses);
            let mut tantivy = SnippetGenerator::create(&searcher, &query, field).unwrap();
            tantivy.set_max_num_chars(max_chars);
            let config = TokenizerConfig::default();
            let mut ours = Highlighter::new(&searcher, &query, field, &config, max_chars).unwrap();
            for d in &docs {
                let expected = tantivy.snippet(d);
                let got = ours.snippet(d);
                match got {
                    None => prop_assert!(expected.is_empty(), "{d:?}"),
                    Some(s) => {
                        prop_assert_eq!(s.range, expected.fragment_range());
                        prop_assert_eq!(s.highlights, expected.highlighted().to_vec());
                    }
                }
            }
        }
    }
}
