//! `paperdex cite ID...`: papers as BibTeX entries, CSL-JSON or reference lines.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use paperdex::cite::CiteFormat;
use paperdex::Engine;

use super::render::print_json;

#[derive(Debug, Args)]
pub struct CiteArgs {
    /// Papers: ids in any form (2503.16428, arXiv:2503.16428v2, an arXiv or DOI URL,
    /// hep-th/9901001)
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// bibtex (arXiv's export form), csl-json (one array of items) or text (one line each)
    #[arg(
        long,
        short = 'f',
        default_value = "bibtex",
        value_name = "bibtex|csl-json|text"
    )]
    pub format: CiteFormat,
    /// {format, citations: [{id, key, text}]}, as the stdio `cite` method returns it
    #[arg(long)]
    pub json: bool,
}

pub fn run(engine: &Engine, args: &CiteArgs) -> Result<()> {
    let citations = engine.cite(&args.ids, args.format)?;
    if args.json {
        return print_json(&citations);
    }
    // The text is what the HTTP route serves; rendering already keeps control characters out.
    let mut out = std::io::stdout().lock();
    out.write_all(citations.document().as_bytes())?;
    out.flush()?;
    Ok(())
}
