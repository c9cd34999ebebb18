//! `history(what, target?, namespace?, metric?, since_minutes?)`: the
//! cluster's past and its trend — the incident timeline, usage over a
//! period, forecasts, over/under-provisioned workloads, anomalies. The
//! samples live outside the snapshot (the cluster's Prometheus or
//! Kubeask's own store), so [`resolve`] checks the call against the
//! snapshot and the caller reads the history.

use serde::{Deserialize, Serialize};

use super::find::suggestions;
use super::ToolError;
use crate::history::Metric;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// What the `history` tool is asked for (its `what` argument).
pub const WHATS: &[&str] = &[
    "timeline",
    "when_started_failing",
    "changed_before_failure",
    "usage",
    "forecast",
    "over_provisioned",
    "under_provisioned",
    "anomalies",
    "volumes_filling",
    "cluster_capacity",
];

/// Arguments of `history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HistoryArgs {
    /// One of [`WHATS`].
    pub what: String,
    /// A workload or pod; the namespace or the whole cluster when omitted.
    #[serde(default)]
    pub target: Option<String>,
    /// Namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `cpu` or `memory` (usage and forecast; memory when omitted).
    #[serde(default)]
    pub metric: Option<String>,
    /// How far back, in minutes (usage, timeline, anomalies, sizing) or,
    /// for a forecast, how far ahead.
    #[serde(default)]
    pub since_minutes: Option<i64>,
}

/// What is asked, checked against the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRequest {
    /// One of [`WHATS`].
    pub what: &'static str,
    /// The object (kind, namespace, name), when one was named.
    pub target: Option<(Kind, String, String)>,
    /// Namespace (the target's when one was named).
    pub namespace: Option<String>,
    /// The metric.
    pub metric: Metric,
    /// Seconds back (or ahead, for a forecast), when given.
    pub period: Option<i64>,
}

/// Kinds whose past the tool reads, in the order a bare name is looked up.
const TARGETS: &[Kind] = &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::CronJob, Kind::Job, Kind::Pod];

/// Checks a call: `what` known, the target an existing workload or pod,
/// the metric cpu or memory, the period between a minute and 14 days.
pub fn resolve(snap: &Snapshot, a: &HistoryArgs) -> Result<HistoryRequest, ToolError> {
    let bad = |arg: &str, message: String| ToolError::BadArgument { arg: arg.into(), message };
    let what = WHATS
        .iter()
        .copied()
        .find(|w| *w == a.what.trim())
        .ok_or_else(|| bad("what", format!("unknown {:?}; one of {}", a.what, WHATS.join(", "))))?;
    let metric = match a.metric.as_deref().map(str::trim) {
        None | Some("") => Metric::Memory,
        Some(m) => Metric::parse(m).ok_or_else(|| bad("metric", format!("{m:?} is not cpu or memory")))?,
    };
    let period = match a.since_minutes {
        None => None,
        Some(m) if (1..=14 * 24 * 60).contains(&m) => Some(m * 60),
        Some(m) => return Err(bad("since_minutes", format!("{m} is not between 1 and 20160 (14 days)"))),
    };
    let namespace = a.namespace.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let target = match a.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(name) => {
            let hits = TARGETS.iter().find_map(|&k| {
                let hits: Vec<_> =
                    snap.get(k, namespace, name).iter().map(|o| (k, o.namespace().to_string())).collect();
                (!hits.is_empty()).then_some(hits)
            });
            if let Some(h) = hits.as_ref().filter(|h| h.len() > 1) {
                let namespaces: Vec<&str> = h.iter().map(|(_, ns)| ns.as_str()).collect();
                return Err(bad(
                    "namespace",
                    format!("{name} exists in namespaces {}; say which", namespaces.join(", ")),
                ));
            }
            let found = hits.and_then(|h| h.into_iter().next()).map(|(k, ns)| (k, ns, name.to_string()));
            Some(found.ok_or_else(|| ToolError::NotFound {
                kind: "workload or pod".into(),
                name: name.to_string(),
                namespace: namespace.map(str::to_string),
                suggestions: suggestions(snap, name, None),
            })?)
        }
    };
    let namespace = target.as_ref().map(|t| t.1.clone()).or(namespace.map(str::to_string));
    Ok(HistoryRequest { what, target, namespace, metric, period })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot::from_yaml(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}}}\n",
            None,
        )
        .unwrap()
    }

    #[test]
    fn calls_are_checked_against_the_cluster() {
        let s = snap();
        let args = |what: &str, target: Option<&str>| HistoryArgs {
            what: what.into(),
            target: target.map(str::to_string),
            ..Default::default()
        };
        let r = resolve(&s, &args("forecast", Some("api"))).unwrap();
        assert_eq!(r.target, Some((Kind::Deployment, "shop".into(), "api".into())));
        assert_eq!((r.namespace.as_deref(), r.metric), (Some("shop"), Metric::Memory));
        assert!(matches!(resolve(&s, &args("forecast", Some("apu"))), Err(ToolError::NotFound { .. })));
        assert!(matches!(resolve(&s, &args("weather", None)), Err(ToolError::BadArgument { .. })));
        let long = HistoryArgs { since_minutes: Some(30 * 24 * 60), ..args("usage", None) };
        assert!(matches!(resolve(&s, &long), Err(ToolError::BadArgument { .. })));
        let cpu = HistoryArgs { metric: Some("cpu".into()), since_minutes: Some(60), ..args("usage", None) };
        assert_eq!(resolve(&s, &cpu).unwrap().period, Some(3600));
        // The same name in two namespaces: the call must say which.
        let two = Snapshot::from_yaml(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: staging}\n",
            None,
        )
        .unwrap();
        let err = resolve(&two, &args("usage", Some("api"))).unwrap_err().to_string();
        assert!(err.contains("shop, staging"), "{err}");
        let one = HistoryArgs { namespace: Some("staging".into()), ..args("usage", Some("api")) };
        assert_eq!(resolve(&two, &one).unwrap().namespace.as_deref(), Some("staging"));
    }
}
