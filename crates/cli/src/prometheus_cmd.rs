//! `kubeask prometheus set|show|remove`: the Prometheus a context's
//! history comes from, when it is not one Kubeask finds in the cluster
//! (outside it, or behind credentials). The URL is saved in the data dir,
//! the token or password in the OS keychain; both are checked first.

use std::io::Read;
use std::process::ExitCode;

use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::history::prometheus::{Prometheus, Target};
use kubeask_cluster::saved::{check_url, is_loopback, Credentials, SavedEndpoints};

use crate::access;

/// Arguments of `kubeask prometheus`.
#[derive(clap::Args, Debug)]
pub struct PrometheusArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Read a context's history from the Prometheus at URL (checked before it is saved).
    Set {
        /// The Prometheus HTTP API base URL (`https://prometheus.example:9090`).
        url: String,
        /// The context (default: the current context).
        #[arg(long)]
        context: Option<String>,
        /// Basic-auth user; the password is read from standard input.
        #[arg(long, requires = "password_stdin")]
        user: Option<String>,
        /// Read the basic-auth password from standard input.
        #[arg(long, requires = "user", conflicts_with = "bearer_token_stdin")]
        password_stdin: bool,
        /// Read a bearer token from standard input.
        #[arg(long)]
        bearer_token_stdin: bool,
        /// Save without checking that it answers.
        #[arg(long)]
        no_check: bool,
    },
    /// Show the saved Prometheus of every context (or one), checking each answers; never a secret.
    Show {
        /// Only this context.
        #[arg(long)]
        context: Option<String>,
    },
    /// Forget a context's saved Prometheus and its credentials.
    Remove {
        /// The context (default: the current context).
        #[arg(long)]
        context: Option<String>,
    },
}

/// The named context, or the current one; an unknown name is an error.
async fn context_of(name: Option<&str>) -> anyhow::Result<String> {
    let access = access::resolve().await?;
    let extra = access.stored.as_ref().map(|s| s.load().unwrap_or_default()).unwrap_or_default();
    let contexts = Contexts::load_with(&access.kubeconfigs, extra);
    access.close().await;
    let contexts = contexts?;
    let known: Vec<String> = contexts.list().into_iter().map(|c| c.name).collect();
    match name {
        Some(n) if known.iter().any(|k| k == n) => Ok(n.to_string()),
        Some(n) => anyhow::bail!("no context {n:?} (known: {})", known.join(", ")),
        None => contexts
            .current()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no current context: name one with --context")),
    }
}

fn secret_from_stdin(what: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(!secret.is_empty(), "no {what} on standard input");
    Ok(secret)
}

/// Runs `kubeask prometheus`.
pub async fn run(args: PrometheusArgs) -> anyhow::Result<ExitCode> {
    let saved = SavedEndpoints::prometheus();
    match args.action {
        Action::Set { url, context, user, password_stdin, bearer_token_stdin, no_check } => {
            let url = check_url(&url)?;
            let credentials = match (user, password_stdin, bearer_token_stdin) {
                (Some(user), true, _) => Some(Credentials::Basic { user, password: secret_from_stdin("password")? }),
                (_, _, true) => Some(Credentials::Bearer(secret_from_stdin("token")?)),
                _ => None,
            };
            let context = context_of(context.as_deref()).await?;
            if credentials.is_some() && url.starts_with("http://") && !is_loopback(&url) {
                eprintln!("warning: {url} is plain HTTP: the credentials cross the network unencrypted");
            }
            if !no_check {
                let p = Prometheus::new(Target::Url { url: url.clone(), credentials: credentials.clone() });
                match p.version().await {
                    Ok(v) => println!("{} answers (Prometheus {v}).", p.target().describe()),
                    Err(e) => {
                        eprintln!("error: {e}\nNothing saved (--no-check saves it anyway).");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            saved.set(&context, &url, &Default::default(), credentials.as_ref())?;
            let how = credentials
                .as_ref()
                .map_or(String::new(), |c| format!(" with {} (kept in the OS keychain)", c.describe()));
            println!("{context}: history comes from {url}{how}.");
        }
        Action::Show { context } => {
            let all = saved.all()?;
            let wanted: Vec<_> =
                all.iter().filter(|(c, _)| context.as_deref().is_none_or(|w| w == c.as_str())).collect();
            if wanted.is_empty() {
                println!("No Prometheus saved{}: Kubeask looks for one among the cluster's Services, else uses its own samples.", context.map_or(String::new(), |c| format!(" for {c}")));
            }
            for (c, s) in wanted {
                let how = s.user.as_ref().map_or_else(
                    || if s.secret.is_some() { " with a bearer token".to_string() } else { String::new() },
                    |u| format!(" with basic auth as {u}"),
                );
                let check = match saved.get(c) {
                    Ok(Some((entry, credentials))) => {
                        match Prometheus::new(Target::Url { url: entry.url, credentials }).version().await {
                            Ok(v) => format!("answers (Prometheus {v})"),
                            Err(e) => format!("does not answer: {e}"),
                        }
                    }
                    Ok(None) => "gone".into(),
                    Err(e) => e.to_string(),
                };
                println!("{c}: {}{how} — {check}", s.url);
            }
        }
        Action::Remove { context } => {
            let context = match context {
                Some(c) => c,
                None => context_of(None).await?,
            };
            if saved.remove(&context)? {
                println!("{context}: the saved Prometheus and its credentials are gone.");
            } else {
                println!("{context}: no Prometheus was saved.");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
