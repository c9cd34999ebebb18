//! Namespace guards: a NetworkPolicy in every namespace that runs pods,
//! and a Pod Security admission level enforced on it.

use std::collections::BTreeSet;

use super::{finding, Check, SecurityFinding};
use crate::analyze::{Object, Severity};
use crate::snapshot::Snapshot;

/// Namespaces the control plane runs in; their policies are the
/// distribution's business.
fn system_namespace(ns: &str) -> bool {
    matches!(ns, "kube-system" | "kube-public" | "kube-node-lease")
}

/// The label Pod Security admission enforces from.
pub const PSS_ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Namespaces with pods and no NetworkPolicy (all traffic allowed), and
/// namespaces with pods and no Pod Security level enforced.
pub(super) fn namespace_guards(snap: &Snapshot, out: &mut Vec<SecurityFinding>) {
    let with_pods: BTreeSet<&str> =
        snap.pods.iter().filter_map(|p| p.metadata.namespace.as_deref()).filter(|ns| !system_namespace(ns)).collect();
    let with_policy: BTreeSet<&str> =
        snap.network_policies.iter().filter_map(|n| n.metadata.namespace.as_deref()).collect();
    for ns in &with_pods {
        let obj = Object::new("Namespace", None, Some(ns));
        if !with_policy.contains(ns) && !snap.unreadable.contains_key("NetworkPolicy") {
            out.push(finding(
                &obj,
                Check {
                    id: "no-network-policy",
                    control: "CIS 5.3.2: every namespace has NetworkPolicies",
                    severity: Severity::Warning,
                    title: "has no NetworkPolicy: every pod accepts traffic from anywhere".into(),
                    evidence: format!("0 NetworkPolicies in {ns}"),
                    fix: "add a default-deny NetworkPolicy and allow what the pods need",
                },
            ));
        }
        let level = snap
            .namespaces
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(ns))
            .and_then(|n| n.metadata.labels.as_ref()?.get(PSS_ENFORCE).cloned());
        if level.as_deref().is_none_or(|l| l == "privileged") {
            out.push(finding(
                &obj,
                Check {
                    id: "pss-not-enforced",
                    control: "Pod Security Standards: admission level enforced per namespace",
                    severity: Severity::Info,
                    title: match &level {
                        Some(l) => format!("enforces the {l} Pod Security level (nothing is refused)"),
                        None => "enforces no Pod Security level".into(),
                    },
                    evidence: format!("label {PSS_ENFORCE} is {}", level.as_deref().unwrap_or("not set")),
                    fix: "label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted)",
                },
            ));
        }
    }
}
