//! `kubeask eval QUESTIONS.yaml`: every question of a file asked of a
//! context, scored right / declined / wrong per family (the sample
//! README's rule), with tool calls, tokens, time to first token and total
//! time per question; a JSON report written beside.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::access;

/// `kubeask eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The question file (the sample's format: questions.yaml, paraphrases.yaml).
    questions: PathBuf,
    /// The context (default: the current context).
    #[arg(long)]
    context: Option<String>,
    #[command(flatten)]
    engine: crate::engine_args::EngineArgs,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
    /// Where to write the JSON report.
    #[arg(long, default_value = "kubeask-eval-report.json")]
    report: PathBuf,
}

/// Runs `kubeask eval`.
pub async fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let questions = kubeask_agent::eval::load(&args.questions).map_err(anyhow::Error::msg)?;
    let access = access::resolve().await?;
    let (assistant, model) = args.engine.apply(access.assistant()).await?;
    let r = kubeask_agent::eval::run(&assistant, args.context.as_deref(), &questions, (model, args.engine.mode)).await;
    access.close().await;
    let json = serde_json::to_string_pretty(&r)?;
    std::fs::write(&args.report, &json)
        .map_err(|e| anyhow::anyhow!("cannot write the report to {}: {e}", args.report.display()))?;
    if args.json {
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    for i in r.items.iter().filter(|i| i.verdict != kubeask_agent::eval::Verdict::Right) {
        println!("{:?}  {}  {:?} -> {:?}", i.verdict, i.id, i.query, i.short);
    }
    println!("\n{:<12} {:>6} {:>9} {:>6}", "family", "right", "declined", "wrong");
    for (f, c) in &r.families {
        println!("{f:<12} {:>6} {:>9} {:>6}", c.right, c.declined, c.wrong);
    }
    let t = r.total;
    println!("{:<12} {:>6} {:>9} {:>6}", "all", t.right, t.declined, t.wrong);
    let ms: Vec<f64> = r.items.iter().map(|i| i.total_ms).collect();
    let calls: usize = r.items.iter().map(|i| i.tool_calls).sum();
    let first: Vec<f64> = r.items.iter().filter_map(|i| i.first_token_ms).collect();
    let ttft = if first.is_empty() {
        String::new()
    } else {
        format!(", first token after {:.0} ms on average", first.iter().sum::<f64>() / first.len() as f64)
    };
    println!(
        "\n{} questions on {} ({}, mode {:?}): {:.0} ms in all, {} tool calls, {} malformed replies{ttft}; report in {}",
        r.items.len(),
        r.context,
        r.model.as_deref().map_or("direct mode only".to_string(), |m| format!("model {m}")),
        r.mode,
        ms.iter().sum::<f64>(),
        calls,
        r.malformed,
        args.report.display()
    );
    Ok(ExitCode::SUCCESS)
}
