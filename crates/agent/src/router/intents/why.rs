//! Why something is unhealthy: logs, events, conditions, analyzers.

use super::*;

pub(in crate::router) async fn fetch_error(ctx: &Ctx<'_>, p: &Pod, prefer_previous: bool) -> Option<(String, String)> {
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

pub(in crate::router) async fn log_error(ctx: &Ctx<'_>, r: &Refs) -> R {
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

pub(in crate::router) async fn why_of(ctx: &Ctx<'_>, r: &Refs) -> R {
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
        Kind::Service => return Ok(service_why(ctx, &e)),
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
    bad_pod_why(ctx, p).await
}

/// Why one pod is not running: the scheduler's message, the registry's, a
/// container config error, an OOM kill, or the error line it logged.
async fn bad_pod_why(ctx: &Ctx<'_>, p: &Pod) -> R {
    let st = podstatus::display_status(p);
    let status = p.status.clone().unwrap_or_default();
    let cs = status.container_statuses.clone().unwrap_or_default();
    let last_term =
        cs.iter().filter_map(|c| c.last_state.as_ref()?.terminated.clone().map(|t| (c.name.clone(), t))).next();
    let waiting = cs.iter().filter_map(|c| c.state.as_ref()?.waiting.clone().map(|wt| (c.name.clone(), wt))).next();
    let mut out = Routed { route: "why", ..Default::default() };
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl describe pod {}{}", name(p), ns_flag(ns(p))));
    if st == "Pending" || st.starts_with("Pending") {
        return Ok(pending_why(ctx, p, out));
    }
    if let Some((c, wt)) = &waiting {
        let reason = wt.reason.clone().unwrap_or_default();
        if reason == "ImagePullBackOff" || reason == "ErrImagePull" || reason == "InvalidImageName" {
            let (short, explanation) = image_pull_why(ctx, p, c, &reason);
            out.short = short;
            out.explanation = explanation;
            return Ok(out);
        }
        if reason == "CreateContainerConfigError" || reason == "CreateContainerError" {
            let msg = wt.message.clone().unwrap_or_default();
            out.short = truncate(&format!("{reason}: {msg}"), 200);
            out.explanation = format!("Container `{c}` cannot be created: {msg}");
            return Ok(out);
        }
    }
    if let Some((c, t)) = last_term.as_ref().filter(|(_, t)| t.reason.as_deref() == Some("OOMKilled")) {
        return Ok(oom_why(p, c, t, out));
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

/// The newest event message about a pod, among the given reasons (any
/// when empty).
fn last_event_message(ctx: &Ctx<'_>, p: &Pod, reasons: &[&str]) -> Option<String> {
    ctx.snap
        .events
        .iter()
        .filter(|ev| {
            ev.involved_object.name.as_deref() == Some(name(p)) && ev.metadata.namespace.as_deref() == Some(ns(p))
        })
        .filter(|ev| reasons.is_empty() || ev.reason.as_deref().is_some_and(|r| reasons.contains(&r)))
        .max_by_key(|ev| ev.last_timestamp.as_ref().map(|t| t.0))
        .and_then(|ev| ev.message.clone())
}

/// A Pending pod: the scheduler's message (its event, else the pod's
/// PodScheduled condition).
fn pending_why(ctx: &Ctx<'_>, p: &Pod, mut out: Routed) -> Routed {
    let msg = last_event_message(ctx, p, &["FailedScheduling"]).unwrap_or_else(|| {
        p.status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .find(|c| c.type_ == "PodScheduled")
            .and_then(|c| c.message.clone())
            .unwrap_or_else(|| "the pod is not scheduled yet".into())
    });
    let msg = msg.split(" preemption:").next().unwrap_or(&msg).trim().to_string();
    out.short = truncate(&msg, 200);
    out.explanation = format!("Pod `{}` is Pending: the scheduler says: {msg}", name(p));
    out.kubectl.push(format!("kubectl get events{} --field-selector involvedObject.name={}", ns_flag(ns(p)), name(p)));
    out
}

/// A container killed for memory: its limit and its restarts.
fn oom_why(p: &Pod, c: &str, t: &k8s_openapi::api::core::v1::ContainerStateTerminated, mut out: Routed) -> Routed {
    let limit = p
        .spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|x| x.name == c))
        .and_then(|x| x.resources.as_ref()?.limits.as_ref()?.get("memory").map(|q| q.0.clone()))
        .unwrap_or_else(|| "none".into());
    out.short = "OOMKilled".into();
    out.explanation = format!(
        "Container `{c}` of `{}` was OOMKilled (exit code {}): it exceeded its memory limit of {limit}. It has restarted {} times.",
        name(p),
        t.exit_code,
        restarts(p)
    );
    out.kubectl.push(format!("kubectl top pod {}{}", name(p), ns_flag(ns(p))));
    out
}

/// Why a Service does not serve: how many ready endpoints it has and
/// whether its selector matches any pod.
fn service_why(ctx: &Ctx<'_>, e: &NameEntry) -> Routed {
    let n = kubeask_insight::state::endpoint_addresses(ctx.snap, &e.namespace, &e.name);
    let pods = pods_for(ctx, std::slice::from_ref(e));
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
    out
}

/// A container that cannot pull its image: the image and what the registry said.
fn image_pull_why(ctx: &Ctx<'_>, p: &Pod, c: &str, reason: &str) -> (String, String) {
    let image = p
        .spec
        .as_ref()
        .and_then(|s| s.containers.iter().find(|x| x.name == c))
        .and_then(|x| x.image.clone())
        .unwrap_or_default();
    let pull_msg = ctx
        .snap
        .events
        .iter()
        .filter(|ev| {
            ev.involved_object.name.as_deref() == Some(name(p)) && ev.metadata.namespace.as_deref() == Some(ns(p))
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
    let short = truncate(&format!("{reason}: {image} {detail}"), 200);
    let explanation = format!(
        "Container `{c}` of `{}` cannot pull its image `{image}` ({reason}). Registry says: {}",
        name(p),
        pull_msg.unwrap_or_default()
    );
    (short, explanation)
}

/// The Job a "why" is about: the named Job, or a CronJob's latest.
pub(in crate::router) fn job_of_entry<'a>(
    ctx: &'a Ctx<'_>,
    e: &NameEntry,
) -> Option<&'a k8s_openapi::api::batch::v1::Job> {
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
pub(in crate::router) async fn job_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
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

pub(in crate::router) fn pvc_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
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
pub(in crate::router) fn not_ready_why(ctx: &Ctx<'_>, p: &Pod) -> Routed {
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
pub(in crate::router) fn hpa_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
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

pub(in crate::router) fn node_why(ctx: &Ctx<'_>, e: &NameEntry) -> R {
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
