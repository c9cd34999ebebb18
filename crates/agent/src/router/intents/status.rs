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
