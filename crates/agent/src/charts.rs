//! What the desktop draws for a workload's past: per container and metric,
//! one line per pod, the container's request and limit, the forecast band
//! ahead (with its 90% interval) and the anomalies marked — built once
//! here from the same analyses the CLI and the router use.

use std::collections::BTreeMap;

use kubeask_insight::history::anomaly::anomalies;
use kubeask_insight::history::forecast::trend;
use kubeask_insight::history::rightsize::container_resources;
use kubeask_insight::history::{Metric, Scope, Series};
use kubeask_insight::snapshot::Snapshot;
use serde::Serialize;

/// One pod's samples: times (Unix seconds) and values, the same length.
#[derive(Clone, Debug, Serialize, PartialEq, ts_rs::TS)]
#[ts(rename = "ChartLine")]
pub struct Line {
    /// The pod.
    pub label: String,
    /// Unix seconds.
    #[ts(type = "Array<number>")]
    pub t: Vec<i64>,
    /// Values (cores or bytes).
    pub v: Vec<f64>,
}

/// One point of the forecast band.
#[derive(Clone, Debug, Serialize, PartialEq, ts_rs::TS)]
pub struct BandPoint {
    /// Unix seconds (ahead of now).
    #[ts(type = "number")]
    pub t: i64,
    /// 90% interval, low end.
    pub low: f64,
    /// Most likely value.
    pub mid: f64,
    /// 90% interval, high end.
    pub high: f64,
}

/// An anomaly to mark.
#[derive(Clone, Debug, Serialize, PartialEq, ts_rs::TS)]
pub struct Mark {
    /// Unix seconds.
    #[ts(type = "number")]
    pub t: i64,
    /// The value seen.
    pub v: f64,
    /// `137m where 34m was expected (recommendations-…)`.
    pub label: String,
}

/// One chart: a container's CPU or memory across the workload's pods.
#[derive(Clone, Debug, Serialize, PartialEq, ts_rs::TS)]
pub struct Chart {
    /// cpu or memory.
    pub metric: Metric,
    /// The container.
    pub container: String,
    /// `cores` or `bytes`.
    #[ts(type = "\"cores\" | \"bytes\"")]
    pub unit: &'static str,
    /// One line per pod.
    pub lines: Vec<Line>,
    /// The container's request, when set.
    pub request: Option<f64>,
    /// The container's limit, when set.
    pub limit: Option<f64>,
    /// The forecast of the highest line, from its last sample to `horizon` ahead.
    pub band: Vec<BandPoint>,
    /// Anomalies of any line.
    pub marks: Vec<Mark>,
}

/// Points of the forecast band.
const BAND_POINTS: i64 = 24;

/// The charts of `series` (one workload's pods), memory first, then CPU,
/// each by container name.
pub fn charts(snap: &Snapshot, series: &[Series], horizon: i64) -> Vec<Chart> {
    let mut groups: BTreeMap<(u8, String), Vec<&Series>> = BTreeMap::new();
    for s in series {
        let Scope::Container { container, .. } = &s.key.scope else { continue };
        let order = if s.key.metric == Metric::Memory { 0 } else { 1 };
        groups.entry((order, container.clone())).or_default().push(s);
    }
    groups.into_values().filter_map(|list| chart(snap, &list, horizon)).collect()
}

fn chart(snap: &Snapshot, list: &[&Series], horizon: i64) -> Option<Chart> {
    let first = list.first()?;
    let Scope::Container { namespace, container, .. } = &first.key.scope else { return None };
    let metric = first.key.metric;
    let pod_of = |s: &Series| match &s.key.scope {
        Scope::Container { pod, .. } => pod.clone(),
        Scope::Node { node } => node.clone(),
        Scope::Volume { claim, .. } => claim.clone(),
    };
    let resources = list.iter().find_map(|s| {
        let pod = snap.pods.iter().find(|p| {
            p.metadata.namespace.as_deref() == Some(namespace.as_str())
                && p.metadata.name.as_deref() == Some(pod_of(s).as_str())
        })?;
        container_resources(pod, container)
    });
    let pick = |pair: (Option<f64>, Option<f64>)| if metric == Metric::Cpu { pair.0 } else { pair.1 };
    let (request, limit) = resources.map_or((None, None), |(r, l)| (pick(r), pick(l)));
    let lines: Vec<Line> = list
        .iter()
        .map(|s| Line {
            label: pod_of(s),
            t: s.points.iter().map(|p| p.t).collect(),
            v: s.points.iter().map(|p| p.v).collect(),
        })
        .collect();
    // NB: the highest of the pods still reporting (a replaced pod's line
    // ends hours ago; a band from there would start mid-chart).
    let newest = list.iter().filter_map(|s| s.points.last().map(|p| p.t)).max()?;
    let current = list.iter().filter(|s| s.points.last().is_some_and(|p| p.t >= newest - 300));
    let highest = current.max_by(|a, b| last(a).total_cmp(&last(b)))?;
    let band = trend(&highest.points).map_or(Vec::new(), |tr| {
        (0..=BAND_POINTS)
            .map(|i| {
                let t = tr.t_end + horizon * i / BAND_POINTS;
                let b = tr.at(t);
                BandPoint { t, low: b.low.max(0.0), mid: b.mid.max(0.0), high: b.high.max(0.0) }
            })
            .collect()
    });
    let marks = list
        .iter()
        .flat_map(|s| {
            anomalies(&s.points).into_iter().map(|a| Mark {
                t: a.t,
                v: a.value,
                label: format!(
                    "{} where {} was expected ({})",
                    metric.show(a.value),
                    metric.show(a.expected),
                    pod_of(s)
                ),
            })
        })
        .collect();
    let unit = if metric == Metric::Cpu { "cores" } else { "bytes" };
    Some(Chart { metric, container: container.clone(), unit, lines, request, limit, band, marks })
}

fn last(s: &Series) -> f64 {
    s.points.last().map_or(0.0, |p| p.v)
}
