//! `kubeask engines add|list|rm`: the team's inference servers
//! (OpenAI-compatible: llama.cpp's `llama-server`, vLLM, Ollama, LM
//! Studio) that `--engine NAME` answers model-mode questions with. The URL
//! and model are saved in the data dir, the API key in the OS keychain;
//! each is checked when added. None is ever used unless named.

use std::io::Read;
use std::process::ExitCode;

use kubeask_agent::remote_model::{ModelTokenizer, RemoteModel};
use kubeask_cluster::saved::{check_url, is_loopback, Credentials, Extra, SavedEndpoints};

/// Arguments of `kubeask engines`.
#[derive(clap::Args, Debug)]
pub struct EnginesArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Add (or replace) an inference server; checked before it is saved.
    Add {
        /// Its name, for `--engine NAME`.
        name: String,
        /// The server's base URL (`http://gpu-box:8080`, with or without `/v1`).
        #[arg(long)]
        endpoint: String,
        /// The model to ask for (default: the only one it serves).
        #[arg(long)]
        model: Option<String>,
        /// The model's tokenizer, to count tokens as the server does: a
        /// tokenizer.json, or a Hugging Face model id in the local cache
        /// (default: the server's /tokenize, else an estimate).
        #[arg(long)]
        tokenizer: Option<String>,
        /// Read an API key from standard input (kept in the OS keychain).
        #[arg(long)]
        api_key_stdin: bool,
        /// Save without checking that it answers.
        #[arg(long)]
        no_check: bool,
    },
    /// List the added servers, checking each answers; never a key.
    List,
    /// Remove an added server and its API key.
    Rm {
        /// Its name.
        name: String,
    },
}

fn valid_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    anyhow::ensure!(ok, "{name:?}: a name is letters, digits, '-', '_' or '.' (at most 64)");
    anyhow::ensure!(name != "local", "`local` is the in-process engine: pick another name");
    Ok(())
}

/// Runs `kubeask engines`.
pub async fn run(args: EnginesArgs) -> anyhow::Result<ExitCode> {
    let saved = SavedEndpoints::engines();
    match args.action {
        Action::Add { name, endpoint, model, tokenizer, api_key_stdin, no_check } => {
            valid_name(&name)?;
            let url = check_url(&endpoint)?;
            let key = if api_key_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                let key = text.trim_end_matches(['\n', '\r']).to_string();
                anyhow::ensure!(!key.is_empty(), "no API key on standard input");
                Some(key)
            } else {
                None
            };
            if key.is_some() && url.starts_with("http://") && !is_loopback(&url) {
                eprintln!("warning: {url} is plain HTTP: the API key and every question cross the network unencrypted");
            }
            if let Some(t) = &tokenizer {
                ModelTokenizer::find(t).map_err(anyhow::Error::msg)?;
            }
            if !no_check {
                match RemoteModel::connect(&url, model.as_deref(), key.clone()).await {
                    Ok(r) => {
                        let r = match &tokenizer {
                            Some(t) => r.with_tokenizer(ModelTokenizer::find(t).map_err(anyhow::Error::msg)?),
                            None => r,
                        };
                        println!("{name}: {}", r.info().describe());
                    }
                    Err(e) => {
                        eprintln!("error: {e}\nNothing saved (--no-check saves it anyway).");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            let extra = Extra { model, tokenizer };
            saved.set(&name, &url, &extra, key.map(Credentials::Bearer).as_ref())?;
            println!("Added {name}: use it with --engine {name} (questions go to {url} only then).");
        }
        Action::List => {
            let all = saved.all()?;
            if all.is_empty() {
                println!("No engines added: model mode runs in-process (--model FILE). Add a server with `kubeask engines add NAME --endpoint URL`.");
            }
            for (name, s) in all {
                let key = if s.secret.is_some() { ", API key in the keychain" } else { "" };
                let check = match kubeask_agent::access::connect_engine(&name, None).await {
                    Ok(r) => format!("answers: {}", r.info().describe()),
                    Err(e) => format!("does not answer: {e}"),
                };
                println!(
                    "{name}: {}{}{key} — {check}",
                    s.url,
                    s.model.map_or(String::new(), |m| format!(" model {m}"))
                );
            }
        }
        Action::Rm { name } => {
            if saved.remove(&name)? {
                println!("Removed {name} and its API key.");
            } else {
                println!("No engine {name}.");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
