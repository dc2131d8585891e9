//! The "paper" tokenizer: Unicode word boundaries (UAX #29) tuned so model names, versions
//! and arXiv ids stay searchable, plus the analyzer chains registered in tantivy.

use std::iter::Peekable;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use unicode_segmentation::{UWordBoundIndices, UnicodeSegmentation};

use crate::schema::TokenizerConfig;

/// Splits on UAX #29 word boundaries and keeps segments holding a letter or digit.
///
/// UAX #29 already keeps `Qwen2.5`, `3.1` and `2502.00511` whole and splits `GPT-4o` into
/// `GPT` + `4o` (found by the phrase the query parser builds from the same split). The one
/// addition: `MedS^3` is joined to `MedS3`, the form LaTeX stripping gives `MedS$^3$`.
#[derive(Clone, Default)]
pub struct PaperTokenizer {
    token: Token,
}

pub struct PaperTokenStream<'a> {
    segments: Peekable<UWordBoundIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for PaperTokenizer {
    type TokenStream<'a> = PaperTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PaperTokenStream<'a> {
        self.token.reset();
        PaperTokenStream {
            segments: text.split_word_bound_indices().peekable(),
            token: &mut self.token,
        }
    }
}

fn is_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric)
}

impl PaperTokenStream<'_> {
    /// Consumes `^word` right after the current token (no spaces) and returns its end.
    fn join_superscript(&mut self, end: usize) -> Option<usize> {
        let &(caret, seg) = self.segments.peek()?;
        if seg != "^" || caret != end {
            return None;
        }
        let mut ahead = self.segments.clone();
        ahead.next();
        let (start, word) = ahead.next()?;
        // ASCII only, so the joined token is itself one UAX #29 word (stays idempotent).
        let ascii_word = |w: &str| w.bytes().all(|b| b.is_ascii_alphanumeric());
        let prev_ascii = self.token.text.bytes().all(|b| b.is_ascii_alphanumeric());
        if start != caret + 1 || !prev_ascii || !ascii_word(word) {
            return None;
        }
        self.segments.next();
        self.segments.next();
        self.token.text.push_str(word);
        Some(start + word.len())
    }
}

impl TokenStream for PaperTokenStream<'_> {
    fn advance(&mut self) -> bool {
        for (start, segment) in self.segments.by_ref() {
            if !is_word(segment) {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(segment);
            let mut end = start + segment.len();
            while let Some(new_end) = self.join_superscript(end) {
                end = new_end;
            }
            singular_acronym(&mut self.token.text);
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// `LLMs` -> `LLM`, `MoEs` -> `MoE`: Snowball keeps the `s` of a vowel-less word, so acronym
/// plurals would never meet their singular. Runs before lowercasing, while case still shows it.
fn singular_acronym(token: &mut String) {
    let b = token.as_bytes();
    if b.len() >= 3 && b[b.len() - 1] == b's' && b[b.len() - 2].is_ascii_uppercase() {
        token.pop();
    }
}

/// Builds the analyzer chain described by a `[tokenizers.NAME]` table.
pub fn build_analyzer(config: &TokenizerConfig) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(PaperTokenizer::default())
        .filter(RemoveLongFilter::limit(config.max_token_length))
        .filter(LowerCaser)
        .dynamic();
    let builder = if config.ascii_folding {
        builder.filter_dynamic(AsciiFoldingFilter)
    } else {
        builder
    };
    match config.stemmer {
        Some(language) => builder.filter_dynamic(Stemmer::new(language)).build(),
        None => builder.build(),
    }
}

/// Snowball languages accepted by `stemmer = "..."` in the schema file.
pub fn parse_language(name: &str) -> Option<Language> {
    use Language::*;
    Some(match name.to_ascii_lowercase().as_str() {
        "arabic" => Arabic,
        "danish" => Danish,
        "dutch" => Dutch,
        "english" => English,
        "finnish" => Finnish,
        "french" => French,
        "german" => German,
        "greek" => Greek,
        "hungarian" => Hungarian,
        "italian" => Italian,
        "norwegian" => Norwegian,
        "portuguese" => Portuguese,
        "romanian" => Romanian,
        "russian" => Russian,
        "spanish" => Spanish,
        "swedish" => Swedish,
        "tamil" => Tamil,
        "turkish" => Turkish,
        _ => return None,
    })
}

/// The terms an analyzer produces for `text`, in order (handy for tests and rules).
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer
        .token_stream(text)
        .process(&mut |t: &Token| out.push(t.text.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paper() -> TextAnalyzer {
        build_analyzer(&TokenizerConfig::default())
    }

    fn raw_tokens(text: &str) -> Vec<(String, usize, usize)> {
        let mut tok = PaperTokenizer::default();
        let mut stream = tok.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn model_names_and_ids_keep_their_shape() {
        let mut a = paper();
        assert_eq!(terms(&mut a, "GPT-4o"), ["gpt", "4o"]);
        assert_eq!(terms(&mut a, "Llama-3.1-8B"), ["llama", "3.1", "8b"]);
        assert_eq!(terms(&mut a, "Qwen2.5"), ["qwen2.5"]);
        assert_eq!(terms(&mut a, "o1-like models"), ["o1", "like", "model"]);
        assert_eq!(
            terms(&mut a, "arXiv:2502.00511v2"),
            ["arxiv", "2502.00511v2"]
        );
        assert_eq!(terms(&mut a, "2502.00511"), ["2502.00511"]);
        assert_eq!(terms(&mut a, "MoBA"), ["moba"]);
        assert_eq!(
            terms(&mut a, "chain-of-thought"),
            ["chain", "of", "thought"]
        );
    }

    #[test]
    fn plurals_stem_to_the_singular() {
        let mut a = paper();
        assert_eq!(terms(&mut a, "LLMs"), terms(&mut a, "LLM"));
        assert_eq!(terms(&mut a, "attentions"), terms(&mut a, "attention"));
        assert_eq!(terms(&mut a, "MLLMs CoTs MoEs"), ["mllm", "cot", "moe"]);
        // Lowercase words keep Snowball's behaviour.
        assert_eq!(terms(&mut a, "this gas"), ["this", "gas"]);
    }

    #[test]
    fn superscripts_join_and_accents_fold() {
        let mut a = paper();
        assert_eq!(terms(&mut a, "MedS^3"), ["meds3"]);
        assert_eq!(terms(&mut a, "MedS^3"), terms(&mut a, "MedS3"));
        assert_eq!(terms(&mut a, "Erdős naïve"), ["erdo", "naiv"]);
        // A caret with spaces around it is not a superscript.
        assert_eq!(raw_tokens("x ^ 2").len(), 2);
    }

    #[test]
    fn punctuation_and_symbols_are_not_tokens() {
        assert!(raw_tokens(" -- , . ; ( ) 🚀 ").is_empty());
        assert_eq!(raw_tokens("a, b").len(), 2);
    }

    #[test]
    fn names_analyzer_does_not_stem() {
        let mut names = build_analyzer(&TokenizerConfig {
            stemmer: None,
            ..TokenizerConfig::default()
        });
        assert_eq!(terms(&mut names, "Hinton Bengio"), ["hinton", "bengio"]);
    }

    proptest! {
        #[test]
        fn offsets_are_valid_and_cover_the_token(text in "\\PC{0,200}") {
            for (tok, from, to) in raw_tokens(&text) {
                prop_assert!(from < to && to <= text.len());
                prop_assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
                // The token comes from its source slice (minus `^` joins and a plural `s`).
                let source = &text[from..to];
                prop_assert!(source.contains(tok.as_str()) || source.replace('^', "") == tok, "{source} -> {tok}");
            }
        }

        #[test]
        fn positions_increase_by_one(text in "[a-zA-Z0-9 ^.,-]{0,120}") {
            let mut tok = PaperTokenizer::default();
            let mut stream = tok.token_stream(&text);
            let mut expected = 0usize;
            while let Some(t) = stream.next() {
                prop_assert_eq!(t.position, expected);
                expected += 1;
            }
        }

        #[test]
        fn tokenizing_tokens_is_idempotent(text in "\\PC{0,200}") {
            for (tok, _, _) in raw_tokens(&text) {
                let again: Vec<String> = raw_tokens(&tok).into_iter().map(|t| t.0).collect();
                prop_assert_eq!(again, vec![tok.clone()]);
            }
        }
    }
}
