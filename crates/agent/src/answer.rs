//! What the assistant returns: the short answer first, then evidence.

use serde::Serialize;

/// How an answer was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The deterministic router, no model.
    Direct,
    /// The local model calling read tools.
    Model,
    /// Nothing could answer (an honest "I can't").
    Unanswered,
}

/// One object an answer read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Evidence {
    /// Kind, e.g. `Pod`.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Full name (with hash suffixes).
    pub name: String,
}

impl Evidence {
    /// Builds an evidence item.
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self { kind: kind.into(), namespace: namespace.unwrap_or("").into(), name: name.into() }
    }
}

/// A finished answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    /// The exact value: `3`, `Running`, `mongodb`, `nginx:1.25.3`; lists
    /// comma-separated; workload names without hash suffixes.
    pub short: String,
    /// A markdown explanation.
    pub explanation: String,
    /// The objects read, with full names.
    pub evidence: Vec<Evidence>,
    /// kubectl commands that show the same.
    pub kubectl: Vec<String>,
    /// Direct, model, or unanswered.
    pub mode: Mode,
    /// The context asked.
    pub context: String,
    /// Milliseconds spent answering.
    pub elapsed_ms: f64,
    /// The object the question was about (follow-ups resolve against it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The namespace the question named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Set when the cache is stale: the data may be out of date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Changes proposed to fix what the answer found (by the model, or an
    /// analyzer's fix): never applied here; the user may plan and confirm.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<kubeask_insight::action::Action>>", optional)]
    pub proposals: Vec<kubeask_insight::action::Action>,
    /// In model mode, the engine that answered (`qwen.gguf (in-process
    /// llama.cpp)`, `Qwen2.5-3B on llama-server at http://gpu:8080 …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// What `Assistant::ask_stream` emits, in order.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerEvent {
    /// How the question was routed (direct, model, none).
    Routing {
        /// The route taken, e.g. `direct:count`.
        route: String,
    },
    /// A read tool was called.
    ToolCall {
        /// Tool name.
        tool: String,
        /// Arguments as JSON.
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
    },
    /// A tool returned.
    ToolResult {
        /// Tool name.
        tool: String,
        /// Compact text of the result.
        text: String,
    },
    /// The model's reply was neither a tool call nor an answer.
    Malformed {
        /// The reply, shortened.
        text: String,
    },
    /// A token of model output.
    Token {
        /// The text.
        text: String,
    },
    /// The final answer.
    Final {
        /// The answer.
        answer: Box<Answer>,
    },
    /// The question failed.
    Error {
        /// `{code, message}` as every boundary carries it.
        code: crate::error::ErrorCode,
        /// A message the user can act on.
        message: String,
    },
}
