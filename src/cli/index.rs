//! `paperdex index`: files and directories into the index, with a summary line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use time::Date;

use paperdex::engine::IndexReport;
use paperdex::error::escape_controls as esc;
use paperdex::ingest::read::Input;
use paperdex::ingest::{Format, ParseOptions, MAPPABLE_FIELDS};
use paperdex::schema::SchemaConfig;
use paperdex::search::parse_date;
use paperdex::{Engine, IndexOptions};

use super::render::print_json;
use super::{CliError, Global};

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Files or directories to index (`-` reads stdin; `.gz` is decompressed)
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Input format instead of sniffing: newsletter, cards, digest, daily, arxiv-snapshot,
    /// arxiv-listing, beir, jsonl, bibtex
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
    /// Memory budget for indexing in MB (tantivy's buffers plus the batch being parsed)
    #[arg(long, default_value_t = 512, value_name = "MB")]
    pub memory_budget: usize,
    /// Commit after at most this many papers written, so an interrupted run keeps what it
    /// finished (fewer commits index faster: each one flushes segments that later merge)
    #[arg(long, default_value_t = 250_000, value_name = "N")]
    pub commit_every: usize,
    /// Follow symbolic links to directories when walking one (loops are reported, not walked)
    #[arg(short = 'L', long)]
    pub follow: bool,
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
        let Some((field, key)) = pair
            .split_once('=')
            .filter(|(f, k)| !f.is_empty() && !k.is_empty())
        else {
            bail!(paperdex::Error::InvalidRequest(format!(
                "--map expects field=key, got `{pair}`"
            )));
        };
        if !MAPPABLE_FIELDS.contains(&field) {
            bail!(paperdex::Error::InvalidRequest(format!(
                "--map: unknown paper field `{field}` (expected one of: {})",
                MAPPABLE_FIELDS.join(", ")
            )));
        }
        field_map.push((field.to_string(), key.to_string()));
    }
    if args.memory_budget < 64 {
        bail!(paperdex::Error::InvalidRequest(
            "--memory-budget must be at least 64 MB".into()
        ));
    }
    if args.commit_every == 0 {
        bail!(paperdex::Error::InvalidRequest(
            "--commit-every must be at least 1".into()
        ));
    }
    // A first run that fails leaves the directory as it found it: no empty index that later
    // commands would open and find nothing in.
    let first = if paperdex::index::exists(&dir) {
        None
    } else {
        Some(FirstRun::note(&dir))
    };
    let result = index_into(&dir, schema, args, field_map);
    if let (Err(_), Some(first)) = (&result, first) {
        first.undo(&dir);
    }
    let report = result?;
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

/// What a directory held before a first run: whether it existed, and its entries.
struct FirstRun {
    existed: bool,
    entries: Vec<std::ffi::OsString>,
}

impl FirstRun {
    fn note(dir: &Path) -> FirstRun {
        let entries = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        FirstRun {
            existed: dir.exists(),
            entries,
        }
    }

    /// Removes what the failed run created (best effort: the error being reported matters
    /// more than one left-over file).
    fn undo(self, dir: &Path) {
        if !self.existed {
            let _ = std::fs::remove_dir_all(dir);
            return;
        }
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if !self.entries.contains(&entry.file_name()) {
                let path = entry.path();
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }
}

fn index_into(
    dir: &Path,
    schema: SchemaConfig,
    args: &IndexArgs,
    field_map: Vec<(String, String)>,
) -> Result<IndexReport> {
    let mapped = !field_map.is_empty();
    let engine = if args.rebuild {
        Engine::rebuild(dir, schema)?
    } else {
        Engine::open_or_create(dir, schema)?
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
        memory_budget: args.memory_budget << 20,
        commit_every: args.commit_every,
        follow: args.follow,
    };
    let report = engine.index(&inputs, &opts)?;
    // A mapping whose keys no record has skips every record: that is a wrong --map (exit 2),
    // not a run that went well.
    if mapped && report.added + report.updated + report.unchanged == 0 {
        if let Some(skip) = report.skipped.first() {
            bail!(paperdex::Error::InvalidRequest(format!(
                "--map {}: no record was indexed ({} skipped; the first: {skip})",
                args.map.join(","),
                report.skipped.len()
            )));
        }
    }
    Ok(report)
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Ids of the papers to remove
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

pub fn run_delete(global: &Global, args: &DeleteArgs) -> Result<()> {
    let (dir, _) = global.index_dir()?;
    let engine = global.open(&dir, global.schema()?)?;
    // As `rm` does: the papers that exist are removed, and the ids that name none are
    // reported and make the exit status 1.
    let mut unknown = Vec::new();
    for id in &args.ids {
        match engine.get(id) {
            Err(paperdex::Error::NotFound(_)) => unknown.push(id.as_str()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
    }
    let deleted = engine.delete(&args.ids)?;
    if args.json {
        print_json(&serde_json::json!({
            "requested": args.ids.len(),
            "deleted": deleted,
            "not_found": unknown,
        }))?;
    } else {
        println!("deleted {deleted} of {} paper(s)", args.ids.len());
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = unknown.iter().map(|id| format!("`{}`", esc(id))).collect();
    let what = if unknown.len() == 1 {
        "paper"
    } else {
        "papers"
    };
    Err(CliError {
        code: "not_found",
        exit: 1,
        message: format!("{what} {} not found", names.join(", ")),
    }
    .into())
}
