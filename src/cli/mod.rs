//! Command-line front door: clap definitions, index location, and dispatch to the engine.

mod cite;
mod eval;
mod facets;
mod gen;
mod index;
mod render;
mod search;
mod serve;
mod show;
mod similar;
mod similar_eval;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use paperdex::engine::{bundled_samples, default_index_dir};
use paperdex::schema::SchemaConfig;
use paperdex::{Engine, IndexOptions};

#[derive(Debug, Parser)]
#[command(
    name = "paperdex",
    version,
    about = "Fast local full-text search over scientific paper abstracts"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Index directory [default: $PAPERDEX_INDEX, else ~/.local/share/paperdex/index]
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Schema file [default: $PAPERDEX_SCHEMA, else the built-in index-schema/papers.toml]
    #[arg(long, global = true, value_name = "FILE", env = "PAPERDEX_SCHEMA")]
    pub schema: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index files or directories (formats are sniffed; --format overrides)
    Index(index::IndexArgs),
    /// Remove papers by id
    Delete(index::DeleteArgs),
    /// Search papers
    Search(search::SearchArgs),
    /// Relevance of the ranking against judgments: nDCG@10, MRR@10, Recall@100, MAP
    Eval(eval::EvalArgs),
    /// Papers like one paper
    Similar(similar::SimilarArgs),
    /// How alike similar papers are: topic agreement and co-relevance, method by method
    EvalSimilar(similar_eval::EvalSimilarArgs),
    /// Topic and date facet counts
    Facets(facets::FacetsArgs),
    /// Show one paper with all its sources
    Show(show::ShowArgs),
    /// Cite papers: BibTeX (default), CSL-JSON or a reference line, with unique cite keys
    Cite(cite::CiteArgs),
    /// Serve the search page and JSON API on loopback
    Serve(serve::ServeArgs),
    /// JSON-RPC 2.0 over stdin/stdout for editors (docs/stdio-protocol.md)
    Stdio,
    /// Write N synthetic papers (arXiv-listing JSON lines) for scale benchmarks
    GenCorpus(gen::GenArgs),
    /// Index size, paper count, date range and schema version
    Stats(show::StatsArgs),
    /// Verify every index file against its checksum (exit 1 naming the damaged ones)
    Check(show::StatsArgs),
}

/// A library error caused by a file named on the command line (`eval`'s inputs): exit 2
/// whatever its variant, as for a bad argument.
#[derive(Debug)]
pub struct UsageError(pub paperdex::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for UsageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

/// Exit codes: 2 for the user's mistakes (bad query, bad arguments, a malformed input file), 1
/// for everything else (including a missing or locked index and an unknown paper id).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<UsageError>().is_some() {
        return 2;
    }
    match err.downcast_ref::<paperdex::Error>() {
        Some(
            paperdex::Error::QuerySyntax { .. }
            | paperdex::Error::InvalidRequest(_)
            | paperdex::Error::BadInput(_)
            | paperdex::Error::Schema { .. },
        ) => 2,
        _ => 1,
    }
}

pub fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Index(args) => index::run(&cli.global, args),
        Command::Delete(args) => index::run_delete(&cli.global, args),
        Command::Search(args) => search::run(&open_for_reading(&cli.global)?, args),
        Command::Eval(args) => eval::run(&cli.global, args),
        Command::Similar(args) => similar::run(&open_for_reading(&cli.global)?, args),
        Command::EvalSimilar(args) => similar_eval::run(&cli.global, args),
        Command::Facets(args) => facets::run(&open_for_reading(&cli.global)?, args),
        Command::Show(args) => show::run_show(&open_for_reading(&cli.global)?, args),
        Command::Cite(args) => cite::run(&open_for_reading(&cli.global)?, args),
        Command::Serve(args) => serve::run(open_for_reading(&cli.global)?, args),
        Command::Stdio => {
            let engine = open_for_reading(&cli.global)?;
            paperdex::server::stdio::run(
                &engine,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
            )?;
            Ok(())
        }
        Command::GenCorpus(args) => gen::run(args),
        Command::Stats(args) => show::run_stats(&open_for_reading(&cli.global)?, args),
        Command::Check(args) => show::run_check(&open_for_reading(&cli.global)?, args),
    }
}

impl Global {
    pub fn schema(&self) -> Result<SchemaConfig> {
        match &self.schema {
            Some(path) => Ok(SchemaConfig::load(path)?),
            None => Ok(SchemaConfig::builtin()),
        }
    }

    /// The index directory and whether it is the default location (not chosen by the user).
    pub fn index_dir(&self) -> Result<(PathBuf, bool)> {
        if let Some(dir) = &self.index {
            return Ok((dir.clone(), false));
        }
        let from_env = std::env::var_os("PAPERDEX_INDEX").is_some_and(|v| !v.is_empty());
        let dir = default_index_dir().context("cannot find a data directory; pass --index DIR")?;
        Ok((dir, !from_env))
    }
}

/// Opens the index for a read command. At the default location, a missing index is built
/// from the bundled samples so the first command on a fresh machine answers.
fn open_for_reading(global: &Global) -> Result<Engine> {
    let (dir, is_default) = global.index_dir()?;
    let schema = global.schema()?;
    if is_default && !paperdex::index::exists(&dir) {
        eprintln!(
            "paperdex: no index at {}; building it from the bundled corpus-samples/ (run `paperdex index PATHS...` to index your own files)",
            paperdex::error::escape_controls(&dir.display().to_string())
        );
        let engine = Engine::open_or_create(&dir, schema)?;
        let report = engine.index(&bundled_samples(), &IndexOptions::default())?;
        eprintln!("paperdex: {report}");
        return Ok(engine);
    }
    Ok(Engine::open(&dir, schema)?)
}
