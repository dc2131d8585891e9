//! `paperdex index`: files and directories into the index, with a summary line.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use time::Date;

use paperdex::ingest::read::Input;
use paperdex::ingest::{Format, ParseOptions};
use paperdex::search::parse_date;
use paperdex::{Engine, IndexOptions};

use super::render::print_json;
use super::Global;

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Files or directories to index (`-` reads stdin; `.gz` is decompressed)
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Input format instead of sniffing: newsletter, cards, digest, daily, arxiv-snapshot,
    /// arxiv-listing, beir, jsonl
    #[arg(long)]
    pub format: Option<Format>,
    /// Year for listings whose day headers have none ("Aug 19")
    #[arg(long)]
    pub year: Option<i32>,
    /// Date to give every paper of these files (YYYY-MM-DD)
    #[arg(long, value_parser = parse_cli_date)]
    pub date: Option<Date>,
    /// Field mapping for `--format jsonl`: title=name,abstract=summary,date=published
    #[arg(long, value_delimiter = ',')]
    pub map: Vec<String>,
    /// Fail on the first malformed record instead of skipping it
    #[arg(long)]
    pub strict: bool,
    /// Delete the existing index first
    #[arg(long)]
    pub rebuild: bool,
    /// Indexing memory budget in MB
    #[arg(long, default_value_t = 256, value_name = "MB")]
    pub memory_budget: usize,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

fn parse_cli_date(s: &str) -> Result<Date, String> {
    parse_date(s).map_err(|e| e.to_string())
}

pub fn run(global: &Global, args: &IndexArgs) -> Result<()> {
    let (dir, _) = global.index_dir()?;
    let schema = global.schema()?;
    let mut field_map = Vec::new();
    for pair in &args.map {
        match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                field_map.push((k.to_string(), v.to_string()))
            }
            _ => bail!(paperdex::Error::InvalidRequest(format!(
                "--map expects field=key, got `{pair}`"
            ))),
        }
    }
    if args.memory_budget < 16 {
        bail!(paperdex::Error::InvalidRequest(
            "--memory-budget must be at least 16 MB".into()
        ));
    }
    let engine = if args.rebuild {
        Engine::rebuild(&dir, schema)?
    } else {
        Engine::open_or_create(&dir, schema)?
    };
    let inputs: Vec<Input> = args
        .paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(p.clone())
            }
        })
        .collect();
    let opts = IndexOptions {
        format: args.format,
        parse: ParseOptions {
            year: args.year,
            date: args.date,
            field_map,
        },
        strict: args.strict,
        progress: true,
        heap_bytes: args.memory_budget << 20,
    };
    let report = engine.index(&inputs, &opts)?;
    if args.json {
        return print_json(&report);
    }
    const SHOWN: usize = 20;
    for skip in report.skipped.iter().take(SHOWN) {
        eprintln!("skipped {skip}");
    }
    if report.skipped.len() > SHOWN {
        eprintln!(
            "... and {} more skipped record(s) (--json lists all)",
            report.skipped.len() - SHOWN
        );
    }
    println!("{report}");
    Ok(())
}
