//! `kubeask manifest check FILE`: what a manifest creates or changes, what
//! is risky in it, and whether the cluster would take it — before anyone
//! applies it. Strict parsing and the security checks run here; the API
//! server's dry run (server-side apply) gives the diff against the live
//! object, or the server's reason for refusing it. Nothing is applied.

use std::process::ExitCode;

use kubeask_cluster::actions::{self, DryRun};
use kubeask_cluster::contexts::Contexts;
use kubeask_insight::manifest::{check_text, Checked};
use kubeask_insight::workload_spec::{Edit, HpaSpec, WorkloadSpec};
use serde_json::json;

/// Arguments of `kubeask manifest`.
#[derive(clap::Args, Debug)]
pub struct ManifestArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Add (or replace) an HTTP readiness probe on a workload: the live
    /// object with the probe, checked and dry-run (the diff shows only it).
    Probe {
        /// `deployment/NAME` (or statefulset/, daemonset/).
        target: String,
        /// HTTP path.
        #[arg(long)]
        path: String,
        /// Port (default: the container's first).
        #[arg(long)]
        port: Option<i32>,
        /// Container (default: the first).
        #[arg(long)]
        container: Option<String>,
        /// Namespace.
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        /// The context.
        #[arg(long)]
        context: Option<String>,
    },
    /// Expose a Service through a new TLS Ingress on a host.
    Expose {
        /// The Service.
        service: String,
        /// Host name.
        #[arg(long)]
        host: String,
        /// Service port (default: its first).
        #[arg(long)]
        port: Option<i32>,
        /// Namespace.
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        /// The context.
        #[arg(long)]
        context: Option<String>,
    },
    /// Write a manifest from a request in plain words: a local model fills
    /// the workload structure (under a JSON grammar), code renders the
    /// YAML, which is then checked and dry-run like `check`.
    Write {
        /// What to write, e.g. "nginx:1.27 with 3 replicas, a Service on port 80 and an HPA 2-10 at 70% CPU".
        request: String,
        /// The model (a .gguf path, an installed file or a catalog id).
        #[arg(long, env = "KUBEASK_MODEL")]
        model: Option<String>,
        /// The context (its namespaces, its dry run).
        #[arg(long)]
        context: Option<String>,
    },
    /// Write a Deployment (and optionally its Service, Ingress and HPA)
    /// from flags, with safe defaults; prints the YAML and checks it.
    New {
        /// Name of the Deployment.
        name: String,
        /// Container image, with a tag or digest.
        #[arg(long)]
        image: String,
        /// Replicas.
        #[arg(long, default_value_t = 1)]
        replicas: i32,
        /// The container's port.
        #[arg(long)]
        port: Option<i32>,
        /// Also a ClusterIP Service on the port.
        #[arg(long)]
        service: bool,
        /// Also an Ingress (with TLS) for this host.
        #[arg(long)]
        ingress_host: Option<String>,
        /// Also an HPA: MIN-MAX@CPU%, e.g. 2-10@70.
        #[arg(long)]
        hpa: Option<String>,
        /// An HTTP readiness probe on this path.
        #[arg(long)]
        readiness_path: Option<String>,
        /// Namespace.
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        /// Print the YAML only: no strict check, no dry run.
        #[arg(long)]
        no_check: bool,
        /// The context whose API server dry-runs it.
        #[arg(long)]
        context: Option<String>,
    },
    /// Check a manifest file (`-` reads standard input).
    Check {
        /// The YAML file.
        file: std::path::PathBuf,
        /// The context whose API server dry-runs it (default: the current one).
        #[arg(long)]
        context: Option<String>,
        /// Namespace for documents that name none (default: the context's).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `kubeask manifest`.
pub async fn run(args: ManifestArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        What::Check { file, context, namespace, json } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
            };
            check(&text, context, namespace, json).await
        }
        What::Write { request, model, context } => write(&request, model, context).await,
        What::Probe { target, path, port, container, namespace, context } => {
            let (kind, name) = target
                .split_once('/')
                .ok_or_else(|| anyhow::anyhow!("{target:?} is not KIND/NAME (deployment/checkout)"))?;
            let edit = Edit::ReadinessProbe {
                kind: kind.into(),
                name: name.into(),
                namespace: namespace.clone(),
                container,
                path,
                port,
            };
            edited(edit, context, namespace).await
        }
        What::Expose { service, host, port, namespace, context } => {
            edited(Edit::Expose { service, namespace: namespace.clone(), host, port }, context, namespace).await
        }
        What::New {
            name,
            image,
            replicas,
            port,
            service,
            ingress_host,
            hpa,
            readiness_path,
            namespace,
            no_check,
            context,
        } => {
            let hpa = hpa.map(|h| parse_hpa(&h)).transpose()?;
            let spec = WorkloadSpec {
                name,
                namespace: namespace.clone(),
                image,
                replicas,
                port,
                service,
                service_port: None,
                ingress_host,
                hpa,
                readiness_path,
                cpu: "100m".into(),
                memory: "128Mi".into(),
            };
            let yaml = match spec.render() {
                Ok(y) => y,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            println!("{yaml}");
            if no_check {
                return Ok(ExitCode::SUCCESS);
            }
            println!("# ---- checks ----");
            check(&yaml, context, Some(namespace), false).await
        }
    }
}

/// An edit: computed from the live objects, printed, checked and dry-run.
async fn edited(edit: Edit, context: Option<String>, namespace: String) -> anyhow::Result<ExitCode> {
    let access = crate::access::resolve().await?;
    let snap = access.assistant().cache(context.as_deref()).await?.snapshot();
    access.close().await;
    let yaml = match edit.render(&snap) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("{yaml}\n# ---- checks ----");
    check(&yaml, context, Some(namespace), false).await
}

/// `kubeask manifest write "REQUEST"`.
async fn write(request: &str, model: Option<String>, context: Option<String>) -> anyhow::Result<ExitCode> {
    let Some(spec) = model else {
        anyhow::bail!(
            "writing from a request needs a model (--model or KUBEASK_MODEL); without one, `kubeask manifest new NAME --image …` writes it from flags"
        );
    };
    let model = kubeask_agent::access::load_model(&spec).await?;
    let access = crate::access::resolve().await?;
    let cache = access.assistant().cache(context.as_deref()).await?;
    let snap = cache.snapshot();
    let cancel = kubeask_agent::model_loop::CancelFlag::default();
    let written = kubeask_agent::manifest_writer::write(model.as_ref(), &snap, request, &cancel).await;
    access.close().await;
    let written = match written {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let yaml = match written.render(&snap) {
        Ok(y) => y,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("{yaml}\n# ---- checks ----");
    check(&yaml, context, Some(written.namespace().to_string()), false).await
}

/// `2-10@70` → min 2, max 10, 70 % CPU.
fn parse_hpa(s: &str) -> anyhow::Result<HpaSpec> {
    let bad = || anyhow::anyhow!("--hpa {s:?}: use MIN-MAX@CPU%, e.g. 2-10@70");
    let (range, cpu) = s.split_once('@').ok_or_else(bad)?;
    let (min, max) = range.split_once('-').ok_or_else(bad)?;
    let n = |x: &str| x.trim().trim_end_matches('%').parse::<i32>().map_err(|_| bad());
    Ok(HpaSpec { min: n(min)?, max: n(max)?, cpu_percent: n(cpu)? })
}

/// Checks `text` and dry-runs it on the context; prints the result.
async fn check(text: &str, context: Option<String>, namespace: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let docs = match check_text(text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let contexts = Contexts::discover()?;
    let conn = contexts.connect(context.as_deref()).await?;
    let ns = namespace.unwrap_or_else(|| {
        let info = contexts.list().into_iter().find(|c| c.name == conn.context);
        info.and_then(|c| c.namespace).unwrap_or_else(|| "default".into())
    });
    let mut results = Vec::new();
    for d in &docs {
        results.push(actions::dry_run_manifest(&conn, d, &ns).await);
    }
    let ok = docs.iter().zip(&results).all(|(d, r)| d.errors.is_empty() && !matches!(r, DryRun::Refused { .. }));
    if json {
        let out: Vec<_> = docs.iter().zip(&results).map(|(d, r)| json!({"object": d, "dry_run": r})).collect();
        println!("{}", serde_json::to_string_pretty(&json!({"context": conn.context, "documents": out, "ok": ok}))?);
    } else {
        for (d, r) in docs.iter().zip(&results) {
            show(d, r);
        }
        println!("\n{} on context {}. Nothing was applied.", if ok { "Valid" } else { "Not valid" }, conn.context);
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn show(d: &Checked, r: &DryRun) {
    let at = if d.namespace.is_empty() { d.name.clone() } else { format!("{}/{}", d.namespace, d.name) };
    println!("{} {at}", d.kind);
    for e in &d.errors {
        println!("  ✗ {e}");
    }
    match r {
        DryRun::Accepted { new: true, .. } => println!("  ✓ the API server accepts it (dry run): a new object"),
        DryRun::Accepted { changes, .. } if changes.is_empty() => println!("  ✓ the API server accepts it: no change"),
        DryRun::Accepted { changes, .. } => {
            println!("  ✓ the API server accepts it (dry run); it changes:");
            for c in changes {
                println!("      {}: {} → {}", c.path, c.before, c.after);
            }
        }
        DryRun::Refused { message } => println!("  ✗ the API server refuses it: {message}"),
        DryRun::Skipped { why } => println!("  – not dry-run: {why}"),
    }
    for f in &d.findings {
        println!(
            "  ! {} {}: {} ({})",
            format!("{:?}", f.finding.severity).to_lowercase(),
            f.check,
            f.finding.title,
            f.control
        );
    }
}
