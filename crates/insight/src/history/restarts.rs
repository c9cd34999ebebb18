//! Restart-rate jumps after a rollout: a workload whose containers restart
//! far more often after a new revision than in the hour before it — the
//! rollout most likely broke it. Read from restart-count series (the own
//! sampler's, or kube-state-metrics' counter in a Prometheus).

use serde::Serialize;

use super::{clean, Point, Series};

/// How long before and after a rollout the rates are compared.
pub const WINDOW: i64 = 3600;
/// The least time after a rollout worth judging.
const LEAST_AFTER: i64 = 300;

/// Restarts seen at each sample of a counter: its increases; a drop is a
/// new container counting from zero (its value is what it restarted
/// since). The first sample counts nothing (when those restarts were is
/// not known).
pub fn increments(points: &[Point]) -> Vec<Point> {
    let pts = clean(points);
    pts.windows(2)
        .filter_map(|w| {
            let d = if w[1].v < w[0].v { w[1].v } else { w[1].v - w[0].v };
            (d > 0.0).then_some(Point { t: w[1].t, v: d })
        })
        .collect()
}

/// How restarts moved around one rollout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Jump {
    /// The rollout (Unix seconds).
    pub at: i64,
    /// Restarts in the hour before it.
    pub before: f64,
    /// Restarts after it (up to an hour, or until now).
    pub after: f64,
    /// Seconds after the rollout that were looked at.
    pub after_secs: i64,
    /// The first restart after it.
    pub first: i64,
}

impl Jump {
    /// Restarts an hour after the rollout, at the rate seen.
    pub fn after_per_hour(&self) -> f64 {
        self.after * 3600.0 / self.after_secs.max(1) as f64
    }
}

/// Whether the restarts of one workload's containers (`series`) jumped
/// after a rollout at `at`: at least 3 restarts after it, at three times
/// the rate of the hour before (and at least 3 an hour). `None` also when
/// the history does not cover the half hour before the rollout (no
/// samples is not "no restarts").
pub fn jump_after(series: &[&Series], at: i64, now: i64) -> Option<Jump> {
    let end = (at + WINDOW).min(now);
    if end - at < LEAST_AFTER {
        return None;
    }
    let covered = series.iter().any(|s| s.points.iter().any(|p| p.t <= at - WINDOW / 2));
    if !covered {
        return None;
    }
    let (mut before, mut after, mut first) = (0.0, 0.0, i64::MAX);
    for s in series {
        for p in increments(&s.points) {
            if p.t > at - WINDOW && p.t <= at {
                before += p.v;
            } else if p.t > at && p.t <= end {
                after += p.v;
                first = first.min(p.t);
            }
        }
    }
    let jump = Jump { at, before, after, after_secs: end - at, first };
    (after >= 3.0 && jump.after_per_hour() >= 3.0 * before.max(1.0)).then_some(jump)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Metric, SeriesKey};

    fn counter(pod: &str, from: i64, to: i64, value: impl Fn(i64) -> f64) -> Series {
        let points = (from..=to).step_by(15).map(|t| Point { t, v: value(t) }).collect();
        Series { key: SeriesKey::container(Metric::Restarts, "ns", pod, "c"), points }
    }

    #[test]
    fn a_crash_loop_after_a_rollout_is_a_jump_and_a_steady_one_is_not() {
        let at = 7200;
        // The old pod is steady (1 restart in its last hour) and goes at
        // the rollout; the new one restarts every 4 minutes for 40 min.
        let old = counter("w-old-a", 0, at, |t| if t > at - 600 { 5.0 } else { 4.0 });
        let new = counter("w-new-a", at, at + 2400, |t| ((t - at) / 240) as f64);
        let j = jump_after(&[&old, &new], at, at + 2400).expect("a jump");
        assert_eq!((j.before, j.after, j.after_secs), (1.0, 10.0, 2400));
        assert_eq!(j.first, at + 240);
        // The same rate before and after: not a jump.
        let steady = counter("w-a", 0, at + 2400, |t| (t / 240) as f64);
        assert_eq!(jump_after(&[&steady], at, at + 2400), None);
        // No history before the rollout: nothing can be said.
        assert_eq!(jump_after(&[&new], at, at + 2400), None);
        // A counter reset (a new container) counts its new value.
        let reset = [Point { t: 0, v: 7.0 }, Point { t: 15, v: 2.0 }, Point { t: 30, v: 3.0 }];
        assert_eq!(increments(&reset).iter().map(|p| p.v).sum::<f64>(), 3.0);
    }
}
