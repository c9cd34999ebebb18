//! `kubeask act …` and `kubeask audit`: plan a change, show it, apply it
//! once confirmed, undo it; list the audit log.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use kubeask_cluster::actions::policy::Mode;
use kubeask_cluster::actions::{self, Action, ActionError, Guard, Plan, Target};
use kubeask_cluster::contexts::{Connection, Contexts};

/// Arguments of `kubeask act`.
#[derive(clap::Args, Debug)]
pub struct ActArgs {
    #[command(subcommand)]
    what: What,
    /// The context (default: the current context).
    #[arg(long, global = true)]
    context: Option<String>,
    /// The namespace (default: the context's, else `default`).
    #[arg(short = 'n', long, global = true)]
    namespace: Option<String>,
    /// Apply without asking.
    #[arg(long, global = true)]
    yes: bool,
    /// Print the plan only (the server's dry run); change nothing.
    #[arg(long, global = true)]
    dry_run: bool,
    /// Print the plan and the result as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Seconds to wait for the change to converge.
    #[arg(long, global = true, default_value_t = 120)]
    timeout: u64,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Set replicas: `scale deployment/NAME --replicas N`.
    Scale {
        /// KIND/NAME (deployment, statefulset, replicaset).
        target: String,
        /// The new replica count.
        #[arg(long)]
        replicas: i64,
    },
    /// Replace every pod: `restart deployment/NAME`.
    Restart {
        /// KIND/NAME (deployment, statefulset, daemonset).
        target: String,
    },
    /// Set a container's image: `set-image deployment/NAME CONTAINER=IMAGE`.
    SetImage {
        /// KIND/NAME.
        target: String,
        /// CONTAINER=IMAGE.
        image: String,
    },
    /// Set a container's requests/limits:
    /// `set-resources deployment/NAME CONTAINER --limits memory=512Mi`.
    SetResources {
        /// KIND/NAME.
        target: String,
        /// The container.
        container: String,
        /// KEY=VALUE,… (`memory=256Mi,cpu=250m`; an empty value removes the key).
        #[arg(long, default_value = "")]
        requests: String,
        /// KEY=VALUE,….
        #[arg(long, default_value = "")]
        limits: String,
    },
    /// Roll a Deployment back: `rollback deployment/NAME [--to-revision R]`.
    Rollback {
        /// deployment/NAME.
        target: String,
        /// The revision (default: the one before the current).
        #[arg(long)]
        to_revision: Option<i64>,
    },
    /// Set an HPA's bounds: `set-hpa hpa/NAME --max 10 [--min 2]`.
    SetHpa {
        /// hpa/NAME.
        target: String,
        /// New minReplicas.
        #[arg(long)]
        min: Option<i64>,
        /// New maxReplicas.
        #[arg(long)]
        max: Option<i64>,
    },
    /// Delete a pod: `delete pod/NAME`.
    Delete {
        /// pod/NAME.
        target: String,
    },
    /// Mark a node unschedulable: `cordon node/NAME`.
    Cordon {
        /// node/NAME.
        target: String,
    },
    /// Cordon a node and evict its pods (PodDisruptionBudgets respected):
    /// `drain node/NAME`.
    Drain {
        /// node/NAME.
        target: String,
    },
    /// Mark a node schedulable: `uncordon node/NAME`.
    Uncordon {
        /// node/NAME.
        target: String,
    },
    /// Stop a CronJob from starting Jobs: `suspend cronjob/NAME`.
    Suspend {
        /// cronjob/NAME.
        target: String,
    },
    /// Start a Job now from a CronJob's template: `trigger cronjob/NAME`.
    Trigger {
        /// cronjob/NAME.
        target: String,
        /// The Job's name (default: NAME-manual-<time>).
        #[arg(long)]
        job_name: Option<String>,
    },
    /// Let a CronJob start Jobs again: `resume cronjob/NAME`.
    Resume {
        /// cronjob/NAME.
        target: String,
    },
    /// Server-side apply one manifest (field manager kubeask): `apply -f FILE`.
    Apply {
        /// The YAML (or JSON) file, one document.
        #[arg(short = 'f', long)]
        file: std::path::PathBuf,
        /// Take over fields another field manager owns.
        #[arg(long)]
        force: bool,
    },
    /// Undo an applied action by its audit id (`kubeask audit` lists them).
    Undo {
        /// The audit entry.
        id: i64,
    },
    /// Set a context's policy: read-only or confirm-each.
    Policy {
        /// The context.
        name: String,
        /// read-only | confirm-each | allow:scale,restart,….
        mode: String,
    },
}

/// Arguments of `kubeask audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Print the entries as JSON.
    #[arg(long)]
    json: bool,
    /// How many entries, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

/// Runs `kubeask audit`.
pub async fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let guard = Guard::open_default()?;
    let entries = guard.audit.list(args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("No actions yet.");
    }
    for e in &entries {
        let undo = match (&e.undo, e.undoes) {
            (_, Some(of)) => format!(" (undoes {of})"),
            (Some(_), None) => " (undo: kubeask act undo ID)".replace("ID", &e.id.to_string()),
            _ => String::new(),
        };
        let who = if e.cluster_user.is_empty() { e.user.clone() } else { format!("{} as {}", e.user, e.cluster_user) };
        println!("{:>4}  {}  {who}@{}  {}: {}{undo}", e.id, e.at, e.context, e.step, e.summary);
        println!("      {}", e.outcome);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `kubeask act`.
pub async fn run(args: ActArgs) -> anyhow::Result<ExitCode> {
    let mut guard = Guard::open_default()?;
    if let What::Policy { name, mode } = &args.what {
        guard.policies.set(name, mode.parse::<Mode>()?)?;
        println!("context {name}: {mode}");
        return Ok(ExitCode::SUCCESS);
    }
    let contexts = Contexts::discover()?;
    let conn = contexts.connect(args.context.as_deref()).await?;
    let namespace = args.namespace.clone().unwrap_or_else(|| {
        let info = contexts.list().into_iter().find(|c| c.name == conn.context);
        info.and_then(|c| c.namespace).unwrap_or_else(|| "default".into())
    });
    let planned = match &args.what {
        What::Undo { id } => actions::undo_plan(&conn, &guard.audit, *id).await,
        what => match action_of(what, &namespace) {
            Ok(action) => actions::plan(&conn, &action).await,
            Err(e) => Err(e),
        },
    };
    let plan = match planned {
        Ok(p) => p,
        Err(e) => return Ok(fail(&args, &e)),
    };
    show_plan(&args, &plan);
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let allowed = guard.policies.refuses(&conn.context, &conn.server, plan.action.verb()).is_none();
    if plan.permitted() && allowed && !confirmed(&args)? {
        eprintln!("Not applied.");
        return Ok(ExitCode::FAILURE);
    }
    Ok(apply(&args, &conn, &plan, &guard).await)
}

async fn apply(args: &ActArgs, conn: &Connection, plan: &Plan, guard: &Guard) -> ExitCode {
    let deadline = Duration::from_secs(args.timeout);
    let applied = match &args.what {
        What::Undo { id } => actions::apply_undo(conn, plan, guard, *id, deadline).await,
        _ => actions::apply(conn, plan, guard, deadline).await,
    };
    match applied {
        Ok(a) if args.json => {
            println!("{}", serde_json::json!({"plan": plan, "applied": a}));
            if a.converged {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Ok(a) => {
            let verdict = if a.converged { "Done" } else { "Applied, not converged" };
            println!("{verdict}: {} (audit entry {}).", a.result, a.audit_id);
            if a.undoable {
                println!("Undo with: kubeask act undo {}", a.audit_id);
            }
            if a.converged {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => fail(args, &e),
    }
}

fn fail(args: &ActArgs, e: &ActionError) -> ExitCode {
    if args.json {
        println!("{}", serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}}));
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::FAILURE
}

fn action_of(what: &What, namespace: &str) -> Result<Action, ActionError> {
    let t = |s: &str| Target::parse(s, namespace).map_err(ActionError::Invalid);
    Ok(match what {
        What::Scale { target, replicas } => Action::Scale { target: t(target)?, replicas: *replicas },
        What::Restart { target } => Action::Restart { target: t(target)? },
        What::SetImage { target, image } => {
            let (container, image) = image
                .split_once('=')
                .filter(|(c, i)| !c.is_empty() && !i.is_empty())
                .ok_or_else(|| ActionError::Invalid(format!("{image:?} is not CONTAINER=IMAGE")))?;
            Action::SetImage { target: t(target)?, container: container.into(), image: image.into() }
        }
        What::SetResources { target, container, requests, limits } => Action::SetResources {
            target: t(target)?,
            container: container.clone(),
            requests: pairs(requests)?,
            limits: pairs(limits)?,
        },
        What::Rollback { target, to_revision } => Action::Rollback { target: t(target)?, revision: *to_revision },
        What::SetHpa { target, min, max } => Action::SetHpa { target: t(target)?, min: *min, max: *max },
        What::Delete { target } => Action::DeletePod { target: t(target)? },
        What::Cordon { target } => Action::Cordon { target: t(target)? },
        What::Drain { target } => Action::Drain { target: t(target)? },
        What::Uncordon { target } => Action::Uncordon { target: t(target)? },
        What::Suspend { target } => Action::Suspend { target: t(target)? },
        What::Resume { target } => Action::Resume { target: t(target)? },
        What::Trigger { target, job_name } => {
            let target = t(target)?;
            let job = job_name.clone().unwrap_or_else(|| {
                let stamp = jiff::Timestamp::now().as_second() % 100_000;
                let base: String = target.name.chars().take(45).collect();
                format!("{base}-manual-{stamp}")
            });
            Action::Trigger { target, job }
        }
        What::Apply { file, force } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ActionError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            Action::apply_from_yaml(&text, namespace, *force).map_err(ActionError::Invalid)?
        }
        What::Undo { .. } | What::Policy { .. } => unreachable!("handled before"),
    })
}

/// `memory=256Mi,cpu=250m` as a map.
fn pairs(text: &str) -> Result<std::collections::BTreeMap<String, String>, ActionError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .filter(|(k, _)| matches!(k.trim(), "memory" | "cpu" | "ephemeral-storage"))
                .ok_or_else(|| ActionError::Invalid(format!("{p:?} is not memory=…, cpu=… or ephemeral-storage=…")))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn show_plan(args: &ActArgs, plan: &Plan) {
    if args.json {
        if args.dry_run {
            println!("{}", serde_json::json!({ "plan": plan }));
        }
        return;
    }
    println!("Plan {} on context {}: {}", plan.id, plan.context, plan.summary);
    if !plan.diff.is_empty() {
        println!("Changes (the API server's dry run):");
        for c in &plan.diff {
            println!("  {}: {} → {}", c.path, c.before, c.after);
        }
    }
    for b in &plan.blast_radius {
        println!("  • {b}");
    }
    for p in &plan.permissions {
        println!("  {} {}", if p.allowed { "✓ may" } else { "✗ may not" }, p.shown());
    }
    match &plan.undo {
        Some(_) => println!("  ↺ can be undone (kubeask act undo, with the audit id)"),
        None => println!("  ↺ cannot be undone"),
    }
}

/// Asks on the terminal; `--yes` answers for a script. Without a terminal
/// and without `--yes`, nothing is applied.
fn confirmed(args: &ActArgs) -> anyhow::Result<bool> {
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("Confirmation needed: run again with --yes to apply this plan.");
        return Ok(false);
    }
    eprint!("Apply this plan? [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// The `kubeask act` command line that plans `action` (printed under an
/// answer that proposes it).
pub fn command_for(action: &Action) -> String {
    let t = action.target();
    let ns = if t.namespace.is_empty() { String::new() } else { format!(" -n {}", t.namespace) };
    let obj = format!("{}/{}", t.kind, t.name);
    let kv = |m: &std::collections::BTreeMap<String, String>| {
        m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    };
    let rest = match action {
        Action::Scale { replicas, .. } => format!(" --replicas {replicas}"),
        Action::SetImage { container, image, .. } => format!(" {container}={image}"),
        Action::SetResources { container, requests, limits, .. } => {
            let mut r = format!(" {container}");
            if !requests.is_empty() {
                r.push_str(&format!(" --requests {}", kv(requests)));
            }
            if !limits.is_empty() {
                r.push_str(&format!(" --limits {}", kv(limits)));
            }
            r
        }
        Action::Rollback { revision: Some(r), .. } => format!(" --to-revision {r}"),
        Action::Trigger { job, .. } => format!(" --job-name {job}"),
        Action::SetHpa { min, max, .. } => {
            min.map(|m| format!(" --min {m}")).unwrap_or_default()
                + &max.map(|m| format!(" --max {m}")).unwrap_or_default()
        }
        _ => String::new(),
    };
    let verb = match action {
        Action::DeletePod { .. } => "delete",
        other => other.verb(),
    };
    format!("kubeask act {verb} {obj}{rest}{ns} --dry-run")
}
