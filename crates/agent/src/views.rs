//! What the desktop's Cluster panel draws, built here once: the health line,
//! the findings worst first, the nodes and the pods as `kubectl get` shows
//! them (their status and readiness from `kubeask-insight`, the one home
//! of those facts).

use k8s_openapi::api::core::v1::{Node, Pod};
use kubeask_insight::analyze::{Finding, Severity};
use kubeask_insight::podstatus;
use serde::Serialize;

use crate::assistant::{AskError, Assistant};

/// A finding as the Cluster panel lists it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "Finding", optional_fields)]
pub struct FindingRow {
    /// How bad.
    pub severity: Severity,
    /// The object's kind.
    pub kind: String,
    /// Its namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// What is wrong, in a line.
    pub title: String,
    /// What shows it.
    pub evidence: Vec<String>,
    /// What to do about it, in words.
    pub fix: String,
    /// The change an analyzer proposes (planned and applied only on the
    /// user's confirmation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<kubeask_insight::action::Action>,
}

/// A node as `kubectl get nodes` shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct NodeRow {
    /// Name.
    pub name: String,
    /// `Ready`, `NotReady`, `Ready,SchedulingDisabled`.
    pub status: String,
    /// Roles, or `<none>`.
    pub roles: String,
    /// The kubelet's version.
    pub version: String,
    /// CPU capacity.
    pub cpu: String,
    /// Memory capacity.
    pub memory: String,
    /// Age, as kubectl prints it.
    pub age: String,
}

/// A pod as `kubectl get pods` shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PodRow {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Ready containers, `1/2`.
    pub ready: String,
    /// The STATUS column.
    pub status: String,
    /// Restarts.
    pub restarts: i32,
    /// The node it runs on.
    pub node: String,
    /// Age.
    pub age: String,
}

/// The Cluster panel: a context's health, findings worst first, nodes, pods.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClusterView {
    /// The context shown.
    pub context: String,
    /// No critical findings.
    pub healthy: bool,
    /// `3 nodes, 48 pods in 6 namespaces; 9 problems (5 critical)`.
    pub summary: String,
    /// Findings, worst first.
    pub findings: Vec<FindingRow>,
    /// Nodes.
    pub nodes: Vec<NodeRow>,
    /// Pods.
    pub pods: Vec<PodRow>,
}

fn node_row(n: &Node) -> NodeRow {
    let status = n.status.as_ref();
    let roles: Vec<String> = n
        .metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string))
        .collect();
    let cap = |k: &str| {
        status.and_then(|s| s.capacity.as_ref()).and_then(|c| c.get(k)).map(|q| q.0.clone()).unwrap_or_default()
    };
    NodeRow {
        name: n.metadata.name.clone().unwrap_or_default(),
        status: kubeask_insight::state::node_status(n),
        roles: if roles.is_empty() { "<none>".to_string() } else { roles.join(",") },
        version: status.and_then(|s| s.node_info.as_ref()).map(|i| i.kubelet_version.clone()).unwrap_or_default(),
        cpu: cap("cpu"),
        memory: cap("memory"),
        age: podstatus::age(n.metadata.creation_timestamp.as_ref().map(|t| t.0)),
    }
}

fn pod_row(p: &Pod) -> PodRow {
    let (ready, total) = podstatus::ready_containers(p);
    PodRow {
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        name: p.metadata.name.clone().unwrap_or_default(),
        ready: format!("{ready}/{total}"),
        status: podstatus::display_status(p),
        restarts: podstatus::restarts(p).0,
        node: p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
        age: podstatus::age(p.metadata.creation_timestamp.as_ref().map(|t| t.0)),
    }
}

fn finding_row(f: &Finding) -> FindingRow {
    FindingRow {
        severity: f.severity,
        kind: f.object.kind.clone(),
        namespace: f.object.namespace.clone(),
        name: f.object.name.clone(),
        title: f.title.clone(),
        evidence: f.evidence.clone(),
        fix: f.suggested_fix.clone(),
        action: f.fix.clone(),
    }
}

/// The Cluster panel's view of `context` (the kubeconfig's current one by default).
pub async fn cluster_view(assistant: &Assistant, context: Option<&str>) -> Result<ClusterView, AskError> {
    let cache = assistant.cache(context).await?;
    let findings = assistant.diagnose(context, None).await?;
    let snap = cache.snapshot();
    let critical = findings.iter().filter(|f| f.severity == Severity::Critical).count();
    let summary = format!(
        "{} nodes, {} pods in {} namespaces; {} problems ({} critical)",
        snap.nodes.len(),
        snap.pods.len(),
        snap.namespaces.len(),
        findings.len(),
        critical
    );
    Ok(ClusterView {
        context: cache.connection().context.clone(),
        healthy: critical == 0,
        summary,
        findings: findings.iter().map(finding_row).collect(),
        nodes: snap.nodes.iter().map(|n| node_row(n)).collect(),
        pods: snap.pods.iter().map(|p| pod_row(p)).collect(),
    })
}
