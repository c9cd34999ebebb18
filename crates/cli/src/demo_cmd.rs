//! `kubeask demo`: serve a fixture cluster until Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;

/// Arguments of `kubeask demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// A fixture folder (cluster.yaml, logs/, …); the built-in demo when omitted.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Loopback port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where to write the kubeconfig (default: the app's data dir).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// Runs the demo server until Ctrl-C.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let fixture = match &args.fixture {
        Some(dir) => Fixture::load_dir(dir).with_context(|| format!("loading fixture {}", dir.display()))?,
        None => Fixture::builtin(),
    };
    let mut opts = DemoOptions::new(fixture);
    opts.port = args.port;
    opts.kubeconfig_path = args.kubeconfig;
    let server = DemoServer::start(opts).await?;
    let path = server.kubeconfig_path().display().to_string();
    println!("Demo cluster serving at {}", server.url());
    println!("Kubeconfig: {path}");
    println!("export KUBECONFIG={path}");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    server.stop().await;
    eprintln!("Demo cluster stopped.");
    Ok(ExitCode::SUCCESS)
}
