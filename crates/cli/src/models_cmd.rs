//! `kubeask models list|import|rm|info`: local GGUF models.

use std::path::PathBuf;
use std::process::ExitCode;

use kubeask_llm::gguf;
use kubeask_llm::store::ModelStore;

/// Arguments of `kubeask models`.
#[derive(clap::Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Installed models and GGUFs in the Hugging Face cache (the default).
    List {
        /// Also list the GGUFs in this folder.
        #[arg(long)]
        folder: Option<PathBuf>,
    },
    /// Import a local .gguf (for air-gapped machines): validated, then copied in.
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Remove an installed model.
    Rm {
        /// Its file name.
        name: String,
    },
    /// Show a GGUF file's header: architecture, quantization, context, tensors.
    Info {
        /// The file.
        file: PathBuf,
    },
}

fn mib(b: u64) -> String {
    format!("{:.0} MiB", b as f64 / 1048576.0)
}

/// Runs `kubeask models`.
pub async fn run(args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let store = ModelStore::new(ModelStore::default_dir());
    match args.action.unwrap_or(Action::List { folder: None }) {
        Action::List { folder } => {
            let store = match folder {
                Some(f) => store.with_folder(f),
                None => store,
            };
            let list = store.list(true);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!(
                    "No models yet. Import a GGUF file with `kubeask models import FILE` (models folder: {}).",
                    store.dir().display()
                );
            } else {
                for m in list {
                    let what = match &m.problem {
                        Some(p) => format!("unusable: {p}"),
                        None => format!(
                            "{} {} ctx {}",
                            m.architecture.unwrap_or_default(),
                            m.quantization.unwrap_or_default(),
                            m.context_length.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
                        ),
                    };
                    println!("{:40} {:>9}  {:?}  {what}", m.file, mib(m.size_bytes), m.origin);
                }
            }
        }
        Action::Import { file } => {
            let (m, sha) = store.import(&file)?;
            println!(
                "Imported {} ({}, {} {}) into {}; sha256 {sha}",
                m.file,
                mib(m.size_bytes),
                m.architecture.unwrap_or_default(),
                m.quantization.unwrap_or_default(),
                store.dir().display()
            );
        }
        Action::Rm { name } => {
            store.remove(&name)?;
            println!("Removed {name}.");
        }
        Action::Info { file } => {
            let info = gguf::read(&file)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "architecture": info.architecture(), "name": info.name(), "quantization": info.quantization(),
                        "context_length": info.context_length(), "chat_template": info.has_chat_template(), "version": info.version,
                        "tensors": info.tensors.len(), "file_size": info.file_size,
                        "supported": gguf::validate(&file).is_ok(),
                    }))?
                );
            } else {
                println!(
                    "{}: GGUF v{}, {} ({}), {}, context {}, {} tensors, chat template: {}{}",
                    file.display(),
                    info.version,
                    info.name().unwrap_or("unnamed"),
                    info.architecture().unwrap_or("?"),
                    info.quantization().unwrap_or("?"),
                    info.context_length().map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
                    info.tensors.len(),
                    if info.has_chat_template() { "yes" } else { "no" },
                    match gguf::validate(&file) {
                        Ok(_) => String::new(),
                        Err(e) => format!("\nnot usable: {e}"),
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
