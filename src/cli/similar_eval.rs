//! `paperdex eval-similar`: how alike the similar-paper lists are (topic agreement, and
//! co-relevance against judgments), for each method side by side.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use paperdex::eval;
use paperdex::search::SimilarMethod;

use super::render::print_json;
use super::{Global, UsageError};

#[derive(Debug, Args)]
pub struct EvalSimilarArgs {
    /// Papers sampled (fixed seed) for topic agreement
    #[arg(long, default_value_t = 500)]
    pub sample: usize,
    /// Judgments (BEIR qrels TSV or TREC): pairs of papers relevant to the same query
    #[arg(long, value_name = "FILE")]
    pub qrels: Option<PathBuf>,
    /// Methods to measure (repeatable) [default: terms, more-like-this, title]
    #[arg(long, value_name = "terms|more-like-this|title")]
    pub method: Vec<SimilarMethod>,
    /// Print the result as JSON (errors too: one JSON line on stderr)
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &Global, args: &EvalSimilarArgs) -> Result<()> {
    let qrels = match &args.qrels {
        Some(path) => Some(eval::load_qrels(path).map_err(UsageError)?),
        None => None,
    };
    let engine = super::open_for_reading(global)?;
    let methods = if args.method.is_empty() {
        vec![
            SimilarMethod::Terms,
            SimilarMethod::MoreLikeThis,
            SimilarMethod::Title,
        ]
    } else {
        args.method.clone()
    };
    let mut reports = Vec::new();
    for method in methods {
        reports.push(eval::evaluate_similar(
            &engine,
            args.sample,
            qrels.as_ref(),
            method,
        )?);
    }
    if args.json {
        return print_json(&reports);
    }
    println!(
        "{:<16} {:>16} {:>8} {:>22} {:>8}",
        "method", "topic agreement", "papers", "co-relevance R@10", "pairs"
    );
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    for r in reports {
        let name = serde_json::to_value(r.method)?;
        println!(
            "{:<16} {:>16} {:>8} {:>22} {:>8}",
            name.as_str().unwrap_or("?"),
            fmt(r.topic_agreement),
            r.topic_papers,
            fmt(r.co_relevance_recall10),
            r.co_relevant_pairs
        );
    }
    Ok(())
}
