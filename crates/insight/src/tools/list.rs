//! `list(kind, namespace?, selector?, status?, node?)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{normalize_kind, ToolError, ToolOutput};
use crate::analyze::Object;
use crate::podstatus;
use crate::snapshot::Snapshot;

/// Arguments of `list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListArgs {
    /// Kind, e.g. `pod`, `deployment`.
    pub kind: String,
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// A label selector: `app=web,tier!=db` (equality forms).
    #[serde(default)]
    pub selector: Option<String>,
    /// Pods only: a kubectl status (`Running`, `Pending`, `CrashLoopBackOff`) or `not-running`.
    #[serde(default)]
    pub status: Option<String>,
    /// Pods only: on this node.
    #[serde(default)]
    pub node: Option<String>,
}

/// One listed object.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The status column (kubectl's words).
    pub status: String,
    /// More columns, compact.
    pub detail: String,
}

fn selector_matches(sel: &[(String, String, bool)], labels: Option<&BTreeMap<String, String>>) -> bool {
    sel.iter().all(|(k, v, eq)| (labels.and_then(|l| l.get(k)) == Some(v)) == *eq)
}

fn parse_selector(s: &str) -> Result<Vec<(String, String, bool)>, ToolError> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (k, v, eq) = if let Some((k, v)) = t.split_once("!=") {
                (k, v, false)
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                (k, v, true)
            } else {
                return Err(ToolError::BadArgument {
                    arg: "selector".into(),
                    message: format!("{t:?} is not key=value or key!=value"),
                });
            };
            Ok((k.trim().to_string(), v.trim().to_string(), eq))
        })
        .collect()
}

/// Lists objects.
pub fn list(snap: &Snapshot, a: &ListArgs) -> Result<ToolOutput, ToolError> {
    let kind = normalize_kind(&a.kind)?;
    let sel = parse_selector(a.selector.as_deref().unwrap_or(""))?;
    let nsok = |ns: Option<&str>| a.namespace.as_deref().is_none_or(|n| ns == Some(n));
    let mut rows: Vec<Row> = Vec::new();
    macro_rules! rows {
        ($list:expr, $status:expr, $detail:expr) => {
            for o in &$list {
                if nsok(o.metadata.namespace.as_deref()) && selector_matches(&sel, o.metadata.labels.as_ref()) {
                    #[allow(clippy::redundant_closure_call)]
                    rows.push(Row {
                        namespace: o.metadata.namespace.clone().unwrap_or_default(),
                        name: o.metadata.name.clone().unwrap_or_default(),
                        status: ($status)(o),
                        detail: ($detail)(o),
                    });
                }
            }
        };
    }
    let ready = |r: Option<i32>, d: Option<i32>| format!("{}/{} ready", r.unwrap_or(0), d.unwrap_or(1));
    match kind {
        "pod" => {
            let want = a.status.as_deref().map(str::to_lowercase);
            for p in &snap.pods {
                if !nsok(p.metadata.namespace.as_deref()) || !selector_matches(&sel, p.metadata.labels.as_ref()) {
                    continue;
                }
                let node = p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
                if a.node.as_deref().is_some_and(|n| n != node) {
                    continue;
                }
                let st = podstatus::display_status(p);
                let keep = match want.as_deref() {
                    None => true,
                    Some("not-running" | "not running" | "notrunning" | "failing" | "unhealthy") => {
                        st != "Running" && st != "Completed"
                    }
                    Some(w) => {
                        st.to_lowercase() == w
                            || p.status
                                .as_ref()
                                .and_then(|s| s.phase.as_deref())
                                .is_some_and(|ph| ph.to_lowercase() == w)
                    }
                };
                if !keep {
                    continue;
                }
                let (r, t) = podstatus::ready_containers(p);
                let (restarts, _) = podstatus::restarts(p);
                rows.push(Row {
                    namespace: p.metadata.namespace.clone().unwrap_or_default(),
                    name: p.metadata.name.clone().unwrap_or_default(),
                    status: st,
                    detail: format!(
                        "ready {r}/{t}, restarts {restarts}, node {}",
                        if node.is_empty() { "<none>" } else { &node }
                    ),
                });
            }
        }
        "node" => rows!(
            snap.nodes,
            |n: &std::sync::Arc<k8s_openapi::api::core::v1::Node>| {
                let ok = n
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
                if ok {
                    "Ready".to_string()
                } else {
                    "NotReady".to_string()
                }
            },
            |n: &std::sync::Arc<k8s_openapi::api::core::v1::Node>| n
                .status
                .as_ref()
                .and_then(|s| s.node_info.as_ref())
                .map(|i| i.kubelet_version.clone())
                .unwrap_or_default()
        ),
        "deployment" => rows!(
            snap.deployments,
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::Deployment>| ready(
                d.status.as_ref().and_then(|s| s.ready_replicas),
                d.spec.as_ref().and_then(|s| s.replicas)
            ),
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::Deployment>| images(
                d.spec.as_ref().and_then(|s| s.template.spec.as_ref())
            )
        ),
        "statefulset" => rows!(
            snap.stateful_sets,
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::StatefulSet>| ready(
                d.status.as_ref().and_then(|s| s.ready_replicas),
                d.spec.as_ref().and_then(|s| s.replicas)
            ),
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::StatefulSet>| images(
                d.spec.as_ref().and_then(|s| s.template.spec.as_ref())
            )
        ),
        "replicaset" => rows!(
            snap.replica_sets,
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::ReplicaSet>| ready(
                d.status.as_ref().and_then(|s| s.ready_replicas),
                d.spec.as_ref().and_then(|s| s.replicas)
            ),
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::ReplicaSet>| images(
                d.spec.as_ref().and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref())
            )
        ),
        "daemonset" => rows!(
            snap.daemon_sets,
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::DaemonSet>| d
                .status
                .as_ref()
                .map(|s| format!("{}/{} ready", s.number_ready, s.desired_number_scheduled))
                .unwrap_or_default(),
            |d: &std::sync::Arc<k8s_openapi::api::apps::v1::DaemonSet>| images(
                d.spec.as_ref().and_then(|s| s.template.spec.as_ref())
            )
        ),
        "job" => rows!(
            snap.jobs,
            |j: &std::sync::Arc<k8s_openapi::api::batch::v1::Job>| {
                let cs = j.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
                cs.iter()
                    .find(|c| c.status == "True" && (c.type_ == "Failed" || c.type_ == "Complete"))
                    .map(|c| c.type_.clone())
                    .unwrap_or_else(|| "Running".into())
            },
            |j: &std::sync::Arc<k8s_openapi::api::batch::v1::Job>| format!(
                "succeeded {}, failed {}",
                j.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0),
                j.status.as_ref().and_then(|s| s.failed).unwrap_or(0)
            )
        ),
        "cronjob" => rows!(
            snap.cron_jobs,
            |c: &std::sync::Arc<k8s_openapi::api::batch::v1::CronJob>| if c
                .spec
                .as_ref()
                .and_then(|s| s.suspend)
                .unwrap_or(false)
            {
                "Suspended".to_string()
            } else {
                "Active".to_string()
            },
            |c: &std::sync::Arc<k8s_openapi::api::batch::v1::CronJob>| format!(
                "schedule {}",
                c.spec.as_ref().map(|s| s.schedule.clone()).unwrap_or_default()
            )
        ),
        "service" => rows!(
            snap.services,
            |s: &std::sync::Arc<k8s_openapi::api::core::v1::Service>| s
                .spec
                .as_ref()
                .and_then(|x| x.type_.clone())
                .unwrap_or_else(|| "ClusterIP".into()),
            |s: &std::sync::Arc<k8s_openapi::api::core::v1::Service>| {
                let spec = s.spec.clone().unwrap_or_default();
                format!(
                    "{} ports {}",
                    spec.cluster_ip.unwrap_or_default(),
                    spec.ports.unwrap_or_default().iter().map(|p| p.port.to_string()).collect::<Vec<_>>().join(",")
                )
            }
        ),
        "endpoints" => rows!(
            snap.endpoints,
            |e: &std::sync::Arc<k8s_openapi::api::core::v1::Endpoints>| format!(
                "{} addresses",
                e.subsets.iter().flatten().map(|s| s.addresses.as_ref().map_or(0, Vec::len)).sum::<usize>()
            ),
            |_| String::new()
        ),
        "ingress" => rows!(snap.ingresses, |_| String::new(), |i: &std::sync::Arc<
            k8s_openapi::api::networking::v1::Ingress,
        >| format!(
            "hosts {}",
            i.spec
                .iter()
                .flat_map(|s| s.rules.iter().flatten())
                .filter_map(|r| r.host.clone())
                .collect::<Vec<_>>()
                .join(",")
        )),
        "pvc" => rows!(
            snap.pvcs,
            |c: &std::sync::Arc<k8s_openapi::api::core::v1::PersistentVolumeClaim>| c
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
            |c: &std::sync::Arc<k8s_openapi::api::core::v1::PersistentVolumeClaim>| c
                .spec
                .as_ref()
                .and_then(|s| s.storage_class_name.clone())
                .map(|s| format!("class {s}"))
                .unwrap_or_default()
        ),
        "pv" => rows!(
            snap.pvs,
            |c: &std::sync::Arc<k8s_openapi::api::core::v1::PersistentVolume>| c
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
            |_| String::new()
        ),
        "event" => rows!(
            snap.events,
            |e: &std::sync::Arc<k8s_openapi::api::core::v1::Event>| format!(
                "{} {}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default()
            ),
            |e: &std::sync::Arc<k8s_openapi::api::core::v1::Event>| format!(
                "{}: {}",
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default().trim()
            )
        ),
        "hpa" => rows!(
            snap.hpas,
            |h: &std::sync::Arc<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>| format!(
                "{}/{} replicas",
                h.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0),
                h.spec.as_ref().map_or(0, |s| s.max_replicas)
            ),
            |_| String::new()
        ),
        "configmap" => rows!(
            snap.config_maps,
            |c: &std::sync::Arc<k8s_openapi::api::core::v1::ConfigMap>| format!(
                "{} keys",
                c.data.as_ref().map_or(0, |d| d.len())
            ),
            |_| String::new()
        ),
        "secret" => rows!(
            snap.secrets,
            |s: &std::sync::Arc<k8s_openapi::api::core::v1::Secret>| s.type_.clone().unwrap_or_default(),
            |_| String::new()
        ),
        "namespace" => rows!(
            snap.namespaces,
            |n: &std::sync::Arc<k8s_openapi::api::core::v1::Namespace>| n
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
            |_| String::new()
        ),
        _ => {}
    }
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let text = if rows.is_empty() {
        format!("no {kind}s")
    } else {
        rows.iter()
            .map(|r| {
                let n = if r.namespace.is_empty() { r.name.clone() } else { format!("{}/{}", r.namespace, r.name) };
                format!("{n} {} {}", r.status, r.detail).trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut cmd = format!("kubectl get {kind}");
    match &a.namespace {
        Some(n) => cmd.push_str(&format!(" -n {n}")),
        None if kind != "node" && kind != "pv" && kind != "namespace" => cmd.push_str(" -A"),
        None => {}
    }
    if let Some(s) = &a.selector {
        cmd.push_str(&format!(" -l '{s}'"));
    }
    if let Some(n) = &a.node {
        cmd.push_str(&format!(" --field-selector spec.nodeName={n}"));
    }
    let kind_name = match kind {
        "pvc" => "PersistentVolumeClaim",
        "pv" => "PersistentVolume",
        "hpa" => "HorizontalPodAutoscaler",
        k => k,
    };
    Ok(ToolOutput {
        tool: "list",
        text: format!("{} {kind}(s):\n{text}", rows.len()),
        objects: rows
            .iter()
            .map(|r| Object { kind: capitalize(kind_name), namespace: r.namespace.clone(), name: r.name.clone() })
            .collect(),
        data: json!(rows),
        kubectl: cmd,
    })
}

fn images(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> String {
    spec.map(|s| s.containers.iter().filter_map(|c| c.image.clone()).collect::<Vec<_>>().join(",")).unwrap_or_default()
}

/// `deployment` → `Deployment`, `statefulset` → `StatefulSet`.
pub fn capitalize(kind: &str) -> String {
    match kind {
        "statefulset" => "StatefulSet".into(),
        "daemonset" => "DaemonSet".into(),
        "replicaset" => "ReplicaSet".into(),
        "cronjob" => "CronJob".into(),
        "configmap" => "ConfigMap".into(),
        "endpoints" => "Endpoints".into(),
        k => {
            let mut c = k.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}
