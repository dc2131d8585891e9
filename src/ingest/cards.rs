//! Placeholder: being written.

use super::{ParseOptions, Parsed};

pub fn looks_like(_head: &str) -> bool {
    false
}

pub fn parse(_file: &str, _text: &str, _opts: &ParseOptions) -> Parsed {
    Parsed::default()
}
