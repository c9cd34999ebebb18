//! What is out of the ordinary: each sample against a baseline — the same
//! time of day on other days when the series spans two days or more (so a
//! daily cycle is normal), otherwise the median of its neighbours within a
//! quarter hour — scored by a robust z (residual over the residuals' MAD).

use serde::Serialize;

use super::stats::{mad_sigma, median};
use super::{clean, Point};

/// Seconds in a day: the season of a cluster's load.
pub const DAY: i64 = 86_400;
/// Half the neighbourhood of the local baseline.
const LOCAL: i64 = 15 * 60;
/// Half the window, in time of day, of the seasonal baseline.
const SEASONAL: i64 = 10 * 60;
/// |z| at or above which a sample is out of the ordinary.
pub const Z_LIMIT: f64 = 6.0;
/// And it must differ from its baseline by at least this share.
const MIN_RELATIVE: f64 = 0.2;

/// A stretch of samples out of the ordinary, told by its peak.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Anomaly {
    /// First sample of the stretch.
    pub start: i64,
    /// Last sample of the stretch.
    pub end: i64,
    /// Time of the peak.
    pub t: i64,
    /// Value at the peak.
    pub value: f64,
    /// What the baseline expected there.
    pub expected: f64,
    /// Robust z of the peak.
    pub score: f64,
    /// `seasonal` or `local`: which baseline judged it.
    pub baseline: &'static str,
}

/// The stretches of `points` that are out of the ordinary, oldest first.
pub fn anomalies(points: &[Point]) -> Vec<Anomaly> {
    let pts = clean(points);
    if pts.len() < 12 {
        return Vec::new();
    }
    let seasonal = pts[pts.len() - 1].t - pts[0].t >= 2 * DAY;
    let bins = seasonal.then(|| day_bins(&pts));
    let local = local_medians(&pts);
    let expected: Vec<f64> = (0..pts.len()).map(|i| baseline(&pts, i, bins.as_ref()).unwrap_or(local[i])).collect();
    let resid: Vec<f64> = pts.iter().zip(&expected).map(|(p, e)| p.v - e).collect();
    let scale_floor = median(&pts.iter().map(|p| p.v.abs()).collect::<Vec<_>>()).unwrap_or(0.0) * 0.01;
    let centre = median(&resid).unwrap_or(0.0);
    let sigma = mad_sigma(&resid).unwrap_or(0.0).max(scale_floor).max(1e-12);
    let mut out: Vec<Anomaly> = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let z = (resid[i] - centre) / sigma;
        let relative = resid[i].abs() / expected[i].abs().max(scale_floor * 10.0).max(1e-12);
        if z.abs() < Z_LIMIT || relative < MIN_RELATIVE {
            continue;
        }
        let found = Anomaly {
            start: p.t,
            end: p.t,
            t: p.t,
            value: p.v,
            expected: expected[i],
            score: z,
            baseline: if seasonal { "seasonal" } else { "local" },
        };
        match out.last_mut() {
            Some(a) if p.t - a.end <= 5 * 60 => {
                a.end = p.t;
                if z.abs() > a.score.abs() {
                    (a.t, a.value, a.expected, a.score) = (p.t, p.v, expected[i], z);
                }
            }
            _ => out.push(found),
        }
    }
    out
}

/// Sample indexes by time-of-day bin, for the seasonal baseline.
type Bins = std::collections::HashMap<i64, Vec<usize>>;

fn day_bins(pts: &[Point]) -> Bins {
    let mut bins = Bins::new();
    for (i, p) in pts.iter().enumerate() {
        bins.entry(p.t.rem_euclid(DAY) / SEASONAL).or_default().push(i);
    }
    bins
}

/// The seasonal baseline of sample `i`: the median at the same time of
/// day on other days (`None` without two days, or fewer than 3 such samples).
fn baseline(pts: &[Point], i: usize, bins: Option<&Bins>) -> Option<f64> {
    let t = pts[i].t;
    let bins = bins?;
    let bin = t.rem_euclid(DAY) / SEASONAL;
    let last_bin = (DAY - 1) / SEASONAL;
    let near = [bin - 1, bin, bin + 1].map(|b| b.rem_euclid(last_bin + 1));
    let same_time: Vec<f64> = near
        .iter()
        .filter_map(|b| bins.get(b))
        .flatten()
        .map(|&j| pts[j])
        .filter(|p| {
            let d = (p.t - t).rem_euclid(DAY);
            (p.t - t).abs() >= DAY / 2 && (d <= SEASONAL || d >= DAY - SEASONAL)
        })
        .map(|p| p.v)
        .collect();
    (same_time.len() >= 3).then(|| median(&same_time)).flatten()
}

/// The median of each sample's neighbours within ±[`LOCAL`], in one pass:
/// the window slides forward, kept sorted (inserting and removing by
/// binary search) instead of sorted anew for every sample.
fn local_medians(pts: &[Point]) -> Vec<f64> {
    let mut window: Vec<f64> = Vec::new();
    let (mut lo, mut hi) = (0, 0);
    let mut out = Vec::with_capacity(pts.len());
    for p in pts {
        while hi < pts.len() && pts[hi].t <= p.t + LOCAL {
            let v = pts[hi].v;
            let at = window.partition_point(|x| x.total_cmp(&v).is_lt());
            window.insert(at, v);
            hi += 1;
        }
        while pts[lo].t < p.t - LOCAL {
            let v = pts[lo].v;
            let at = window.partition_point(|x| x.total_cmp(&v).is_lt());
            window.remove(at);
            lo += 1;
        }
        out.push(crate::history::stats::quantile_sorted(&window, 0.5).unwrap_or(p.v));
    }
    out
}

/// A lasting change of level at `at` (a rollout): medians of the hour
/// before and the hour after, when they differ clearly.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shift {
    /// Median before.
    pub before: f64,
    /// Median after.
    pub after: f64,
    /// Robust z of the change against the noise before.
    pub score: f64,
}

/// Whether the series settled at another level after `at`.
pub fn shift_after(points: &[Point], at: i64) -> Option<Shift> {
    let pts = clean(points);
    let before: Vec<f64> = pts.iter().filter(|p| p.t < at && p.t >= at - 3600).map(|p| p.v).collect();
    let after: Vec<f64> = pts.iter().filter(|p| p.t > at && p.t <= at + 3600).map(|p| p.v).collect();
    if before.len() < 4 || after.len() < 4 {
        return None;
    }
    let (b, a) = (median(&before)?, median(&after)?);
    let noise = mad_sigma(&before)?.max(b.abs() * 0.01).max(1e-12);
    let score = (a - b) / noise;
    (score.abs() >= 4.0 && (a - b).abs() >= 0.25 * b.abs().max(1e-12)).then_some(Shift { before: b, after: a, score })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_medians_equal_medians_of_each_window() {
        let pts: Vec<Point> = (0..500).map(|i| Point { t: i * 15 + (i % 7), v: ((i * 7919) % 103) as f64 }).collect();
        let fast = local_medians(&pts);
        for (i, p) in pts.iter().enumerate() {
            let lo = pts.partition_point(|q| q.t < p.t - LOCAL);
            let hi = pts.partition_point(|q| q.t <= p.t + LOCAL);
            assert_eq!(fast[i], median(&pts[lo..hi].iter().map(|q| q.v).collect::<Vec<_>>()).unwrap(), "at {i}");
        }
    }

    #[test]
    fn a_step_after_a_rollout_is_a_shift_and_noise_is_not() {
        let pts: Vec<Point> =
            (0..480).map(|i| Point { t: i * 15, v: if i < 240 { 100.0 } else { 180.0 } + (i % 3) as f64 }).collect();
        let s = shift_after(&pts, 240 * 15).unwrap();
        assert!((s.after - 181.0).abs() < 1.0 && (s.before - 101.0).abs() < 1.0, "{s:?}");
        assert_eq!(shift_after(&pts, 100 * 15), None);
    }
}
