//! The security checks on the posture fixture: each problem is planted
//! once with a clean twin beside it; every check fires exactly on its
//! planted object, none on the twins or the built-in RBAC objects.

use std::collections::BTreeMap;
use std::path::Path;

use kubeask_insight::security::{check, not_checked};
use kubeask_insight::snapshot::Snapshot;

fn posture() -> Snapshot {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run through cargo test");
    let text = std::fs::read_to_string(Path::new(&manifest).join("../../tests/fixtures/posture/cluster.yaml")).unwrap();
    Snapshot::from_yaml(&text, Some("2026-11-20T12:00:00Z".parse().unwrap())).unwrap()
}

#[test]
fn every_check_fires_exactly_on_its_planted_object() {
    let snap = posture();
    let found = check(&snap);
    let mut by_check: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &found {
        by_check.entry(f.check).or_default().push(f.finding.object.to_string());
    }
    let want: &[(&str, &str)] = &[
        ("privileged", "Deployment/open/risky"),
        ("privilege-escalation", "Deployment/open/risky"),
        ("capabilities", "Deployment/open/risky"),
        ("writable-root", "Deployment/open/risky"),
        ("image-tag", "Deployment/open/risky"),
        ("no-limits", "Deployment/open/risky"),
        ("secret-env-literal", "Deployment/open/risky"),
        ("host-network", "Deployment/open/risky"),
        ("host-pid", "Deployment/open/risky"),
        ("host-ipc", "Deployment/open/risky"),
        ("host-path", "Deployment/open/risky"),
        ("run-as-root", "Deployment/open/risky"),
        ("default-sa-token", "Deployment/open/risky"),
        ("exposed-admin-port", "Service/open/db"),
        ("ingress-no-tls", "Ingress/open/web"),
        ("rbac-wildcard", "Role/open/too-broad"),
        ("cluster-admin-binding", "ClusterRoleBinding/ci-admin"),
        ("secret-shared", "Secret/open/shared-creds"),
        ("no-network-policy", "Namespace/open"),
        ("pss-not-enforced", "Namespace/open"),
    ];
    let mut wrong = Vec::new();
    for (id, object) in want {
        let got = by_check.remove(id).unwrap_or_default();
        if got != [object.to_string()] {
            wrong.push(format!("{id}: fired on {got:?}, want exactly {object}"));
        }
    }
    for (id, extra) in by_check {
        wrong.push(format!("{id}: not planted here, fired on {extra:?}"));
    }
    println!("{} findings from {} checks on the posture fixture", found.len(), want.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The evidence says what is wrong, never a value: the env literal's
    // value is not read into the finding.
    let text = serde_json::to_string(&found).unwrap();
    assert!(!text.contains("not-a-real-one"));
    assert!(text.contains("ServiceAccount open/ci"), "the binding's subject is named");
    assert!(not_checked(&snap).is_empty(), "every kind was readable");
}

#[test]
fn kinds_the_user_cannot_read_are_not_checked_not_clean() {
    let mut snap = posture();
    snap.cluster_role_bindings.clear();
    snap.unreadable.insert("ClusterRoleBinding".into(), "forbidden by RBAC: clusterrolebindings is forbidden".into());
    snap.network_policies.clear();
    snap.unreadable.insert("NetworkPolicy".into(), "forbidden by RBAC".into());
    let found = check(&snap);
    assert!(!found.iter().any(|f| f.check == "cluster-admin-binding"));
    // No NetworkPolicy could be read: that is not "no NetworkPolicy".
    assert!(!found.iter().any(|f| f.check == "no-network-policy"), "an unreadable kind was reported as missing");
    let nc = not_checked(&snap);
    assert!(nc.iter().any(|n| n.contains("cluster-admin bindings") && n.contains("forbidden")), "{nc:?}");
    assert!(nc.iter().any(|n| n.contains("NetworkPolicies")), "{nc:?}");
}
