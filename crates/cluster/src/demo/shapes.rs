//! The demo's past: how each container's CPU and memory moved before the
//! fixture's `now`, from `metrics.yaml` (steady with noise unless a rule
//! shapes it: a daily cycle, a slow leak, a spike, a step after a
//! rollout). Deterministic, so tests know the answers; every series ends
//! at the fixture's PodMetrics value, so today's answers do not move.
//!
//! ```yaml
//! prometheus: {namespace: monitoring, service: prometheus, port: 9090}
//! noise: 0.02
//! shapes:
//!   - {namespace: payments, workload: payments-api, metric: memory, shape: leak, per_hour: 0.06}
//!   - {namespace: shop, workload: recommendations, metric: cpu, shape: spike, at: -45m, for: 10m, factor: 4}
//! ```

use kubeask_insight::history::{parse_secs as secs, Metric, Point, Series, SeriesKey};
use serde::Deserialize;

/// `metrics.yaml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsPlan {
    /// The fixture's Service the demo answers Prometheus queries on.
    #[serde(default)]
    pub prometheus: Option<PromService>,
    /// Relative noise of every series (default 0.02).
    #[serde(default)]
    pub noise: Option<f64>,
    /// How far back the past goes (default `6h`, at most `14d`).
    #[serde(default)]
    pub history: Option<String>,
    /// Shaping rules; the first match wins.
    #[serde(default)]
    pub shapes: Vec<Rule>,
    /// How full bound PersistentVolumeClaims are and how that moved (the
    /// kubelet's volume stats); others are 40% full and steady.
    #[serde(default)]
    pub volumes: Vec<VolumeRule>,
}

/// One claim's use: the fraction of its capacity used now, and its shape.
/// (NB: no `deny_unknown_fields`, as for [`Rule`].)
#[derive(Clone, Debug, Deserialize)]
pub struct VolumeRule {
    /// Namespace.
    pub namespace: String,
    /// The PersistentVolumeClaim.
    pub claim: String,
    /// Fraction of the capacity used now (0–1).
    pub used: f64,
    /// The shape.
    #[serde(flatten)]
    pub shape: Shape,
}

/// A Service of the fixture that serves the Prometheus API.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PromService {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub service: String,
    /// Port.
    pub port: i32,
}

/// Which containers a shape applies to. (NB: no `deny_unknown_fields`:
/// serde cannot combine it with the flattened shape.)
#[derive(Clone, Debug, Deserialize)]
pub struct Rule {
    /// Namespace.
    pub namespace: String,
    /// Workload name (its pods' names start with it and a dash) or a pod name.
    pub workload: String,
    /// Only this container (all when absent).
    #[serde(default)]
    pub container: Option<String>,
    /// `cpu` or `memory`.
    pub metric: String,
    /// The shape.
    #[serde(flatten)]
    pub shape: Shape,
}

/// How a series moves, as a factor of its value at `now`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Shape {
    /// Noise only.
    Steady,
    /// A daily cycle of ± `amplitude`.
    Daily {
        /// Relative amplitude.
        amplitude: f64,
    },
    /// Grows by `per_hour` of its value each hour (so it was lower before).
    Leak {
        /// Relative growth per hour.
        per_hour: f64,
    },
    /// `factor` times its value from `at` for `for`.
    Spike {
        /// Start, relative to now (`-45m`).
        at: String,
        /// Length (`10m`).
        #[serde(rename = "for")]
        lasts: String,
        /// Multiplier.
        factor: f64,
    },
    /// `before` times its value until `at`, then its value.
    Step {
        /// When it changed (`-2h`).
        at: String,
        /// Multiplier before.
        before: f64,
    },
}

impl Shape {
    /// The factor at `t` seconds from now (negative: the past).
    pub fn factor(&self, t: i64) -> f64 {
        match self {
            Shape::Steady => 1.0,
            Shape::Daily { amplitude } => 1.0 + amplitude * (2.0 * std::f64::consts::PI * t as f64 / 86_400.0).sin(),
            Shape::Leak { per_hour } => (1.0 + per_hour * t as f64 / 3600.0).max(0.3),
            Shape::Spike { at, lasts, factor } => {
                let (a, l) = (secs(at).unwrap_or(0), secs(lasts).unwrap_or(0));
                if t >= a && t < a + l {
                    *factor
                } else {
                    1.0
                }
            }
            Shape::Step { at, before } => {
                if t < secs(at).unwrap_or(0) {
                    *before
                } else {
                    1.0
                }
            }
        }
    }
}

impl MetricsPlan {
    /// Parses `metrics.yaml`, checking every time and metric.
    pub fn parse(text: &str) -> Result<Self, String> {
        let plan: MetricsPlan = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        for r in &plan.shapes {
            Metric::parse(&r.metric).ok_or_else(|| format!("metric `{}` is not cpu or memory", r.metric))?;
            let times: Vec<&String> = match &r.shape {
                Shape::Spike { at, lasts, .. } => vec![at, lasts],
                Shape::Step { at, .. } => vec![at],
                _ => vec![],
            };
            if let Some(bad) = times.into_iter().find(|t| secs(t).is_none()) {
                return Err(format!("`{bad}` is not a time like -45m, 2h or 1d"));
            }
        }
        if let Some(v) = plan.volumes.iter().find(|v| !(0.0..=1.0).contains(&v.used)) {
            return Err(format!("volume {}/{}: `used` must be between 0 and 1", v.namespace, v.claim));
        }
        if let Some(h) = &plan.history {
            secs(h)
                .filter(|s| *s > 0 && *s <= 14 * 86_400)
                .ok_or_else(|| format!("history `{h}` must be between 1s and 14d"))?;
        }
        Ok(plan)
    }

    /// How far back the past goes (seconds).
    pub fn history_secs(&self) -> i64 {
        self.history.as_deref().and_then(secs).unwrap_or(6 * 3600)
    }

    fn shape_of(&self, key: &SeriesKey) -> Shape {
        let kubeask_insight::history::Scope::Container { namespace, pod, container } = &key.scope else {
            return Shape::Steady;
        };
        self.shapes
            .iter()
            .find(|r| {
                &r.namespace == namespace
                    && (pod == &r.workload || pod.strip_prefix(&r.workload).is_some_and(|rest| rest.starts_with('-')))
                    && r.container.as_ref().is_none_or(|c| c == container)
                    && Metric::parse(&r.metric) == Some(key.metric)
            })
            .map_or(Shape::Steady, |r| r.shape.clone())
    }

    /// The value of a series at `t` seconds from now, given its value now.
    pub fn value(&self, key: &SeriesKey, now_value: f64, t: i64) -> f64 {
        let noise = if t == 0 { 0.0 } else { self.noise.unwrap_or(0.02) * unit_noise(key, t / 15) };
        (now_value * self.shape_of(key).factor(t) * (1.0 + noise)).max(0.0)
    }
}

impl MetricsPlan {
    /// Bytes used by a claim of `capacity` at `t` seconds from now.
    pub fn volume_used(&self, namespace: &str, claim: &str, capacity: f64, t: i64) -> f64 {
        let rule = self.volumes.iter().find(|v| v.namespace == namespace && v.claim == claim);
        let (used, shape) = rule.map_or((0.4, Shape::Steady), |r| (r.used, r.shape.clone()));
        (capacity * used * shape.factor(t)).clamp(0.0, capacity)
    }
}

/// Deterministic noise in [-1, 1] per series and 15-second slot.
fn unit_noise(key: &SeriesKey, slot: i64) -> f64 {
    let text = format!("{key:?}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(slot.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 29;
    (h % 20_001) as f64 / 10_000.0 - 1.0
}

/// One container's value now and since when it exists.
#[derive(Clone, Debug)]
pub struct Base {
    /// Whose.
    pub key: SeriesKey,
    /// Value at now.
    pub now_value: f64,
    /// Seconds from now when the pod was created (negative).
    pub since: i64,
}

/// The series of every base over `[from, to]` seconds from now, every
/// `step` seconds, with times as `origin + t` (Unix seconds).
pub fn generate(plan: &MetricsPlan, bases: &[Base], origin: i64, from: i64, to: i64, step: i64) -> Vec<Series> {
    let step = step.max(1);
    let first = from.div_euclid(step) * step;
    bases
        .iter()
        .map(|b| {
            let points = (0..)
                .map(|i| first + i * step)
                .take_while(|t| *t <= to)
                .filter(|t| *t >= from && *t >= b.since)
                .map(|t| Point { t: origin + t, v: plan.value(&b.key, b.now_value, t) })
                .collect();
            Series { key: b.key.clone(), points }
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_end_at_now_and_move_before() {
        let plan = MetricsPlan::parse(
            "shapes:\n  - {namespace: p, workload: api, metric: memory, shape: leak, per_hour: 0.1}\n  - {namespace: p, workload: web, metric: cpu, shape: spike, at: -45m, for: 10m, factor: 4}\n",
        )
        .unwrap();
        let api = SeriesKey::container(Metric::Memory, "p", "api-5f-x", "c");
        assert_eq!(plan.value(&api, 100.0, 0), 100.0);
        let hour_ago = plan.value(&api, 100.0, -3600);
        assert!((hour_ago - 90.0).abs() < 2.5, "{hour_ago}");
        let web = SeriesKey::container(Metric::Cpu, "p", "web-1", "c");
        assert!(plan.value(&web, 1.0, -40 * 60) > 3.5);
        assert!(plan.value(&web, 1.0, -50 * 60) < 1.1);
        assert!(MetricsPlan::parse("shapes:\n  - {namespace: p, workload: a, metric: disk, shape: steady}\n").is_err());
        assert!(MetricsPlan::parse(
            "shapes:\n  - {namespace: p, workload: a, metric: cpu, shape: step, at: soon, before: 1}\n"
        )
        .is_err());
    }
}
