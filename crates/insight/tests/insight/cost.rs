//! Cost allocation against a table computed by hand: a 4-core, 16 GiB
//! node, three pods with known requests and usage, two PVCs (one that no
//! pod mounts), and a LoadBalancer with no endpoints, at set prices.

use kubeask_insight::cost::{report, By, Prices};
use kubeask_insight::snapshot::Snapshot;

const CLUSTER: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
status:
  conditions: [{type: Ready, status: "True"}]
  allocatable: {cpu: "4", memory: 16Gi}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec:
  nodeName: n1
  containers: [{name: a, image: a:1, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: shop}
spec:
  nodeName: n1
  containers: [{name: b, image: b:1, resources: {requests: {cpu: "1", memory: 2Gi}}}]
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: media}
spec:
  nodeName: n1
  volumes: [{name: v, persistentVolumeClaim: {claimName: videos}}]
  containers: [{name: c, image: c:1, resources: {requests: {cpu: 250m, memory: 512Mi}}}]
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: shop}
spec:
  nodeName: n1
  containers: [{name: d, image: d:1, resources: {requests: {cpu: "2", memory: 4Gi}}}]
status: {phase: Succeeded}
---
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: a, namespace: shop}
containers: [{name: a, usage: {cpu: 200m, memory: 2Gi}}]
---
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: c, namespace: media}
containers: [{name: c, usage: {cpu: "1", memory: 256Mi}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: videos, namespace: media}
spec: {resources: {requests: {storage: 100Gi}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: old, namespace: shop}
spec: {resources: {requests: {storage: 10Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: stream, namespace: media}
spec: {type: LoadBalancer, ports: [{port: 443}]}
"#;

fn prices() -> Prices {
    Prices {
        cpu_core_hour: 0.04,
        memory_gib_hour: 0.005,
        storage_gib_month: 0.10,
        load_balancer_month: 20.0,
        source: "test prices".into(),
        ..Prices::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn allocation_matches_the_hand_computed_table() {
    let snap = Snapshot::from_yaml(CLUSTER, None).unwrap();
    let r = report(&snap, &prices(), &By::Namespace);
    // shop: a charges max(0.5, 0.2) = 0.5 cores and max(1, 2) = 2 GiB; b
    //   (no metrics) its requests, 1 core and 2 GiB; `done` finished.
    //   CPU 1.5 × 0.04 × 730 = 43.80; memory 4 × 0.005 × 730 = 14.60;
    //   storage: `old` (unmounted, 10 GiB × 0.10) = 1.00 → 59.40.
    // media: c charges max(0.25, 1) = 1 core, max(0.5, 0.25) = 0.5 GiB:
    //   29.20 + 1.825; storage `videos` 100 × 0.10 = 10 → 41.025.
    let shop = r.allocations.iter().find(|a| a.name == "shop").unwrap();
    let media = r.allocations.iter().find(|a| a.name == "media").unwrap();
    assert!(close(shop.cpu_cores, 1.5) && close(shop.memory_gib, 4.0), "{shop:?}");
    assert!(close(shop.cpu_cost, 43.8) && close(shop.memory_cost, 14.6) && close(shop.storage_cost, 1.0), "{shop:?}");
    assert!(close(shop.total, 59.4), "{shop:?}");
    assert!(close(media.cpu_cost, 29.2) && close(media.memory_cost, 1.825) && close(media.total, 41.025), "{media:?}");
    assert_eq!(r.allocations[0].name, "shop", "most expensive first");
    // Idle: 4 − 2.5 = 1.5 cores, 16 − 4.5 = 11.5 GiB: (0.06 + 0.0575) × 730 = 85.775.
    assert!(close(r.idle, 85.775), "idle {}", r.idle);
    assert!(close(r.load_balancers, 20.0));
    assert!(close(r.total, 59.4 + 41.025 + 85.775 + 20.0), "total {}", r.total);
    // Waste, most first: the idle node, the LoadBalancer with no endpoint,
    // a's unused request (0.3 cores: 8.76), the unmounted PVC (1.00), c's
    // unused memory (0.25 GiB: 0.9125).
    let w: Vec<(&str, &str, f64)> = r.waste.iter().map(|w| (w.kind, w.object.as_str(), w.monthly)).collect();
    let want = [
        ("idle-node", "node/n1", 85.775),
        ("idle-load-balancer", "media/stream", 20.0),
        ("over-requested", "shop/a", 8.76),
        ("unused-pvc", "shop/old", 1.0),
        ("over-requested", "media/c", 0.9125),
    ];
    assert_eq!(w.len(), want.len(), "{w:?}");
    for ((k, o, m), (wk, wo, wm)) in w.iter().zip(want) {
        assert!(*k == wk && *o == wo && close(*m, wm), "{w:?}");
    }
    assert!(r.basis.contains("test prices") && r.basis.contains("usage"), "{}", r.basis);
}

#[test]
fn instance_type_prices_split_the_node_price_by_the_rates() {
    let text = CLUSTER
        .replace("metadata: {name: n1}", "metadata: {name: n1, labels: {node.kubernetes.io/instance-type: m5.xlarge}}");
    let snap = Snapshot::from_yaml(&text, None).unwrap();
    let mut p = prices();
    // List price of the node at the rates: 4 × 0.04 + 16 × 0.005 = 0.24/h;
    // the type costs 0.48/h, so every rate doubles.
    p.instance_types.insert("m5.xlarge".into(), 0.48);
    let r = report(&snap, &p, &By::Namespace);
    let shop = r.allocations.iter().find(|a| a.name == "shop").unwrap();
    assert!(close(shop.cpu_cost, 87.6) && close(shop.memory_cost, 29.2), "{shop:?}");
    // Grouped by workload and by label.
    let by_workload = report(&snap, &p, &By::Workload);
    assert!(by_workload.allocations.iter().any(|a| a.name == "shop/a"));
    let by_label = report(&snap, &p, &"label=team".parse().unwrap());
    assert!(by_label.allocations.iter().all(|a| a.name.starts_with("team=")));
}

#[test]
fn a_price_file_without_instance_types_charges_its_own_rates() {
    let book: kubeask_insight::cost::PriceBook =
        serde_json::from_str(r#"{"default": {"cpu_core_hour": 0.05, "memory_gib_hour": 0.006}}"#).unwrap();
    let (p, theirs) = book.for_context("any");
    assert!(theirs && p.instance_types.is_empty() && p.source == "your prices", "{p:?}");
    // The built-in prices know the common instance types.
    assert!(Prices::default().instance_types.contains_key("m5.large"));
}
