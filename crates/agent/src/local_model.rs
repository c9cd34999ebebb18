//! The llama.cpp engine as the model loop's [`ChatModel`]: messages go
//! through the model's chat template, the step's grammar constrains the
//! output, tokens stream out as they come, a cancel reaches the engine
//! within a token, and a conversation that outgrows the context window is
//! shortened (largest tool results first) by the model's own token count
//! before it reaches the engine.

use std::path::Path;
use std::time::Duration;

use futures::future::BoxFuture;
use kubeask_llm::engine::{
    ChatMessage, Engine, EngineError, GenEvent, GenerateRequest, LoadOptions, ModelInfo, StopReason,
};

use crate::model_loop::{
    shorten_bulkiest, CancelFlag, ChatModel, Message, ModelError, ModelErrorKind, PER_MESSAGE_TOKENS,
};

/// Tokens one step may generate (a tool call or a short answer).
const STEP_TOKENS: usize = 384;

/// A loaded local model.
pub struct LocalModel {
    engine: Engine,
    info: ModelInfo,
}

impl LocalModel {
    /// Starts an engine and loads `path` (refused before loading when it cannot fit).
    pub async fn load(path: &Path, n_ctx: u32) -> Result<Self, EngineError> {
        let engine = Engine::start();
        let mut opts = LoadOptions::new(path);
        opts.n_ctx = n_ctx;
        let info = engine.load(opts, |_| {}).await?;
        Ok(Self { engine, info })
    }

    /// The engine (status, cancel).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// What is loaded.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Shortens the longest middle messages until the prompt fits the
    /// context with room for the answer.
    async fn fit(&self, mut msgs: Vec<ChatMessage>) -> Result<Vec<ChatMessage>, ModelError> {
        let budget = (self.info.n_ctx as usize).saturating_sub(STEP_TOKENS + 64);
        for _ in 0..16 {
            let text: String = msgs.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n");
            let n = self.engine.count_tokens(&text).await.map_err(ModelError::from)?;
            if n + msgs.len() * PER_MESSAGE_TOKENS <= budget
                || !shorten_bulkiest(msgs.iter_mut().map(|m| &mut m.content))
            {
                break;
            }
        }
        Ok(msgs)
    }
}

impl ChatModel for LocalModel {
    fn name(&self) -> String {
        format!("{} (in-process llama.cpp, {})", self.info.name, self.info.backend)
    }

    fn generate<'a>(
        &'a self,
        messages: &'a [Message],
        grammar: &'a str,
        cancel: &'a CancelFlag,
        on_token: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BoxFuture<'a, Result<String, ModelError>> {
        Box::pin(async move {
            let msgs = messages.iter().map(|m| ChatMessage::new(&m.role, &m.content)).collect();
            let msgs = self.fit(msgs).await?;
            let mut req = GenerateRequest::chat(msgs).with_grammar(grammar);
            req.max_tokens = STEP_TOKENS;
            let mut gen = self.engine.generate(req);
            let mut text = String::new();
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            loop {
                tokio::select! {
                    ev = gen.next() => match ev {
                        Some(GenEvent::Token(t)) => {
                            on_token(&t);
                            text.push_str(&t);
                        }
                        Some(GenEvent::Done(stats)) => {
                            tracing::debug!(tokens = stats.generated_tokens, tps = stats.gen_tps, reused = stats.reused_tokens, "model step");
                            if stats.stop == StopReason::Cancelled {
                                return Err(ModelError::of(ModelErrorKind::Cancelled, "cancelled"));
                            }
                            return Ok(text);
                        }
                        Some(GenEvent::Error(e)) => return Err(ModelError::from(e)),
                        None => return Err(ModelError::new("the model engine stopped")),
                    },
                    _ = tick.tick() => {
                        if cancel.is_cancelled() {
                            gen.cancel();
                        }
                    }
                }
            }
        })
    }
}
