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

pub(super) fn routed(route: &'static str, short: impl Into<String>, explanation: impl Into<String>) -> Routed {
    Routed { route, short: short.into(), explanation: explanation.into(), ..Default::default() }
}

pub(super) fn ns_flag(ns: &str) -> String {
    if ns.is_empty() {
        String::new()
    } else {
        format!(" -n {ns}")
    }
}

pub(super) fn pod_ev(p: &Pod) -> Evidence {
    Evidence::new("Pod", p.metadata.namespace.as_deref(), p.metadata.name.as_deref().unwrap_or(""))
}

pub(super) fn name(p: &Pod) -> &str {
    p.metadata.name.as_deref().unwrap_or("")
}

pub(super) fn ns(p: &Pod) -> &str {
    p.metadata.namespace.as_deref().unwrap_or("")
}

pub(super) fn join<I: IntoIterator<Item = String>>(it: I) -> String {
    it.into_iter().collect::<Vec<_>>().join(", ")
}

pub(super) fn distinct<I: IntoIterator<Item = String>>(it: I) -> Vec<String> {
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
pub(super) fn yes_no(ctx: &Ctx<'_>, w: &Words, mut routed: Routed) -> R {
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

/// "are all nodes ready?"
pub(super) fn all_nodes_ready(ctx: &Ctx<'_>) -> Routed {
    let bad: Vec<String> =
        ctx.snap.nodes.iter().filter(|n| !node_ready(n)).filter_map(|n| n.metadata.name.clone()).collect();
    let short = if bad.is_empty() { "yes".to_string() } else { format!("no: {} not Ready", join(bad.clone())) };
    let mut out = routed(
        "node",
        short,
        format!("{} of {} nodes are Ready.", ctx.snap.nodes.len() - bad.len(), ctx.snap.nodes.len()),
    );
    out.kubectl.push("kubectl get nodes".into());
    out
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

pub(super) fn not_found(ctx: &Ctx<'_>, word: &str, kind: Option<Kind>) -> Outcome {
    let what = kind.map(|k| k.name().to_lowercase()).unwrap_or_else(|| "object".into());
    let similar = ctx.names.similar(word, 3);
    let hint = if similar.is_empty() { String::new() } else { format!("; did you mean {}?", similar.join(" or ")) };
    Outcome::NotFound { message: format!("no {what} called {word} in any namespace (not found){hint}") }
}

/// Candidates of the wanted kinds, filtered by the namespace named.
pub(super) fn pick(ctx: &Ctx<'_>, r: &Refs, kinds: &[Kind]) -> Result<Vec<NameEntry>, Outcome> {
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

const WORKLOADS: &[Kind] =
    &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::CronJob, Kind::Job, Kind::ReplicaSet];

pub(super) fn pod_kinds(r: &Refs) -> Vec<Kind> {
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

pub(super) fn distinct_kinds(kinds: Vec<Kind>) -> Vec<Kind> {
    let mut out = Vec::new();
    for k in kinds {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The pods behind the chosen targets, through the snapshot's index.
pub(super) fn pods_for<'a>(ctx: &'a Ctx<'_>, targets: &[NameEntry]) -> Vec<&'a Arc<Pod>> {
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

pub(super) fn target_pods<'a>(ctx: &'a Ctx<'_>, r: &Refs) -> Result<(Vec<NameEntry>, Vec<&'a Arc<Pod>>), Outcome> {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let pods = pods_for(ctx, &entries);
    Ok((entries, pods))
}

pub(super) fn shown_target(r: &Refs, entries: &[NameEntry]) -> String {
    r.target_word.clone().unwrap_or_else(|| entries.first().map(|e| e.name.clone()).unwrap_or_default())
}

pub(super) fn get_cmd(entries: &[NameEntry], word: &str) -> String {
    let e = &entries[0];
    match e.kind {
        Kind::Pod if e.via_base => format!("kubectl get pods{} | grep {word}", ns_flag(&e.namespace)),
        k => format!("kubectl get {} {}{}", k.kubectl(), e.name, ns_flag(&e.namespace)),
    }
}

pub(super) fn count(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let kind = r.kind.unwrap_or(Kind::Pod);
    let nsq = r.namespace.as_deref();
    let nsn = |o: Option<&str>| nsq.is_none_or(|n| o == Some(n));
    let scope = nsq.map(|n| format!(" in namespace {n}")).unwrap_or_else(|| {
        if kind.namespaced() {
            " across all namespaces".into()
        } else {
            String::new()
        }
    });
    let all_flag =
        nsq.map(|n| format!(" -n {n}")).unwrap_or_else(|| if kind.namespaced() { " -A".into() } else { String::new() });
    // The objects counted: cited as evidence (up to a page of them).
    let counted: Vec<Evidence>;
    let (n, what, cmd) = match kind {
        Kind::Pod | Kind::Container => {
            let filter = pod_filter(ctx, w);
            let pods: Vec<&Arc<Pod>> = facts::pods_in(ctx.snap, nsq).filter(|p| filter.keep(ctx, p)).collect();
            counted = pods.iter().map(|p| pod_ev(p)).collect();
            if kind == Kind::Container {
                let c: usize = pods.iter().map(|p| p.spec.as_ref().map_or(0, |s| s.containers.len())).sum();
                (
                    c,
                    "containers".to_string(),
                    format!("kubectl get pods{all_flag} -o jsonpath='{{..containers[*].name}}'"),
                )
            } else {
                (
                    pods.len(),
                    format!("{}pods", filter.label()),
                    format!("kubectl get pods{all_flag}{}", filter.kubectl()),
                )
            }
        }
        Kind::Node => {
            let want_ready = w.has("ready") && !w.phrase("not ready");
            let nodes: Vec<&Arc<k8s_openapi::api::core::v1::Node>> =
                ctx.snap.nodes.iter().filter(|n| !want_ready || node_ready(n)).collect();
            counted =
                nodes.iter().map(|n| Evidence::new("Node", None, n.metadata.name.as_deref().unwrap_or(""))).collect();
            (nodes.len(), if want_ready { "ready nodes".into() } else { "nodes".into() }, "kubectl get nodes".into())
        }
        k => {
            unapplied_qualifiers(ctx, w, k, false)?;
            let event_type = if w.any(&["warning", "warnings"]) {
                Some("Warning")
            } else if w.has("normal") {
                Some("Normal")
            } else {
                None
            };
            let objects: Vec<_> = ctx
                .snap
                .objects(k)
                .into_iter()
                .filter(|o| !k.namespaced() || nsn(Some(o.namespace())))
                .filter(|o| match o.item() {
                    kubeask_insight::objects::Item::Event(e) => {
                        event_type.is_none_or(|t| e.type_.as_deref() == Some(t))
                    }
                    _ => true,
                })
                .collect();
            counted = objects.iter().map(|o| Evidence::new(k.name(), Some(o.namespace()), o.name())).collect();
            (objects.len(), k.kubectl().to_string(), format!("kubectl get {}{all_flag}", k.kubectl()))
        }
    };
    let mut out = routed("count", n.to_string(), format!("There are **{n}** {what}{scope}."));
    if counted.len() <= MAX_CITED {
        out.evidence = counted;
    }
    out.kubectl.push(cmd);
    Ok(out)
}

/// Answers cite at most this many objects: a count of 10,000 pods names none.
const MAX_CITED: usize = 100;

/// A filter on pods from words like "running", "pending", "not running",
/// "failing", "ready", "on node X".
struct PodFilter {
    status: Option<&'static str>,
    not_running: bool,
    ready: Option<bool>,
    /// Only pods on these nodes (empty: any node).
    nodes: Vec<String>,
    /// Only pods of this QoS class.
    qos: Option<&'static str>,
}

/// Words that describe a node in trouble ("the broken node", "the node
/// that's down").
const NODE_TROUBLE: &[&str] =
    &["broken", "down", "notready", "unhealthy", "failing", "bad", "dead", "unreachable", "sick"];

/// The NotReady nodes, when the question describes a node by its trouble
/// ("pods on the broken node") rather than by name.
pub(super) fn troubled_nodes(ctx: &Ctx<'_>, w: &Words) -> Option<Vec<String>> {
    let l = &w.lower;
    let near_node = l.iter().enumerate().any(|(i, x)| {
        NODE_TROUBLE.contains(&x.as_str())
            && (l.get(i + 1).is_some_and(|n| n == "node" || n == "nodes")
                || (i >= 2 && (l[i - 2] == "node" || l[i - 1] == "node"))
                || (i >= 3 && l[i - 3] == "node"))
    }) || w.phrase("node that is not ready")
        || w.phrase("node thats not ready");
    near_node
        .then(|| ctx.snap.nodes.iter().filter(|n| !node_ready(n)).filter_map(|n| n.metadata.name.clone()).collect())
}

fn status_word(w: &Words) -> Option<&'static str> {
    w.lower.iter().find_map(|x| super::vocab::status_word(x))
}

fn pod_filter(ctx: &Ctx<'_>, w: &Words) -> PodFilter {
    let on_troubled = troubled_nodes(ctx, w);
    let not_ready = [
        "not ready",
        "aren't ready",
        "arent ready",
        "isn't ready",
        "isnt ready",
        "never ready",
        "not passing readiness",
        "failing readiness",
        "fail readiness",
    ]
    .iter()
    .any(|p| w.phrase(p))
        || w.has("unready");
    let negated = w.phrase("not running")
        || w.phrase("aren't running")
        || w.phrase("arent running")
        || w.phrase("isn't running")
        || (on_troubled.is_none() && w.any(&["failing", "broken", "unhealthy", "crashing", "failed"]) && !not_ready);
    let status = if negated {
        None
    } else if w.has("running") {
        Some("Running")
    } else if w.has("pending") {
        Some("Pending")
    } else if w.any(&["completed", "succeeded", "complete"]) {
        Some("Completed")
    } else {
        status_word(w)
    };
    let ready = if not_ready {
        Some(false)
    } else if w.has("ready") || w.prefix(&["readiness"]) {
        Some(true)
    } else {
        None
    };
    let nodes = match on_troubled {
        Some(nodes) => nodes,
        None => ctx
            .snap
            .nodes
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .filter(|n| w.has(&n.to_lowercase()))
            .take(1)
            .collect(),
    };
    let qos = ["besteffort", "burstable", "guaranteed"].into_iter().find(|q| w.has(q)).map(|q| match q {
        "besteffort" => "BestEffort",
        "burstable" => "Burstable",
        _ => "Guaranteed",
    });
    PodFilter { status, not_running: negated, ready, nodes, qos }
}

impl PodFilter {
    fn keep(&self, _ctx: &Ctx<'_>, p: &Pod) -> bool {
        let st = podstatus::display_status(p);
        self.status.is_none_or(|s| st == s)
            && (!self.not_running || (st != "Running" && st != "Completed"))
            && self.ready.is_none_or(|r| podstatus::is_ready(p) == r)
            && self.qos.is_none_or(|q| p.status.as_ref().and_then(|s| s.qos_class.as_deref()) == Some(q))
            && (self.nodes.is_empty()
                || p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some_and(|n| self.nodes.contains(n)))
    }
    fn label(&self) -> String {
        let mut s = String::new();
        if let Some(st) = self.status {
            s.push_str(&format!("{st} "));
        }
        if self.not_running {
            s.push_str("not-running ");
        }
        if let Some(q) = self.qos {
            s.push_str(&format!("{q} "));
        }
        if let Some(r) = self.ready {
            s.push_str(if r { "ready " } else { "not-ready " });
        }
        s
    }
    fn kubectl(&self) -> String {
        let mut s = String::new();
        if let [n] = self.nodes.as_slice() {
            s.push_str(&format!(" --field-selector spec.nodeName={n}"));
        }
        if let Some(st) = self.status {
            if st == "Running" || st == "Pending" {
                s.push_str(&format!(" --field-selector status.phase={st}"));
            } else {
                s.push_str(&format!(" | grep {st}"));
            }
        }
        if self.not_running {
            s.push_str(" | grep -v -E 'Running|Completed'");
        }
        s
    }
}

pub(super) fn list(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let kind = r.kind.unwrap_or(Kind::Pod);
    let nsq = r.namespace.as_deref();
    let nsn = |o: Option<&str>| nsq.is_none_or(|n| o == Some(n));
    let flag =
        nsq.map(|n| format!(" -n {n}")).unwrap_or_else(|| if kind.namespaced() { " -A".into() } else { String::new() });
    match kind {
        Kind::Pod => {
            let filter = pod_filter(ctx, w);
            if !r.targets.is_empty() && !r.targets.iter().all(|e| e.kind == Kind::Node) {
                // "which pods belong to the mongodb statefulset"
                let (entries, pods) = target_pods(ctx, r)?;
                let names: Vec<String> =
                    pods.iter().filter(|p| filter.keep(ctx, p)).map(|p| name(p).to_string()).collect();
                let mut out = routed(
                    "list",
                    join(names.clone()),
                    format!("Pods of {} {}: {}", entries[0].kind.name(), shown_target(r, &entries), names.join(", ")),
                );
                out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
                out.kubectl.push(format!(
                    "kubectl get pods{} -o wide | grep {}",
                    ns_flag(&entries[0].namespace),
                    shown_target(r, &entries)
                ));
                return Ok(out);
            }
            let pods: Vec<&Arc<Pod>> =
                ctx.snap.pods.iter().filter(|p| nsn(p.metadata.namespace.as_deref()) && filter.keep(ctx, p)).collect();
            // Workload names, as people say them, once each.
            let mut shown: Vec<String> = distinct(pods.iter().map(|p| ctx.owners.base_name(p)));
            shown.sort();
            let details = pods
                .iter()
                .map(|p| format!("- `{}/{}`: {}", ns(p), name(p), podstatus::display_status(p)))
                .collect::<Vec<_>>()
                .join("\n");
            let short = if shown.is_empty() { "none".to_string() } else { join(shown) };
            let mut out = routed("list", short, format!("{} {}pods:\n{details}", pods.len(), filter.label()));
            out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
            out.kubectl.push(format!("kubectl get pods{flag}{}", filter.kubectl()));
            Ok(out)
        }
        Kind::Node => {
            let want_not_ready = w.phrase("not ready") || w.any(&["notready", "unready"]);
            let mut node_list: Vec<&Arc<k8s_openapi::api::core::v1::Node>> = ctx.snap.nodes.iter().collect();
            node_list.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            let nodes: Vec<String> = node_list
                .iter()
                .filter(|n| !want_not_ready || !node_ready(n))
                .filter_map(|n| n.metadata.name.clone())
                .collect();
            let mut out = routed("list", join(nodes.clone()), format!("{} nodes", nodes.len()));
            out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
            out.kubectl.push("kubectl get nodes".into());
            Ok(out)
        }
        k => {
            unapplied_qualifiers(ctx, w, k, true)?;
            macro_rules! names {
                ($list:expr) => {
                    $list
                        .iter()
                        .filter(|o| nsn(o.metadata.namespace.as_deref()))
                        .filter_map(|o| o.metadata.name.clone())
                        .collect::<Vec<_>>()
                };
            }
            let names: Vec<String> = match k {
                Kind::Deployment => names!(ctx.snap.deployments),
                Kind::StatefulSet => names!(ctx.snap.stateful_sets),
                Kind::DaemonSet => names!(ctx.snap.daemon_sets),
                Kind::ReplicaSet => names!(ctx.snap.replica_sets),
                Kind::Job => {
                    let failed = w.any(&["failed", "failing"]);
                    ctx.snap
                        .jobs
                        .iter()
                        .filter(|j| nsn(j.metadata.namespace.as_deref()))
                        .filter(|j| !failed || facts::job_status(j) == "Failed")
                        .filter_map(|o| o.metadata.name.clone())
                        .collect()
                }
                Kind::CronJob => {
                    let want = suspended_wanted(w);
                    ctx.snap
                        .cron_jobs
                        .iter()
                        .filter(|c| nsn(c.metadata.namespace.as_deref()))
                        .filter(|c| want.is_none_or(|s| c.spec.as_ref().and_then(|x| x.suspend).unwrap_or(false) == s))
                        .filter_map(|o| o.metadata.name.clone())
                        .collect()
                }
                Kind::Service => {
                    let empty_only = without_endpoints(w);
                    ctx.snap
                        .services
                        .iter()
                        .filter(|o| nsn(o.metadata.namespace.as_deref()))
                        .filter_map(|o| {
                            o.metadata.name.clone().map(|n| (o.metadata.namespace.clone().unwrap_or_default(), n))
                        })
                        .filter(|(ns, n)| !empty_only || endpoint_addresses(ctx, ns, n) == 0)
                        .map(|(_, n)| n)
                        .collect()
                }
                Kind::Ingress => names!(ctx.snap.ingresses),
                Kind::Pvc => {
                    let pending = w.has("pending");
                    ctx.snap
                        .pvcs
                        .iter()
                        .filter(|p| nsn(p.metadata.namespace.as_deref()))
                        .filter(|p| !pending || p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
                        .filter_map(|o| o.metadata.name.clone())
                        .collect()
                }
                Kind::Pv => ctx.snap.pvs.iter().filter_map(|o| o.metadata.name.clone()).collect(),
                Kind::Hpa => names!(ctx.snap.hpas),
                Kind::ConfigMap => names!(ctx.snap.config_maps),
                Kind::Secret => names!(ctx.snap.secrets),
                Kind::Namespace => ctx.snap.namespaces.iter().filter_map(|o| o.metadata.name.clone()).collect(),
                _ => Vec::new(),
            };
            let mut names = distinct(names);
            names.sort();
            let mut out = routed(
                "list",
                if names.is_empty() { "none".into() } else { join(names.clone()) },
                format!("{} {}", names.len(), k.kubectl()),
            );
            out.kubectl.push(format!("kubectl get {}{flag}", k.kubectl()));
            Ok(out)
        }
    }
}

/// `Some(true)` for "suspended", `Some(false)` for "not suspended".
pub(super) fn suspended_wanted(w: &Words) -> Option<bool> {
    let not = w.phrase("not suspended")
        || w.phrase("aren't suspended")
        || w.phrase("arent suspended")
        || w.phrase("unsuspended");
    if not || w.any(&["active", "enabled"]) {
        Some(false)
    } else if w.any(&["suspended", "paused"]) {
        Some(true)
    } else {
        None
    }
}

/// "services with no (ready) endpoints", "without endpoints", "0 endpoints".
pub(super) fn without_endpoints(w: &Words) -> bool {
    w.prefix(&["endpoint"]) && w.any(&["no", "without", "zero", "0", "empty", "none"])
}

/// State words a list (`listing`) or count of `kind` would ignore: decline
/// rather than list or count every object as if they were not there.
pub(super) fn unapplied_qualifiers(ctx: &Ctx<'_>, w: &Words, kind: Kind, listing: bool) -> Result<(), Outcome> {
    const STATE: &[&str] = &[
        "ready",
        "unready",
        "failed",
        "failing",
        "broken",
        "healthy",
        "unhealthy",
        "running",
        "pending",
        "suspended",
        "paused",
        "active",
        "endpoints",
        "endpoint",
        "empty",
        "unused",
        "orphaned",
        "exposed",
        "public",
        "bound",
        "unbound",
        "stuck",
        "crashing",
        "degraded",
        "available",
        "unavailable",
        "complete",
        "completed",
    ];
    let applied: &[&str] = match kind {
        _ if !listing => &[],
        Kind::Job => &["failed", "failing"],
        Kind::Pvc => &["pending"],
        Kind::CronJob => &["suspended", "paused", "active"],
        Kind::Service if without_endpoints(w) => &["endpoints", "endpoint", "ready"],
        _ => &[],
    };
    if w.lower.iter().any(|x| STATE.contains(&x.as_str()) && !applied.contains(&x.as_str())) {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    }
    Ok(())
}

pub(super) fn status(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let mut kinds = Vec::new();
    if let Some(k) = r.kind {
        kinds.push(k);
    }
    // "the status of migrate-schema": the Job's state, not its last pod's.
    if let Some(job) = named_job(r) {
        kinds.push(job.kind);
    }
    kinds.extend([
        Kind::Pod,
        Kind::Job,
        Kind::CronJob,
        Kind::Pvc,
        Kind::Node,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Pv,
        Kind::Hpa,
        Kind::Service,
        Kind::Ingress,
        Kind::ReplicaSet,
    ]);
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = entries[0].clone();
    let word = shown_target(r, &entries);
    let mut out = match e.kind {
        Kind::Pod | Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet
            if e.kind == Kind::Pod
                || w.has("pod")
                || w.has("pods")
                || r.kind.is_none()
                || r.kind == Some(Kind::Pod) =>
        {
            let pods = pods_for(ctx, &entries);
            if pods.is_empty() {
                return Err(Outcome::NotFound { message: format!("{word} has no pods") });
            }
            let statuses: Vec<(String, String)> =
                pods.iter().map(|p| (name(p).to_string(), podstatus::display_status(p))).collect();
            let uniq = distinct(statuses.iter().map(|(_, s)| s.clone()));
            let short = if uniq.len() == 1 {
                uniq[0].clone()
            } else {
                // The pod most worth reporting first: the one not Running.
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for (_, s) in &statuses {
                    *counts.entry(s.clone()).or_default() += 1;
                }
                let mut v: Vec<(String, usize)> = counts.into_iter().collect();
                v.sort_by_key(|(s, _)| (s == "Running" || s == "Completed", s.clone()));
                join(v.into_iter().map(|(s, n)| format!("{s} ({n} of {})", statuses.len())))
            };
            let details = statuses.iter().map(|(n, s)| format!("- `{n}`: {s}")).collect::<Vec<_>>().join("\n");
            let mut o = routed("status", short, format!("Status of {word}:\n{details}"));
            o.evidence = pods.iter().map(|p| pod_ev(p)).collect();
            o.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(ns(pods[0]))));
            o
        }
        Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet => {
            let (ready, desired) = workload_ready(ctx, &e);
            routed(
                "status",
                format!("{ready}/{desired} ready"),
                format!("{} {word}: {ready} of {desired} replicas ready.", e.kind.name()),
            )
        }
        Kind::Job => {
            let j = ctx
                .snap
                .jobs
                .iter()
                .find(|j| {
                    j.metadata.name.as_deref() == Some(&e.name) && j.metadata.namespace.as_deref() == Some(&e.namespace)
                })
                .expect("picked");
            let st = facts::job_status(j).to_string();
            let reason = j
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.status == "True" && (c.type_ == "Failed" || c.type_ == "Complete")))
                .and_then(|c| c.reason.clone());
            let detail = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            routed(
                "status",
                st.clone(),
                format!(
                    "Job {word}: **{st}**{detail}; succeeded {}, failed {}.",
                    j.status.as_ref().and_then(|s| s.succeeded).unwrap_or(0),
                    j.status.as_ref().and_then(|s| s.failed).unwrap_or(0)
                ),
            )
        }
        Kind::CronJob => {
            let c = ctx
                .snap
                .cron_jobs
                .iter()
                .find(|c| {
                    c.metadata.name.as_deref() == Some(&e.name) && c.metadata.namespace.as_deref() == Some(&e.namespace)
                })
                .expect("picked");
            let suspended = c.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false);
            let short = if w.any(&["suspended", "suspend", "paused"]) {
                if suspended { "yes" } else { "no" }.to_string()
            } else if suspended {
                "Suspended".into()
            } else {
                "Active".into()
            };
            routed(
                "status",
                short,
                format!("CronJob {word} is {}.", if suspended { "suspended" } else { "active (not suspended)" }),
            )
        }
        Kind::Pvc => {
            let p = ctx
                .snap
                .pvcs
                .iter()
                .find(|c| {
                    c.metadata.name.as_deref() == Some(&e.name) && c.metadata.namespace.as_deref() == Some(&e.namespace)
                })
                .expect("picked");
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into());
            routed("status", phase.clone(), format!("PersistentVolumeClaim {word} is **{phase}**."))
        }
        Kind::Pv => {
            let p = ctx.snap.pvs.iter().find(|c| c.metadata.name.as_deref() == Some(&e.name)).expect("picked");
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into());
            routed("status", phase.clone(), format!("PersistentVolume {word} is **{phase}**."))
        }
        Kind::Node => {
            let n = ctx.snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(&e.name)).expect("picked");
            let st = facts::node_status(n);
            routed("status", st.clone(), format!("Node {word} is **{st}**."))
        }
        Kind::Hpa => {
            let h = ctx
                .snap
                .hpas
                .iter()
                .find(|c| {
                    c.metadata.name.as_deref() == Some(&e.name) && c.metadata.namespace.as_deref() == Some(&e.namespace)
                })
                .expect("picked");
            let cur = h.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0);
            let max = h.spec.as_ref().map_or(0, |s| s.max_replicas);
            routed("status", format!("{cur}/{max} replicas"), format!("HPA {word}: {cur} current replicas, max {max}."))
        }
        Kind::Service => {
            let n = endpoint_addresses(ctx, &e.namespace, &e.name);
            routed("status", format!("{n} endpoints"), format!("Service {word} has {n} ready endpoints."))
        }
        _ => return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
    };
    if out.evidence.is_empty() {
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    }
    if out.kubectl.is_empty() {
        out.kubectl.push(get_cmd(&entries, &word));
    }
    Ok(out)
}

/// `(ready, desired)` replicas of a picked workload (insight's count).
pub(super) fn workload_ready(ctx: &Ctx<'_>, e: &NameEntry) -> (i32, i32) {
    let found = ctx.snap.get(e.kind, Some(&e.namespace), &e.name);
    found.first().and_then(facts::workload_ready).unwrap_or((0, 0))
}

pub(super) fn replicas(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let mut kinds = vec![];
    if let Some(k) = r.kind.filter(|k| WORKLOADS.contains(k)) {
        kinds.push(k);
    }
    kinds.extend([Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::ReplicaSet]);
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = &entries[0];
    let (ready, desired) = workload_ready(ctx, e);
    let wants_ready = w.any(&["ready", "available", "running", "up"]);
    let short = if wants_ready { ready.to_string() } else { desired.to_string() };
    let mut out =
        routed("replicas", short, format!("{} {}: {ready} of {desired} replicas ready.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get {} {}{}", e.kind.kubectl(), e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn ready_pods(ctx: &Ctx<'_>, _w: &Words, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let ready = pods.iter().filter(|p| podstatus::is_ready(p)).count();
    let word = shown_target(r, &entries);
    let mut out = routed("readiness", ready.to_string(), format!("{ready} of {} {word} pods are ready.", pods.len()));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(super) fn container_count(ctx: &Ctx<'_>, r: &Refs) -> R {
    if r.targets.is_empty() {
        return count(ctx, &Words::new("containers"), &Refs { kind: Some(Kind::Container), ..r.clone() });
    }
    let (entries, pods) = target_pods(ctx, r)?;
    let Some(p) = pods.first() else {
        return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
    };
    let containers: Vec<String> =
        p.spec.as_ref().map(|s| s.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
    let mut out = routed(
        "count",
        containers.len().to_string(),
        format!("Pod `{}` has {} containers: {}.", name(p), containers.len(), containers.join(", ")),
    );
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!(
        "kubectl get pod {}{} -o jsonpath='{{.spec.containers[*].name}}'",
        name(p),
        ns_flag(ns(p))
    ));
    Ok(out)
}

pub(super) fn endpoint_addresses(ctx: &Ctx<'_>, namespace: &str, svc: &str) -> usize {
    kubeask_insight::state::endpoint_addresses(ctx.snap, namespace, svc)
}

pub(super) fn endpoint_count(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Service])?;
    let e = &entries[0];
    let n = endpoint_addresses(ctx, &e.namespace, &e.name);
    let mut out = routed(
        "service",
        n.to_string(),
        format!("Service {}/{} has {n} ready endpoint addresses.", e.namespace, e.name),
    );
    out.evidence.push(Evidence::new("Endpoints", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get endpoints {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn restarts_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let total: i32 = pods.iter().map(|p| restarts(p)).sum();
    let word = shown_target(r, &entries);
    let details = pods.iter().map(|p| format!("- `{}`: {}", name(p), restarts(p))).collect::<Vec<_>>().join("\n");
    let mut out = routed("restarts", total.to_string(), format!("{word} restarted {total} times in total:\n{details}"));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(super) fn node_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let nodes = distinct(
        pods.iter()
            .map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(|| "(not scheduled)".into())),
    );
    let word = shown_target(r, &entries);
    let details = pods
        .iter()
        .map(|p| {
            format!(
                "- `{}` on {}",
                name(p),
                p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(|| "no node (unscheduled)".into())
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("node", join(nodes), format!("{word}:\n{details}"));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} -o wide | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(super) fn containers_of<'a>(ctx: &'a Ctx<'_>, e: &NameEntry) -> Vec<&'a Container> {
    let m = |n: &Option<String>, s: &Option<String>| {
        n.as_deref() == Some(e.name.as_str()) && s.as_deref() == Some(e.namespace.as_str())
    };
    let tpl = match e.kind {
        Kind::Deployment => ctx
            .snap
            .deployments
            .iter()
            .find(|d| m(&d.metadata.name, &d.metadata.namespace))
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref()),
        Kind::StatefulSet => ctx
            .snap
            .stateful_sets
            .iter()
            .find(|d| m(&d.metadata.name, &d.metadata.namespace))
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref()),
        Kind::DaemonSet => ctx
            .snap
            .daemon_sets
            .iter()
            .find(|d| m(&d.metadata.name, &d.metadata.namespace))
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref()),
        Kind::CronJob => ctx
            .snap
            .cron_jobs
            .iter()
            .find(|d| m(&d.metadata.name, &d.metadata.namespace))
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref()),
        Kind::Job => ctx
            .snap
            .jobs
            .iter()
            .find(|d| m(&d.metadata.name, &d.metadata.namespace))
            .and_then(|d| d.spec.as_ref())
            .and_then(|s| s.template.spec.as_ref()),
        _ => None,
    };
    match tpl {
        Some(spec) => spec.containers.iter().collect(),
        None => pods_for(ctx, std::slice::from_ref(e))
            .into_iter()
            .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
            .collect(),
    }
}

/// The containers a question is about: the ones it names ("the
/// config-reloader container"), the sidecars ("the sidecar next to X":
/// every container but the first), else all.
pub(super) fn named_containers<'a>(w: &Words, r: &Refs, containers: Vec<&'a Container>) -> Vec<&'a Container> {
    let sidecar = w.any(&["sidecar", "sidecars"]);
    // NB: the workload's own name is often its main container's name too:
    // "the sidecar next to prometheus" names the workload, not a container.
    let named: Vec<&Container> = containers
        .iter()
        .copied()
        .filter(|c| {
            let n = c.name.to_lowercase();
            w.has(&n) && !(sidecar && r.target_word.as_deref() == Some(n.as_str()))
        })
        .collect();
    if !named.is_empty() {
        return named;
    }
    if sidecar {
        // No sidecar is no sidecar: never the main container instead.
        return containers.get(1..).map(<[_]>::to_vec).unwrap_or_default();
    }
    containers
}

pub(super) fn image(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = named_containers(w, r, containers_of(ctx, e));
    if containers.is_empty() {
        return Err(Outcome::NotFound { message: format!("{} has no such container (not found)", e.name) });
    }
    let images = distinct(containers.iter().filter_map(|c| c.image.clone()));
    let word = shown_target(r, &entries);
    let details = containers
        .iter()
        .map(|c| format!("- container `{}`: `{}`", c.name, c.image.clone().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("image", join(images), format!("{} {word}:\n{details}", e.kind.name()));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    let k = if e.kind == Kind::Pod { "pod".to_string() } else { e.kind.kubectl().to_string() };
    out.kubectl.push(format!(
        "kubectl get {k} {}{} -o jsonpath='{{..containers[*].image}}'",
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(super) fn port(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Service, Kind::Pod, Kind::Deployment, Kind::StatefulSet])?;
    let e = &entries[0];
    let word = shown_target(r, &entries);
    if e.kind != Kind::Service {
        let ports: Vec<String> = containers_of(ctx, e)
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .map(|p| p.container_port.to_string())
            .collect();
        let mut out = routed("service", join(distinct(ports)), format!("Container ports of {word}."));
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
        return Ok(out);
    }
    let svc = find_in(&ctx.snap.services, e).expect("picked");
    let ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    let backing = pods_for(ctx, std::slice::from_ref(e));
    let resolve = |tp: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString| -> String {
        use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
        match tp {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::String(named) => backing
                .iter()
                .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| p.name.as_deref() == Some(named.as_str()))
                .map(|p| p.container_port.to_string())
                .unwrap_or_else(|| named.clone()),
        }
    };
    let node = w.prefix(&["nodeport"]) || w.phrase("node port");
    // "…which port does it actually hit on the pod", unless "not the container".
    let pod_side = w.any(&["pod", "pods", "container", "containers"])
        && !["not the container", "not the pod", "not container", "not pod"].iter().any(|p| w.phrase(p));
    let target = w.prefix(&["targetport"]) || w.phrase("target port") || (pod_side && !node);
    // A port named ("https") or numbered ("listens on 80") picks that one.
    let picked: Vec<&k8s_openapi::api::core::v1::ServicePort> = ports
        .iter()
        .filter(|p| p.name.as_deref().is_some_and(|n| w.has(&n.to_lowercase())) || w.has(&p.port.to_string()))
        .collect();
    let chosen: Vec<&k8s_openapi::api::core::v1::ServicePort> =
        if picked.is_empty() { ports.iter().collect() } else { picked };
    let values: Vec<String> = chosen
        .iter()
        .map(|p| {
            if target {
                p.target_port.as_ref().map(&resolve).unwrap_or_else(|| p.port.to_string())
            } else if node {
                p.node_port.map(|n| n.to_string()).unwrap_or_else(|| "none".into())
            } else {
                p.port.to_string()
            }
        })
        .collect();
    let details = ports
        .iter()
        .map(|p| {
            format!(
                "- {} port {} → targetPort {}{}",
                p.name.clone().unwrap_or_default(),
                p.port,
                p.target_port
                    .as_ref()
                    .map(|t| match t {
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) =>
                            format!("{s} ({})", resolve(t)),
                    })
                    .unwrap_or_default(),
                p.node_port.map(|n| format!(", nodePort {n}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("service", join(values), format!("Service {}/{}:\n{details}", e.namespace, e.name));
    out.evidence.push(Evidence::new("Service", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get service {}{} -o yaml", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn env_var_word(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<String> {
    if r.targets.is_empty() {
        return None;
    }
    let entries = pick(ctx, r, &pod_kinds(r)).ok()?;
    let containers = containers_of(ctx, &entries[0]);
    let vars: Vec<String> = containers.iter().flat_map(|c| c.env.iter().flatten().map(|e| e.name.clone())).collect();
    w.original
        .iter()
        .find(|o| {
            vars.iter().any(|v| v == *o)
                || (o.len() > 2
                    && o.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                    && o.contains('_'))
        })
        .cloned()
}

pub(super) fn env(ctx: &Ctx<'_>, r: &Refs, var: &str) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let pods = pods_for(ctx, std::slice::from_ref(e));
    let containers = containers_of(ctx, e);
    let mut values = Vec::new();
    for c in &containers {
        if let Some(v) = env_value(ctx.snap, &e.namespace, c, var) {
            values.push(v);
        }
    }
    let values = distinct(values);
    let word = shown_target(r, &entries);
    if values.is_empty() {
        let mut out = routed("env", "not set", format!("{var} is not set in any container of {word}."));
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
        return Ok(out);
    }
    let mut out = routed("env", join(values.clone()), format!("{word} runs with `{var}={}`.", values.join(", ")));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    if let Some(p) = pods.first() {
        out.kubectl.push(format!("kubectl exec {}{} -- printenv {var}", name(p), ns_flag(ns(p))));
    }
    Ok(out)
}

pub(super) fn env_list(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = containers_of(ctx, e);
    let vars: Vec<String> = containers
        .iter()
        .flat_map(|c| {
            c.env
                .iter()
                .flatten()
                .map(|v| format!("{}={}", v.name, env_value(ctx.snap, &e.namespace, c, &v.name).unwrap_or_default()))
        })
        .collect();
    let mut out = routed("env", join(distinct(vars.clone())), vars.join("\n"));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(super) fn hpa_bounds(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Hpa, Kind::Deployment, Kind::StatefulSet])?;
    let e = &entries[0];
    let hpa = ctx.snap.hpas.iter().find(|h| {
        h.metadata.namespace.as_deref() == Some(&e.namespace)
            && (if e.kind == Kind::Hpa {
                h.metadata.name.as_deref() == Some(&e.name)
            } else {
                h.spec.as_ref().is_some_and(|s| s.scale_target_ref.name == e.name)
            })
    });
    let Some(h) = hpa else {
        return replicas(ctx, w, r);
    };
    let spec = h.spec.as_ref();
    let (min, max) = (spec.and_then(|s| s.min_replicas).unwrap_or(1), spec.map_or(0, |s| s.max_replicas));
    let short = if w.any(&["min", "minimum"]) { min } else { max };
    let mut out = routed(
        "hpa",
        short.to_string(),
        format!(
            "HPA {}: min {min}, max {max}, current {}.",
            h.metadata.name.clone().unwrap_or_default(),
            h.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0)
        ),
    );
    out.evidence.push(Evidence::new(
        "HorizontalPodAutoscaler",
        Some(&e.namespace),
        h.metadata.name.as_deref().unwrap_or(""),
    ));
    out.kubectl.push(format!(
        "kubectl get hpa {}{}",
        h.metadata.name.clone().unwrap_or_default(),
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

/// The image tag of a container image (`ghcr.io/a/b:2.1.0` → `2.1.0`).
pub(super) fn image_tag(image: &str) -> Option<String> {
    let last = image.rsplit('/').next()?;
    let tag = last.split('@').next()?.split_once(':')?.1;
    Some(tag.to_string())
}

/// "what version is frontend on" (its image tag), "…before the current
/// rollout" (the previous ReplicaSet's tag).
pub(super) fn workload_version(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let previous = w.any(&["before", "previous", "prior", "last"])
        && w.any(&["rollout", "deploy", "release", "version", "rollback"]);
    // Earlier versions are the Deployment's ReplicaSets: look it up first.
    let kinds: Vec<Kind> =
        if previous { [Kind::Deployment].into_iter().chain(pod_kinds(r)).collect() } else { pod_kinds(r) };
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = &entries[0];
    let containers: Vec<Container> = if previous && e.kind == Kind::Deployment {
        let mut rss: Vec<(i64, &Arc<k8s_openapi::api::apps::v1::ReplicaSet>)> = ctx
            .snap
            .replica_sets
            .iter()
            .filter(|rs| rs.metadata.namespace.as_deref() == Some(&e.namespace))
            .filter(|rs| {
                rs.metadata.owner_references.iter().flatten().any(|o| o.kind == "Deployment" && o.name == e.name)
            })
            .map(|rs| {
                let rev = rs
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                (rev, rs)
            })
            .collect();
        rss.sort_by_key(|(rev, _)| std::cmp::Reverse(*rev));
        let Some((_, rs)) = rss.get(1) else {
            return Err(Outcome::NotFound {
                message: format!("no earlier revision of {} is kept (not found)", e.name),
            });
        };
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref()?.spec.as_ref())
            .map(|s| s.containers.clone())
            .unwrap_or_default()
    } else if previous {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    } else {
        named_containers(w, r, containers_of(ctx, e)).into_iter().cloned().collect()
    };
    let tags = distinct(containers.iter().filter_map(|c| image_tag(c.image.as_deref()?)));
    let [tag] = tags.as_slice() else {
        // Several containers, several versions: which one is meant is unclear.
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    };
    let images = containers.iter().filter_map(|c| c.image.clone()).collect::<Vec<_>>().join(", ");
    let mut out = routed(
        "version",
        tag.clone(),
        format!("{} {} {}runs {images}.", e.kind.name(), e.name, if previous { "previously " } else { "" }),
    );
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(if previous {
        format!("kubectl rollout history deployment/{}{}", e.name, ns_flag(&e.namespace))
    } else {
        format!("kubectl get {} {}{} -o jsonpath='{{..image}}'", e.kind.kubectl(), e.name, ns_flag(&e.namespace))
    });
    Ok(out)
}

pub(super) fn version(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let about_workload = !r.targets.is_empty() && r.targets.iter().all(|e| e.kind != Kind::Node);
    if about_workload {
        return workload_version(ctx, w, r);
    }
    // The nodes asked about: named ones, a pool by label value, else all.
    let named: Vec<&str> = r.targets.iter().filter(|e| e.kind == Kind::Node).map(|e| e.name.as_str()).collect();
    let nodes: Vec<&Arc<k8s_openapi::api::core::v1::Node>> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| named.is_empty() || n.metadata.name.as_deref().is_some_and(|x| named.contains(&x)))
        .filter(|n| {
            r.node_label.as_ref().is_none_or(|(value, keys)| {
                n.metadata.labels.iter().flatten().any(|(k, v)| keys.contains(k) && v.eq_ignore_ascii_case(value))
            })
        })
        .collect();
    let info = |n: &&Arc<k8s_openapi::api::core::v1::Node>| n.status.as_ref()?.node_info.clone();
    if w.has("runtime") {
        let runtimes = distinct(nodes.iter().filter_map(info).map(|i| i.container_runtime_version));
        let mut out =
            routed("version", join(runtimes.clone()), format!("Container runtimes: {}.", runtimes.join(", ")));
        out.evidence =
            nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
        out.kubectl.push("kubectl get nodes -o wide".into());
        return Ok(out);
    }
    let kubelets = distinct(nodes.iter().filter_map(info).map(|i| i.kubelet_version));
    let server_q = w.any(&["server", "control", "api", "apiserver", "plane"])
        || (w.has("kubernetes") && !w.any(&["kubelet", "nodes", "node"]));
    let (short, cmd) = if server_q && ctx.snap.server_version.is_some() {
        (ctx.snap.server_version.clone().unwrap_or_default(), "kubectl version")
    } else {
        (join(kubelets.clone()), "kubectl get nodes")
    };
    let mut out = routed(
        "version",
        short,
        format!(
            "Kubelet versions: {}; API server: {}.",
            kubelets.join(", "),
            ctx.snap.server_version.clone().unwrap_or_else(|| "unknown".into())
        ),
    );
    if !server_q && nodes.len() <= MAX_CITED {
        out.evidence =
            nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
    }
    out.kubectl.push(cmd.into());
    Ok(out)
}

pub(super) fn resources(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = named_containers(w, r, containers_of(ctx, e));
    if containers.is_empty() {
        return Err(Outcome::NotFound { message: format!("{} has no such container (not found)", e.name) });
    }
    let res = if w.any(&["cpu", "cpus", "cores"]) { "cpu" } else { "memory" };
    let limits = w.any(&["limit", "limits"]);
    let values: Vec<String> = containers
        .iter()
        .filter_map(|c| {
            let rr = c.resources.as_ref()?;
            let map = if limits { rr.limits.as_ref() } else { rr.requests.as_ref() };
            map.and_then(|m| m.get(res)).map(|q| q.0.clone())
        })
        .collect();
    let word = shown_target(r, &entries);
    let what = format!("{res} {}", if limits { "limit" } else { "request" });
    let short = if values.is_empty() { "none".to_string() } else { join(distinct(values)) };
    let mut out = routed("resources", short.clone(), format!("The {what} of {word} is {short}."));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(format!(
        "kubectl get {} {}{} -o jsonpath='{{..resources}}'",
        if e.kind == Kind::Pod { "pod" } else { e.kind.kubectl() },
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(super) fn cron<'a>(ctx: &'a Ctx<'_>, r: &Refs) -> Result<&'a Arc<k8s_openapi::api::batch::v1::CronJob>, Outcome> {
    let entries = pick(ctx, r, &[Kind::CronJob])?;
    let e = &entries[0];
    Ok(find_in(&ctx.snap.cron_jobs, e).expect("picked"))
}

pub(super) fn schedule(ctx: &Ctx<'_>, r: &Refs) -> R {
    let c = cron(ctx, r)?;
    let s = c.spec.as_ref().map(|s| s.schedule.clone()).unwrap_or_default();
    let tz = c.spec.as_ref().and_then(|s| s.time_zone.clone()).map(|t| format!(" ({t})")).unwrap_or_default();
    let mut out = routed(
        "cronjob",
        s.clone(),
        format!("CronJob {} runs on the schedule `{s}`{tz}.", c.metadata.name.clone().unwrap_or_default()),
    );
    out.evidence.push(Evidence::new(
        "CronJob",
        c.metadata.namespace.as_deref(),
        c.metadata.name.as_deref().unwrap_or(""),
    ));
    out.kubectl.push(format!(
        "kubectl get cronjob {}{}",
        c.metadata.name.clone().unwrap_or_default(),
        ns_flag(c.metadata.namespace.as_deref().unwrap_or(""))
    ));
    Ok(out)
}

pub(super) fn last_schedule(ctx: &Ctx<'_>, r: &Refs) -> R {
    let c = cron(ctx, r)?;
    let last = c.status.as_ref().and_then(|s| s.last_schedule_time.as_ref()).map(|t| t.0);
    let short = last.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "never".into());
    let mut out = routed("cronjob", short.clone(), format!("Last scheduled: {short} ({} ago).", podstatus::age(last)));
    out.evidence.push(Evidence::new(
        "CronJob",
        c.metadata.namespace.as_deref(),
        c.metadata.name.as_deref().unwrap_or(""),
    ));
    Ok(out)
}

pub(super) fn ingress_host(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Ingress])?;
    let e = &entries[0];
    let ing = find_in(&ctx.snap.ingresses, e).expect("picked");
    let hosts = distinct(ing.spec.iter().flat_map(|s| s.rules.iter().flatten()).filter_map(|r| r.host.clone()));
    let mut out = routed(
        "ingress",
        if hosts.is_empty() { "*".into() } else { join(hosts.clone()) },
        format!("Ingress {}/{} serves {}.", e.namespace, e.name, hosts.join(", ")),
    );
    out.evidence.push(Evidence::new("Ingress", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get ingress {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn labels(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(
        ctx,
        r,
        &pod_kinds(r).into_iter().chain([Kind::Node, Kind::Namespace, Kind::Pvc, Kind::Ingress]).collect::<Vec<_>>(),
    )?;
    let e = &entries[0];
    let labels: BTreeMap<String, String> = match e.kind {
        Kind::Pod => {
            pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.labels.clone()).unwrap_or_default()
        }
        Kind::Deployment => ctx
            .snap
            .deployments
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(&e.name) && d.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|d| d.metadata.labels.clone())
            .unwrap_or_default(),
        Kind::StatefulSet => ctx
            .snap
            .stateful_sets
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(&e.name) && d.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|d| d.metadata.labels.clone())
            .unwrap_or_default(),
        Kind::Service => ctx
            .snap
            .services
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(&e.name) && d.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|d| d.metadata.labels.clone())
            .unwrap_or_default(),
        Kind::Node => ctx
            .snap
            .nodes
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(&e.name))
            .and_then(|d| d.metadata.labels.clone())
            .unwrap_or_default(),
        _ => pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.labels.clone()).unwrap_or_default(),
    };
    // "what is the app label of X" → the value of that one label.
    let key =
        labels.keys().find(|k| w.lower.iter().any(|x| x == *k || k.rsplit('/').next() == Some(x.as_str()))).cloned();
    let short = match &key {
        Some(k) => labels[k].clone(),
        None => join(labels.iter().map(|(k, v)| format!("{k}={v}"))),
    };
    let mut out = routed(
        "labels",
        short,
        format!(
            "Labels of {} {}: {}",
            e.kind.name(),
            e.name,
            labels.iter().map(|(k, v)| format!("`{k}={v}`")).collect::<Vec<_>>().join(", ")
        ),
    );
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(format!(
        "kubectl get {} {}{} --show-labels",
        if e.kind == Kind::Pod { "pod" } else { e.kind.kubectl() },
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(super) fn owner(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let Some(p) = pods.first() else {
        return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
    };
    let w = ctx.owners.workload_of(p);
    let short = w.as_ref().map(|w| w.name.clone()).unwrap_or_else(|| "none".into());
    let chain = p
        .metadata
        .owner_references
        .iter()
        .flatten()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = routed(
        "owner",
        short,
        format!(
            "Pod `{}` is owned by {}{}.",
            name(p),
            if chain.is_empty() { "nothing (a bare pod)".into() } else { chain },
            w.map(|w| format!(", which belongs to {} {}", w.kind, w.name)).unwrap_or_default()
        ),
    );
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!(
        "kubectl get pod {}{} -o jsonpath='{{.metadata.ownerReferences}}'",
        name(p),
        ns_flag(ns(p))
    ));
    Ok(out)
}

pub(super) fn namespace_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let word = r.target_word.clone().ok_or_else(|| Outcome::NotUnderstood { suggestions: suggestions(ctx) })?;
    let spaces = distinct(
        r.targets
            .iter()
            .filter(|e| r.kind.is_none_or(|k| k == Kind::Namespace || k == e.kind || (k == Kind::Pod && e.via_base)))
            .map(|e| e.namespace.clone())
            .filter(|n| !n.is_empty()),
    );
    if spaces.is_empty() {
        return Err(not_found(ctx, &word, r.kind));
    }
    let mut out = routed("namespace", join(spaces.clone()), format!("{word} is in namespace {}.", spaces.join(", ")));
    out.kubectl.push(format!("kubectl get all -A | grep {word}"));
    Ok(out)
}

pub(super) fn events(ctx: &Ctx<'_>, r: &Refs) -> R {
    // A node's events are its own (kubelet, node controller), not its pods'.
    let node: Vec<NameEntry> = r.targets.iter().filter(|e| e.kind == Kind::Node).cloned().collect();
    let (entries, pods) = if r.targets.is_empty() {
        (vec![], vec![])
    } else if !node.is_empty() && r.targets.iter().all(|e| e.kind == Kind::Node) {
        (node, vec![])
    } else {
        target_pods(ctx, r)?
    };
    let names: BTreeSet<String> =
        pods.iter().map(|p| name(p).to_string()).chain(entries.iter().map(|e| e.name.clone())).collect();
    let mut evs: Vec<_> = ctx
        .snap
        .events
        .iter()
        .filter(|e| r.namespace.as_deref().is_none_or(|n| e.metadata.namespace.as_deref() == Some(n)))
        .filter(|e| names.is_empty() || e.involved_object.name.as_ref().is_some_and(|n| names.contains(n)))
        .collect();
    evs.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)));
    let warnings: Vec<_> = evs.iter().filter(|e| e.type_.as_deref() == Some("Warning")).collect();
    let pick_ev = warnings.last().copied().or(evs.last());
    let short = pick_ev
        .map(|e| {
            let msg = e.message.clone().unwrap_or_default();
            let msg = msg.split(" preemption:").next().unwrap_or(&msg).trim().to_string();
            format!("{}: {msg}", e.reason.clone().unwrap_or_default())
        })
        .unwrap_or_else(|| "no events".into());
    let details = evs
        .iter()
        .rev()
        .take(10)
        .map(|e| {
            format!(
                "- {} {} {}: {}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default().trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("events", truncate(&short, 200), details);
    out.kubectl.push(match names.iter().next() {
        Some(n) => format!(
            "kubectl get events{} --field-selector involvedObject.name={n}",
            ns_flag(entries.first().map(|e| e.namespace.as_str()).unwrap_or(""))
        ),
        None => format!("kubectl get events{}", r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())),
    });
    Ok(out)
}

pub(super) fn capacity(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Pvc, Kind::Pv])?;
    let e = &entries[0];
    let size = if e.kind == Kind::Pvc {
        ctx.snap
            .pvcs
            .iter()
            .find(|p| {
                p.metadata.name.as_deref() == Some(&e.name) && p.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.capacity.as_ref())
                    .and_then(|c| c.get("storage"))
                    .or_else(|| p.spec.as_ref()?.resources.as_ref()?.requests.as_ref()?.get("storage"))
                    .map(|q| q.0.clone())
            })
    } else {
        ctx.snap
            .pvs
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some(&e.name))
            .and_then(|p| p.spec.as_ref()?.capacity.as_ref()?.get("storage").map(|q| q.0.clone()))
    }
    .unwrap_or_else(|| "unknown".into());
    let mut out = routed("pvc", size.clone(), format!("{} {} requests {size}.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

/// "which service is 10.96.24.152": the object that has an address the
/// question quotes (a Service's cluster IP, a pod's IP, a node's address).
pub(super) fn ip_owner(ctx: &Ctx<'_>, w: &Words) -> Option<Routed> {
    let ip = w.lower.iter().find(|x| x.parse::<std::net::Ipv4Addr>().is_ok())?;
    let svc = ctx.snap.services.iter().find(|s| {
        s.spec.as_ref().is_some_and(|sp| {
            sp.cluster_ip.as_deref() == Some(ip.as_str()) || sp.cluster_ips.iter().flatten().any(|c| c == ip)
        })
    });
    let (kind, namespace, name) = if let Some(s) = svc {
        ("Service", s.metadata.namespace.clone(), s.metadata.name.clone()?)
    } else if let Some(p) =
        ctx.snap.pods.iter().find(|p| p.status.as_ref().and_then(|s| s.pod_ip.as_deref()) == Some(ip.as_str()))
    {
        ("Pod", p.metadata.namespace.clone(), p.metadata.name.clone()?)
    } else {
        let n = ctx.snap.nodes.iter().find(|n| {
            n.status.as_ref().and_then(|s| s.addresses.as_ref()).is_some_and(|a| a.iter().any(|x| &x.address == ip))
        })?;
        ("Node", None, n.metadata.name.clone()?)
    };
    let mut out = routed(
        "ip",
        name.clone(),
        format!("{ip} is {kind} {}{name}.", namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default()),
    );
    out.evidence.push(Evidence::new(kind, namespace.as_deref(), &name));
    Some(out)
}

pub(super) fn ip(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    // "the internal ip of the node that's down"
    if r.targets.is_empty() {
        if let Some([node]) = troubled_nodes(ctx, w).as_deref() {
            let e = NameEntry { kind: Kind::Node, namespace: String::new(), name: node.clone(), via_base: false };
            let refs = Refs { targets: vec![e], target_word: Some(node.clone()), ..r.clone() };
            return ip(ctx, w, &refs);
        }
    }
    // A "cluster IP" is a Service's; otherwise the pod's address first.
    let kinds: &[Kind] = if w.has("clusterip") || w.phrase("cluster ip") {
        &[Kind::Service]
    } else {
        &[Kind::Pod, Kind::Service, Kind::Node, Kind::Deployment, Kind::StatefulSet]
    };
    let entries = pick(ctx, r, kinds)?;
    let e = &entries[0];
    let ips = match e.kind {
        Kind::Service => ctx
            .snap
            .services
            .iter()
            .find(|s| {
                s.metadata.name.as_deref() == Some(&e.name) && s.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|s| s.spec.as_ref()?.cluster_ip.clone())
            .into_iter()
            .collect(),
        Kind::Node => ctx
            .snap
            .nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(&e.name))
            .and_then(|n| {
                n.status
                    .as_ref()?
                    .addresses
                    .as_ref()?
                    .iter()
                    .find(|a| a.type_ == "InternalIP")
                    .map(|a| a.address.clone())
            })
            .into_iter()
            .collect(),
        _ => pods_for(ctx, std::slice::from_ref(e))
            .iter()
            .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
            .collect::<Vec<_>>(),
    };
    let mut out = routed("ip", join(distinct(ips)), format!("Addresses of {} {}.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(super) fn age(ctx: &Ctx<'_>, r: &Refs) -> R {
    let kinds: Vec<Kind> =
        r.kind.into_iter().chain(pod_kinds(r)).chain([Kind::Node, Kind::Namespace, Kind::Pvc, Kind::Ingress]).collect();
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = &entries[0];
    let created = match e.kind {
        Kind::Pod => pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.creation_timestamp.clone()),
        Kind::Node => ctx
            .snap
            .nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(&e.name))
            .and_then(|n| n.metadata.creation_timestamp.clone()),
        Kind::Deployment => ctx
            .snap
            .deployments
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(&e.name) && d.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|d| d.metadata.creation_timestamp.clone()),
        _ => pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.creation_timestamp.clone()),
    };
    let age = podstatus::human_duration(
        ctx.snap.now().duration_since(created.as_ref().map(|t| t.0).unwrap_or_else(|| ctx.snap.now())),
    );
    let mut out = routed("age", age.clone(), format!("{} {} was created {age} ago.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(super) fn top(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let mem = !w.any(&["cpu", "cpus", "cores"]);
    let least = w.any(&["least", "lowest"]);
    if r.kind == Some(Kind::Node) {
        let mut v: Vec<(f64, String)> = ctx
            .snap
            .node_metrics
            .iter()
            .map(|m| {
                let q = m.usage.get(if mem { "memory" } else { "cpu" }).map(|q| q.0.clone()).unwrap_or_default();
                (if mem { mem_bytes(&q) } else { cpu_millis(&q) }, m.metadata.name.clone().unwrap_or_default())
            })
            .collect();
        if v.is_empty() {
            return Err(Outcome::NotFound { message: "no node metrics: is metrics-server installed?".into() });
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (val, name) = if least { v[0].clone() } else { v[v.len() - 1].clone() };
        let shown = if mem { facts::show_mem(val) } else { format!("{val:.0}m") };
        let mut out = routed("metrics", name.clone(), format!("Node {name} uses {shown}."));
        out.kubectl.push(format!("kubectl top nodes --sort-by={}", if mem { "memory" } else { "cpu" }));
        return Ok(out);
    }
    let mut v: Vec<(f64, String, String)> = ctx
        .snap
        .pod_metrics
        .iter()
        .filter(|m| r.namespace.as_deref().is_none_or(|n| m.metadata.namespace.as_deref() == Some(n)))
        .map(|m| {
            let total: f64 = m
                .containers
                .iter()
                .map(|c| {
                    let q = c.usage.get(if mem { "memory" } else { "cpu" }).map(|q| q.0.clone()).unwrap_or_default();
                    if mem {
                        mem_bytes(&q)
                    } else {
                        cpu_millis(&q)
                    }
                })
                .sum();
            (total, m.metadata.namespace.clone().unwrap_or_default(), m.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    if v.is_empty() {
        return Err(Outcome::NotFound { message: "no pod metrics: is metrics-server installed?".into() });
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (val, pns, pname) = if least { v[0].clone() } else { v[v.len() - 1].clone() };
    let pod = ctx.snap.pods.iter().find(|p| name(p) == pname && ns(p) == pns);
    let shown_name = pod.map(|p| ctx.owners.base_name(p)).unwrap_or_else(|| pname.clone());
    let shown = if mem { facts::show_mem(val) } else { format!("{val:.0}m") };
    let mut out = routed(
        "metrics",
        shown_name,
        format!("Pod `{pns}/{pname}` uses {shown} of {}.", if mem { "memory" } else { "CPU" }),
    );
    out.evidence.push(Evidence::new("Pod", Some(&pns), &pname));
    out.kubectl.push(format!(
        "kubectl top pods {} --sort-by={}",
        r.namespace.as_deref().map(|n| format!("-n {n}")).unwrap_or_else(|| "-A".into()),
        if mem { "memory" } else { "cpu" }
    ));
    Ok(out)
}

/// "which namespace has the most pods".
pub(super) fn namespace_by_pods(ctx: &Ctx<'_>, w: &Words) -> R {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &ctx.snap.pods {
        *counts.entry(p.metadata.namespace.clone().unwrap_or_default()).or_default() += 1;
    }
    let fewest = w.any(&["fewest", "least"]);
    let pick = if fewest { counts.iter().min_by_key(|(_, n)| **n) } else { counts.iter().max_by_key(|(_, n)| **n) };
    let Some((ns, n)) = pick else { return Ok(routed("namespace", "none", "There are no pods.")) };
    let tie = counts.values().filter(|c| *c == n).count() > 1;
    if tie {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    }
    let details = counts.iter().map(|(k, v)| format!("- {k}: {v}")).collect::<Vec<_>>().join("\n");
    let mut out = routed("namespace", ns.clone(), format!("Pods per namespace:\n{details}"));
    out.kubectl.push("kubectl get pods -A --no-headers | awk '{print $1}' | sort | uniq -c".into());
    Ok(out)
}

/// The last segment of a label key, and its words (`topology.kubernetes.io/zone`
/// → zone; `cloud.google.com/gke-nodepool` → gke-nodepool, gke, nodepool).
pub(super) fn label_key_matches(key: &str, word: &str) -> bool {
    let last = key.rsplit('/').next().unwrap_or(key);
    word.chars().count() >= 3
        && (last == word || last.split(['-', '_', '.']).any(|p| p == word) || (word.len() >= 4 && last.ends_with(word)))
}

/// "what zone is shop-node-3 in", "which node pool are our nodes in": a
/// question naming a label key of nodes (zone, region, pool, arch, …)
/// answers that label's value, for the named node or for every node.
pub(super) fn label_word(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<R> {
    let named_nodes: Vec<&str> = r.targets.iter().filter(|e| e.kind == Kind::Node).map(|e| e.name.as_str()).collect();
    let about_nodes = !named_nodes.is_empty() || (r.kind == Some(Kind::Node) && r.targets.is_empty());
    if !about_nodes || w.prefix(&["label"]) {
        return None;
    }
    let nodes: Vec<&Arc<k8s_openapi::api::core::v1::Node>> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| named_nodes.is_empty() || n.metadata.name.as_deref().is_some_and(|x| named_nodes.contains(&x)))
        .collect();
    let keys: BTreeSet<&String> =
        nodes.iter().flat_map(|n| n.metadata.labels.iter().flatten().map(|(k, _)| k)).collect();
    let word_keys: Vec<&String> = keys
        .iter()
        .copied()
        .filter(|k| {
            w.lower
                .iter()
                .any(|x| !guard::is_intent_word(x) && super::vocab::kind_word(x).is_none() && label_key_matches(k, x))
        })
        .collect();
    // Prefer the stable key over its deprecated `beta.` twin.
    let key = word_keys.iter().find(|k| !k.starts_with("beta.")).or(word_keys.first())?;
    if let Err(e) = guard::accounted_for_with(ctx, w, r, &[key.rsplit('/').next().unwrap_or(key)]) {
        return Some(Err(e));
    }
    let values = distinct(nodes.iter().filter_map(|n| n.metadata.labels.as_ref()?.get(*key).cloned()));
    let details = nodes
        .iter()
        .map(|n| {
            format!(
                "- {}: {}",
                n.metadata.name.clone().unwrap_or_default(),
                n.metadata.labels.as_ref().and_then(|l| l.get(*key)).cloned().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("labels", join(values), format!("Label `{key}` of the nodes:\n{details}"));
    out.evidence =
        nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push(format!("kubectl get nodes -L {key}"));
    Some(Ok(out))
}

/// "which nodes are in zone eu-west-1b?", "how many nodes are in the batch
/// pool?": the nodes carrying a label value the question names. When the
/// value is under several keys, a key word in the question chooses.
pub(super) fn nodes_by_label(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let Some((value, keys)) = &r.node_label else {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    };
    let named: Vec<&String> = keys.iter().filter(|k| w.lower.iter().any(|x| label_key_matches(k, x))).collect();
    let key = match (named.as_slice(), keys.as_slice()) {
        ([k], _) => (*k).clone(),
        ([], [k]) => k.clone(),
        _ => return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
    };
    let last = key.rsplit('/').next().unwrap_or(&key).to_string();
    guard::accounted_for_with(ctx, w, r, &[value.as_str(), last.as_str(), "pool", "zone", "region", "label"])?;
    let nodes: Vec<String> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| n.metadata.labels.as_ref().and_then(|l| l.get(&key)).is_some_and(|v| v.eq_ignore_ascii_case(value)))
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let short =
        if w.phrase("how many") || w.any(&["count", "number"]) { nodes.len().to_string() } else { join(nodes.clone()) };
    let mut out = routed("nodes", short, format!("Nodes with `{key}={value}`: {}.", join(nodes.clone())));
    out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push(format!("kubectl get nodes -l {key}={value}"));
    Ok(out)
}

pub(super) fn not_ready_nodes(ctx: &Ctx<'_>) -> R {
    let nodes: Vec<String> =
        ctx.snap.nodes.iter().filter(|n| !node_ready(n)).filter_map(|n| n.metadata.name.clone()).collect();
    let short = if nodes.is_empty() { "none".to_string() } else { join(nodes.clone()) };
    let mut out = routed("node", short, format!("{} of {} nodes are not Ready.", nodes.len(), ctx.snap.nodes.len()));
    out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push("kubectl get nodes".into());
    Ok(out)
}

pub(super) fn config_key(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<String> {
    let e = r.targets.iter().find(|e| e.kind == Kind::ConfigMap)?;
    let cm = ctx.snap.config_maps.iter().find(|c| {
        c.metadata.name.as_deref() == Some(&e.name) && c.metadata.namespace.as_deref() == Some(&e.namespace)
    })?;
    let data = cm.data.as_ref()?;
    w.original
        .iter()
        .find(|o| data.contains_key(o.as_str()))
        .cloned()
        .or_else(|| data.keys().find(|k| w.has(&k.to_lowercase())).cloned())
}

pub(super) fn config_value(ctx: &Ctx<'_>, r: &Refs, key: &str) -> R {
    let entries = pick(ctx, r, &[Kind::ConfigMap])?;
    let e = &entries[0];
    let cm = find_in(&ctx.snap.config_maps, e).expect("picked");
    let v = cm.data.as_ref().and_then(|d| d.get(key).cloned()).unwrap_or_default();
    let mut out = routed("config", v.clone(), format!("ConfigMap {}/{}: `{key}={v}`.", e.namespace, e.name));
    out.evidence.push(Evidence::new("ConfigMap", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get configmap {}{} -o yaml", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

pub(super) async fn fetch_error(ctx: &Ctx<'_>, p: &Pod, prefer_previous: bool) -> Option<(String, String)> {
    let containers: Vec<String> =
        p.spec.as_ref().map(|s| s.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
    let order: &[bool] = if prefer_previous { &[true, false] } else { &[false, true] };
    for previous in order {
        for c in &containers {
            if let Ok(text) = ctx.logs.logs(ns(p), name(p), Some(c), *previous, Some(200)).await {
                if let Some(line) = facts::error_line(&text) {
                    return Some((clean_line(&line), c.clone()));
                }
            }
        }
    }
    None
}

pub(super) async fn log_error(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let word = shown_target(r, &entries);
    if pods.is_empty() {
        return Err(Outcome::NotFound { message: format!("{word} has no pods, so there are no logs to read") });
    }
    // Pods with problems first: their logs are the ones asked about.
    let mut ordered = pods.clone();
    ordered.sort_by_key(|p| (podstatus::display_status(p) == "Running" && restarts(p) == 0, name(p).to_string()));
    for p in &ordered {
        if let Some((line, container)) = fetch_error(ctx, p, false).await {
            let mut out = routed(
                "logs",
                truncate(&line, 200),
                format!("The last error in the log of `{}` (container `{container}`):\n\n```\n{line}\n```", name(p)),
            );
            out.evidence.push(pod_ev(p));
            out.kubectl.push(format!("kubectl logs {}{} -c {container} --tail=50", name(p), ns_flag(ns(p))));
            return Ok(out);
        }
    }
    let p = ordered[0];
    let container = p.spec.as_ref().and_then(|s| s.containers.first()).map(|c| c.name.clone());
    let tail = ctx.logs.logs(ns(p), name(p), container.as_deref(), false, Some(5)).await.unwrap_or_default();
    let last = tail.lines().last().map(clean_line).unwrap_or_else(|| "no log lines".into());
    // "What error does it log" with no error line is not "no errors": the
    // error may be worded in a way this reader misses.
    let mut out = routed(
        "logs",
        truncate(&format!("I can't find an error in the logs of {word}; last line: {last}"), 200),
        format!("No error lines in the logs of {word}. Last lines:\n```\n{tail}\n```"),
    );
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl logs {}{} --tail=20", name(p), ns_flag(ns(p))));
    Ok(out)
}

pub(super) async fn why_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let kinds: Vec<Kind> = r
        .kind
        .into_iter()
        .chain(pod_kinds(r))
        .chain([Kind::Pvc, Kind::Node, Kind::Service, Kind::Ingress, Kind::Hpa])
        .collect();
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = entries[0].clone();
    let word = shown_target(r, &entries);
    // A Job's (or CronJob's) failure is the Job's: its condition and its log.
    if let Some(job) = named_job(r) {
        return job_why(ctx, job).await;
    }
    match e.kind {
        Kind::Pvc => return pvc_why(ctx, &e),
        Kind::Node => return node_why(ctx, &e),
        Kind::Hpa => return hpa_why(ctx, &e),
        Kind::Service => {
            let n = endpoint_addresses(ctx, &e.namespace, &e.name);
            let pods = pods_for(ctx, std::slice::from_ref(&e));
            let short = if n == 0 && pods.is_empty() {
                "its selector matches no pods".to_string()
            } else if n == 0 {
                "none of its pods are ready".into()
            } else {
                format!("{n} endpoints are ready")
            };
            let mut out = routed(
                "why",
                short,
                format!("Service {}/{}: {n} ready endpoints, {} matching pods.", e.namespace, e.name, pods.len()),
            );
            out.evidence.push(Evidence::new("Service", Some(&e.namespace), &e.name));
            out.kubectl.push(format!("kubectl get endpoints {}{}", e.name, ns_flag(&e.namespace)));
            return Ok(out);
        }
        _ => {}
    }
    let pods = pods_for(ctx, &entries);
    // The pod worth explaining: not running, else the one restarting most,
    // else one that runs but is not ready.
    let bad = pods
        .iter()
        .copied()
        .filter(|p| !matches!(podstatus::display_status(p).as_str(), "Running" | "Completed"))
        .max_by_key(|p| (restarts(p), name(p).to_string()))
        .or_else(|| pods.iter().copied().filter(|p| restarts(p) > 0).max_by_key(|p| restarts(p)));
    let Some(p) = bad else {
        if e.kind == Kind::Job || e.kind == Kind::CronJob {
            return job_why(ctx, &e).await;
        }
        if let Some(p) = pods.iter().find(|p| podstatus::display_status(p) == "Running" && !podstatus::is_ready(p)) {
            return Ok(not_ready_why(ctx, p));
        }
        if pods.is_empty() {
            let mut out = routed(
                "why",
                format!("{word} has no pods"),
                format!(
                    "{} {word} has no pods to explain; `kubectl describe` shows why none were created.",
                    e.kind.name()
                ),
            );
            out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
            out.kubectl.push(format!("kubectl describe {} {}{}", e.kind.kubectl(), e.name, ns_flag(&e.namespace)));
            return Ok(out);
        }
        // Nothing found is not "nothing wrong": the question says something
        // is; say what was checked instead of declaring it healthy.
        let mut out = routed(
            "why",
            format!("I can't find a problem with {word}: its pods are running and ready"),
            format!("All {} pods of {word} are running and ready, and none has restarted.", pods.len()),
        );
        out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
        return Ok(out);
    };
    let st = podstatus::display_status(p);
    let status = p.status.clone().unwrap_or_default();
    let cs = status.container_statuses.clone().unwrap_or_default();
    let last_term =
        cs.iter().filter_map(|c| c.last_state.as_ref()?.terminated.clone().map(|t| (c.name.clone(), t))).next();
    let waiting = cs.iter().filter_map(|c| c.state.as_ref()?.waiting.clone().map(|wt| (c.name.clone(), wt))).next();
    let events_for = |reason_filter: &[&str]| -> Option<String> {
        let mut evs: Vec<_> = ctx
            .snap
            .events
            .iter()
            .filter(|ev| {
                ev.involved_object.name.as_deref() == Some(name(p)) && ev.metadata.namespace.as_deref() == Some(ns(p))
            })
            .filter(|ev| reason_filter.is_empty() || ev.reason.as_deref().is_some_and(|r| reason_filter.contains(&r)))
            .collect();
        evs.sort_by_key(|ev| ev.last_timestamp.as_ref().map(|t| t.0));
        evs.last().and_then(|ev| ev.message.clone())
    };
    let mut out = Routed { route: "why", ..Default::default() };
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl describe pod {}{}", name(p), ns_flag(ns(p))));
    let oom = last_term.as_ref().is_some_and(|(_, t)| t.reason.as_deref() == Some("OOMKilled"));
    if st == "Pending" || st.starts_with("Pending") {
        let msg = events_for(&["FailedScheduling"]).unwrap_or_else(|| {
            status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "PodScheduled")
                .and_then(|c| c.message.clone())
                .unwrap_or_else(|| "the pod is not scheduled yet".into())
        });
        let msg = msg.split(" preemption:").next().unwrap_or(&msg).trim().to_string();
        out.short = truncate(&msg, 200);
        out.explanation = format!("Pod `{}` is Pending: the scheduler says: {msg}", name(p));
        out.kubectl.push(format!(
            "kubectl get events{} --field-selector involvedObject.name={}",
            ns_flag(ns(p)),
            name(p)
        ));
        return Ok(out);
    }
    if let Some((c, wt)) = &waiting {
        let reason = wt.reason.clone().unwrap_or_default();
        if reason == "ImagePullBackOff" || reason == "ErrImagePull" || reason == "InvalidImageName" {
            let image = p
                .spec
                .as_ref()
                .and_then(|s| s.containers.iter().find(|x| &x.name == c))
                .and_then(|x| x.image.clone())
                .unwrap_or_default();
            let pull_msg = ctx
                .snap
                .events
                .iter()
                .filter(|ev| {
                    ev.involved_object.name.as_deref() == Some(name(p))
                        && ev.metadata.namespace.as_deref() == Some(ns(p))
                })
                .filter_map(|ev| ev.message.clone())
                .fold(None::<String>, |best, m| {
                    let failed = m.to_lowercase().contains("failed to pull");
                    match best {
                        Some(b) if b.to_lowercase().contains("failed to pull") || !failed => Some(b),
                        _ if failed || m.contains("pull") => Some(m),
                        b => b,
                    }
                });
            let detail = pull_msg
                .as_ref()
                .map(|m| {
                    let lower = m.to_lowercase();
                    if lower.contains("not found") || lower.contains("manifest unknown") {
                        "not found".to_string()
                    } else if lower.contains("unauthorized") || lower.contains("denied") {
                        "access denied by the registry".to_string()
                    } else {
                        m.rsplit(": ").next().unwrap_or(m).to_string()
                    }
                })
                .unwrap_or_else(|| "cannot be pulled".into());
            out.short = truncate(&format!("{reason}: {image} {detail}"), 200);
            out.explanation = format!(
                "Container `{c}` of `{}` cannot pull its image `{image}` ({reason}). Registry says: {}",
                name(p),
                pull_msg.unwrap_or_default()
            );
            return Ok(out);
        }
        if reason == "CreateContainerConfigError" || reason == "CreateContainerError" {
            let msg = wt.message.clone().unwrap_or_default();
            out.short = truncate(&format!("{reason}: {msg}"), 200);
            out.explanation = format!("Container `{c}` cannot be created: {msg}");
            return Ok(out);
        }
    }
    if oom {
        let (c, t) = last_term.clone().expect("checked oom");
        let limit = p
            .spec
            .as_ref()
            .and_then(|s| s.containers.iter().find(|x| x.name == c))
            .and_then(|x| x.resources.as_ref()?.limits.as_ref()?.get("memory").map(|q| q.0.clone()))
            .unwrap_or_else(|| "none".into());
        out.short = "OOMKilled".into();
        out.explanation = format!("Container `{c}` of `{}` was OOMKilled (exit code {}): it exceeded its memory limit of {limit}. It has restarted {} times.", name(p), t.exit_code, restarts(p));
        out.kubectl.push(format!("kubectl top pod {}{}", name(p), ns_flag(ns(p))));
        return Ok(out);
    }
    if let Some((line, c)) = fetch_error(ctx, p, true).await {
        out.short = truncate(&line, 200);
        let exit = last_term.as_ref().map(|(_, t)| format!(" (exit code {})", t.exit_code)).unwrap_or_default();
        out.explanation = format!("`{}` is {st}{exit}. Its container `{c}` logged:\n\n```\n{line}\n```", name(p));
        out.kubectl.push(format!("kubectl logs {}{} -c {c} --previous", name(p), ns_flag(ns(p))));
        return Ok(out);
    }
    let reason = last_term
        .as_ref()
        .map(|(_, t)| format!("{} (exit code {})", t.reason.clone().unwrap_or_else(|| "Error".into()), t.exit_code))
        .unwrap_or(st.clone());
    out.short = truncate(&format!("{st}: {reason}"), 200);
    out.explanation = format!("`{}` is {st}; last termination: {reason}.", name(p));
    Ok(out)
}

/// A Job or CronJob the question names by its own name (its pods share it:
/// "migrate-schema" is the Job before it is its pod), unless another kind
/// is asked for.
fn named_job(r: &Refs) -> Option<&NameEntry> {
    let asked = r.kind.is_none_or(|k| matches!(k, Kind::Job | Kind::CronJob));
    let in_ns = |e: &&NameEntry| r.namespace.as_deref().is_none_or(|n| e.namespace == n);
    r.targets.iter().filter(in_ns).find(|e| asked && matches!(e.kind, Kind::Job | Kind::CronJob) && !e.via_base)
}

/// The Job a "why" is about: the named Job, or a CronJob's latest.
fn job_of_entry<'a>(ctx: &'a Ctx<'_>, e: &NameEntry) -> Option<&'a k8s_openapi::api::batch::v1::Job> {
    let owned_by = |j: &&Arc<k8s_openapi::api::batch::v1::Job>| match e.kind {
        Kind::CronJob => j.metadata.owner_references.iter().flatten().any(|o| o.kind == "CronJob" && o.name == e.name),
        _ => j.metadata.name.as_deref() == Some(&e.name),
    };
    ctx.snap
        .jobs
        .iter()
        .filter(|j| j.metadata.namespace.as_deref() == Some(&e.namespace))
        .filter(owned_by)
        .max_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .map(|j| j.as_ref())
}

/// Why a Job (or a CronJob's latest Job) failed: its condition's reason
/// (`BackoffLimitExceeded`, `DeadlineExceeded`) and the error its pods logged.
pub(super) async fn job_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
    let job = job_of_entry(ctx, e);
    let state = job.map(facts::job_status).unwrap_or("Running");
    let end = job.and_then(kubeask_insight::state::job_end_reason).filter(|_| state == "Failed");
    let condition = end.as_ref().map(|(r, m)| format!(" ({r}: {m})")).unwrap_or_default();
    let job_name = job.and_then(|j| j.metadata.name.clone()).unwrap_or_else(|| e.name.clone());
    let pods = pods_for(ctx, std::slice::from_ref(e));
    for p in pods.iter().rev() {
        if let Some((line, _)) = fetch_error(ctx, p, false).await {
            let mut out = routed(
                "why",
                truncate(&line, 200),
                format!("Job {job_name} is **{state}**{condition}; its pod `{}` logged: {line}", name(p)),
            );
            out.evidence.push(Evidence::new("Job", Some(&e.namespace), &job_name));
            out.evidence.push(pod_ev(p));
            out.kubectl.push(format!("kubectl describe job {job_name}{}", ns_flag(&e.namespace)));
            out.kubectl.push(format!("kubectl logs {}{}", name(p), ns_flag(&e.namespace)));
            return Ok(out);
        }
    }
    let mut out = match end {
        Some((reason, message)) => routed(
            "why",
            truncate(&format!("{reason}: {message}"), 200),
            format!("Job {job_name} is **Failed**{condition}; none of its pods left an error in its log."),
        ),
        None => routed(
            "why",
            format!("I can't find a problem with {}: its Job is {state}", e.name),
            format!("Job {job_name} is {state} and none of its pods logged an error."),
        ),
    };
    out.evidence.push(Evidence::new("Job", Some(&e.namespace), &job_name));
    out.kubectl.push(format!("kubectl describe job {job_name}{}", ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn pvc_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
    let msg = ctx
        .snap
        .events
        .iter()
        .filter(|ev| {
            ev.involved_object.name.as_deref() == Some(&e.name)
                && ev.metadata.namespace.as_deref() == Some(&e.namespace)
        })
        .max_by_key(|ev| ev.last_timestamp.as_ref().map(|t| t.0))
        .and_then(|ev| ev.message.clone())
        .unwrap_or_else(|| "no events explain it".into());
    let mut out =
        routed("why", truncate(&msg, 200), format!("PersistentVolumeClaim {}/{}: {msg}", e.namespace, e.name));
    out.evidence.push(Evidence::new("PersistentVolumeClaim", Some(&e.namespace), &e.name));
    Ok(out)
}

/// A running pod that is not ready: its node is down, or a probe fails.
pub(super) fn not_ready_why(ctx: &Ctx<'_>, p: &Pod) -> Routed {
    let node = p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    let node_down = ctx.snap.nodes.iter().any(|n| n.metadata.name.as_deref() == Some(&node) && !node_ready(n));
    let probe = ctx
        .snap
        .events
        .iter()
        .filter(|ev| {
            ev.involved_object.name.as_deref() == Some(name(p)) && ev.metadata.namespace.as_deref() == Some(ns(p))
        })
        .filter(|ev| ev.reason.as_deref() == Some("Unhealthy"))
        .max_by_key(|ev| ev.last_timestamp.as_ref().map(|t| t.0))
        .and_then(|ev| ev.message.clone());
    let (short, explanation) = if node_down {
        (
            format!("its node {node} is NotReady"),
            format!("`{}` runs on node `{node}`, which is NotReady: the kubelet stopped reporting, so the pod is not ready.", name(p)),
        )
    } else if let Some(m) = probe {
        (
            truncate(&format!("readiness probe failing: {m}"), 200),
            format!("`{}` is running but not ready: {m}", name(p)),
        )
    } else {
        (
            format!("I can't find why {} is not ready", name(p)),
            format!("`{}` is running but not ready; no probe failure or node problem explains it.", name(p)),
        )
    };
    let mut out = routed("why", short, explanation);
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl describe pod {}{}", name(p), ns_flag(ns(p))));
    out
}

/// Why an HPA does not scale further: at its maximum, or what its status says.
pub(super) fn hpa_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
    let h = ctx
        .snap
        .hpas
        .iter()
        .find(|h| h.metadata.name.as_deref() == Some(&e.name) && h.metadata.namespace.as_deref() == Some(&e.namespace))
        .ok_or_else(|| not_found(ctx, &e.name, Some(Kind::Hpa)))?;
    let max = h.spec.as_ref().map_or(0, |s| s.max_replicas);
    let current = h.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0);
    let limited = h
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "ScalingLimited" && c.status == "True"))
        .and_then(|c| c.message.clone());
    let short = if current >= max && max > 0 {
        format!("already at max replicas ({max})")
    } else if let Some(m) = &limited {
        truncate(m, 200)
    } else {
        format!("I can't find what limits {}: {current} of at most {max} replicas", e.name)
    };
    let mut out = routed(
        "why",
        short,
        format!(
            "HorizontalPodAutoscaler {}/{}: {current} replicas, max {max}.{}",
            e.namespace,
            e.name,
            limited.map(|m| format!(" {m}")).unwrap_or_default()
        ),
    );
    out.evidence.push(Evidence::new("HorizontalPodAutoscaler", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl describe hpa {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn node_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
    let n = ctx.snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(&e.name)).expect("picked");
    let ready = n
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready").cloned());
    let msg = ready
        .map(|c| format!("{}: {}", c.reason.unwrap_or_default(), c.message.unwrap_or_default()))
        .unwrap_or_else(|| "no Ready condition".into());
    let mut out = routed("why", truncate(&msg, 200), format!("Node {}: {msg}", e.name));
    out.evidence.push(Evidence::new("Node", None, &e.name));
    out.kubectl.push(format!("kubectl describe node {}", e.name));
    Ok(out)
}

pub(super) fn pods_of_target_count(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let filter = pod_filter(ctx, w);
    let n = pods.iter().filter(|p| filter.keep(ctx, p)).count();
    let word = shown_target(r, &entries);
    let mut out = routed("count", n.to_string(), format!("{word} has {n} {}pods.", filter.label()));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(super) fn images_in(ctx: &Ctx<'_>, r: &Refs) -> R {
    let mut images: Vec<String> = facts::pods_in(ctx.snap, r.namespace.as_deref())
        .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter().filter_map(|c| c.image.clone())))
        .collect();
    images.sort();
    images.dedup();
    let scope = r.namespace.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let short = if images.is_empty() { format!("none: no pods run{scope}") } else { join(images.clone()) };
    let mut out = routed("image", short, format!("{} distinct images{scope}.", images.len()));
    let flag = r.namespace.as_deref().map(|n| format!(" -n {n}")).unwrap_or_else(|| " -A".into());
    out.kubectl.push(format!("kubectl get pods{flag} -o jsonpath='{{..image}}'"));
    Ok(out)
}

pub(super) fn restarts_in(ctx: &Ctx<'_>, r: &Refs) -> R {
    let pods: Vec<&Arc<Pod>> = facts::pods_in(ctx.snap, r.namespace.as_deref()).collect();
    let total: i32 = pods.iter().map(|p| restarts(p)).sum();
    let scope = r.namespace.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let mut out = routed("restarts", total.to_string(), format!("{total} container restarts in total{scope}."));
    out.kubectl
        .push(format!("kubectl get pods{}", r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())));
    Ok(out)
}

pub(super) fn restarted_pods(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let pods: Vec<&Arc<Pod>> = facts::pods_in(ctx.snap, r.namespace.as_deref()).filter(|p| restarts(p) > 0).collect();
    if w.any(&["most", "highest", "top", "max", "maximum"]) {
        // "which pod has restarted the most": one pod, not every one.
        let Some(p) = pods.iter().max_by_key(|p| (restarts(p), std::cmp::Reverse(name(p).to_string()))) else {
            return Ok(routed("restarts", "none", "No pod has restarted."));
        };
        let mut out = routed(
            "restarts",
            ctx.owners.base_name(p),
            format!("`{}/{}` has restarted the most: {} times.", ns(p), name(p), restarts(p)),
        );
        out.evidence.push(pod_ev(p));
        return Ok(out);
    }
    let mut names = distinct(pods.iter().map(|p| ctx.owners.base_name(p)));
    names.sort();
    let details = pods
        .iter()
        .map(|p| format!("- `{}/{}`: {} restarts", ns(p), name(p), restarts(p)))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("list", if names.is_empty() { "none".into() } else { join(names) }, details);
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!(
        "kubectl get pods{} --sort-by='.status.containerStatuses[0].restartCount'",
        r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())
    ));
    Ok(out)
}

pub(super) fn node_capacity(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Node])?;
    let e = &entries[0];
    let n = ctx.snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(&e.name)).expect("picked");
    let res = if w.any(&["cpu", "cpus", "cores"]) {
        "cpu"
    } else if w.any(&["memory", "ram"]) {
        "memory"
    } else {
        "pods"
    };
    let alloc = w.any(&["allocatable", "available", "schedulable"]);
    let st = n.status.as_ref();
    let map = if alloc { st.and_then(|s| s.allocatable.as_ref()) } else { st.and_then(|s| s.capacity.as_ref()) };
    let v = map.and_then(|m| m.get(res)).map(|q| q.0.clone()).unwrap_or_else(|| "unknown".into());
    let mut out = routed(
        "node",
        v.clone(),
        format!("Node {} {} {res}: {v}.", e.name, if alloc { "allocatable" } else { "capacity" }),
    );
    out.evidence.push(Evidence::new("Node", None, &e.name));
    out.kubectl.push(format!("kubectl describe node {}", e.name));
    Ok(out)
}

pub(super) fn ingress_backends(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Ingress])?;
    let e = &entries[0];
    let ing = find_in(&ctx.snap.ingresses, e).expect("picked");
    let spec = ing.spec.clone().unwrap_or_default();
    let mut backends: Vec<String> = spec
        .rules
        .iter()
        .flatten()
        .flat_map(|rule| rule.http.iter().flat_map(|h| h.paths.iter()))
        .filter_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()))
        .collect();
    if let Some(s) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref()) {
        backends.push(s.name.clone());
    }
    let backends = distinct(backends);
    let mut out = routed(
        "ingress",
        join(backends.clone()),
        format!("Ingress {}/{} routes to {}.", e.namespace, e.name, backends.join(", ")),
    );
    out.evidence.push(Evidence::new("Ingress", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl describe ingress {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(super) fn service_type(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Service])?;
    let e = &entries[0];
    let svc = find_in(&ctx.snap.services, e).expect("picked");
    let ty = svc.spec.as_ref().and_then(|s| s.type_.clone()).unwrap_or_else(|| "ClusterIP".into());
    let mut out = routed("service", ty.clone(), format!("Service {}/{} is of type {ty}.", e.namespace, e.name));
    out.evidence.push(Evidence::new("Service", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get service {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

/// Plain pod fields people ask about: QoS class, service account,
/// container names, ConfigMaps and Secrets used, restart policy.
pub(super) fn pod_field(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Option<Routed>, Outcome> {
    let probe = ["liveness", "readiness", "startup"].into_iter().find(|k| w.has(k)).filter(|_| w.prefix(&["probe"]));
    let field = if w.has("qos") || w.phrase("quality of service") {
        "qos"
    } else if probe.is_some() {
        "probe"
    } else if w.has("init") && w.prefix(&["container"]) {
        "init"
    } else if w.phrase("service account") || w.has("serviceaccount") {
        "sa"
    } else if w.prefix(&["container"])
        && w.any(&["which", "what", "list", "names", "name"])
        && !w.phrase("how many")
        && !w.any(&["limit", "limits", "request", "requests", "image", "images", "port", "ports", "memory", "cpu"])
    {
        "containers"
    } else if (w.prefix(&["configmap"]) || w.phrase("config map"))
        && w.any(&["use", "uses", "using", "mount", "mounts", "reference", "references"])
    {
        "configmaps"
    } else if w.prefix(&["secret"]) && w.any(&["use", "uses", "using", "mount", "mounts", "reference", "references"]) {
        "secrets"
    } else {
        return Ok(None);
    };
    if r.targets.iter().all(|e| {
        !matches!(
            e.kind,
            Kind::Pod
                | Kind::Deployment
                | Kind::StatefulSet
                | Kind::DaemonSet
                | Kind::Job
                | Kind::CronJob
                | Kind::ReplicaSet
        )
    }) {
        return Ok(None);
    }
    let (entries, pods) = target_pods(ctx, r)?;
    let Some(p) = pods.first() else {
        return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
    };
    let spec = p.spec.clone().unwrap_or_default();
    let values: Vec<String> = match field {
        "qos" => p.status.as_ref().and_then(|s| s.qos_class.clone()).into_iter().collect(),
        "sa" => vec![spec.service_account_name.clone().unwrap_or_else(|| "default".into())],
        "containers" => spec.containers.iter().map(|c| c.name.clone()).collect(),
        "init" => spec.init_containers.iter().flatten().map(|c| c.name.clone()).collect(),
        "probe" => {
            let containers = named_containers(w, r, spec.containers.iter().collect());
            distinct(containers.iter().filter_map(|c| {
                let pr = match probe {
                    Some("liveness") => c.liveness_probe.as_ref(),
                    Some("readiness") => c.readiness_probe.as_ref(),
                    _ => c.startup_probe.as_ref(),
                }?;
                probe_target(pr, w)
            }))
        }
        "configmaps" | "secrets" => {
            let cm = field == "configmaps";
            let mut v = Vec::new();
            for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
                for e in c.env.iter().flatten() {
                    if let Some(from) = &e.value_from {
                        if cm {
                            v.extend(from.config_map_key_ref.as_ref().map(|r| r.name.clone()))
                        } else {
                            v.extend(from.secret_key_ref.as_ref().map(|r| r.name.clone()))
                        }
                    }
                }
                for ef in c.env_from.iter().flatten() {
                    if cm {
                        v.extend(ef.config_map_ref.as_ref().map(|r| r.name.clone()))
                    } else {
                        v.extend(ef.secret_ref.as_ref().map(|r| r.name.clone()))
                    }
                }
            }
            for vol in spec.volumes.iter().flatten() {
                if cm {
                    v.extend(vol.config_map.as_ref().map(|c| c.name.clone()));
                } else {
                    v.extend(vol.secret.as_ref().and_then(|s| s.secret_name.clone()));
                }
            }
            // NB: kube-root-ca.crt is mounted into every pod; nobody means it.
            v.retain(|n| n != "kube-root-ca.crt");
            distinct(v)
        }
        _ => Vec::new(),
    };
    let short = if values.is_empty() { "none".to_string() } else { join(values.clone()) };
    let mut out = routed("pod", short.clone(), format!("Pod `{}`: {short}.", name(p)));
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl get pod {}{} -o yaml", name(p), ns_flag(ns(p))));
    Ok(Some(out))
}

/// What a probe checks: the HTTP path (or port, when asked), the TCP
/// port, or the command.
pub(super) fn probe_target(p: &k8s_openapi::api::core::v1::Probe, w: &Words) -> Option<String> {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(h) = &p.http_get {
        return Some(if w.prefix(&["port"]) { port(&h.port) } else { h.path.clone().unwrap_or_else(|| "/".into()) });
    }
    if let Some(t) = &p.tcp_socket {
        return Some(port(&t.port));
    }
    if let Some(g) = &p.grpc {
        return Some(g.port.to_string());
    }
    p.exec.as_ref().and_then(|e| e.command.as_ref()).map(|c| c.join(" "))
}

/// "current cpu utilization of the frontend hpa" (or its target).
pub(super) fn hpa_metric(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Hpa])?;
    let e = &entries[0];
    let h = find_in(&ctx.snap.hpas, e).ok_or_else(|| not_found(ctx, &e.name, Some(Kind::Hpa)))?;
    let res = if w.any(&["memory", "mem", "ram"]) { "memory" } else { "cpu" };
    let target = w.any(&["target", "targets", "threshold"]);
    let value = if target {
        h.spec.as_ref().and_then(|s| s.metrics.as_ref()).and_then(|ms| {
            ms.iter().filter_map(|m| m.resource.as_ref()).find(|m| m.name == res)?.target.average_utilization
        })
    } else {
        h.status.as_ref().and_then(|s| s.current_metrics.as_ref()).and_then(|ms| {
            ms.iter().filter_map(|m| m.resource.as_ref()).find(|m| m.name == res)?.current.average_utilization
        })
    };
    let Some(v) = value else {
        return Err(Outcome::NotFound { message: format!("HPA {} reports no {res} utilization (not found)", e.name) });
    };
    let mut out = routed(
        "hpa",
        format!("{v}%"),
        format!(
            "HPA {}/{}: {} {res} utilization {v}%.",
            e.namespace,
            e.name,
            if target { "target" } else { "current" }
        ),
    );
    out.evidence.push(Evidence::new("HorizontalPodAutoscaler", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get hpa {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

/// The object of a list named by a resolved entry (same name and namespace).
pub(super) fn find_in<'a, K: kube::Resource>(list: &'a [Arc<K>], e: &NameEntry) -> Option<&'a Arc<K>> {
    list.iter().find(|o| {
        o.meta().name.as_deref() == Some(e.name.as_str()) && o.meta().namespace.as_deref().unwrap_or("") == e.namespace
    })
}

/// Plain spec fields of PVCs, Jobs and ConfigMaps that people ask about:
/// storage class, access modes, bound volume; backoff limit, completions,
/// parallelism; ConfigMap keys.
pub(super) fn object_field(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Option<Routed>, Outcome> {
    let has_kind = |k: Kind| r.kind == Some(k) || (r.kind.is_none() && r.targets.iter().any(|e| e.kind == k));
    let one = |k: Kind| -> Result<NameEntry, Outcome> { Ok(pick(ctx, r, &[k])?.remove(0)) };
    if has_kind(Kind::Pvc) {
        let field = if w.phrase("storage class") || w.has("storageclass") || w.has("class") {
            "class"
        } else if w.phrase("access mode") || w.prefix(&["accessmode"]) {
            "modes"
        } else if w.has("volume") && w.any(&["bound", "which", "what"]) && !w.has("claim") {
            "volume"
        } else {
            return Ok(None);
        };
        let e = one(Kind::Pvc)?;
        let Some(c) = find_in(&ctx.snap.pvcs, &e) else { return Ok(None) };
        let spec = c.spec.clone().unwrap_or_default();
        let v = match field {
            "class" => spec.storage_class_name.unwrap_or_else(|| "(default)".into()),
            "modes" => join(spec.access_modes.unwrap_or_default()),
            _ => spec.volume_name.unwrap_or_else(|| "none (not bound)".into()),
        };
        let mut out = routed("pvc", v.clone(), format!("PersistentVolumeClaim {}/{}: {v}.", e.namespace, e.name));
        out.evidence.push(Evidence::new("PersistentVolumeClaim", Some(&e.namespace), &e.name));
        out.kubectl.push(format!("kubectl get pvc {}{} -o yaml", e.name, ns_flag(&e.namespace)));
        return Ok(Some(out));
    }
    if has_kind(Kind::Job) {
        let field = if w.phrase("backoff limit") || w.has("backofflimit") {
            "backoff"
        } else if w.prefix(&["completion"]) {
            "completions"
        } else if w.has("parallelism") {
            "parallelism"
        } else {
            return Ok(None);
        };
        let e = one(Kind::Job)?;
        let Some(j) = find_in(&ctx.snap.jobs, &e) else { return Ok(None) };
        let spec = j.spec.clone().unwrap_or_default();
        let v = match field {
            "backoff" => spec.backoff_limit.unwrap_or(6),
            "completions" => spec.completions.unwrap_or(1),
            _ => spec.parallelism.unwrap_or(1),
        };
        let mut out = routed("job", v.to_string(), format!("Job {}/{}: {field} {v}.", e.namespace, e.name));
        out.evidence.push(Evidence::new("Job", Some(&e.namespace), &e.name));
        out.kubectl.push(format!("kubectl get job {}{} -o yaml", e.name, ns_flag(&e.namespace)));
        return Ok(Some(out));
    }
    if has_kind(Kind::ConfigMap)
        && w.any(&["keys", "key", "entries", "contain", "contains", "data"])
        && config_key(ctx, w, r).is_none()
    {
        let e = one(Kind::ConfigMap)?;
        let Some(c) = find_in(&ctx.snap.config_maps, &e) else { return Ok(None) };
        let keys: Vec<String> = c.data.iter().flat_map(|d| d.keys().cloned()).collect();
        let mut out = routed(
            "config",
            join(keys.clone()),
            format!("ConfigMap {}/{} has {} keys.", e.namespace, e.name, keys.len()),
        );
        out.evidence.push(Evidence::new("ConfigMap", Some(&e.namespace), &e.name));
        out.kubectl.push(format!("kubectl get configmap {}{} -o yaml", e.name, ns_flag(&e.namespace)));
        return Ok(Some(out));
    }
    Ok(None)
}
