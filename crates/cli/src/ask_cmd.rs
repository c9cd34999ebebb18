//! `kubeask ask "…"`: one question, the short answer first, then details.

use std::process::ExitCode;

use kubeask_agent::Answer;

use crate::access;

/// Arguments of `kubeask ask`.
#[derive(clap::Args, Debug)]
pub struct AskArgs {
    /// The question, in plain language.
    #[arg(required = true)]
    question: Vec<String>,
    /// The context to ask (default: the current context).
    #[arg(long, conflicts_with = "all_contexts")]
    context: Option<String>,
    /// Ask every context in parallel and answer per context.
    #[arg(long)]
    all_contexts: bool,
    /// With --all-contexts: seconds each context may take before it is
    /// reported as not answering (the others are not held up).
    #[arg(long, default_value_t = 30, requires = "all_contexts")]
    deadline: u64,
    /// Print the whole answer as JSON.
    #[arg(long)]
    json: bool,
    /// Keep the question in this conversation: follow-ups like "and its
    /// logs?" refer to the previous answer (`kubeask sessions` lists them).
    #[arg(long, conflicts_with = "all_contexts")]
    session: Option<String>,
    #[command(flatten)]
    engine: crate::engine_args::EngineArgs,
    /// Answer questions about the past from the Prometheus at this URL.
    #[arg(long)]
    prometheus: Option<String>,
    /// Where the past comes from: `auto` (the cluster's Prometheus when it
    /// has one, else Kubeask's own samples), `own` or `prometheus`.
    #[arg(long = "history", default_value = "auto")]
    prefer: kubeask_agent::history_access::Prefer,
}

fn print_answer(a: &Answer, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(a).unwrap_or_default());
        return;
    }
    println!("{}", a.short);
    if let Some(w) = &a.warning {
        eprintln!("warning: {w}");
    }
    if !a.explanation.is_empty() && a.explanation != a.short {
        println!("\n{}", a.explanation);
    }
    if let Some(e) = &a.engine {
        println!("\nAnswered by {e}.");
    }
    if !a.evidence.is_empty() {
        let objs: Vec<String> = a
            .evidence
            .iter()
            .take(10)
            .map(|e| {
                if e.namespace.is_empty() {
                    format!("{}/{}", e.kind, e.name)
                } else {
                    format!("{}/{}/{}", e.kind, e.namespace, e.name)
                }
            })
            .collect();
        let more = a.evidence.len().saturating_sub(10);
        println!(
            "\nEvidence: {}{}",
            objs.join(", "),
            if more > 0 { format!(" (+{more} more)") } else { String::new() }
        );
    }
    for k in &a.kubectl {
        println!("$ {k}");
    }
    for p in &a.proposals {
        println!("Proposed, not applied — plan it with: {}", crate::act_cmd::command_for(p));
    }
}

/// Runs `kubeask ask`.
pub async fn run(args: AskArgs) -> anyhow::Result<ExitCode> {
    let question = args.question.join(" ");
    let access = access::resolve().await?;
    let assistant = access.assistant().with_prometheus_url(args.prometheus.clone()).with_history_source(args.prefer);
    let (assistant, _) = args.engine.apply(assistant).await?;
    let mut code = ExitCode::SUCCESS;
    if args.all_contexts {
        let names: Vec<String> = assistant.contexts()?.list().into_iter().map(|c| c.name).collect();
        let deadline = std::time::Duration::from_secs(args.deadline);
        let one = |n: &str| {
            let (assistant, n, q) = (assistant.clone(), n.to_string(), question.clone());
            async move {
                tokio::time::timeout(deadline, assistant.ask(Some(&n), &q)).await.unwrap_or_else(|_| {
                    Err(kubeask_agent::AskError::NotSynced {
                        context: n.clone(),
                        waited: deadline,
                        detail: "no answer within the --deadline".into(),
                    })
                })
            }
        };
        let answers = futures::future::join_all(names.iter().map(|n| one(n))).await;
        let mut out = Vec::new();
        for (name, a) in names.iter().zip(answers) {
            match a {
                Ok(a) if args.json => out.push(serde_json::json!({"context": name, "answer": a})),
                Ok(a) => println!("[{name}] {}", a.short),
                Err(e) if args.json => out.push(serde_json::json!({"context": name, "error": e.to_boundary()})),
                Err(e) => {
                    println!("[{name}] error: {e}");
                    code = ExitCode::FAILURE;
                }
            }
        }
        if args.json {
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
    } else {
        let result = match &args.session {
            Some(id) => {
                match kubeask_agent::sessions::Sessions::open(&kubeask_agent::sessions::Sessions::default_path()) {
                    Err(e) => {
                        // The store is damaged or locked: answer anyway, say so.
                        eprintln!("warning: conversations are unavailable ({e}); answering without session {id}");
                        assistant.ask(args.context.as_deref(), &question).await.map_err(|e| e.to_boundary())
                    }
                    Ok(sessions) => sessions
                        .ask(&assistant, id, args.context.as_deref(), &question)
                        .await
                        .map_err(kubeask_agent::AppError::from),
                }
            }
            None => assistant.ask(args.context.as_deref(), &question).await.map_err(|e| e.to_boundary()),
        };
        match result {
            Ok(a) => print_answer(&a, args.json),
            Err(e) => {
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&serde_json::json!({"error": e}))?);
                } else {
                    eprintln!("error: {}", e.message);
                }
                code = ExitCode::FAILURE;
            }
        }
    }
    access.close().await;
    Ok(code)
}
