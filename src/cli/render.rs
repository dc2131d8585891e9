//! Terminal output helpers: colour only on a TTY and never when NO_COLOR is set.

use std::io::IsTerminal;

#[derive(Clone, Copy)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    pub fn stdout() -> Painter {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Painter {
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }

    pub fn accent(&self, text: &str) -> String {
        self.wrap("36", text)
    }

    /// Marks byte ranges of `text`: bold yellow on a TTY, `[...]` otherwise so matches stay
    /// visible in pipes and logs.
    pub fn highlight(&self, text: &str, ranges: &[[usize; 2]]) -> String {
        let mut out = String::with_capacity(text.len() + ranges.len() * 8);
        let mut at = 0;
        for &[start, end] in ranges {
            if start < at
                || end > text.len()
                || !text.is_char_boundary(start)
                || !text.is_char_boundary(end)
            {
                continue;
            }
            out.push_str(&text[at..start]);
            if self.color {
                out.push_str(&self.wrap("1;33", &text[start..end]));
            } else {
                out.push('[');
                out.push_str(&text[start..end]);
                out.push(']');
            }
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Columns to wrap text to: `$COLUMNS` when set (as `ls` and `man` read it), else the
/// terminal's width, else 80 (pipes, files).
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or_else(textwrap::termwidth)
        .max(40)
}

/// `text` wrapped to `width` columns, every line starting with `indent` (escape sequences
/// count no width, so highlighted words wrap as plain ones). Lines break at spaces only:
/// a break after a hyphen would read as hyphenation and change the copied text.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let opts = textwrap::Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(indent)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, opts)
}

/// Authors as a result line shows them: up to three names, then "et al.".
pub fn short_authors(authors: &[String]) -> String {
    if authors.len() <= 3 {
        authors.join(", ")
    } else {
        format!("{} et al.", authors[..3].join(", "))
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
