//! `kubeask diagnose`: every analyzer's findings, worst first.

use std::process::ExitCode;

use crate::access;

/// Arguments of `kubeask diagnose`.
#[derive(clap::Args, Debug)]
pub struct DiagnoseArgs {
    /// The context (default: the current context).
    #[arg(long)]
    context: Option<String>,
    /// Only this namespace.
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Print the findings as a JSON array.
    #[arg(long)]
    json: bool,
    /// The security checks (Pod Security Standards, CIS, exposure) instead
    /// of what is broken.
    #[arg(long)]
    security: bool,
}

/// Runs `kubeask diagnose`.
pub async fn run(args: DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let access = access::resolve().await?;
    let assistant = access.assistant();
    if args.security {
        let code = security(&args, &assistant).await?;
        access.close().await;
        return Ok(code);
    }
    let result = assistant.diagnose(args.context.as_deref(), args.namespace.as_deref()).await;
    let code = match result {
        Ok(findings) if args.json => {
            println!("{}", serde_json::to_string_pretty(&findings)?);
            ExitCode::SUCCESS
        }
        Ok(findings) if findings.is_empty() => {
            println!("No problems found.");
            ExitCode::SUCCESS
        }
        Ok(findings) => {
            let obj_w = findings.iter().map(|f| f.object.to_string().len()).max().unwrap_or(6).min(60);
            println!("{:9} {:obj_w$}  PROBLEM", "SEVERITY", "OBJECT");
            for f in &findings {
                let sev = format!("{:?}", f.severity).to_uppercase();
                println!("{sev:9} {:obj_w$}  {}", f.object.to_string(), f.title);
                println!("{:9} {:obj_w$}  cause: {}", "", "", f.likely_cause);
                println!("{:9} {:obj_w$}  fix:   {}", "", "", f.suggested_fix);
            }
            println!(
                "\n{} findings. `kubeask diagnose --json` gives the evidence and kubectl commands.",
                findings.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({"error": e.to_boundary()}))?);
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    };
    access.close().await;
    Ok(code)
}

/// `kubeask diagnose --security`.
async fn security(args: &DiagnoseArgs, assistant: &kubeask_agent::Assistant) -> anyhow::Result<ExitCode> {
    let (found, not_checked) = match assistant.security(args.context.as_deref(), args.namespace.as_deref()).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
        for n in &not_checked {
            eprintln!("not checked: {n}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let obj_w = found.iter().map(|f| f.finding.object.to_string().len()).max().unwrap_or(6).min(60);
    println!("{:9} {:obj_w$}  {:20} PROBLEM", "SEVERITY", "OBJECT", "CHECK");
    for f in &found {
        let sev = format!("{:?}", f.finding.severity).to_uppercase();
        println!("{sev:9} {:obj_w$}  {:20} {}", f.finding.object.to_string(), f.check, f.finding.title);
        println!("{:9} {:obj_w$}  {:20} control: {}; fix: {}", "", "", "", f.control, f.finding.suggested_fix);
    }
    println!("\n{} findings.", found.len());
    if !not_checked.is_empty() {
        println!("Not checked (this user may not read what they need): {}.", not_checked.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}
