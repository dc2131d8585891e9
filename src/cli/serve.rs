//! `paperdex serve`: the HTTP server on loopback, with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use paperdex::server::http;
use paperdex::Engine;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:7700")]
    pub addr: SocketAddr,
    /// Allow an address other than loopback (the index becomes readable from the network)
    #[arg(long)]
    pub allow_remote: bool,
    /// Longest a request may compute before it is answered 503 `timeout`
    #[arg(long, value_name = "MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub time_budget_ms: u64,
    /// Let pages from this origin (`https://host[:port]`) call the API; CORS is off without it
    #[arg(long, value_name = "ORIGIN", value_parser = parse_origin)]
    pub cors: Option<axum::http::HeaderValue>,
    /// Connections open at once (fewer if `ulimit -n` is lower); one more closes the
    /// connection that has waited longest for a request
    #[arg(long, value_name = "N", default_value_t = http::MAX_CONNECTIONS as u32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Time for a request's headers to arrive, idle keep-alive included (tests shorten it)
    #[arg(long, value_name = "MS", hide = true, default_value_t = millis(http::HEADER_TIMEOUT), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_ms: u64,
    /// A response unread for this long ends its connection
    #[arg(long, value_name = "MS", hide = true, default_value_t = millis(http::SEND_TIMEOUT), value_parser = clap::value_parser!(u64).range(1..))]
    pub send_timeout_ms: u64,
    /// Time requests in flight get to finish on Ctrl-C or SIGTERM
    #[arg(long, value_name = "MS", hide = true, default_value_t = millis(http::SHUTDOWN_GRACE))]
    pub shutdown_grace_ms: u64,
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// An origin as browsers send it: scheme, host, optional port, nothing else.
fn parse_origin(s: &str) -> Result<axum::http::HeaderValue, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("an origin starts with http:// or https://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err(format!(
            "`{s}` is not an origin (scheme://host[:port], no path)"
        ));
    }
    axum::http::HeaderValue::from_str(s).map_err(|e| e.to_string())
}

pub fn run(engine: Engine, args: &ServeArgs) -> Result<()> {
    if !args.addr.ip().is_loopback() {
        if !args.allow_remote {
            bail!(paperdex::Error::InvalidRequest(format!(
                "{} is not a loopback address; pass --allow-remote to serve the index to the network",
                args.addr
            )));
        }
        eprintln!(
            "paperdex: warning: serving on {}, reachable from other machines",
            args.addr
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let papers = engine.stats()?.papers;
        eprintln!(
            "paperdex: serving {papers} papers from {} at http://{}/",
            engine.dir().display(),
            listener.local_addr()?
        );
        let max_connections = http::connection_limit(args.max_connections as usize);
        if max_connections < args.max_connections as usize {
            eprintln!(
                "paperdex: note: at most {max_connections} connections at once, to stay within \
                 the open-file limit (ulimit -n)"
            );
        }
        let opts = http::ServerOptions {
            time_budget: Duration::from_millis(args.time_budget_ms),
            cors: args.cors.clone(),
            allow_remote: args.allow_remote,
            header_timeout: Duration::from_millis(args.header_timeout_ms),
            send_timeout: Duration::from_millis(args.send_timeout_ms),
            max_connections,
            shutdown_grace: Duration::from_millis(args.shutdown_grace_ms),
            ..http::ServerOptions::default()
        };
        let cut = http::serve(Arc::new(engine), &opts, listener, shutdown_signal()).await?;
        if cut > 0 {
            eprintln!(
                "paperdex: stopped; {cut} connection(s) still busy after {} ms were closed",
                args.shutdown_grace_ms
            );
        } else {
            eprintln!("paperdex: stopped");
        }
        anyhow::Ok(())
    });
    // Engine work still running on the blocking pool (a search past its budget) must not
    // hold the exit: the process is ending anyway.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
