//! The `paperdex` command: parse arguments, call the library, map errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("paperdex: error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
