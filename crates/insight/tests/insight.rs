//! The analyzers against the sample fixture: each planted problem is found
//! with its evidence, and healthy objects get no finding.

use std::path::{Path, PathBuf};

use kubeask_insight::analyze::{analyze, logs_wanted, Finding, Severity};
use kubeask_insight::snapshot::{LogTexts, Snapshot};

fn fixture_dir() -> PathBuf {
    // NB: read at run time, not baked in with env!(): CI clones share one
    // target dir, and cargo may reuse a test binary built in another clone.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run through cargo test");
    Path::new(&manifest).join("../../tests/fixtures/acme-shop")
}

fn sample() -> (Snapshot, LogTexts) {
    let text = std::fs::read_to_string(fixture_dir().join("cluster.yaml")).unwrap();
    let snap = Snapshot::from_yaml(&text, Some("2026-11-20T12:00:00Z".parse().unwrap())).unwrap();
    let mut logs = LogTexts::new();
    for (ns, pod, container, previous) in logs_wanted(&snap) {
        let file = if previous { format!("{container}.previous.log") } else { format!("{container}.log") };
        if let Ok(t) = std::fs::read_to_string(fixture_dir().join("logs").join(&ns).join(&pod).join(file)) {
            logs.insert((ns, pod, container, previous), t);
        }
    }
    (snap, logs)
}

fn about<'a>(findings: &'a [Finding], kind: &str, name_prefix: &str) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| {
            (f.object.kind == kind || f.workload.kind == kind)
                && (f.object.name.starts_with(name_prefix) || f.workload.name == name_prefix)
        })
        .collect()
}

#[test]
fn every_planted_problem_is_found_with_its_evidence() {
    let (snap, logs) = sample();
    let f = analyze(&snap, &logs);
    let crash = about(&f, "Deployment", "checkout");
    assert!(
        crash
            .iter()
            .any(|x| x.title.contains("CrashLoopBackOff")
                && x.evidence.iter().any(|e| e.contains("PAYMENT_SERVICE_URL"))),
        "{crash:#?}"
    );
    assert!(about(&f, "Deployment", "recommendations")
        .iter()
        .any(|x| x.title.contains("ImagePullBackOff") && x.likely_cause.contains("does not exist")));
    assert!(about(&f, "Deployment", "payments-api")
        .iter()
        .any(|x| x.title.contains("OOMKilled") && x.evidence.iter().any(|e| e.contains("512Mi"))));
    assert!(about(&f, "Deployment", "shipping").iter().any(|x| x.title.contains("Insufficient cpu")));
    assert!(about(&f, "Service", "ledger").iter().any(|x| x.title.contains("no pods match")));
    assert!(about(&f, "Job", "orders-backfill").iter().any(|x| x.title.contains("BackoffLimitExceeded")
        && x.evidence.iter().any(|e| e.contains("cannot reach MongoDB") || e.contains("Name or service not known"))));
    assert!(about(&f, "CronJob", "reports-export")
        .iter()
        .any(|x| x.title.contains("suspended") && x.severity == Severity::Info));
    assert!(about(&f, "PersistentVolumeClaim", "reports-archive").iter().any(|x| x.title.contains("Pending")));
    assert!(about(&f, "HorizontalPodAutoscaler", "frontend").iter().any(|x| x.title.contains("maximum")));
    assert!(f
        .iter()
        .any(|x| x.object.kind == "Node" && x.object.name == "shop-node-3" && x.severity == Severity::Critical));
}

#[test]
fn healthy_objects_get_no_finding_and_no_problem_is_reported_twice() {
    let (snap, logs) = sample();
    let f = analyze(&snap, &logs);
    for healthy in [
        "cart",
        "catalog",
        "redis",
        "mongodb",
        "email",
        "grafana",
        "prometheus",
        "coredns",
        "shop-node-1",
        "shop-node-2",
    ] {
        assert!(
            !f.iter().any(|x| x.workload.name == healthy || x.object.name == healthy),
            "false finding about {healthy}: {:#?}",
            f.iter().filter(|x| x.workload.name == healthy).collect::<Vec<_>>()
        );
    }
    let checkout: Vec<_> = f.iter().filter(|x| x.workload.name == "checkout").collect();
    assert_eq!(checkout.len(), 1, "checkout reported more than once: {checkout:#?}");
}

#[test]
fn findings_are_sorted_worst_first() {
    let (snap, logs) = sample();
    let f = analyze(&snap, &logs);
    assert!(f.windows(2).all(|w| w[0].severity <= w[1].severity));
    assert_eq!(f.first().map(|x| x.severity), Some(Severity::Critical));
}

#[test]
fn an_empty_cluster_or_missing_status_fields_never_panics() {
    assert!(analyze(&Snapshot::default(), &LogTexts::new()).is_empty());
    let bare =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: default\nspec:\n  containers:\n  - name: c\n";
    let snap = Snapshot::from_yaml(bare, None).unwrap();
    let _ = analyze(&snap, &LogTexts::new());
}

mod tools {
    use kubeask_insight::tools::describe::DescribeArgs;
    use kubeask_insight::tools::find::{matches, FindArgs};
    use kubeask_insight::tools::list::ListArgs;
    use kubeask_insight::tools::logs::{render, resolve, LogsArgs};
    use kubeask_insight::tools::misc::{OwnersArgs, PodsOfArgs, SummaryArgs, TopArgs};
    use kubeask_insight::tools::{run, schemas, ToolCall, ToolError};

    use super::sample;

    #[test]
    fn find_resolves_typos_partial_names_and_hash_suffixed_names() {
        let (snap, _) = sample();
        let best = |t: &str| {
            matches(&snap, t, None).into_iter().next().map(|m| (m.object.kind, m.object.name)).unwrap_or_default()
        };
        assert_eq!(best("recomendations"), ("Deployment".into(), "recommendations".into()));
        assert_eq!(best("paymnts-api"), ("Deployment".into(), "payments-api".into()));
        assert_eq!(best("checkout-5b777f5b94-g82t6"), ("Pod".into(), "checkout-5b777f5b94-g82t6".into()));
        assert_eq!(best("mongodb-0"), ("Pod".into(), "mongodb-0".into()));
        let pods = matches(&snap, "checkout", Some(kubeask_insight::kind::Kind::Pod));
        assert_eq!(pods.first().map(|m| m.object.name.as_str()), Some("checkout-5b777f5b94-g82t6"));
        assert!(matches(&snap, "zzzz-nothing", None).is_empty());
        let partial = run(&snap, &ToolCall::Find(FindArgs { term: "payments".into(), kind: None })).unwrap();
        assert!(partial.text.contains("payments-api"));
    }

    #[test]
    fn list_filters_by_namespace_status_node_and_selector() {
        let (snap, _) = sample();
        let l = |a: ListArgs| run(&snap, &ToolCall::List(a)).unwrap();
        let shop = l(ListArgs { kind: "pods".into(), namespace: Some("shop".into()), ..Default::default() });
        assert_eq!(shop.objects.len(), 17);
        assert!(shop.kubectl.contains("-n shop"));
        let bad = l(ListArgs {
            kind: "pod".into(),
            namespace: Some("shop".into()),
            status: Some("not-running".into()),
            ..Default::default()
        });
        assert_eq!(bad.objects.len(), 3);
        let sel = l(ListArgs { kind: "pod".into(), selector: Some("app=mongodb".into()), ..Default::default() });
        assert_eq!(sel.objects.len(), 3);
        let node = l(ListArgs { kind: "pod".into(), node: Some("shop-node-1".into()), ..Default::default() });
        assert!(node.text.lines().skip(1).all(|line| line.contains("node shop-node-1")));
        assert!(matches!(
            run(&snap, &ToolCall::List(ListArgs { kind: "widgets".into(), ..Default::default() })),
            Err(ToolError::BadArgument { .. })
        ));
    }

    #[test]
    fn describe_shows_termination_resources_and_hides_secrets() {
        let (snap, _) = sample();
        let d = run(
            &snap,
            &ToolCall::Describe(DescribeArgs {
                kind: "pod".into(),
                name: "payments-api-6cdbd95bf8-x6t8p".into(),
                namespace: None,
            }),
        )
        .unwrap();
        assert!(d.text.contains("OOMKilled") && d.text.contains("memory=512Mi"), "{}", d.text);
        let cart = run(
            &snap,
            &ToolCall::Describe(DescribeArgs {
                kind: "pod".into(),
                name: "cart".into(),
                namespace: Some("shop".into()),
            }),
        )
        .unwrap();
        assert!(cart.text.contains("LOG_LEVEL=info"), "{}", cart.text);
        for p in &snap.pods {
            let t = run(
                &snap,
                &ToolCall::Describe(DescribeArgs {
                    kind: "pod".into(),
                    name: p.metadata.name.clone().unwrap(),
                    namespace: p.metadata.namespace.clone(),
                }),
            )
            .unwrap()
            .text;
            for e in p.spec.iter().flat_map(|s| s.containers.iter()).flat_map(|c| c.env.iter().flatten()) {
                if e.value_from.as_ref().and_then(|v| v.secret_key_ref.as_ref()).is_some() {
                    assert!(t.contains(&format!("env {}=<secret", e.name)), "{t}");
                }
            }
        }
        let missing = run(
            &snap,
            &ToolCall::Describe(DescribeArgs {
                kind: "deployment".into(),
                name: "paymnts-api".into(),
                namespace: None,
            }),
        );
        assert!(
            matches!(&missing, Err(ToolError::NotFound { suggestions, .. }) if suggestions.contains(&"payments-api".to_string())),
            "{missing:?}"
        );
    }

    #[test]
    fn logs_resolve_workloads_to_their_pods_and_mask_secrets() {
        let (snap, _) = sample();
        let reqs = resolve(
            &snap,
            &LogsArgs { target: "frontend".into(), previous: Some(false), tail: Some(10), ..Default::default() },
        )
        .unwrap();
        assert!(!reqs.is_empty() && reqs.iter().all(|r| r.pod.starts_with("frontend-") && r.tail == 10));
        let one = resolve(
            &snap,
            &LogsArgs { target: "prometheus".into(), container: Some("config-reloader".into()), ..Default::default() },
        )
        .unwrap();
        assert_eq!(one.len(), 1);
        assert!(resolve(
            &snap,
            &LogsArgs { target: "prometheus".into(), container: Some("nope".into()), ..Default::default() }
        )
        .is_err());
        let out = render(
            &LogsArgs { target: "x".into(), grep: Some("error".into()), ..Default::default() },
            vec![(one[0].clone(), Ok("ok line\nerror: db password=s3cret\n".into()))],
        );
        assert!(out.text.contains("error: db password=****") && !out.text.contains("ok line"), "{}", out.text);
    }

    #[test]
    fn top_owners_pods_of_and_summary_report_the_cluster() {
        let (snap, _) = sample();
        let top = run(
            &snap,
            &ToolCall::Top(TopArgs { what: "pods".into(), namespace: None, sort_by: Some("memory".into()) }),
        )
        .unwrap();
        assert!(top.text.starts_with("data/mongodb-0"), "{}", top.text);
        let o = run(&snap, &ToolCall::Owners(OwnersArgs { pod: "checkout-5b777f5b94-g82t6".into(), namespace: None }))
            .unwrap();
        assert!(
            o.text.contains("ReplicaSet checkout-5b777f5b94") && o.text.contains("Deployment checkout"),
            "{}",
            o.text
        );
        let p = run(&snap, &ToolCall::PodsOf(PodsOfArgs { workload: "mongodb".into(), namespace: None })).unwrap();
        assert_eq!(p.objects.len(), 3);
        let svc =
            run(&snap, &ToolCall::PodsOf(PodsOfArgs { workload: "ledger".into(), namespace: Some("payments".into()) }))
                .unwrap();
        assert!(svc.objects.len() <= 1);
        let s = run(&snap, &ToolCall::Summary(SummaryArgs::default())).unwrap();
        assert!(s.text.contains("nodes 3 (2 ready)") && s.text.contains("shop 17"), "{}", s.text);
    }

    #[test]
    fn tool_calls_parse_from_model_json_and_every_tool_has_a_schema() {
        let call = ToolCall::parse(&serde_json::json!({"tool": "list", "args": {"kind": "pod", "namespace": "shop"}}))
            .unwrap();
        assert_eq!(call.name(), "list");
        assert!(ToolCall::parse(&serde_json::json!({"tool": "rm_rf", "args": {}})).is_err());
        assert!(ToolCall::parse(&serde_json::json!({"tool": "describe", "args": {"kind": "pod"}})).is_err());
        let names: Vec<&str> = schemas().iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["list", "describe", "logs", "events", "top", "owners", "pods_of", "summary", "find", "propose", "history"]
        );
        assert!(schemas().iter().all(|s| s.parameters["type"] == "object"));
    }
}

#[path = "insight/fuzz.rs"]
mod fuzz;

#[path = "insight/posture.rs"]
mod posture;

#[path = "insight/cost.rs"]
mod cost;

#[path = "insight/history.rs"]
mod history;
