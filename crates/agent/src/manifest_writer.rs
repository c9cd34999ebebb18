//! A manifest from a request in plain words: the model fills the typed
//! workload structure under a JSON grammar (namespaces from the cluster,
//! names that are valid object names), and code renders the YAML from it —
//! the model never writes YAML, so what comes out is always well-formed and
//! always what the structure says. The caller checks and dry-runs it.

use kubeask_insight::snapshot::Snapshot;
use kubeask_insight::workload_spec::{Edit, WorkloadSpec};

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

/// What the model wrote: a new workload, or a change to a live one.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// A new workload.
    New(WorkloadSpec),
    /// A change to what runs.
    Edit(Edit),
}

impl Written {
    /// The namespace it writes into.
    pub fn namespace(&self) -> &str {
        match self {
            Written::New(w) => &w.namespace,
            Written::Edit(Edit::ReadinessProbe { namespace, .. } | Edit::Expose { namespace, .. }) => namespace,
        }
    }

    /// The manifest (an edit is computed from the live objects in `snap`).
    pub fn render(&self, snap: &Snapshot) -> Result<String, String> {
        match self {
            Written::New(w) => w.render(),
            Written::Edit(e) => e.render(snap),
        }
    }
}

/// The GBNF grammar of a [`WorkloadSpec`] or an [`Edit`]: namespaces and
/// existing names from the cluster.
pub fn grammar(namespaces: &[String], existing: &[String]) -> String {
    [
        r#"root ::= workload | probe | expose"#,
        r#"probe ::= "{\"change\":\"readiness-probe\",\"kind\":" wkind ",\"name\":" existing ",\"namespace\":" ns ",\"path\":" rpath "}""#,
        r#"expose ::= "{\"change\":\"expose\",\"service\":" existing ",\"namespace\":" ns ",\"host\":" rhost "}""#,
        r#"wkind ::= "\"deployment\"" | "\"statefulset\"" | "\"daemonset\"""#,
        r#"rpath ::= "\"/" [a-zA-Z0-9/._-]{0,60} "\"""#,
        r#"rhost ::= "\"" [a-z0-9.-]{1,100} "\"""#,
        // NB: with no object to name, an edit can only name a valid name.
        &format!("existing ::= {}", if existing.is_empty() { "name".to_string() } else { json_str_rule(existing) }),
        r#"workload ::= "{\"name\":" name ",\"namespace\":" ns ",\"image\":" image ",\"replicas\":" small ",\"port\":" port ",\"service\":" boolean ",\"ingress_host\":" host ",\"hpa\":" hpa ",\"readiness_path\":" path "}""#,
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

const SYSTEM: &str = "You turn a request about Kubernetes workloads into one JSON object. To add a readiness \
probe to an existing workload: {change: readiness-probe, kind, name, namespace, path}. To expose an existing \
Service through an Ingress: {change: expose, service, namespace, host}. For a new workload, these fields: \
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
) -> Result<Written, WriteError> {
    let mut namespaces: Vec<String> = snap.namespaces.iter().filter_map(|n| n.metadata.name.clone()).collect();
    if namespaces.is_empty() {
        namespaces.push("default".into());
    }
    let messages = [
        Message { role: "system".into(), content: format!("{SYSTEM}\nNamespaces: {}.", namespaces.join(", ")) },
        Message { role: "user".into(), content: request.to_string() },
    ];
    let mut existing: Vec<String> = snap.deployments.iter().filter_map(|d| d.metadata.name.clone()).collect();
    existing.extend(snap.stateful_sets.iter().filter_map(|d| d.metadata.name.clone()));
    existing.extend(snap.services.iter().filter_map(|d| d.metadata.name.clone()));
    existing.sort();
    existing.dedup();
    let out = model
        .generate(&messages, &grammar(&namespaces, &existing), cancel, &|_| {})
        .await
        .map_err(|e| WriteError::Model(e.to_string()))?;
    let text = out.trim();
    if text.starts_with("{\"change\"") {
        let edit: Edit = serde_json::from_str(text).map_err(|e| WriteError::Malformed(e.to_string()))?;
        return Ok(Written::Edit(edit));
    }
    let spec: WorkloadSpec = serde_json::from_str(text).map_err(|e| WriteError::Malformed(e.to_string()))?;
    let problems = spec.problems();
    if !problems.is_empty() {
        return Err(WriteError::Incomplete(problems.join("; ")));
    }
    Ok(Written::New(spec))
}
