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
use clap::{Args, CommandFactory, Parser, Subcommand};

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
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into --dir
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write paperdex.1 and a page per subcommand (paperdex-search.1, ...) into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
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

/// An error the CLI words itself (a hint naming the flags given, several unknown ids), with
/// the code and exit status of the library error it stands for.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub exit: u8,
    pub message: String,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Exit codes: 2 for the user's mistakes (bad query, bad arguments, a malformed input file), 1
/// for everything else (including a missing or locked index and an unknown paper id).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if let Some(e) = err.downcast_ref::<CliError>() {
        return e.exit;
    }
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

impl Cli {
    /// Whether the command was asked for JSON, so its errors are JSON too.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Command::Index(a) => a.json,
            Command::Delete(a) => a.json,
            Command::Search(a) => a.json,
            Command::Eval(a) => a.json,
            Command::Similar(a) => a.json,
            Command::EvalSimilar(a) => a.json,
            Command::Facets(a) => a.json,
            Command::Show(a) => a.json,
            Command::Cite(a) => a.json,
            Command::Stats(a) | Command::Check(a) => a.json,
            // Named one by one, so a new command has to say whether it prints JSON.
            Command::Serve(_)
            | Command::Stdio
            | Command::GenCorpus(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
        }
    }
}

/// The stable code of an error, as HTTP and stdio name it: `not_found`, `no_index`,
/// `invalid_request`...; `usage` for a bad command line, `error` for the rest.
pub fn error_code(err: &anyhow::Error) -> &'static str {
    if let Some(e) = err.downcast_ref::<CliError>() {
        return e.code;
    }
    if let Some(UsageError(e)) = err.downcast_ref::<UsageError>() {
        return e.code();
    }
    match err.downcast_ref::<paperdex::Error>() {
        Some(e) => e.code(),
        None => "error",
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
        Command::Completions(args) => {
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "paperdex", &mut std::io::stdout());
            Ok(())
        }
        Command::Man(args) => {
            let command = Cli::command();
            match &args.dir {
                Some(dir) => {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    clap_mangen::generate_to(command, dir).with_context(|| {
                        format!("cannot write man pages into {}", dir.display())
                    })?;
                }
                None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
            }
            Ok(())
        }
    }
}

impl Global {
    pub fn schema(&self) -> Result<SchemaConfig> {
        match &self.schema {
            Some(path) => Ok(SchemaConfig::load(path)?),
            None => Ok(SchemaConfig::builtin()),
        }
    }

    /// Opens the index at `dir`; when it is missing, the hint repeats the `--index DIR` given,
    /// so the command it suggests builds the index this one looks for.
    pub fn open(&self, dir: &std::path::Path, schema: SchemaConfig) -> Result<Engine> {
        match Engine::open(dir, schema) {
            Err(paperdex::Error::NoIndex(_)) if self.index.is_some() => {
                let shown =
                    paperdex::error::escape_controls(&dir.display().to_string()).into_owned();
                Err(CliError {
                    code: "no_index",
                    exit: 1,
                    message: format!(
                        "no paperdex index at {shown}: run `paperdex index --index {} PATHS...` first",
                        shell_quote(&shown)
                    ),
                }
                .into())
            }
            other => Ok(other?),
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
            "paperdex: no index at {}; building it from the sample papers bundled in corpus-samples/",
            paperdex::error::escape_controls(&dir.display().to_string())
        );
        let engine = Engine::open_or_create(&dir, schema)?;
        let report = engine.index(&bundled_samples(), &IndexOptions::default())?;
        eprintln!("paperdex: {report}");
        // Said after the summary, so it is the last line a new user reads.
        eprintln!(
            "paperdex: to search your own papers instead, `paperdex index --rebuild PATHS...` \
             replaces these samples (`paperdex index PATHS...` adds to them)"
        );
        return Ok(engine);
    }
    global.open(&dir, schema)
}

/// `text` as one shell word: as is when it holds only safe characters, else single-quoted.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%~".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every flag and argument of every command says what it does (`--help`, the man page and
    /// the completions all show it).
    #[test]
    fn every_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "paperdex", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:#?}");
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
