//! `paperdex facets`: the topic tree with counts and a per-month bar chart of dates.

use anyhow::Result;
use clap::Args;

use paperdex::engine::FacetsRequest;
use paperdex::ingest::taxonomy::topic_label;
use paperdex::search::FacetCounts;
use paperdex::Engine;

use paperdex::error::escape_controls as esc;

use super::render::{print_json, width, Painter};

#[derive(Debug, Args)]
pub struct FacetsArgs {
    /// Only this topic's subtree (and only its papers in the date chart): an arXiv code (cs,
    /// cs.CL) or a facet path (/arxiv/cs), any case
    #[arg(long)]
    pub topic: Option<String>,
    /// Count only papers matching this query
    #[arg(long, short = 'q', default_value = "")]
    pub query: String,
    /// Print the result as JSON (errors too: one JSON line on stderr)
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

/// Names of the tree's roots, the groups every input format files its papers under.
fn group_name(root: &str) -> Option<&'static str> {
    Some(match root {
        "/arxiv" => "arXiv categories",
        "/newsletter" => "newsletter sections",
        "/digest" => "digest posts",
        "/arxcompass" => "arxcompass paper cards",
        "/jsonl" => "topics of JSON-lines files",
        "/bib" => "BibTeX keywords",
        _ => return None,
    })
}

/// Topics as a tree: each path after its parent, children in order of their names (the
/// map's byte order puts `/arxiv/math-ph` between `/arxiv/math` and `/arxiv/math/AC`). Each
/// line shows what `--topic` takes (an arXiv code, else the path) and a name.
fn print_human(c: &FacetCounts, p: Painter) {
    println!("{}", p.bold("Topics"));
    if c.topic.is_empty() {
        println!("  (none)");
    }
    let mut paths: Vec<(&String, &u64)> = c.topic.iter().collect();
    paths.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
    let count_width = c.topic.values().max().map_or(1, |n| n.to_string().len());
    let width = width();
    for (path, n) in paths {
        let depth = path.matches('/').count().saturating_sub(1);
        let (name, label) = match topic_label(path) {
            Some(label) => match label.split_once(' ') {
                Some((code, name)) => (code.to_string(), name.to_string()),
                None => (label, String::new()),
            },
            None => (
                path.clone(),
                group_name(path).unwrap_or_default().to_string(),
            ),
        };
        let name = format!("{}{name}", "  ".repeat(depth));
        let head = format!("  {n:>count_width$}  {}", esc(&name));
        // The name goes as far as the width allows; the line never wraps.
        let room = width.saturating_sub(head.chars().count() + 2);
        let label = if label.is_empty() || room < 4 {
            String::new()
        } else if label.chars().count() > room {
            let cut: String = label.chars().take(room - 1).collect();
            format!("  {cut}…")
        } else {
            format!("  {label}")
        };
        println!("{head}{}", p.dim(&label));
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
