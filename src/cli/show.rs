//! `paperdex show`, `paperdex stats` and `paperdex check`.

use anyhow::{bail, Result};
use clap::Args;

use paperdex::error::escape_controls as esc;
use paperdex::Engine;

use super::render::{print_json, width, wrap, Painter};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Paper id (arXiv id, corpus id or `t:` title hash)
    pub id: String,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

pub fn run_show(engine: &Engine, args: &ShowArgs) -> Result<()> {
    let paper = engine.get(&args.id)?;
    if args.json {
        return print_json(&paper);
    }
    let p = Painter::stdout();
    // Every value came from an input file (sources are file names): control characters in
    // them are shown escaped, never sent to the terminal.
    let width = width();
    println!("{}", p.bold(&wrap(&esc(&paper.title), "", width)));
    // Labels are padded before they are coloured (escape codes have no width), and values
    // wrap under themselves.
    const LABEL: usize = 8;
    let line = |label: &str, value: &str| {
        let value = wrap(&esc(value), &" ".repeat(LABEL + 2), width);
        println!(
            "{}  {}",
            p.dim(&format!("{label:>LABEL$}")),
            &value[LABEL + 2..]
        );
    };
    line("id", &paper.id);
    if !paper.authors.is_empty() {
        line("authors", &paper.authors.join(", "));
    }
    line(
        "date",
        &paper
            .date
            .map(paperdex::search::format_date)
            .unwrap_or_else(|| "unknown".into()),
    );
    if !paper.topics.is_empty() {
        line("topics", &paper.topics.join(", "));
    }
    for (label, value) in [
        ("url", &paper.url),
        ("comment", &paper.comment),
        ("doi", &paper.doi),
        ("journal", &paper.journal_ref),
    ] {
        if let Some(v) = value {
            line(label, v);
        }
    }
    for s in &paper.sources {
        line("source", &format!("{}:{} ({})", s.file, s.line, s.format));
    }
    println!();
    println!("{}", wrap(&esc(&paper.abstract_text), "", width));
    Ok(())
}

pub fn run_stats(engine: &Engine, args: &StatsArgs) -> Result<()> {
    let stats = engine.stats()?;
    if args.json {
        return print_json(&stats);
    }
    println!("index           {}", esc(&stats.index));
    println!("papers          {}", stats.papers);
    println!(
        "size            {:.1} MB ({} bytes, {} segment(s))",
        stats.bytes as f64 / 1e6,
        stats.bytes,
        stats.segments
    );
    println!(
        "dates           {} .. {}",
        stats.first_date.as_deref().unwrap_or("-"),
        stats.last_date.as_deref().unwrap_or("-")
    );
    println!(
        "schema version  {} ({})",
        stats.schema_version, stats.schema_fingerprint
    );
    // Terms add up each segment's dictionary: a term in two segments counts twice.
    println!("{:<15} {:>10} {:>12}", "field", "terms", "tokens");
    for field in &stats.fields {
        println!(
            "  {:<13} {:>10} {:>12}",
            field.name, field.terms, field.tokens
        );
    }
    Ok(())
}

pub fn run_check(engine: &Engine, args: &StatsArgs) -> Result<()> {
    let report = engine.check()?;
    if args.json {
        print_json(&report)?;
    } else if report.damaged.is_empty() {
        println!(
            "{}: every file matches its checksum ({} papers)",
            esc(&report.index),
            report.papers
        );
    }
    if !report.damaged.is_empty() {
        bail!(
            "{} damaged file(s): {}; rebuild the index with `paperdex index --rebuild PATHS...`",
            report.damaged.len(),
            report.damaged.join(", ")
        );
    }
    Ok(())
}
