//! A manifest from a request in plain words: the model fills the typed
//! workload structure under a JSON grammar (namespaces from the cluster,
//! names that are valid object names), and code renders the YAML from it —
//! the model never writes YAML, so what comes out is always well-formed and
//! always what the structure says. The caller checks and dry-runs it.

use kubeask_insight::snapshot::Snapshot;
use kubeask_insight::workload_spec::WorkloadSpec;

use crate::model_loop::{json_str_rule, CancelFlag, ChatModel, Message};

/// Why no structure came back.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The model failed.
    #[error("the model failed: {0}")]
    Model(String),
    /// Its output did not fill the structure (a grammar-less model, or a
    /// cancelled one).
    #[error("the model's answer is not a workload description: {0}")]
    Malformed(String),
    /// The structure is incomplete or contradictory.
    #[error("the request leaves this open: {0}")]
    Incomplete(String),
}

/// The GBNF grammar of a [`WorkloadSpec`], namespaces from the cluster.
pub fn grammar(namespaces: &[String]) -> String {
    [
        r#"root ::= "{\"name\":" name ",\"namespace\":" ns ",\"image\":" image ",\"replicas\":" small ",\"port\":" port ",\"service\":" boolean ",\"ingress_host\":" host ",\"hpa\":" hpa ",\"readiness_path\":" path "}""#,
        r#"name ::= "\"" [a-z] [a-z0-9-]{0,40} "\"""#,
        r#"image ::= "\"" [a-zA-Z0-9./:@_-]{1,120} "\"""#,
        r#"host ::= "null" | "\"" [a-z0-9.-]{1,100} "\"""#,
        r#"path ::= "null" | "\"/" [a-zA-Z0-9/._-]{0,60} "\"""#,
        r#"port ::= "null" | [1-9] [0-9]{0,4}"#,
        r#"small ::= [0-9] [0-9]{0,2}"#,
        r#"boolean ::= "true" | "false""#,
        r#"hpa ::= "null" | "{\"min\":" small ",\"max\":" small ",\"cpu_percent\":" small "}""#,
        &format!("ns ::= {}", json_str_rule(namespaces)),
    ]
    .join("\n")
}

const SYSTEM: &str = "You turn a request for a Kubernetes workload into one JSON object with these fields: \
name (the Deployment's name), namespace, image (with its tag), replicas, port (the container port, or null), \
service (true when a Service is asked for), ingress_host (a host name when an Ingress is asked for, else null), \
hpa ({min, max, cpu_percent} when autoscaling is asked for, else null), readiness_path (an HTTP path when a \
readiness probe is asked for, else null). Use only what the request says; answer with the JSON object only.";

/// Asks `model` to fill the structure for `request`.
#[tracing::instrument(skip(model, snap, cancel))]
pub async fn write(
    model: &dyn ChatModel,
    snap: &Snapshot,
    request: &str,
    cancel: &CancelFlag,
) -> Result<WorkloadSpec, WriteError> {
    let mut namespaces: Vec<String> = snap.namespaces.iter().filter_map(|n| n.metadata.name.clone()).collect();
    if namespaces.is_empty() {
        namespaces.push("default".into());
    }
    let messages = [
        Message { role: "system".into(), content: format!("{SYSTEM}\nNamespaces: {}.", namespaces.join(", ")) },
        Message { role: "user".into(), content: request.to_string() },
    ];
    let out = model
        .generate(&messages, &grammar(&namespaces), cancel, &|_| {})
        .await
        .map_err(|e| WriteError::Model(e.to_string()))?;
    let spec: WorkloadSpec = serde_json::from_str(out.trim()).map_err(|e| WriteError::Malformed(e.to_string()))?;
    let problems = spec.problems();
    if !problems.is_empty() {
        return Err(WriteError::Incomplete(problems.join("; ")));
    }
    Ok(spec)
}
