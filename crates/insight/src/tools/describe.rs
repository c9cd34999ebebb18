//! `describe(kind, name, namespace?)`: one object in detail.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::find::suggestions;
use super::{budget, normalize_kind, ToolError, ToolOutput};
use crate::analyze::Object;
use crate::kind::Kind;
use crate::podstatus;
use crate::snapshot::Snapshot;

/// Arguments of `describe`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DescribeArgs {
    /// Kind, e.g. `pod`.
    pub kind: String,
    /// Name (for pods, a workload name finds its pods).
    pub name: String,
    /// Namespace, when the name exists in several.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The longest description handed to a model, in characters.
pub const MAX_CHARS: usize = 4000;

/// Finds one object of `kind` by name: `(namespace, full JSON)`.
pub fn locate(snap: &Snapshot, kind: Kind, name: &str, namespace: Option<&str>) -> Result<(String, Value), ToolError> {
    let mut hits: Vec<(String, Value)> =
        snap.get(kind, namespace, name).iter().map(|o| (o.namespace().to_string(), o.to_json())).collect();
    let kind_word = kind.tool_name();
    match hits.len() {
        0 => Err(ToolError::NotFound {
            kind: kind_word.into(),
            name: name.into(),
            namespace: namespace.map(str::to_string),
            suggestions: suggestions(snap, name, Some(kind)),
        }),
        1 => Ok(hits.remove(0)),
        _ => Err(ToolError::BadArgument {
            arg: "namespace".into(),
            message: format!(
                "{kind_word} {name} exists in namespaces {}; say which",
                hits.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

fn strip_noise(v: &mut Value) {
    if let Some(m) = v.pointer_mut("/metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.remove("data");
        m.remove("stringData");
    }
}

/// Describes one object.
pub fn describe(snap: &Snapshot, a: &DescribeArgs) -> Result<ToolOutput, ToolError> {
    let kind = normalize_kind(&a.kind)?;
    let mut name = a.name.clone();
    if kind == Kind::Pod && locate(snap, kind, &name, a.namespace.as_deref()).is_err() {
        // "describe pod checkout": the pod of the checkout workload.
        let idx = snap.index();
        let owners = idx.owners();
        if let Some(p) = idx.pods_in(a.namespace.as_deref()).into_iter().find(|p| owners.base_name(p) == a.name) {
            name = p.metadata.name.clone().unwrap_or_default();
        }
    }
    let (ns, mut v) = locate(snap, kind, &name, a.namespace.as_deref())?;
    // NB: the text and the structured data both leave the facts layer.
    crate::redact::object(&mut v);
    let text = if kind == Kind::Pod {
        let pod = snap.index().pod(&ns, &name).expect("located");
        describe_pod(snap, pod)
    } else {
        strip_noise(&mut v);
        let mut t = serde_yaml::to_string(&json!({"metadata": {"name": v.pointer("/metadata/name"), "namespace": v.pointer("/metadata/namespace"), "labels": v.pointer("/metadata/labels")}, "spec": v.get("spec"), "status": v.get("status")})).unwrap_or_default();
        if kind == Kind::ConfigMap {
            t.push_str(&format!(
                "keys: {}\n",
                snap.config_maps
                    .iter()
                    .find(|c| c.metadata.name.as_deref() == Some(&name) && c.metadata.namespace.as_deref() == Some(&ns))
                    .and_then(|c| c.data.as_ref())
                    .map(|d| d.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            ));
        }
        t
    };
    let events = object_events(snap, &ns, &name);
    let text = budget(&format!("{text}{events}"), MAX_CHARS);
    let nsflag = if ns.is_empty() { String::new() } else { format!(" -n {ns}") };
    Ok(ToolOutput {
        tool: "describe",
        text,
        data: v,
        objects: vec![Object { kind: kind.name().to_string(), namespace: ns.clone(), name: name.clone() }],
        kubectl: format!("kubectl describe {} {name}{nsflag}", kind.tool_name()),
    })
}

fn object_events(snap: &Snapshot, ns: &str, name: &str) -> String {
    let mut evs: Vec<_> = snap
        .events
        .iter()
        .filter(|e| {
            e.involved_object.name.as_deref() == Some(name) && e.metadata.namespace.as_deref().unwrap_or("") == ns
        })
        .collect();
    evs.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
    if evs.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = evs
        .iter()
        .rev()
        .take(8)
        .map(|e| {
            format!(
                "  {} {} (x{}): {}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.count.unwrap_or(1),
                e.message.clone().unwrap_or_default().trim()
            )
        })
        .collect();
    format!("events:\n{}\n", lines.join("\n"))
}

fn describe_pod(snap: &Snapshot, p: &k8s_openapi::api::core::v1::Pod) -> String {
    let idx = snap.index();
    let owners = idx.owners();
    let ns = p.metadata.namespace.clone().unwrap_or_default();
    let mut out =
        format!("pod {ns}/{}\nstatus: {}\n", p.metadata.name.clone().unwrap_or_default(), podstatus::display_status(p));
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    out.push_str(&format!("node: {}\n", spec.node_name.clone().unwrap_or_else(|| "<none>".into())));
    let chain: Vec<String> =
        p.metadata.owner_references.iter().flatten().map(|o| format!("{} {}", o.kind, o.name)).collect();
    if !chain.is_empty() {
        let top = owners.workload_of(p).map(|w| format!(" (workload: {} {})", w.kind, w.name)).unwrap_or_default();
        out.push_str(&format!("owned by: {}{top}\n", chain.join(", ")));
    }
    for c in status.conditions.iter().flatten() {
        out.push_str(&format!(
            "condition {}={}{}\n",
            c.type_,
            c.status,
            c.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
        ));
    }
    for c in &spec.containers {
        out.push_str(&format!("container {}: image {}\n", c.name, c.image.clone().unwrap_or_default()));
        if let Some(cs) = status.container_statuses.iter().flatten().find(|s| s.name == c.name) {
            let state = cs.state.clone().unwrap_or_default();
            let st = if let Some(w) = &state.waiting {
                format!("waiting {} {}", w.reason.clone().unwrap_or_default(), w.message.clone().unwrap_or_default())
            } else if let Some(t) = &state.terminated {
                format!("terminated {} exit code {}", t.reason.clone().unwrap_or_default(), t.exit_code)
            } else {
                "running".into()
            };
            out.push_str(&format!("  state: {}; ready {}; restarts {}\n", st.trim(), cs.ready, cs.restart_count));
            if let Some(t) = cs.last_state.as_ref().and_then(|l| l.terminated.as_ref()) {
                out.push_str(&format!(
                    "  last termination: {} exit code {}\n",
                    t.reason.clone().unwrap_or_default(),
                    t.exit_code
                ));
            }
        }
        if let Some(r) = &c.resources {
            let fmt = |m: &Option<
                std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
            >| {
                m.as_ref()
                    .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.0)).collect::<Vec<_>>().join(","))
                    .unwrap_or_else(|| "none".into())
            };
            out.push_str(&format!("  requests: {}; limits: {}\n", fmt(&r.requests), fmt(&r.limits)));
        }
        for (what, probe) in
            [("liveness", &c.liveness_probe), ("readiness", &c.readiness_probe), ("startup", &c.startup_probe)]
        {
            if let Some(pr) = probe {
                let target = pr
                    .http_get
                    .as_ref()
                    .map(|h| format!("http {}:{:?}", h.path.clone().unwrap_or_default(), h.port))
                    .or_else(|| pr.tcp_socket.as_ref().map(|t| format!("tcp {:?}", t.port)))
                    .or_else(|| pr.exec.as_ref().map(|_| "exec".into()))
                    .unwrap_or_default();
                out.push_str(&format!("  {what} probe: {target}\n"));
            }
        }
        for e in c.env.iter().flatten() {
            // NB: one resolver for the router and the tools; literal values of
            // secret-looking variables are hidden here too, before any prompt.
            let v = match crate::env::env_value(snap, &ns, c, &e.name) {
                Some(v) if crate::redact::is_secret_name(&e.name) && !v.starts_with('<') => "<hidden>".to_string(),
                Some(v) => v,
                None => String::new(),
            };
            out.push_str(&format!("  env {}={v}\n", e.name));
        }
    }
    out
}
