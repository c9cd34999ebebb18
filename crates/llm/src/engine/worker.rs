//! The engine thread. The context borrows the model, so both live on this
//! thread's stack inside [`serve`], and a new `Load` returns from it (which
//! frees the old model) before the next model is loaded.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc as tmpsc;

use super::sampler::{Sampler, VocabIndex};
use super::{
    backend, prompt, Command, EngineError, GenEvent, GenerateRequest, ModelInfo, Prompt, RunStats, Shared, StopReason,
};
use crate::gguf::{self, GgufInfo};
use crate::hardware::{self, Hardware};

/// Prompt tokens evaluated per decode call.
const N_BATCH: u32 = 512;

pub(super) fn run(rx: mpsc::Receiver<Command>, shared: Arc<Shared>) {
    let mut next: Option<Command> = None;
    loop {
        let Some(cmd) = next.take().or_else(|| rx.recv().ok()) else { return };
        match cmd {
            Command::Load { opts, mut progress, reply } => {
                let loaded = load(&opts, &mut progress);
                match loaded {
                    Ok((model, info, arch)) => {
                        next = serve(model, info, arch, &opts, reply, &rx, &shared);
                        let mut st = shared.status.lock().expect("engine lock");
                        st.model = None;
                        st.busy = false;
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::Unload { reply } => {
                let _ = reply.send(());
            }
            Command::Generate { events, .. } => {
                let _ = events.send(GenEvent::Error(EngineError::NotLoaded));
            }
            Command::CountTokens { reply, .. } => {
                let _ = reply.send(Err(EngineError::NotLoaded));
            }
            Command::PromptTokens { reply, .. } => {
                let _ = reply.send(Err(EngineError::NotLoaded));
            }
        }
    }
}

/// Bytes a model needs beyond its weights: KV cache (f16 K and V for every
/// layer) and compute buffers.
fn runtime_bytes(info: &GgufInfo, n_ctx: u32) -> u64 {
    let layers = info.arch_u64("block_count").unwrap_or(32);
    let embd = info.arch_u64("embedding_length").unwrap_or(4096);
    let heads = info.arch_u64("attention.head_count").unwrap_or(32).max(1);
    let kv_heads = info.arch_u64("attention.head_count_kv").unwrap_or(heads);
    let head_dim = info.arch_u64("attention.key_length").unwrap_or(embd / heads);
    let kv = 2 * layers * u64::from(n_ctx) * kv_heads * head_dim * 2;
    kv + 200_000_000
}

type Loaded = (LlamaModel, ModelInfo, String);

fn load(opts: &super::LoadOptions, progress: &mut super::Progress) -> Result<Loaded, EngineError> {
    let _span = tracing::info_span!("load_model", path = %opts.path.display()).entered();
    let started = Instant::now();
    let header = gguf::validate(&opts.path)?;
    let arch = header.architecture().unwrap_or_default().to_string();
    let backend_ref = backend::backend()?;
    let info = backend::backend_info()?;
    let mut hw = Hardware::detect_host();
    hw.devices = info.devices.clone();
    let needed = header.file_size + runtime_bytes(&header, opts.n_ctx);
    if !opts.skip_memory_check {
        hardware::check_fit(&header.name().map(str::to_string).unwrap_or_else(|| file_name(opts)), needed, &hw)?;
    }
    let n_layers = header.arch_u64("block_count").unwrap_or(0) as u32;
    let gpu = hw.best_gpu().cloned();
    let gpu_layers = match (opts.gpu_layers, &gpu) {
        (Some(n), Some(_)) => n.min(n_layers + 1),
        (None, Some(g)) if g.memory_free > needed => n_layers + 1,
        (None, Some(g)) if n_layers > 0 => {
            let per_layer = (header.file_size / u64::from(n_layers)).max(1);
            (g.memory_free.saturating_sub(runtime_bytes(&header, opts.n_ctx)) / per_layer).min(u64::from(n_layers))
                as u32
        }
        _ => 0,
    };
    let mut params = LlamaModelParams::default().with_n_gpu_layers(gpu_layers);
    let mut last = -1.0f32;
    let mut report: Box<dyn FnMut(f32) + Send> = std::mem::replace(progress, Box::new(|_| {}));
    params = params.with_progress_callback(move |p| {
        // llama.cpp reports very often; pass on whole percents.
        if p - last >= 0.01 || p >= 1.0 {
            last = p;
            report(p);
        }
        true
    });
    // A file that makes llama.cpp abort must not end this process: it is
    // loaded in a child first (once per file).
    if let Some(dir) = backend::staged_dir() {
        super::selftest::check_model(&opts.path, &dir)
            .map_err(|reason| EngineError::Load { path: opts.path.display().to_string(), reason })?;
    }
    let model = LlamaModel::load_from_file(backend_ref, &opts.path, &params)
        .map_err(|e| EngineError::Load { path: opts.path.display().to_string(), reason: e.to_string() })?;
    let device = match (&gpu, gpu_layers) {
        (Some(g), n) if n > 0 => g.clone(),
        _ => info.devices.iter().find(|d| d.kind == "cpu").cloned().unwrap_or_else(|| crate::hardware::Device {
            index: 0,
            name: "CPU".into(),
            description: hw.cpu.clone(),
            backend: "CPU".into(),
            kind: "cpu".into(),
            memory_total: hw.ram_total,
            memory_free: hw.ram_available,
        }),
    };
    let model_info = ModelInfo {
        path: opts.path.clone(),
        name: header.name().map(str::to_string).unwrap_or_else(|| file_name(opts)),
        architecture: arch.clone(),
        quantization: header.quantization().map(str::to_string),
        backend: device.backend.clone(),
        device: if device.description.is_empty() { device.name.clone() } else { device.description.clone() },
        cpu_variant: info.cpu_variant.clone().or_else(|| backend::backend_info().ok().and_then(|i| i.cpu_variant)),
        gpu_layers: gpu_layers.min(n_layers),
        n_layers,
        n_ctx: opts.n_ctx,
        threads: opts.threads.unwrap_or_else(|| hw.threads()),
        n_vocab: model.n_vocab(),
        load_ms: started.elapsed().as_secs_f64() * 1000.0,
        has_chat_template: header.has_chat_template(),
    };
    tracing::info!(model = %model_info.name, ms = model_info.load_ms, "model loaded");
    Ok((model, model_info, arch))
}

fn file_name(opts: &super::LoadOptions) -> String {
    opts.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

fn serve(
    model: LlamaModel,
    mut info: ModelInfo,
    arch: String,
    opts: &super::LoadOptions,
    reply: tokio::sync::oneshot::Sender<Result<ModelInfo, EngineError>>,
    rx: &mpsc::Receiver<Command>,
    shared: &Shared,
) -> Option<Command> {
    let threads = info.threads as i32;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(opts.n_ctx.max(256)))
        .with_n_batch(N_BATCH)
        .with_n_ubatch(N_BATCH)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let backend_ref = match backend::backend() {
        Ok(b) => b,
        Err(e) => {
            let _ = reply.send(Err(e));
            return None;
        }
    };
    let mut ctx = match model.new_context(backend_ref, params) {
        Ok(c) => c,
        Err(e) => {
            let _ = reply.send(Err(EngineError::Load {
                path: info.path.display().to_string(),
                reason: format!("could not create a {}-token context: {e}", opts.n_ctx),
            }));
            return None;
        }
    };
    info.n_ctx = ctx.n_ctx();
    let index_started = Instant::now();
    let index = VocabIndex::build(&model);
    let aux = Vocab { index, controls: prompt::ControlTokens::of(&model) };
    tracing::debug!(
        ms = index_started.elapsed().as_secs_f64() * 1000.0,
        "vocabulary indexed (grammars, control tokens)"
    );
    shared.status.lock().expect("engine lock").model = Some(info.clone());
    let _ = reply.send(Ok(info));
    // Tokens whose keys and values are in the cache, in order.
    let mut cached: Vec<LlamaToken> = Vec::new();
    loop {
        let cmd = match rx.recv() {
            Ok(c) => c,
            Err(_) => return None,
        };
        match cmd {
            Command::Generate { req, events, cancel } => {
                *shared.current.lock().expect("engine lock") = Some(cancel.clone());
                shared.status.lock().expect("engine lock").busy = true;
                let result = generate(&model, &arch, &mut ctx, &mut cached, &aux, &req, &events, &cancel);
                *shared.current.lock().expect("engine lock") = None;
                let mut st = shared.status.lock().expect("engine lock");
                st.busy = false;
                match result {
                    Ok(stats) => {
                        st.last_run = Some(stats.clone());
                        let _ = events.send(GenEvent::Done(stats));
                    }
                    Err(e) => {
                        // The cache may hold a half-evaluated batch: start clean.
                        ctx.clear_kv_cache();
                        cached.clear();
                        let _ = events.send(GenEvent::Error(e));
                    }
                }
            }
            Command::PromptTokens { messages, reply } => {
                let req = GenerateRequest::chat(messages);
                let _ = reply
                    .send(tokenize(&model, &arch, &req, &aux.controls).map(|(t, _)| t.iter().map(|x| x.0).collect()));
            }
            Command::CountTokens { text, reply } => {
                let _ = reply.send(Ok(model.vocab().tokenize(text.as_bytes(), false, false).len()));
            }
            Command::Unload { reply } => {
                let _ = reply.send(());
                return None;
            }
            load @ Command::Load { .. } => return Some(load),
        }
    }
}

/// What the engine keeps per loaded model besides the context: the
/// grammar index and the control-token neutralizer.
struct Vocab {
    index: VocabIndex,
    controls: prompt::ControlTokens,
}

fn tokenize(
    model: &LlamaModel,
    arch: &str,
    req: &GenerateRequest,
    controls: &prompt::ControlTokens,
) -> Result<(Vec<LlamaToken>, Option<prompt::TemplateSource>), EngineError> {
    let (text, template) = match &req.prompt {
        Prompt::Tokens(ids) => {
            if let Some(bad) = ids.iter().find(|&&i| i < 0 || i >= model.n_vocab()) {
                return Err(EngineError::Decode(format!("token id {bad} is outside the vocabulary")));
            }
            return Ok((ids.iter().map(|&i| LlamaToken(i)).collect(), None));
        }
        Prompt::Raw(t) => (t.clone(), None),
        Prompt::Chat(messages) => {
            let (t, src) = prompt::format(model, arch, messages, controls)?;
            (t, Some(src))
        }
    };
    // Templates write special tokens as text (`<|im_start|>`): parse them.
    let tokens = model.vocab().tokenize(text.as_bytes(), true, true);
    Ok((tokens, template))
}

/// Evaluates `tokens` after the cached ones, in batches, with logits for
/// the last one only. Returns its batch index, or `None` when cancelled.
fn decode_tokens(
    ctx: &mut LlamaContext<'_>,
    batch: &mut LlamaBatch<'_>,
    cached: &mut Vec<LlamaToken>,
    tokens: &[LlamaToken],
    cancel: &AtomicBool,
) -> Result<Option<i32>, EngineError> {
    let mut last_idx = 0;
    let n = tokens.len();
    for (c, chunk) in tokens.chunks(N_BATCH as usize).enumerate() {
        if cancel.load(Ordering::SeqCst) {
            return Ok(None);
        }
        batch.clear();
        for (i, t) in chunk.iter().enumerate() {
            let is_last = c * N_BATCH as usize + i + 1 == n;
            batch.add(*t, (cached.len() + i) as i32, &[0], is_last).map_err(|e| EngineError::Decode(e.to_string()))?;
            if is_last {
                last_idx = i as i32;
            }
        }
        ctx.decode(batch).map_err(|e| EngineError::Decode(e.to_string()))?;
        cached.extend_from_slice(chunk);
    }
    Ok(Some(last_idx))
}

#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(max_tokens = req.max_tokens, grammar = req.grammar.is_some()))]
fn generate(
    model: &LlamaModel,
    arch: &str,
    ctx: &mut LlamaContext<'_>,
    cached: &mut Vec<LlamaToken>,
    aux: &Vocab,
    req: &GenerateRequest,
    events: &tmpsc::UnboundedSender<GenEvent>,
    cancel: &AtomicBool,
) -> Result<RunStats, EngineError> {
    let started = Instant::now();
    let (tokens, template) = tokenize(model, arch, req, &aux.controls)?;
    if tokens.is_empty() {
        return Err(EngineError::Decode("the prompt is empty".into()));
    }
    let n_ctx = ctx.n_ctx() as usize;
    let reserve = req.max_tokens.clamp(1, 64);
    if tokens.len() + reserve > n_ctx {
        return Err(EngineError::ContextOverflow { prompt_tokens: tokens.len(), n_ctx, reserve });
    }
    let mut sampler = Sampler::new(model, req.grammar.as_deref(), &req.sampling)?;

    // Prefix reuse: keep the cached tokens this prompt starts with; at
    // least the last prompt token is evaluated again for fresh logits.
    let common = cached.iter().zip(&tokens).take_while(|(a, b)| a == b).count();
    let keep = common.min(tokens.len() - 1);
    if keep < cached.len() {
        ctx.clear_kv_cache_seq(Some(0), Some(keep as u32), None).map_err(|e| EngineError::Decode(e.to_string()))?;
        cached.truncate(keep);
    }
    let prompt_started = Instant::now();
    let mut batch = LlamaBatch::new(N_BATCH as usize, 1);
    let Some(mut logits_idx) = decode_tokens(ctx, &mut batch, cached, &tokens[keep..], cancel)? else {
        return Ok(stats(&tokens, keep, 0, started, None, None, StopReason::Cancelled, &sampler, template));
    };
    let prompt_ms = prompt_started.elapsed().as_secs_f64() * 1000.0;

    let mut pending_bytes: Vec<u8> = Vec::new();
    let mut text = String::new();
    let mut generated = 0usize;
    let mut first_token: Option<Instant> = None;
    let vocab = model.vocab();
    let stop = loop {
        if cancel.load(Ordering::SeqCst) {
            break StopReason::Cancelled;
        }
        if generated >= req.max_tokens {
            break StopReason::MaxTokens;
        }
        let token = sampler.pick(ctx, logits_idx, &aux.index)?;
        first_token.get_or_insert_with(Instant::now);
        if vocab.is_eog(token) && !req.ignore_eog {
            break StopReason::EndOfTurn;
        }
        sampler.accept(token);
        generated += 1;
        pending_bytes.extend(vocab.token_to_piece(token, false, None));
        // A token may end mid-character: send only whole characters.
        let valid = match std::str::from_utf8(&pending_bytes) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        if valid > 0 {
            let piece = String::from_utf8_lossy(&pending_bytes[..valid]).into_owned();
            pending_bytes.drain(..valid);
            text.push_str(&piece);
            if let Some(stop_at) = req.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                let already = text.len() - piece.len();
                if stop_at > already {
                    let _ = events.send(GenEvent::Token(text[already..stop_at].to_string()));
                }
                break StopReason::StopString;
            }
            let _ = events.send(GenEvent::Token(piece));
        }
        if cached.len() + 1 >= n_ctx {
            break StopReason::ContextFull;
        }
        batch.clear();
        batch.add(token, cached.len() as i32, &[0], true).map_err(|e| EngineError::Decode(e.to_string()))?;
        ctx.decode(&mut batch).map_err(|e| EngineError::Decode(e.to_string()))?;
        cached.push(token);
        logits_idx = 0;
    };
    Ok(stats(&tokens, keep, generated, started, Some(prompt_ms), first_token, stop, &sampler, template))
}

#[allow(clippy::too_many_arguments)]
fn stats(
    tokens: &[LlamaToken],
    reused: usize,
    generated: usize,
    started: Instant,
    prompt_ms: Option<f64>,
    first_token: Option<Instant>,
    stop: StopReason,
    sampler: &Sampler,
    template: Option<prompt::TemplateSource>,
) -> RunStats {
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    let ttft_ms = first_token.map(|t| (t - started).as_secs_f64() * 1000.0).unwrap_or(total_ms);
    let processed = tokens.len() - reused;
    let prompt_tps = prompt_ms.filter(|ms| *ms > 0.0).map(|ms| processed as f64 * 1000.0 / ms).unwrap_or(0.0);
    let gen_ms = first_token.map(|t| t.elapsed().as_secs_f64() * 1000.0).unwrap_or(0.0);
    // From the first pick on, each generated token was picked and evaluated.
    let gen_tps = if generated > 0 && gen_ms > 0.0 { generated as f64 * 1000.0 / gen_ms } else { 0.0 };
    RunStats {
        prompt_tokens: tokens.len(),
        reused_tokens: reused,
        generated_tokens: generated,
        ttft_ms,
        prompt_tps,
        gen_tps,
        total_ms,
        stop,
        grammar: sampler.stats,
        template,
    }
}
