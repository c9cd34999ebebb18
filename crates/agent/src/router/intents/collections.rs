//! Counts and lists: how many, which ones, filtered by state, node, QoS.

use super::*;

pub(in crate::router) fn count(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
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
pub(in crate::router) const MAX_CITED: usize = 100;

/// A filter on pods from words like "running", "pending", "not running",
/// "failing", "ready", "on node X".
pub(in crate::router) struct PodFilter {
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
pub(in crate::router) const NODE_TROUBLE: &[&str] =
    &["broken", "down", "notready", "unhealthy", "failing", "bad", "dead", "unreachable", "sick"];

/// The NotReady nodes, when the question describes a node by its trouble
/// ("pods on the broken node") rather than by name.
pub(in crate::router) fn troubled_nodes(ctx: &Ctx<'_>, w: &Words) -> Option<Vec<String>> {
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

pub(in crate::router) fn status_word(w: &Words) -> Option<&'static str> {
    w.lower.iter().find_map(|x| crate::router::vocab::status_word(x))
}

pub(in crate::router) fn pod_filter(ctx: &Ctx<'_>, w: &Words) -> PodFilter {
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

pub(in crate::router) fn list(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let kind = r.kind.unwrap_or(Kind::Pod);
    let flag = match r.namespace.as_deref() {
        Some(n) => format!(" -n {n}"),
        None if kind.namespaced() => " -A".into(),
        None => String::new(),
    };
    match kind {
        Kind::Pod if !r.targets.is_empty() && !r.targets.iter().all(|e| e.kind == Kind::Node) => {
            list_target_pods(ctx, w, r)
        }
        Kind::Pod => list_pods(ctx, w, r, &flag),
        Kind::Node => {
            let want_not_ready = w.phrase("not ready") || w.any(&["notready", "unready"]);
            let mut nodes: Vec<String> = ctx
                .snap
                .nodes
                .iter()
                .filter(|n| !want_not_ready || !node_ready(n))
                .filter_map(|n| n.metadata.name.clone())
                .collect();
            nodes.sort();
            let mut out = routed("list", join(nodes.clone()), format!("{} nodes", nodes.len()));
            out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
            out.kubectl.push("kubectl get nodes".into());
            Ok(out)
        }
        // Events are listed by the events rule, with their messages.
        Kind::Event | Kind::Container => Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
        k => list_objects(ctx, w, r, k, &flag),
    }
}

/// "which pods belong to the mongodb statefulset"
fn list_target_pods(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let filter = pod_filter(ctx, w);
    let (entries, pods) = target_pods(ctx, r)?;
    let names: Vec<String> = pods.iter().filter(|p| filter.keep(ctx, p)).map(|p| name(p).to_string()).collect();
    let word = shown_target(r, &entries);
    let mut out =
        routed("list", join(names.clone()), format!("Pods of {} {word}: {}", entries[0].kind.name(), names.join(", ")));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} -o wide | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

/// Pods by state, node or QoS, named as people say them (workloads once each).
fn list_pods(ctx: &Ctx<'_>, w: &Words, r: &Refs, flag: &str) -> R {
    let filter = pod_filter(ctx, w);
    let pods: Vec<&Arc<Pod>> =
        facts::pods_in(ctx.snap, r.namespace.as_deref()).filter(|p| filter.keep(ctx, p)).collect();
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

/// Objects of one kind, narrowed by the states a question names (failed
/// Jobs, suspended CronJobs, Services without endpoints, pending claims).
fn list_objects(ctx: &Ctx<'_>, w: &Words, r: &Refs, k: Kind, flag: &str) -> R {
    use kubeask_insight::objects::{AnyObject, Item};
    unapplied_qualifiers(ctx, w, k, true)?;
    let failed = w.any(&["failed", "failing"]);
    let suspended = suspended_wanted(w);
    let empty_only = without_endpoints(w);
    let pending = w.has("pending");
    let keep = |o: &AnyObject<'_>| match o.item() {
        Item::Job(j) => !failed || facts::job_status(j) == "Failed",
        Item::CronJob(c) => suspended.is_none_or(|s| kubeask_insight::state::cron_suspended(c) == s),
        Item::Service(_) => {
            !empty_only || kubeask_insight::state::endpoint_addresses(ctx.snap, o.namespace(), o.name()) == 0
        }
        Item::Pvc(c) => !pending || c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"),
        _ => true,
    };
    let in_ns = |o: &AnyObject<'_>| !k.namespaced() || r.namespace.as_deref().is_none_or(|n| o.namespace() == n);
    let mut names = distinct(ctx.snap.objects(k).iter().filter(|o| in_ns(o) && keep(o)).map(|o| o.name().to_string()));
    names.sort();
    let short = if names.is_empty() { "none".into() } else { join(names.clone()) };
    let mut out = routed("list", short, format!("{} {}", names.len(), k.kubectl()));
    out.kubectl.push(format!("kubectl get {}{flag}", k.kubectl()));
    Ok(out)
}

/// `Some(true)` for "suspended", `Some(false)` for "not suspended".
pub(in crate::router) fn suspended_wanted(w: &Words) -> Option<bool> {
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
pub(in crate::router) fn without_endpoints(w: &Words) -> bool {
    w.prefix(&["endpoint"]) && w.any(&["no", "without", "zero", "0", "empty", "none"])
}

/// State words a list (`listing`) or count of `kind` would ignore: decline
/// rather than list or count every object as if they were not there.
pub(in crate::router) fn unapplied_qualifiers(
    ctx: &Ctx<'_>,
    w: &Words,
    kind: Kind,
    listing: bool,
) -> Result<(), Outcome> {
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

pub(in crate::router) fn replicas(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
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

pub(in crate::router) fn ready_pods(ctx: &Ctx<'_>, _w: &Words, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let ready = pods.iter().filter(|p| podstatus::is_ready(p)).count();
    let word = shown_target(r, &entries);
    let mut out = routed("readiness", ready.to_string(), format!("{ready} of {} {word} pods are ready.", pods.len()));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(in crate::router) fn container_count(ctx: &Ctx<'_>, r: &Refs) -> R {
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

pub(in crate::router) fn endpoint_count(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Service])?;
    let e = &entries[0];
    let n = kubeask_insight::state::endpoint_addresses(ctx.snap, &e.namespace, &e.name);
    let mut out = routed(
        "service",
        n.to_string(),
        format!("Service {}/{} has {n} ready endpoint addresses.", e.namespace, e.name),
    );
    out.evidence.push(Evidence::new("Endpoints", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get endpoints {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(in crate::router) fn restarts_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let total: i32 = pods.iter().map(|p| restarts(p)).sum();
    let word = shown_target(r, &entries);
    let details = pods.iter().map(|p| format!("- `{}`: {}", name(p), restarts(p))).collect::<Vec<_>>().join("\n");
    let mut out = routed("restarts", total.to_string(), format!("{word} restarted {total} times in total:\n{details}"));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

/// "which namespace has the most pods".
pub(in crate::router) fn namespace_by_pods(ctx: &Ctx<'_>, w: &Words) -> R {
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

pub(in crate::router) fn pods_of_target_count(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let filter = pod_filter(ctx, w);
    let n = pods.iter().filter(|p| filter.keep(ctx, p)).count();
    let word = shown_target(r, &entries);
    let mut out = routed("count", n.to_string(), format!("{word} has {n} {}pods.", filter.label()));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(in crate::router) fn images_in(ctx: &Ctx<'_>, r: &Refs) -> R {
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

pub(in crate::router) fn restarts_in(ctx: &Ctx<'_>, r: &Refs) -> R {
    let pods: Vec<&Arc<Pod>> = facts::pods_in(ctx.snap, r.namespace.as_deref()).collect();
    let total: i32 = pods.iter().map(|p| restarts(p)).sum();
    let scope = r.namespace.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let mut out = routed("restarts", total.to_string(), format!("{total} container restarts in total{scope}."));
    out.kubectl
        .push(format!("kubectl get pods{}", r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())));
    Ok(out)
}

pub(in crate::router) fn restarted_pods(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
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
