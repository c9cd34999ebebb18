//! Safe actions on the demo server through the real kube client: a plan's
//! dry run changes nothing, apply changes what the plan showed, kubectl
//! sees the same after each step, undo puts it back, and every refusal
//! (RBAC, a changed object, a read-only context) leaves the cluster as it
//! was and is in the audit log.

use std::time::Duration;

use kubeask_cluster::actions::audit::Audit;
use kubeask_cluster::actions::policy::{Mode, Policies};
use kubeask_cluster::actions::{self, Action, ActionError, Guard, Target};
use kubeask_cluster::contexts::{Connection, Contexts};
use serde_json::Value;

use crate::support::{self, kubectl_ok, Demo};

const DEADLINE: Duration = Duration::from_secs(20);

async fn connect(demo: &Demo) -> Connection {
    Contexts::load(&[demo.kubeconfig()]).unwrap().connect(Some("kubeask-demo")).await.unwrap()
}

/// An audit log and policies of the test's own (in the demo's temp dir).
fn guard(demo: &Demo) -> Guard {
    let dir = demo.dir.path();
    Guard {
        audit: Audit::open(&dir.join("audit.sqlite")).unwrap(),
        policies: Policies::load(&dir.join("policies.json")).unwrap(),
    }
}

/// A Deployment of the fixture whose pods are all ready, with two or more.
fn healthy_deployment() -> (String, String, i64, String) {
    support::objects("Deployment")
        .into_iter()
        .find_map(|d| {
            let want = d.pointer("/spec/replicas")?.as_i64()?;
            let ready = d.pointer("/status/readyReplicas")?.as_i64()?;
            let container = d.pointer("/spec/template/spec/containers/0/name")?.as_str()?.to_string();
            (want >= 2 && ready == want).then(|| (support::namespace(&d), support::name(&d), want, container))
        })
        .expect("the fixture has a healthy deployment")
}

async fn jsonpath(demo: &Demo, kind: &str, ns: &str, name: &str, path: &str) -> String {
    let mut args = vec!["get", kind, name, "-o"];
    let jp = format!("jsonpath={path}");
    args.push(&jp);
    if !ns.is_empty() {
        args.extend(["-n", ns]);
    }
    kubectl_ok(demo, &args).await
}

#[tokio::test]
async fn scale_plans_with_a_dry_run_applies_verifies_and_undoes() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let (ns, name, before, _) = healthy_deployment();
    let action =
        Action::Scale { target: Target::parse(&format!("deployment/{name}"), &ns).unwrap(), replicas: before + 2 };

    let plan = actions::plan(&conn, &action).await.unwrap();
    assert!(plan.permitted(), "{:?}", plan.permissions);
    assert_eq!(plan.diff.len(), 1, "{:?}", plan.diff);
    assert_eq!(plan.diff[0].path, "spec.replicas");
    assert_eq!((plan.diff[0].before.as_i64(), plan.diff[0].after.as_i64()), (Some(before), Some(before + 2)));
    assert_eq!(
        jsonpath(&demo, "deployment", &ns, &name, "{.spec.replicas}").await,
        before.to_string(),
        "the dry run changed nothing"
    );

    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    assert_eq!(jsonpath(&demo, "deployment", &ns, &name, "{.status.readyReplicas}").await, (before + 2).to_string());

    let undo = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap();
    assert_eq!(undo.action, Action::Scale { target: action.target().clone(), replicas: before });
    let undone = actions::apply_undo(&conn, &undo, &guard, done.audit_id, DEADLINE).await.unwrap();
    assert!(undone.converged, "{}", undone.result);
    assert_eq!(jsonpath(&demo, "deployment", &ns, &name, "{.spec.replicas}").await, before.to_string());
    let again = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap_err();
    assert!(again.to_string().contains("undone already"), "{again}");

    let log = guard.audit.list(10).unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].undoes, Some(done.audit_id));
    assert!(!log[0].cluster_user.is_empty(), "the context's kubeconfig user is recorded");
    assert!(log.iter().all(|e| e.step == "applied" && e.outcome.starts_with("done")), "{log:?}");
}

#[tokio::test]
async fn set_image_restart_and_a_wrong_container_name() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let (ns, name, _, container) = healthy_deployment();
    let target = Target::parse(&format!("deploy/{name}"), &ns).unwrap();
    let old_image = jsonpath(&demo, "deployment", &ns, &name, "{.spec.template.spec.containers[0].image}").await;

    let wrong = Action::SetImage { target: target.clone(), container: "no-such".into(), image: "x:1".into() };
    let e = actions::plan(&conn, &wrong).await.unwrap_err();
    assert!(matches!(e, ActionError::Invalid(_)) && e.to_string().contains(&container), "{e}");

    let set = Action::SetImage {
        target: target.clone(),
        container: container.clone(),
        image: "registry.example/new:2".into(),
    };
    let plan = actions::plan(&conn, &set).await.unwrap();
    assert_eq!(plan.diff.len(), 1, "{:?}", plan.diff);
    assert_eq!(plan.diff[0].path, format!("spec.template.spec.containers[name={container}].image"));
    let pods_before = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-o", "name"]).await;
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    let image = jsonpath(&demo, "deployment", &ns, &name, "{.spec.template.spec.containers[0].image}").await;
    assert_eq!(image, "registry.example/new:2");
    let undo = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap();
    actions::apply_undo(&conn, &undo, &guard, done.audit_id, DEADLINE).await.unwrap();
    let image = jsonpath(&demo, "deployment", &ns, &name, "{.spec.template.spec.containers[0].image}").await;
    assert_eq!(image, old_image);

    let restart = actions::plan(&conn, &Action::Restart { target }).await.unwrap();
    assert!(restart.diff.iter().any(|c| c.path.contains("restartedAt")), "{:?}", restart.diff);
    assert!(restart.undo.is_none(), "a restart cannot be undone");
    let done = actions::apply(&conn, &restart, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    let pods_after = kubectl_ok(&demo, &["get", "pods", "-n", &ns, "-o", "name"]).await;
    assert_ne!(pods_before, pods_after, "the restart replaced pods");
    let e = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap_err();
    assert!(e.to_string().contains("cannot be undone"), "{e}");
}

#[tokio::test]
async fn delete_cordon_and_suspend_round_trip() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    // A pod with a controller: deleted, and replaced.
    let pod = support::objects("Pod")
        .into_iter()
        .find(|p| p.pointer("/metadata/ownerReferences/0/kind").and_then(Value::as_str) == Some("ReplicaSet"))
        .unwrap();
    let (pns, pname) = (support::namespace(&pod), support::name(&pod));
    let del = Action::DeletePod { target: Target::parse(&format!("pod/{pname}"), &pns).unwrap() };
    let plan = actions::plan(&conn, &del).await.unwrap();
    assert!(plan.blast_radius[0].contains("replacement"), "{:?}", plan.blast_radius);
    kubectl_ok(&demo, &["get", "pod", &pname, "-n", &pns]).await;
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged && !done.undoable, "{done:?}");
    let (ok, _, err) = support::kubectl(&demo, &["get", "pod", &pname, "-n", &pns]).await;
    assert!(!ok && err.contains("NotFound"), "{err}");

    let node = support::name(&support::objects("Node")[0]);
    let cordon = Action::Cordon { target: Target::parse(&format!("node/{node}"), "ignored").unwrap() };
    let plan = actions::plan(&conn, &cordon).await.unwrap();
    assert!(plan.diff.iter().any(|c| c.path == "spec.unschedulable"), "{:?}", plan.diff);
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    let nodes = kubectl_ok(&demo, &["get", "node", &node]).await;
    assert!(nodes.contains("SchedulingDisabled"), "{nodes}");
    let undo = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap();
    assert!(matches!(undo.action, Action::Uncordon { .. }));
    actions::apply_undo(&conn, &undo, &guard, done.audit_id, DEADLINE).await.unwrap();
    assert!(!kubectl_ok(&demo, &["get", "node", &node]).await.contains("SchedulingDisabled"));

    let cj = support::objects("CronJob")
        .into_iter()
        .find(|c| c.pointer("/spec/suspend") != Some(&Value::Bool(true)))
        .unwrap();
    let (cns, cname) = (support::namespace(&cj), support::name(&cj));
    let suspend = Action::Suspend { target: Target::parse(&format!("cronjob/{cname}"), &cns).unwrap() };
    let plan = actions::plan(&conn, &suspend).await.unwrap();
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    assert_eq!(jsonpath(&demo, "cronjob", &cns, &cname, "{.spec.suspend}").await, "true");
    let undo = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap();
    actions::apply_undo(&conn, &undo, &guard, done.audit_id, DEADLINE).await.unwrap();
    assert_eq!(jsonpath(&demo, "cronjob", &cns, &cname, "{.spec.suspend}").await, "false");
}

#[tokio::test]
async fn refusals_change_nothing_and_are_audited() {
    let mut f = support::fixture();
    f.rbac =
        Some(serde_yaml::from_str("rules:\n- verbs: [patch]\n  resources: [deployments]\n  allowed: false\n").unwrap());
    let demo = support::start_with(f).await;
    let conn = connect(&demo).await;
    let mut guard = guard(&demo);
    let (ns, name, before, _) = healthy_deployment();
    let target = Target::parse(&format!("deployment/{name}"), &ns).unwrap();

    // RBAC: offered as not permitted, the missing permission named.
    let plan = actions::plan(&conn, &Action::Scale { target: target.clone(), replicas: before + 1 }).await.unwrap();
    assert!(!plan.permitted());
    assert_eq!(plan.missing(), [format!("patch deployments in {ns}")]);
    let e = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap_err();
    assert_eq!(e.code(), "FORBIDDEN", "{e}");

    // A changed object: the plan is stale.
    let pod_plan = {
        let pod = support::objects("Pod").into_iter().find(|p| support::namespace(p) == ns).unwrap();
        let t = Target::parse(&format!("pod/{}", support::name(&pod)), &ns).unwrap();
        let plan = actions::plan(&conn, &Action::DeletePod { target: t.clone() }).await.unwrap();
        kubectl_ok(&demo, &["label", "pod", &t.name, "-n", &ns, "touched=yes"]).await;
        plan
    };
    let e = actions::apply(&conn, &pod_plan, &guard, DEADLINE).await.unwrap_err();
    assert_eq!(e.code(), "CONFLICT", "{e}");
    kubectl_ok(&demo, &["get", "pod", &pod_plan.action.target().name, "-n", &ns]).await;

    // A production-looking context is read-only until its policy says otherwise.
    let prod = Connection { context: "eu-prod-1".into(), ..conn.clone() };
    let node = support::name(&support::objects("Node")[0]);
    let cordon = Action::Cordon { target: Target::parse(&format!("node/{node}"), "").unwrap() };
    let plan = actions::plan(&prod, &cordon).await.unwrap();
    let e = actions::apply(&prod, &plan, &guard, DEADLINE).await.unwrap_err();
    assert_eq!(e.code(), "READ_ONLY", "{e}");
    assert!(!kubectl_ok(&demo, &["get", "node", &node]).await.contains("SchedulingDisabled"));
    guard.policies.set("eu-prod-1", Mode::ConfirmEach).unwrap();
    actions::apply(&prod, &plan, &guard, DEADLINE).await.unwrap();
    assert!(kubectl_ok(&demo, &["get", "node", &node]).await.contains("SchedulingDisabled"));

    let log = guard.audit.list(10).unwrap();
    let refused: Vec<&str> = log.iter().filter(|e| e.step == "refused").map(|e| e.outcome.as_str()).collect();
    assert_eq!(refused.len(), 3, "{log:?}");
    assert!(refused.iter().any(|o| o.contains("not permitted")) && refused.iter().any(|o| o.contains("changed since")));
}

#[tokio::test]
async fn set_resources_and_rollback_to_the_previous_revision() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let (ns, name, _, container) = healthy_deployment();
    let target = Target::parse(&format!("deployment/{name}"), &ns).unwrap();
    let limit_path = "{.spec.template.spec.containers[0].resources.limits.memory}";
    let old_limit = jsonpath(&demo, "deployment", &ns, &name, limit_path).await;

    let limits = [("memory".to_string(), "777Mi".to_string())].into();
    let set = Action::SetResources { target: target.clone(), container, requests: Default::default(), limits };
    let plan = actions::plan(&conn, &set).await.unwrap();
    assert!(
        plan.diff.iter().any(|c| c.path.ends_with("resources.limits.memory") && c.after == "777Mi"),
        "{:?}",
        plan.diff
    );
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    assert_eq!(jsonpath(&demo, "deployment", &ns, &name, limit_path).await, "777Mi");

    // The change made a new revision; rolling back restores the old template.
    let back = actions::plan(&conn, &Action::Rollback { target: target.clone(), revision: None }).await.unwrap();
    assert!(
        back.diff.iter().any(|c| c.path.ends_with("resources.limits.memory") && c.before == "777Mi"),
        "{:?}",
        back.diff
    );
    let done = actions::apply(&conn, &back, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    assert_eq!(jsonpath(&demo, "deployment", &ns, &name, limit_path).await, old_limit);
    let rollout = kubectl_ok(&demo, &["rollout", "history", &format!("deployment/{name}"), "-n", &ns]).await;
    assert!(rollout.contains("REVISION"), "{rollout}");

    let e = actions::plan(&conn, &Action::Rollback { target, revision: Some(99) }).await.unwrap_err();
    assert!(e.to_string().contains("no revision 99"), "{e}");
}

#[tokio::test]
async fn an_hpa_at_its_maximum_gets_more_room_and_the_undo_puts_it_back() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let hpa = support::objects("HorizontalPodAutoscaler")
        .into_iter()
        .find(|h| h.pointer("/status/currentReplicas") == h.pointer("/spec/maxReplicas"))
        .expect("the fixture has an HPA at its maximum");
    let (ns, name) = (support::namespace(&hpa), support::name(&hpa));
    let max = hpa.pointer("/spec/maxReplicas").and_then(Value::as_i64).unwrap();
    // The analyzers propose the fix; the plan shows what it changes.
    let mut snap = kubeask_cluster::insight::snapshot::Snapshot::default();
    for o in support::fixture().objects {
        snap.insert_json(o.value).unwrap();
    }
    let findings = kubeask_cluster::insight::analyze::analyze(&snap, &Default::default());
    let fix = findings
        .iter()
        .find(|f| f.object.name == name && f.object.kind == "HorizontalPodAutoscaler")
        .and_then(|f| f.fix.clone());
    let Some(action @ Action::SetHpa { max: Some(new_max), .. }) = fix else { panic!("no HPA fix proposed: {fix:?}") };
    assert!(new_max > max);
    let plan = actions::plan(&conn, &action).await.unwrap();
    assert_eq!(plan.diff[0].path, "spec.maxReplicas", "{:?}", plan.diff);
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged, "{}", done.result);
    assert_eq!(jsonpath(&demo, "hpa", &ns, &name, "{.spec.maxReplicas}").await, new_max.to_string());
    let undo = actions::undo_plan(&conn, &guard.audit, done.audit_id).await.unwrap();
    actions::apply_undo(&conn, &undo, &guard, done.audit_id, DEADLINE).await.unwrap();
    assert_eq!(jsonpath(&demo, "hpa", &ns, &name, "{.spec.maxReplicas}").await, max.to_string());
    let bad = Action::SetHpa { target: action.target().clone(), min: Some(5), max: Some(2) };
    assert_eq!(actions::plan(&conn, &bad).await.unwrap_err().code(), "INVALID");
}

/// A drain evicts what it may, waits for what a PodDisruptionBudget holds
/// back, and says which pod and which budget when its deadline passes; the
/// node stays cordoned until the undo uncordons it.
#[tokio::test]
async fn a_drain_respects_a_disruption_budget_and_names_what_it_waits_for() {
    let mut f = support::fixture();
    // A pod owned by a ReplicaSet, on a node with other pods.
    let pods = support::objects("Pod");
    let on = |n: &str| pods.iter().filter(|p| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(n)).count();
    let held = pods
        .iter()
        .find(|p| {
            p.pointer("/metadata/ownerReferences/0/kind").and_then(Value::as_str) == Some("ReplicaSet")
                && p.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| on(n) > 2)
        })
        .unwrap()
        .clone();
    let node = held.pointer("/spec/nodeName").and_then(Value::as_str).unwrap().to_string();
    let (ns, pod) = (support::namespace(&held), support::name(&held));
    let labels = held.pointer("/metadata/labels").unwrap().clone();
    let pdb = serde_json::json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "hold-all", "namespace": ns},
        "spec": {"maxUnavailable": 0, "selector": {"matchLabels": labels}}});
    f.objects.push(kubeask_cluster::fixture::FixtureObject {
        api_version: "policy/v1".into(),
        kind: "PodDisruptionBudget".into(),
        value: pdb,
    });
    let demo = support::start_with(f).await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);

    let drain = Action::Drain { target: Target::parse(&format!("node/{node}"), "").unwrap() };
    let plan = actions::plan(&conn, &drain).await.unwrap();
    let radius = plan.blast_radius.join("\n");
    assert!(radius.contains(&format!("holds back {ns}/{pod}")) && radius.contains("hold-all"), "{radius}");
    assert!(plan.permissions.iter().any(|p| p.resource == "pods/eviction" && p.allowed), "{:?}", plan.permissions);

    let e = actions::apply(&conn, &plan, &guard, Duration::from_secs(2)).await.unwrap_err();
    assert_eq!(e.code(), "TIMEOUT", "{e}");
    assert!(e.to_string().contains(&pod), "{e}");
    let nodes = kubectl_ok(&demo, &["get", "node", &node]).await;
    assert!(nodes.contains("SchedulingDisabled"), "{nodes}");
    let left =
        kubectl_ok(&demo, &["get", "pods", "-A", "--field-selector", &format!("spec.nodeName={node}"), "-o", "name"])
            .await;
    let left: Vec<&str> = left.lines().collect();
    assert!(left.contains(&format!("pod/{pod}").as_str()), "the held pod stays: {left:?}");
    assert!(left.len() < on(&node), "the others were evicted: {left:?}");

    let entry = guard.audit.list(1).unwrap().remove(0);
    assert!(entry.outcome.starts_with("partly done"), "{}", entry.outcome);
    let undo = actions::undo_plan(&conn, &guard.audit, entry.id).await.unwrap();
    assert!(matches!(undo.action, Action::Uncordon { .. }));
    actions::apply_undo(&conn, &undo, &guard, entry.id, DEADLINE).await.unwrap();
    assert!(!kubectl_ok(&demo, &["get", "node", &node]).await.contains("SchedulingDisabled"));
}

/// A change whose pods never become ready is reported as applied but not
/// converged when the deadline passes, and the audit log says so.
#[tokio::test]
async fn a_change_that_does_not_converge_says_so_at_its_deadline() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let broken = support::objects("Deployment")
        .into_iter()
        .find(|d| d.pointer("/status/readyReplicas").and_then(Value::as_i64).unwrap_or(0) == 0)
        .expect("the fixture has a deployment with no ready pod");
    let (ns, name) = (support::namespace(&broken), support::name(&broken));
    let replicas = broken.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1) + 1;
    let action = Action::Scale { target: Target::parse(&format!("deployment/{name}"), &ns).unwrap(), replicas };
    let plan = actions::plan(&conn, &action).await.unwrap();
    let done = actions::apply(&conn, &plan, &guard, Duration::from_secs(1)).await.unwrap();
    assert!(!done.converged, "{done:?}");
    assert!(done.result.contains("the deadline"), "{}", done.result);
    assert_eq!(jsonpath(&demo, "deployment", &ns, &name, "{.spec.replicas}").await, replicas.to_string());
    let entry = guard.audit.get(done.audit_id).unwrap().unwrap();
    assert!(entry.outcome.starts_with("not converged"), "{}", entry.outcome);
}

#[tokio::test]
async fn trigger_starts_a_job_from_a_cronjob_template_once() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let cj = &support::objects("CronJob")[0];
    let (ns, name) = (support::namespace(cj), support::name(cj));
    let action =
        Action::Trigger { target: Target::parse(&format!("cronjob/{name}"), &ns).unwrap(), job: "by-hand-1".into() };
    let plan = actions::plan(&conn, &action).await.unwrap();
    assert!(plan.diff[0].path.contains("by-hand-1"), "{:?}", plan.diff);
    let (ok, _, _) = support::kubectl(&demo, &["get", "job", "by-hand-1", "-n", &ns]).await;
    assert!(!ok, "the dry run created nothing");
    let done = actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert!(done.converged && !done.undoable, "{done:?}");
    let owner = jsonpath(&demo, "job", &ns, "by-hand-1", "{.metadata.ownerReferences[0].name}").await;
    assert_eq!(owner, name);
    // The same name again: refused by the server, said plainly.
    let e = actions::plan(&conn, &action).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let bad = Action::Trigger { target: action.target().clone(), job: "Not_A_Name".into() };
    assert_eq!(actions::plan(&conn, &bad).await.unwrap_err().code(), "INVALID");
}

/// Server-side apply: a new object is created (the dry run creates
/// nothing), the field manager is recorded, a field another manager owns
/// is a conflict that names it, and force takes it over.
#[tokio::test]
async fn apply_creates_records_its_fields_and_reports_conflicts_until_forced() {
    let demo = support::start().await;
    let conn = connect(&demo).await;
    let guard = guard(&demo);
    let ns = support::namespace(&support::objects("Deployment")[0]);
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-by-kubeask\ndata:\n  mode: safe\n";
    let action = Action::apply_from_yaml(cm, &ns, false).unwrap();
    let plan = actions::plan(&conn, &action).await.unwrap();
    assert!(plan.summary.starts_with("create"), "{}", plan.summary);
    assert!(plan.diff.iter().any(|c| c.path == "data.mode" && c.after == "safe"), "{:?}", plan.diff);
    let (ok, _, _) = support::kubectl(&demo, &["get", "configmap", "applied-by-kubeask", "-n", &ns]).await;
    assert!(!ok, "the dry run created nothing");
    actions::apply(&conn, &plan, &guard, DEADLINE).await.unwrap();
    assert_eq!(jsonpath(&demo, "configmap", &ns, "applied-by-kubeask", "{.data.mode}").await, "safe");
    let managers =
        jsonpath(&demo, "configmap", &ns, "applied-by-kubeask", "{.metadata.managedFields[*].manager}").await;
    assert_eq!(managers, "kubeask");

    // Another manager owns data.mode with another value: a conflict, then force.
    let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> = kube::Api::namespaced(conn.client.clone(), &ns);
    let theirs = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied-by-kubeask"}, "data": {"mode": "fast"}});
    let pp = kube::api::PatchParams::apply("other-tool").force();
    api.patch("applied-by-kubeask", &pp, &kube::api::Patch::Apply(&theirs)).await.unwrap();
    let e = actions::plan(&conn, &Action::apply_from_yaml(cm, &ns, false).unwrap()).await.unwrap_err();
    assert!(e.to_string().contains("other-tool") && e.to_string().contains(".data.mode"), "{e}");
    let forced = actions::plan(&conn, &Action::apply_from_yaml(cm, &ns, true).unwrap()).await.unwrap();
    actions::apply(&conn, &forced, &guard, DEADLINE).await.unwrap();
    assert_eq!(jsonpath(&demo, "configmap", &ns, "applied-by-kubeask", "{.data.mode}").await, "safe");
    let two = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
    assert!(Action::apply_from_yaml(two, &ns, false).unwrap_err().contains("one document"));
}
