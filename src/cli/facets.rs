//! `paperdex facets`: the topic tree with counts and a per-month bar chart of dates.

use anyhow::Result;
use clap::Args;

use paperdex::engine::FacetsRequest;
use paperdex::ingest::taxonomy::topic_label;
use paperdex::search::FacetCounts;
use paperdex::Engine;

use super::render::{print_json, Painter};

#[derive(Debug, Args)]
pub struct FacetsArgs {
    /// Only this topic's subtree (and only its papers in the date chart), e.g. /arxiv/cs
    #[arg(long)]
    pub topic: Option<String>,
    /// Count only papers matching this query
    #[arg(long, short = 'q', default_value = "")]
    pub query: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(engine: &Engine, args: &FacetsArgs) -> Result<()> {
    let counts = engine.facets(&FacetsRequest {
        topic: args.topic.clone(),
        q: args.query.clone(),
    })?;
    if args.json {
        return print_json(&counts);
    }
    print_human(&counts, Painter::stdout());
    Ok(())
}

fn print_human(c: &FacetCounts, p: Painter) {
    println!("{}", p.bold("Topics"));
    if c.topic.is_empty() {
        println!("  (none)");
    }
    let indented = |path: &str| "  ".repeat(path.matches('/').count().saturating_sub(1)) + path;
    let width = c
        .topic
        .keys()
        .map(|k| indented(k).chars().count())
        .max()
        .unwrap_or(0);
    for (path, n) in &c.topic {
        let label = topic_label(path)
            .map(|l| format!("  {l}"))
            .unwrap_or_default();
        println!("  {:<width$}{n:>7}{}", indented(path), p.dim(&label));
    }
    println!();
    println!("{}", p.bold("Dates (papers per month)"));
    let months: Vec<(&String, &u64)> = c.date.iter().filter(|(k, _)| k.len() == 8).collect();
    if months.is_empty() {
        println!("  (no dated papers)");
        return;
    }
    let max = months.iter().map(|(_, n)| **n).max().unwrap_or(1).max(1);
    for (month, n) in months {
        let bar = "█".repeat(((*n as f64 / max as f64) * 40.0).ceil() as usize);
        println!(
            "  {}  {} {n}",
            &month[1..].replace('/', "-"),
            p.accent(&bar)
        );
    }
}
