//! Insights over time for every face (router, CLI, desktop): reads a
//! history [`Source`] and the live snapshot, and runs the analyses of
//! `kubeask_insight::history` — forecasts against limits and node
//! capacity, anomalies, right-sizing, the incident timeline.

use std::collections::BTreeMap;

use kubeask_cluster::history::{HistoryError, SeriesFilter, Source};
use kubeask_insight::capacity::allocatable;
use kubeask_insight::history::anomaly::{anomalies, Anomaly};
use kubeask_insight::history::forecast::{time_to, trend, Eta};
use kubeask_insight::history::hpa::{advise, HpaAdvice};
use kubeask_insight::history::rightsize::{container_resources, rightsize, Sizing, MIN_SPAN};
use kubeask_insight::history::timeline::{timeline as incidents, Change, Entry, Incident, Query};
use kubeask_insight::history::{per_minute_sum, show_secs, Metric, Point, Scope, Series};
use kubeask_insight::owners::Owners;
use kubeask_insight::snapshot::Snapshot;
use serde::Serialize;

/// How far back forecasts and history look by default (seconds).
pub const FORECAST_WINDOW: i64 = 6 * 3600;
/// How far back right-sizing looks by default.
pub const RIGHTSIZE_WINDOW: i64 = 7 * 86_400;
/// How far ahead a forecast warns by default.
pub const HORIZON: i64 = 24 * 3600;

/// The pods of `kind/name` in `namespace` (the pod itself for `Pod`).
pub fn pods_of(snap: &Snapshot, namespace: &str, kind: &str, name: &str) -> Vec<String> {
    let owners = Owners::new(snap);
    snap.pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(namespace))
        .filter(|p| {
            if kind == "Pod" {
                p.metadata.name.as_deref() == Some(name)
            } else {
                owners.belongs(p, kind, namespace, name)
            }
        })
        .filter_map(|p| p.metadata.name.clone())
        .collect()
}

/// A series' subject as people read it: `pod/container`, `node` or a claim.
pub fn subject(s: &Series) -> String {
    match &s.key.scope {
        Scope::Container { pod, container, .. } => format!("{pod}/{container}"),
        Scope::Node { node } => node.clone(),
        Scope::Volume { claim, .. } => claim.clone(),
    }
}

/// How a series moved: `321Mi → 491Mi (peak 506Mi)`.
pub fn moved(s: &Series) -> String {
    let m = s.key.metric;
    let (first, last) = (s.points.first().map_or(0.0, |p| p.v), s.points.last().map_or(0.0, |p| p.v));
    let peak = s.points.iter().map(|p| p.v).fold(f64::MIN, f64::max);
    format!("{} → {} (peak {})", m.show(first), m.show(last), m.show(peak))
}

/// One resource's sizing as the CLI and the desktop show it:
/// `p95 412Mi, peak 506Mi against a request of 1Gi → request 474Mi, limit 658Mi`.
pub fn sizing_line(f: &kubeask_insight::history::rightsize::Fit) -> String {
    let limit = f.recommended_limit.map_or(String::new(), |l| format!(", limit {}", f.metric.show(l)));
    format!("{} → request {}{limit}", f.evidence(), f.metric.show(f.recommended_request))
}

/// One forecast: a series heading for a line.
#[derive(Clone, Debug, Serialize)]
pub struct Forecast {
    /// `pod/container`, or a node name.
    pub subject: String,
    /// Namespace ("" for nodes).
    pub namespace: String,
    /// cpu or memory.
    pub metric: Metric,
    /// The fitted value now.
    pub now: f64,
    /// The line it heads for.
    pub line: f64,
    /// `memory limit`, `CPU limit`, `allocatable memory`, `allocatable CPU`.
    pub line_name: &'static str,
    /// Change per hour.
    pub per_hour: f64,
    /// When it gets there (`None`: not within the horizon or not rising).
    pub eta: Option<Eta>,
    /// Samples the trend was fitted on.
    pub samples: usize,
}

impl Forecast {
    /// `payments-api-…/payments-api reaches its memory limit (512Mi) in ~25 min (10 min – 1 h)`.
    pub fn sentence(&self) -> String {
        let m = self.metric;
        match &self.eta {
            Some(e) if e.secs <= 0.0 => {
                format!("{} is at its {} ({} of {})", self.subject, self.line_name, m.show(self.now), m.show(self.line))
            }
            Some(e) => format!(
                "{} reaches its {} ({}) in ~{} ({} – {}), rising {}/h",
                self.subject,
                self.line_name,
                m.show(self.line),
                show_secs(e.secs),
                show_secs(e.earliest),
                e.latest.map_or("never".into(), show_secs),
                m.show(self.per_hour)
            ),
            None => format!(
                "{}: {} of its {} ({}), not reaching it soon",
                self.subject,
                m.show(self.now),
                self.line_name,
                m.show(self.line)
            ),
        }
    }
}

/// Forecasts of every container against its limits and every node (its
/// pods' use summed) against its allocatable, soonest first; those that
/// get there within `horizon` seconds have an `eta`.
pub fn forecasts(snap: &Snapshot, series: &[Series], horizon: i64) -> Vec<Forecast> {
    let pods: BTreeMap<(&str, &str), &k8s_openapi::api::core::v1::Pod> = snap
        .pods
        .iter()
        .map(|p| {
            ((p.metadata.namespace.as_deref().unwrap_or(""), p.metadata.name.as_deref().unwrap_or("")), p.as_ref())
        })
        .collect();
    let mut out = Vec::new();
    let mut per_node: BTreeMap<(String, Metric), Vec<&Series>> = BTreeMap::new();
    for s in series.iter().filter(|s| Metric::USAGE.contains(&s.key.metric)) {
        let Scope::Container { namespace, pod, container } = &s.key.scope else { continue };
        let Some(p) = pods.get(&(namespace.as_str(), pod.as_str())) else { continue };
        if let Some(node) = p.spec.as_ref().and_then(|sp| sp.node_name.clone()) {
            per_node.entry((node, s.key.metric)).or_default().push(s);
        }
        let Some((_, limits)) = container_resources(p, container) else { continue };
        let (limit, name) = match s.key.metric {
            Metric::Cpu => (limits.0, "CPU limit"),
            Metric::Memory => (limits.1, "memory limit"),
            Metric::Restarts | Metric::VolumeUsed | Metric::VolumeCapacity => continue,
        };
        if let Some(l) = limit {
            out.extend(forecast_one((subject(s), namespace.clone(), s.key.metric), &s.points, (l, name), horizon));
        }
    }
    for ((node, metric), list) in per_node {
        let Some(n) = snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(node.as_str())) else { continue };
        let (cpu_m, mem) = allocatable(n);
        let (line, name) = match metric {
            Metric::Cpu => (cpu_m / 1000.0, "allocatable CPU"),
            Metric::Memory => (mem, "allocatable memory"),
            Metric::Restarts | Metric::VolumeUsed | Metric::VolumeCapacity => continue,
        };
        if line <= 0.0 {
            continue;
        }
        out.extend(forecast_one((node.clone(), String::new(), metric), &summed(&list), (line, name), horizon));
    }
    out.sort_by(|a, b| {
        let key = |f: &Forecast| f.eta.map_or(f64::INFINITY, |e| e.secs);
        key(a).total_cmp(&key(b)).then_with(|| a.subject.cmp(&b.subject))
    });
    out
}

/// Where the cluster as a whole is heading: its containers' use summed
/// against the allocatable of the nodes the scheduler may use, with what
/// is requested.
#[derive(Clone, Debug, Serialize)]
pub struct Capacity {
    /// cpu or memory.
    pub metric: Metric,
    /// Allocatable of schedulable, Ready nodes.
    pub allocatable: f64,
    /// Requested by the pods bound to them.
    pub requested: f64,
    /// Use now (the fitted trend's level).
    pub used: f64,
    /// Change of use per hour.
    pub per_hour: f64,
    /// When use reaches allocatable (`None`: not within the horizon).
    pub eta: Option<Eta>,
    /// Minutes the trend was fitted on.
    pub samples: usize,
}

impl Capacity {
    /// `cluster memory: 2.1Gi used, 3.0Gi requested of 12.0Gi allocatable (25% requested); use rising 10Mi/h, not reaching allocatable within 1 day`.
    pub fn sentence(&self, horizon: i64) -> String {
        let m = self.metric;
        let share = if self.allocatable > 0.0 { self.requested / self.allocatable * 100.0 } else { 0.0 };
        let heading = match &self.eta {
            Some(e) if e.secs <= 0.0 => "use is at allocatable".to_string(),
            Some(e) => format!(
                "reaching allocatable in ~{} ({} – {})",
                show_secs(e.secs),
                show_secs(e.earliest),
                e.latest.map_or("never".into(), show_secs)
            ),
            None => format!("not reaching allocatable within {}", show_secs(horizon as f64)),
        };
        let dir = if self.per_hour >= 0.0 { "rising" } else { "falling" };
        format!(
            "cluster {}: {} used, {} requested of {} allocatable ({share:.0}% requested); use {dir} {}/h, {heading}",
            m.as_str(),
            m.show(self.used),
            m.show(self.requested),
            m.show(self.allocatable),
            m.show(self.per_hour.abs()),
        )
    }
}

/// The cluster's CPU and memory use (every container summed per minute)
/// against its allocatable: when use reaches it at the current trend.
pub fn capacity(snap: &Snapshot, series: &[Series], horizon: i64) -> Vec<Capacity> {
    let room = kubeask_insight::capacity::cluster_room(snap);
    let mut out = Vec::new();
    for (metric, allocatable, requested) in [
        (Metric::Cpu, room.cpu_allocatable, room.cpu_requested),
        (Metric::Memory, room.memory_allocatable, room.memory_requested),
    ] {
        let of: Vec<&Series> = series
            .iter()
            .filter(|s| s.key.metric == metric && matches!(s.key.scope, Scope::Container { .. }))
            .collect();
        let points = churn_summed(&of);
        let Some(t) = trend(&points).filter(|_| allocatable > 0.0) else { continue };
        let eta = time_to(&t, allocatable).filter(|e| e.secs <= horizon as f64);
        let (used, per_hour, samples) = (t.level, t.slope * 3600.0, t.samples);
        out.push(Capacity { metric, allocatable, requested, used, per_hour, eta, samples });
    }
    out
}

/// Many series summed per minute where pods come and go: minutes with
/// fewer series reporting than 80% of the usual count are left out (a gap,
/// not a dip), however many pods came and went over the window.
fn churn_summed(list: &[&Series]) -> Vec<Point> {
    let minutes = per_minute_sum(list.iter().copied());
    let mut counts: Vec<usize> = minutes.values().map(|(_, n)| *n).collect();
    counts.sort_unstable();
    let usual = counts.get(counts.len() / 2).copied().unwrap_or(0);
    let need = (usual as f64 * 0.8).ceil() as usize;
    minutes.into_iter().filter(|(_, (_, n))| *n >= need.max(1)).map(|(t, (v, _))| Point { t, v }).collect()
}

/// The forecast of one series (`who`: subject, namespace, metric) against
/// a line (its value and name).
fn forecast_one(
    who: (String, String, Metric),
    points: &[Point],
    (line, name): (f64, &'static str),
    horizon: i64,
) -> Option<Forecast> {
    let t = trend(points)?;
    let eta = time_to(&t, line).filter(|e| e.secs <= horizon as f64);
    let (subject, namespace, metric) = who;
    Some(Forecast {
        subject,
        namespace,
        metric,
        now: t.level,
        line,
        line_name: name,
        per_hour: t.slope * 3600.0,
        eta,
        samples: t.samples,
    })
}

/// The sum of several series, per minute (minutes where fewer than 80% of
/// them have a sample are left out, so a gap does not look like a dip).
pub fn summed(list: &[&Series]) -> Vec<Point> {
    let need = (list.len() as f64 * 0.8).ceil() as usize;
    per_minute_sum(list.iter().copied())
        .into_iter()
        .filter(|(_, (_, n))| *n >= need.max(1))
        .map(|(t, (v, _))| Point { t, v })
        .collect()
}

/// One anomaly, with whose series it is.
#[derive(Clone, Debug, Serialize)]
pub struct Unusual {
    /// `pod/container` or node.
    pub subject: String,
    /// Namespace.
    pub namespace: String,
    /// cpu or memory.
    pub metric: Metric,
    /// The stretch.
    #[serde(flatten)]
    pub anomaly: Anomaly,
}

/// Anomalies of every series, newest first.
pub fn unusual(series: &[Series]) -> Vec<Unusual> {
    let mut out: Vec<Unusual> = series
        .iter()
        .flat_map(|s| {
            let ns = match &s.key.scope {
                Scope::Container { namespace, .. } | Scope::Volume { namespace, .. } => namespace.clone(),
                Scope::Node { .. } => String::new(),
            };
            anomalies(&s.points).into_iter().map(move |a| Unusual {
                subject: subject(s),
                namespace: ns.clone(),
                metric: s.key.metric,
                anomaly: a,
            })
        })
        .collect();
    out.sort_by_key(|u| std::cmp::Reverse(u.anomaly.t));
    out
}

/// Workloads whose restarts jumped after a rollout in `[since, now]`, as
/// anomalies of their `restarts` (subject: the workload's name; value:
/// restarts since the rollout; expected: as many as the hour before
/// would give in that time).
pub fn restart_jumps(snap: &Snapshot, restarts: &[Series], since: i64, now: i64) -> Vec<Unusual> {
    let owners = Owners::new(snap);
    let mut per: BTreeMap<(String, String), Vec<&Series>> = BTreeMap::new();
    for s in restarts.iter().filter(|s| s.key.metric == Metric::Restarts) {
        let Scope::Container { namespace, pod, .. } = &s.key.scope else { continue };
        let current = snap.pods.iter().find(|p| {
            p.metadata.name.as_deref() == Some(pod.as_str())
                && p.metadata.namespace.as_deref() == Some(namespace.as_str())
        });
        let w = current.and_then(|p| owners.workload_of(p)).or_else(|| owners.workload_of_name(snap, namespace, pod));
        if let Some(w) = w {
            per.entry((namespace.clone(), format!("{}/{}", w.kind, w.name))).or_default().push(s);
        }
    }
    let rollouts = kubeask_insight::history::timeline::from_snapshot(snap)
        .into_iter()
        .filter(|e| e.change == Change::Rollout && e.time.as_second() >= since && e.time.as_second() < now);
    let mut out = Vec::new();
    for e in rollouts {
        let Some(list) = per.get(&(e.namespace.clone(), e.object.clone())) else { continue };
        let Some(j) = kubeask_insight::history::restarts::jump_after(list, e.time.as_second(), now) else { continue };
        let name = e.object.split_once('/').map_or(e.object.as_str(), |(_, n)| n).to_string();
        let expected = j.before * j.after_secs as f64 / 3600.0;
        let anomaly = Anomaly {
            start: j.at,
            end: j.at + j.after_secs,
            t: j.first,
            value: j.after,
            expected,
            score: j.after_per_hour() / j.before.max(1.0),
            baseline: "the hour before the rollout",
        };
        out.push(Unusual { subject: name, namespace: e.namespace.clone(), metric: Metric::Restarts, anomaly });
    }
    out
}

/// Anomalies of `series` and restart jumps after rollouts in `[start,
/// end]`, newest first (the restart counts are read here; a source
/// without them gives no jumps).
pub async fn unusual_with_restarts(
    source: &Source,
    snap: &Snapshot,
    q: &Query,
    series: &[Series],
    (start, end): (i64, i64),
) -> Vec<Unusual> {
    let mut out = unusual(series);
    // NB: the whole namespace's counts: the pods from before a rollout
    // are gone from the snapshot, so a target's current pods lack them.
    let wide = Query { target: None, ..q.clone() };
    let back = start - kubeask_insight::history::restarts::WINDOW;
    match series_for(source, snap, &wide, Some(Metric::Restarts), back, end).await {
        Ok(restarts) => out.extend(
            restart_jumps(snap, &restarts, start, end)
                .into_iter()
                .filter(|u| q.target.as_ref().is_none_or(|(kind, name)| kind == "Deployment" && *name == u.subject)),
        ),
        Err(e) => tracing::debug!("no restart counts: {e}"),
    }
    out.sort_by_key(|u| std::cmp::Reverse(u.anomaly.t));
    out
}

/// `2026-12-02 03:43  recommendations-…/recommendations cpu: 137m (expected 34m)`.
pub fn unusual_line(u: &Unusual) -> String {
    let t =
        jiff::Timestamp::from_second(u.anomaly.t).map(|t| t.strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
    let m = u.metric;
    format!("{t}  {} {}: {} (expected {})", u.subject, m.as_str(), m.show(u.anomaly.value), m.show(u.anomaly.expected))
}

/// Anomalies as timeline entries, grouped with the workload of their pod.
pub fn anomaly_entries(snap: &Snapshot, found: &[Unusual]) -> Vec<Entry> {
    let owners = Owners::new(snap);
    found
        .iter()
        .filter_map(|u| {
            let pod_name = u.subject.split('/').next().unwrap_or("");
            let pod = snap.pods.iter().find(|p| {
                p.metadata.name.as_deref() == Some(pod_name)
                    && p.metadata.namespace.as_deref() == Some(u.namespace.as_str())
            });
            let owner =
                pod.and_then(|p| owners.workload_of(p)).map_or(format!("{}/Pod/{pod_name}", u.namespace), |w| {
                    format!("{}/{}/{}", u.namespace, w.kind, w.name)
                });
            let time = jiff::Timestamp::from_second(u.anomaly.t).ok()?;
            if u.metric == Metric::Restarts {
                return restart_entry(u);
            }
            let evidence = format!(
                "{} of {} at {} where {} was expected (z {:.0})",
                u.metric.as_str(),
                u.subject,
                u.metric.show(u.anomaly.value),
                u.metric.show(u.anomaly.expected),
                u.anomaly.score
            );
            Some(Entry {
                time,
                change: Change::Anomaly,
                namespace: u.namespace.clone(),
                object: format!("Pod/{pod_name}"),
                evidence,
                until: None,
                related: vec![owner],
            })
        })
        .collect()
}

/// A restart jump as a timeline entry of its workload.
fn restart_entry(u: &Unusual) -> Option<Entry> {
    let a = &u.anomaly;
    let evidence = format!(
        "restarts jumped after the rollout: {:.0} in the {} since, {:.0} expected from the hour before",
        a.value,
        show_secs((a.end - a.start) as f64),
        a.expected
    );
    let object = format!("Deployment/{}", u.subject);
    Some(Entry {
        time: jiff::Timestamp::from_second(a.t).ok()?,
        change: Change::Anomaly,
        namespace: u.namespace.clone(),
        related: vec![format!("{}/{object}", u.namespace)],
        object,
        evidence,
        until: None,
    })
}

/// Series for `q`'s target (or namespace) from `source`, over `[start, end]`.
pub async fn series_for(
    source: &Source,
    snap: &Snapshot,
    q: &Query,
    metric: Option<Metric>,
    start: i64,
    end: i64,
) -> Result<Vec<Series>, HistoryError> {
    let pods = q.target.as_ref().map(|(kind, name)| pods_of(snap, q.namespace.as_deref().unwrap_or(""), kind, name));
    let filter = SeriesFilter { metric, namespace: q.namespace.clone(), pods, nodes: Some(false) };
    source.series(&filter, start, end).await
}

/// The incident timeline for `q`: the snapshot, entries the source kept,
/// and, with a target or namespace, the anomalies of its series.
pub async fn timeline(snap: &Snapshot, source: Option<&Source>, q: &Query, now: i64) -> Vec<Incident> {
    let since = q.since.map_or(now - 24 * 3600, |s| s.as_second());
    let mut kept = match source {
        Some(s) => s.entries(since, now).await,
        None => Vec::new(),
    };
    if let Some(src) = source.filter(|_| q.target.is_some() || q.namespace.is_some()) {
        let start = since.max(now - 7 * 86_400);
        match series_for(src, snap, q, None, start, now).await {
            Ok(series) => {
                let found = unusual_with_restarts(src, snap, q, &series, (start, now)).await;
                kept.extend(anomaly_entries(snap, &found));
            }
            Err(e) => tracing::debug!("no anomalies for the timeline: {e}"),
        }
    }
    incidents(snap, &kept, q)
}

/// Right-sizing over `[start, end]` (containers with less than 30 minutes
/// of history are left out).
pub async fn sizing(
    source: &Source,
    snap: &Snapshot,
    namespace: Option<&str>,
    start: i64,
    end: i64,
) -> Result<Vec<Sizing>, HistoryError> {
    Ok(rightsizing(source, snap, namespace, start, end).await?.containers)
}

/// Requests against use, and the autoscalers against the load.
#[derive(Clone, Debug, Serialize)]
pub struct Rightsizing {
    /// Each container's sizing.
    pub containers: Vec<Sizing>,
    /// Each CPU autoscaler's advice.
    pub hpa: Vec<HpaAdvice>,
}

/// [`sizing`] and HPA advice over `[start, end]`, from one read of the
/// containers' series.
pub async fn rightsizing(
    source: &Source,
    snap: &Snapshot,
    namespace: Option<&str>,
    start: i64,
    end: i64,
) -> Result<Rightsizing, HistoryError> {
    let filter = SeriesFilter { namespace: namespace.map(str::to_string), nodes: Some(false), ..Default::default() };
    let series = source.series(&filter, start, end).await?;
    Ok(Rightsizing { containers: rightsize(snap, &series, MIN_SPAN), hpa: advise(snap, &series) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeask_insight::history::SeriesKey;

    const NODES: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: a}
status: {allocatable: {cpu: "2", memory: 4Gi}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: b}
status: {allocatable: {cpu: "2", memory: 4Gi}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
spec: {nodeName: a, containers: [{name: c, resources: {requests: {cpu: "1", memory: 2Gi}}}]}
status: {phase: Running}
"#;

    fn rising(pod: &str, from: f64, per_hour: f64, (start, end): (i64, i64)) -> Series {
        let points =
            (start..end).step_by(60).map(|t| Point { t, v: from + per_hour * (t - start) as f64 / 3600.0 }).collect();
        Series { key: SeriesKey::container(Metric::Memory, "x", pod, "c"), points }
    }

    #[test]
    fn the_cluster_runs_out_when_its_summed_use_reaches_allocatable() {
        let snap = kubeask_insight::snapshot::Snapshot::from_yaml(NODES, None).unwrap();
        let gi = 1073741824.0;
        // Two containers from 1Gi, each rising 0.1Gi an hour: 3.2Gi after
        // 6 h, 24 h more to 8Gi; a pod that came for the last hour only
        // (flat) does not bend the trend.
        let mut series = vec![rising("p", gi, 0.1 * gi, (0, 6 * 3600)), rising("q", gi, 0.1 * gi, (0, 6 * 3600))];
        let mut late = rising("r", 0.0, 0.0, (5 * 3600, 6 * 3600));
        late.points.iter_mut().for_each(|p| p.v = 0.01 * gi);
        series.push(late);
        let c = capacity(&snap, &series, 48 * 3600);
        let mem = c.iter().find(|c| c.metric == Metric::Memory).unwrap();
        assert_eq!((mem.allocatable, mem.requested), (8.0 * gi, 2.0 * gi));
        let eta = mem.eta.expect("reaches allocatable within 48 h").secs / 3600.0;
        assert!((eta - 24.0).abs() < 1.5, "{eta} h ({})", mem.sentence(48 * 3600));
        assert!(mem.sentence(48 * 3600).contains("reaching allocatable in ~24 h"), "{}", mem.sentence(48 * 3600));
        // Within a 12 h horizon it does not get there.
        assert!(capacity(&snap, &series, 12 * 3600)[0].eta.is_none());
    }
}
