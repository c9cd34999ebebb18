//! `kubeask models list|recommend|download|import|rm|info|bench`: local
//! GGUF models, the catalog, this machine's hardware, and the engine's speed
//! against llama.cpp's own llama-bench.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kubeask_llm::download::{self, DownloadEvent, DownloadRequest};
use kubeask_llm::hardware::{self, Hardware};
use kubeask_llm::store::ModelStore;
use kubeask_llm::{bench, catalog, gguf};

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
    /// This machine (memory, cores, CPU variant, GPUs) and the catalog model that suits it.
    Recommend,
    /// The catalog: every model Kubeask can download, and whether it fits here.
    Catalog,
    /// llama.cpp's CPU variants shipped, best first, each with its
    /// self-test verdict (run in a child process) and time.
    Variants {
        /// Test every variant again instead of using cached verdicts.
        #[arg(long)]
        retest: bool,
    },
    /// Download a catalog model (by id) or any REPO FILE from Hugging Face
    /// (or the mirror in HF_ENDPOINT); resumes an interrupted download.
    Download {
        /// Catalog id (see `kubeask models catalog`), or a repository with FILE.
        model: String,
        /// The file in the repository, when MODEL is a repository.
        file: Option<String>,
        /// Branch, tag or commit (default: the commit the catalog pins for a
        /// catalog id, `main` for a repository).
        #[arg(long)]
        revision: Option<String>,
    },
    /// Prompt and generation speed, time to first token and load time,
    /// side by side with llama.cpp's llama-bench on the same file and threads.
    Bench {
        /// The GGUF file.
        #[arg(long)]
        model: PathBuf,
        /// Threads for both.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Prompt tokens.
        #[arg(long, default_value_t = 128)]
        pp: usize,
        /// Generated tokens.
        #[arg(long, default_value_t = 64)]
        tg: usize,
        /// Repetitions.
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// llama-bench binary (default: $KUBEASK_LLAMA_BENCH or the one scripts/build-llama-bench.sh built).
        #[arg(long)]
        llama_bench: Option<PathBuf>,
        /// Tokens of shared prefix for the follow-up test.
        #[arg(long, default_value_t = 2000)]
        prefix: usize,
    },
}

fn gb(b: u64) -> String {
    format!("{:.1} GB", b as f64 / 1e9)
}

fn print_hardware(hw: &Hardware) {
    println!(
        "CPU: {} ({} cores, {} threads; llama.cpp variant: {})",
        if hw.cpu.is_empty() { "unknown" } else { &hw.cpu },
        hw.cores_physical,
        hw.cores_logical,
        hw.cpu_variant.as_deref().unwrap_or("unknown")
    );
    for note in &hw.cpu_variant_notes {
        println!("  note: {note}");
    }
    for note in &hw.gpu_notes {
        println!("GPU: none used — {note}");
    }
    println!("Memory: {} total, {} available", gb(hw.ram_total), gb(hw.ram_available));
    println!("Backends: {}", if hw.backends.is_empty() { "none found".to_string() } else { hw.backends.join(", ") });
    for d in hw.devices.iter().filter(|d| d.is_gpu()) {
        println!("GPU: {} ({}), {} free of {}", d.description, d.backend, gb(d.memory_free), gb(d.memory_total));
    }
}

async fn run_download(
    store: &ModelStore,
    model: String,
    file: Option<String>,
    revision: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let req = match (&file, catalog::find(&model)) {
        (None, Some(m)) => {
            let hw = Hardware::detect_host();
            if let Err(e) = hardware::check_fit(&m.name, m.ram_bytes, &hw) {
                eprintln!("warning: {e}");
            }
            let mut r = m.download_request();
            if let Some(rev) = revision {
                r.revision = rev;
            }
            r
        }
        (Some(f), _) => {
            let mut r = DownloadRequest::new(model.clone(), f.clone());
            r.revision = revision.unwrap_or_else(|| "main".into());
            r
        }
        (None, None) => anyhow::bail!(
            "{model} is not in the catalog (see `kubeask models catalog`); to download any file give the repository and the file: kubeask models download ORG/REPO FILE.gguf"
        ),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.store(true, Ordering::SeqCst);
        }
    });
    eprintln!("Downloading {} from {} into {}", req.file, req.repo, store.dir().display());
    std::fs::create_dir_all(store.dir())?;
    let result = download::download(store.dir(), &req, &cancel, |ev| match ev {
        DownloadEvent::Started { total, resumed_from } if resumed_from > 0 => {
            eprintln!("Resuming at {} of {}", gb(resumed_from), gb(total))
        }
        DownloadEvent::Started { .. } => {}
        DownloadEvent::Progress(p) => {
            let pct = if p.total > 0 { p.downloaded as f64 * 100.0 / p.total as f64 } else { 0.0 };
            let eta = p.eta_secs.map(|s| format!(", {s:.0} s left")).unwrap_or_default();
            eprint!(
                "\r{pct:5.1}%  {} of {}  {:.1} MB/s{eta}      ",
                gb(p.downloaded),
                gb(p.total),
                p.bytes_per_sec / 1e6
            );
            let _ = std::io::stderr().flush();
        }
        DownloadEvent::Retrying { attempt, reason } => {
            eprintln!("\nconnection lost ({reason}); resuming (attempt {attempt})")
        }
        DownloadEvent::Verifying => eprintln!("\nVerifying the checksum and the GGUF header…"),
    })
    .await;
    match result {
        Ok(done) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                println!(
                    "Installed {} ({}), sha256 {} checked against {}.",
                    done.path.display(),
                    gb(done.size),
                    done.sha256,
                    done.verified_against
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(download::DownloadError::Cancelled) => {
            eprintln!("\nCancelled; run the same command again to resume.");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(e.into()),
    }
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
        Action::Recommend => {
            let hw = kubeask_llm::engine::detect_hardware();
            let rec = hardware::recommend(&hw, &catalog::builtin());
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"hardware": hw, "recommendation": rec}))?
                );
            } else {
                print_hardware(&hw);
                match rec {
                    Some(r) => println!(
                        "Recommended: {} ({}, {} to download), {} threads, {} GPU layers.\n{}.\nDownload it with: kubeask models download {}",
                        r.model.name,
                        r.model.quant,
                        gb(r.model.size_bytes),
                        r.threads,
                        if r.gpu_layers == u32::MAX { "all".to_string() } else { r.gpu_layers.to_string() },
                        r.reason,
                        r.model.id
                    ),
                    None => println!("No catalog model fits in the memory available; direct mode still answers the common questions."),
                }
            }
        }
        Action::Variants { retest } => {
            let all = kubeask_llm::engine::cpu_variants(retest)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for v in &all {
                    let ms = v.ms.map(|m| format!("{m:.0} ms")).unwrap_or_else(|| "-".into());
                    let src = if v.cached { "cached" } else { "tested now" };
                    let excl = if v.excluded { " [never chosen: see docs/amx.md]" } else { "" };
                    let why = if v.reason.is_empty() { String::new() } else { format!(": {}", v.reason) };
                    println!("{:<16} {:<12} {:>8} ({src}){excl}{why}", v.variant, v.verdict, ms);
                }
            }
        }
        Action::Catalog => {
            // NB: with the GPUs llama.cpp sees, as `models recommend` does.
            let hw = kubeask_llm::engine::detect_hardware();
            let entries = kubeask_llm::choices::entries(&hw, &store);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in entries {
                    let m = &e.model;
                    let fits = if e.fits { "fits" } else { "too big here" };
                    let marks = match (e.recommended, e.installed) {
                        (true, true) => "  (recommended, installed)",
                        (true, false) => "  (recommended)",
                        (false, true) => "  (installed)",
                        (false, false) => "",
                    };
                    println!(
                        "{:40} {:>8} {:7} needs {:>8}  {:12} {}{marks}",
                        m.id,
                        gb(m.size_bytes),
                        m.quant,
                        gb(m.ram_bytes),
                        fits,
                        m.license
                    );
                }
            }
        }
        Action::Download { model, file, revision } => {
            return run_download(&store, model, file, revision, args.json).await
        }
        Action::Bench { model, threads, pp, tg, reps, llama_bench, prefix } => {
            let opts = bench::BenchOptions {
                model,
                threads,
                pp,
                tg,
                reps: reps.max(1),
                llama_bench: llama_bench.or_else(bench::find_llama_bench),
                prefix_tokens: prefix,
            };
            let report = tokio::task::spawn_blocking(move || bench::run(&opts)).await??;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                let o = &report.ours;
                println!(
                    "kubeask: pp{pp} {:.1} tok/s, tg{tg} {:.1} tok/s, ttft {:.1} ms, load {:.0} ms (CPU variant {})",
                    o.pp,
                    o.tg,
                    o.ttft_ms,
                    o.load_ms,
                    report.cpu_variant.as_deref().unwrap_or("?")
                );
                match (&report.llama_bench, &report.ratio) {
                    (Some(a), Some(r)) => {
                        println!("llama-bench: pp{pp} {:.1} tok/s, tg{tg} {:.1} tok/s", a.pp, a.tg);
                        println!("ratio kubeask/llama-bench: pp {:.2}, tg {:.2}", r.pp, r.tg);
                    }
                    _ => println!("llama-bench: {}", report.llama_bench_note.as_deref().unwrap_or("not run")),
                }
                let p = &report.prefix;
                println!(
                    "follow-up with a {}-token cached prefix: ttft {:.1} ms, cold {:.1} ms",
                    p.prefix_tokens, p.warm_ttft_ms, p.cold_ttft_ms
                );
            }
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
