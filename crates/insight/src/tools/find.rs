//! `find(term, kind?)`: objects whose names match a term, best first —
//! exact names, workload names of pods, prefixes, substrings and typos.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::list::capitalize;
use super::{normalize_kind, ToolOutput};
use crate::analyze::Object;
use crate::owners::Owners;
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
    if term.len() >= 4 && name.len().abs_diff(term.len()) <= 2 {
        let d = strsim::osa_distance(term, name);
        let max = if term.len() >= 8 { 2 } else { 1 };
        if d <= max {
            return Some((60 - 10 * d as u32, "typo"));
        }
    }
    None
}

/// All matches of `term`, best first.
pub fn matches(snap: &Snapshot, term: &str, kind: Option<&str>) -> Vec<Match> {
    let term = term.trim().to_lowercase();
    if term.is_empty() {
        return Vec::new();
    }
    let owners = Owners::new(snap);
    let mut out: Vec<Match> = Vec::new();
    let want = |k: &str| kind.is_none_or(|w| w == k);
    macro_rules! scan {
        ($list:expr, $k:expr) => {
            if want($k) {
                for o in &$list {
                    // NB: object names are lower-case DNS names already; no
                    // copy is made unless the name matches.
                    let name = o.metadata.name.as_deref().unwrap_or("");
                    if let Some((score, why)) = score(&term, name) {
                        out.push(Match {
                            object: Object {
                                kind: capitalize($k),
                                namespace: o.metadata.namespace.clone().unwrap_or_default(),
                                name: name.to_string(),
                            },
                            score,
                            why,
                        });
                    }
                }
            }
        };
    }
    scan!(snap.deployments, "deployment");
    scan!(snap.stateful_sets, "statefulset");
    scan!(snap.daemon_sets, "daemonset");
    scan!(snap.cron_jobs, "cronjob");
    scan!(snap.jobs, "job");
    scan!(snap.services, "service");
    scan!(snap.ingresses, "ingress");
    scan!(snap.pvcs, "pvc");
    scan!(snap.pvs, "pv");
    scan!(snap.hpas, "hpa");
    scan!(snap.config_maps, "configmap");
    scan!(snap.secrets, "secret");
    scan!(snap.nodes, "node");
    scan!(snap.namespaces, "namespace");
    if want("pod") {
        // NB: pods share their workload's name: score each owner once, keyed
        // by the controller reference, so 10,000 pods cost a lookup each.
        let mut by_owner: std::collections::HashMap<(&str, &str), Option<(u32, &'static str)>> =
            std::collections::HashMap::new();
        for p in &snap.pods {
            let name = p.metadata.name.as_deref().unwrap_or("");
            let ns = p.metadata.namespace.as_deref().unwrap_or("");
            let controller =
                p.metadata.owner_references.as_ref().and_then(|o| o.iter().find(|r| r.controller.unwrap_or(false)));
            let owner = controller.map(|r| r.name.as_str());
            let stateful = controller.is_some_and(|r| r.kind == "StatefulSet");
            let by_base = match owner {
                Some(o) => *by_owner.entry((ns, o)).or_insert_with(|| {
                    let base = owners.base_name(p);
                    let scored = score(&term, &base);
                    if base != name {
                        scored.map(|(s, w)| (s.saturating_sub(5), if w == "exact" { "workload" } else { w }))
                    } else {
                        scored
                    }
                }),
                None => score(&term, name),
            };
            // A StatefulSet pod keeps its own name: score it as itself.
            let own = if stateful { score(&term, name) } else { None };
            let by_name = if name == term { Some((100, "exact")) } else { own };
            if let Some((s, why)) = by_name.or(by_base) {
                out.push(Match {
                    object: Object { kind: "Pod".into(), namespace: ns.to_string(), name: name.to_string() },
                    score: s,
                    why,
                });
            }
        }
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.object.cmp(&b.object)));
    out
}

/// Close names for "did you mean" messages.
pub fn suggestions(snap: &Snapshot, term: &str, kind: Option<&str>) -> Vec<String> {
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
