//! Draining a node, as `kubectl drain` does: cordon it, then evict every
//! pod on it through the eviction subresource, so PodDisruptionBudgets
//! are respected (the API server answers 429 while a budget allows no
//! disruption; the eviction is retried until the deadline). DaemonSet
//! pods (their controller would put them straight back) and mirror pods
//! are left alone.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, EvictParams, ListParams, PostParams};

use super::ActionError;
use crate::contexts::Connection;

/// A pod on the node: `(namespace, name)`.
pub(super) type PodRef = (String, String);

fn skipped(p: &Pod) -> Option<&'static str> {
    if p.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet") {
        return Some("DaemonSet");
    }
    if p.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror")) {
        return Some("mirror");
    }
    None
}

/// The pods a drain evicts, and how many it leaves (DaemonSet, mirror).
pub(super) async fn pods_on(conn: &Connection, node: &str) -> Result<(Vec<PodRef>, usize), ActionError> {
    let api: Api<Pod> = Api::all(conn.client.clone());
    let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
    let pods = api.list(&lp).await.map_err(|e| ActionError::from_kube(&format!("the pods on node {node}"), e))?;
    let (left, evict): (Vec<&Pod>, Vec<&Pod>) = pods.items.iter().partition(|p| skipped(p).is_some());
    let refs = evict
        .iter()
        .map(|p| (p.metadata.namespace.clone().unwrap_or_default(), p.metadata.name.clone().unwrap_or_default()))
        .collect();
    Ok((refs, left.len()))
}

fn params(dry_run: bool) -> EvictParams {
    EvictParams { post_options: PostParams { dry_run, ..Default::default() }, ..Default::default() }
}

/// Which pods a PodDisruptionBudget would not let go now (a dry-run
/// eviction of each), with the server's reason.
pub(super) async fn blocked(conn: &Connection, pods: &[PodRef]) -> Vec<String> {
    let mut out = Vec::new();
    for (ns, name) in pods {
        let api: Api<Pod> = Api::namespaced(conn.client.clone(), ns);
        if let Err(kube::Error::Api(s)) = api.evict(name, &params(true)).await {
            if s.code == 429 {
                out.push(format!("{ns}/{name}: {}", budget_reason(&s)));
            }
        }
    }
    out
}

fn budget_reason(s: &kube::core::Status) -> String {
    s.details
        .as_ref()
        .and_then(|d| d.causes.first())
        .map(|c| c.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| s.message.clone())
}

/// Evicts every pod in `pods`, retrying those a budget holds back until
/// `deadline`; names the pods still held back when it passes.
pub(super) async fn evict_all(conn: &Connection, pods: &[PodRef], deadline: Duration) -> Result<usize, ActionError> {
    let start = Instant::now();
    let mut left: Vec<PodRef> = pods.to_vec();
    loop {
        let mut waiting = Vec::new();
        for (ns, name) in left {
            let api: Api<Pod> = Api::namespaced(conn.client.clone(), &ns);
            match api.evict(&name, &params(false)).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(kube::Error::Api(s)) if s.code == 429 => waiting.push(((ns, name), budget_reason(&s))),
                Err(e) => return Err(ActionError::from_kube(&format!("pod {ns}/{name}"), e)),
            }
        }
        if waiting.is_empty() {
            return Ok(pods.len());
        }
        if start.elapsed() >= deadline {
            let held: Vec<String> = waiting.iter().map(|((ns, n), why)| format!("{ns}/{n} ({why})")).collect();
            return Err(ActionError::Timeout(format!(
                "the node is cordoned, but after {} s a PodDisruptionBudget still holds back: {}",
                deadline.as_secs(),
                held.join("; ")
            )));
        }
        left = waiting.into_iter().map(|(p, _)| p).collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
