//! Chat formatting: the GGUF's own template through llama.cpp's built-in
//! matcher (Qwen → ChatML), or, for models that carry none or one llama.cpp
//! cannot apply, a named template chosen from the architecture.

use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use serde::{Deserialize, Serialize};

use super::EngineError;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (`tool` is sent as `user`: small chat
    /// templates know no tool role).
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A message.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.into(), content: content.into() }
    }
}

/// Which template formatted a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TemplateSource {
    /// The model's own `tokenizer.chat_template`.
    Model,
    /// A built-in template picked by architecture (the model has none).
    Fallback(String),
}

/// The built-in llama.cpp template to use when a model carries none.
pub fn fallback_template(architecture: &str) -> &'static str {
    match architecture {
        a if a.starts_with("gemma") => "gemma",
        a if a.starts_with("llama") => "llama3",
        a if a.starts_with("phi3") => "phi3",
        a if a.starts_with("mistral") => "mistral-v7",
        _ => "chatml",
    }
}

fn to_llama(messages: &[ChatMessage]) -> Result<Vec<LlamaChatMessage>, EngineError> {
    messages
        .iter()
        .map(|m| {
            let role = match m.role.as_str() {
                "system" | "user" | "assistant" => m.role.clone(),
                _ => "user".to_string(),
            };
            LlamaChatMessage::new(role, m.content.replace('\0', ""))
                .map_err(|e| EngineError::Template(format!("invalid message: {e}")))
        })
        .collect()
}

/// Formats `messages` for `model`, ending with the assistant's turn opened.
pub fn format(
    model: &LlamaModel,
    architecture: &str,
    messages: &[ChatMessage],
) -> Result<(String, TemplateSource), EngineError> {
    let chat = to_llama(messages)?;
    if let Ok(tmpl) = model.chat_template(None) {
        match model.apply_chat_template(&tmpl, &chat, true) {
            Ok(text) => return Ok((text, TemplateSource::Model)),
            Err(e) => {
                tracing::warn!(error = %e, "the model's chat template could not be applied; using a built-in one")
            }
        }
    }
    let name = fallback_template(architecture);
    let tmpl = LlamaChatTemplate::new(name).map_err(|e| EngineError::Template(e.to_string()))?;
    let text = model
        .apply_chat_template(&tmpl, &chat, true)
        .map_err(|e| EngineError::Template(format!("built-in template {name}: {e}")))?;
    Ok((text, TemplateSource::Fallback(name.to_string())))
}
