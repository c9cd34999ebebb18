//! Native code is tried in a child process before this one runs it.
//!
//! llama.cpp is C++ with hand-written SIMD kernels: a kernel that uses an
//! instruction the OS does not enable (AMX tiles, see `docs/amx.md`), a
//! `GGML_ASSERT` on a malformed tensor or a failed allocation ends the
//! whole process. So a CPU backend module and a new model file are first
//! exercised by a copy of this program — the host binary itself when its
//! `main` calls [`serve_child_if_requested`] (the `kubeask` CLI and the
//! desktop app do), else the `kubeask-cpu-probe` helper beside it. A crash
//! kills the child; the app reads how it died and moves on.

use std::io::{Read, Write};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{list_llama_ggml_backend_devices, LlamaBackendDeviceType, LogOptions};
use serde::{Deserialize, Serialize};

/// Env var carrying a [`Job`] (JSON) to a child: its presence makes the
/// program a self-test child.
pub const CHILD_ENV: &str = "KUBEASK_SELFTEST";
/// Env var naming the program to run self-tests with (overrides the search).
pub const PROBE_EXE_ENV: &str = "KUBEASK_PROBE_EXE";
/// The helper binary's name (built from this crate).
pub const PROBE_NAME: &str = "kubeask-cpu-probe";

/// Child exit code: the module scored 0 (this CPU lacks its instructions).
const EXIT_UNSUPPORTED: i32 = 3;
/// Child exit code: a clean failure (llama.cpp returned an error).
const EXIT_ERROR: i32 = 2;

/// Set when the host's `main` handles self-test requests itself.
static HOST_SERVES_CHILDREN: AtomicBool = AtomicBool::new(false);

/// What a child runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub(crate) enum Job {
    /// Load the CPU modules in `backends_dir` (one, for a variant test) and
    /// evaluate a prompt batch and a few single tokens of `model`.
    Cpu { backends_dir: PathBuf, model: PathBuf },
    /// Load `model` with the chosen backends and evaluate a few tokens.
    Model { backends_dir: PathBuf, model: PathBuf },
}

/// Call first in `main`: when this process was started as a self-test
/// child, runs the test and exits; otherwise records that this program can
/// serve as its own child and returns.
pub fn serve_child_if_requested() {
    HOST_SERVES_CHILDREN.store(true, Ordering::SeqCst);
    let Some(raw) = std::env::var_os(CHILD_ENV) else { return };
    let code = match serde_json::from_str::<Job>(&raw.to_string_lossy()) {
        Ok(job) => run_job(&job),
        Err(e) => {
            println!("error bad self-test request: {e}");
            EXIT_ERROR
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn run_job(job: &Job) -> i32 {
    // llama.cpp logs to stderr by default; the parent keeps stderr only to
    // quote an assert message, so route the chatter to (absent) tracing.
    llama_cpp_2::send_logs_to_tracing(LogOptions::default());
    let (dir, model, n_prompt, n_decode) = match job {
        Job::Cpu { backends_dir, model } => (backends_dir, model, 48, 4),
        Job::Model { backends_dir, model } => (backends_dir, model, 4, 1),
    };
    llama_cpp_2::llama_backend::load_backends_from_path(dir);
    // NB: checked before init: with nothing registered, llama.cpp's init
    // loads the best module from its default folders instead (which may be
    // the very module a test is meant to avoid).
    if !has_cpu_device() {
        println!("unsupported");
        return EXIT_UNSUPPORTED;
    }
    let backend = match LlamaBackend::init() {
        Ok(b) => b,
        Err(e) => {
            println!("error llama.cpp failed to start: {e}");
            return EXIT_ERROR;
        }
    };
    println!("variant {}", super::backend::loaded_cpu_variant().unwrap_or_default());
    let _ = std::io::stdout().flush();
    match exercise(&backend, model, n_prompt, n_decode) {
        Ok(ms) => {
            println!("ok {ms:.1}");
            0
        }
        Err(e) => {
            println!("error {e}");
            EXIT_ERROR
        }
    }
}

/// Whether a CPU backend is registered (llama.cpp loaded a CPU module).
pub(crate) fn has_cpu_device() -> bool {
    list_llama_ggml_backend_devices().iter().any(|d| d.device_type == LlamaBackendDeviceType::Cpu)
}

/// Loads `path` on the CPU and evaluates `n_prompt` tokens as one batch
/// (the prompt kernels) then `n_decode` single tokens (the generation
/// kernels), on two threads so worker threads run kernels too. Logits must
/// be finite. Returns the time taken, ms.
fn exercise(backend: &LlamaBackend, path: &Path, n_prompt: usize, n_decode: usize) -> Result<f64, String> {
    let started = Instant::now();
    let params = LlamaModelParams::default().with_n_gpu_layers(0);
    let model = LlamaModel::load_from_file(backend, path, &params).map_err(|e| format!("could not load: {e}"))?;
    let ctx_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(256))
        .with_n_batch(64)
        .with_n_ubatch(64)
        .with_n_threads(2)
        .with_n_threads_batch(2);
    let mut ctx = model.new_context(backend, ctx_params).map_err(|e| format!("could not create a context: {e}"))?;
    let text = "Kubeask checks that this machine runs llama.cpp: pods, nodes, deployments, services, events and logs.";
    let mut tokens = model.vocab().tokenize(text.as_bytes(), false, false);
    tokens.truncate(n_prompt);
    if tokens.is_empty() {
        return Err("the model's tokenizer produced no tokens".into());
    }
    let mut batch = LlamaBatch::new(64, 1);
    for (i, t) in tokens.iter().enumerate() {
        batch.add(*t, i as i32, &[0], i + 1 == tokens.len()).map_err(|e| e.to_string())?;
    }
    ctx.decode(&mut batch).map_err(|e| format!("prompt evaluation failed: {e}"))?;
    let mut logits_idx = tokens.len() as i32 - 1;
    for pos in tokens.len()..tokens.len() + n_decode {
        let logits = ctx.get_logits_ith(logits_idx);
        if logits.iter().any(|x| !x.is_finite()) {
            return Err("computed non-finite logits".into());
        }
        let best = logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
        batch.clear();
        batch.add(LlamaToken(best as i32), pos as i32, &[0], true).map_err(|e| e.to_string())?;
        ctx.decode(&mut batch).map_err(|e| format!("token evaluation failed: {e}"))?;
        logits_idx = 0;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// The program that runs self-tests, if there is one.
fn probe_exe() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(PROBE_EXE_ENV) {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    if HOST_SERVES_CHILDREN.load(Ordering::SeqCst) {
        return Some(exe);
    }
    // Test binaries live in target/<profile>/deps, bins one level up;
    // bundles keep the helper with the libraries.
    let dir = exe.parent()?;
    let name = format!("{PROBE_NAME}{}", std::env::consts::EXE_SUFFIX);
    [dir.join(&name), dir.join("..").join(&name), dir.join("../lib/kubeask").join(&name)]
        .into_iter()
        .find(|p| p.is_file())
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it (SIGILL, SIGSEGV, SIGABRT, …).
    Signal(i32),
    /// It ran past its deadline and was killed.
    TimedOut(Duration),
}

/// What a child printed and how it ended.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    pub ms: f64,
}

impl Outcome {
    /// The value of the first stdout line starting with `key `.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.stdout.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')).map(str::trim)
    }

    pub fn passed(&self) -> bool {
        self.exit == Exit::Code(0) && self.stdout.lines().any(|l| l.starts_with("ok"))
    }

    pub fn unsupported(&self) -> bool {
        self.exit == Exit::Code(EXIT_UNSUPPORTED)
    }

    /// Why it failed, in words: how it died `during` what, and llama.cpp's
    /// last words (an assert message) when it left any.
    pub fn failure(&self, during: &str) -> String {
        let how = match &self.exit {
            Exit::Signal(s) => format!("crashed {during} ({})", signal_name(*s)),
            Exit::TimedOut(d) => format!("did not finish {during} within {} s", d.as_secs()),
            Exit::Code(_) => match self.field("error") {
                Some(e) => format!("failed {during}: {e}"),
                None => format!("failed {during} (exit {})", self.exit_code().unwrap_or(-1)),
            },
        };
        let last = self.stderr.lines().rev().find(|l| l.contains("GGML_ASSERT") || l.contains("error"));
        match last {
            Some(l) if !matches!(self.exit, Exit::Code(_)) => format!("{how}: {}", clip(l.trim(), 200)),
            _ => how,
        }
    }

    fn exit_code(&self) -> Option<i32> {
        match self.exit {
            Exit::Code(c) => Some(c),
            _ => None,
        }
    }
}

/// At most `n` characters of `s` (never cut inside a character).
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Names of the signals a native crash raises.
pub(crate) fn signal_name(sig: i32) -> String {
    match sig {
        4 => "illegal instruction".into(),
        6 => "abort".into(),
        7 => "bus error".into(),
        8 => "arithmetic exception".into(),
        11 => "segmentation fault".into(),
        9 => "killed".into(),
        n => format!("signal {n}"),
    }
}

/// Runs `job` in a child and waits at most `timeout`. `None` when no
/// program to run it with is found (a library user without the helper).
pub(crate) fn run(job: &Job, timeout: Duration) -> Option<Result<Outcome, String>> {
    let exe = probe_exe()?;
    let _span = tracing::info_span!("self_test", exe = %exe.display()).entered();
    Some(run_with(&exe, job, timeout))
}

fn run_with(exe: &Path, job: &Job, timeout: Duration) -> Result<Outcome, String> {
    let started = Instant::now();
    let request = serde_json::to_string(job).map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(CHILD_ENV, request)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the self-test ({}): {e}", exe.display()))?;
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => break exit_of(status),
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Exit::TimedOut(timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for the self-test: {e}")),
        }
    };
    let join = |h: Option<std::thread::JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Outcome { exit, stdout: join(out), stderr: join(err), ms: started.elapsed().as_secs_f64() * 1000.0 })
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn exit_of(status: std::process::ExitStatus) -> Exit {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Exit::Signal(sig);
        }
    }
    match status.code() {
        // Windows reports a crash as an NTSTATUS exit code.
        Some(c) if c as u32 == 0xC000_001D => Exit::Signal(4),
        Some(c) if c as u32 == 0xC000_0005 => Exit::Signal(11),
        Some(c) => Exit::Code(c),
        None => Exit::Signal(0),
    }
}

/// How long checking a model file may take: loading and a few tokens,
/// read from disk once (the page cache then serves the real load).
fn model_check_timeout(path: &Path) -> Duration {
    let gb = std::fs::metadata(path).map_or(0, |m| m.len()) / 1_000_000_000;
    Duration::from_secs(120 + 60 * gb)
}

/// Loads `model` in a child with the backends in `backends_dir` before this
/// process does: a file that makes llama.cpp abort (a `GGML_ASSERT` on a
/// malformed tensor, an allocation failure) is refused with its reason
/// instead of ending the app. The verdict is kept per file (size, mtime).
/// `Ok` also when no program to check with exists (nothing can be done).
pub(crate) fn check_model(model: &Path, backends_dir: &Path) -> Result<(), String> {
    use super::variants::{fingerprint, ModelVerdict, Verdicts};
    let key = format!("{}|{}", fingerprint(model), backends_dir.display());
    let mut verdicts = Verdicts::load();
    if let Some(v) = verdicts.model(&key) {
        return if v.ok { Ok(()) } else { Err(v.reason.clone()) };
    }
    let job = Job::Model { backends_dir: backends_dir.to_path_buf(), model: model.to_path_buf() };
    let out = match run(&job, model_check_timeout(model)) {
        None => return Ok(()),
        Some(Err(e)) => {
            tracing::warn!("model file check unavailable: {e}");
            return Ok(());
        }
        Some(Ok(out)) => out,
    };
    tracing::info!(model = %model.display(), ms = out.ms, ok = out.passed(), "model file checked in a child process");
    let reason = if out.passed() { String::new() } else { out.failure("while a test process loaded it") };
    // A timeout may be a busy machine, not a bad file: not remembered.
    if !matches!(out.exit, Exit::TimedOut(_)) {
        verdicts.put_model(ModelVerdict { key, ok: out.passed(), reason: reason.clone() });
        verdicts.save();
    }
    if out.passed() {
        Ok(())
    } else {
        Err(reason)
    }
}
