//! Placeholder: being written.

use super::{Format, ParseOptions, Parsed};

pub fn sniff(_first_line: &str) -> Option<Format> {
    None
}

pub fn parse(_file: &str, _text: &str, _format: Format, _opts: &ParseOptions) -> Parsed {
    Parsed::default()
}
