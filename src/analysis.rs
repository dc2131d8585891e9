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
    /// Where the next whitespace-delimited piece starts.
    pos: usize,
    /// The words of the current piece: words only ever join within a piece, and a piece's
    /// few spans stay in L1 where a whole abstract's would not.
    spans: &'a mut Vec<(usize, usize)>,
    next: usize,
    token: &'a mut Token,
    /// Set by `piece_at`: the stream ends with the piece it was moved to.
    one_piece: bool,
    piece_read: bool,
}

impl Tokenizer for PaperTokenizer {
    type TokenStream<'a> = PaperTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PaperTokenStream<'a> {
        self.token.reset();
        self.spans.clear();
        PaperTokenStream {
            text,
            pos: 0,
            spans: &mut self.spans,
            next: 0,
            token: &mut self.token,
            one_piece: false,
            piece_read: false,
        }
    }
}

fn is_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric)
}

/// Byte ranges of the words of `text`, in order.
pub fn word_spans(text: &str, out: &mut Vec<(usize, usize)>) {
    let mut pos = 0;
    while pos < text.len() {
        pos = piece_spans(text, pos, out);
    }
}

/// Appends the words of the whitespace-delimited piece at or after `pos` and returns where
/// the piece ends.
///
/// An ASCII piece is split in the same pass that looks for its end, by the UAX #29 rules
/// that can fire on ASCII: letters, digits and `_` run together (WB9-WB13a/b); `:` joins
/// letters (WB6/7, MidLetter), `,` and `;` join digits (WB11/12, MidNum), `.` and `'` join
/// letters or digits on both sides (MidNumLet); everything else breaks. A piece holding
/// any other byte goes to unicode-segmentation whole.
fn piece_spans(text: &str, mut pos: usize, out: &mut Vec<(usize, usize)>) -> usize {
    let bytes = text.as_bytes();
    let n = bytes.len();
    while pos < n && bytes[pos].is_ascii_whitespace() {
        pos += 1;
    }
    let (start, mark) = (pos, out.len());
    let wordish = is_word_byte;
    // `next` is never whitespace or non-ASCII when this holds, so joins stay in the piece.
    let joins = |prev: u8, mid: u8, next: u8| match mid {
        b':' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
        b',' | b';' => prev.is_ascii_digit() && next.is_ascii_digit(),
        b'.' | b'\'' => {
            (prev.is_ascii_alphabetic() && next.is_ascii_alphabetic())
                || (prev.is_ascii_digit() && next.is_ascii_digit())
        }
        _ => false,
    };
    let mut i = pos;
    loop {
        while i < n && !wordish(bytes[i]) {
            if bytes[i].is_ascii_whitespace() {
                return i;
            }
            if !bytes[i].is_ascii() {
                out.truncate(mark);
                return unicode_piece(text, start, i, out);
            }
            i += 1;
        }
        if i == n {
            return n;
        }
        let word = i;
        i += 1;
        let mut joined = false;
        loop {
            while i < n && wordish(bytes[i]) {
                i += 1;
            }
            if i + 1 < n && joins(bytes[i - 1], bytes[i], bytes[i + 1]) {
                joined = true;
                i += 2;
            } else {
                break;
            }
        }
        // A run of underscores alone is no word (it holds no letter or digit).
        if bytes[word] != b'_' || joined || bytes[word..i].iter().any(|&b| b != b'_') {
            out.push((word, i));
        }
    }
}

/// ASCII letters, digits and `_`: the bytes a word runs over (no UAX #29 break falls
/// between two of them). A table: one load per byte in the splitter's inner loop instead of
/// a chain of range compares.
#[inline]
pub(crate) fn is_word_byte(b: u8) -> bool {
    WORDISH[b as usize]
}

static WORDISH: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    table
};

/// The words of the piece at `start` by unicode-segmentation; returns where it ends. `seen`:
/// how far the ASCII pass got (no whitespace before it).
#[cold]
fn unicode_piece(text: &str, start: usize, seen: usize, out: &mut Vec<(usize, usize)>) -> usize {
    let bytes = text.as_bytes();
    let mut end = seen;
    while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
        end += 1;
    }
    for (s, seg) in text[start..end].split_word_bound_indices() {
        if is_word(seg) {
            out.push((start + s, start + s + seg.len()));
        }
    }
    end
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
        while self.next == self.spans.len() {
            if self.pos >= self.text.len() || self.piece_read {
                return None;
            }
            self.spans.clear();
            self.next = 0;
            self.pos = piece_spans(self.text, self.pos, self.spans);
            self.piece_read = self.one_piece;
        }
        let (start, mut end) = self.spans[self.next];
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
    /// none of them comes out with an empty text (its offsets kept), which skips its stem
    /// lookup and its copy (most of the words of a snippet). Sound for English because
    /// Porter2 never changes a word's first letter; other stemmers analyze every word fully.
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

impl PaperAnalyzerStream<'_> {
    /// Moves the stream to the whitespace-delimited piece at byte `pos` (0 or just after ASCII
    /// whitespace) and ends it after that piece. The splitter cuts text piece by piece, so
    /// these are the tokens the whole text has there: a highlighter reads only the pieces
    /// that can hold a term, with one stream (and one stem-cache loan) per text.
    pub fn piece_at(&mut self, pos: usize) {
        let words = &mut self.words;
        words.pos = pos;
        words.spans.clear();
        words.next = 0;
        words.one_piece = true;
        words.piece_read = false;
    }
}

impl TokenStream for PaperAnalyzerStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((start, end, joined)) = self.words.next_span() else {
                return false;
            };
            let bytes = self.words.text.as_bytes();
            let word = &bytes[start..end];
            // Fast path: a short ASCII word goes lowercased straight into a cache key (a
            // dropped acronym-plural `s` is ASCII, so the key is ASCII exactly when the word is).
            let word = &word[..word.len() - usize::from(is_acronym_plural(word))];
            if !joined && word.len() <= INLINE && word.is_ascii() {
                if word.len() >= self.max_len {
                    continue;
                }
                let text = &mut self.words.token.text;
                let first = usize::from(word[0].to_ascii_lowercase());
                match self.stemmer {
                    Some((_, stemmer)) if self.stem_first.is_none_or(|f| f[first]) => self
                        .cache
                        .stem_ascii(stemmer, bytes, start, word.len(), text),
                    // Highlighting, a word that cannot become a wanted term: only its offsets
                    // matter, and an empty text equals no term.
                    Some(_) => text.clear(),
                    None => {
                        text.clear();
                        text.push_str(Inline::ascii_lowercase(word).expect("short ASCII").as_str());
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

/// An English (Porter2) stem keeps its word's first letter and every byte but at most its last
/// `STEM_TAIL` (suffix rewrites: `hoping` -> `hope`, `dying` -> `die`, `-biliti` -> `-ble`; 2
/// at most over the 172,166 distinct words of the listings, 3 for margin), so a highlighter
/// can rule a word out from its first letters.
pub const STEM_TAIL: usize = 3;

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
///
/// Plain ASCII words of up to 8 and 16 bytes, nearly every token, live in flat tables of
/// packed integers (one cache line per probe, 16 and 32 bytes an entry): the probe is the
/// analyzer's main cost, and a hash map of 48-byte entries touched two or three lines.
#[derive(Default)]
struct StemCache {
    short: PackedTable<u64>,
    mid: PackedTable<u128>,
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
                Some((_, kept)) if kept.len() < self.len() => *kept = self,
                Some(_) => {}
                None => caches.push((language, self)),
            }
        });
    }

    fn len(&self) -> usize {
        self.short.len + self.mid.len + self.map.len()
    }

    /// Writes the stem of the word `text[start..start + len]` (ASCII, 1 to `INLINE` bytes)
    /// lowercased into `out`.
    fn stem_ascii(
        &mut self,
        stemmer: frostem::Stemmer,
        text: &[u8],
        start: usize,
        len: usize,
        out: &mut String,
    ) {
        match len {
            0..=8 => self
                .short
                .stem(stemmer, u64::pack_lowercase(text, start, len), out),
            9..=16 => self
                .mid
                .stem(stemmer, u128::pack_lowercase(text, start, len), out),
            _ => {
                let word = &text[start..start + len];
                let key = Inline::ascii_lowercase(word).expect("short ASCII");
                self.stem_inline(stemmer, key, out)
            }
        }
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

/// A word of at most `BYTES` bytes packed little-endian into an integer and zero-padded:
/// words hold no NUL, so the integer is unique to the word and never 0 (an empty slot).
trait Packed: Copy + Eq + Default {
    const BYTES: usize;
    /// The word `text[start..start + len]`: ASCII, 1 to `BYTES` bytes.
    fn pack_lowercase(text: &[u8], start: usize, len: usize) -> Self;
    fn pack(s: &str) -> Option<Self>;
    fn mix(self) -> u64;
    fn push_to(self, out: &mut String);
}

macro_rules! packed {
    ($int:ty, $fold:expr) => {
        impl Packed for $int {
            const BYTES: usize = std::mem::size_of::<$int>();

            #[inline]
            fn pack_lowercase(text: &[u8], start: usize, len: usize) -> $int {
                // One unaligned load and a mask where the text goes on far enough: a
                // variable-length copy into a buffer costs a memcpy call and a stalled load.
                let x = match text.get(start..start + Self::BYTES) {
                    Some(b) => {
                        let x = <$int>::from_le_bytes(b.try_into().expect("BYTES long"));
                        x & (<$int>::MAX >> (8 * (Self::BYTES - len)))
                    }
                    None => {
                        let mut bytes = [0u8; Self::BYTES];
                        bytes[..len].copy_from_slice(&text[start..start + len]);
                        <$int>::from_le_bytes(bytes)
                    }
                };
                // SWAR: bytes in A..=Z (all are below 0x80) get 0x20 added.
                let ones = <$int>::MAX / 0xff;
                let upper = (x + ones * 0x3f) & !(x + ones * 0x25) & (ones * 0x80);
                x | (upper >> 2)
            }

            fn pack(s: &str) -> Option<$int> {
                let b = s.as_bytes();
                if b.is_empty() || b.len() > Self::BYTES || b.contains(&0) {
                    return None;
                }
                let mut bytes = [0u8; Self::BYTES];
                bytes[..b.len()].copy_from_slice(b);
                Some(<$int>::from_le_bytes(bytes))
            }

            #[inline]
            fn mix(self) -> u64 {
                let fold: fn($int) -> u64 = $fold;
                fold(self)
            }

            #[inline]
            fn push_to(self, out: &mut String) {
                let bytes = self.to_le_bytes();
                let len = Self::BYTES - self.leading_zeros() as usize / 8;
                // SAFETY: every value was packed from a whole `str` (`pack`) or from ASCII
                // (`pack_lowercase`, which maps ASCII to ASCII), then zero padding: the first
                // `len` bytes are that UTF-8 text. All `BYTES` are pushed (a fixed-size copy
                // instead of a memcpy call) and the padding cut off again, so the string
                // ends on the text's last char.
                unsafe {
                    let vec = out.as_mut_vec();
                    vec.extend_from_slice(&bytes);
                    vec.truncate(vec.len() - (Self::BYTES - len));
                }
            }
        }
    };
}
packed!(u64, |x| x);
packed!(u128, |x| (x as u64) ^ ((x >> 64) as u64).rotate_left(29));

/// Open addressing, linear probing, at most half full; starts over once it would need more
/// than `STEM_CACHE_ENTRIES` entries.
struct PackedTable<K> {
    slots: Vec<(K, K)>,
    len: usize,
    shift: u32,
}

impl<K: Packed> Default for PackedTable<K> {
    fn default() -> Self {
        PackedTable {
            slots: Vec::new(),
            len: 0,
            shift: 64,
        }
    }
}

impl<K: Packed> PackedTable<K> {
    #[inline]
    fn slot(&self, key: K) -> usize {
        // Fibonacci hashing: the product's high bits depend on every bit of the key.
        (key.mix().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn get(&self, key: K) -> Option<K> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == K::default() {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    fn insert(&mut self, key: K, value: K) {
        if 2 * (self.len + 1) > self.slots.len() {
            let grown = (self.slots.len() * 2).max(1024);
            if grown > 2 * STEM_CACHE_ENTRIES {
                self.slots.fill((K::default(), K::default()));
                self.len = 0;
            } else {
                let old =
                    std::mem::replace(&mut self.slots, vec![(K::default(), K::default()); grown]);
                self.shift = 64 - grown.trailing_zeros();
                self.len = 0;
                for (k, v) in old.into_iter().filter(|(k, _)| *k != K::default()) {
                    self.insert(k, v);
                }
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        while self.slots[i].0 != K::default() {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }

    /// Writes the stem of the (lowercased, packed) word `key` into `out`.
    #[inline]
    fn stem(&mut self, stemmer: frostem::Stemmer, key: K, out: &mut String) {
        out.clear();
        if let Some(stem) = self.get(key) {
            stem.push_to(out);
            return;
        }
        key.push_to(out);
        let stem = stemmer.stem(out).into_owned();
        out.clear();
        out.push_str(&stem);
        if let Some(value) = K::pack(&stem) {
            self.insert(key, value);
        }
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

    /// What `PaperAnalyzer::for_terms` and the highlighter rely on: the English stemmer keeps
    /// a word's first letter and all but the last `STEM_TAIL` bytes of the stem, over every
    /// word of 1,950 real abstracts and Porter2's exceptional forms.
    #[test]
    fn english_stems_keep_the_first_letter_and_all_but_their_tail() {
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
                          sky news howe atlas cosmos bias andes yield yes \
                          capability stability hoping relational sensibilities fying vying";
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
                let kept = stem.len().saturating_sub(STEM_TAIL);
                assert!(
                    word.as_bytes().starts_with(&stem.as_bytes()[..kept]),
                    "{word} -> {stem}"
                );
                words += 1;
            }
        }
        assert!(words > 100_000, "{words}");
    }

    /// Porter2's suffixes (steps 1 to 5), chained on random roots: the rewrites they trigger
    /// leave the stem's bytes before its last `STEM_TAIL` a prefix of the word.
    const SUFFIXES: &[&str] = &[
        "s", "es", "ies", "ied", "sses", "us", "ss", "ed", "eed", "eedly", "ing", "ingly", "edly",
        "y", "tional", "enci", "anci", "abli", "entli", "izer", "ization", "ational", "ation",
        "ator", "alism", "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti",
        "biliti", "bli", "ogi", "fulli", "lessli", "li", "alize", "icate", "iciti", "ical", "ful",
        "ness", "ative", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment",
        "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion", "e", "l", "ly", "ity", "at", "bl",
        "iz", "'s", "'",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn english_stems_differ_from_their_word_only_in_the_tail(
            root in "[a-z]{1,8}",
            suffixes in prop::collection::vec(prop::sample::select(SUFFIXES), 0..4),
        ) {
            let word = format!("{root}{}", suffixes.concat());
            let stem = frostem::Stemmer::new(frostem::Algorithm::English).stem(&word).into_owned();
            prop_assert_eq!(stem.bytes().next(), word.bytes().next(), "{} -> {}", word, stem);
            let kept = stem.len().saturating_sub(STEM_TAIL);
            prop_assert!(word.starts_with(&stem[..kept]), "{} -> {}", word, stem);
        }
    }

    #[test]
    fn for_terms_leaves_only_words_that_cannot_match_unstemmed() {
        let config = TokenizerConfig::default();
        let mut a = TextAnalyzer::from(PaperAnalyzer::for_terms(&config, ["graph"]));
        // "graphs" can become the term and is stemmed; "networks" cannot and comes out empty
        // (offsets only), while a word the fast path does not take is analyzed in full.
        assert_eq!(terms(&mut a, "Graphs networks Néts"), ["graph", "", "net"]);
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

    #[test]
    fn a_packed_table_returns_what_was_stored_or_nothing_after_starting_over() {
        let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
        let mut table = PackedTable::<u64>::default();
        let word = |n: usize| format!("w{n:x}");
        // Three times the table's bound: it starts over twice and must never answer wrongly.
        let total = 3 * STEM_CACHE_ENTRIES;
        let mut out = String::new();
        for n in 0..total {
            let w = word(n);
            table.stem(
                stemmer,
                u64::pack_lowercase(w.as_bytes(), 0, w.len()),
                &mut out,
            );
            assert_eq!(out, stemmer.stem(&w));
        }
        assert!(table.len <= STEM_CACHE_ENTRIES, "{}", table.len);
        let (mut kept, mut forgotten) = (0, 0);
        for n in 0..total {
            let w = word(n);
            match table.get(u64::pack_lowercase(w.as_bytes(), 0, w.len())) {
                Some(stem) => {
                    out.clear();
                    stem.push_to(&mut out);
                    assert_eq!(out, stemmer.stem(&w));
                    kept += 1;
                }
                None => forgotten += 1,
            }
        }
        assert_eq!(kept, table.len);
        assert!(forgotten >= 2 * STEM_CACHE_ENTRIES, "{forgotten}");
    }

    proptest! {
        #[test]
        fn packing_lowercases_the_word_wherever_it_sits(
            before in "[ -~]{0,20}",
            word in "[A-Za-z0-9]{1,16}",
            after in "[ -~]{0,20}",
        ) {
            let text = format!("{before}{word}{after}");
            let mut out = String::new();
            if word.len() <= 8 {
                u64::pack_lowercase(text.as_bytes(), before.len(), word.len()).push_to(&mut out);
            } else {
                u128::pack_lowercase(text.as_bytes(), before.len(), word.len()).push_to(&mut out);
            }
            prop_assert_eq!(out, word.to_ascii_lowercase());
        }

        #[test]
        fn packing_round_trips_any_text_that_fits(text in "[^\\x00]{1,5}") {
            let mut out = String::from("kept ");
            if let Some(packed) = u128::pack(&text) {
                packed.push_to(&mut out);
                prop_assert_eq!(out, format!("kept {text}"));
            } else {
                prop_assert!(text.len() > 16);
            }
        }

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
