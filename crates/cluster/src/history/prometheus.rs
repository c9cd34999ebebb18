//! The cluster's Prometheus as a history source: found among the
//! cluster's Services and reached through the API server's service proxy
//! (so it needs nothing but the kubeconfig), or at a URL the user gives.
//! Read-only range queries over cAdvisor's container series.

use std::time::Duration;

use std::collections::BTreeMap;

use kubeask_insight::history::stretches;
use kubeask_insight::history::timeline::{Change, Entry};
use kubeask_insight::history::volume::Volume;
use kubeask_insight::history::{Metric, Point, Series, SeriesKey};
use kubeask_insight::snapshot::Snapshot;
use serde::Deserialize;

use super::source::HistoryError;
use crate::saved::Credentials;

/// Where the Prometheus HTTP API is.
#[derive(Clone)]
pub enum Target {
    /// A URL the user gave (`http://prometheus.example:9090`), with the
    /// credentials it needs, if any.
    Url {
        /// Base URL of the HTTP API.
        url: String,
        /// A bearer token or basic auth.
        credentials: Option<Credentials>,
    },
    /// A Service reached through the API server's proxy.
    Proxy {
        /// The context's client.
        client: kube::Client,
        /// Namespace of the Service.
        namespace: String,
        /// Service name.
        service: String,
        /// Service port.
        port: i32,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Target {
    /// A URL with no credentials.
    pub fn url(url: impl Into<String>) -> Self {
        Target::Url { url: url.into(), credentials: None }
    }

    /// `Prometheus at http://…` / `Prometheus (Service monitoring/prometheus:9090)`.
    pub fn describe(&self) -> String {
        match self {
            Target::Url { url, .. } => format!("Prometheus at {url}"),
            Target::Proxy { namespace, service, port, .. } => {
                format!("Prometheus (Service {namespace}/{service}:{port})")
            }
        }
    }
}

/// Services that look like a Prometheus server, best first: a name or
/// `app.kubernetes.io/name` with `prometheus`, not an exporter, operator,
/// Alertmanager or adapter; the port 9090 or one named `web`/`http`.
pub fn candidates(snap: &Snapshot) -> Vec<(String, String, i32)> {
    const NOT: &[&str] = &["operator", "alertmanager", "exporter", "pushgateway", "adapter", "blackbox", "kube-state"];
    let mut out: Vec<(u8, String, String, i32)> = Vec::new();
    for s in &snap.services {
        let name = s.metadata.name.clone().unwrap_or_default();
        let app = s.metadata.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/name")).cloned().unwrap_or_default();
        let looks = name.contains("prometheus") || app == "prometheus";
        if !looks || NOT.iter().any(|n| name.contains(n)) {
            continue;
        }
        let ports = s.spec.iter().flat_map(|sp| sp.ports.iter().flatten());
        let port = ports
            .clone()
            .find(|p| p.port == 9090)
            .or_else(|| ports.clone().find(|p| matches!(p.name.as_deref(), Some("web" | "http" | "http-web"))))
            .map(|p| p.port);
        let Some(port) = port else { continue };
        let rank = match name.as_str() {
            "prometheus-operated" => 0,
            n if n.ends_with("-prometheus") || n == "prometheus" || n == "prometheus-server" => 1,
            _ => 2,
        };
        out.push((rank, s.metadata.namespace.clone().unwrap_or_default(), name, port));
    }
    out.sort();
    out.into_iter().map(|(_, ns, n, p)| (ns, n, p)).collect()
}

#[derive(Deserialize)]
struct Reply {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<Matrix>,
}

#[derive(Deserialize)]
struct Matrix {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// The step of a range query over `window` seconds: the sampler's 15 s
/// while under Prometheus's 11,000 points a series.
pub fn step_for(window: i64) -> i64 {
    let s = (window + 9_999) / 10_000;
    (s.max(15) + 14) / 15 * 15
}

/// The PromQL of a metric's per-container series.
pub fn query(metric: Metric, namespace: Option<&str>, step: i64, legacy: bool) -> String {
    let (c, p) = if legacy { ("container_name", "pod_name") } else { ("container", "pod") };
    let ns = namespace.map_or(String::new(), |n| format!(",namespace=\"{}\"", n.replace(['"', '\\'], "")));
    let sel = format!("{{{c}!=\"\",{c}!=\"POD\"{ns}}}");
    match metric {
        // NB: irate at the sampler's step reads the same per-interval rate
        // metrics-server reports; past a minute, rate over the step.
        Metric::Cpu if step <= 60 => {
            format!("sum by (namespace,{p},{c}) (irate(container_cpu_usage_seconds_total{sel}[2m]))")
        }
        Metric::Cpu => format!("sum by (namespace,{p},{c}) (rate(container_cpu_usage_seconds_total{sel}[{step}s]))"),
        Metric::Memory => format!("sum by (namespace,{p},{c}) (container_memory_working_set_bytes{sel})"),
        // kube-state-metrics' counter (its labels never had the legacy names).
        Metric::Restarts => format!(
            "sum by (namespace,pod,container) (kube_pod_container_status_restarts_total{{container!=\"\"{ns}}})"
        ),
        // NB: volumes are read with their capacity by `Prometheus::volumes`.
        Metric::VolumeUsed | Metric::VolumeCapacity => String::new(),
    }
}

/// A Prometheus HTTP API client.
#[derive(Clone, Debug)]
pub struct Prometheus {
    target: Target,
    http: reqwest::Client,
}

impl Prometheus {
    /// A client for `target`.
    pub fn new(target: Target) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap_or_default();
        Self { target, http }
    }

    /// Where it is.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Its version, when it answers as a Prometheus (checks a URL and its
    /// credentials before they are saved).
    pub async fn version(&self) -> Result<String, HistoryError> {
        let text = self.get("/api/v1/status/buildinfo").await?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| HistoryError::Prometheus {
            target: self.target.describe(),
            message: "it does not answer as a Prometheus (no /api/v1/status/buildinfo)".into(),
        })?;
        Ok(v.pointer("/data/version").and_then(|v| v.as_str()).unwrap_or("unknown version").to_string())
    }

    /// The first candidate Service that answers as a Prometheus.
    pub async fn discover(client: &kube::Client, snap: &Snapshot) -> Option<Prometheus> {
        for (namespace, service, port) in candidates(snap) {
            let p = Prometheus::new(Target::Proxy { client: client.clone(), namespace, service, port });
            match p.get("/api/v1/status/buildinfo").await {
                Ok(_) => return Some(p),
                Err(e) => tracing::debug!("{} is not usable: {e}", p.target.describe()),
            }
        }
        None
    }

    async fn get(&self, path_and_query: &str) -> Result<String, HistoryError> {
        let unreachable = |m: String| HistoryError::Prometheus { target: self.target.describe(), message: m };
        match &self.target {
            Target::Url { url: base, credentials } => {
                let url = format!("{}{path_and_query}", base.trim_end_matches('/'));
                let req = match credentials {
                    None => self.http.get(&url),
                    Some(Credentials::Bearer(t)) => self.http.get(&url).bearer_auth(t),
                    Some(Credentials::Basic { user, password }) => self.http.get(&url).basic_auth(user, Some(password)),
                };
                let r = req.send().await.map_err(|e| unreachable(e.to_string()))?;
                let status = r.status();
                if matches!(status.as_u16(), 401 | 403) {
                    let how = credentials.as_ref().map_or("no credentials".into(), Credentials::describe);
                    return Err(unreachable(format!(
                        "it refused {how} (HTTP {status}); set them with `kubeask prometheus set URL --user U --password-stdin` or `--bearer-token-stdin`"
                    )));
                }
                let text = r.text().await.map_err(|e| unreachable(e.to_string()))?;
                if !status.is_success() && !text.starts_with('{') {
                    return Err(unreachable(format!("HTTP {status}")));
                }
                Ok(text)
            }
            Target::Proxy { client, namespace, service, port } => {
                let path = format!("/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy{path_and_query}");
                let req = http::Request::get(path).body(Vec::new()).map_err(|e| unreachable(e.to_string()))?;
                client.request_text(req).await.map_err(|e| unreachable(e.to_string()))
            }
        }
    }

    /// Per-container series of `metric` over `[start, end]`.
    pub async fn series(
        &self,
        metric: Metric,
        namespace: Option<&str>,
        start: i64,
        end: i64,
    ) -> Result<Vec<Series>, HistoryError> {
        if matches!(metric, Metric::VolumeUsed | Metric::VolumeCapacity) {
            return Ok(Vec::new());
        }
        let step = step_for(end - start);
        // NB: evaluation times on the step's grid (as Grafana does): the
        // same window reads the same samples however often it is asked.
        let start = (start + step - 1).div_euclid(step) * step;
        let mut out = Vec::new();
        for legacy in [false, true] {
            // NB: past the newest sample Prometheus repeats it for five
            // minutes (its lookback): the window ends at the newest sample,
            // so a trend is not flattened by copies.
            let end = self.newest(metric, namespace, end, legacy).await.map_or(end, |t| t.min(end));
            // A window shorter than the newest sample's age: that sample.
            let start = start.min(end);
            out = self.range(metric, &query(metric, namespace, step, legacy), start, end, step, legacy).await?;
            if !out.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    /// The time of the newest sample of `metric` at or before `at`, when
    /// the server says (the demo's test bed does not).
    async fn newest(&self, metric: Metric, namespace: Option<&str>, at: i64, legacy: bool) -> Option<i64> {
        let (c, _) = if legacy { ("container_name", "pod_name") } else { ("container", "pod") };
        let ns = namespace.map_or(String::new(), |n| format!(",namespace=\"{}\"", n.replace(['"', '\\'], "")));
        let name = match metric {
            Metric::Cpu => "container_cpu_usage_seconds_total",
            Metric::Memory => "container_memory_working_set_bytes",
            Metric::Restarts => {
                return self
                    .newest_of(&format!("kube_pod_container_status_restarts_total{{container!=\"\"{ns}}}"), at)
                    .await
            }
            // NB: not read through `series` (see `volumes`).
            Metric::VolumeUsed | Metric::VolumeCapacity => return None,
        };
        self.newest_of(&format!("{name}{{{c}!=\"\",{c}!=\"POD\"{ns}}}"), at).await
    }

    /// The time of the newest sample of a selector at or before `at`.
    async fn newest_of(&self, selector: &str, at: i64) -> Option<i64> {
        let q = format!("max(timestamp({selector}))");
        let enc: String = percent_encoding::utf8_percent_encode(&q, percent_encoding::NON_ALPHANUMERIC).to_string();
        let text = self.get(&format!("/api/v1/query?query={enc}&time={at}")).await.ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let t = v.pointer("/data/result/0/value/1")?.as_str()?.parse::<f64>().ok()?;
        Some(t.floor() as i64)
    }

    /// Each bound claim's used bytes over `[start, end]` and its capacity
    /// (the kubelet's volume stats).
    pub async fn volumes(&self, namespace: Option<&str>, start: i64, end: i64) -> Result<Vec<Volume>, HistoryError> {
        let step = step_for(end - start);
        let start = (start + step - 1).div_euclid(step) * step;
        let ns = namespace.map_or(String::new(), |n| format!(",namespace=\"{}\"", n.replace(['"', '\\'], "")));
        let sel = |m: &str| format!("{m}{{persistentvolumeclaim!=\"\"{ns}}}");
        let end = self.newest_of(&sel("kubelet_volume_stats_used_bytes"), end).await.map_or(end, |t| t.min(end));
        let start = start.min(end);
        let by = |m: &str| format!("sum by (namespace,persistentvolumeclaim) ({})", sel(m));
        let used = self.range_raw(&by("kubelet_volume_stats_used_bytes"), start, end, step).await?;
        let capacity = self.range_raw(&by("kubelet_volume_stats_capacity_bytes"), start, end, step).await?;
        let label = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
        let key = |m: &BTreeMap<String, String>| (label(m, "namespace"), label(m, "persistentvolumeclaim"));
        let caps: BTreeMap<(String, String), f64> =
            capacity.iter().filter_map(|(m, pts)| Some((key(m), pts.last()?.v))).collect();
        Ok(used
            .into_iter()
            .filter_map(|(m, used)| {
                let (namespace, claim) = key(&m);
                let capacity = *caps.get(&(namespace.clone(), claim.clone()))?;
                Some(Volume { namespace, claim, capacity, used })
            })
            .collect())
    }

    /// Node conditions that held over `[start, end]` and ended by `end`
    /// (kube-state-metrics' `kube_node_status_condition`: a pressure
    /// condition true, or Ready false or unknown), as timeline entries; one
    /// still holding at `end` is left to the snapshot, which shows it now.
    pub async fn node_condition_entries(&self, start: i64, end: i64) -> Result<Vec<Entry>, HistoryError> {
        let step = step_for(end - start);
        let start = (start + step - 1).div_euclid(step) * step;
        let q = "kube_node_status_condition{condition=~\"MemoryPressure|DiskPressure|PIDPressure|NetworkUnavailable\",status=\"true\"} == 1 or kube_node_status_condition{condition=\"Ready\",status=~\"false|unknown\"} == 1";
        let mut out = Vec::new();
        for (labels, points) in self.range_raw(q, start, end, step).await? {
            let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
            let (node, condition, status) = (label("node"), label("condition"), label("status"));
            for (from, to) in stretches(&points, 2 * step) {
                if to + 2 * step > end {
                    continue;
                }
                let (Ok(time), Ok(until)) = (jiff::Timestamp::from_second(from), jiff::Timestamp::from_second(to))
                else {
                    continue;
                };
                let status = if status == "true" { "True".to_string() } else { status.clone() };
                out.push(Entry {
                    time,
                    change: Change::NodeCondition,
                    namespace: String::new(),
                    object: format!("Node/{node}"),
                    evidence: format!(
                        "{condition}={status} (kube-state-metrics, until {})",
                        until.strftime("%H:%M UTC")
                    ),
                    until: Some(until),
                    related: vec![format!("node/{node}")],
                });
            }
        }
        Ok(out)
    }

    /// A range query's series: labels and points.
    async fn range_raw(
        &self,
        q: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<(BTreeMap<String, String>, Vec<Point>)>, HistoryError> {
        let enc: String = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC).to_string();
        let text = self.get(&format!("/api/v1/query_range?query={enc}&start={start}&end={end}&step={step}")).await?;
        let bad = |m: String| HistoryError::Prometheus { target: self.target.describe(), message: m };
        let reply: Reply = serde_json::from_str(&text).map_err(|e| bad(format!("not a Prometheus reply ({e})")))?;
        if reply.status != "success" {
            return Err(bad(reply.error.unwrap_or_else(|| "the query failed".into())));
        }
        Ok(reply
            .data
            .map(|d| d.result)
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let points = m.values.iter().filter_map(|(t, v)| Some(Point { t: *t as i64, v: v.parse().ok()? }));
                (m.metric, points.collect::<Vec<_>>())
            })
            .filter(|(_, p)| !p.is_empty())
            .collect())
    }

    async fn range(
        &self,
        metric: Metric,
        q: &str,
        start: i64,
        end: i64,
        step: i64,
        legacy: bool,
    ) -> Result<Vec<Series>, HistoryError> {
        let (c, p) = if legacy { ("container_name", "pod_name") } else { ("container", "pod") };
        let label = |m: &BTreeMap<String, String>, k: &str| m.get(k).cloned().unwrap_or_default();
        Ok(self
            .range_raw(q, start, end, step)
            .await?
            .into_iter()
            .map(|(m, points)| {
                let key = SeriesKey::container(metric, &label(&m, "namespace"), &label(&m, p), &label(&m, c));
                Series { key, points }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_steps() {
        assert_eq!(step_for(6 * 3600), 15);
        assert_eq!(step_for(14 * 86_400), 135);
        let q = query(Metric::Memory, Some("shop\"x"), 15, false);
        assert_eq!(q, "sum by (namespace,pod,container) (container_memory_working_set_bytes{container!=\"\",container!=\"POD\",namespace=\"shopx\"})");
    }
}
