//! Who may do what: RBAC roles with wildcards, `cluster-admin` bound to
//! service accounts or groups, workloads that mount the default service
//! account's token, and Secrets mounted into many workloads.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};

use super::{finding, Check, SecurityFinding};
use crate::analyze::{Object, Severity};
use crate::snapshot::Snapshot;

/// A Secret used by at least this many workloads is worth a look.
const SHARED_SECRET_WORKLOADS: usize = 3;

/// Built-in roles Kubernetes ships with wildcards on purpose; their
/// bindings are what the next check looks at.
fn built_in_role(name: &str) -> bool {
    name.starts_with("system:") || matches!(name, "cluster-admin" | "admin" | "edit")
}

fn wildcard_rules(rules: &[PolicyRule]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.verbs.iter().any(|v| v == "*") || r.resources.iter().flatten().any(|x| x == "*"))
        .map(|r| {
            format!(
                "verbs [{}] on resources [{}] in apiGroups [{}]",
                r.verbs.join(", "),
                r.resources.clone().unwrap_or_default().join(", "),
                r.api_groups.clone().unwrap_or_default().join(", ")
            )
        })
        .collect()
}

/// Roles and ClusterRoles that grant `*` verbs or `*` resources.
pub(super) fn rbac_wildcards(snap: &Snapshot, out: &mut Vec<SecurityFinding>) {
    let cluster = snap.cluster_roles.iter().map(|r| ("ClusterRole", &r.metadata, r.rules.as_deref()));
    let local = snap.roles.iter().map(|r| ("Role", &r.metadata, r.rules.as_deref()));
    for (kind, meta, rules) in cluster.chain(local) {
        let name = meta.name.as_deref().unwrap_or("");
        let wild = wildcard_rules(rules.unwrap_or_default());
        if wild.is_empty() || built_in_role(name) {
            continue;
        }
        let everything = rules
            .unwrap_or_default()
            .iter()
            .any(|r| r.verbs.iter().any(|v| v == "*") && r.resources.iter().flatten().any(|x| x == "*"));
        let obj = Object::new(kind, meta.namespace.as_deref(), Some(name));
        out.push(finding(
            &obj,
            Check {
                id: "rbac-wildcard",
                control: "CIS 5.1.3: minimize wildcard use in Roles and ClusterRoles",
                severity: if everything && kind == "ClusterRole" { Severity::Critical } else { Severity::Warning },
                title: if everything {
                    "grants every verb on every resource".into()
                } else {
                    "grants wildcard access".into()
                },
                evidence: wild.join("; "),
                fix: "list the verbs and resources the role needs instead of *",
            },
        ));
    }
}

fn subject_text(s: &Subject) -> String {
    match &s.namespace {
        Some(ns) if !ns.is_empty() => format!("{} {ns}/{}", s.kind, s.name),
        _ => format!("{} {}", s.kind, s.name),
    }
}

/// Bindings of `cluster-admin` to service accounts or groups (the
/// built-in `system:masters` binding is how the API server itself is run).
pub(super) fn cluster_admin_bindings(snap: &Snapshot, out: &mut Vec<SecurityFinding>) {
    let cluster =
        snap.cluster_role_bindings.iter().map(|b| ("ClusterRoleBinding", &b.metadata, &b.role_ref, &b.subjects));
    let local = snap.role_bindings.iter().map(|b| ("RoleBinding", &b.metadata, &b.role_ref, &b.subjects));
    for (kind, meta, role, subjects) in cluster.chain(local) {
        if role.kind != "ClusterRole" || role.name != "cluster-admin" {
            continue;
        }
        let risky: Vec<String> = subjects
            .iter()
            .flatten()
            .filter(|s| s.kind == "ServiceAccount" || (s.kind == "Group" && s.name != "system:masters"))
            .map(subject_text)
            .collect();
        if risky.is_empty() {
            continue;
        }
        let obj = Object::new(kind, meta.namespace.as_deref(), meta.name.as_deref());
        out.push(finding(
            &obj,
            Check {
                id: "cluster-admin-binding",
                control: "CIS 5.1.1: cluster-admin only where required",
                severity: Severity::Critical,
                title: format!("binds cluster-admin to {}", risky.join(", ")),
                evidence: format!("roleRef ClusterRole/cluster-admin; subjects: {}", risky.join(", ")),
                fix: "bind a role with only the permissions this subject needs",
            },
        ));
    }
}

/// Workloads running as the namespace's `default` service account with
/// its API token mounted (neither the pod nor the account turns it off).
pub(super) fn default_sa_tokens(snap: &Snapshot, checked: &[(Object, PodSpec)], out: &mut Vec<SecurityFinding>) {
    let automount_off: BTreeSet<(String, String)> = snap
        .service_accounts
        .iter()
        .filter(|sa| sa.automount_service_account_token == Some(false))
        .map(|sa| (sa.metadata.namespace.clone().unwrap_or_default(), sa.metadata.name.clone().unwrap_or_default()))
        .collect();
    for (obj, spec) in checked {
        let sa = spec.service_account_name.as_deref().filter(|s| !s.is_empty()).unwrap_or("default");
        if sa != "default" || spec.automount_service_account_token == Some(false) {
            continue;
        }
        if automount_off.contains(&(obj.namespace.clone(), "default".to_string())) {
            continue;
        }
        out.push(finding(
            obj,
            Check {
                id: "default-sa-token",
                control: "CIS 5.1.5/5.1.6: default service account not used, tokens mounted only where needed",
                severity: Severity::Info,
                title: "runs as the default service account with its API token mounted".into(),
                evidence: "serviceAccountName is default (or unset); automountServiceAccountToken is not false".into(),
                fix: "give it its own ServiceAccount, or set automountServiceAccountToken: false",
            },
        ));
    }
}

/// Secret names a pod spec reads: volumes (also projected), env and envFrom.
fn secrets_used(spec: &PodSpec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for v in spec.volumes.iter().flatten() {
        if let Some(name) = v.secret.as_ref().and_then(|s| s.secret_name.clone()) {
            out.insert(name);
        }
        for p in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(s) = &p.secret {
                out.insert(s.name.clone());
            }
        }
    }
    for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
        for e in c.env.iter().flatten() {
            if let Some(k) = e.value_from.as_ref().and_then(|f| f.secret_key_ref.as_ref()) {
                out.insert(k.name.clone());
            }
        }
        for e in c.env_from.iter().flatten() {
            if let Some(r) = &e.secret_ref {
                out.insert(r.name.clone());
            }
        }
    }
    out
}

/// Secrets read by many workloads: one leak exposes them all, and a
/// rotation touches them all.
pub(super) fn shared_secrets(checked: &[(Object, PodSpec)], out: &mut Vec<SecurityFinding>) {
    let mut users: BTreeMap<(String, String), Vec<&Object>> = BTreeMap::new();
    for (obj, spec) in checked {
        for s in secrets_used(spec) {
            users.entry((obj.namespace.clone(), s)).or_default().push(obj);
        }
    }
    for ((ns, name), objs) in users {
        if objs.len() < SHARED_SECRET_WORKLOADS {
            continue;
        }
        let list: Vec<String> = objs.iter().map(|o| format!("{}/{}", o.kind, o.name)).collect();
        let obj = Object::new("Secret", Some(&ns), Some(&name));
        out.push(finding(
            &obj,
            Check {
                id: "secret-shared",
                control: "CIS 5.4.x: least access to Secrets",
                severity: Severity::Info,
                title: format!("is read by {} workloads", objs.len()),
                evidence: format!("used by {}", list.join(", ")),
                fix: "give each workload its own Secret with only the keys it needs",
            },
        ));
    }
}
