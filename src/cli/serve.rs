//! `paperdex serve`: the HTTP server on loopback, with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

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
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let papers = engine.stats()?.papers;
        eprintln!(
            "paperdex: serving {papers} papers from {} at http://{}/",
            engine.dir().display(),
            listener.local_addr()?
        );
        http::serve(Arc::new(engine), listener, shutdown_signal()).await?;
        eprintln!("paperdex: stopped");
        Ok(())
    })
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
