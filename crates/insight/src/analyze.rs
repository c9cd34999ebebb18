//! Analyzers: the deterministic diagnosis. Each looks for one kind of
//! problem in a snapshot and reports findings with their evidence, the
//! likely cause, a suggested fix and the kubectl commands to look closer.
//!
//! Findings about pods are grouped under their workload, and one problem
//! is reported once: a Deployment whose pods already have a finding gets
//! no second "unavailable replicas" finding.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use serde::Serialize;

use crate::fixes;

use crate::owners::{restarts, Owners};
use crate::podstatus;
use crate::snapshot::{LogTexts, Snapshot};
use crate::text::{error_line, mem_bytes};

/// How bad a finding is. Sorts worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something is down or cannot start.
    Critical,
    /// Degraded, or will break soon.
    Warning,
    /// Worth knowing.
    Info,
}

/// An object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[ts(rename = "ObjectRef")]
pub struct Object {
    /// Kind, e.g. `Pod`.
    pub kind: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Full name.
    pub name: String,
}

impl Object {
    /// An object reference from optional metadata fields.
    pub fn new(kind: &str, namespace: Option<&str>, name: Option<&str>) -> Self {
        Self { kind: kind.into(), namespace: namespace.unwrap_or("").into(), name: name.unwrap_or("").into() }
    }
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "DiagnosedFinding", optional_fields)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// The object with the problem.
    pub object: Object,
    /// The workload it belongs to (the grouping key), or the object itself.
    pub workload: Object,
    /// One line: what is wrong.
    pub title: String,
    /// Conditions, events and log lines that show it.
    pub evidence: Vec<String>,
    /// Why it most likely happens.
    pub likely_cause: String,
    /// What to do.
    pub suggested_fix: String,
    /// Commands to look closer.
    pub kubectl: Vec<String>,
    /// A change that may fix it, for a person to plan and confirm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::action::Action>,
}

/// Restarts at or above this count are reported on their own.
pub const HIGH_RESTARTS: i32 = 5;

fn nsf(ns: &str) -> String {
    if ns.is_empty() {
        String::new()
    } else {
        format!(" -n {ns}")
    }
}

/// Events per involved object, built once per pass.
type EventIndex<'a> = std::collections::HashMap<(&'a str, &'a str), Vec<&'a k8s_openapi::api::core::v1::Event>>;

fn index_events(snap: &Snapshot) -> EventIndex<'_> {
    let mut idx: EventIndex<'_> = std::collections::HashMap::new();
    for e in &snap.events {
        let key = (e.metadata.namespace.as_deref().unwrap_or(""), e.involved_object.name.as_deref().unwrap_or(""));
        idx.entry(key).or_default().push(e);
    }
    for v in idx.values_mut() {
        v.sort_by_key(|e| std::cmp::Reverse(e.last_timestamp.as_ref().map(|t| t.0)));
    }
    idx
}

/// Messages of a pod's events with one of `reasons` (any when empty), newest first.
fn pod_events<'a>(idx: &EventIndex<'a>, pod: &Pod, reasons: &[&str]) -> Vec<&'a str> {
    let key = (pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""));
    idx.get(&key)
        .map(|evs| {
            evs.iter()
                .filter(|e| reasons.is_empty() || e.reason.as_deref().is_some_and(|r| reasons.contains(&r)))
                .filter_map(|e| e.message.as_deref())
                .collect()
        })
        .unwrap_or_default()
}

/// Which logs the analyzers want: the previous instance of every container
/// that is crash-looping, and the current log of failed containers and of
/// failed Job pods. The caller fetches them and passes them to [`analyze`].
pub fn logs_wanted(snap: &Snapshot) -> Vec<(String, String, String, bool)> {
    let mut out = Vec::new();
    for p in &snap.pods {
        let ns = p.metadata.namespace.clone().unwrap_or_default();
        let name = p.metadata.name.clone().unwrap_or_default();
        let phase_failed = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed");
        for c in p.status.iter().flat_map(|s| s.container_statuses.iter().flatten()) {
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_deref());
            let terminated = c.state.as_ref().and_then(|s| s.terminated.as_ref());
            if waiting == Some("CrashLoopBackOff")
                || (c.restart_count > 0 && c.last_state.as_ref().and_then(|l| l.terminated.as_ref()).is_some())
            {
                out.push((ns.clone(), name.clone(), c.name.clone(), true));
            }
            if phase_failed || terminated.is_some_and(|t| t.exit_code != 0) {
                out.push((ns.clone(), name.clone(), c.name.clone(), false));
            }
        }
    }
    out
}

fn last_terminated(c: &ContainerStatus) -> Option<&k8s_openapi::api::core::v1::ContainerStateTerminated> {
    c.last_state.as_ref().and_then(|l| l.terminated.as_ref())
}

fn find_log_line(logs: &LogTexts, ns: &str, pod: &str, container: &str) -> Option<String> {
    for previous in [true, false] {
        if let Some(text) = logs.get(&(ns.to_string(), pod.to_string(), container.to_string(), previous)) {
            if let Some(l) = error_line(text) {
                return Some(l);
            }
        }
    }
    None
}

/// Runs every analyzer. Findings are sorted worst first, then by workload.
pub fn analyze(snap: &Snapshot, logs: &LogTexts) -> Vec<Finding> {
    let idx = snap.index();
    let owners = idx.owners();
    let mut out = Vec::new();
    pods(snap, logs, owners, &mut out);
    let with_pod_findings: BTreeSet<Object> = out.iter().map(|f| f.workload.clone()).collect();
    workloads(snap, &with_pod_findings, &mut out);
    services(snap, owners, &with_pod_findings, &mut out);
    storage(snap, &mut out);
    nodes(snap, &mut out);
    jobs(snap, logs, &with_pod_findings, &mut out);
    autoscalers(snap, &mut out);
    out.sort_by(|a, b| (a.severity, &a.workload, &a.object).cmp(&(b.severity, &b.workload, &b.object)));
    out
}

fn workload_obj(owners: &Owners, p: &Pod) -> Object {
    match owners.workload_of(p) {
        Some(w) => Object { kind: w.kind.to_string(), namespace: w.namespace, name: w.name },
        None => Object::new("Pod", p.metadata.namespace.as_deref(), p.metadata.name.as_deref()),
    }
}

/// A running or completed pod none of the pod checks below can report on:
/// no waiting container, none that ended badly or was OOM-killed, fewer
/// restarts than worth a warning, no failing probe. At 10,000 pods most are
/// quiet, and skipping them is most of the pass.
fn quiet(p: &Pod, events: &EventIndex<'_>) -> bool {
    let oom = |t: &k8s_openapi::api::core::v1::ContainerStateTerminated| t.reason.as_deref() == Some("OOMKilled");
    let ended_badly = |t: &k8s_openapi::api::core::v1::ContainerStateTerminated| t.exit_code != 0 || oom(t);
    restarts(p) < HIGH_RESTARTS
        && p.status.iter().flat_map(|s| s.container_statuses.iter().flatten()).all(|c| {
            let state = c.state.as_ref();
            state.and_then(|s| s.waiting.as_ref()).is_none_or(|w| w.reason.is_none())
                && !state.and_then(|s| s.terminated.as_ref()).is_some_and(ended_badly)
                && !last_terminated(c).is_some_and(oom)
        })
        && pod_events(events, p, &["Unhealthy"]).is_empty()
}

fn pods(snap: &Snapshot, logs: &LogTexts, owners: &Owners, out: &mut Vec<Finding>) {
    let events = index_events(snap);
    let idx = snap.index();
    for (p, status) in idx.pods_with_status(None) {
        if matches!(status, "Running" | "Completed") && quiet(p, &events) {
            continue;
        }
        let ns = p.metadata.namespace.clone().unwrap_or_default();
        let name = p.metadata.name.clone().unwrap_or_default();
        let object = Object::new("Pod", Some(&ns), Some(&name));
        let workload = workload_obj(owners, p);
        let describe = format!("kubectl describe pod {name}{}", nsf(&ns));
        let status = status.to_string();
        let mut finding = |severity,
                           title: String,
                           evidence: Vec<String>,
                           cause: String,
                           fix: String,
                           extra: Vec<String>,
                           action: Option<crate::action::Action>| {
            let mut kubectl = vec![describe.clone()];
            kubectl.extend(extra);
            out.push(Finding {
                severity,
                object: object.clone(),
                workload: workload.clone(),
                title,
                evidence,
                likely_cause: cause,
                suggested_fix: fix,
                kubectl,
                fix: action,
            });
        };
        let statuses: Vec<&ContainerStatus> =
            p.status.iter().flat_map(|s| s.container_statuses.iter().flatten()).collect();
        // Pending and not scheduled.
        if p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending")
            && p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_none()
        {
            let msg = pod_events(&events, p, &["FailedScheduling"]).first().map(|m| m.to_string()).or_else(|| {
                p.status
                    .as_ref()?
                    .conditions
                    .as_ref()?
                    .iter()
                    .find(|c| c.type_ == "PodScheduled" && c.status == "False")?
                    .message
                    .clone()
            });
            let msg = msg.unwrap_or_else(|| "the scheduler has not placed it yet".into());
            let short = msg.split(" preemption:").next().unwrap_or(&msg).trim().to_string();
            let cause = if short.contains("Insufficient") {
                "the pod requests more CPU or memory than any schedulable node has free".to_string()
            } else if short.contains("taint") {
                "the nodes that could fit it are tainted (e.g. unreachable) and the pod does not tolerate that".into()
            } else if short.contains("persistentvolumeclaim") || short.contains("PersistentVolumeClaim") {
                "its volume claim is not bound".into()
            } else {
                "no node satisfies its scheduling constraints".into()
            };
            let mut evidence = vec![format!("FailedScheduling: {short}")];
            if short.contains("Insufficient") {
                evidence.extend(crate::capacity::room_for(snap, p));
            }
            finding(
                Severity::Critical,
                format!("Pending: cannot be scheduled ({short})"),
                evidence,
                cause,
                "lower the pod's requests, add capacity, or relax node selectors/affinity/tolerations".into(),
                vec![format!("kubectl get events{} --field-selector involvedObject.name={name}", nsf(&ns))],
                None,
            );
            continue;
        }
        let mut reported = false;
        for c in &statuses {
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref());
            let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
            let image = c.image.clone();
            match reason {
                "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" => {
                    let spec_image = p
                        .spec
                        .as_ref()
                        .and_then(|s| s.containers.iter().find(|x| x.name == c.name))
                        .and_then(|x| x.image.clone())
                        .unwrap_or(image.clone());
                    let pull = pod_events(&events, p, &["Failed"])
                        .into_iter()
                        .find(|m| m.contains("pull"))
                        .map(str::to_string);
                    let mut evidence = vec![format!("container {} waiting: {reason}", c.name)];
                    evidence.extend(pull.clone());
                    let lower = pull.clone().unwrap_or_default().to_lowercase();
                    let cause = if lower.contains("not found") || lower.contains("manifest unknown") {
                        format!("the image {spec_image} does not exist in the registry (a typo in the tag?)")
                    } else if lower.contains("unauthorized") || lower.contains("denied") {
                        "the registry refused the pull: missing or wrong imagePullSecrets".into()
                    } else {
                        format!("the image {spec_image} cannot be pulled")
                    };
                    finding(
                        Severity::Critical,
                        format!("{reason}: {spec_image}"),
                        evidence,
                        cause,
                        "fix the image reference (or push the tag), or add the right imagePullSecret".into(),
                        vec![],
                        fixes::previous_image(snap, &workload, &c.name, &spec_image),
                    );
                    reported = true;
                }
                "CreateContainerConfigError" | "CreateContainerError" => {
                    let msg = waiting.and_then(|w| w.message.clone()).unwrap_or_default();
                    finding(
                        Severity::Critical,
                        format!("{reason}: {msg}"),
                        vec![format!("container {} waiting: {reason}: {msg}", c.name)],
                        "a ConfigMap, Secret or key the container references does not exist".into(),
                        "create the missing ConfigMap/Secret/key or fix the reference".into(),
                        vec![],
                        None,
                    );
                    reported = true;
                }
                _ => {}
            }
            let last = last_terminated(c);
            let oom = last.is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"))
                || c.state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled"));
            if oom {
                let limit = p
                    .spec
                    .as_ref()
                    .and_then(|s| s.containers.iter().find(|x| x.name == c.name))
                    .and_then(|x| x.resources.as_ref()?.limits.as_ref()?.get("memory").map(|q| q.0.clone()));
                let usage = snap
                    .pod_metrics
                    .iter()
                    .find(|m| m.metadata.name == p.metadata.name && m.metadata.namespace == p.metadata.namespace)
                    .and_then(|m| m.containers.iter().find(|x| x.name == c.name))
                    .and_then(|x| x.usage.get("memory").map(|q| q.0.clone()));
                let mut evidence = vec![format!(
                    "container {} last terminated: OOMKilled (exit code {}), {} restarts",
                    c.name,
                    last.map_or(137, |t| t.exit_code),
                    c.restart_count
                )];
                if let (Some(l), Some(u)) = (&limit, &usage) {
                    evidence.push(format!(
                        "memory usage now {:.0}Mi of a {l} limit ({:.0}%)",
                        mem_bytes(u) / 1048576.0,
                        100.0 * mem_bytes(u) / mem_bytes(l).max(1.0)
                    ));
                } else if let Some(l) = &limit {
                    evidence.push(format!("memory limit {l}"));
                }
                finding(
                    if reason == "CrashLoopBackOff" { Severity::Critical } else { Severity::Warning },
                    format!(
                        "OOMKilled: container {} exceeds its memory limit{}",
                        c.name,
                        limit.as_ref().map(|l| format!(" ({l})")).unwrap_or_default()
                    ),
                    evidence,
                    "the container uses more memory than its limit allows and is killed by the kernel".into(),
                    "raise the memory limit, or find the leak/spike (heap size, caches, batch sizes)".into(),
                    vec![format!("kubectl top pod {name}{}", nsf(&ns))],
                    fixes::raise_memory(&workload, &c.name, limit.as_deref(), usage.as_deref()),
                );
                reported = true;
                continue;
            }
            if reason == "CrashLoopBackOff"
                || (reason.is_empty()
                    && c.state.as_ref().and_then(|s| s.terminated.as_ref()).is_some_and(|t| t.exit_code != 0)
                    && p.spec.as_ref().and_then(|s| s.restart_policy.as_deref()) == Some("Always"))
            {
                let exit = last.map(|t| {
                    format!(
                        "exit code {}{}",
                        t.exit_code,
                        t.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                });
                let line = find_log_line(logs, &ns, &name, &c.name);
                let mut evidence =
                    vec![format!("container {} is in CrashLoopBackOff after {} restarts", c.name, c.restart_count)];
                evidence.extend(exit.clone().map(|e| format!("last termination: {e}")));
                evidence.extend(line.clone().map(|l| format!("log: {l}")));
                let cause = match &line {
                    Some(l)
                        if l.to_lowercase().contains("environment variable")
                            || l.to_lowercase().contains("not set") =>
                    {
                        format!("a required setting is missing: {l}")
                    }
                    Some(l) => format!("the process exits with an error: {l}"),
                    None => format!(
                        "the process exits ({})",
                        exit.clone().unwrap_or_else(|| "no exit code recorded".into())
                    ),
                };
                finding(
                    Severity::Critical,
                    format!(
                        "CrashLoopBackOff: {}",
                        line.clone().unwrap_or_else(|| exit.unwrap_or_else(|| "container keeps exiting".into()))
                    ),
                    evidence,
                    cause,
                    "fix the error the log shows (configuration, dependency, command), then let it restart".into(),
                    vec![format!("kubectl logs {name}{} -c {} --previous", nsf(&ns), c.name)],
                    fixes::rollback(snap, &workload),
                );
                reported = true;
            }
        }
        if reported {
            continue;
        }
        // Failing probes on a running pod.
        let unhealthy = pod_events(&events, p, &["Unhealthy"]);
        if let Some(m) = unhealthy.first() {
            let kind = if m.contains("Liveness") {
                "liveness"
            } else if m.contains("Readiness") {
                "readiness"
            } else {
                "startup"
            };
            finding(
                Severity::Warning,
                format!("failing {kind} probe"),
                vec![m.to_string()],
                format!("the {kind} probe fails: the app is slow, not listening on the probed port/path, or unhealthy"),
                "check the probe's port, path and timeouts against the app; look at its logs".into(),
                vec![],
                None,
            );
            continue;
        }
        let total = restarts(p);
        if total >= HIGH_RESTARTS && status == "Running" {
            finding(
                Severity::Warning,
                format!("{total} restarts"),
                vec![format!("{total} container restarts")],
                "the container exits from time to time".into(),
                "read the previous container's log to see why it exited".into(),
                vec![format!("kubectl logs {name}{} --previous", nsf(&ns))],
                None,
            );
        }
    }
}

fn workloads(snap: &Snapshot, with_pod_findings: &BTreeSet<Object>, out: &mut Vec<Finding>) {
    for d in &snap.deployments {
        let obj = Object::new("Deployment", d.metadata.namespace.as_deref(), d.metadata.name.as_deref());
        if with_pod_findings.contains(&obj) {
            continue;
        }
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let ready = st.ready_replicas.unwrap_or(0);
        let stuck = st.conditions.iter().flatten().find(|c| c.type_ == "Progressing" && c.status == "False");
        if ready < want || stuck.is_some() {
            let mut evidence = vec![format!("{ready}/{want} replicas ready")];
            evidence.extend(stuck.and_then(|c| c.message.clone()));
            out.push(Finding {
                severity: Severity::Warning,
                object: obj.clone(),
                workload: obj.clone(),
                title: if stuck.is_some() {
                    "rollout stuck (ProgressDeadlineExceeded)".into()
                } else {
                    format!("{} of {want} replicas unavailable", want - ready)
                },
                evidence,
                likely_cause: "new pods are not becoming ready".into(),
                suggested_fix: "look at the newest ReplicaSet's pods; roll back if the new version is broken".into(),
                kubectl: vec![format!("kubectl rollout status deployment/{}{}", obj.name, nsf(&obj.namespace))],
                fix: None,
            });
        }
    }
}

fn services(snap: &Snapshot, owners: &Owners, with_pod_findings: &BTreeSet<Object>, out: &mut Vec<Finding>) {
    // NB: index pods by namespace once; a selector is matched against its
    // namespace's pods only (2,000 services × 10,000 pods took a second).
    let idx = snap.index();
    for s in &snap.services {
        let Some(sel) = s.spec.as_ref().and_then(|x| x.selector.as_ref()).filter(|x| !x.is_empty()) else { continue };
        let obj = Object::new("Service", s.metadata.namespace.as_deref(), s.metadata.name.as_deref());
        let matching: Vec<&Pod> = idx.pods_selected_by(s).into_iter().map(|p| p.as_ref()).collect();
        let ready = matching.iter().filter(|p| podstatus::is_ready(p)).count();
        // NB: pods that are not ready already have their own finding; the
        // service is the same problem seen from the network side.
        if !matching.is_empty() && matching.iter().any(|p| with_pod_findings.contains(&workload_obj(owners, p))) {
            continue;
        }
        if matching.is_empty() || ready == 0 {
            let selector = sel.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
            let (title, cause) = if matching.is_empty() {
                (
                    format!("no pods match the selector {selector}"),
                    "the selector does not match any pod's labels (a typo, or the workload is gone)".to_string(),
                )
            } else {
                (
                    format!("none of its {} pods are ready", matching.len()),
                    "its pods are not ready; see their findings".to_string(),
                )
            };
            out.push(Finding {
                severity: Severity::Warning,
                object: obj.clone(),
                workload: obj.clone(),
                title,
                evidence: vec![format!("selector {selector}; {} matching pods, {ready} ready", matching.len())],
                likely_cause: cause,
                suggested_fix: "make the selector match the pods' labels, or fix the pods".into(),
                kubectl: vec![
                    format!("kubectl get endpoints {}{}", obj.name, nsf(&obj.namespace)),
                    format!("kubectl get pods{} -l {selector}", nsf(&obj.namespace)),
                ],
                fix: None,
            });
        }
    }
    for ing in &snap.ingresses {
        let obj = Object::new("Ingress", ing.metadata.namespace.as_deref(), ing.metadata.name.as_deref());
        for path in ing
            .spec
            .iter()
            .flat_map(|s| s.rules.iter().flatten())
            .flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter()))
        {
            let Some(b) = path.backend.service.as_ref() else { continue };
            let svc = snap.services.iter().find(|s| {
                s.metadata.name.as_deref() == Some(&b.name) && s.metadata.namespace == ing.metadata.namespace
            });
            let problem = match svc {
                None => Some(format!("backend service {} does not exist", b.name)),
                Some(s) => {
                    let ports = s.spec.as_ref().and_then(|x| x.ports.clone()).unwrap_or_default();
                    let ok = b.port.as_ref().is_none_or(|p| {
                        p.number.is_some_and(|n| ports.iter().any(|x| x.port == n))
                            || p.name.as_ref().is_some_and(|n| ports.iter().any(|x| x.name.as_ref() == Some(n)))
                    });
                    (!ok).then(|| {
                        format!(
                            "backend service {} has no port {}",
                            b.name,
                            b.port
                                .as_ref()
                                .map(|p| p.number.map(|n| n.to_string()).or(p.name.clone()).unwrap_or_default())
                                .unwrap_or_default()
                        )
                    })
                }
            };
            if let Some(title) = problem {
                out.push(Finding {
                    severity: Severity::Warning,
                    object: obj.clone(),
                    workload: obj.clone(),
                    title: title.clone(),
                    evidence: vec![title],
                    likely_cause: "the ingress points at a service or port that does not exist".into(),
                    suggested_fix: "fix the backend's service name or port in the ingress".into(),
                    kubectl: vec![format!("kubectl describe ingress {}{}", obj.name, nsf(&obj.namespace))],
                    fix: None,
                });
            }
        }
    }
}

fn storage(snap: &Snapshot, out: &mut Vec<Finding>) {
    for c in &snap.pvcs {
        if c.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Pending") {
            continue;
        }
        let obj = Object::new("PersistentVolumeClaim", c.metadata.namespace.as_deref(), c.metadata.name.as_deref());
        let mut evs: Vec<_> = snap
            .events
            .iter()
            .filter(|e| e.involved_object.name == c.metadata.name && e.metadata.namespace == c.metadata.namespace)
            .collect();
        evs.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
        let msg = evs.last().and_then(|e| e.message.clone()).unwrap_or_else(|| "no events".into());
        let cause = if msg.contains("storageclass") || msg.contains("StorageClass") {
            "its StorageClass does not exist".to_string()
        } else if msg.contains("WaitForFirstConsumer") || msg.contains("first consumer") {
            "it waits for a pod to use it (WaitForFirstConsumer)".into()
        } else {
            "no volume can be provisioned or bound".into()
        };
        out.push(Finding {
            severity: Severity::Warning,
            object: obj.clone(),
            workload: obj.clone(),
            title: format!("PVC Pending: {msg}"),
            evidence: vec![msg],
            likely_cause: cause,
            suggested_fix: "use an existing StorageClass or create the missing one; check the provisioner".into(),
            kubectl: vec![
                format!("kubectl describe pvc {}{}", obj.name, nsf(&obj.namespace)),
                "kubectl get storageclass".into(),
            ],
            fix: None,
        });
    }
}

fn nodes(snap: &Snapshot, out: &mut Vec<Finding>) {
    for n in &snap.nodes {
        let obj = Object::new("Node", None, n.metadata.name.as_deref());
        let conds = n.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        let ready = conds.iter().find(|c| c.type_ == "Ready");
        if ready.is_none_or(|c| c.status != "True") {
            let msg = ready
                .map(|c| {
                    format!(
                        "Ready={}: {} {}",
                        c.status,
                        c.reason.clone().unwrap_or_default(),
                        c.message.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| "no Ready condition".into());
            out.push(Finding {
                severity: Severity::Critical,
                object: obj.clone(),
                workload: obj.clone(),
                title: "node NotReady".into(),
                evidence: vec![msg],
                likely_cause:
                    "the kubelet stopped reporting: the machine is down, overloaded or cut off from the API server"
                        .into(),
                suggested_fix: "check the machine and its kubelet; cordon and drain it if it stays down".into(),
                kubectl: vec![format!("kubectl describe node {}", obj.name)],
                fix: Some(fixes::cordon(&obj.name)),
            });
            continue;
        }
        for c in conds.iter().filter(|c| {
            matches!(c.type_.as_str(), "MemoryPressure" | "DiskPressure" | "PIDPressure") && c.status == "True"
        }) {
            out.push(Finding {
                severity: Severity::Warning,
                object: obj.clone(),
                workload: obj.clone(),
                title: format!("node under {}", c.type_),
                evidence: vec![c.message.clone().unwrap_or_default()],
                likely_cause: format!("the node is short of {}", c.type_.trim_end_matches("Pressure").to_lowercase()),
                suggested_fix: "free resources or move workloads off the node".into(),
                kubectl: vec![format!("kubectl describe node {}", obj.name)],
                fix: None,
            });
        }
    }
}

fn jobs(snap: &Snapshot, logs: &LogTexts, with_pod_findings: &BTreeSet<Object>, out: &mut Vec<Finding>) {
    let idx = snap.index();
    let owners = idx.owners();
    let mut last_job_of: BTreeMap<(String, String), (&k8s_openapi::api::batch::v1::Job, jiff::Timestamp)> =
        BTreeMap::new();
    for j in &snap.jobs {
        let obj = Object::new("Job", j.metadata.namespace.as_deref(), j.metadata.name.as_deref());
        let failed = j
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Failed" && c.status == "True"));
        if let Some(owner) = j.metadata.owner_references.iter().flatten().find(|o| o.kind == "CronJob") {
            let t = j.metadata.creation_timestamp.as_ref().map(|t| t.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let key = (j.metadata.namespace.clone().unwrap_or_default(), owner.name.clone());
            if last_job_of.get(&key).is_none_or(|(_, lt)| t > *lt) {
                last_job_of.insert(key, (j, t));
            }
            continue;
        }
        let Some(c) = failed else { continue };
        if with_pod_findings.contains(&obj) {
            continue;
        }
        let pods: Vec<&Pod> = idx
            .pods_in(Some(&obj.namespace))
            .into_iter()
            .map(|p| p.as_ref())
            .filter(|p| owners.belongs(p, "Job", &obj.namespace, &obj.name))
            .collect();
        let line = pods.iter().rev().find_map(|p| {
            p.spec
                .iter()
                .flat_map(|s| s.containers.iter())
                .find_map(|c| find_log_line(logs, &obj.namespace, p.metadata.name.as_deref().unwrap_or(""), &c.name))
        });
        let mut evidence = vec![format!(
            "{}: {}",
            c.reason.clone().unwrap_or_else(|| "Failed".into()),
            c.message.clone().unwrap_or_default()
        )];
        evidence.extend(line.clone().map(|l| format!("log: {l}")));
        out.push(Finding {
            severity: Severity::Warning,
            object: obj.clone(),
            workload: obj.clone(),
            title: format!("Job failed ({})", c.reason.clone().unwrap_or_else(|| "Failed".into())),
            evidence,
            likely_cause: line
                .map(|l| format!("its pods exit with an error: {l}"))
                .unwrap_or_else(|| "its pods exit with an error".into()),
            suggested_fix: "fix the error its logs show, then re-create the Job".into(),
            kubectl: vec![
                format!("kubectl describe job {}{}", obj.name, nsf(&obj.namespace)),
                format!("kubectl logs job/{}{}", obj.name, nsf(&obj.namespace)),
            ],
            fix: None,
        });
    }
    for cj in &snap.cron_jobs {
        let obj = Object::new("CronJob", cj.metadata.namespace.as_deref(), cj.metadata.name.as_deref());
        if cj.spec.as_ref().and_then(|s| s.suspend).unwrap_or(false) {
            out.push(Finding {
                severity: Severity::Info,
                object: obj.clone(),
                workload: obj.clone(),
                title: "CronJob is suspended".into(),
                evidence: vec!["spec.suspend: true".into()],
                likely_cause: "someone paused it; no new runs are scheduled".into(),
                suggested_fix: format!(
                    "resume it if it should run: kubectl patch cronjob {}{} -p '{{\"spec\":{{\"suspend\":false}}}}'",
                    obj.name,
                    nsf(&obj.namespace)
                ),
                kubectl: vec![format!("kubectl get cronjob {}{}", obj.name, nsf(&obj.namespace))],
                fix: None,
            });
        }
        if let Some((j, _)) = last_job_of.get(&(obj.namespace.clone(), obj.name.clone())) {
            let failed = j
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Failed" && c.status == "True"));
            if failed {
                out.push(Finding {
                    severity: Severity::Warning,
                    object: obj.clone(),
                    workload: obj.clone(),
                    title: format!("last run failed (Job {})", j.metadata.name.clone().unwrap_or_default()),
                    evidence: vec![format!("Job {} failed", j.metadata.name.clone().unwrap_or_default())],
                    likely_cause: "the scheduled Job's pods exited with an error".into(),
                    suggested_fix: "read the failed Job's logs".into(),
                    kubectl: vec![format!(
                        "kubectl logs job/{}{}",
                        j.metadata.name.clone().unwrap_or_default(),
                        nsf(&obj.namespace)
                    )],
                    fix: None,
                });
            }
        }
    }
}

fn autoscalers(snap: &Snapshot, out: &mut Vec<Finding>) {
    for h in &snap.hpas {
        let obj = Object::new("HorizontalPodAutoscaler", h.metadata.namespace.as_deref(), h.metadata.name.as_deref());
        let max = h.spec.as_ref().map_or(0, |s| s.max_replicas);
        let st = h.status.clone().unwrap_or_default();
        let cur = st.current_replicas.unwrap_or(0);
        let failing = st
            .conditions
            .iter()
            .flatten()
            .find(|c| (c.type_ == "ScalingActive" || c.type_ == "AbleToScale") && c.status == "False");
        if let Some(c) = failing {
            out.push(Finding {
                severity: Severity::Warning,
                object: obj.clone(),
                workload: obj.clone(),
                title: format!("HPA cannot scale: {}", c.reason.clone().unwrap_or_default()),
                evidence: vec![c.message.clone().unwrap_or_default()],
                likely_cause: "it cannot read the metrics it scales on, or its target is missing".into(),
                suggested_fix: "check metrics-server and the target's resource requests".into(),
                kubectl: vec![format!("kubectl describe hpa {}{}", obj.name, nsf(&obj.namespace))],
                fix: None,
            });
        } else if max > 0 && cur >= max {
            out.push(Finding {
                severity: Severity::Warning,
                object: obj.clone(),
                workload: obj.clone(),
                title: format!("HPA at its maximum ({cur}/{max} replicas)"),
                evidence: vec![format!("current {cur}, max {max}")],
                likely_cause: "load is above what the maximum number of replicas can absorb".into(),
                suggested_fix: "raise maxReplicas or make each replica handle more".into(),
                kubectl: vec![format!("kubectl describe hpa {}{}", obj.name, nsf(&obj.namespace))],
                fix: Some(fixes::raise_hpa_max(&obj, max)),
            });
        }
    }
}
