//! `kubeask contexts`: list kubeconfig contexts, the current one marked,
//! each checked for reachability in parallel.

use std::process::ExitCode;

use kubeask_cluster::contexts::{ContextError, Contexts};
use kubeask_cluster::stored::StoredContexts;

/// Arguments of `kubeask contexts`.
#[derive(clap::Args, Debug)]
pub struct ContextsArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Skip the reachability check.
    #[arg(long)]
    no_check: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// `kubeask contexts import|rm`.
#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Import a kubeconfig into Kubeask (its secrets go to the OS keychain).
    Import {
        /// The kubeconfig file; `-` reads it from standard input.
        file: std::path::PathBuf,
    },
    /// Remove an imported context and its secrets.
    Rm {
        /// The context name.
        name: String,
    },
}

/// Lists, imports or removes contexts.
pub async fn run(args: ContextsArgs) -> anyhow::Result<ExitCode> {
    let stored = StoredContexts::open_default();
    match &args.action {
        Some(Action::Import { file }) => {
            let names = if file.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
                stored.import_text(&text)?
            } else {
                stored.import_file(file)?
            };
            println!("Imported {} (secrets moved to the OS keychain).", names.join(", "));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Action::Rm { name }) => {
            stored.remove(name)?;
            println!("Removed {name} and its secrets.");
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let extra = stored.load().unwrap_or_else(|e| {
        eprintln!("warning: imported contexts are unavailable: {e}");
        Vec::new()
    });
    let contexts = match Contexts::load_with(&kubeask_cluster::contexts::kubeconfig_paths(), extra) {
        Ok(c) => c,
        Err(ContextError::NoKubeconfig) => {
            eprintln!("No kubeconfig found ($KUBECONFIG is unset and ~/.kube/config does not exist).");
            eprintln!("Start the built-in demo cluster with `kubeask demo`, then `export KUBECONFIG=…` as it says.");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let infos = contexts.list();
    let checks = futures::future::join_all(infos.iter().map(|info| {
        let contexts = &contexts;
        let name = info.name.clone();
        let skip = args.no_check;
        async move {
            if skip {
                return None;
            }
            Some(match contexts.connect(Some(&name)).await {
                Ok(conn) => conn.check().await,
                Err(e) => Err(e),
            })
        }
    }))
    .await;
    if args.json {
        let rows: Vec<serde_json::Value> = infos
            .iter()
            .zip(&checks)
            .map(|(i, c)| {
                let mut v = serde_json::to_value(i).unwrap_or_default();
                match c {
                    Some(Ok(version)) => v["reachable"] = serde_json::json!({"ok": true, "version": version}),
                    Some(Err(e)) => v["reachable"] = serde_json::json!({"ok": false, "error": e.to_string()}),
                    None => {}
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let width = infos.iter().map(|i| i.name.len()).max().unwrap_or(4).max(4);
    println!("CURRENT   {:width$}   {:32}   STATUS", "NAME", "SERVER");
    for (info, check) in infos.iter().zip(&checks) {
        let status = match check {
            None => "-".to_string(),
            Some(Ok(v)) => format!("reachable ({v})"),
            Some(Err(e)) => format!("unreachable: {e}"),
        };
        let mark = if info.current { "*" } else { "" };
        println!("{mark:7}   {:width$}   {:32}   {status}", info.name, info.server.clone().unwrap_or_default());
    }
    Ok(ExitCode::SUCCESS)
}
