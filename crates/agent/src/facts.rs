//! Facts computed from a snapshot, re-exported from `kubeask-insight` (their
//! one home): owners, names as people say them, pods of a workload, env
//! values, quantities, the error line of a log, object states.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
pub use kubeask_insight::env::env_value;
pub use kubeask_insight::owners::{restarts, ObjRef, Owners};
use kubeask_insight::snapshot::Snapshot;
pub use kubeask_insight::state::{job_status, node_ready, node_status, workload_ready};
pub use kubeask_insight::text::{cpu_millis, error_line, log_message, mem_bytes, show_mem};

/// Pods in a snapshot, optionally in one namespace (through its index).
pub fn pods_in<'a>(snap: &'a Snapshot, ns: Option<&str>) -> impl Iterator<Item = &'a Arc<Pod>> + 'a {
    snap.index().pods_in(ns).into_iter()
}
