//! `paperdex eval`: queries + qrels -> nDCG@10, MRR@10, Recall@100 and MAP over the index.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use paperdex::eval::{self, EvalOptions, EvalReport};

use super::render::{print_json, Painter};
use super::{Global, UsageError};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Queries: BEIR queries.jsonl ({"_id": ..., "text": ...} per line) or TSV id<TAB>text
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Judgments: BEIR qrels TSV (query-id, corpus-id, score) or TREC (qid 0 docid rel)
    #[arg(long, value_name = "FILE")]
    pub qrels: PathBuf,
    /// Also list each query's metrics
    #[arg(long)]
    pub per_query: bool,
    /// Write the rankings as a TREC run file (qid Q0 docid rank score paperdex)
    #[arg(long, value_name = "FILE")]
    pub run: Option<PathBuf>,
    /// Score this TREC run file (any engine's) instead of searching the index
    #[arg(long, value_name = "FILE", conflicts_with_all = ["run", "recency_weight"])]
    pub score: Option<PathBuf>,
    /// Recency weight W (0 is plain BM25) [default: the schema's]
    #[arg(long)]
    pub recency_weight: Option<f32>,
    /// Read queries as the search box does (ids, syntax used on purpose, else words) rather
    /// than as plain words
    #[arg(long)]
    pub as_typed: bool,
    /// Which papers the words select: any (the default: BM25 over any word), all, or auto
    /// (the search box's default)
    #[arg(long = "match", value_name = "all|any|auto")]
    pub match_mode: Option<paperdex::search::MatchMode>,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &Global, args: &EvalArgs) -> Result<()> {
    // The files first: a typo in a path should not wait for (or trigger) an index build.
    let queries = eval::load_queries(&args.queries).map_err(UsageError)?;
    let qrels = eval::load_qrels(&args.qrels).map_err(UsageError)?;
    let ranked = match &args.score {
        Some(path) => eval::load_run(path, &queries, &qrels).map_err(UsageError)?,
        None => {
            let engine = super::open_for_reading(global)?;
            let opts = EvalOptions {
                recency_weight: args.recency_weight,
                per_query: args.per_query,
                as_typed: args.as_typed,
                match_mode: args.match_mode,
            };
            eval::run(&engine, &queries, &qrels, &opts)?
        }
    };
    let report = eval::score(&ranked, &qrels, args.per_query);
    if report.queries == 0 {
        return Err(UsageError(paperdex::Error::BadInput(format!(
            "no query in {} has a relevant judgment in {} (do their query ids match?)",
            args.queries.display(),
            args.qrels.display()
        )))
        .into());
    }
    if let Some(path) = &args.run {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = BufWriter::new(file);
        ranked
            .write_trec(&mut out, "paperdex")
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if report.unjudged > 0 {
        eprintln!(
            "paperdex: skipped {} query(ies) without a relevant judgment",
            report.unjudged
        );
    }
    if report.missing > 0 {
        eprintln!(
            "paperdex: {} judged query(ies) are not in {}",
            report.missing,
            args.queries.display()
        );
    }
    if args.json {
        return print_json(&report);
    }
    print_human(&report, Painter::stdout());
    Ok(())
}

fn print_human(r: &EvalReport, p: Painter) {
    if let Some(rows) = &r.per_query {
        let width = rows.iter().map(|q| q.qid.len()).max().unwrap_or(0).max(3);
        println!(
            "{}",
            p.bold(&format!(
                "{:<width$}  {:>7}  {:>7}  {:>10}  {:>7}",
                "qid", "nDCG@10", "MRR@10", "Recall@100", "MAP"
            ))
        );
        for q in rows {
            let m = &q.metrics;
            println!(
                "{:<width$}  {:>7.4}  {:>7.4}  {:>10.4}  {:>7.4}",
                q.qid, m.ndcg_10, m.mrr_10, m.recall_100, m.map
            );
        }
        println!();
    }
    let m = &r.mean;
    for (label, value) in [
        ("nDCG@10", m.ndcg_10),
        ("MRR@10", m.mrr_10),
        ("Recall@100", m.recall_100),
        ("MAP", m.map),
    ] {
        // Padded before painting: escape codes would count towards the width.
        println!("{}  {value:.4}", p.bold(&format!("{label:<10}")));
    }
    println!("{}  {}", p.dim(&format!("{:<10}", "queries")), r.queries);
}
