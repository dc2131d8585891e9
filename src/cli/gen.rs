//! `paperdex gen-corpus`: a deterministic scale corpus for benchmarks.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use paperdex::engine::bundled_samples;
use paperdex::gen::{DateOrder, Model};
use paperdex::ingest::read::{self, Input};
use paperdex::ingest::{self, ParseOptions};

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Number of papers to generate
    pub count: usize,
    /// Files to learn vocabulary, lengths, dates and topics from [default: the bundled samples]
    #[arg(long = "from", value_name = "PATH")]
    pub from: Vec<PathBuf>,
    /// Random seed (the same seed and sources give the same corpus)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Date order: chronological (as arXiv dumps and listings arrive) or shuffled (every
    /// segment spans all dates: the worst case for recency-boosted pruning)
    #[arg(long, value_enum, default_value_t = Dates::Chronological)]
    pub dates: Dates,
    /// Output file [default: stdout]
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Dates {
    Chronological,
    Shuffled,
}

pub fn run(args: &GenArgs) -> Result<()> {
    let inputs = if args.from.is_empty() {
        bundled_samples()
    } else {
        read::expand(
            &args
                .from
                .iter()
                .cloned()
                .map(Input::Path)
                .collect::<Vec<_>>(),
            false,
        )?
        .files
    };
    let mut papers = Vec::new();
    for input in &inputs {
        let file = read::read(input)?;
        if let Some(format) = ingest::sniff(&file.name, &file.text) {
            papers.extend(
                ingest::parse(&file.name, &file.text, format, &ParseOptions::default()).papers,
            );
        }
    }
    let Some(model) = Model::learn(&papers) else {
        bail!(paperdex::Error::BadInput(
            "no papers to learn from in the given files".into()
        ));
    };
    let order = match args.dates {
        Dates::Chronological => DateOrder::Chronological,
        Dates::Shuffled => DateOrder::Shuffled,
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = BufWriter::new(file);
            model.generate(args.count, args.seed, order, &mut out)?;
            out.flush()?;
        }
        None => model.generate(
            args.count,
            args.seed,
            order,
            &mut BufWriter::new(std::io::stdout().lock()),
        )?,
    }
    Ok(())
}
