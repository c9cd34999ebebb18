//! `kubeask cost`: the cluster's monthly cost allocated per namespace,
//! workload or label, idle capacity, and where money is wasted.

use std::process::ExitCode;

use kubeask_insight::cost::By;

use crate::access;

/// Arguments of `kubeask cost`.
#[derive(clap::Args, Debug)]
pub struct CostArgs {
    /// The context (default: the current context).
    #[arg(long)]
    context: Option<String>,
    /// Group by `namespace`, `workload` or `label=KEY`.
    #[arg(long, default_value = "namespace", value_parser = |s: &str| s.parse::<By>())]
    by: By,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// How many waste items to show.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Runs `kubeask cost`.
pub async fn run(args: CostArgs) -> anyhow::Result<ExitCode> {
    let access = access::resolve().await?;
    let result = access.assistant().cost(args.context.as_deref(), &args.by).await;
    access.close().await;
    let (report, theirs) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"report": report, "your_prices": theirs}))?);
        return Ok(ExitCode::SUCCESS);
    }
    let w = report.allocations.iter().map(|a| a.name.len()).max().unwrap_or(5).clamp(5, 50);
    println!("{:w$}  {:>8} {:>9} {:>9} {:>10} {:>10}", "GROUP", "CPU", "MEMORY", "STORAGE", "GPU", "MONTHLY");
    for a in &report.allocations {
        println!(
            "{:w$}  {:>7.2}c {:>7.1}Gi {:>7.0}Gi {:>10.2} {:>10.2}",
            a.name, a.cpu_cores, a.memory_gib, a.storage_gib, a.gpu_cost, a.total
        );
    }
    println!("{:w$}  {:>51.2}", "(idle node capacity)", report.idle);
    if report.load_balancers > 0.0 {
        println!("{:w$}  {:>51.2}", "(load balancers)", report.load_balancers);
    }
    println!("{:w$}  {:>51.2}", "TOTAL a month", report.total);
    if !report.waste.is_empty() {
        println!("\nWhere money is wasted (a month):");
        for x in report.waste.iter().take(args.top) {
            println!("  {:>9.2}  {:18} {}: {}", x.monthly, x.kind, x.object, x.detail);
        }
    }
    println!("\nBased on {}.", report.basis);
    if !theirs {
        println!("Set your own prices in {} (per context).", kubeask_agent::prices::path().display());
    }
    Ok(ExitCode::SUCCESS)
}
