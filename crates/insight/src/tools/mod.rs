//! Read tools: what the model calls, and what direct mode and the UI can
//! call too. Each takes typed arguments (with a JSON schema a small model
//! can fill in) and returns a [`ToolOutput`]: compact text for a prompt,
//! structured data for the UI, the objects read and the kubectl command
//! that shows the same.
//!
//! Logs are not in the snapshot: [`logs::resolve`] turns a `logs` call into
//! concrete container requests the caller fetches, and [`logs::render`]
//! filters what came back.

pub mod describe;
pub mod find;
pub mod history;
pub mod list;
pub mod logs;
pub mod misc;
pub mod propose;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::analyze::Object;
use crate::snapshot::Snapshot;

use crate::kind::Kind;

/// Kinds the tools accept, in their tool names (`pod`, `pvc`, …).
pub fn kinds() -> Vec<&'static str> {
    Kind::OBJECTS.iter().map(|k| k.tool_name()).collect()
}

/// A tool failed: unknown object, bad argument.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ToolError {
    /// No object matches.
    #[error("no {kind} called {name}{}{}", namespace.as_ref().map(|n| format!(" in namespace {n}")).unwrap_or_default(), if suggestions.is_empty() { String::new() } else { format!("; did you mean {}?", suggestions.join(" or ")) })]
    NotFound {
        /// Kind asked for.
        kind: String,
        /// Name asked for.
        name: String,
        /// Namespace asked for.
        namespace: Option<String>,
        /// Close names that exist.
        suggestions: Vec<String>,
    },
    /// An argument is not valid.
    #[error("invalid argument {arg}: {message}")]
    BadArgument {
        /// Which argument.
        arg: String,
        /// What is wrong.
        message: String,
    },
    /// The call does not parse (unknown tool, missing field).
    #[error("invalid tool call: {0}")]
    BadCall(String),
}

/// A tool call, as the model emits it: `{"tool": "list", "args": {…}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "tool", content = "args", rename_all = "snake_case")]
pub enum ToolCall {
    /// List objects of a kind.
    List(list::ListArgs),
    /// Describe one object.
    Describe(describe::DescribeArgs),
    /// Read logs of a pod or workload.
    Logs(logs::LogsArgs),
    /// Events of an object or namespace.
    Events(misc::EventsArgs),
    /// Resource usage.
    Top(misc::TopArgs),
    /// The owner chain of a pod.
    Owners(misc::OwnersArgs),
    /// The pods of a workload or service.
    PodsOf(misc::PodsOfArgs),
    /// Counts and versions of the whole cluster.
    Summary(misc::SummaryArgs),
    /// Fuzzy-find objects by name.
    Find(find::FindArgs),
    /// Propose a change for the user to review (never applied here).
    Propose(propose::ProposeArgs),
    /// The cluster's past and trend (timeline, usage, forecast, sizing).
    History(history::HistoryArgs),
}

impl ToolCall {
    /// The tool's name.
    pub fn name(&self) -> &'static str {
        match self {
            ToolCall::List(_) => "list",
            ToolCall::Describe(_) => "describe",
            ToolCall::Logs(_) => "logs",
            ToolCall::Events(_) => "events",
            ToolCall::Top(_) => "top",
            ToolCall::Owners(_) => "owners",
            ToolCall::Propose(_) => "propose",
            ToolCall::PodsOf(_) => "pods_of",
            ToolCall::Summary(_) => "summary",
            ToolCall::Find(_) => "find",
            ToolCall::History(_) => "history",
        }
    }

    /// Parses a call from JSON, with an error a model (or user) can act on.
    pub fn parse(v: &Value) -> Result<Self, ToolError> {
        serde_json::from_value(v.clone()).map_err(|e| ToolError::BadCall(e.to_string()))
    }
}

/// What a tool returns.
#[derive(Debug, Clone, Serialize)]
pub struct ToolOutput {
    /// The tool's name.
    pub tool: &'static str,
    /// Compact text for a prompt or a terminal.
    pub text: String,
    /// Structured data for the UI.
    pub data: Value,
    /// The objects read (full names).
    pub objects: Vec<Object>,
    /// The kubectl command that shows the same.
    pub kubectl: String,
}

/// A tool's name, description and JSON schema of its arguments.
#[derive(Debug, Clone, Serialize)]
pub struct ToolSchema {
    /// Name.
    pub name: &'static str,
    /// What it is for, in one line.
    pub description: &'static str,
    /// JSON schema of `args`.
    pub parameters: Value,
}

fn string_enum(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// Every tool's schema. Enums (kinds) are filled in; callers that build a
/// grammar may narrow names and namespaces to the live cache's.
pub fn schemas() -> Vec<ToolSchema> {
    let s = || json!({"type": "string"});
    let obj = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    vec![
        ToolSchema { name: "list", description: "List objects of one kind, optionally in a namespace, by label selector, pod status or node.",
            parameters: obj(json!({"kind": string_enum(&kinds()), "namespace": s(), "selector": s(), "status": s(), "node": s()}), &["kind"]) },
        ToolSchema { name: "describe", description: "Describe one object: status, conditions, containers, restarts, resources, env (secrets hidden), owners, recent events.",
            parameters: obj(json!({"kind": string_enum(&kinds()), "name": s(), "namespace": s()}), &["kind", "name"]) },
        ToolSchema { name: "logs", description: "Read the log of a pod or of a workload's pods; optionally the previous container, the last N lines, lines matching a word.",
            parameters: obj(json!({"target": s(), "namespace": s(), "container": s(), "previous": {"type": "boolean"}, "tail": {"type": "integer"}, "grep": s()}), &["target"]) },
        ToolSchema { name: "events", description: "Recent events of an object or a namespace, warnings only if asked.",
            parameters: obj(json!({"object": s(), "namespace": s(), "warnings_only": {"type": "boolean"}, "since_minutes": {"type": "integer"}}), &[]) },
        ToolSchema { name: "top", description: "CPU and memory usage of pods or nodes, highest first.",
            parameters: obj(json!({"what": string_enum(&["pods", "nodes"]), "namespace": s(), "sort_by": string_enum(&["cpu", "memory"])}), &["what"]) },
        ToolSchema { name: "owners", description: "The owner chain of a pod (ReplicaSet, Deployment, Job, CronJob…).",
            parameters: obj(json!({"pod": s(), "namespace": s()}), &["pod"]) },
        ToolSchema { name: "pods_of", description: "The pods of a Deployment, StatefulSet, DaemonSet, Job, CronJob or Service.",
            parameters: obj(json!({"workload": s(), "namespace": s()}), &["workload"]) },
        ToolSchema { name: "summary", description: "Counts by kind, pod phase and status, per namespace and node; versions; warnings.",
            parameters: obj(json!({"namespace": s()}), &[]) },
        ToolSchema { name: "find", description: "Find objects whose names match a term (typos and partial names allowed), best first.",
            parameters: obj(json!({"term": s(), "kind": string_enum(&kinds())}), &["term"]) },
        ToolSchema { name: "propose", description: "Propose a change that would fix the problem, for the user to review. Nothing is applied: the user sees the plan and decides.",
            parameters: obj(json!({"action": string_enum(propose::ACTIONS), "kind": string_enum(propose::KINDS), "name": s(), "namespace": s(), "replicas": {"type": "integer"}, "container": s(), "image": s()}), &["action", "kind", "name"]) },
        ToolSchema { name: "history", description: "The past and trend of a workload, a namespace or the cluster: the incident timeline (rollouts, config changes, crashes, OOM kills) and when failing started or what changed before it; CPU or memory usage over a period; forecasts of running out; the whole cluster's use against its allocatable; over- or under-provisioned workloads; anomalies; volumes filling up.",
            parameters: obj(json!({"what": string_enum(history::WHATS), "target": s(), "namespace": s(), "metric": string_enum(&["cpu", "memory"]), "since_minutes": {"type": "integer"}}), &["what"]) },
    ]
}

/// Runs a tool on a snapshot. `logs` needs the network: use [`logs::resolve`].
pub fn run(snap: &Snapshot, call: &ToolCall) -> Result<ToolOutput, ToolError> {
    match call {
        ToolCall::List(a) => list::list(snap, a),
        ToolCall::Describe(a) => describe::describe(snap, a),
        ToolCall::Logs(_) => {
            Err(ToolError::BadCall("logs are read from the API server: use tools::logs::resolve".into()))
        }
        ToolCall::History(_) => {
            Err(ToolError::BadCall("history is read from a history source: use tools::history::resolve".into()))
        }
        ToolCall::Events(a) => misc::events(snap, a),
        ToolCall::Top(a) => misc::top(snap, a),
        ToolCall::Owners(a) => misc::owners(snap, a),
        ToolCall::PodsOf(a) => misc::pods_of(snap, a),
        ToolCall::Summary(a) => Ok(misc::summary(snap, a)),
        ToolCall::Find(a) => Ok(find::find(snap, a)),
        ToolCall::Propose(a) => propose::propose(snap, a),
    }
}

/// Normalizes a kind as people write it (`pods`, `deploy`, `PVC`, kubectl's
/// `no`) to a [`Kind`] the snapshot holds.
pub fn normalize_kind(kind: &str) -> Result<Kind, ToolError> {
    let k = kind.trim().to_lowercase();
    let found = if k == "no" { Some(Kind::Node) } else { Kind::from_word(&k) };
    found.filter(|k| Kind::OBJECTS.contains(k)).ok_or_else(|| ToolError::BadArgument {
        arg: "kind".into(),
        message: format!("unknown kind {kind:?}; one of {}", kinds().join(", ")),
    })
}

/// Cuts text to at most `max` characters, saying how much was left out.
pub fn budget(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}\n… ({} more characters left out)", text.chars().count() - max)
}
