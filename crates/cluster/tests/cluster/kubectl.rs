//! kubectl — a client nobody here wrote — against the demo server must
//! agree with the fixture.

use std::collections::BTreeSet;

use kubeask_cluster::timeshift::find_timestamps;
use serde_json::Value;

use crate::support::*;

fn strip_times(s: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (a, b) in find_timestamps(s) {
        out.push_str(&s[last..a]);
        last = b;
    }
    out.push_str(&s[last..]);
    out
}

fn labels(v: &Value) -> serde_json::Map<String, Value> {
    v.pointer("/metadata/labels").and_then(Value::as_object).cloned().unwrap_or_default()
}

fn owner(v: &Value, kind: &str) -> Option<String> {
    v.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r["kind"] == kind)
        .and_then(|r| r["name"].as_str().map(str::to_string))
}

#[tokio::test]
async fn get_pods_all_namespaces_json_lists_exactly_the_fixture_pods() {
    let demo = start().await;
    let out = kubectl_ok(&demo, &["get", "pods", "-A", "-o", "json"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let got: BTreeSet<(String, String)> =
        v["items"].as_array().unwrap().iter().map(|p| (namespace(p), name(p))).collect();
    let want: BTreeSet<(String, String)> = objects("Pod").iter().map(|p| (namespace(p), name(p))).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn get_nodes_prints_each_node_with_its_ready_status() {
    let demo = start().await;
    let out = kubectl_ok(&demo, &["get", "nodes"]).await;
    for node in objects("Node") {
        let ready = node["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{} ", name(&node))))
            .unwrap_or_else(|| panic!("{} missing in\n{out}", name(&node)));
        let status = line.split_whitespace().nth(1).unwrap();
        assert_eq!(status, if ready { "Ready" } else { "NotReady" }, "{line}");
    }
}

#[tokio::test]
async fn describe_pod_shows_its_image_and_warning_events() {
    let demo = start().await;
    let event = objects("Event")
        .into_iter()
        .find(|e| e["type"] == "Warning" && e["involvedObject"]["kind"] == "Pod")
        .expect("a pod warning");
    let (ns, pod) =
        (event["involvedObject"]["namespace"].as_str().unwrap(), event["involvedObject"]["name"].as_str().unwrap());
    let out = kubectl_ok(&demo, &["describe", "pod", "-n", ns, pod]).await;
    let spec = objects("Pod").into_iter().find(|p| name(p) == pod).unwrap();
    assert!(out.contains(spec["spec"]["containers"][0]["image"].as_str().unwrap()), "{out}");
    assert!(out.contains(event["reason"].as_str().unwrap()), "describe lacks event reason:\n{out}");
}

#[tokio::test]
async fn logs_and_previous_logs_match_the_fixture_files() {
    let demo = start().await;
    let f = fixture();
    for previous in [false, true] {
        let (key, text) = f.logs.iter().find(|(k, _)| k.previous == previous).unwrap();
        let mut args = vec!["logs", "-n", &key.namespace, &key.pod, "-c", &key.container];
        if previous {
            args.push("--previous");
        }
        let out = kubectl_ok(&demo, &args).await;
        assert_eq!(strip_times(&out).trim_end(), strip_times(text).trim_end(), "{key:?}");
        let mut tail = args.clone();
        tail.extend(["--tail", "1"]);
        let last = kubectl_ok(&demo, &tail).await;
        assert_eq!(strip_times(last.trim_end()), strip_times(text.trim_end().lines().last().unwrap()));
    }
}

#[tokio::test]
async fn top_pods_and_nodes_report_metrics_for_the_fixture_objects() {
    let demo = start().await;
    let metrics = objects("PodMetrics");
    let ns = namespace(&metrics[0]);
    let out = kubectl_ok(&demo, &["top", "pods", "-n", &ns]).await;
    let got: BTreeSet<String> =
        out.lines().skip(1).filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect();
    let want: BTreeSet<String> = metrics.iter().filter(|m| namespace(m) == ns).map(name).collect();
    assert_eq!(got, want);
    let nodes = kubectl_ok(&demo, &["top", "nodes"]).await;
    for n in objects("NodeMetrics") {
        let line = nodes.lines().find(|l| l.starts_with(&name(&n))).unwrap();
        assert!(line.contains('%') && !line.contains("<unknown>"), "{line}");
    }
}

#[tokio::test]
async fn events_field_selector_returns_only_that_objects_events() {
    let demo = start().await;
    let events = objects("Event");
    let target = events[0]["involvedObject"].clone();
    let (ns, obj) = (target["namespace"].as_str().unwrap(), target["name"].as_str().unwrap());
    let out = kubectl_ok(
        &demo,
        &["get", "events", "-n", ns, "--field-selector", &format!("involvedObject.name={obj}"), "-o", "json"],
    )
    .await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let items = v["items"].as_array().unwrap();
    let want = events.iter().filter(|e| e["involvedObject"]["name"] == obj && namespace(e) == ns).count();
    assert_eq!(items.len(), want);
    assert!(items.iter().all(|e| e["involvedObject"]["name"] == obj));
}

fn healthy_deployment() -> Value {
    objects("Deployment")
        .into_iter()
        .find(|d| {
            let want = d["spec"]["replicas"].as_i64().unwrap_or(1);
            want >= 1
                && d["status"]["readyReplicas"].as_i64() == Some(want)
                && d["status"]["replicas"].as_i64() == Some(want)
        })
        .expect("a healthy deployment")
}

fn selector_of(d: &Value) -> String {
    d["spec"]["selector"]["matchLabels"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn scale_deploy_adds_pods_that_kubectl_then_lists() {
    let demo = start().await;
    let d = healthy_deployment();
    let (ns, dep) = (namespace(&d), name(&d));
    let want = d["spec"]["replicas"].as_i64().unwrap() + 2;
    kubectl_ok(&demo, &["scale", "deploy", &dep, "-n", &ns, &format!("--replicas={want}")]).await;
    let pods = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-l", &selector_of(&d), "-o", "name"]).await;
    assert_eq!(pods.lines().count() as i64, want, "{pods}");
    let out = kubectl_ok(&demo, &["get", "deploy", &dep, "-n", &ns, "-o", "json"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spec"]["replicas"], want);
    assert_eq!(v["status"]["readyReplicas"], want);
    kubectl_ok(&demo, &["scale", "deploy", &dep, "-n", &ns, "--replicas=0"]).await;
    let none = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-l", &selector_of(&d), "-o", "name"]).await;
    assert_eq!(none.trim(), "");
}

#[tokio::test]
async fn rollout_restart_replaces_pods_under_a_new_replicaset() {
    let demo = start().await;
    let d = healthy_deployment();
    let (ns, dep) = (namespace(&d), name(&d));
    let before = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-l", &selector_of(&d), "-o", "name"]).await;
    kubectl_ok(&demo, &["rollout", "restart", "deploy", &dep, "-n", &ns]).await;
    let after = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-l", &selector_of(&d), "-o", "json"]).await;
    let v: Value = serde_json::from_str(&after).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), before.lines().count());
    for p in items {
        assert!(!before.contains(&format!("pod/{}\n", name(p))), "pod {} survived the restart", name(p));
        assert!(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"].is_string());
    }
    let rs = kubectl_ok(&demo, &["get", "rs", "-n", &ns, "-l", &selector_of(&d), "-o", "json"]).await;
    let rs: Value = serde_json::from_str(&rs).unwrap();
    let active: Vec<&Value> =
        rs["items"].as_array().unwrap().iter().filter(|r| r["spec"]["replicas"].as_i64() > Some(0)).collect();
    assert_eq!(active.len(), 1, "exactly one active ReplicaSet after the rollout");
}

#[tokio::test]
async fn delete_pod_of_a_replicaset_brings_a_replacement_with_a_new_name() {
    let demo = start().await;
    let pod = objects("Pod").into_iter().find(|p| owner(p, "ReplicaSet").is_some()).unwrap();
    let (ns, victim, rs) = (namespace(&pod), name(&pod), owner(&pod, "ReplicaSet").unwrap());
    let count = objects("Pod").iter().filter(|p| owner(p, "ReplicaSet").as_deref() == Some(&rs)).count();
    kubectl_ok(&demo, &["delete", "pod", "-n", &ns, &victim]).await;
    let out = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-o", "json"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    let siblings: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| owner(p, "ReplicaSet").as_deref() == Some(&rs))
        .map(name)
        .collect();
    assert_eq!(siblings.len(), count);
    assert!(!siblings.contains(&victim));
    let (ok, _, err) = kubectl(&demo, &["get", "pod", "-n", &ns, &victim]).await;
    assert!(!ok && err.contains("NotFound") || err.contains("not found"), "{err}");
}

#[tokio::test]
async fn auth_can_i_answers_from_the_fixture_rbac() {
    let demo = start().await;
    assert_eq!(kubectl_ok(&demo, &["auth", "can-i", "delete", "pods"]).await.trim(), "yes");
    let mut f = fixture();
    f.rbac = Some(serde_yaml::from_str("rules:\n- verbs: [delete]\n  resources: [pods]\n  allowed: false\n").unwrap());
    let restricted = start_with(f).await;
    let (ok, out, _) = kubectl(&restricted, &["auth", "can-i", "delete", "pods", "-n", "default"]).await;
    assert!(!ok);
    assert!(out.trim().starts_with("no"), "{out}");
    let (ok, _, err) = kubectl(&restricted, &["delete", "pod", "-n", "default", "whatever"]).await;
    assert!(!ok && err.contains("Forbidden") || err.contains("forbidden"), "{err}");
}

#[tokio::test]
async fn get_all_shows_pods_services_and_workloads_of_a_namespace() {
    let demo = start().await;
    let d = healthy_deployment();
    let ns = namespace(&d);
    let out = kubectl_ok(&demo, &["get", "all", "-n", &ns]).await;
    assert!(out.contains(&format!("deployment.apps/{}", name(&d))), "{out}");
    for p in objects("Pod").iter().filter(|p| namespace(p) == ns) {
        assert!(out.contains(&format!("pod/{}", name(p))), "pod {} missing", name(p));
    }
    assert!(out.contains("service/") && out.contains("replicaset.apps/"));
}

#[tokio::test]
async fn label_selectors_from_kubectl_match_the_fixture_labels() {
    let demo = start().await;
    let pods = objects("Pod");
    let app = pods.iter().find_map(|p| labels(p).get("app").and_then(Value::as_str).map(str::to_string)).unwrap();
    for (sel, pred) in [
        (
            format!("app={app}"),
            Box::new(|l: &serde_json::Map<String, Value>| l.get("app").and_then(Value::as_str) == Some(&app))
                as Box<dyn Fn(&_) -> bool>,
        ),
        (
            format!("app!={app}"),
            Box::new(|l: &serde_json::Map<String, Value>| l.get("app").and_then(Value::as_str) != Some(&app)),
        ),
        (
            format!("app in ({app},nothing)"),
            Box::new(|l: &serde_json::Map<String, Value>| l.get("app").and_then(Value::as_str) == Some(&app)),
        ),
        ("!app".to_string(), Box::new(|l: &serde_json::Map<String, Value>| !l.contains_key("app"))),
    ] {
        let out = kubectl_ok(&demo, &["get", "pods", "-A", "-l", &sel, "-o", "json"]).await;
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: BTreeSet<String> = v["items"].as_array().unwrap().iter().map(name).collect();
        let want: BTreeSet<String> = pods.iter().filter(|p| pred(&labels(p))).map(name).collect();
        assert_eq!(got, want, "selector {sel}");
    }
}
