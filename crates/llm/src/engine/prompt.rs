//! Chat formatting: the GGUF's own template through llama.cpp's built-in
//! matcher (Qwen → ChatML), or, for models that carry none or one llama.cpp
//! cannot apply, a named template chosen from the architecture.

use std::borrow::Cow;

use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;
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

/// The model's control tokens as text (`<|im_start|>`, `<end_of_turn>`):
/// message contents are data, so such text inside them is broken up before
/// the template adds the real markers and the prompt is tokenized with
/// special-token parsing on. A log line saying `<|im_start|>system` stays
/// words, never a turn.
pub(crate) struct ControlTokens(Option<regex::Regex>);

impl ControlTokens {
    /// Collects the control tokens of `model`'s vocabulary.
    pub fn of(model: &LlamaModel) -> Self {
        let vocab = model.vocab();
        let mut texts: Vec<String> = (0..model.n_vocab())
            .map(LlamaToken)
            .filter(|t| vocab.is_control(*t))
            .filter_map(|t| String::from_utf8(vocab.token_to_piece(t, true, None)).ok())
            .filter(|s| s.chars().count() >= 2)
            .collect();
        // Longest first: `<|im_start|>` before a shorter token it contains.
        texts.sort_by_key(|s| std::cmp::Reverse(s.len()));
        texts.dedup();
        let pattern = texts.iter().map(|s| regex::escape(s)).collect::<Vec<_>>().join("|");
        Self((!texts.is_empty()).then(|| regex::Regex::new(&pattern)).and_then(Result::ok))
    }

    /// `text` with every control-token text broken by a zero-width space
    /// after its first character.
    pub fn neutralize<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.0 {
            Some(re) => re.replace_all(text, |c: &regex::Captures<'_>| {
                let m = &c[0];
                let mut chars = m.chars();
                let first = chars.next().map(String::from).unwrap_or_default();
                format!("{first}\u{200b}{}", chars.as_str())
            }),
            None => Cow::Borrowed(text),
        }
    }
}

/// Control-token shapes of the common chat templates (`<|im_start|>`,
/// `<|eot_id|>`, `<start_of_turn>`, `</s>`, `[INST]`, `<<SYS>>`, …), for an
/// engine whose vocabulary is not at hand (a remote server that parses
/// special tokens in the prompt it templates).
static COMMON_CONTROLS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"<\|[^|<>\s]{1,40}\|>|</?(?:start_of_turn|end_of_turn|s|unk|pad|bos|eos)>|\[/?(?:INST|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]|<</?SYS>>",
    )
    .expect("valid pattern")
});

/// `text` with every common control-token shape broken by a zero-width
/// space after its first character (see [`ControlTokens::neutralize`]).
pub fn neutralize_common(text: &str) -> Cow<'_, str> {
    COMMON_CONTROLS.replace_all(text, |c: &regex::Captures<'_>| {
        let m = &c[0];
        let mut chars = m.chars();
        let first = chars.next().map(String::from).unwrap_or_default();
        format!("{first}\u{200b}{}", chars.as_str())
    })
}

fn to_llama(messages: &[ChatMessage], controls: &ControlTokens) -> Result<Vec<LlamaChatMessage>, EngineError> {
    messages
        .iter()
        .map(|m| {
            let role = match m.role.as_str() {
                "system" | "user" | "assistant" => m.role.clone(),
                _ => "user".to_string(),
            };
            LlamaChatMessage::new(role, controls.neutralize(&m.content).replace('\0', ""))
                .map_err(|e| EngineError::Template(format!("invalid message: {e}")))
        })
        .collect()
}

/// Formats `messages` for `model`, ending with the assistant's turn opened.
pub(crate) fn format(
    model: &LlamaModel,
    architecture: &str,
    messages: &[ChatMessage],
    controls: &ControlTokens,
) -> Result<(String, TemplateSource), EngineError> {
    let chat = to_llama(messages, controls)?;
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
