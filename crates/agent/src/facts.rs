//! Facts computed from a snapshot: owners, names as people say them, pods
//! of a workload, env values, quantities, the error line of a log.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubeask_insight::snapshot::Snapshot;

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

/// The value of an env var in a container, resolving ConfigMap references
/// from the snapshot. Secret values are never read: `<secret name/key>`.
pub fn env_value(snap: &Snapshot, pod_ns: &str, c: &Container, var: &str) -> Option<String> {
    if let Some(e) = c.env.iter().flatten().find(|e| e.name == var) {
        if let Some(v) = &e.value {
            return Some(v.clone());
        }
        let from = e.value_from.as_ref()?;
        if let Some(r) = &from.config_map_key_ref {
            return config_value(snap, pod_ns, &r.name, &r.key)
                .or_else(|| Some(format!("<missing: ConfigMap {} has no key {}>", r.name, r.key)));
        }
        if let Some(r) = &from.secret_key_ref {
            return Some(format!("<secret {}/{}>", r.name, r.key));
        }
        if let Some(r) = &from.field_ref {
            return Some(format!("<field {}>", r.field_path));
        }
        return None;
    }
    for ef in c.env_from.iter().flatten() {
        if let Some(r) = &ef.config_map_ref {
            let prefixed = var.strip_prefix(ef.prefix.as_deref().unwrap_or("")).unwrap_or(var);
            if let Some(v) = config_value(snap, pod_ns, &r.name, prefixed) {
                return Some(v);
            }
        }
        if let Some(r) = &ef.secret_ref {
            let has = snap.secrets.iter().any(|s| {
                s.metadata.name.as_deref() == Some(r.name.as_str()) && s.metadata.namespace.as_deref() == Some(pod_ns)
            });
            if has {
                return Some(format!("<secret {}>", r.name));
            }
        }
    }
    None
}

fn config_value(snap: &Snapshot, ns: &str, name: &str, key: &str) -> Option<String> {
    snap.config_maps
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(name) && c.metadata.namespace.as_deref() == Some(ns))
        .and_then(|c| c.data.as_ref()?.get(key).cloned())
}

/// CPU quantity in millicores (`250m`, `2`, `160034196n`).
pub fn cpu_millis(q: &str) -> f64 {
    let q = q.trim();
    let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    if let Some(n) = q.strip_suffix('n') {
        num(n) / 1e6
    } else if let Some(u) = q.strip_suffix('u') {
        num(u) / 1e3
    } else if let Some(m) = q.strip_suffix('m') {
        num(m)
    } else {
        num(q) * 1000.0
    }
}

/// Memory quantity in bytes (`512Mi`, `862890Ki`, `1G`).
pub fn mem_bytes(q: &str) -> f64 {
    let q = q.trim();
    for (suffix, mult) in [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ] {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().unwrap_or(0.0) * mult;
        }
    }
    q.parse().unwrap_or(0.0)
}

/// Bytes as kubectl top shows them (`1288Mi`).
pub fn show_mem(bytes: f64) -> String {
    format!("{:.0}Mi", bytes / (1024.0 * 1024.0))
}

/// Whether a node's Ready condition is True.
pub fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The message of a log line: the `msg`/`message` field of a JSON line,
/// else the line itself.
pub fn log_message(line: &str) -> String {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
            for k in ["msg", "message", "error", "err"] {
                if let Some(m) = v.get(k).and_then(|m| m.as_str()) {
                    let err = v.get("error").or_else(|| v.get("err")).and_then(|e| e.as_str());
                    return match err {
                        Some(e) if k != "error" && k != "err" && !m.contains(e) => format!("{m}: {e}"),
                        _ => m.to_string(),
                    };
                }
            }
        }
    }
    trimmed.to_string()
}

fn severity(line: &str) -> u8 {
    let l = line.to_ascii_lowercase();
    let has = |w: &str| l.contains(w);
    if has("\"level\": \"fatal\"")
        || has("\"level\":\"fatal\"")
        || has("level=fatal")
        || has("panic:")
        || has(" fatal")
        || l.starts_with('f') && l.get(1..5).is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
    {
        4
    } else if has("\"level\": \"error\"")
        || has("\"level\":\"error\"")
        || has("level=error")
        || has("traceback")
        || has("exception")
        || has(" error")
        || has("error:")
        || has("[error]")
        || l.starts_with("error")
        || l.starts_with('e') && l.get(1..5).is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
    {
        3
    } else if has("warn") {
        1
    } else {
        0
    }
}

/// The line of a log that best says what went wrong: the last fatal line,
/// else the last error line (preferring a Python exception's last line).
pub fn error_line(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let best = lines.iter().map(|l| severity(l)).max().unwrap_or(0);
    if best < 3 {
        return None;
    }
    // NB: a Python traceback ends with `module.Error: message`, which says
    // more than the `Traceback` line; take the last line at top severity,
    // but if the very last line is an exception line, prefer it.
    let last = lines.iter().rev().find(|l| severity(l) == best)?;
    if let Some(exc) = lines.last().filter(|l| l.contains("Error: ") || l.contains("Exception: ")) {
        if severity(last) < 4 {
            return Some(log_message(exc));
        }
    }
    Some(log_message(last))
}

/// Pods in a snapshot, optionally in one namespace.
pub fn pods_in<'a>(snap: &'a Snapshot, ns: Option<&'a str>) -> impl Iterator<Item = &'a Arc<Pod>> + 'a {
    snap.pods.iter().filter(move |p| ns.is_none_or(|n| p.metadata.namespace.as_deref() == Some(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_like_kubernetes() {
        assert_eq!(cpu_millis("250m"), 250.0);
        assert_eq!(cpu_millis("2"), 2000.0);
        assert!((cpu_millis("160034196n") - 160.034196).abs() < 1e-6);
        assert_eq!(mem_bytes("512Mi"), 512.0 * 1024.0 * 1024.0);
        assert_eq!(mem_bytes("1G"), 1e9);
    }

    #[test]
    fn the_error_line_is_the_fatal_message_of_a_json_log() {
        let log = "{\"level\": \"info\", \"msg\": \"starting\"}\n{\"level\": \"fatal\", \"msg\": \"invalid configuration: X is not set\"}\n";
        assert_eq!(error_line(log).unwrap(), "invalid configuration: X is not set");
        let py = "INFO start\nTraceback (most recent call last):\n  File \"x.py\", line 1\npymongo.errors.ServerSelectionTimeoutError: db:27017: [Errno -2] Name or service not known\n";
        assert!(error_line(py).unwrap().contains("Name or service not known"));
        assert_eq!(error_line("all good\nstill fine\n"), None);
    }
}
