//! The llama.cpp engine: one thread owns the backend, model and context;
//! requests arrive on a channel, tokens leave on another. Callers never
//! block on inference (the UI stays live), a generation is cancelled within
//! one token, and a request whose prompt starts like the previous one's
//! (system prompt + cluster summary) does not process that prefix again.

mod backend;
mod prompt;
pub use prompt::neutralize_common;
mod sampler;
pub mod selftest;
mod variants;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use serde::Serialize;
use tokio::sync::{mpsc as tmpsc, oneshot};

pub use backend::{backend_info, cpu_variants, detect_hardware, BackendInfo, BACKENDS_ENV};
pub use prompt::{fallback_template, ChatMessage, TemplateSource};
pub use sampler::{GrammarStats, Sampling};
pub use selftest::serve_child_if_requested;
pub use variants::{SkippedVariant, VariantStatus, FORCE_ENV as CPU_VARIANT_ENV};

use crate::hardware::DoesNotFit;

/// What went wrong, in words a user can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// No model is loaded.
    #[error("no model is loaded: load one first (kubeask models list)")]
    NotLoaded,
    /// The file is not a usable GGUF (the reader's message).
    #[error("{0}")]
    Invalid(String),
    /// The model does not fit in memory.
    #[error(transparent)]
    DoesNotFit(#[from] DoesNotFit),
    /// llama.cpp could not load the model.
    #[error("llama.cpp could not load {path}: {reason}")]
    Load {
        /// The file.
        path: String,
        /// What llama.cpp said.
        reason: String,
    },
    /// The prompt does not fit in the context window.
    #[error(
        "the prompt is {prompt_tokens} tokens but the context holds {n_ctx} \
         (with {reserve} kept for the answer): shorten the input or load the model with a larger context"
    )]
    ContextOverflow {
        /// Tokens in the prompt.
        prompt_tokens: usize,
        /// Context size.
        n_ctx: usize,
        /// Tokens reserved for the answer.
        reserve: usize,
    },
    /// The grammar is invalid or allows nothing.
    #[error("grammar: {0}")]
    Grammar(String),
    /// The chat template failed.
    #[error("chat template: {0}")]
    Template(String),
    /// llama.cpp failed while evaluating.
    #[error("inference failed: {0}")]
    Decode(String),
    /// The llama.cpp backend could not start.
    #[error("{0}")]
    Backend(String),
    /// The engine thread has stopped.
    #[error("the model engine has stopped")]
    Stopped,
}

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The GGUF file.
    pub path: PathBuf,
    /// Context window, tokens.
    pub n_ctx: u32,
    /// Threads (default: physical cores).
    pub threads: Option<usize>,
    /// Layers to offload to a GPU (default: as many as fit; 0 on CPU).
    pub gpu_layers: Option<u32>,
    /// Skip the free-memory check (tests with tiny models on busy machines).
    pub skip_memory_check: bool,
}

impl LoadOptions {
    /// Defaults for `path`: 8k context, threads and offload from the hardware.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), n_ctx: 8192, threads: None, gpu_layers: None, skip_memory_check: false }
    }
}

/// The loaded model, as the status panel shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ModelInfo {
    /// The file.
    pub path: PathBuf,
    /// `general.name`, or the file name.
    pub name: String,
    /// Architecture (`qwen2`, `gemma3`, …).
    pub architecture: String,
    /// Quantization from the header.
    pub quantization: Option<String>,
    /// Backend (`CPU`, `CUDA`, …).
    pub backend: String,
    /// Device description.
    pub device: String,
    /// The CPU variant in use (`haswell`, `icelake`, …).
    pub cpu_variant: Option<String>,
    /// Layers offloaded to the GPU.
    pub gpu_layers: u32,
    /// Layers in the model.
    pub n_layers: u32,
    /// Context window.
    pub n_ctx: u32,
    /// Threads.
    pub threads: usize,
    /// Vocabulary size.
    pub n_vocab: i32,
    /// Load time, ms.
    pub load_ms: f64,
    /// Whether the GGUF carries a chat template (else a built-in one is used).
    pub has_chat_template: bool,
}

/// Why a generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model ended its turn (or the grammar was complete).
    EndOfTurn,
    /// `max_tokens` reached.
    MaxTokens,
    /// A stop string appeared.
    StopString,
    /// Cancelled by the caller.
    Cancelled,
    /// The context window is full.
    ContextFull,
}

/// Figures for one generation.
#[derive(Debug, Clone, Serialize)]
pub struct RunStats {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Of those, how many were already in the cache (prefix reuse).
    pub reused_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Time to first token, ms.
    pub ttft_ms: f64,
    /// Prompt processing speed, tokens/s (of the tokens actually processed).
    pub prompt_tps: f64,
    /// Generation speed, tokens/s (after the first token).
    pub gen_tps: f64,
    /// Whole request, ms.
    pub total_ms: f64,
    /// Why it stopped.
    pub stop: StopReason,
    /// How the grammar settled tokens.
    pub grammar: GrammarStats,
    /// Which chat template formatted the prompt (None for raw prompts).
    pub template: Option<TemplateSource>,
}

/// The prompt of a request.
#[derive(Debug, Clone)]
pub enum Prompt {
    /// Chat messages, formatted with the model's template.
    Chat(Vec<ChatMessage>),
    /// Text used as is.
    Raw(String),
    /// Token ids used as is (benchmarks).
    Tokens(Vec<i32>),
}

/// One generation request.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    /// What to continue.
    pub prompt: Prompt,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Sampling options.
    pub sampling: Sampling,
    /// GBNF grammar (root rule `root`) the output must follow.
    pub grammar: Option<String>,
    /// Strings that end the generation (not included in the output).
    pub stop: Vec<String>,
    /// Keep generating past end-of-turn tokens (benchmarks).
    pub ignore_eog: bool,
}

impl GenerateRequest {
    /// A chat request with defaults: greedy, 512 tokens, no grammar.
    pub fn chat(messages: Vec<ChatMessage>) -> Self {
        Self {
            prompt: Prompt::Chat(messages),
            max_tokens: 512,
            sampling: Sampling::default(),
            grammar: None,
            stop: vec![],
            ignore_eog: false,
        }
    }
    /// A raw-text request with defaults.
    pub fn raw(text: impl Into<String>) -> Self {
        Self { prompt: Prompt::Raw(text.into()), ..Self::chat(vec![]) }
    }
    /// Sets the grammar.
    pub fn with_grammar(mut self, gbnf: impl Into<String>) -> Self {
        self.grammar = Some(gbnf.into());
        self
    }
    /// Sets the token limit.
    pub fn with_max_tokens(mut self, n: usize) -> Self {
        self.max_tokens = n;
        self
    }
}

/// What a generation streams.
#[derive(Debug, Clone)]
pub enum GenEvent {
    /// Text (whole UTF-8 characters).
    Token(String),
    /// Finished.
    Done(RunStats),
    /// Failed.
    Error(EngineError),
}

/// A running generation: its events, and a handle to cancel it.
pub struct Generation {
    events: tmpsc::UnboundedReceiver<GenEvent>,
    cancel: Arc<AtomicBool>,
}

/// A finished generation's text and figures.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The text.
    pub text: String,
    /// The figures.
    pub stats: RunStats,
}

impl Generation {
    /// Stops the generation within one token.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
    /// A handle that cancels this generation from elsewhere.
    pub fn canceller(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
    /// The next event (async).
    pub async fn next(&mut self) -> Option<GenEvent> {
        self.events.recv().await
    }
    /// The next event, blocking the thread (not for async code).
    pub fn next_blocking(&mut self) -> Option<GenEvent> {
        self.events.blocking_recv()
    }
    /// Waits for the whole text (async).
    pub async fn complete(mut self) -> Result<Completion, EngineError> {
        let mut text = String::new();
        while let Some(ev) = self.next().await {
            match ev {
                GenEvent::Token(t) => text.push_str(&t),
                GenEvent::Done(stats) => return Ok(Completion { text, stats }),
                GenEvent::Error(e) => return Err(e),
            }
        }
        Err(EngineError::Stopped)
    }
    /// Waits for the whole text, blocking the thread.
    pub fn complete_blocking(mut self) -> Result<Completion, EngineError> {
        let mut text = String::new();
        while let Some(ev) = self.next_blocking() {
            match ev {
                GenEvent::Token(t) => text.push_str(&t),
                GenEvent::Done(stats) => return Ok(Completion { text, stats }),
                GenEvent::Error(e) => return Err(e),
            }
        }
        Err(EngineError::Stopped)
    }
}

/// A generation nobody waits for any more (its reader dropped it: a closed
/// HTTP connection, a window that went away) stops within a token instead
/// of holding the engine until its token budget runs out.
impl Drop for Generation {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// The engine's state, readable at any time (also mid-generation).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineStatus {
    /// The loaded model.
    pub model: Option<ModelInfo>,
    /// Whether a generation is running.
    pub busy: bool,
    /// The last finished generation's figures.
    pub last_run: Option<RunStats>,
}

type Progress = Box<dyn FnMut(f32) + Send>;

enum Command {
    Load { opts: LoadOptions, progress: Progress, reply: oneshot::Sender<Result<ModelInfo, EngineError>> },
    Unload { reply: oneshot::Sender<()> },
    Generate { req: GenerateRequest, events: tmpsc::UnboundedSender<GenEvent>, cancel: Arc<AtomicBool> },
    CountTokens { text: String, reply: oneshot::Sender<Result<usize, EngineError>> },
    PromptTokens { messages: Vec<ChatMessage>, reply: oneshot::Sender<Result<Vec<i32>, EngineError>> },
}

pub(crate) struct Shared {
    status: Mutex<EngineStatus>,
    current: Mutex<Option<Arc<AtomicBool>>>,
}

/// A handle to the engine thread; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
}

impl Engine {
    /// Starts the engine thread (the llama.cpp backend starts on first load).
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared { status: Mutex::new(EngineStatus::default()), current: Mutex::new(None) });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("kubeask-llm".into())
            .spawn(move || worker::run(rx, s))
            .expect("spawning the engine thread");
        Self { tx, shared }
    }

    /// Loads a model (replacing any loaded one), reporting progress 0..1.
    pub async fn load(
        &self,
        opts: LoadOptions,
        progress: impl FnMut(f32) + Send + 'static,
    ) -> Result<ModelInfo, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Load { opts, progress: Box::new(progress), reply }).map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Loads a model, blocking the thread.
    pub fn load_blocking(&self, opts: LoadOptions) -> Result<ModelInfo, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::Load { opts, progress: Box::new(|_| {}), reply }).map_err(|_| EngineError::Stopped)?;
        rx.blocking_recv().map_err(|_| EngineError::Stopped)?
    }

    /// Unloads the model, freeing its memory.
    pub async fn unload(&self) -> Result<(), EngineError> {
        let (reply, rx) = oneshot::channel();
        self.cancel();
        self.tx.send(Command::Unload { reply }).map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// Starts a generation; tokens stream on the returned handle. Requests
    /// queue: one runs at a time.
    pub fn generate(&self, req: GenerateRequest) -> Generation {
        let (etx, erx) = tmpsc::unbounded_channel();
        let cancel = Arc::new(AtomicBool::new(false));
        if self.tx.send(Command::Generate { req, events: etx.clone(), cancel: cancel.clone() }).is_err() {
            let _ = etx.send(GenEvent::Error(EngineError::Stopped));
        }
        Generation { events: erx, cancel }
    }

    /// Cancels the running generation, if any.
    pub fn cancel(&self) {
        if let Some(c) = self.shared.current.lock().expect("engine lock").as_ref() {
            c.store(true, Ordering::SeqCst);
        }
    }

    /// Tokens `text` takes with the loaded model's tokenizer (for budgeting
    /// long inputs before they reach a prompt).
    pub async fn count_tokens(&self, text: &str) -> Result<usize, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::CountTokens { text: text.to_string(), reply }).map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// The token ids a chat would be evaluated as (the template applied,
    /// control-token text in contents neutralized): what the model reads.
    pub fn prompt_tokens_blocking(&self, messages: Vec<ChatMessage>) -> Result<Vec<i32>, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Command::PromptTokens { messages, reply }).map_err(|_| EngineError::Stopped)?;
        rx.blocking_recv().map_err(|_| EngineError::Stopped)?
    }

    /// The current state.
    pub fn status(&self) -> EngineStatus {
        self.shared.status.lock().expect("engine lock").clone()
    }
}

impl From<crate::gguf::GgufError> for EngineError {
    fn from(e: crate::gguf::GgufError) -> Self {
        Self::Invalid(e.to_string())
    }
}
