//! Where a series is heading: a robust linear trend (Theil–Sen: the median
//! of pairwise slopes, which a spike or a restart cannot drag) with Sen's
//! confidence interval for the slope and a residual spread for the level,
//! and the time until it reaches a line such as a memory limit.

use serde::Serialize;

use super::stats::{mad_sigma, median, quantile_sorted};
use super::{clean, Point};

/// Fewest samples a trend is fitted on.
pub const MIN_POINTS: usize = 8;
/// Shortest span (seconds) a trend is fitted over.
pub const MIN_SPAN: i64 = 10 * 60;
/// Pairwise slopes grow as n²: longer series are thinned to this many
/// evenly spaced samples first.
const MAX_FIT_POINTS: usize = 160;
/// z for a two-sided 90% interval.
const Z90: f64 = 1.645;

/// A fitted trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// Change per second (median of pairwise slopes).
    pub slope: f64,
    /// 90% interval of the slope.
    pub slope_low: f64,
    /// Upper end of the slope's interval.
    pub slope_high: f64,
    /// The fitted value at `t_end`.
    pub level: f64,
    /// Time of the last sample.
    pub t_end: i64,
    /// Robust spread (σ) of the samples around the line.
    pub spread: f64,
    /// Samples fitted.
    pub samples: usize,
}

/// A forecast value with its 90% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Band {
    /// Most likely value.
    pub mid: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Trend {
    /// The forecast at time `t` (after `t_end` for a forecast).
    pub fn at(&self, t: i64) -> Band {
        let h = (t - self.t_end) as f64;
        let mid = self.level + self.slope * h;
        let (a, b) = (self.level + self.slope_low * h, self.level + self.slope_high * h);
        let margin = Z90 * self.spread;
        Band { mid, low: a.min(b) - margin, high: a.max(b) + margin }
    }
}

/// Fits the trend of a series; `None` with too few samples or too short a
/// span to say anything.
pub fn trend(points: &[Point]) -> Option<Trend> {
    let pts = thin(&clean(points), MAX_FIT_POINTS);
    let (first, last) = (pts.first()?, pts.last()?);
    if pts.len() < MIN_POINTS || last.t - first.t < MIN_SPAN {
        return None;
    }
    let mut slopes = Vec::with_capacity(pts.len() * pts.len() / 2);
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            slopes.push((b.v - a.v) / (b.t - a.t) as f64);
        }
    }
    slopes.sort_by(f64::total_cmp);
    let slope = quantile_sorted(&slopes, 0.5)?;
    let (slope_low, slope_high) = sen_interval(&slopes, pts.len());
    let t_end = last.t;
    let at_end: Vec<f64> = pts.iter().map(|p| p.v + slope * (t_end - p.t) as f64).collect();
    let level = median(&at_end)?;
    let resid: Vec<f64> = pts.iter().map(|p| p.v - (level - slope * (t_end - p.t) as f64)).collect();
    let spread = mad_sigma(&resid)?;
    Some(Trend { slope, slope_low, slope_high, level, t_end, spread, samples: pts.len() })
}

/// Sen's (1968) interval: ranks of the sorted pairwise slopes from the
/// variance of Kendall's S.
fn sen_interval(sorted: &[f64], n: usize) -> (f64, f64) {
    let n = n as f64;
    let c = Z90 * (n * (n - 1.0) * (2.0 * n + 5.0) / 18.0).sqrt();
    let big_n = sorted.len() as f64;
    let lo = (((big_n - c) / 2.0).floor().max(0.0) as usize).min(sorted.len() - 1);
    let hi = (((big_n + c) / 2.0).ceil() as usize).min(sorted.len() - 1);
    (sorted[lo], sorted[hi])
}

/// Evenly spaced samples (always keeping the last).
fn thin(points: &[Point], max: usize) -> Vec<Point> {
    if points.len() <= max {
        return points.to_vec();
    }
    let step = points.len() as f64 / max as f64;
    let mut out: Vec<Point> = (0..max).map(|i| points[(i as f64 * step) as usize]).collect();
    out.push(*points.last().expect("non-empty"));
    out.dedup_by_key(|p| p.t);
    out
}

/// When a rising series reaches `line`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Eta {
    /// Seconds from the last sample, most likely.
    pub secs: f64,
    /// Soonest plausible (90%).
    pub earliest: f64,
    /// Latest plausible; `None` when it may never get there.
    pub latest: Option<f64>,
}

/// Seconds until the trend reaches `line` (0 when it is there already);
/// `None` when it is not heading there.
pub fn time_to(trend: &Trend, line: f64) -> Option<Eta> {
    if trend.level >= line {
        return Some(Eta { secs: 0.0, earliest: 0.0, latest: Some(0.0) });
    }
    if trend.slope <= 0.0 {
        return None;
    }
    let gap = line - trend.level;
    let margin = Z90 * trend.spread;
    let secs = gap / trend.slope;
    let earliest = ((gap - margin).max(0.0) / trend.slope_high.max(trend.slope)).min(secs);
    let latest = (trend.slope_low > 0.0).then(|| ((gap + margin) / trend.slope_low).max(secs));
    Some(Eta { secs, earliest, latest })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: i64, step: i64, v0: f64, slope: f64) -> Vec<Point> {
        (0..n).map(|i| Point { t: i * step, v: v0 + slope * (i * step) as f64 }).collect()
    }

    #[test]
    fn a_leak_reaches_its_limit_when_the_line_says() {
        // 100 MiB/h from 200 MiB, one hour sampled every 15 s; limit 512 MiB.
        let mib = 1024.0 * 1024.0;
        let pts = line(241, 15, 200.0 * mib, 100.0 * mib / 3600.0);
        let t = trend(&pts).unwrap();
        let eta = time_to(&t, 512.0 * mib).unwrap();
        assert!((eta.secs / 3600.0 - 2.12).abs() < 0.01, "{eta:?}");
        assert!(eta.earliest <= eta.secs && eta.latest.unwrap() >= eta.secs);
    }

    #[test]
    fn a_spike_does_not_bend_the_trend_and_a_flat_series_never_arrives() {
        let mut pts = line(120, 15, 100.0, 0.0);
        pts[60].v = 10_000.0;
        let t = trend(&pts).unwrap();
        assert_eq!(t.slope, 0.0);
        assert_eq!(time_to(&t, 200.0), None);
        assert!(trend(&pts[..5]).is_none(), "too few samples");
    }
}
