//! Text normalization applied to every field at ingest: mojibake repair, LaTeX markup
//! stripping, whitespace collapsing. Also HTML entity decoding for the HTML-ish formats.

/// Normalizes a title, abstract or comment for indexing and display.
///
/// Repairs mojibake (UTF-8 read as Windows-1252/Latin-1) and drops what cannot be repaired,
/// strips LaTeX markup (`\textbf{Uni}` -> `Uni`, `$^3$` -> `^3`, `\#` -> `#`, ``` ``x'' ``` ->
/// `"x"`), collapses whitespace and trims. Idempotent: `clean(clean(s)) == clean(s)`.
pub fn clean(s: &str) -> String {
    if is_plain(s) {
        return collapse(s);
    }
    // One pass can expose new work (an escaped `\$` pair becoming math, doubly encoded
    // mojibake), so iterate to a fixed point; that is what makes `clean` idempotent.
    let mut cur = collapse(&strip_latex(&repair_mojibake(s)));
    for _ in 0..8 {
        // Settled: another pass would only collapse it again, which changes nothing (most
        // non-ASCII text, which used to take a second pass to find that out).
        if !has_latex_marks(&cur) && !has_mojibake_lead(&cur) {
            break;
        }
        let next = collapse(&strip_latex(&repair_mojibake(&cur)));
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

/// `clean` for a string the caller owns: plain ASCII (the bulk of real abstracts, which
/// arrive owned from JSON with their `\n` escapes decoded) is collapsed in its own buffer.
pub fn clean_owned(s: String) -> String {
    if is_plain(&s) {
        collapse_ascii_owned(s)
    } else {
        clean(&s)
    }
}

/// ASCII without LaTeX or mojibake to undo: only whitespace and controls to normalize.
fn is_plain(s: &str) -> bool {
    s.is_ascii() && !has_latex_marks(s)
}

/// Whether `s` holds a byte LaTeX stripping acts on (memchr's vector scan: a `char` pattern
/// decoded every character of every abstract).
fn has_latex_marks(s: &str) -> bool {
    memchr::memchr3(b'\\', b'$', b'`', s.as_bytes()).is_some()
}

/// Collapses every run of whitespace to one space, trims, and drops invisible junk
/// (control chars, BOMs, zero-width spaces, replacement chars).
fn collapse(s: &str) -> String {
    if s.is_ascii() {
        collapse_ascii(s)
    } else {
        collapse_chars(s)
    }
}

/// `collapse` for ASCII text in one byte loop (the bulk of abstracts).
fn collapse_ascii(s: &str) -> String {
    collapse_ascii_owned(s.to_owned())
}

/// `collapse_ascii` in the string's own buffer: the output never outruns the input (`w <= r`).
/// Works run by run: a run of visible bytes is moved only once an earlier run of whitespace
/// or junk has shrunk (in most abstracts never: single spaces and line breaks become a space
/// in place), so the common case costs a compare per byte.
fn collapse_ascii_owned(s: String) -> String {
    let mut bytes = s.into_bytes();
    let n = bytes.len();
    let (mut r, mut w) = (0, 0);
    while r < n {
        let start = r;
        r = visible_run_end(&bytes, r);
        if w != start {
            bytes.copy_within(start..r, w);
        }
        w += r - start;
        // Whitespace (`char::is_whitespace` in ASCII, with the vertical tab) and other controls
        // up to the next visible byte: one space if any of it was whitespace, none at the ends.
        let mut space = false;
        while r < n && !is_visible(bytes[r]) {
            space |= matches!(bytes[r], b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
            r += 1;
        }
        if space && w > 0 && r < n {
            bytes[w] = b' ';
            w += 1;
        }
    }
    bytes.truncate(w);
    String::from_utf8(bytes).expect("ASCII in, ASCII out")
}

/// The end of the run of visible ASCII bytes (neither controls, space nor DEL) at `r` in
/// ASCII text, eight bytes at a time: a word is found in one or two steps, not a loop per byte.
fn visible_run_end(bytes: &[u8], mut r: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    while let Some(chunk) = bytes.get(r..r + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // High bit set in the lowest byte that is < 0x21 or == 0x7F (bytes above the first hit
        // may be flagged spuriously by borrows; only the lowest is used). Exact for ASCII.
        let below = x.wrapping_sub(0x21 * ONES) & !x & HIGH;
        let del = x ^ (0x7F * ONES);
        let del = del.wrapping_sub(ONES) & !del & HIGH;
        let hits = below | del;
        if hits != 0 {
            return r + (hits.trailing_zeros() / 8) as usize;
        }
        r += 8;
    }
    while r < bytes.len() && is_visible(bytes[r]) {
        r += 1;
    }
    r
}

/// An ASCII byte that is neither a control, space nor DEL.
fn is_visible(b: u8) -> bool {
    b > b' ' && b != 0x7F
}

fn collapse_chars(s: &str) -> String {
    let junk = |c: char| c.is_control() || matches!(c, '\u{FEFF}' | '\u{FFFD}' | '\u{200B}');
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        let start = out.len();
        if start > 0 {
            out.push(' ');
        }
        if word.contains(junk) {
            out.extend(word.chars().filter(|&c| !junk(c)));
        } else {
            out.push_str(word);
        }
        if out.len() == start + usize::from(start > 0) {
            out.truncate(start); // the word was all junk
        }
    }
    out
}

/// Decodes HTML character references: the five XML entities, `&nbsp;` and numeric ones.
/// Unknown or malformed references are kept verbatim.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| Some((entity(&rest[1..=end])?, end + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let named = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let num = name.strip_prefix('#')?;
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse().ok()?,
    };
    char::from_u32(code)
}

/// Month from an English name or its 3-letter prefix ("Aug", "February").
pub(crate) fn month_from_name(s: &str) -> Option<time::Month> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let s = s.trim_end_matches('.').to_ascii_lowercase();
    let i = NAMES
        .iter()
        .position(|n| s.len() >= 3 && n.starts_with(s.as_str()))?;
    time::Month::try_from(i as u8 + 1).ok()
}

/// Test helper shared by the parsers: what no paper parsed from the seeds may contain.
#[cfg(test)]
pub(crate) fn assert_clean_papers(papers: &[crate::paper::Paper]) {
    const FORBIDDEN: [&str; 12] = [
        "ð",
        "Ÿ",
        "â€",
        "\\text",
        "$^",
        "Mentoring",
        "E-Book",
        "Deel",
        "Highlights",
        "Subscribe",
        "Table of Contents",
        "\u{FFFD}",
    ];
    for p in papers {
        assert!(!p.title.is_empty(), "empty title: {p:?}");
        assert!(p.abstract_text.len() >= 80, "short abstract: {p:?}");
        let fields = [Some(&p.title), Some(&p.abstract_text), p.comment.as_ref()];
        for field in fields.into_iter().flatten() {
            for bad in FORBIDDEN {
                assert!(!field.contains(bad), "{bad:?} in {field:?}");
            }
            assert_eq!(&clean(field), field, "not normalized");
        }
        assert_eq!(p.sources.len(), 1);
    }
}

// ---------------------------------------------------------------------------------------
// Mojibake

/// The byte a char came from if the text was UTF-8 decoded as Windows-1252 (or Latin-1,
/// whose C1 controls fill cp1252's holes).
fn cp1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u <= 0xFF {
        return Some(u as u8);
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Whether `repair_mojibake` may change `s`: it acts only from chars U+00C2..=U+00F4 (lead
/// bytes seen as Latin-1), which UTF-8 writes as 0xC3 then 0x82..=0xB4.
fn has_mojibake_lead(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(0xC3, b).any(|i| matches!(b.get(i + 1), Some(0x82..=0xB4)))
}

fn is_continuation(c: char) -> bool {
    matches!(cp1252_byte(c), Some(0x80..=0xBF))
}

/// Two-byte sequences are only repaired for lead bytes whose mojibake is common (Latin-1
/// supplement, Latin Extended-A, modifiers/combining marks, Greek, Cyrillic): a legitimate
/// "×–" (as in "1.8×–2.4×") is also valid UTF-8 and must not become Hebrew.
fn repairable_two_byte_lead(b: u8) -> bool {
    matches!(b, 0xC2..=0xC5 | 0xCB..=0xD1)
}

/// Replaces runs that are UTF-8 bytes shown as cp1252 characters by what they encode
/// ("ðŸ“…" -> 📅, "â€™" -> ’) and drops broken remnants of such runs. Leftover C1
/// controls are dropped later by `collapse`.
fn repair_mojibake(s: &str) -> String {
    if !has_mojibake_lead(s) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let lead = c as u32;
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        if len > 0 {
            let conts = chars[i + 1..]
                .iter()
                .take(len - 1)
                .take_while(|&&c| is_continuation(c))
                .count();
            if conts == len - 1 && (len > 2 || repairable_two_byte_lead(lead as u8)) {
                let mut bytes = vec![lead as u8];
                bytes.extend(chars[i + 1..i + len].iter().filter_map(|&c| cp1252_byte(c)));
                if let Ok(fixed) = std::str::from_utf8(&bytes) {
                    out.push_str(fixed);
                    i += len;
                    continue;
                }
            }
            // "â€" / "ðŸ" with a lost or invalid tail: unrepairable mojibake, drop it.
            if conts > 0 && matches!(c, 'â' | 'ð') {
                i += 1 + conts;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------
// LaTeX

/// Commands replaced by a symbol or text.
fn latex_symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "textless" | "lt" => "<",
        "textgreater" | "gt" => ">",
        "times" => "×",
        "cdot" => "·",
        "approx" => "≈",
        "sim" => "~",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "pm" => "±",
        "ldots" | "dots" | "cdots" => "…",
        "rightarrow" | "to" => "→",
        "infty" => "∞",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ε",
        "lambda" => "λ",
        "mu" => "μ",
        "pi" => "π",
        "sigma" => "σ",
        "tau" => "τ",
        "theta" => "θ",
        "ie" => "i.e.",
        "eg" => "e.g.",
        "etal" => "et al.",
        _ => return None,
    })
}

/// Commands whose first braced argument is not text (colors, labels, citations).
fn drops_first_arg(name: &str) -> bool {
    matches!(
        name,
        "color"
            | "textcolor"
            | "colorbox"
            | "href"
            | "label"
            | "ref"
            | "eqref"
            | "cite"
            | "citep"
            | "citet"
            | "vspace"
            | "hspace"
            | "includegraphics"
    )
}

/// Strips LaTeX markup, keeping the text it wraps. Braces are dropped only when they belong
/// to markup (a command's argument, `{\bf ..}` groups, math), so literal braces survive.
fn strip_latex(s: &str) -> String {
    if !has_latex_marks(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    Latex { s, out: &mut out }.run(0, s.len(), false);
    out
}

/// Works on bytes: everything markup acts on is ASCII (or the lead byte of `’`), so the text
/// between such bytes is copied in one slice rather than decoded char by char.
struct Latex<'a> {
    s: &'a str,
    out: &'a mut String,
}

/// The bytes `Latex::run` may act on: `’` (U+2019) starts with 0xE2, and no other byte of a
/// multi-byte char is ASCII, so a slice between two of them is whole chars.
fn is_markup_byte(b: u8) -> bool {
    matches!(
        b,
        b'\\' | b'{' | b'}' | b'$' | b'^' | b'_' | b'`' | b'\'' | 0xE2
    )
}

impl Latex<'_> {
    /// Emits the text of `s[start..end]`; `math` drops `_` and braces, and keeps `^`.
    fn run(&mut self, start: usize, end: usize, math: bool) {
        let (s, b) = (self.s, self.s.as_bytes());
        // Per open brace: whether it is markup (dropped) or literal (kept).
        let mut groups: Vec<bool> = Vec::new();
        let mut markup_arg_next = false;
        let mut open_quote = false;
        let mut i = start;
        while i < end {
            let next = b.get(i + 1).copied().filter(|_| i + 1 < end);
            match b[i] {
                b'\\' => {
                    markup_arg_next = false;
                    let name_len = b[i + 1..end]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .count();
                    if name_len == 0 {
                        let escaped = s[i + 1..end].chars().next();
                        match escaped {
                            Some('\\' | ',' | ';' | ':' | '!' | ' ') => self.out.push(' '),
                            Some(other) => self.out.push(other),
                            None => {}
                        }
                        i += 1 + escaped.map_or(1, char::len_utf8);
                        continue;
                    }
                    let name = &s[i + 1..i + 1 + name_len];
                    i += 1 + name_len;
                    if let Some(sym) = latex_symbol(name) {
                        self.out.push_str(sym);
                        continue;
                    }
                    // Optional argument: never text.
                    if i < end && b[i] == b'[' {
                        if let Some(close) = find_close(b, i, end, b'[', b']') {
                            i = close + 1;
                        }
                    }
                    if drops_first_arg(name) && i < end && b[i] == b'{' {
                        if let Some(close) = find_close(b, i, end, b'{', b'}') {
                            i = close + 1;
                        }
                    }
                    if i < end && b[i] == b'{' {
                        markup_arg_next = true;
                    } else if !drops_first_arg(name) && !is_wrapper(name) {
                        // Unknown argument-less macro (`\mone`): keep its name as a word.
                        self.out.push_str(name);
                    }
                }
                b'{' => {
                    let markup = math || markup_arg_next || next == Some(b'\\');
                    markup_arg_next = false;
                    groups.push(markup);
                    if !markup {
                        self.out.push('{');
                    }
                    i += 1;
                }
                b'}' => {
                    match groups.pop() {
                        Some(true) => markup_arg_next = next == Some(b'{'),
                        Some(false) | None => self.out.push('}'),
                    }
                    i += 1;
                }
                b'$' if !math => {
                    markup_arg_next = false;
                    match find_math(s, i, end) {
                        Some((open_len, close)) => {
                            self.run(i + open_len, close, true);
                            i = close + open_len;
                        }
                        None => {
                            self.out.push('$');
                            i += 1;
                        }
                    }
                }
                // A superscript keeps its `^` (`O(T^2)`, not `O(T2)`: a square read as a 2);
                // a braced one of more than a word keeps its extent in parentheses
                // (`n^{1/2}` -> `n^(1/2)`). The tokenizer still joins `MedS^3` into `meds3`.
                b'^' if math => {
                    self.out.push('^');
                    i += 1;
                    if i < end && b[i] == b'{' {
                        if let Some(close) = find_close(b, i, end, b'{', b'}') {
                            let inner = &s[i + 1..close];
                            let word = !inner.is_empty()
                                && inner.bytes().all(|c| c.is_ascii_alphanumeric());
                            if !word {
                                self.out.push('(');
                            }
                            self.run(i + 1, close, true);
                            if !word {
                                self.out.push(')');
                            }
                            i = close + 1;
                        }
                    }
                }
                b'_' if math => i += 1,
                b'`' if next == Some(b'`') => {
                    self.out.push('"');
                    open_quote = true;
                    i += 2;
                }
                b'\'' if open_quote && next == Some(b'\'') => {
                    self.out.push('"');
                    open_quote = false;
                    i += 2;
                }
                0xE2 if open_quote && s[i..end].starts_with("\u{2019}\u{2019}") => {
                    self.out.push('"');
                    open_quote = false;
                    i += 2 * '\u{2019}'.len_utf8();
                }
                _ => {
                    // Text up to the next byte markup may act on (this one included, whatever
                    // it is: none of the arms above took it).
                    markup_arg_next = false;
                    let run_end = b[i + 1..end]
                        .iter()
                        .position(|&c| is_markup_byte(c))
                        .map_or(end, |p| i + 1 + p);
                    self.out.push_str(&s[i..run_end]);
                    i = run_end;
                }
            }
        }
    }
}

/// Formatting commands that vanish even without a braced argument (`{\bf x}`).
fn is_wrapper(name: &str) -> bool {
    matches!(
        name,
        "bf" | "it"
            | "em"
            | "tt"
            | "rm"
            | "sf"
            | "sc"
            | "small"
            | "large"
            | "Large"
            | "footnotesize"
    )
}

/// Index of the bracket closing the one at `open`, honoring nesting and `\` escapes. An
/// escape skips one byte: the rest of a multi-byte char never equals an ASCII bracket.
fn find_close(b: &[u8], open: usize, end: usize, o: u8, cl: u8) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < end {
        match b[i] {
            b'\\' => i += 1,
            x if x == o => depth += 1,
            x if x == cl => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// For a `$` at byte `open`: the delimiter length and the byte index of the closing
/// delimiter, if this is math. Like pandoc, `$` must hug its content and the closer must not
/// precede a digit, so prices ("$5 and $10") stay text.
fn find_math(s: &str, open: usize, end: usize) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let double = open + 1 < end && b[open + 1] == b'$';
    let len = if double { 2 } else { 1 };
    let first = s[open + len..end].chars().next()?;
    if !double && (first.is_whitespace() || first == '$') {
        return None;
    }
    let mut i = open + len;
    while i < end {
        match b[i] {
            b'\\' => i += 1,
            b'$' if double => {
                return (i + 1 < end && b[i + 1] == b'$').then_some((2, i));
            }
            b'$' => {
                let hugs = s[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| !c.is_whitespace());
                let digit_after = b.get(i + 1).is_some_and(u8::is_ascii_digit);
                return (hugs && !digit_after).then_some((1, i));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn collapses_whitespace() {
        assert_eq!(clean("  a \n\t b  "), "a b");
        assert_eq!(clean(""), "");
    }

    #[test]
    fn repairs_mojibake() {
        assert_eq!(clean("ðŸ“… 2025-02-01"), "📅 2025-02-01");
        assert_eq!(clean("| ðŸ’¬ AAAI 2025"), "| 💬 AAAI 2025");
        assert_eq!(clean("the modelâ€™s"), "the model’s");
        assert_eq!(clean("cafÃ© â€œquotedâ€\u{9d}"), "café “quoted”");
        // Doubly encoded text is repaired too.
        assert_eq!(clean("cafÃƒÂ©"), "café");
        // Latin-1 decoding (C1 controls instead of cp1252 punctuation).
        assert_eq!(clean("it\u{e2}\u{80}\u{99}s"), "it’s");
    }

    #[test]
    fn drops_unrepairable_mojibake() {
        // Truncated emoji and a lost third byte: nothing readable is left, so drop it.
        assert_eq!(clean("x ðŸ y"), "x y");
        assert_eq!(clean("a â€ b"), "a b");
        assert_eq!(clean("a\u{fffd}b\u{feff}"), "ab");
    }

    #[test]
    fn keeps_legitimate_non_ascii() {
        for s in [
            "1.8×–2.4× compute",
            "“Temporal Heads”—specialized",
            "the model’s “in the year…”",
            "Gödel, Erdős, naïve café, Straße",
            "Δ-attention, α=0.5, 日本語",
        ] {
            assert_eq!(clean(s), s);
        }
    }

    #[test]
    fn strips_latex_commands() {
        assert_eq!(
            clean(r"Softmax \textbf{Uni}fication"),
            "Softmax Unification"
        );
        assert_eq!(
            clean(r"LLM (\textit{gemini-1.5-pro})"),
            "LLM (gemini-1.5-pro)"
        );
        assert_eq!(
            clean(r"at \url{https://x.org/a_b}."),
            "at https://x.org/a_b."
        );
        assert_eq!(clean(r"the \texttt{Softmax} op"), "the Softmax op");
        assert_eq!(
            clean(r"{\color[RGB]{175,36,67}{LCLM-Horizon}}."),
            "LCLM-Horizon."
        );
        assert_eq!(clean(r"codes (\ie, tokens)"), "codes (i.e., tokens)");
        assert_eq!(clean(r"requires \textless2MB"), "requires <2MB");
        assert_eq!(clean(r"model, \mone, designed"), "model, mone, designed");
        assert_eq!(clean(r"see \cite{foo} here"), "see here");
        assert_eq!(clean(r"\href{https://a}{the site}"), "the site");
    }

    #[test]
    fn strips_latex_escapes_and_math() {
        assert_eq!(clean(r"the \#1 spot"), "the #1 spot");
        assert_eq!(clean(r"S\&P 500, 10\% better"), "S&P 500, 10% better");
        assert_eq!(clean(r"MedS$^3$: Towards"), "MedS^3: Towards");
        assert_eq!(clean(r"with $x$ and $\alpha_{i}$"), "with x and αi");
        assert_eq!(clean(r"$$E = mc^2$$"), "E = mc^2");
        assert_eq!(
            clean(r"attention costs $O(T^2)$ time"),
            "attention costs O(T^2) time"
        );
        assert_eq!(clean(r"$O(n^{1/2})$ and $2^{10}$"), "O(n^(1/2)) and 2^10");
        assert_eq!(clean(r"$x_i^{2}$"), "xi^2");
        assert_eq!(clean("costs $5 and $10"), "costs $5 and $10");
        assert_eq!(clean("a lone $ sign"), "a lone $ sign");
        assert_eq!(clean("keep {literal} braces"), "keep {literal} braces");
    }

    #[test]
    fn converts_tex_quotes() {
        assert_eq!(
            clean("the ``less structure'' principle"),
            "the \"less structure\" principle"
        );
        assert_eq!(
            clean("the ``less structure’’ principle"),
            "the \"less structure\" principle"
        );
        // A closing quote without an opener is left alone.
        assert_eq!(clean("the models'' way"), "the models'' way");
    }

    #[test]
    fn month_names() {
        assert_eq!(month_from_name("Aug"), Some(time::Month::August));
        assert_eq!(month_from_name("february"), Some(time::Month::February));
        assert_eq!(month_from_name("Sept."), Some(time::Month::September));
        assert_eq!(month_from_name("Ma"), None);
        assert_eq!(month_from_name("Augustus"), None);
    }

    #[test]
    fn decodes_html_entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &#x263A; &bogus; & f"),
            "a & b <c> \"d\" 'e' ☺ &bogus; & f"
        );
    }

    fn tricky() -> impl Strategy<Value = String> {
        let alphabet = vec![
            'a', 'Z', '1', ' ', '\n', '\\', '$', '`', '\'', '{', '}', '[', ']', '^', '_', '#', '&',
            'ð', 'Ÿ', 'â', '€', '™', 'Ã', 'ƒ', 'Â', '©', '×', '–', '’', '“', '\u{9d}', '…',
        ];
        prop::collection::vec(prop::sample::select(alphabet), 0..40)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_visible_run_ends_at_the_first_space_control_or_del(s in "[\\x00-\\x7f]{0,40}", at in 0usize..40) {
            let bytes = s.as_bytes();
            let at = at.min(bytes.len());
            let expected = bytes[at..]
                .iter()
                .position(|&b| b <= b' ' || b == 0x7F)
                .map_or(bytes.len(), |p| at + p);
            prop_assert_eq!(visible_run_end(bytes, at), expected);
        }

        #[test]
        fn the_ascii_collapse_equals_the_general_one(s in "[\\x00-\\x7f]{0,80}|([a-z]{1,4}[ \\t\\n\\r\\x0b\\x0c\\x01\\x1f\\x7f]{1,3}){0,10}") {
            prop_assert_eq!(collapse_ascii(&s), collapse_chars(&s));
            prop_assert_eq!(clean_owned(s.clone()), clean(&s));
        }

        #[test]
        fn a_mojibake_lead_is_a_char_from_u00c2_to_u00f4(s in "\\PC{0,20}|[\u{80}-\u{ff}a ]{0,20}") {
            let expected = s.chars().any(|c| ('\u{C2}'..='\u{F4}').contains(&c));
            prop_assert_eq!(has_mojibake_lead(&s), expected);
        }

        #[test]
        fn clean_is_idempotent_on_tricky_input(s in tricky()) {
            let once = clean(&s);
            prop_assert_eq!(clean(&once), once);
        }

        #[test]
        fn clean_is_idempotent_on_any_input(s in any::<String>()) {
            let once = clean(&s);
            prop_assert_eq!(clean(&once), once);
        }

        #[test]
        fn clean_never_leaves_outer_whitespace(s in "\\PC*") {
            let out = clean(&s);
            prop_assert_eq!(out.trim(), out.as_str());
            prop_assert!(!out.contains("  "));
        }
    }
}
