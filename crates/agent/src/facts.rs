//! Facts computed from a snapshot: owners, names as people say them, pods
//! of a workload, env values, quantities, the error line of a log.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
pub use kubeask_insight::env::env_value;
pub use kubeask_insight::owners::{restarts, ObjRef, Owners};
use kubeask_insight::snapshot::Snapshot;
pub use kubeask_insight::text::{cpu_millis, error_line, log_message, mem_bytes, show_mem};

/// Whether a node's Ready condition is True.
pub fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Pods in a snapshot, optionally in one namespace.
pub fn pods_in<'a>(snap: &'a Snapshot, ns: Option<&'a str>) -> impl Iterator<Item = &'a Arc<Pod>> + 'a {
    snap.pods.iter().filter(move |p| ns.is_none_or(|n| p.metadata.namespace.as_deref() == Some(n)))
}
