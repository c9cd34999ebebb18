//! What deserves a desktop notification, and which were already raised:
//! a critical finding, or a forecast that reaches a limit within the
//! horizon — each raised once while it lasts (a problem that goes away and
//! comes back is raised again), never for a muted context. The ledger is
//! a small JSON file in the data folder, so a restart does not repeat them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kubeask_insight::analyze::{Finding, Severity};
use kubeask_insight::owners::Owners;
use kubeask_insight::snapshot::Snapshot;
use serde::{Deserialize, Serialize};

use kubeask_insight::history::volume::VolumeForecast;

use crate::insights::Forecast;

/// One thing to tell the user about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Stable while the problem lasts (workload and kind of problem, not
    /// the pod's hash or the log line).
    pub key: String,
    /// `payments/Deployment/payments-api: CrashLoopBackOff`.
    pub title: String,
    /// The finding's title or the forecast's sentence.
    pub body: String,
}

/// At most this many alerts are raised one by one per pass; the rest are
/// counted in one more.
pub const AT_ONCE: usize = 3;

/// The alerts in `findings` (critical only), `forecasts` (those with an
/// ETA; one per workload, container and line, so ten leaking replicas or
/// a restart do not make new ones) and `volumes` (those filling up).
pub fn alerts(snap: &Snapshot, findings: &[Finding], forecasts: &[Forecast], volumes: &[VolumeForecast]) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::new();
    for f in findings.iter().filter(|f| f.severity == Severity::Critical) {
        let w = &f.workload;
        let what = f.title.split(':').next().unwrap_or(&f.title).trim();
        let who = if w.namespace.is_empty() { format!("{}/{}", w.kind, w.name) } else { w.to_string() };
        let key = format!("finding:{who}:{what}");
        if !out.iter().any(|a| a.key == key) {
            out.push(Alert { key, title: format!("{who}: {what}"), body: f.title.clone() });
        }
    }
    let owners = Owners::new(snap);
    for f in forecasts.iter().filter(|f| f.eta.is_some()) {
        // `pod/container` for containers, the node's name for nodes.
        let (who, container) = match f.subject.split_once('/') {
            Some((pod, c)) => {
                let w = owners.workload_of_name(snap, &f.namespace, pod);
                (w.map_or(format!("Pod/{pod}"), |w| format!("{}/{}", w.kind, w.name)), c)
            }
            None => (format!("Node/{}", f.subject), ""),
        };
        let key = format!("forecast:{}/{who}:{container}:{}:{}", f.namespace, f.metric.as_str(), f.line_name);
        if !out.iter().any(|a| a.key == key) {
            let title = format!("{} will reach its {}", f.subject, f.line_name);
            out.push(Alert { key, title, body: f.sentence() });
        }
    }
    for v in volumes.iter().filter(|v| v.eta.is_some()) {
        let who = format!("{}/{}", v.namespace, v.claim);
        out.push(Alert { key: format!("volume:{who}"), title: format!("{who} is filling up"), body: v.sentence() });
    }
    out
}

/// Alerts raised so far, per context, and the muted contexts.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ledger {
    /// Keys raised and still current, per context.
    raised: BTreeMap<String, BTreeSet<String>>,
    /// Contexts the user muted.
    muted: BTreeSet<String>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

impl Ledger {
    /// The ledger at `path` (empty when absent or unreadable: at worst an
    /// alert is raised again).
    pub fn load(path: &Path) -> Self {
        let mut l: Ledger = std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        l.path = Some(path.to_path_buf());
        l
    }

    /// Writes it back (private to the user: it names workloads).
    pub fn save(&self) -> std::io::Result<()> {
        match &self.path {
            Some(p) => kubeask_paths::write_private(p, &serde_json::to_vec_pretty(self).unwrap_or_default()),
            None => Ok(()),
        }
    }

    /// Which of `current` (a context's alerts now) to raise: those not
    /// raised before. Remembers them; forgets those no longer current.
    /// Nothing is raised for a muted context (but it is remembered, so
    /// unmuting does not bring back old news).
    pub fn fresh(&mut self, context: &str, current: Vec<Alert>) -> Vec<Alert> {
        let seen = self.raised.entry(context.to_string()).or_default();
        let keys: BTreeSet<String> = current.iter().map(|a| a.key.clone()).collect();
        let new: Vec<Alert> = current.into_iter().filter(|a| !seen.contains(&a.key)).collect();
        *seen = keys;
        if self.muted.contains(context) {
            return Vec::new();
        }
        new
    }

    /// Whether `context` is muted.
    pub fn is_muted(&self, context: &str) -> bool {
        self.muted.contains(context)
    }

    /// Mutes or unmutes `context`.
    pub fn set_muted(&mut self, context: &str, muted: bool) {
        if muted {
            self.muted.insert(context.to_string());
        } else {
            self.muted.remove(context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(key: &str) -> Alert {
        Alert { key: key.into(), title: key.into(), body: String::new() }
    }

    #[test]
    fn a_volume_filling_up_is_an_alert_and_a_steady_one_is_not() {
        let v = |claim: &str, eta: Option<f64>| VolumeForecast {
            namespace: "data".into(),
            claim: claim.into(),
            used: 1.0,
            capacity: 2.0,
            per_hour: 0.1,
            eta: eta.map(|secs| kubeask_insight::history::forecast::Eta { secs, earliest: secs, latest: Some(secs) }),
        };
        let a = alerts(&Snapshot::default(), &[], &[], &[v("db-0", Some(3600.0)), v("db-1", None)]);
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].key.as_str(), a[0].title.as_str()), ("volume:data/db-0", "data/db-0 is filling up"));
        assert!(a[0].body.contains("fills up in ~60 min"), "{}", a[0].body);
    }

    #[test]
    fn each_alert_is_raised_once_while_it_lasts_and_never_when_muted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        let mut l = Ledger::load(&path);
        assert_eq!(l.fresh("a", vec![alert("x"), alert("y")]).len(), 2);
        assert!(l.fresh("a", vec![alert("x"), alert("y")]).is_empty());
        // Restart: still raised.
        l.save().unwrap();
        let mut l = Ledger::load(&path);
        assert!(l.fresh("a", vec![alert("x")]).is_empty());
        // y went away and came back: raised again.
        assert_eq!(l.fresh("a", vec![alert("x"), alert("y")]), vec![alert("y")]);
        l.set_muted("b", true);
        assert!(l.fresh("b", vec![alert("z")]).is_empty());
        l.set_muted("b", false);
        assert!(l.fresh("b", vec![alert("z")]).is_empty(), "old news is not raised on unmute");
        assert_eq!(l.fresh("b", vec![alert("z"), alert("w")]), vec![alert("w")]);
    }
}
