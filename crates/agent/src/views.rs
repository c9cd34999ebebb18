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

/// The Security view: the posture checks' findings and what could not be
/// checked (kinds this user may not read).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SecurityView {
    /// The context checked.
    pub context: String,
    /// Findings, worst first.
    pub findings: Vec<kubeask_insight::security::SecurityFinding>,
    /// Checks that could not run, and why.
    pub not_checked: Vec<String>,
}

/// The Security view of `context`.
pub async fn security_view(assistant: &Assistant, context: Option<&str>) -> Result<SecurityView, AskError> {
    let (findings, not_checked) = assistant.security(context, None).await?;
    let context = assistant.cache(context).await?.connection().context.clone();
    Ok(SecurityView { context, findings, not_checked })
}

/// The Cost view: the monthly cost report and whose prices it uses.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CostView {
    /// The context costed.
    pub context: String,
    /// Allocation, idle capacity and waste.
    pub report: kubeask_insight::cost::CostReport,
    /// At the user's prices (else OpenCost's defaults).
    pub your_prices: bool,
    /// Where the prices are kept.
    pub prices_file: std::path::PathBuf,
}

/// The Cost view of `context`, grouped `by`.
pub async fn cost_view(
    assistant: &Assistant,
    context: Option<&str>,
    by: &kubeask_insight::cost::By,
) -> Result<CostView, AskError> {
    let (report, your_prices) = assistant.cost(context, by).await?;
    let context = assistant.cache(context).await?.connection().context.clone();
    Ok(CostView { context, report, your_prices, prices_file: crate::prices::path() })
}

/// A container's sizing, each resource as `kubeask rightsize` prints it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "Sizing")]
pub struct SizingRow {
    /// Namespace.
    pub namespace: String,
    /// `Kind/name` of the workload.
    pub workload: String,
    /// Container.
    pub container: String,
    /// Pods pooled.
    pub pods: usize,
    /// CPU, when sampled.
    pub cpu: Option<String>,
    /// Memory, when sampled.
    pub memory: Option<String>,
    /// The worse of the two verdicts.
    pub verdict: kubeask_insight::history::rightsize::Verdict,
}

/// The History view's summary: forecasts, capacity, anomalies, sizing and
/// HPA advice as sentences the CLI prints too, and whether the context's
/// notifications are muted.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct InsightsView {
    /// The context.
    pub context: String,
    /// Its notifications are muted.
    pub muted: bool,
    /// What the figures come from.
    pub source: String,
    /// Forecasts reaching a limit within the horizon.
    pub forecasts: Vec<String>,
    /// The cluster's use against its allocatable.
    pub capacity: Vec<String>,
    /// What is unusual.
    pub anomalies: Vec<String>,
    /// Right-sizing, per container.
    pub sizing: Vec<SizingRow>,
    /// HPA advice.
    pub hpa: Vec<String>,
    /// Why the rest is empty (no history yet, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::error::ErrorCode>,
}

/// The History view's summary of `context`; with no history yet, `error`
/// says why and the lists are empty (`muted` is right either way).
pub async fn insights_view(
    assistant: &Assistant,
    context: Option<&str>,
    name: String,
    muted: bool,
) -> Result<InsightsView, AskError> {
    use crate::insights::{sizing_line, unusual_line, FORECAST_WINDOW, HORIZON, RIGHTSIZE_WINDOW};
    let empty = |source: String| InsightsView {
        context: name.clone(),
        muted,
        source,
        forecasts: Vec::new(),
        capacity: Vec::new(),
        anomalies: Vec::new(),
        sizing: Vec::new(),
        hpa: Vec::new(),
        error: None,
        code: None,
    };
    let f = match assistant.forecast(context, None, FORECAST_WINDOW, HORIZON).await {
        Ok(f) => f,
        Err(e) => return Ok(InsightsView { error: Some(e.to_string()), code: Some(e.code()), ..empty(String::new()) }),
    };
    let sizing = assistant.rightsize(context, None, RIGHTSIZE_WINDOW).await?;
    let mut view = empty(f.source.clone());
    view.hpa = sizing
        .report
        .hpa
        .iter()
        .map(|h| format!("{}/{} ({}): {}", h.namespace, h.hpa, h.workload, h.sentence()))
        .collect();
    view.forecasts = f.report.forecasts.iter().filter(|x| x.eta.is_some()).map(|x| x.sentence()).collect();
    if let Ok(v) = assistant.volume_forecasts(context, None, FORECAST_WINDOW, HORIZON).await {
        view.forecasts.extend(v.report.iter().filter(|x| x.eta.is_some()).map(|x| x.sentence()));
    }
    view.capacity = f.report.capacity.iter().map(|c| c.sentence(HORIZON)).collect();
    view.anomalies = f.report.anomalies.iter().take(20).map(unusual_line).collect();
    view.sizing = sizing
        .report
        .containers
        .iter()
        .map(|s| SizingRow {
            namespace: s.namespace.clone(),
            workload: s.workload.clone(),
            container: s.container.clone(),
            pods: s.pods,
            cpu: s.cpu.as_ref().map(sizing_line),
            memory: s.memory.as_ref().map(sizing_line),
            verdict: s.verdict,
        })
        .collect();
    Ok(view)
}

/// A workload's charts, and what they come from.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct WorkloadHistory {
    /// What the figures come from.
    pub source: String,
    /// Memory, then CPU, per container.
    pub charts: Vec<crate::charts::Chart>,
}

/// The incident timeline, and what it comes from.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TimelineView {
    /// What the history comes from.
    pub source: String,
    /// Incidents, oldest first.
    pub incidents: Vec<kubeask_insight::history::timeline::Incident>,
}
