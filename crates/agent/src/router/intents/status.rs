//! The state of one object, in kubectl's words.

use super::*;

pub(in crate::router) fn status(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
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
    let pods_asked =
        e.kind == Kind::Pod || w.has("pod") || w.has("pods") || r.kind.is_none() || r.kind == Some(Kind::Pod);
    let workload = matches!(e.kind, Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::ReplicaSet);
    let mut out = if e.kind == Kind::Pod || (workload && pods_asked) {
        pod_statuses(ctx, &entries, &word)?
    } else {
        object_status(ctx, w, &e, &word)?
    };
    if out.evidence.is_empty() {
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    }
    if out.kubectl.is_empty() {
        out.kubectl.push(get_cmd(&entries, &word));
    }
    Ok(out)
}

/// The kubectl status of the pods behind the targets: one status, or each
/// status with its count, the not-running first.
fn pod_statuses(ctx: &Ctx<'_>, entries: &[NameEntry], word: &str) -> R {
    let pods = pods_for(ctx, entries);
    if pods.is_empty() {
        return Err(Outcome::NotFound { message: format!("{word} has no pods") });
    }
    let statuses: Vec<(String, String)> =
        pods.iter().map(|p| (name(p).to_string(), podstatus::display_status(p))).collect();
    let uniq = distinct(statuses.iter().map(|(_, s)| s.clone()));
    let short = if uniq.len() == 1 {
        uniq[0].clone()
    } else {
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
    Ok(o)
}

/// The state of one non-pod object, as `kubeask_insight::state` words it,
/// with what explains it (a Job's condition, a Service's endpoints).
fn object_status(ctx: &Ctx<'_>, w: &Words, e: &NameEntry, word: &str) -> R {
    use kubeask_insight::objects::Item;
    let found = ctx.snap.get(e.kind, Some(&e.namespace), &e.name);
    let Some(o) = found.first() else { return Err(not_found(ctx, word, Some(e.kind))) };
    let st = kubeask_insight::state::status_of(o);
    Ok(match o.item() {
        Item::Job(j) => {
            let detail = kubeask_insight::state::job_end_reason(j).map(|(r, _)| format!(" ({r})")).unwrap_or_default();
            let counts = j.status.as_ref().map(|s| (s.succeeded.unwrap_or(0), s.failed.unwrap_or(0))).unwrap_or((0, 0));
            let text = format!("Job {word}: **{st}**{detail}; succeeded {}, failed {}.", counts.0, counts.1);
            routed("status", st, text)
        }
        Item::CronJob(c) => {
            let suspended = kubeask_insight::state::cron_suspended(c);
            let short = if w.any(&["suspended", "suspend", "paused"]) {
                if suspended { "yes" } else { "no" }.to_string()
            } else {
                st
            };
            let text = format!("CronJob {word} is {}.", if suspended { "suspended" } else { "active (not suspended)" });
            routed("status", short, text)
        }
        Item::Deployment(_) | Item::StatefulSet(_) | Item::DaemonSet(_) | Item::ReplicaSet(_) => {
            let (ready, desired) = workload_ready(ctx, e);
            let text = format!("{} {word}: {ready} of {desired} replicas ready.", e.kind.name());
            routed("status", st, text)
        }
        Item::Service(_) => {
            let n = kubeask_insight::state::endpoint_addresses(ctx.snap, &e.namespace, &e.name);
            routed("status", format!("{n} endpoints"), format!("Service {word} has {n} ready endpoints."))
        }
        Item::Pvc(_) | Item::Pv(_) | Item::Node(_) | Item::Hpa(_) => {
            routed("status", st.clone(), format!("{} {word} is **{st}**.", e.kind.name()))
        }
        _ => return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
    })
}

/// `(ready, desired)` replicas of a picked workload (insight's count).
pub(in crate::router) fn workload_ready(ctx: &Ctx<'_>, e: &NameEntry) -> (i32, i32) {
    let found = ctx.snap.get(e.kind, Some(&e.namespace), &e.name);
    found.first().and_then(facts::workload_ready).unwrap_or((0, 0))
}

/// A Job or CronJob the question names by its own name (its pods share it:
/// "migrate-schema" is the Job before it is its pod), unless another kind
/// is asked for.
pub(in crate::router) fn named_job(r: &Refs) -> Option<&NameEntry> {
    let asked = r.kind.is_none_or(|k| matches!(k, Kind::Job | Kind::CronJob));
    let in_ns = |e: &&NameEntry| r.namespace.as_deref().is_none_or(|n| e.namespace == n);
    r.targets.iter().filter(in_ns).find(|e| asked && matches!(e.kind, Kind::Job | Kind::CronJob) && !e.via_base)
}
