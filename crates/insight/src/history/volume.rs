//! Persistent volumes filling up: a claim's used bytes over time (the
//! kubelet's volume stats, as Prometheus keeps them) against its capacity,
//! with the same robust trend as memory and CPU — "data-mongodb-0 fills up
//! in ~7 h".

use serde::Serialize;

use super::forecast::{time_to, trend, Eta};
use super::{show_secs, Point};

/// One claim's use over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Volume {
    /// Namespace of the claim.
    pub namespace: String,
    /// The PersistentVolumeClaim.
    pub claim: String,
    /// Its capacity (bytes).
    pub capacity: f64,
    /// Bytes used over time.
    pub used: Vec<Point>,
}

/// Where a claim is heading.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VolumeForecast {
    /// Namespace.
    pub namespace: String,
    /// The claim.
    pub claim: String,
    /// Bytes used now (the fitted level).
    pub used: f64,
    /// Capacity (bytes).
    pub capacity: f64,
    /// Bytes a hour.
    pub per_hour: f64,
    /// When it is full, within the horizon.
    pub eta: Option<Eta>,
}

/// Bytes as people read sizes of disks: `18.4Gi`, `512Mi`.
pub fn show_bytes(b: f64) -> String {
    let mi = b / (1024.0 * 1024.0);
    if mi.abs() >= 1024.0 {
        format!("{:.1}Gi", mi / 1024.0)
    } else {
        format!("{mi:.0}Mi")
    }
}

impl VolumeForecast {
    /// `data/data-mongodb-0 fills up (20.0Gi) in ~7 h (5 h – 9 h): 17.1Gi used, rising 410Mi/h`.
    pub fn sentence(&self) -> String {
        let who = format!("{}/{}", self.namespace, self.claim);
        let used = format!("{} of {} used", show_bytes(self.used), show_bytes(self.capacity));
        match &self.eta {
            Some(e) if e.secs <= 0.0 => format!("{who} is full ({used})"),
            Some(e) => format!(
                "{who} fills up in ~{} ({} – {}): {used}, rising {}/h",
                show_secs(e.secs),
                show_secs(e.earliest),
                e.latest.map_or("never".into(), show_secs),
                show_bytes(self.per_hour)
            ),
            None => format!("{who}: {used}, not filling up soon"),
        }
    }
}

/// The forecast of each volume, those filling up within `horizon` seconds
/// (soonest first) with an ETA.
pub fn forecasts(volumes: &[Volume], horizon: i64) -> Vec<VolumeForecast> {
    let mut out: Vec<VolumeForecast> = volumes
        .iter()
        .filter(|v| v.capacity > 0.0)
        .filter_map(|v| {
            let t = trend(&v.used)?;
            Some(VolumeForecast {
                namespace: v.namespace.clone(),
                claim: v.claim.clone(),
                used: t.level,
                capacity: v.capacity,
                per_hour: t.slope * 3600.0,
                eta: time_to(&t, v.capacity).filter(|e| e.secs <= horizon as f64),
            })
        })
        .collect();
    let key = |f: &VolumeForecast| f.eta.map_or(f64::INFINITY, |e| e.secs);
    out.sort_by(|a, b| key(a).total_cmp(&key(b)).then_with(|| a.claim.cmp(&b.claim)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filling_volume_gets_an_eta_and_a_steady_one_does_not() {
        const GI: f64 = 1024.0 * 1024.0 * 1024.0;
        // 10 Gi used, growing 1 Gi an hour, sampled every minute for 6 h:
        // 16 Gi at the end, 4 h from a 20 Gi capacity.
        let filling: Vec<Point> = (0..=360).map(|i| Point { t: i * 60, v: 10.0 * GI + i as f64 / 60.0 * GI }).collect();
        let steady: Vec<Point> = (0..=360).map(|i| Point { t: i * 60, v: 5.0 * GI }).collect();
        let vol = |claim: &str, used: Vec<Point>| Volume {
            namespace: "data".into(),
            claim: claim.into(),
            capacity: 20.0 * GI,
            used,
        };
        let f = forecasts(&[vol("steady", steady), vol("filling", filling)], 24 * 3600);
        assert_eq!(f[0].claim, "filling");
        let eta = f[0].eta.expect("it fills within a day");
        assert!((eta.secs - 4.0 * 3600.0).abs() < 60.0, "{eta:?}");
        assert!(f[0].sentence().starts_with("data/filling fills up in ~4 h"), "{}", f[0].sentence());
        assert!(f[1].eta.is_none() && f[1].sentence().contains("not filling up soon"));
    }
}
