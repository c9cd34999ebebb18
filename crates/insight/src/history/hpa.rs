//! HPA advice from the observed load: for each HorizontalPodAutoscaler on
//! CPU utilization, the workload's total CPU use per minute (its pods'
//! samples summed) against what one pod may use at the target
//! (request × target%): the median load sets the floor (`minReplicas`),
//! the peak plus 20% headroom the ceiling (`maxReplicas`); a target outside
//! 50–85% is brought to 70%. An HPA that sat at its maximum may have hidden
//! more demand (it reported its maximum, or as many pods as that in one
//! minute of the window), and the advice says so.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use serde::Serialize;

use super::rightsize::{container_resources, usage, Usage, MIN_SPAN};
use super::{per_minute_sum, Metric, Point, Scope, Series};
use crate::owners::Owners;
use crate::snapshot::Snapshot;

/// Headroom over the observed peak.
const HEADROOM: f64 = 1.2;

/// The target utilization Kubernetes uses when an HPA names none.
const DEFAULT_TARGET: i32 = 80;

/// Advice for one HPA.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HpaAdvice {
    /// Namespace.
    pub namespace: String,
    /// The HPA.
    pub hpa: String,
    /// `Deployment/frontend`.
    pub workload: String,
    /// Its bounds and target now.
    pub min: i32,
    /// Its maximum now.
    pub max: i32,
    /// Its CPU target now (percent of request).
    pub target: i32,
    /// CPU request of one pod (cores).
    pub request: f64,
    /// The workload's total CPU use per minute over the window (cores).
    pub load: Usage,
    /// Recommended minimum.
    pub recommended_min: i32,
    /// Recommended maximum.
    pub recommended_max: i32,
    /// Recommended target.
    pub recommended_target: i32,
    /// Whether it is at its maximum, or had as many pods in a minute of the
    /// window (demand may be higher).
    pub saturated: bool,
}

impl HpaAdvice {
    /// `minReplicas 3 → 2, maxReplicas 6 → 9 (peak 2.10 cores, median 1.05 cores; a pod may use 350m at 70% of its 500m request)`.
    pub fn sentence(&self) -> String {
        let m = Metric::Cpu;
        let change = |what: &str, now: i32, rec: i32| {
            if now == rec {
                format!("{what} {now} fits")
            } else {
                format!("{what} {now} → {rec}")
            }
        };
        let target = if self.target == self.recommended_target {
            String::new()
        } else {
            format!(", target {}% → {}%", self.target, self.recommended_target)
        };
        let saturated = if self.saturated { "; it sat at its maximum, so demand may be higher still" } else { "" };
        format!(
            "{}, {}{target} (peak {}, median {}; a pod may use {} at {}% of its {} request){saturated}",
            change("minReplicas", self.min, self.recommended_min),
            change("maxReplicas", self.max, self.recommended_max),
            m.show(self.load.max),
            m.show(self.load.p50),
            m.show(self.request * self.recommended_target as f64 / 100.0),
            self.recommended_target,
            m.show(self.request),
        )
    }

    /// Whether the advice changes anything.
    pub fn changes(&self) -> bool {
        self.min != self.recommended_min || self.max != self.recommended_max || self.target != self.recommended_target
    }
}

/// The CPU target of an HPA (percent), when it scales on CPU utilization
/// (`None`: it scales on something else).
fn cpu_target(h: &HorizontalPodAutoscaler) -> Option<i32> {
    let spec = h.spec.as_ref()?;
    let Some(metrics) = &spec.metrics else { return Some(DEFAULT_TARGET) };
    metrics.iter().find_map(|m| {
        let r = m.resource.as_ref().filter(|r| m.type_ == "Resource" && r.name == "cpu")?;
        (r.target.type_ == "Utilization").then(|| r.target.average_utilization.unwrap_or(DEFAULT_TARGET))
    })
}

/// Advice for every HPA on CPU utilization whose workload has at least
/// half an hour of CPU samples in `series`.
pub fn advise(snap: &Snapshot, series: &[Series]) -> Vec<HpaAdvice> {
    let owners = Owners::new(snap);
    let mut out = Vec::new();
    for h in &snap.hpas {
        let (Some(spec), Some(target)) = (h.spec.as_ref(), cpu_target(h)) else { continue };
        let ns = h.metadata.namespace.clone().unwrap_or_default();
        let (kind, name) = (spec.scale_target_ref.kind.as_str(), spec.scale_target_ref.name.as_str());
        let pods: Vec<_> = snap.pods.iter().filter(|p| owners.belongs(p, kind, &ns, name)).collect();
        let request: f64 = pods
            .first()
            .and_then(|p| p.spec.as_ref().map(|s| (p, s)))
            .map(|(p, s)| s.containers.iter().filter_map(|c| container_resources(p, &c.name)?.0 .0).sum())
            .unwrap_or(0.0);
        if request <= 0.0 {
            continue;
        }
        let ours = |s: &&Series| match &s.key.scope {
            Scope::Container { namespace, pod, .. } if s.key.metric == Metric::Cpu && namespace == &ns => {
                owners.workload_of_name(snap, namespace, pod).is_some_and(|w| w.kind == kind && w.name == name)
            }
            _ => false,
        };
        let (load, most_pods) = per_minute_total(series.iter().filter(ours));
        let Some(load) = usage(&load).filter(|u| u.span >= MIN_SPAN) else { continue };
        let (min, max) = (spec.min_replicas.unwrap_or(1), spec.max_replicas);
        let recommended_target = if (50..=85).contains(&target) { target } else { 70 };
        let per_pod = request * recommended_target as f64 / 100.0;
        let floor = if min >= 2 { 2 } else { 1 };
        let recommended_min = ((load.p50 / per_pod).ceil() as i32).max(floor);
        let recommended_max = ((load.max * HEADROOM / per_pod).ceil() as i32).max(recommended_min);
        let current = h.status.as_ref().map_or(0, |s| s.current_replicas.unwrap_or(0));
        out.push(HpaAdvice {
            namespace: ns,
            hpa: h.metadata.name.clone().unwrap_or_default(),
            workload: format!("{kind}/{name}"),
            min,
            max,
            target,
            request,
            saturated: current >= max || most_pods >= max as usize,
            load,
            recommended_min,
            recommended_max,
            recommended_target,
        });
    }
    out
}

/// The sum of several pods' CPU per minute (pods come and go as the HPA
/// scales), and the most pods seen in one minute.
fn per_minute_total<'a>(series: impl Iterator<Item = &'a Series>) -> (Vec<Point>, usize) {
    let minutes = per_minute_sum(series);
    let most = minutes.values().map(|m| m.1).max().unwrap_or(0);
    (minutes.into_iter().map(|(t, (v, _))| Point { t, v }).collect(), most)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::SeriesKey;

    const CLUSTER: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d1}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5f, namespace: shop, uid: r1, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]}
spec: {selector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-5f-a, namespace: shop, labels: {app: web}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5f, uid: r1, controller: true}]}
spec: {containers: [{name: web, image: web, resources: {requests: {cpu: 500m}}}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  minReplicas: 3
  maxReplicas: 4
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 95}}}]
status: {currentReplicas: 4, desiredReplicas: 4}
";

    #[test]
    fn median_load_sets_the_floor_and_the_peak_the_ceiling() {
        let snap = Snapshot::from_yaml(CLUSTER, None).unwrap();
        // Two pods (one since replaced) using 0.35 cores each, an hour long;
        // for ten minutes both use 1.4 cores (a peak of 2.8 cores in all).
        let series: Vec<Series> = ["web-5f-a", "web-5f-gone"]
            .iter()
            .map(|pod| Series {
                key: SeriesKey::container(Metric::Cpu, "shop", pod, "web"),
                points: (0..240)
                    .map(|i| Point { t: 1_800_000_000 + i * 15, v: if (100..140).contains(&i) { 1.4 } else { 0.35 } })
                    .collect(),
            })
            .collect();
        let advice = advise(&snap, &series);
        assert_eq!(advice.len(), 1);
        let a = &advice[0];
        // A target of 95% is brought to 70%: a pod may use 0.35 cores.
        assert_eq!((a.target, a.recommended_target), (95, 70));
        assert!((a.load.p50 - 0.7).abs() < 1e-9 && (a.load.max - 2.8).abs() < 1e-9, "{:?}", a.load);
        // Median 0.7 cores / 0.35 = 2 pods; peak 2.8 × 1.2 / 0.35 = 9.6 → 10.
        assert_eq!((a.recommended_min, a.recommended_max), (2, 10));
        assert!(a.saturated && a.changes());
        assert!(
            a.sentence().starts_with("minReplicas 3 → 2, maxReplicas 4 → 10, target 95% → 70%"),
            "{}",
            a.sentence()
        );
    }
}
