//! The analyzers against the sample fixture: each planted problem is found
//! with its evidence, and healthy objects get no finding.

use std::path::Path;

use kubeask_insight::analyze::{analyze, logs_wanted, Finding, Severity};
use kubeask_insight::snapshot::{LogTexts, Snapshot};

fn fixture_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../cluster/fixtures/acme-shop"))
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
