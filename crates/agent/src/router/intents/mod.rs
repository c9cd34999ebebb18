//! What direct mode understands, and how each answer is computed.
//!
//! Each intent reads the snapshot and returns the exact short answer (the
//! convention: workload names without hash suffixes, lists
//! comma-separated), the objects read and the kubectl commands that show
//! the same. Intent detection is keyword based over the question's words;
//! object names come from the cluster (see `parse`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Pod};
use kubeask_insight::podstatus;

use super::guard;
use super::parse::{Refs, Words};
use super::vocab::{Kind, NameEntry};
use super::{Ctx, Outcome, Routed};
use crate::answer::Evidence;
use kubeask_insight::text::clean_line;

use crate::facts::{self, cpu_millis, env_value, mem_bytes, node_ready, restarts};

type R = Result<Routed, Outcome>;

mod collections;
mod cost;
mod field_table;
mod fields;
mod history;
pub(crate) use history::tool as history_tool;
mod nodes;
mod security;
mod status;
mod why;

pub(in crate::router) use collections::*;
pub(in crate::router) use cost::*;
pub(in crate::router) use field_table::*;
pub(in crate::router) use fields::*;
pub(in crate::router) use history::*;
pub(in crate::router) use nodes::*;
pub(in crate::router) use security::*;
pub(in crate::router) use status::*;
pub(in crate::router) use why::*;

pub(in crate::router) fn routed(
    route: &'static str,
    short: impl Into<String>,
    explanation: impl Into<String>,
) -> Routed {
    Routed { route, short: short.into(), explanation: explanation.into(), ..Default::default() }
}

pub(in crate::router) fn ns_flag(ns: &str) -> String {
    if ns.is_empty() {
        String::new()
    } else {
        format!(" -n {ns}")
    }
}

pub(in crate::router) fn pod_ev(p: &Pod) -> Evidence {
    Evidence::new("Pod", p.metadata.namespace.as_deref(), p.metadata.name.as_deref().unwrap_or(""))
}

pub(in crate::router) fn name(p: &Pod) -> &str {
    p.metadata.name.as_deref().unwrap_or("")
}

pub(in crate::router) fn ns(p: &Pod) -> &str {
    p.metadata.namespace.as_deref().unwrap_or("")
}

pub(in crate::router) fn join<I: IntoIterator<Item = String>>(it: I) -> String {
    it.into_iter().collect::<Vec<_>>().join(", ")
}

pub(in crate::router) fn distinct<I: IntoIterator<Item = String>>(it: I) -> Vec<String> {
    let mut seen = Vec::new();
    for x in it {
        if !seen.contains(&x) {
            seen.push(x);
        }
    }
    seen
}

/// "is the frontend hpa at max?" wants yes or no: a bare value ("6") would
/// answer another question. A status answer to "is X running/ready?"
/// becomes yes/no; any other non-yes/no answer is declined.
pub(in crate::router) fn yes_no(ctx: &Ctx<'_>, w: &Words, mut routed: Routed) -> R {
    const AUX: &[&str] = &["is", "are", "does", "do", "did", "has", "have", "can", "was", "were", "isn't", "aren't"];
    const WH: &[&str] = &["what", "whats", "what's", "which", "how", "why", "when", "where", "who", "whose"];
    let asks_yes_no = w.lower.first().is_some_and(|x| AUX.contains(&x.as_str())) && !w.any(WH);
    let short = routed.short.to_lowercase();
    if !asks_yes_no || short.starts_with("yes") || short.starts_with("no") || short.starts_with("i can't") {
        return Ok(routed);
    }
    let s = routed.short.clone();
    let ready_counts = s.split_once('/').and_then(|(a, b)| {
        let total = b.split_whitespace().next()?.parse::<u32>().ok()?;
        Some((a.trim().parse::<u32>().ok()?, total))
    });
    let verdict = if w.has("running") && routed.route == "status" {
        Some(s == "Running")
    } else if w.any(&["ready", "healthy", "up", "ok", "okay"]) && routed.route == "status" {
        match ready_counts {
            Some((a, b)) => Some(a == b && b > 0),
            None => Some(matches!(s.as_str(), "Running" | "Ready" | "Completed" | "Bound" | "Active")),
        }
    } else {
        None
    };
    match verdict {
        Some(yes) => {
            routed.short = format!("{}: {s}", if yes { "yes" } else { "no" });
            Ok(routed)
        }
        None => Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
    }
}

/// Answers a parsed question.
pub async fn answer(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Outcome {
    match super::rules::dispatch(ctx, w, r).await.and_then(|routed| yes_no(ctx, w, routed)) {
        Ok(mut routed) => {
            routed.subject = r.target_word.clone();
            routed.namespace = r.namespace.clone();
            Outcome::Answered(Box::new(routed))
        }
        Err(outcome) => outcome,
    }
}

/// A few questions direct mode answers, with this cluster's names.
pub fn suggestions(ctx: &Ctx<'_>) -> Vec<String> {
    let ns = ctx.snap.pods.first().and_then(|p| p.metadata.namespace.clone()).unwrap_or_else(|| "default".into());
    let pod = ctx.snap.pods.first().map(|p| ctx.owners.base_name(p)).unwrap_or_else(|| "my-app".into());
    vec![
        format!("how many pods are in the {ns} namespace?"),
        format!("what's the status of the {pod} pod?"),
        format!("why is {pod} failing?"),
        format!("what image is {pod} running?"),
        format!("show the logs of {pod}"),
        "which pods are not running?".into(),
        "which node is NotReady?".into(),
        "which pod is using the most memory?".into(),
    ]
}

pub(in crate::router) fn not_found(ctx: &Ctx<'_>, word: &str, kind: Option<Kind>) -> Outcome {
    let what = kind.map(|k| k.name().to_lowercase()).unwrap_or_else(|| "object".into());
    let similar = ctx.names.similar(word, 3);
    let hint = if similar.is_empty() { String::new() } else { format!("; did you mean {}?", similar.join(" or ")) };
    Outcome::NotFound { message: format!("no {what} called {word} in any namespace (not found){hint}") }
}

/// Candidates of the wanted kinds, filtered by the namespace named.
pub(in crate::router) fn pick(ctx: &Ctx<'_>, r: &Refs, kinds: &[Kind]) -> Result<Vec<NameEntry>, Outcome> {
    let Some(word) = &r.target_word else {
        return Err(match &r.unknown {
            Some(u) => not_found(ctx, u, r.kind),
            None => Outcome::NotUnderstood { suggestions: suggestions(ctx) },
        });
    };
    let in_ns = |e: &NameEntry| r.namespace.as_deref().is_none_or(|n| e.namespace == n || e.namespace.is_empty());
    let mut out: Vec<NameEntry> = r.targets.iter().filter(|e| kinds.contains(&e.kind) && in_ns(e)).cloned().collect();
    if out.is_empty() {
        let ns_hint =
            r.namespace.as_ref().map(|n| format!(" in namespace {n}")).unwrap_or_else(|| " in any namespace".into());
        let kind = kinds.first().map(|k| k.name().to_lowercase()).unwrap_or_default();
        let elsewhere: Vec<String> =
            r.targets.iter().map(|e| format!("{} {}/{}", e.kind.name(), e.namespace, e.name)).collect();
        let hint =
            if elsewhere.is_empty() { String::new() } else { format!(" (found: {})", distinct(elsewhere).join(", ")) };
        return Err(Outcome::NotFound { message: format!("no {kind} called {word}{ns_hint} (not found){hint}") });
    }
    let namespaces: BTreeSet<&str> = out.iter().map(|e| e.namespace.as_str()).collect();
    if namespaces.len() > 1 {
        let cands = distinct(
            out.iter().map(|e| format!("{}/{}", e.namespace, if e.via_base { word.clone() } else { e.name.clone() })),
        );
        return Err(Outcome::Ambiguous {
            message: format!(
                "{word} is ambiguous: it matches {}; name the namespace (e.g. \"… in {}\")",
                cands.join(", "),
                namespaces.iter().next().unwrap_or(&"")
            ),
        });
    }
    // Prefer the kind the question names, then the order the intent asks.
    if let Some(k) = r.kind.filter(|k| out.iter().any(|e| e.kind == *k)) {
        out.retain(|e| e.kind == k);
        return Ok(out);
    }
    for k in kinds {
        if out.iter().any(|e| e.kind == *k) {
            out.retain(|e| e.kind == *k);
            break;
        }
    }
    Ok(out)
}

pub(in crate::router) const WORKLOADS: &[Kind] =
    &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::CronJob, Kind::Job, Kind::ReplicaSet];

pub(in crate::router) fn pod_kinds(r: &Refs) -> Vec<Kind> {
    let mut kinds = match r.kind {
        Some(k) if WORKLOADS.contains(&k) || k == Kind::Service => vec![k],
        _ => vec![],
    };
    kinds.extend([
        Kind::Pod,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::CronJob,
        Kind::Job,
        Kind::ReplicaSet,
        Kind::Service,
    ]);
    distinct_kinds(kinds)
}

pub(in crate::router) fn distinct_kinds(kinds: Vec<Kind>) -> Vec<Kind> {
    let mut out = Vec::new();
    for k in kinds {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The pods behind the chosen targets, through the snapshot's index.
pub(in crate::router) fn pods_for<'a>(ctx: &'a Ctx<'_>, targets: &[NameEntry]) -> Vec<&'a Arc<Pod>> {
    let idx = ctx.snap.index();
    let mut out: Vec<&Arc<Pod>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in targets {
        let hits: Vec<&Arc<Pod>> = match e.kind {
            Kind::Pod => idx.pod(&e.namespace, &e.name).into_iter().collect(),
            Kind::Service => {
                let found = ctx.snap.get(Kind::Service, Some(&e.namespace), &e.name);
                match found.first().map(|o| o.item()) {
                    Some(kubeask_insight::objects::Item::Service(s)) => idx.pods_selected_by(s),
                    _ => Vec::new(),
                }
            }
            k => idx
                .pods_in(Some(&e.namespace))
                .into_iter()
                .filter(|p| ctx.owners.belongs(p, k.name(), &e.namespace, &e.name))
                .collect(),
        };
        for p in hits {
            if seen.insert(Arc::as_ptr(p)) {
                out.push(p);
            }
        }
    }
    out.sort_by(|a, b| name(a).cmp(name(b)));
    out
}

pub(in crate::router) fn target_pods<'a>(
    ctx: &'a Ctx<'_>,
    r: &Refs,
) -> Result<(Vec<NameEntry>, Vec<&'a Arc<Pod>>), Outcome> {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let pods = pods_for(ctx, &entries);
    Ok((entries, pods))
}

pub(in crate::router) fn shown_target(r: &Refs, entries: &[NameEntry]) -> String {
    r.target_word.clone().unwrap_or_else(|| entries.first().map(|e| e.name.clone()).unwrap_or_default())
}

pub(in crate::router) fn get_cmd(entries: &[NameEntry], word: &str) -> String {
    let e = &entries[0];
    match e.kind {
        Kind::Pod if e.via_base => format!("kubectl get pods{} | grep {word}", ns_flag(&e.namespace)),
        k => format!("kubectl get {} {}{}", k.kubectl(), e.name, ns_flag(&e.namespace)),
    }
}

pub(in crate::router) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// The object of a list named by a resolved entry (same name and namespace).
pub(in crate::router) fn find_in<'a, K: kube::Resource>(list: &'a [Arc<K>], e: &NameEntry) -> Option<&'a Arc<K>> {
    list.iter().find(|o| {
        o.meta().name.as_deref() == Some(e.name.as_str()) && o.meta().namespace.as_deref().unwrap_or("") == e.namespace
    })
}
