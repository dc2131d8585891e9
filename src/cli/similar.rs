//! `paperdex similar ID`: the papers most like one paper, as `search` prints results.

use anyhow::Result;
use clap::Args;

use paperdex::search::SimilarMethod;
use paperdex::Engine;

use super::render::{print_json, Painter};

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// The paper: an id in any form (2503.16428, arXiv:2503.16428v2, an arXiv or DOI URL)
    pub id: String,
    /// Number of papers to list
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// How they are found: terms (the default), more-like-this (tantivy's, as before) or
    /// title (the title searched as words); for comparisons
    #[arg(
        long,
        default_value = "terms",
        value_name = "terms|more-like-this|title"
    )]
    pub method: SimilarMethod,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

pub fn run(engine: &Engine, args: &SimilarArgs) -> Result<()> {
    let response = engine.raw().similar_by(&args.id, args.limit, args.method)?;
    if args.json {
        return print_json(&response);
    }
    super::search::print_human(&response, Painter::stdout());
    Ok(())
}
