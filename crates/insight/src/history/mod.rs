//! Insights over time: what changed, when it started, where a series is
//! heading, what is out of the ordinary, what a container really needs.
//!
//! Pure analyses over series of samples, whichever source they came from
//! (the cluster's Prometheus or Kubeask's own sampler): the sources live in
//! `kubeask-cluster`, and the model only explains what these compute.

pub mod anomaly;
pub mod forecast;
pub mod hpa;
pub mod restarts;
pub mod rightsize;
pub mod stats;
pub mod timeline;
pub mod volume;

use serde::{Deserialize, Serialize};

/// What a series measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// CPU in cores.
    Cpu,
    /// Memory (working set) in bytes.
    Memory,
    /// A container's restart count (a counter; read only when asked for
    /// by name, never with "every metric").
    Restarts,
    /// A volume's used bytes (the kubelet's stats; by name only).
    VolumeUsed,
    /// A volume's capacity in bytes (by name only).
    VolumeCapacity,
}

impl Metric {
    /// The name used in files, URLs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::Memory => "memory",
            Metric::Restarts => "restarts",
            Metric::VolumeUsed => "volume_used",
            Metric::VolumeCapacity => "volume_capacity",
        }
    }

    /// The usage metrics ("every metric" of a filter): CPU and memory.
    pub const USAGE: [Metric; 2] = [Metric::Cpu, Metric::Memory];

    /// Parses `cpu` / `memory` (and `mem`) / `restarts`.
    pub fn parse(s: &str) -> Option<Metric> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Some(Metric::Cpu),
            "memory" | "mem" => Some(Metric::Memory),
            "restarts" => Some(Metric::Restarts),
            "volume_used" => Some(Metric::VolumeUsed),
            "volume_capacity" => Some(Metric::VolumeCapacity),
            _ => None,
        }
    }

    /// A value of this metric as people read it (`250m`, `512Mi`).
    pub fn show(self, v: f64) -> String {
        match self {
            Metric::Cpu if v < 1.0 => format!("{:.0}m", v * 1000.0),
            Metric::Cpu => format!("{v:.2} cores"),
            Metric::Memory | Metric::VolumeUsed | Metric::VolumeCapacity => crate::text::show_mem(v),
            Metric::Restarts => format!("{v:.0}"),
        }
    }
}

/// Whose series it is: one container of one pod, one node, or one
/// claim's volume.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// A container of a pod.
    Container {
        /// Namespace of the pod.
        namespace: String,
        /// Pod name.
        pod: String,
        /// Container name.
        container: String,
    },
    /// A node.
    Node {
        /// Node name.
        node: String,
    },
    /// A PersistentVolumeClaim's volume.
    Volume {
        /// Namespace of the claim.
        namespace: String,
        /// Claim name.
        claim: String,
    },
}

/// The identity of one series.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    /// What is measured.
    pub metric: Metric,
    /// Whose it is.
    #[serde(flatten)]
    pub scope: Scope,
}

impl SeriesKey {
    /// A container's series.
    pub fn container(metric: Metric, namespace: &str, pod: &str, container: &str) -> Self {
        let scope = Scope::Container { namespace: namespace.into(), pod: pod.into(), container: container.into() };
        SeriesKey { metric, scope }
    }

    /// A claim's volume series.
    pub fn volume(metric: Metric, namespace: &str, claim: &str) -> Self {
        SeriesKey { metric, scope: Scope::Volume { namespace: namespace.into(), claim: claim.into() } }
    }

    /// A node's series.
    pub fn node(metric: Metric, node: &str) -> Self {
        SeriesKey { metric, scope: Scope::Node { node: node.into() } }
    }
}

/// One sample: seconds since the Unix epoch, and the value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Unix seconds.
    pub t: i64,
    /// The value (cores or bytes).
    pub v: f64,
}

/// A series: its key and its samples, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Whose and what.
    pub key: SeriesKey,
    /// Samples, oldest first, finite values only.
    pub points: Vec<Point>,
}

/// Samples with finite values, sorted by time, one per timestamp (the
/// last one given wins): what every analysis expects of its input.
pub fn clean(points: &[Point]) -> Vec<Point> {
    let mut out: Vec<Point> = points.iter().copied().filter(|p| p.v.is_finite()).collect();
    out.sort_by_key(|p| p.t);
    out.dedup_by(|later, earlier| {
        let same = later.t == earlier.t;
        if same {
            earlier.v = later.v;
        }
        same
    });
    out
}

/// Parses a duration as the CLI and fixtures write it (`-45m`, `10m`,
/// `6h`, `14d`, `30s`, `1.5h`) into seconds.
pub fn parse_secs(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.trim().parse().ok()?;
    let mult = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    Some((n * mult) as i64).filter(|_| n.is_finite())
}

/// Several series summed per minute: each series' samples averaged
/// within the minute, then added up; with how many series had a sample in
/// that minute (a pod that came and went, or a gap).
pub fn per_minute_sum<'a>(list: impl IntoIterator<Item = &'a Series>) -> std::collections::BTreeMap<i64, (f64, usize)> {
    let mut minutes: std::collections::BTreeMap<i64, (f64, usize)> = std::collections::BTreeMap::new();
    for s in list {
        let mut per: std::collections::BTreeMap<i64, (f64, usize)> = std::collections::BTreeMap::new();
        for p in s.points.iter().filter(|p| p.v.is_finite()) {
            let e = per.entry(p.t.div_euclid(60) * 60).or_default();
            e.0 += p.v;
            e.1 += 1;
        }
        for (t, (sum, n)) in per {
            let e = minutes.entry(t).or_default();
            e.0 += sum / n as f64;
            e.1 += 1;
        }
    }
    minutes
}

/// The stretches `[first, last]` of a series' samples with no gap longer
/// than `gap` seconds (when a condition series shows only where it held).
pub fn stretches(points: &[Point], gap: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for p in clean(points) {
        match out.last_mut() {
            Some((_, last)) if p.t - *last <= gap => *last = p.t,
            _ => out.push((p.t, p.t)),
        }
    }
    out
}

/// Human form of a number of seconds: `45 min`, `~3 h`, `2 days`.
pub fn show_secs(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "never".into();
    }
    let m = secs / 60.0;
    if m < 90.0 {
        format!("{:.0} min", m.max(1.0))
    } else if m < 48.0 * 60.0 {
        format!("{:.0} h", m / 60.0)
    } else {
        format!("{:.0} days", m / 1440.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_split_at_gaps_longer_than_allowed() {
        let pts: Vec<Point> = [0, 15, 30, 45, 300, 315, 900].iter().map(|&t| Point { t, v: 1.0 }).collect();
        assert_eq!(stretches(&pts, 30), vec![(0, 45), (300, 315), (900, 900)]);
        assert_eq!(stretches(&[], 30), vec![]);
    }
}
