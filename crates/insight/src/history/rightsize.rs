//! What a container really needs: requests against the usage the history
//! shows, per workload and container (samples of all its pods pooled).
//!
//! The rule is the Vertical Pod Autoscaler recommender's rule of thumb: a
//! request at the 90th percentile of CPU use and the 95th of memory, plus a
//! 15% safety margin; a memory limit 30% above the highest use seen.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;

use super::stats::quantile_sorted;
use super::{show_secs, Metric, Point, Scope, Series};
use crate::owners::Owners;
use crate::snapshot::Snapshot;
use crate::text::{cpu_millis, mem_bytes};

/// The least history a recommendation is made from (seconds).
pub const MIN_SPAN: i64 = 30 * 60;
const MARGIN: f64 = 1.15;
const LIMIT_HEADROOM: f64 = 1.3;

/// Percentiles of the samples of one resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Usage {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Highest sample.
    pub max: f64,
    /// Samples counted.
    pub samples: usize,
    /// Seconds from the first sample to the last.
    pub span: i64,
}

/// Percentiles of `points`; `None` when empty.
pub fn usage(points: &[Point]) -> Option<Usage> {
    // NB: not `clean`: samples of several pods at one time are all kept.
    let pts: Vec<&Point> = points.iter().filter(|p| p.v.is_finite()).collect();
    let span = pts.iter().map(|p| p.t).max()? - pts.iter().map(|p| p.t).min()?;
    let mut v: Vec<f64> = pts.iter().map(|p| p.v).collect();
    v.sort_by(f64::total_cmp);
    let q = |x| quantile_sorted(&v, x).unwrap_or(0.0);
    Some(Usage { p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), max: q(1.0), samples: v.len(), span })
}

/// How a request compares with use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Uses more than it asks for (or comes near its memory limit).
    Under,
    /// Asks for no request at all.
    NoRequest,
    /// Asks for more than twice what it needs.
    Over,
    /// About right.
    Fits,
}

/// One resource of one container: what it asks, uses and should ask.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// cpu or memory.
    pub metric: Metric,
    /// Request now (cores or bytes).
    pub request: Option<f64>,
    /// Limit now.
    pub limit: Option<f64>,
    /// What the history shows.
    pub usage: Usage,
    /// Recommended request.
    pub recommended_request: f64,
    /// Recommended limit (memory only).
    pub recommended_limit: Option<f64>,
    /// The comparison.
    pub verdict: Verdict,
}

/// The recommendation for one resource, from its samples.
pub fn fit(metric: Metric, request: Option<f64>, limit: Option<f64>, points: &[Point]) -> Option<Fit> {
    let usage = usage(points)?;
    let (floor, slack, at) = match metric {
        Metric::Cpu => (0.010, 0.050, usage.p90),
        Metric::Memory => (32.0 * 1024.0 * 1024.0, 64.0 * 1024.0 * 1024.0, usage.p95),
        Metric::Restarts | Metric::VolumeUsed | Metric::VolumeCapacity => return None,
    };
    let recommended_request = (at * MARGIN).max(floor);
    let recommended_limit = (metric == Metric::Memory).then(|| (usage.max * LIMIT_HEADROOM).max(recommended_request));
    let near_limit = metric == Metric::Memory && limit.is_some_and(|l| usage.max >= 0.9 * l);
    let verdict = match request {
        _ if near_limit => Verdict::Under,
        None => Verdict::NoRequest,
        Some(r) if usage.p95 > r => Verdict::Under,
        Some(r) if r > 2.0 * recommended_request && r - recommended_request >= slack => Verdict::Over,
        Some(_) => Verdict::Fits,
    };
    Some(Fit { metric, request, limit, usage, recommended_request, recommended_limit, verdict })
}

impl Fit {
    /// One line of evidence: `p95 120m, max 180m; requests 1.00 cores (6 h, 1440 samples)`.
    pub fn evidence(&self) -> String {
        let m = self.metric;
        let req = self.request.map_or("no request".to_string(), |r| format!("requests {}", m.show(r)));
        let lim = self.limit.map_or(String::new(), |l| format!(", limit {}", m.show(l)));
        format!(
            "{}: p95 {}, max {}; {req}{lim} (over {}, {} samples)",
            m.as_str(),
            m.show(self.usage.p95),
            m.show(self.usage.max),
            show_secs(self.usage.span as f64),
            self.usage.samples
        )
    }
}

/// One container of one workload, sized.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sizing {
    /// Namespace.
    pub namespace: String,
    /// `Kind/name` of the workload (or `Pod/name` for a bare pod).
    pub workload: String,
    /// Container name.
    pub container: String,
    /// Pods whose samples were pooled.
    pub pods: usize,
    /// CPU, when sampled.
    pub cpu: Option<Fit>,
    /// Memory, when sampled.
    pub memory: Option<Fit>,
    /// The worse of the two verdicts.
    pub verdict: Verdict,
}

/// Sizes every container whose workload still runs, from the samples in
/// `series` (containers with less than `min_span` seconds of history are
/// left out). Under-provisioned first, then over, then the rest.
pub fn rightsize(snap: &Snapshot, series: &[Series], min_span: i64) -> Vec<Sizing> {
    let owners = Owners::new(snap);
    let workloads = workload_pods(snap, &owners);
    let current: HashMap<(&str, &str), String> = workloads
        .iter()
        .flat_map(|((ns, w), pods)| {
            pods.iter().map(move |p| ((ns.as_str(), p.metadata.name.as_deref().unwrap_or("")), w.clone()))
        })
        .collect();
    let mut pooled: BTreeMap<(String, String, String), Pooled> = BTreeMap::new();
    for s in series {
        let Scope::Container { namespace, pod, container } = &s.key.scope else { continue };
        let Some(workload) = workload_of_pod_name(snap, &owners, &current, namespace, pod) else { continue };
        let e = pooled.entry((namespace.clone(), workload, container.clone())).or_default();
        match s.key.metric {
            Metric::Cpu => e.0.extend(&s.points),
            Metric::Memory => e.1.extend(&s.points),
            Metric::Restarts | Metric::VolumeUsed | Metric::VolumeCapacity => continue,
        }
        e.2.insert(pod.clone());
    }
    let mut out: Vec<Sizing> = pooled
        .into_iter()
        .filter_map(|((namespace, workload, container), (cpu, mem, n))| {
            let pod = workloads.get(&(namespace.clone(), workload.clone()))?.first()?;
            let (req, lim) = container_resources(pod, &container)?;
            let cpu = fit(Metric::Cpu, req.0, lim.0, &cpu).filter(|f| f.usage.span >= min_span);
            let memory = fit(Metric::Memory, req.1, lim.1, &mem).filter(|f| f.usage.span >= min_span);
            let verdict = cpu.iter().chain(memory.iter()).map(|f| f.verdict).min()?;
            Some(Sizing { namespace, workload, container, pods: n.len(), cpu, memory, verdict })
        })
        .collect();
    out.sort_by(|a, b| (a.verdict, &a.namespace, &a.workload).cmp(&(b.verdict, &b.namespace, &b.workload)));
    out
}

/// CPU samples, memory samples and the pods they came from.
type Pooled = (Vec<Point>, Vec<Point>, std::collections::BTreeSet<String>);

type WorkloadPods<'a> = BTreeMap<(String, String), Vec<&'a Pod>>;

/// Current pods by (namespace, `Kind/name` of their workload).
fn workload_pods<'a>(snap: &'a Snapshot, owners: &Owners) -> WorkloadPods<'a> {
    let mut out = WorkloadPods::new();
    for pod in &snap.pods {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let w = owners.workload_of(pod).map_or_else(
            || format!("Pod/{}", pod.metadata.name.as_deref().unwrap_or("")),
            |w| format!("{}/{}", w.kind, w.name),
        );
        out.entry((ns, w)).or_default().push(pod);
    }
    out
}

/// The workload a sampled pod belonged to: a current pod's own workload,
/// or, for a pod since replaced, the one its name says.
fn workload_of_pod_name(
    snap: &Snapshot,
    owners: &Owners,
    current: &HashMap<(&str, &str), String>,
    namespace: &str,
    pod: &str,
) -> Option<String> {
    if let Some(w) = current.get(&(namespace, pod)) {
        return Some(w.clone());
    }
    owners.workload_of_name(snap, namespace, pod).map(|w| format!("{}/{}", w.kind, w.name))
}

/// (CPU, memory), each optional.
pub type Pair = (Option<f64>, Option<f64>);

/// A container's ((cpu, memory) requests, (cpu, memory) limits) in cores and bytes.
pub fn container_resources(pod: &Pod, container: &str) -> Option<(Pair, Pair)> {
    let c = pod.spec.as_ref()?.containers.iter().find(|c| c.name == container)?;
    let r = c.resources.as_ref();
    let get = |m: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>, k: &str| {
        m.and_then(|m| m.get(k)).map(|q| if k == "cpu" { cpu_millis(&q.0) / 1000.0 } else { mem_bytes(&q.0) })
    };
    let (req, lim) = (r.and_then(|r| r.requests.as_ref()), r.and_then(|r| r.limits.as_ref()));
    Some(((get(req, "cpu"), get(req, "memory")), (get(lim, "cpu"), get(lim, "memory"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: impl Iterator<Item = f64>) -> Vec<Point> {
        values.enumerate().map(|(i, v)| Point { t: i as i64 * 15, v }).collect()
    }

    #[test]
    fn requests_far_above_use_are_over_and_use_above_requests_is_under() {
        let idle = pts((0..240).map(|i| 0.05 + (i % 10) as f64 * 0.001));
        let f = fit(Metric::Cpu, Some(1.0), None, &idle).unwrap();
        assert_eq!(f.verdict, Verdict::Over);
        // p90 is 0.0581 cores; plus the 15% margin.
        assert!((f.recommended_request - 0.0668).abs() < 0.001, "{f:?}");
        let busy = fit(Metric::Cpu, Some(0.02), None, &idle).unwrap();
        assert_eq!(busy.verdict, Verdict::Under);
        let mib = 1024.0 * 1024.0;
        let mem = pts((0..240).map(|_| 460.0 * mib));
        assert_eq!(fit(Metric::Memory, Some(256.0 * mib), Some(512.0 * mib), &mem).unwrap().verdict, Verdict::Under);
        assert_eq!(fit(Metric::Memory, Some(512.0 * mib), None, &mem).unwrap().verdict, Verdict::Fits);
    }
}
