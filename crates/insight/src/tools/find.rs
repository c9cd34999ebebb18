//! `find(term, kind?)`: objects whose names match a term, best first —
//! exact names, workload names of pods, prefixes, substrings and typos.

use serde::{Deserialize, Serialize};
use serde_json::json;

use k8s_openapi::api::core::v1::Pod;

use super::{normalize_kind, ToolOutput};
use crate::analyze::Object;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// Arguments of `find`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FindArgs {
    /// The term: a name, a partial name, or a name with a typo.
    pub term: String,
    /// Only this kind.
    #[serde(default)]
    pub kind: Option<String>,
}

/// One match.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Match {
    /// The object.
    pub object: Object,
    /// 0–100, higher is better.
    pub score: u32,
    /// How it matched: `exact`, `workload`, `prefix`, `contains`, `typo`.
    pub why: &'static str,
}

fn score(term: &str, name: &str) -> Option<(u32, &'static str)> {
    if name == term {
        return Some((100, "exact"));
    }
    if name.starts_with(term) {
        return Some((80 - (name.len() - term.len()).min(20) as u32, "prefix"));
    }
    if name.contains(term) {
        return Some((65 - (name.len() - term.len()).min(20) as u32, "contains"));
    }
    crate::names::typo_distance(term, name).map(|d| (60 - 10 * d as u32, "typo"))
}

/// The kinds `find` searches by name (ReplicaSets, Endpoints and Events
/// carry their owner's name and would only repeat it).
const SEARCHED: &[Kind] = &[
    Kind::Deployment,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::CronJob,
    Kind::Job,
    Kind::Service,
    Kind::Ingress,
    Kind::Pvc,
    Kind::Pv,
    Kind::Hpa,
    Kind::ConfigMap,
    Kind::Secret,
    Kind::Node,
    Kind::Namespace,
];

/// All matches of `term`, best first.
pub fn matches(snap: &Snapshot, term: &str, kind: Option<Kind>) -> Vec<Match> {
    let term = term.trim().to_lowercase();
    if term.is_empty() {
        return Vec::new();
    }
    let want = |k: Kind| kind.is_none_or(|w| w == k);
    let mut out: Vec<Match> = Vec::new();
    // NB: each distinct name is scored once, through the snapshot's name index.
    for (k, name, positions) in snap.index().names() {
        if !SEARCHED.contains(&k) || !want(k) {
            continue;
        }
        let Some((score, why)) = score(&term, name) else { continue };
        for o in positions.iter().filter_map(|&i| snap.nth(k, i)) {
            out.push(Match { object: Object::new(k.name(), Some(o.namespace()), Some(o.name())), score, why });
        }
    }
    if want(Kind::Pod) {
        pod_matches(snap, &term, &mut out);
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.object.cmp(&b.object)));
    out
}

/// Pods match by their own name exactly, or by the name people use for them
/// (their workload's), scored once per name through the snapshot's index.
fn pod_matches(snap: &Snapshot, term: &str, out: &mut Vec<Match>) {
    let idx = snap.index();
    let pod_match = |p: &Pod, score: u32, why: &'static str| Match {
        object: Object::new("Pod", p.metadata.namespace.as_deref(), p.metadata.name.as_deref()),
        score,
        why,
    };
    for base in idx.base_names() {
        let Some((s, why)) = score(term, base) else { continue };
        for p in idx.pods_by_base(base) {
            let own = p.metadata.name.as_deref() == Some(base);
            if own {
                out.push(pod_match(p, s, why));
            } else if p.metadata.name.as_deref() != Some(term) {
                out.push(pod_match(p, s.saturating_sub(5), if why == "exact" { "workload" } else { why }));
            }
        }
    }
    // A generated name typed in full (`web-7d9f8b6c5d-abcde`) is exact.
    for ns in snap.namespaces.iter().filter_map(|n| n.metadata.name.as_deref()) {
        if let Some(p) = idx.pod(ns, term).filter(|p| idx.owners().base_name(p) != term) {
            out.push(pod_match(p, 100, "exact"));
        }
    }
}

/// Close names for "did you mean" messages.
pub fn suggestions(snap: &Snapshot, term: &str, kind: Option<Kind>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for m in matches(snap, term, kind).into_iter().filter(|m| m.score < 100) {
        if !names.contains(&m.object.name) {
            names.push(m.object.name);
        }
        if names.len() == 3 {
            break;
        }
    }
    names
}

/// Runs `find`.
pub fn find(snap: &Snapshot, a: &FindArgs) -> ToolOutput {
    let kind = a.kind.as_deref().and_then(|k| normalize_kind(k).ok());
    let all = matches(snap, &a.term, kind);
    let top: Vec<&Match> = all.iter().take(20).collect();
    let text = if top.is_empty() {
        format!("nothing matches {:?}", a.term)
    } else {
        top.iter()
            .map(|m| {
                format!(
                    "{} {} ({}, {})",
                    m.object.kind,
                    if m.object.namespace.is_empty() {
                        m.object.name.clone()
                    } else {
                        format!("{}/{}", m.object.namespace, m.object.name)
                    },
                    m.why,
                    m.score
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    ToolOutput {
        tool: "find",
        text,
        data: json!(top),
        objects: top.iter().map(|m| m.object.clone()).collect(),
        kubectl: format!("kubectl get all -A | grep -i {}", a.term),
    }
}
