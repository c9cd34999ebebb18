//! History analyses on series and clusters with known answers: a trend is
//! forecast within its interval, a planted spike is flagged and a daily
//! cycle is not, requests are sized from use, and a planted incident
//! (rollout → crash loop → rollback) is told in order as one incident.

use kubeask_insight::history::anomaly::anomalies;
use kubeask_insight::history::forecast::{time_to, trend};
use kubeask_insight::history::rightsize::{rightsize, Verdict};
use kubeask_insight::history::timeline::{timeline, Change, Query};
use kubeask_insight::history::{Metric, Point, Series, SeriesKey};
use kubeask_insight::snapshot::Snapshot;
use proptest::prelude::*;

/// Deterministic noise in [-1, 1].
fn noise(seed: u64, i: i64) -> f64 {
    let mut x = seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 20_001) as f64 / 10_000.0 - 1.0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A pure trend plus bounded noise: the truth at a horizon up to the
    /// window's own length lies within the forecast's interval.
    #[test]
    fn a_trend_is_forecast_within_its_interval(
        level in 1.0e6f64..1.0e9,
        slope_per_h in -0.5f64..0.5,
        noise_share in 0.0f64..0.03,
        hours in 1i64..12,
        horizon_share in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let step = 60;
        let n = hours * 3600 / step;
        let slope = level * slope_per_h / 3600.0;
        let pts: Vec<Point> = (0..=n)
            .map(|i| Point { t: i * step, v: level + slope * (i * step) as f64 + level * noise_share * noise(seed, i) })
            .collect();
        let t = trend(&pts).expect("enough samples");
        let at = n * step + (horizon_share * (n * step) as f64) as i64;
        let truth = level + slope * at as f64;
        let band = t.at(at);
        prop_assert!(band.low <= truth && truth <= band.high, "{truth} outside {band:?}");
    }

    /// A daily cycle with noise is normal; a spike planted on the last day
    /// is flagged, at its time.
    #[test]
    fn a_spike_is_flagged_and_a_daily_cycle_is_not(
        base in 1.0e7f64..1.0e9,
        amplitude in 0.1f64..0.6,
        noise_share in 0.0f64..0.02,
        spike in 2.0f64..6.0,
        at in 0i64..288,
        seed in any::<u64>(),
    ) {
        let step = 300;
        let day = 86_400 / step;
        let cycle = |i: i64| base * (1.0 + amplitude * (2.0 * std::f64::consts::PI * (i % day) as f64 / day as f64).sin());
        let mut pts: Vec<Point> = (0..3 * day).map(|i| Point { t: i * step, v: cycle(i) + base * noise_share * noise(seed, i) }).collect();
        prop_assert_eq!(anomalies(&pts), vec![]);
        let k = (2 * day + at) as usize;
        pts[k].v = cycle(k as i64) * spike;
        let found = anomalies(&pts);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].t, k as i64 * step);
    }
}

#[test]
fn a_leak_is_forecast_to_reach_its_limit() {
    let mib = 1024.0 * 1024.0;
    let pts: Vec<Point> =
        (0..=720).map(|i| Point { t: i * 15, v: 300.0 * mib + 50.0 * mib * (i * 15) as f64 / 3600.0 }).collect();
    let t = trend(&pts).unwrap();
    let eta = time_to(&t, 512.0 * mib).unwrap();
    assert!((eta.secs / 3600.0 - 1.24).abs() < 0.01, "{eta:?}");
}

const SIZED: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: api-7d9f8b6c4-x2k9p, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f8b6c4, controller: true}]}
spec:
  containers: [{name: api, image: api:1, resources: {requests: {cpu: "2", memory: 2Gi}, limits: {memory: 4Gi}}}]
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, ownerReferences: [{kind: StatefulSet, name: db, controller: true}]}
spec:
  containers: [{name: db, image: db:1, resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {memory: 512Mi}}}]
status: {phase: Running}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-7d9f8b6c4, namespace: shop, ownerReferences: [{kind: Deployment, name: api, controller: true}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: "api:1"}]}}}
"#;

fn series(metric: Metric, pod: &str, container: &str, f: impl Fn(i64) -> f64) -> Series {
    let points = (0..240).map(|i| Point { t: i * 15, v: f(i) }).collect();
    Series { key: SeriesKey::container(metric, "shop", pod, container), points }
}

#[test]
fn requests_are_sized_from_use_with_replaced_pods_pooled() {
    let snap = Snapshot::from_yaml(SIZED, None).unwrap();
    let mib = 1024.0 * 1024.0;
    let all = vec![
        series(Metric::Cpu, "api-7d9f8b6c4-x2k9p", "api", |i| 0.1 + (i % 7) as f64 * 0.01),
        series(Metric::Memory, "api-7d9f8b6c4-x2k9p", "api", |_| 300.0 * mib),
        // The pod the rollout replaced: same workload.
        series(Metric::Cpu, "api-5c4b3a291-qqq11", "api", |i| 0.1 + (i % 5) as f64 * 0.01),
        series(Metric::Memory, "db-0", "db", |i| 400.0 * mib + i as f64 * 0.2 * mib),
        series(Metric::Cpu, "db-0", "db", |_| 0.05),
    ];
    let sized = rightsize(&snap, &all, 30 * 60);
    let names: Vec<(&str, Verdict)> = sized.iter().map(|s| (s.workload.as_str(), s.verdict)).collect();
    assert_eq!(names, vec![("StatefulSet/db", Verdict::Under), ("Deployment/api", Verdict::Over)]);
    let api = &sized[1];
    assert_eq!(api.pods, 2);
    let cpu = api.cpu.as_ref().unwrap();
    assert_eq!(cpu.usage.samples, 480);
    assert!(cpu.recommended_request < 0.2 && cpu.recommended_request > 0.15, "{cpu:?}");
    let mem = api.memory.as_ref().unwrap();
    assert!((mem.recommended_request / mib - 345.0).abs() < 1.0, "{mem:?}");
    assert!(rightsize(&snap, &all, 2 * 3600).is_empty(), "one hour of history is not enough for two");
}

const INCIDENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop, creationTimestamp: "2026-11-20T08:00:00Z"}
spec: {selector: {matchLabels: {app: checkout}}, template: {metadata: {labels: {app: checkout}}, spec: {containers: [{name: app, image: "checkout:1"}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: checkout-5c4b3a291
  namespace: shop
  creationTimestamp: "2026-11-20T08:00:00Z"
  annotations: {deployment.kubernetes.io/revision: "3", deployment.kubernetes.io/revision-history: "1"}
  ownerReferences: [{kind: Deployment, name: checkout, controller: true}]
  managedFields: [{manager: kube-controller-manager, operation: Update, time: "2026-11-20T11:31:00Z"}]
spec: {selector: {matchLabels: {app: checkout}}, template: {metadata: {labels: {app: checkout}}, spec: {containers: [{name: app, image: "checkout:1"}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: checkout-7d9f8b6c4
  namespace: shop
  creationTimestamp: "2026-11-20T11:10:00Z"
  annotations: {deployment.kubernetes.io/revision: "2"}
  ownerReferences: [{kind: Deployment, name: checkout, controller: true}]
spec: {selector: {matchLabels: {app: checkout}}, template: {metadata: {labels: {app: checkout}}, spec: {containers: [{name: app, image: "checkout:2"}]}}}
---
apiVersion: v1
kind: Event
metadata: {name: e1, namespace: shop}
involvedObject: {kind: Pod, name: checkout-7d9f8b6c4-abcde, namespace: shop}
reason: BackOff
type: Warning
message: Back-off restarting failed container app in pod checkout-7d9f8b6c4-abcde
firstTimestamp: "2026-11-20T11:12:00Z"
lastTimestamp: "2026-11-20T11:29:00Z"
count: 9
---
apiVersion: v1
kind: Event
metadata: {name: e2, namespace: shop}
involvedObject: {kind: Deployment, name: checkout, namespace: shop}
reason: ScalingReplicaSet
type: Normal
message: Scaled up replica set checkout-7d9f8b6c4 to 1
firstTimestamp: "2026-11-20T11:10:00Z"
lastTimestamp: "2026-11-20T11:10:00Z"
---
apiVersion: v1
kind: Event
metadata: {name: e3, namespace: media}
involvedObject: {kind: Pod, name: encoder-0, namespace: media}
reason: FailedScheduling
type: Warning
message: 0/3 nodes are available
firstTimestamp: "2026-11-20T11:15:00Z"
lastTimestamp: "2026-11-20T11:15:00Z"
"#;

#[test]
fn a_planted_incident_is_one_story_in_order() {
    let snap = Snapshot::from_yaml(INCIDENT, Some("2026-11-20T12:00:00Z".parse().unwrap())).unwrap();
    let q =
        Query { namespace: Some("shop".into()), target: Some(("Deployment".into(), "checkout".into())), since: None };
    let incidents = timeline(&snap, &[], &q);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let story: Vec<Change> = incidents[0].entries.iter().map(|e| e.change).collect();
    assert_eq!(story, vec![Change::Rollout, Change::Scaled, Change::CrashLoop, Change::Rollback]);
    assert_eq!(incidents[0].summary, "Deployment/checkout: rollout → scaled → crash loop → rollback");
    let first = incidents[0].first_failure().unwrap();
    assert_eq!(first.time.to_string(), "2026-11-20T11:12:00Z");
    assert_eq!(incidents[0].changes_before_failure().len(), 2);
    // The whole cluster: the unrelated scheduling failure is its own incident.
    let all = timeline(&snap, &[], &Query::default());
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].summary, incidents[0].summary);
    assert_eq!(all[1].summary, "Pod/encoder-0: scheduling failure");
    // Since a time after the story: nothing.
    let late = Query { since: Some("2026-11-20T11:45:00Z".parse().unwrap()), ..q };
    assert!(timeline(&snap, &[], &late).is_empty());
}
