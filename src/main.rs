//! The `paperdex` command: parse arguments, call the library, map errors to exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    paperdex::alloc::tune_mimalloc();
    reset_sigpipe();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // --help and --version are not errors; a bad command line asked for JSON gets it.
        Err(err) if err.use_stderr() && std::env::args_os().any(|a| a == "--json") => {
            let message = err.kind().to_string();
            let detail = err.to_string();
            let first = detail.lines().next().unwrap_or(&message);
            print_json_error("usage", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
        Err(err) => err.exit(),
    };
    let json = args.wants_json();
    report_panics_plainly();
    match std::panic::catch_unwind(|| cli::run(args)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            if json {
                print_json_error(cli::error_code(&err), &format!("{err:#}"));
            } else {
                eprintln!("paperdex: error: {}", printable(&err));
            }
            ExitCode::from(cli::exit_code(&err))
        }
        // The hook has said what happened.
        Err(_) => ExitCode::FAILURE,
    }
}

/// With `--json`, an error is one line of JSON on stderr in the shape HTTP answers with:
/// stdout carries results only, so a consumer reading it gets nothing rather than an object
/// it could take for a result, and the exit status says which happened.
fn print_json_error(code: &str, message: &str) {
    let error = serde_json::json!({ "error": { "code": code, "message": message } });
    eprintln!("{error}");
}

/// The error as one line, whatever the file names and inputs it quotes hold (a newline in a
/// name would forge a line, an escape sequence drive the terminal); only a schema file's
/// parse error keeps its lines, which point at the place in the file.
fn printable(err: &anyhow::Error) -> String {
    use paperdex::error::escape_controls;
    let message = format!("{err:#}");
    if let Some(paperdex::Error::Schema { .. }) = err.downcast_ref() {
        let lines: Vec<_> = message.split('\n').map(escape_controls).collect();
        return lines.join("\n");
    }
    escape_controls(&message).into_owned()
}

/// A panic (a bug, or tantivy reading damaged index bytes) prints one clear error and the way
/// out instead of a backtrace; `RUST_BACKTRACE=1` keeps the default report for debugging.
fn report_panics_plainly() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "paperdex: internal error: {what}{place}\n\
             paperdex: if the index may be damaged, `paperdex check` names the damaged files; \
             `paperdex index --rebuild PATHS...` rebuilds it"
        );
    }));
}

/// Dies quietly on a closed pipe (`paperdex search ... | head`) instead of panicking in
/// `println!`, as command-line tools are expected to.
fn reset_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
