//! `list(kind, namespace?, selector?, status?, node?)`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{normalize_kind, ToolError, ToolOutput};
use crate::analyze::Object;
use crate::kind::Kind;
use crate::objects::AnyObject;
use crate::podstatus;
use crate::selector::LabelSelector;
use crate::snapshot::Snapshot;
use crate::state;

/// Arguments of `list`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ListArgs {
    /// Kind, e.g. `pod`, `deployment`.
    pub kind: String,
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// A label selector: `app=web,tier!=db,env in (a,b),!legacy`.
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

/// Whether a pod's status satisfies the `status` argument: a kubectl status,
/// a phase, or `not-running` (anything but Running and Completed).
fn status_wanted(want: &str, status: &str, pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    match want {
        "not-running" | "not running" | "notrunning" | "failing" | "unhealthy" => {
            status != "Running" && status != "Completed"
        }
        w => {
            status.to_lowercase() == w
                || pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_some_and(|ph| ph.to_lowercase() == w)
        }
    }
}

fn pod_rows(snap: &Snapshot, a: &ListArgs, sel: &LabelSelector) -> Vec<Row> {
    let want = a.status.as_deref().map(str::to_lowercase);
    let idx = snap.index();
    let mut rows = Vec::new();
    for (p, st) in idx.pods_with_status_labelled(a.namespace.as_deref(), &sel.equalities()) {
        let node = p.spec.as_ref().and_then(|s| s.node_name.as_deref());
        if a.node.as_deref().is_some_and(|n| node != Some(n))
            || !sel.matches(p.metadata.labels.as_ref())
            || want.as_deref().is_some_and(|w| !status_wanted(w, st, p))
        {
            continue;
        }
        let node = node.unwrap_or("<none>");
        let (r, t) = podstatus::ready_containers(p);
        let (restarts, _) = podstatus::restarts(p);
        rows.push(Row {
            namespace: p.metadata.namespace.clone().unwrap_or_default(),
            name: p.metadata.name.clone().unwrap_or_default(),
            status: st.to_string(),
            detail: format!("ready {r}/{t}, restarts {restarts}, node {node}"),
        });
    }
    rows
}

/// The extra column of a listed object.
fn detail(o: &AnyObject<'_>) -> String {
    use crate::objects::Item;
    let images = |spec: Option<&k8s_openapi::api::core::v1::PodSpec>| {
        spec.map(|s| s.containers.iter().filter_map(|c| c.image.clone()).collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    };
    match o.item() {
        Item::Node(n) => {
            n.status.as_ref().and_then(|s| s.node_info.as_ref()).map(|i| i.kubelet_version.clone()).unwrap_or_default()
        }
        Item::Deployment(_) | Item::StatefulSet(_) | Item::DaemonSet(_) | Item::ReplicaSet(_) => images(o.pod_spec()),
        Item::Job(j) => format!(
            "succeeded {}, failed {}",
            j.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0),
            j.status.as_ref().and_then(|s| s.failed).unwrap_or(0)
        ),
        Item::CronJob(c) => format!("schedule {}", c.spec.as_ref().map(|s| s.schedule.clone()).unwrap_or_default()),
        Item::Service(s) => {
            let spec = s.spec.clone().unwrap_or_default();
            let ports = spec.ports.unwrap_or_default().iter().map(|p| p.port.to_string()).collect::<Vec<_>>();
            format!("{} ports {}", spec.cluster_ip.unwrap_or_default(), ports.join(","))
        }
        Item::Ingress(i) => format!(
            "hosts {}",
            i.spec
                .iter()
                .flat_map(|s| s.rules.iter().flatten())
                .filter_map(|r| r.host.clone())
                .collect::<Vec<_>>()
                .join(",")
        ),
        Item::Pvc(c) => {
            c.spec.as_ref().and_then(|s| s.storage_class_name.clone()).map(|s| format!("class {s}")).unwrap_or_default()
        }
        Item::Event(e) => format!(
            "{}: {}",
            e.involved_object.name.clone().unwrap_or_default(),
            e.message.clone().unwrap_or_default().trim()
        ),
        _ => String::new(),
    }
}

/// Lists objects.
pub fn list(snap: &Snapshot, a: &ListArgs) -> Result<ToolOutput, ToolError> {
    let kind = normalize_kind(&a.kind)?;
    let sel = LabelSelector::parse(a.selector.as_deref().unwrap_or(""))
        .map_err(|e| ToolError::BadArgument { arg: "selector".into(), message: e.to_string() })?;
    let mut rows: Vec<Row> = if kind == Kind::Pod {
        pod_rows(snap, a, &sel)
    } else {
        let nsok = |ns: &str| !kind.namespaced() || a.namespace.as_deref().is_none_or(|n| ns == n);
        snap.objects(kind)
            .iter()
            .filter(|o| nsok(o.namespace()) && sel.matches(o.meta.labels.as_ref()))
            .map(|o| Row {
                namespace: o.namespace().to_string(),
                name: o.name().to_string(),
                status: state::status_of(o),
                detail: detail(o),
            })
            .collect()
    };
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let kind_word = kind.tool_name();
    let text = if rows.is_empty() {
        format!("no {kind_word}s")
    } else {
        rows.iter()
            .map(|r| {
                let n = if r.namespace.is_empty() { r.name.clone() } else { format!("{}/{}", r.namespace, r.name) };
                format!("{n} {} {}", r.status, r.detail).trim_end().to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut cmd = format!("kubectl get {kind_word}");
    match &a.namespace {
        Some(n) if kind.namespaced() => cmd.push_str(&format!(" -n {n}")),
        None if kind.namespaced() => cmd.push_str(" -A"),
        _ => {}
    }
    if let Some(s) = &a.selector {
        cmd.push_str(&format!(" -l '{s}'"));
    }
    if let Some(n) = &a.node {
        cmd.push_str(&format!(" --field-selector spec.nodeName={n}"));
    }
    Ok(ToolOutput {
        tool: "list",
        text: format!("{} {kind_word}(s):\n{text}", rows.len()),
        objects: rows
            .iter()
            .map(|r| Object { kind: kind.name().to_string(), namespace: r.namespace.clone(), name: r.name.clone() })
            .collect(),
        data: json!(rows),
        kubectl: cmd,
    })
}
