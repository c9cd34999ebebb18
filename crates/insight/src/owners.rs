//! Names as people say them: the workload a pod belongs to
//! (`mongodb-56c598c8fc-x7k2p` → Deployment `mongodb`), through owner
//! references, and pod restart totals.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::snapshot::Snapshot;

/// A workload reference: kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjRef {
    /// Kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// Namespace (empty for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
}

fn controller(meta: &ObjectMeta) -> Option<(&str, &str)> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|r| r.controller.unwrap_or(false))
        .or_else(|| meta.owner_references.iter().flatten().next())
        .map(|r| (r.kind.as_str(), r.name.as_str()))
}

/// Indexes over a snapshot that name resolution needs, built once.
#[derive(Debug, Default)]
pub struct Owners {
    /// ReplicaSet (ns, name) → Deployment name.
    rs_to_deploy: HashMap<(String, String), String>,
    /// Job (ns, name) → CronJob name.
    job_to_cron: HashMap<(String, String), String>,
}

impl Owners {
    /// Builds the owner indexes.
    pub fn new(snap: &Snapshot) -> Self {
        let mut o = Owners::default();
        for rs in &snap.replica_sets {
            if let Some(("Deployment", d)) = controller(&rs.metadata) {
                o.rs_to_deploy.insert(key(&rs.metadata), d.to_string());
            }
        }
        for j in &snap.jobs {
            if let Some(("CronJob", c)) = controller(&j.metadata) {
                o.job_to_cron.insert(key(&j.metadata), c.to_string());
            }
        }
        o
    }

    /// The workload a pod belongs to: Deployment, StatefulSet, DaemonSet,
    /// CronJob, Job or a bare ReplicaSet; `None` for a bare pod.
    pub fn workload_of(&self, pod: &Pod) -> Option<ObjRef> {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let (kind, name) = controller(&pod.metadata)?;
        let r = |kind: &'static str, name: &str| Some(ObjRef { kind, namespace: ns.clone(), name: name.to_string() });
        match kind {
            "ReplicaSet" => match self.rs_to_deploy.get(&(ns.clone(), name.to_string())) {
                Some(d) => r("Deployment", d),
                None => r("ReplicaSet", name),
            },
            "Job" => match self.job_to_cron.get(&(ns.clone(), name.to_string())) {
                Some(c) => r("CronJob", c),
                None => r("Job", name),
            },
            "StatefulSet" => r("StatefulSet", name),
            "DaemonSet" => r("DaemonSet", name),
            _ => None,
        }
    }

    /// The workload of a pod that may be gone (replaced by a rollout), by
    /// its name alone: `<replicaset>-<x>` through its ReplicaSet's
    /// Deployment, `<job>-<x>` through its Job (and CronJob), `<ds>-<x>` a
    /// DaemonSet's, `<sts>-<n>` a StatefulSet's, `<deployment>-<hash>-<x>` a Deployment's
    /// whose ReplicaSet is gone too. Callers look up a pod that
    /// still exists with [`Owners::workload_of`] first.
    pub fn workload_of_name(&self, snap: &Snapshot, namespace: &str, pod: &str) -> Option<ObjRef> {
        let (prefix, _) = pod.rsplit_once('-')?;
        let key = (namespace.to_string(), prefix.to_string());
        let r = |kind: &'static str, name: &str| {
            Some(ObjRef { kind, namespace: namespace.to_string(), name: name.to_string() })
        };
        if let Some(d) = self.rs_to_deploy.get(&key) {
            return r("Deployment", d);
        }
        if let Some(c) = self.job_to_cron.get(&key) {
            return r("CronJob", c);
        }
        let named = |m: &ObjectMeta| m.namespace.as_deref() == Some(namespace) && m.name.as_deref() == Some(prefix);
        if snap.jobs.iter().any(|j| named(&j.metadata)) {
            return r("Job", prefix);
        }
        if snap.daemon_sets.iter().any(|d| named(&d.metadata)) {
            return r("DaemonSet", prefix);
        }
        if snap.stateful_sets.iter().any(|d| named(&d.metadata)) {
            return r("StatefulSet", prefix);
        }
        // Its ReplicaSet may be gone too: `<deployment>-<hash>-<x>`.
        snap.deployments
            .iter()
            .filter(|d| d.metadata.namespace.as_deref() == Some(namespace))
            .filter_map(|d| d.metadata.name.as_deref())
            .find(|n| pod.strip_prefix(n).and_then(|r| r.strip_prefix('-')).is_some_and(|r| r.split('-').count() == 2))
            .and_then(|n| r("Deployment", n))
    }

    /// The Job directly owning a pod, if any.
    pub fn job_of(pod: &Pod) -> Option<String> {
        match controller(&pod.metadata) {
            Some(("Job", j)) => Some(j.to_string()),
            _ => None,
        }
    }

    /// A pod's name as people say it: its Deployment, DaemonSet, Job or
    /// CronJob name; StatefulSet pods and bare pods keep their own name.
    pub fn base_name(&self, pod: &Pod) -> String {
        match self.workload_of(pod) {
            Some(w) if w.kind != "StatefulSet" => w.name,
            _ => pod.metadata.name.clone().unwrap_or_default(),
        }
    }

    /// Whether `pod` belongs to the workload `kind/name` in `ns` (directly or
    /// through a ReplicaSet or Job).
    pub fn belongs(&self, pod: &Pod, kind: &str, ns: &str, name: &str) -> bool {
        if pod.metadata.namespace.as_deref() != Some(ns) {
            return false;
        }
        let direct = controller(&pod.metadata);
        if direct.is_some_and(|(k, n)| k == kind && n == name) {
            return true;
        }
        self.workload_of(pod).is_some_and(|w| w.kind == kind && w.name == name)
    }
}

fn key(meta: &ObjectMeta) -> (String, String) {
    (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
}

/// Total restarts of a pod's containers.
pub fn restarts(pod: &Pod) -> i32 {
    pod.status.iter().flat_map(|s| s.container_statuses.iter().flatten()).map(|c| c.restart_count).sum()
}
