//! `kubeask`: the command-line face of Kubeask. This file only wires
//! arguments to library calls; the logic lives in the crates.

mod contexts_cmd;
mod demo_cmd;

use clap::{Parser, Subcommand};

/// Ask your Kubernetes clusters anything, locally.
#[derive(Parser, Debug)]
#[command(name = "kubeask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve a demo cluster through the Kubernetes API on loopback.
    Demo(demo_cmd::DemoArgs),
    /// List kubeconfig contexts, the current one marked, with a reachability check.
    Contexts(contexts_cmd::ContextsArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUBEASK_LOG")
                .unwrap_or_else(|_| "warn,kube_client=off".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo_cmd::run(args).await,
        Command::Contexts(args) => contexts_cmd::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
