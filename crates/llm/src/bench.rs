//! `kubeask models bench`: our engine's prompt and generation speed, time
//! to first token and load time, side by side with llama.cpp's own
//! `llama-bench` on the same GGUF and threads, in one run.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::engine::{ChatMessage, Engine, EngineError, GenerateRequest, LoadOptions, Prompt};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The GGUF.
    pub model: PathBuf,
    /// Threads for both.
    pub threads: usize,
    /// Prompt tokens (llama-bench `-p`).
    pub pp: usize,
    /// Generated tokens (llama-bench `-n`).
    pub tg: usize,
    /// Repetitions (llama-bench `-r`).
    pub reps: usize,
    /// The llama-bench binary, if any.
    pub llama_bench: Option<PathBuf>,
    /// Tokens of the shared prefix in the follow-up test.
    pub prefix_tokens: usize,
}

/// Our figures.
#[derive(Debug, Clone, Serialize)]
pub struct Ours {
    /// Prompt processing, tokens/s.
    pub pp: f64,
    /// Generation, tokens/s.
    pub tg: f64,
    /// Time to first token for a `pp`-token prompt, ms.
    pub ttft_ms: f64,
    /// Model load, ms.
    pub load_ms: f64,
}

/// llama-bench's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Anchor {
    /// Prompt processing, tokens/s.
    pub pp: f64,
    /// Generation, tokens/s.
    pub tg: f64,
}

/// Follow-up question with a cached prefix, against the same question cold.
#[derive(Debug, Clone, Serialize)]
pub struct PrefixFigures {
    /// Tokens in the shared prefix.
    pub prefix_tokens: usize,
    /// Time to first token with nothing cached, ms.
    pub cold_ttft_ms: f64,
    /// Time to first token with the prefix cached, ms.
    pub warm_ttft_ms: f64,
    /// Tokens the warm request reused.
    pub reused_tokens: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Ours.
    pub ours: Ours,
    /// llama-bench, when it ran.
    pub llama_bench: Option<Anchor>,
    /// ours / llama-bench.
    pub ratio: Option<Anchor>,
    /// Prefix reuse.
    pub prefix: PrefixFigures,
    /// The CPU variant our engine used.
    pub cpu_variant: Option<String>,
    /// Why llama-bench did not run, if it did not.
    pub llama_bench_note: Option<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Pseudo-random token ids, like llama-bench's (it feeds random tokens).
fn random_tokens(n: usize, n_vocab: i32, seed: u64) -> Vec<i32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 33) % n_vocab as u64) as i32
        })
        .collect()
}

/// Runs our side and llama-bench's.
pub fn run(opts: &BenchOptions) -> Result<BenchReport, EngineError> {
    let engine = Engine::start();
    let mut load = LoadOptions::new(&opts.model);
    load.threads = Some(opts.threads);
    load.n_ctx = (opts.prefix_tokens + opts.pp + opts.tg + 256).max(4096) as u32;
    let info = engine.load_blocking(load)?;
    let n_vocab = info.n_vocab;

    let mut pp = Vec::new();
    let mut ttft = Vec::new();
    let mut tg = Vec::new();
    // One warm-up, then the measured repetitions; each prompt differs from
    // the cached one from its first token, so nothing is reused.
    for rep in 0..=opts.reps {
        let req = GenerateRequest {
            prompt: Prompt::Tokens(random_tokens(opts.pp, n_vocab, rep as u64 * 2 + 1)),
            ..GenerateRequest::raw("")
        }
        .with_max_tokens(1);
        let p = engine.generate(req).complete_blocking()?;
        let mut req = GenerateRequest {
            prompt: Prompt::Tokens(random_tokens(1, n_vocab, rep as u64 * 2 + 2)),
            ignore_eog: true,
            ..GenerateRequest::raw("")
        };
        req.max_tokens = opts.tg;
        let g = engine.generate(req).complete_blocking()?;
        if rep > 0 {
            pp.push(p.stats.prompt_tps);
            ttft.push(p.stats.ttft_ms);
            tg.push(g.stats.gen_tps);
        }
    }
    let ours = Ours { pp: median(pp), tg: median(tg), ttft_ms: median(ttft), load_ms: info.load_ms };

    // Follow-up with a cached prefix, against the same question cold.
    let words = "The cluster runs web, api, db and cache services across three nodes. ";
    // Grow the system prompt to the wanted size by the model's own count.
    let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| EngineError::Backend(e.to_string()))?;
    let per = rt.block_on(engine.count_tokens(words))?.max(1);
    let system = words.repeat(opts.prefix_tokens.div_ceil(per));
    let ask = |q: &str| {
        GenerateRequest::chat(vec![ChatMessage::new("system", &system), ChatMessage::new("user", q)]).with_max_tokens(1)
    };
    engine.generate(GenerateRequest::raw("unrelated").with_max_tokens(1)).complete_blocking()?;
    let cold = engine.generate(ask("Which pods are failing?")).complete_blocking()?;
    engine.generate(ask("How many nodes are there?")).complete_blocking()?;
    let warm = engine.generate(ask("Which pods are failing?")).complete_blocking()?;
    let prefix = PrefixFigures {
        prefix_tokens: warm.stats.reused_tokens,
        cold_ttft_ms: cold.stats.ttft_ms,
        warm_ttft_ms: warm.stats.ttft_ms,
        reused_tokens: warm.stats.reused_tokens,
    };
    drop(engine);

    let (llama_bench, note) = match &opts.llama_bench {
        None => (None, Some("llama-bench not found: build it with scripts/build-llama-bench.sh".to_string())),
        Some(bin) => match llama_bench(bin, opts) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e)),
        },
    };
    let ratio = llama_bench.as_ref().map(|a| Anchor { pp: ours.pp / a.pp, tg: ours.tg / a.tg });
    Ok(BenchReport { ours, llama_bench, ratio, prefix, cpu_variant: info.cpu_variant, llama_bench_note: note })
}

fn llama_bench(bin: &Path, opts: &BenchOptions) -> Result<Anchor, String> {
    let out = Command::new(bin)
        .args(["-m", &opts.model.display().to_string()])
        .args(["-t", &opts.threads.to_string()])
        .args(["-p", &opts.pp.to_string(), "-n", &opts.tg.to_string(), "-r", &opts.reps.to_string()])
        .args(["-o", "json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "llama-bench failed: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("llama-bench output is not JSON: {e}"))?;
    let speed = |want_prompt: bool| {
        rows.iter()
            .find(|r| (r["n_prompt"].as_u64().unwrap_or(0) > 0) == want_prompt)
            .and_then(|r| r["avg_ts"].as_f64())
            .ok_or_else(|| "llama-bench printed no result".to_string())
    };
    Ok(Anchor { pp: speed(true)?, tg: speed(false)? })
}

/// Where llama-bench is: `$KUBEASK_LLAMA_BENCH`, or where
/// `scripts/build-llama-bench.sh` puts it.
pub fn find_llama_bench() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEASK_LLAMA_BENCH") {
        return Some(PathBuf::from(p));
    }
    let p = kubeask_paths::cache_dir().join("llama-bench/bin/llama-bench");
    p.is_file().then_some(p)
}
