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
                    let name = o.metadata.name.clone().unwrap_or_default();
                    if let Some((score, why)) = score(&term, &name.to_lowercase()) {
                        out.push(Match {
                            object: Object {
                                kind: capitalize($k),
                                namespace: o.metadata.namespace.clone().unwrap_or_default(),
                                name,
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
        // NB: pods share their workload's name; score each base name once.
        let mut base_scores: std::collections::HashMap<String, Option<(u32, &'static str)>> =
            std::collections::HashMap::new();
        for p in &snap.pods {
            let name = p.metadata.name.clone().unwrap_or_default();
            let obj = || Object {
                kind: "Pod".into(),
                namespace: p.metadata.namespace.clone().unwrap_or_default(),
                name: name.clone(),
            };
            let base = owners.base_name(p).to_lowercase();
            // NB: a pod is found by its workload's name ("checkout" finds
            // checkout-5b777f5b94-g82t6), scored just below the workload.
            let by_name = if name.to_lowercase() == term { Some((100, "exact")) } else { None };
            let scored = *base_scores.entry(base.clone()).or_insert_with(|| score(&term, &base));
            let by_base = if base != name.to_lowercase() {
                scored.map(|(s, w)| (s.saturating_sub(5), if w == "exact" { "workload" } else { w }))
            } else {
                scored
            };
            if let Some((s, why)) = by_name.or(by_base) {
                out.push(Match { object: obj(), score: s, why });
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
