//! `events`, `top`, `owners`, `pods_of`, `summary`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::find::suggestions;
use super::{ToolError, ToolOutput};
use crate::analyze::Object;
use crate::index::PodCounts;
use crate::kind::Kind;
use crate::objects::Item;
use crate::owners::restarts;
use crate::podstatus;
use crate::snapshot::Snapshot;
use crate::state;
use crate::text::{cpu_millis, mem_bytes};

/// Arguments of `events`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EventsArgs {
    /// An object name (a pod's workload name includes its pods).
    #[serde(default)]
    pub object: Option<String>,
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Warnings only.
    #[serde(default)]
    pub warnings_only: Option<bool>,
    /// Only events seen in the last N minutes.
    #[serde(default)]
    pub since_minutes: Option<i64>,
}

/// Events, newest first.
pub fn events(snap: &Snapshot, a: &EventsArgs) -> Result<ToolOutput, ToolError> {
    let names: Vec<String> = match &a.object {
        Some(o) => {
            let mut n: Vec<String> =
                snap.index().pods_by_base(o).iter().filter_map(|p| p.metadata.name.clone()).collect();
            n.push(o.clone());
            n
        }
        None => Vec::new(),
    };
    // NB: the argument comes from a model: a window past the representable
    // range means "everything", not a panic.
    let cutoff = a.since_minutes.and_then(|m| {
        let window = jiff::SignedDuration::from_secs(m.clamp(0, i64::MAX / 120) * 60);
        snap.now().checked_sub(window).ok()
    });
    let mut evs: Vec<_> = snap
        .events
        .iter()
        .filter(|e| a.namespace.as_deref().is_none_or(|n| e.metadata.namespace.as_deref() == Some(n)))
        .filter(|e| names.is_empty() || e.involved_object.name.as_ref().is_some_and(|n| names.contains(n)))
        .filter(|e| !a.warnings_only.unwrap_or(false) || e.type_.as_deref() == Some("Warning"))
        .filter(|e| {
            cutoff.is_none_or(|c| {
                e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)).is_some_and(|t| t >= c)
            })
        })
        .collect();
    if evs.is_empty()
        && a.object.is_some()
        && names.len() == 1
        && suggestions(snap, &names[0], None).first() != Some(&names[0])
    {
        let exists = snap.events.iter().any(|e| e.involved_object.name.as_deref() == Some(&names[0]));
        if !exists && !crate::tools::find::matches(snap, &names[0], None).iter().any(|m| m.score >= 95) {
            return Err(ToolError::NotFound {
                kind: "object".into(),
                name: names[0].clone(),
                namespace: a.namespace.clone(),
                suggestions: suggestions(snap, &names[0], None),
            });
        }
    }
    evs.sort_by_key(|e| {
        std::cmp::Reverse(e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)))
    });
    let rows: Vec<serde_json::Value> = evs.iter().take(50).map(|e| json!({
        "namespace": e.metadata.namespace, "type": e.type_, "reason": e.reason, "object": format!("{}/{}", e.involved_object.kind.clone().unwrap_or_default(), e.involved_object.name.clone().unwrap_or_default()),
        "message": e.message.clone().unwrap_or_default().trim(), "count": e.count})).collect();
    let text = if rows.is_empty() {
        "no events".to_string()
    } else {
        evs.iter()
            .take(30)
            .map(|e| {
                format!(
                    "{} {} {}: {}",
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    e.involved_object.name.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default().trim()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut cmd = "kubectl get events".to_string();
    cmd.push_str(&a.namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_else(|| " -A".into()));
    if let Some(o) = &a.object {
        cmd.push_str(&format!(" --field-selector involvedObject.name={o}"));
    }
    if a.warnings_only.unwrap_or(false) {
        cmd.push_str(" --field-selector type=Warning");
    }
    Ok(ToolOutput { tool: "events", text, data: json!(rows), objects: Vec::new(), kubectl: cmd })
}

/// Arguments of `top`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TopArgs {
    /// `pods` or `nodes`.
    pub what: String,
    /// Pods only: this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `cpu` or `memory` (default memory).
    #[serde(default)]
    pub sort_by: Option<String>,
}

/// Usage from metrics.k8s.io, highest first.
pub fn top(snap: &Snapshot, a: &TopArgs) -> Result<ToolOutput, ToolError> {
    let by_cpu = a.sort_by.as_deref() == Some("cpu");
    let mut rows: Vec<(String, String, f64, f64)> = match a.what.as_str() {
        "nodes" | "node" => snap
            .node_metrics
            .iter()
            .map(|m| {
                (
                    String::new(),
                    m.metadata.name.clone().unwrap_or_default(),
                    m.usage.get("cpu").map_or(0.0, |q| cpu_millis(&q.0)),
                    m.usage.get("memory").map_or(0.0, |q| mem_bytes(&q.0)),
                )
            })
            .collect(),
        "pods" | "pod" => snap
            .pod_metrics
            .iter()
            .filter(|m| a.namespace.as_deref().is_none_or(|n| m.metadata.namespace.as_deref() == Some(n)))
            .map(|m| {
                let (cpu, mem) = m.usage();
                (
                    m.metadata.namespace.clone().unwrap_or_default(),
                    m.metadata.name.clone().unwrap_or_default(),
                    cpu,
                    mem,
                )
            })
            .collect(),
        other => {
            return Err(ToolError::BadArgument { arg: "what".into(), message: format!("{other:?}: use pods or nodes") })
        }
    };
    if rows.is_empty() {
        return Err(ToolError::BadArgument {
            arg: "what".into(),
            message: "no metrics: is metrics-server installed?".into(),
        });
    }
    rows.sort_by(|x, y| if by_cpu { y.2.total_cmp(&x.2) } else { y.3.total_cmp(&x.3) });
    let text = rows
        .iter()
        .take(20)
        .map(|(ns, n, c, m)| {
            format!(
                "{}{n} cpu {c:.0}m memory {:.0}Mi",
                if ns.is_empty() { String::new() } else { format!("{ns}/") },
                m / 1048576.0
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let kind = if a.what.starts_with("node") { "Node" } else { "Pod" };
    let data = json!(rows
        .iter()
        .map(|(ns, n, c, m)| json!({"namespace": ns, "name": n, "cpu_millicores": c, "memory_bytes": m}))
        .collect::<Vec<_>>());
    let cmd = format!(
        "kubectl top {}{} --sort-by={}",
        if kind == "Node" { "nodes" } else { "pods" },
        if kind == "Pod" {
            a.namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_else(|| " -A".into())
        } else {
            String::new()
        },
        if by_cpu { "cpu" } else { "memory" }
    );
    Ok(ToolOutput {
        tool: "top",
        text,
        data,
        objects: rows
            .iter()
            .take(20)
            .map(|(ns, n, ..)| Object { kind: kind.into(), namespace: ns.clone(), name: n.clone() })
            .collect(),
        kubectl: cmd,
    })
}

/// Arguments of `owners`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OwnersArgs {
    /// The pod.
    pub pod: String,
    /// Its namespace, when needed.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// A pod's owner chain.
pub fn owners(snap: &Snapshot, a: &OwnersArgs) -> Result<ToolOutput, ToolError> {
    let idx = snap.index();
    let o = idx.owners();
    let in_ns = |p: &&std::sync::Arc<k8s_openapi::api::core::v1::Pod>| {
        a.namespace.as_deref().is_none_or(|n| p.metadata.namespace.as_deref() == Some(n))
    };
    let by_name = snap.namespaces.iter().filter_map(|n| idx.pod(n.metadata.name.as_deref()?, &a.pod)).find(in_ns);
    let p =
        by_name.or_else(|| idx.pods_by_base(&a.pod).into_iter().find(in_ns)).ok_or_else(|| ToolError::NotFound {
            kind: "pod".into(),
            name: a.pod.clone(),
            namespace: a.namespace.clone(),
            suggestions: suggestions(snap, &a.pod, Some(Kind::Pod)),
        })?;
    let mut chain: Vec<String> =
        p.metadata.owner_references.iter().flatten().map(|r| format!("{} {}", r.kind, r.name)).collect();
    let w = o.workload_of(p);
    if let Some(w) = &w {
        let top = format!("{} {}", w.kind, w.name);
        if !chain.contains(&top) {
            chain.push(top);
        }
    }
    let name = p.metadata.name.clone().unwrap_or_default();
    let ns = p.metadata.namespace.clone().unwrap_or_default();
    let text = if chain.is_empty() {
        format!("pod {ns}/{name} has no owner (a bare pod)")
    } else {
        format!("pod {ns}/{name} ← {}", chain.join(" ← "))
    };
    Ok(ToolOutput {
        tool: "owners",
        text,
        data: json!({"pod": name, "chain": chain, "workload": w.map(|w| json!({"kind": w.kind, "name": w.name}))}),
        objects: vec![Object { kind: "Pod".into(), namespace: ns.clone(), name: name.clone() }],
        kubectl: format!("kubectl get pod {name} -n {ns} -o jsonpath='{{.metadata.ownerReferences}}'"),
    })
}

/// Arguments of `pods_of`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PodsOfArgs {
    /// A Deployment, StatefulSet, DaemonSet, Job, CronJob or Service name.
    pub workload: String,
    /// Namespace, when needed.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The pods of a workload or service.
pub fn pods_of(snap: &Snapshot, a: &PodsOfArgs) -> Result<ToolOutput, ToolError> {
    let idx = snap.index();
    let mut pods = idx.pods_of_named_workload(&a.workload, a.namespace.as_deref());
    let services = snap.get(Kind::Service, a.namespace.as_deref(), &a.workload);
    if pods.is_empty() {
        if let Some(Item::Service(svc)) = services.first().map(|s| s.item()) {
            pods = idx.pods_selected_by(svc);
        }
    }
    let exists = [Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::Job, Kind::CronJob]
        .iter()
        .any(|&k| !snap.get(k, a.namespace.as_deref(), &a.workload).is_empty())
        || !services.is_empty();
    if pods.is_empty() && !exists {
        return Err(ToolError::NotFound {
            kind: "workload".into(),
            name: a.workload.clone(),
            namespace: a.namespace.clone(),
            suggestions: suggestions(snap, &a.workload, None),
        });
    }
    pods.sort_by(|x, y| x.metadata.name.cmp(&y.metadata.name));
    let text = if pods.is_empty() {
        format!("{} has no pods", a.workload)
    } else {
        pods.iter()
            .map(|p| {
                format!(
                    "{}/{} {} restarts {}",
                    p.metadata.namespace.clone().unwrap_or_default(),
                    p.metadata.name.clone().unwrap_or_default(),
                    podstatus::display_status(p),
                    restarts(p)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(ToolOutput { tool: "pods_of", text,
        data: json!(pods.iter().map(|p| json!({"namespace": p.metadata.namespace, "name": p.metadata.name, "status": podstatus::display_status(p)})).collect::<Vec<_>>()),
        objects: pods.iter().map(|p| Object { kind: "Pod".into(), namespace: p.metadata.namespace.clone().unwrap_or_default(), name: p.metadata.name.clone().unwrap_or_default() }).collect(),
        kubectl: format!("kubectl get pods{} | grep {}", a.namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_else(|| " -A".into()), a.workload) })
}

/// Arguments of `summary`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SummaryArgs {
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// Counts and versions of the cluster.
pub fn summary(snap: &Snapshot, a: &SummaryArgs) -> ToolOutput {
    let in_ns = |ns: Option<&str>| a.namespace.as_deref().is_none_or(|n| ns == Some(n));
    let idx = snap.index();
    let counts = match a.namespace.as_deref() {
        None => idx.pod_counts().clone(),
        Some(ns) => PodCounts::of(idx.pods_with_status(Some(ns)).iter().map(|(p, s)| (p.as_ref(), *s))),
    };
    let pod_total: usize = counts.by_namespace.values().sum();
    let (by_status, by_ns, by_node) = (counts.by_status, counts.by_namespace, counts.by_node);
    let c = |k: Kind| snap.objects(k).iter().filter(|o| !k.namespaced() || in_ns(Some(o.namespace()))).count();
    let kinds = json!({
        "pods": pod_total, "deployments": c(Kind::Deployment), "statefulsets": c(Kind::StatefulSet), "daemonsets": c(Kind::DaemonSet),
        "jobs": c(Kind::Job), "cronjobs": c(Kind::CronJob), "services": c(Kind::Service), "ingresses": c(Kind::Ingress),
        "pvcs": c(Kind::Pvc), "configmaps": c(Kind::ConfigMap), "secrets": c(Kind::Secret), "nodes": snap.nodes.len(), "namespaces": snap.namespaces.len(),
    });
    let ready_nodes = snap.nodes.iter().filter(|n| state::node_ready(n)).count();
    let mut versions: Vec<String> = snap
        .nodes
        .iter()
        .filter_map(|n| n.status.as_ref()?.node_info.as_ref().map(|i| i.kubelet_version.clone()))
        .collect();
    versions.sort();
    versions.dedup();
    let warnings = snap
        .events
        .iter()
        .filter(|e| in_ns(e.metadata.namespace.as_deref()) && e.type_.as_deref() == Some("Warning"))
        .count();
    let fmt = |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    let text = format!(
        "server {}; kubelets {}\nnodes {} ({ready_nodes} ready)\npods {} by status: {}\npods by namespace: {}\npods by node: {}\nobjects: {}\nwarning events: {warnings}",
        snap.server_version.clone().unwrap_or_else(|| "unknown".into()), versions.join(", "), snap.nodes.len(), pod_total, fmt(&by_status), fmt(&by_ns), fmt(&by_node),
        kinds.as_object().map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
    );
    ToolOutput {
        tool: "summary",
        text,
        data: json!({"kinds": kinds, "pods_by_status": by_status, "pods_by_namespace": by_ns, "pods_by_node": by_node,
        "ready_nodes": ready_nodes, "kubelet_versions": versions, "server_version": snap.server_version, "warning_events": warnings}),
        objects: Vec::new(),
        kubectl: "kubectl get all -A".into(),
    }
}
