//! The "paper" tokenizer: Unicode word boundaries (UAX #29) tuned so model names, versions
//! and arXiv ids stay searchable, plus the analyzer chains registered in tantivy.

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenStream,
    Tokenizer,
};
use unicode_segmentation::UnicodeSegmentation;

use crate::schema::TokenizerConfig;

/// Splits on UAX #29 word boundaries and keeps segments holding a letter or digit.
///
/// UAX #29 already keeps `Qwen2.5`, `3.1` and `2502.00511` whole and splits `GPT-4o` into
/// `GPT` + `4o` (found by the phrase the query parser builds from the same split). The one
/// addition: `MedS^3` is joined to `MedS3`, the form LaTeX stripping gives `MedS$^3$`.
///
/// Speed: text is cut at ASCII whitespace (always a word boundary); pure-ASCII pieces, the
/// bulk of real abstracts, go through `ascii_words`, which applies the UAX #29 rules that can
/// fire on ASCII (a property test checks it agrees with unicode-segmentation); other pieces
/// go through unicode-segmentation.
#[derive(Clone, Default)]
pub struct PaperTokenizer {
    token: Token,
    spans: Vec<(usize, usize)>,
}

pub struct PaperTokenStream<'a> {
    text: &'a str,
    spans: &'a [(usize, usize)],
    next: usize,
    token: &'a mut Token,
}

impl Tokenizer for PaperTokenizer {
    type TokenStream<'a> = PaperTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PaperTokenStream<'a> {
        self.token.reset();
        self.spans.clear();
        word_spans(text, &mut self.spans);
        PaperTokenStream {
            text,
            spans: &self.spans,
            next: 0,
            token: &mut self.token,
        }
    }
}

fn is_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric)
}

/// Byte ranges of the words of `text`, in order.
pub fn word_spans(text: &str, out: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let piece = &bytes[start..i];
        if piece.is_ascii() {
            ascii_words(piece, start, out);
        } else {
            for (s, seg) in text[start..i].split_word_bound_indices() {
                if is_word(seg) {
                    out.push((start + s, start + s + seg.len()));
                }
            }
        }
    }
}

/// UAX #29 on ASCII: letters, digits and `_` run together (WB9-WB13a/b); `:` joins letters
/// (WB6/7, MidLetter), `,` and `;` join digits (WB11/12, MidNum), `.` and `'` join letters
/// or digits on both sides (MidNumLet). Everything else breaks.
fn ascii_words(piece: &[u8], base: usize, out: &mut Vec<(usize, usize)>) {
    let wordish = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let joins = |prev: u8, mid: u8, next: u8| match mid {
        b':' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
        b',' | b';' => prev.is_ascii_digit() && next.is_ascii_digit(),
        b'.' | b'\'' => {
            (prev.is_ascii_alphabetic() && next.is_ascii_alphabetic())
                || (prev.is_ascii_digit() && next.is_ascii_digit())
        }
        _ => false,
    };
    let n = piece.len();
    let mut i = 0;
    while i < n {
        if !wordish(piece[i]) {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        loop {
            if i < n && wordish(piece[i]) {
                i += 1;
            } else if i + 1 < n && joins(piece[i - 1], piece[i], piece[i + 1]) {
                i += 2;
            } else {
                break;
            }
        }
        if piece[start..i].iter().any(u8::is_ascii_alphanumeric) {
            out.push((base + start, base + i));
        }
    }
}

impl PaperTokenStream<'_> {
    /// Sets the token text to the word at `start..end`: carets dropped, an acronym plural
    /// made singular.
    fn fill_text(&mut self, start: usize, end: usize, joined: bool) {
        let word = &self.text[start..end];
        self.token.text.clear();
        // A caret also survives inside non-ASCII words (`^` + a combining mark).
        if joined || word.contains('^') {
            self.token.text.extend(word.chars().filter(|&c| c != '^'));
        } else {
            self.token.text.push_str(word);
        }
        singular_acronym(&mut self.token.text);
    }

    /// The next word's byte range, `MedS^3`-style caret joins applied, and whether it was
    /// joined; moves the position and offsets but leaves the token text alone.
    fn next_span(&mut self) -> Option<(usize, usize, bool)> {
        let &(start, mut end) = self.spans.get(self.next)?;
        self.next += 1;
        let bytes = self.text.as_bytes();
        let ascii_word = |s: usize, e: usize| bytes[s..e].iter().all(u8::is_ascii_alphanumeric);
        // `MedS^3`: join ASCII words around a caret with no spaces (the result is itself one
        // UAX #29 word, so tokenizing a token gives it back).
        let mut joined = false;
        let mut first_is_ascii_word = None;
        while let Some(&(s, e)) = self.spans.get(self.next) {
            if s != end + 1
                || bytes[end] != b'^'
                || !ascii_word(s, e)
                || !*first_is_ascii_word.get_or_insert_with(|| ascii_word(start, end))
            {
                break;
            }
            end = e;
            joined = true;
            self.next += 1;
        }
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        Some((start, end, joined))
    }
}

impl TokenStream for PaperTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((start, end, joined)) = self.next_span() else {
            return false;
        };
        self.fill_text(start, end, joined);
        true
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
    if is_acronym_plural(token.as_bytes()) {
        token.pop();
    }
}

fn is_acronym_plural(b: &[u8]) -> bool {
    b.len() >= 3 && b[b.len() - 1] == b's' && b[b.len() - 2].is_ascii_uppercase()
}

/// The whole analyzer chain in one tokenizer: split (as `PaperTokenizer`), drop tokens of
/// `max_token_length` bytes or more, lowercase, fold to ASCII, stem. It yields exactly the
/// tokens of the equivalent tantivy filter chain (a test checks it) but, on the indexing hot
/// path, ASCII tokens are lowercased while being copied once and stems come from a cache
/// keyed by the inline token bytes, so a token costs one hash and one fixed-size compare.
#[derive(Clone)]
pub struct PaperAnalyzer {
    split: PaperTokenizer,
    max_len: usize,
    /// Lowercasing (and folding, when configured) for tokens that are not plain ASCII (rare
    /// in abstracts).
    unicode: TextAnalyzer,
    stemmer: Option<(Language, frostem::Stemmer)>,
    /// Highlighting only (`for_terms`): the first letters that the wanted terms start with.
    /// An ASCII word starting otherwise cannot stem to one of them and is left unstemmed.
    stem_first: Option<[bool; 128]>,
}

impl PaperAnalyzer {
    pub fn new(config: &TokenizerConfig) -> PaperAnalyzer {
        let lower =
            TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default()).filter(LowerCaser);
        let unicode = if config.ascii_folding {
            lower.filter(AsciiFoldingFilter).build()
        } else {
            lower.build()
        };
        PaperAnalyzer {
            split: PaperTokenizer::default(),
            max_len: config.max_token_length,
            unicode,
            stemmer: config
                .stemmer
                .map(|l| (l, frostem::Stemmer::new(algorithm(l)))),
            stem_first: None,
        }
    }

    /// The analyzer of `config` for finding `terms` (a highlighter's): tokens that can equal
    /// one of them come out exactly as indexed; a plain ASCII word whose first letter starts
    /// none of them keeps its lowercased, unstemmed form, which skips its stem lookup (most of
    /// the words of a snippet). Sound for English because Porter2 never changes a word's first
    /// letter; other stemmers analyze every word fully.
    pub fn for_terms<'t>(
        config: &TokenizerConfig,
        terms: impl IntoIterator<Item = &'t str>,
    ) -> PaperAnalyzer {
        let mut analyzer = PaperAnalyzer::new(config);
        if config.stemmer == Some(Language::English) {
            let mut first = [false; 128];
            for b in terms.into_iter().filter_map(|t| t.bytes().next()) {
                if b.is_ascii() {
                    first[b as usize] = true;
                }
            }
            analyzer.stem_first = Some(first);
        }
        analyzer
    }
}

pub struct PaperAnalyzerStream<'a> {
    words: PaperTokenStream<'a>,
    max_len: usize,
    unicode: &'a mut TextAnalyzer,
    stemmer: Option<(Language, frostem::Stemmer)>,
    stem_first: Option<&'a [bool; 128]>,
    /// This thread's cache for the stemmer's language, borrowed for the stream's life.
    cache: StemCache,
}

impl Tokenizer for PaperAnalyzer {
    type TokenStream<'a> = PaperAnalyzerStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PaperAnalyzerStream<'a> {
        PaperAnalyzerStream {
            words: self.split.token_stream(text),
            max_len: self.max_len,
            unicode: &mut self.unicode,
            stemmer: self.stemmer,
            stem_first: self.stem_first.as_ref(),
            cache: self
                .stemmer
                .map(|(language, _)| StemCache::take(language))
                .unwrap_or_default(),
        }
    }
}

impl Drop for PaperAnalyzerStream<'_> {
    fn drop(&mut self) {
        if let Some((language, _)) = self.stemmer {
            std::mem::take(&mut self.cache).give_back(language);
        }
    }
}

impl TokenStream for PaperAnalyzerStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((start, end, joined)) = self.words.next_span() else {
                return false;
            };
            let word = &self.words.text.as_bytes()[start..end];
            // Fast path: a short ASCII word goes lowercased straight into the cache key (a
            // dropped plural `s` is ASCII, so the key is ASCII exactly when the word is).
            let len = word.len() - usize::from(is_acronym_plural(word));
            let fast = (!joined && word.len() <= INLINE)
                .then(|| Inline::ascii_lowercase(&word[..len]))
                .flatten();
            if let Some(key) = fast {
                if len >= self.max_len {
                    continue;
                }
                let text = &mut self.words.token.text;
                let wanted = |first: &[bool; 128]| first[usize::from(key.0[0])];
                match self.stemmer {
                    Some((_, stemmer)) if self.stem_first.is_none_or(wanted) => {
                        self.cache.stem_inline(stemmer, key, text)
                    }
                    _ => {
                        text.clear();
                        text.push_str(key.as_str());
                    }
                }
                return true;
            }
            self.words.fill_text(start, end, joined);
            let token = &mut *self.words.token;
            if token.text.len() >= self.max_len {
                continue;
            }
            if token.text.is_ascii() {
                token.text.make_ascii_lowercase();
            } else {
                let mut out = String::new();
                self.unicode
                    .token_stream(&token.text)
                    .process(&mut |t: &Token| out.push_str(&t.text));
                token.text = out;
            }
            if let Some(stemmer) = self.stemmer {
                self.cache.stem(stemmer, &mut token.text);
            }
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.words.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.words.token
    }
}

/// Longest token or stem kept inline in the cache; longer ones are stemmed every time.
const INLINE: usize = 23;

/// A short string stored inline: its bytes zero-padded, the length in the last byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Inline([u8; INLINE + 1]);

impl Inline {
    fn new(s: &str) -> Option<Inline> {
        let mut bytes = [0u8; INLINE + 1];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        bytes[INLINE] = u8::try_from(s.len())
            .ok()
            .filter(|&n| n as usize <= INLINE)?;
        Some(Inline(bytes))
    }

    /// The key of an ASCII word of at most `INLINE` bytes, lowercased; `None` for any other.
    fn ascii_lowercase(word: &[u8]) -> Option<Inline> {
        if word.len() > INLINE || !word.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; INLINE + 1];
        for (k, b) in bytes.iter_mut().zip(word) {
            *k = b.to_ascii_lowercase();
        }
        bytes[INLINE] = word.len() as u8;
        Some(Inline(bytes))
    }

    fn as_str(&self) -> &str {
        let bytes = &self.0[..self.0[INLINE] as usize];
        // SAFETY: both constructors copy a whole `str` (`new`) or ASCII (`ascii_lowercase`),
        // so the bytes are UTF-8. Checking it again cost 3% of a search (it runs per token).
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

/// Word -> stem for one language, owned by a thread (lock-free) and lent to each token
/// stream that thread runs: the vocabulary of abstracts is small next to their token count,
/// and tantivy clones a fresh analyzer per segment, per query and per highlighter, so a cache
/// living in the analyzer would start cold each time (a search would stem every word of
/// every abstract it highlights).
#[derive(Default)]
struct StemCache {
    map: FxHashMap<Inline, Inline>,
}

/// Entries kept before a cache starts over (bounds memory on huge vocabularies).
const STEM_CACHE_ENTRIES: usize = 1 << 17;

thread_local! {
    static STEM_CACHES: std::cell::RefCell<Vec<(Language, StemCache)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl StemCache {
    /// This thread's cache for `language` (empty if another stream holds it).
    fn take(language: Language) -> StemCache {
        STEM_CACHES
            .try_with(|caches| {
                let mut caches = caches.borrow_mut();
                caches
                    .iter_mut()
                    .find(|(l, _)| *l == language)
                    .map(|(_, cache)| std::mem::take(cache))
            })
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Returns the cache to its thread, keeping the larger one if a nested stream gave one
    /// back meanwhile.
    fn give_back(self, language: Language) {
        let _ = STEM_CACHES.try_with(|caches| {
            let mut caches = caches.borrow_mut();
            match caches.iter_mut().find(|(l, _)| *l == language) {
                Some((_, kept)) if kept.map.len() < self.map.len() => *kept = self,
                Some(_) => {}
                None => caches.push((language, self)),
            }
        });
    }

    /// Stems `word` in place.
    fn stem(&mut self, stemmer: (Language, frostem::Stemmer), word: &mut String) {
        match Inline::new(word) {
            Some(key) => self.stem_inline(stemmer.1, key, word),
            None => *word = stemmer.1.stem(word).into_owned(),
        }
    }

    /// Writes the stem of the word `key` into `out`.
    fn stem_inline(&mut self, stemmer: frostem::Stemmer, key: Inline, out: &mut String) {
        out.clear();
        if let Some(stem) = self.map.get(&key) {
            out.push_str(stem.as_str());
            return;
        }
        let stem = stemmer.stem(key.as_str());
        let Some(value) = Inline::new(&stem) else {
            out.push_str(&stem);
            return;
        };
        if self.map.len() >= STEM_CACHE_ENTRIES {
            self.map.clear();
        }
        self.map.insert(key, value);
        out.push_str(value.as_str());
    }
}

fn algorithm(language: Language) -> frostem::Algorithm {
    use frostem::Algorithm as A;
    use Language::*;
    match language {
        Arabic => A::Arabic,
        Danish => A::Danish,
        Dutch => A::Dutch,
        English => A::English,
        Finnish => A::Finnish,
        French => A::French,
        German => A::German,
        Greek => A::Greek,
        Hungarian => A::Hungarian,
        Italian => A::Italian,
        Norwegian => A::Norwegian,
        Portuguese => A::Portuguese,
        Romanian => A::Romanian,
        Russian => A::Russian,
        Spanish => A::Spanish,
        Swedish => A::Swedish,
        Tamil => A::Tamil,
        Turkish => A::Turkish,
    }
}

/// Builds the analyzer chain described by a `[tokenizers.NAME]` table.
pub fn build_analyzer(config: &TokenizerConfig) -> TextAnalyzer {
    TextAnalyzer::from(PaperAnalyzer::new(config))
}

/// The same chain assembled from tantivy's own filters: the reference `PaperAnalyzer` must
/// match token for token (tests and the tokenizer bench use it).
pub fn reference_analyzer(config: &TokenizerConfig) -> TextAnalyzer {
    let mut b = TextAnalyzer::builder(PaperTokenizer::default())
        .filter(RemoveLongFilter::limit(config.max_token_length))
        .filter(LowerCaser)
        .dynamic();
    if config.ascii_folding {
        b = b.filter_dynamic(AsciiFoldingFilter);
    }
    if let Some(lang) = config.stemmer {
        b = b.filter_dynamic(tantivy::tokenizer::Stemmer::new(lang));
    }
    b.build()
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

    /// What `PaperAnalyzer::for_terms` relies on: the English stemmer keeps a word's first
    /// letter, over every word of 1,950 real abstracts and Porter2's exceptional forms.
    #[test]
    fn english_stems_keep_the_first_letter() {
        use std::io::Read;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/listings-slice.jsonl.gz"
        );
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let exceptions = "skis skies dying lying tying idly gently ugly early only singly \
                          sky news howe atlas cosmos bias andes yield yes";
        let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
        let mut words = 0;
        let mut spans = Vec::new();
        for piece in [text.as_str(), exceptions] {
            spans.clear();
            word_spans(piece, &mut spans);
            for &(start, end) in &spans {
                let word = piece[start..end].to_ascii_lowercase();
                let stem = stemmer.stem(&word);
                assert_eq!(stem.bytes().next(), word.bytes().next(), "{word} -> {stem}");
                words += 1;
            }
        }
        assert!(words > 100_000, "{words}");
    }

    #[test]
    fn for_terms_leaves_only_words_that_cannot_match_unstemmed() {
        let config = TokenizerConfig::default();
        let mut a = TextAnalyzer::from(PaperAnalyzer::for_terms(&config, ["graph"]));
        // "graphs" can become the term and is stemmed; "networks" cannot and is kept as is.
        assert_eq!(terms(&mut a, "Graphs networks"), ["graph", "networks"]);
        assert_eq!(terms(&mut paper(), "Graphs networks"), ["graph", "network"]);
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
    fn the_fused_analyzer_matches_tantivys_filter_chain() {
        let mut ours = paper();
        let mut reference = reference_analyzer(&TokenizerConfig::default());
        let text = include_str!("../corpus-samples/000_49c743b0cf8a9bc6.txt");
        // Twice: the second pass is served from the cache.
        for _ in 0..2 {
            assert_eq!(terms(&mut ours, text), terms(&mut reference, text));
        }
        let long = format!("{} ok", "a".repeat(64));
        assert_eq!(terms(&mut ours, &long), ["ok"]);
        let stems_long = "internationalizationsarefine intercontinentalization";
        assert_eq!(
            terms(&mut ours, stems_long),
            terms(&mut reference, stems_long)
        );
    }

    #[test]
    fn names_analyzer_does_not_stem() {
        let mut names = build_analyzer(&TokenizerConfig {
            stemmer: None,
            ..TokenizerConfig::default()
        });
        assert_eq!(terms(&mut names, "Hinton Bengio"), ["hinton", "bengio"]);
    }

    /// Word spans straight from unicode-segmentation: what `word_spans` must reproduce.
    fn uax29_spans(text: &str) -> Vec<(usize, usize)> {
        text.split_word_bound_indices()
            .filter(|(_, seg)| is_word(seg))
            .map(|(s, seg)| (s, s + seg.len()))
            .collect()
    }

    proptest! {
        #[test]
        fn offsets_are_valid_and_cover_the_token(text in "\\PC{0,200}") {
            for (tok, from, to) in raw_tokens(&text) {
                prop_assert!(from < to && to <= text.len());
                prop_assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
                // The token comes from its source slice (minus `^` joins and a plural `s`).
                let source = &text[from..to];
                let joined = source.replace('^', "");
                prop_assert!(joined == tok || joined == format!("{tok}s"), "{source} -> {tok}");
            }
        }

        #[test]
        fn the_ascii_path_agrees_with_unicode_segmentation(text in "[ -~\t\n]{0,200}") {
            let mut fast = Vec::new();
            word_spans(&text, &mut fast);
            prop_assert_eq!(fast, uax29_spans(&text));
        }

        #[test]
        fn mixed_text_agrees_with_unicode_segmentation(
            words in proptest::collection::vec("[a-zA-Z0-9.,:'_-]{1,8}|[a-zé’ß0-9]{1,6}|[αβγ]{1,3}", 0..20)
        ) {
            let text = words.join(" ");
            let mut fast = Vec::new();
            word_spans(&text, &mut fast);
            prop_assert_eq!(fast, uax29_spans(&text));
        }

        #[test]
        fn the_fused_analyzer_matches_the_filter_chain_on_any_text(
            text in "\\PC{0,200}|([a-zA-Z]{1,30}(ing|ed|s|ies|ation)? ){0,20}|([A-Za-z0-9]{1,5}[\\^ ,.-]?){0,40}|([A-Z]{1,4}[a-z]?s? ){0,20}",
            fold in any::<bool>(),
            stem in any::<bool>(),
        ) {
            let config = TokenizerConfig {
                ascii_folding: fold,
                stemmer: stem.then_some(Language::English),
                max_token_length: 16,
            };
            let mut ours = build_analyzer(&config);
            let mut reference = reference_analyzer(&config);
            let tokens = |a: &mut TextAnalyzer| {
                let mut out = Vec::new();
                a.token_stream(&text).process(&mut |t: &Token| {
                    out.push((t.text.clone(), t.offset_from, t.offset_to, t.position))
                });
                out
            };
            prop_assert_eq!(tokens(&mut ours), tokens(&mut reference));
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
