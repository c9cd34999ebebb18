//! The kinds the security checks read (ServiceAccounts, Roles,
//! ClusterRoles, their bindings, NetworkPolicies) through the demo server:
//! kubectl and the cache see exactly the fixture's objects, and a user who
//! may not list one sees it reported as unreadable, not as empty.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use kubeask_cluster::cache::ClusterCache;
use kubeask_cluster::fixture::Fixture;
use serde_json::Value;

use crate::support::*;

fn posture() -> Fixture {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run through cargo test");
    Fixture::load_dir(&Path::new(&manifest).join("../../tests/fixtures/posture")).unwrap()
}

const KINDS: &[(&str, &str)] = &[
    ("ServiceAccount", "serviceaccounts"),
    ("Role", "roles"),
    ("ClusterRole", "clusterroles"),
    ("RoleBinding", "rolebindings"),
    ("ClusterRoleBinding", "clusterrolebindings"),
    ("NetworkPolicy", "networkpolicies"),
];

fn names_in(f: &Fixture, kind: &str) -> BTreeSet<String> {
    f.objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| format!("{}/{}", o.value["metadata"]["namespace"].as_str().unwrap_or(""), name(&o.value)))
        .collect()
}

#[tokio::test]
async fn kubectl_and_the_cache_see_the_rbac_and_network_policy_objects() {
    let f = posture();
    let demo = start_with(f.clone()).await;
    let conn = kubeask_cluster::contexts::Contexts::load(&[demo.kubeconfig()]).unwrap().connect(None).await.unwrap();
    let cache = ClusterCache::start(conn).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let snap = cache.snapshot();
    for (kind, plural) in KINDS {
        let out = kubectl_ok(&demo, &["get", plural, "-A", "-o", "json"]).await;
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: BTreeSet<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| format!("{}/{}", o["metadata"]["namespace"].as_str().unwrap_or(""), name(o)))
            .collect();
        assert_eq!(got, names_in(&f, kind), "kubectl get {plural}");
        let cached = match *kind {
            "ServiceAccount" => snap.service_accounts.len(),
            "Role" => snap.roles.len(),
            "ClusterRole" => snap.cluster_roles.len(),
            "RoleBinding" => snap.role_bindings.len(),
            "ClusterRoleBinding" => snap.cluster_role_bindings.len(),
            _ => snap.network_policies.len(),
        };
        assert_eq!(cached, got.len(), "cached {kind}");
    }
    assert!(!snap.unreadable.contains_key("ClusterRole"));
    // The cluster-admin binding's subject survives the round trip.
    let crb = snap.cluster_role_bindings.iter().find(|b| b.metadata.name.as_deref() == Some("ci-admin")).unwrap();
    assert_eq!(crb.subjects.as_ref().unwrap()[0].name, "ci");
}

#[tokio::test]
async fn a_kind_the_user_may_not_list_is_unreadable_not_empty() {
    let mut f = posture();
    f.rbac = Some(
        serde_yaml::from_str("rules:\n- verbs: [list, watch]\n  resources: [clusterrolebindings]\n  allowed: false\n")
            .unwrap(),
    );
    let demo = start_with(f).await;
    let (ok, _, err) = kubectl(&demo, &["get", "clusterrolebindings"]).await;
    assert!(!ok && err.to_lowercase().contains("forbidden"), "{err}");
    let conn = kubeask_cluster::contexts::Contexts::load(&[demo.kubeconfig()]).unwrap().connect(None).await.unwrap();
    let cache = ClusterCache::start(conn).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let snap = cache.snapshot();
    let why = snap.unreadable.get("ClusterRoleBinding").expect("reported unreadable");
    assert!(why.contains("forbidden"), "{why}");
    assert!(!snap.unreadable.contains_key("ClusterRole"), "the other kinds are read");
    let nc = kubeask_insight::security::not_checked(&snap);
    assert!(nc.iter().any(|n| n.contains("cluster-admin bindings")), "{nc:?}");
}
