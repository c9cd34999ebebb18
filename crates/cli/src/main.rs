//! `kubeask`: the command-line face of Kubeask. This file only wires
//! arguments to library calls; the logic lives in the crates.

mod access;
mod act_cmd;
mod ask_cmd;
mod contexts_cmd;
mod cost_cmd;
mod demo_cmd;
mod diagnose_cmd;
mod engine_args;
mod engines_cmd;
mod eval_cmd;
mod history_cmd;
mod logging;
mod manifest_cmd;
mod models_cmd;
mod prometheus_cmd;
mod serve_actions;
mod serve_cmd;
mod sessions_cmd;

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
    /// Ask a question about a cluster.
    Ask(ask_cmd::AskArgs),
    /// Serve the HTTP API (POST /query, POST /v1/ask, GET /healthz).
    Serve(serve_cmd::ServeArgs),
    /// Find what is broken: every analyzer's findings, worst first.
    Diagnose(diagnose_cmd::DiagnoseArgs),
    /// What the cluster costs a month per namespace, workload or label, and where money is wasted.
    Cost(cost_cmd::CostArgs),
    /// What happened, oldest first: rollouts, config changes, restarts, OOM kills, failures, anomalies, grouped into incidents.
    Timeline(history_cmd::TimelineArgs),
    /// What reaches its memory/CPU limit or its node's capacity soon, and what is out of the ordinary.
    Forecast(history_cmd::ForecastArgs),
    /// Requests against the usage history shows: over- and under-provisioned containers, recommended requests.
    Rightsize(history_cmd::RightsizeArgs),
    /// A workload's CPU and memory over time.
    History(history_cmd::HistoryArgs),
    /// The Prometheus a context's history comes from: set (URL, credentials in the keychain), show, remove.
    Prometheus(prometheus_cmd::PrometheusArgs),
    /// Check a manifest before applying it: strict parsing, security checks, the API server's dry run and diff.
    Manifest(manifest_cmd::ManifestArgs),
    /// List, export (markdown) or remove conversations.
    Sessions(sessions_cmd::SessionsArgs),
    /// Local GGUF models: list, import, rm, info.
    Models(models_cmd::ModelsArgs),
    /// Inference servers for model mode (OpenAI-compatible): add (API key in the keychain), list, rm.
    Engines(engines_cmd::EnginesArgs),
    /// Ask every question of a file and score right / declined / wrong per family (a JSON report beside).
    Eval(eval_cmd::EvalArgs),
    /// Change the cluster safely: plan (server dry run, RBAC check), confirm, apply, verify, undo.
    Act(act_cmd::ActArgs),
    /// The audit log of every action: who, when, what changed, the outcome.
    Audit(act_cmd::AuditArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // A native self-test child (CPU variant or model file) runs and exits here.
    kubeask_llm::engine::serve_child_if_requested();
    let cli = Cli::parse();
    let extra_log = match &cli.command {
        Command::Serve(a) => a.log_file.clone(),
        _ => None,
    };
    let file_logs = matches!(cli.command, Command::Serve(_) | Command::Ask(_));
    if let Err(e) = logging::init(file_logs, extra_log.as_deref()) {
        eprintln!("warning: logging to a file is off: {e:#}");
    }
    let result = match cli.command {
        Command::Demo(args) => demo_cmd::run(args).await,
        Command::Contexts(args) => contexts_cmd::run(args).await,
        Command::Ask(args) => ask_cmd::run(args).await,
        Command::Serve(args) => serve_cmd::run(args).await,
        Command::Diagnose(args) => diagnose_cmd::run(args).await,
        Command::Cost(args) => cost_cmd::run(args).await,
        Command::Timeline(args) => history_cmd::timeline(args).await,
        Command::Forecast(args) => history_cmd::forecast(args).await,
        Command::Rightsize(args) => history_cmd::rightsize(args).await,
        Command::History(args) => history_cmd::history(args).await,
        Command::Prometheus(args) => prometheus_cmd::run(args).await,
        Command::Manifest(args) => manifest_cmd::run(args).await,
        Command::Sessions(args) => sessions_cmd::run(args).await,
        Command::Models(args) => models_cmd::run(args).await,
        Command::Eval(args) => eval_cmd::run(args).await,
        Command::Engines(args) => engines_cmd::run(args).await,
        Command::Act(args) => act_cmd::run(args).await,
        Command::Audit(args) => act_cmd::audit(args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
