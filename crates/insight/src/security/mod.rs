//! Security posture: the checks Polaris and Kubescape make on pod specs,
//! exposure, RBAC, service accounts and namespaces, each naming the control
//! it follows (Pod Security Standards baseline/restricted, a CIS Kubernetes
//! Benchmark item). Same
//! finding shape as the analyzers, plus the check's id and control.
//! Checks read workloads' pod templates once (a pod owned by a workload is
//! its workload's finding); a Secret's value is never read or shown.

use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde::Serialize;

use crate::analyze::{Finding, Object, Severity};
use crate::kind::Kind;
use crate::redact::is_secret_name;
use crate::snapshot::Snapshot;

mod identity;
mod network;

pub use network::PSS_ENFORCE;

/// A security finding: an analyzer finding plus what it checks.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SecurityFinding {
    /// The finding (severity, object, evidence, fix, kubectl).
    #[serde(flatten)]
    pub finding: Finding,
    /// The check's id (`privileged`, `host-path`, …).
    pub check: &'static str,
    /// The control it follows.
    pub control: &'static str,
}

/// What the checks could not look at: kinds the user may not list (or the
/// cluster does not serve), with the checks that needed them — reported as
/// not checked, never as clean.
pub fn not_checked(snap: &Snapshot) -> Vec<String> {
    const NEEDS: &[(&str, &str)] = &[
        ("ClusterRole", "wildcard ClusterRoles"),
        ("Role", "wildcard Roles"),
        ("ClusterRoleBinding", "cluster-admin bindings"),
        ("RoleBinding", "cluster-admin bindings in namespaces"),
        ("ServiceAccount", "service-account token automount"),
        ("NetworkPolicy", "namespaces without NetworkPolicies"),
    ];
    NEEDS
        .iter()
        .filter_map(|(kind, check)| snap.unreadable.get(*kind).map(|why| format!("{check} ({kind}: {why})")))
        .collect()
}

/// Admin and data ports that should not face outside the cluster.
const ADMIN_PORTS: &[(i32, &str)] = &[
    (22, "SSH"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (10250, "kubelet"),
    (27017, "MongoDB"),
];

struct Check {
    id: &'static str,
    control: &'static str,
    severity: Severity,
    title: String,
    evidence: String,
    fix: &'static str,
}

fn container_checks(c: &Container, out: &mut Vec<Check>) {
    let sc = c.security_context.clone().unwrap_or_default();
    let mut add = |id, control, severity, title: String, fix| {
        out.push(Check { id, control, severity, evidence: format!("container {}: {title}", c.name), title, fix });
    };
    if sc.privileged == Some(true) {
        add(
            "privileged",
            "PSS baseline: privileged containers",
            Severity::Critical,
            "runs privileged".into(),
            "remove securityContext.privileged",
        );
    }
    if sc.allow_privilege_escalation != Some(false) {
        add(
            "privilege-escalation",
            "PSS restricted: allowPrivilegeEscalation",
            Severity::Warning,
            "may escalate privileges (allowPrivilegeEscalation is not false)".into(),
            "set securityContext.allowPrivilegeEscalation: false",
        );
    }
    let added: Vec<String> = sc.capabilities.as_ref().and_then(|c| c.add.clone()).unwrap_or_default();
    let risky: Vec<&String> = added.iter().filter(|a| a.as_str() != "NET_BIND_SERVICE").collect();
    if !risky.is_empty() {
        let sev = if risky.iter().any(|a| matches!(a.as_str(), "SYS_ADMIN" | "ALL" | "NET_ADMIN" | "SYS_PTRACE")) {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let list: Vec<&str> = risky.iter().map(|s| s.as_str()).collect();
        add(
            "capabilities",
            "PSS baseline: capabilities",
            sev,
            format!("adds capabilities {}", list.join(", ")),
            "drop the added capabilities (keep NET_BIND_SERVICE at most)",
        );
    }
    if sc.read_only_root_filesystem != Some(true) {
        add(
            "writable-root",
            "CIS 5.7.x: read-only root filesystem (Polaris)",
            Severity::Info,
            "has a writable root filesystem".into(),
            "set securityContext.readOnlyRootFilesystem: true and mount writable paths as volumes",
        );
    }
    let image = c.image.clone().unwrap_or_default();
    let last = image.rsplit('/').next().unwrap_or("");
    if !image.contains('@') && (!last.contains(':') || last.ends_with(":latest")) {
        add(
            "image-tag",
            "Polaris: pinned image tags",
            Severity::Warning,
            format!("image {image} is not pinned (no tag, or latest)"),
            "use a version tag or a digest",
        );
    }
    let limits = c.resources.as_ref().and_then(|r| r.limits.as_ref());
    if !limits.is_some_and(|l| l.contains_key("memory")) || !limits.is_some_and(|l| l.contains_key("cpu")) {
        add(
            "no-limits",
            "Polaris: resource limits (CIS 5.7 general)",
            Severity::Warning,
            "has no CPU or memory limit".into(),
            "set resources.limits.cpu and resources.limits.memory",
        );
    }
    for e in c.env.iter().flatten() {
        if e.value.as_deref().is_some_and(|v| !v.is_empty()) && is_secret_name(&e.name) {
            // NB: the name only; the value is never read into a finding.
            add(
                "secret-env-literal",
                "CIS 5.4.1: secrets as files, not env literals",
                Severity::Warning,
                format!("sets {} as a plain env literal", e.name),
                "move the value into a Secret (mounted as a file, or secretKeyRef)",
            );
        }
    }
}

fn pod_checks(spec: &PodSpec, pod_sc_non_root: bool, out: &mut Vec<Check>) {
    let mut add = |id, control, severity, title: &str, fix| {
        out.push(Check { id, control, severity, title: title.to_string(), evidence: title.to_string(), fix });
    };
    if spec.host_network == Some(true) {
        add(
            "host-network",
            "PSS baseline: host namespaces",
            Severity::Critical,
            "uses the host's network",
            "remove hostNetwork",
        );
    }
    if spec.host_pid == Some(true) {
        add(
            "host-pid",
            "PSS baseline: host namespaces",
            Severity::Critical,
            "shares the host's process namespace",
            "remove hostPID",
        );
    }
    if spec.host_ipc == Some(true) {
        add(
            "host-ipc",
            "PSS baseline: host namespaces",
            Severity::Critical,
            "shares the host's IPC namespace",
            "remove hostIPC",
        );
    }
    for v in spec.volumes.iter().flatten().filter(|v| v.host_path.is_some()) {
        let path = v.host_path.as_ref().map(|h| h.path.clone()).unwrap_or_default();
        out.push(Check {
            id: "host-path",
            control: "PSS baseline: HostPath volumes",
            severity: Severity::Critical,
            title: format!("mounts the host path {path}"),
            evidence: format!("volume {} is hostPath {path}", v.name),
            fix: "use a PersistentVolumeClaim, ConfigMap or emptyDir instead of hostPath",
        });
    }
    for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
        let sc = c.security_context.as_ref();
        let non_root = sc.and_then(|s| s.run_as_non_root).unwrap_or(pod_sc_non_root);
        let root_uid = sc.and_then(|s| s.run_as_user) == Some(0);
        if !non_root || root_uid {
            out.push(Check {
                id: "run-as-root",
                control: "PSS restricted: runAsNonRoot",
                severity: Severity::Warning,
                title: "may run as root".into(),
                evidence: format!(
                    "container {}: runAsNonRoot is not true{}",
                    c.name,
                    if root_uid { " (runAsUser 0)" } else { "" }
                ),
                fix: "set securityContext.runAsNonRoot: true (and a non-zero runAsUser)",
            });
        }
        container_checks(c, out);
    }
}

/// Objects whose pod spec is checked: workloads, and pods no workload owns.
fn checked_objects(snap: &Snapshot) -> Vec<(Object, PodSpec)> {
    let mut out = Vec::new();
    for kind in
        [Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::CronJob, Kind::Job, Kind::ReplicaSet, Kind::Pod]
    {
        for o in snap.objects(kind) {
            let owned = o.meta.owner_references.as_ref().is_some_and(|r| !r.is_empty());
            if owned
                && kind != Kind::Deployment
                && kind != Kind::StatefulSet
                && kind != Kind::DaemonSet
                && kind != Kind::CronJob
            {
                continue;
            }
            if let Some(spec) = o.pod_spec() {
                out.push((Object::new(kind.name(), o.meta.namespace.as_deref(), o.meta.name.as_deref()), spec.clone()));
            }
        }
    }
    out
}

fn exposure(snap: &Snapshot, out: &mut Vec<SecurityFinding>) {
    for s in &snap.services {
        let spec = s.spec.clone().unwrap_or_default();
        let ty = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
        if ty != "NodePort" && ty != "LoadBalancer" {
            continue;
        }
        for p in spec.ports.iter().flatten() {
            let target = match &p.target_port {
                Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) => *n,
                _ => p.port,
            };
            let Some((_, what)) = ADMIN_PORTS.iter().find(|(n, _)| *n == p.port || *n == target) else { continue };
            let obj = Object::new("Service", s.metadata.namespace.as_deref(), s.metadata.name.as_deref());
            out.push(finding(
                &obj,
                Check {
                    id: "exposed-admin-port",
                    control: "CIS 5.x / Kubescape C-0044: exposed sensitive ports",
                    severity: Severity::Critical,
                    title: format!("{ty} Service exposes {what} (port {})", p.port),
                    evidence: format!("type {ty}, port {} → {target}", p.port),
                    fix: "make it ClusterIP, or put the port behind an authenticated proxy",
                },
            ));
        }
    }
    for i in &snap.ingresses {
        let spec = i.spec.clone().unwrap_or_default();
        if spec.tls.as_ref().is_none_or(|t| t.is_empty()) {
            let obj = Object::new("Ingress", i.metadata.namespace.as_deref(), i.metadata.name.as_deref());
            let hosts: Vec<String> = spec.rules.iter().flatten().filter_map(|r| r.host.clone()).collect();
            out.push(finding(
                &obj,
                Check {
                    id: "ingress-no-tls",
                    control: "Kubescape C-0263: Ingress uses TLS",
                    severity: Severity::Warning,
                    title: "serves HTTP without TLS".into(),
                    evidence: format!(
                        "no spec.tls for {}",
                        if hosts.is_empty() { "*".into() } else { hosts.join(", ") }
                    ),
                    fix: "add a tls section with a certificate Secret (cert-manager can issue it)",
                },
            ));
        }
    }
}

fn finding(obj: &Object, c: Check) -> SecurityFinding {
    let ns = if obj.namespace.is_empty() { String::new() } else { format!(" -n {}", obj.namespace) };
    SecurityFinding {
        finding: Finding {
            severity: c.severity,
            object: obj.clone(),
            workload: obj.clone(),
            title: c.title,
            evidence: vec![c.evidence],
            likely_cause: format!("the object's spec does not meet {}", c.control),
            suggested_fix: c.fix.into(),
            kubectl: vec![format!("kubectl get {} {}{ns} -o yaml", obj.kind.to_lowercase(), obj.name)],
            fix: None,
        },
        check: c.id,
        control: c.control,
    }
}

/// Every security finding, worst first; within a severity by object.
pub fn check(snap: &Snapshot) -> Vec<SecurityFinding> {
    let mut out = Vec::new();
    for (obj, spec) in checked_objects(snap) {
        let non_root = spec.security_context.as_ref().and_then(|s| s.run_as_non_root).unwrap_or(false);
        let mut checks = Vec::new();
        pod_checks(&spec, non_root, &mut checks);
        // NB: one finding per check and object; containers join its evidence.
        let mut merged: Vec<Check> = Vec::new();
        for c in checks {
            match merged.iter_mut().find(|m| m.id == c.id) {
                Some(m) => m.evidence = format!("{}; {}", m.evidence, c.evidence),
                None => merged.push(c),
            }
        }
        out.extend(merged.into_iter().map(|c| finding(&obj, c)));
    }
    exposure(snap, &mut out);
    let checked = checked_objects(snap);
    identity::rbac_wildcards(snap, &mut out);
    identity::cluster_admin_bindings(snap, &mut out);
    if !snap.unreadable.contains_key("ServiceAccount") {
        identity::default_sa_tokens(snap, &checked, &mut out);
    }
    identity::shared_secrets(&checked, &mut out);
    network::namespace_guards(snap, &mut out);
    out.sort_by(|a, b| (a.finding.severity, &a.finding.object).cmp(&(b.finding.severity, &b.finding.object)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      volumes: [{name: root, hostPath: {path: /}}]
      containers:
      - name: agent
        image: example/agent:latest
        securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}
        env: [{name: DB_PASSWORD, value: hunter2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tidy, namespace: ops}
spec:
  selector: {matchLabels: {app: tidy}}
  template:
    metadata: {labels: {app: tidy}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: tidy
        image: example/tidy:1.2.3
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
        resources: {limits: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: ops}
spec: {type: LoadBalancer, ports: [{port: 5432}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ops}
spec: {rules: [{host: web.example.org}]}
"#;

    #[test]
    fn risky_specs_are_found_with_their_controls_and_a_tidy_one_is_clean() {
        let snap = Snapshot::from_yaml(CLUSTER, None).unwrap();
        let found = check(&snap);
        let of = |name: &str| -> Vec<&str> {
            found.iter().filter(|f| f.finding.object.name == name).map(|f| f.check).collect()
        };
        let agent = of("agent");
        for id in [
            "privileged",
            "capabilities",
            "host-network",
            "host-path",
            "image-tag",
            "no-limits",
            "secret-env-literal",
            "run-as-root",
        ] {
            assert!(agent.contains(&id), "{id} missing: {agent:?}");
        }
        // Its spec is clean; it runs as the default service account, which
        // this cluster has no ServiceAccount object to turn off.
        assert_eq!(of("tidy"), ["default-sa-token"]);
        assert_eq!(of("db"), ["exposed-admin-port"]);
        assert_eq!(of("web"), ["ingress-no-tls"]);
        assert_eq!(found[0].finding.severity, Severity::Critical);
        let json = serde_json::to_string(&found).unwrap();
        assert!(
            json.contains("\"control\":\"PSS baseline: privileged containers\"")
                && json.contains("\"check\":\"privileged\"")
        );
        assert!(!json.contains("hunter2"), "a secret's value never reaches a finding");
    }
}
