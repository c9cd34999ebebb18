//! The demo's Prometheus: when the fixture has a `metrics.yaml` naming one
//! of its Services, the demo server answers the Prometheus HTTP API on
//! that Service's proxy path (`/api/v1/namespaces/NS/services/NAME:PORT/
//! proxy/api/v1/…`) with the fixture's past (`shapes`), so the demo has
//! history from the first second. It answers the range queries Kubeask
//! sends (per-container CPU and memory) and nothing else: it is a test
//! bed, not a PromQL engine — the real Prometheus is tested separately.

use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::shapes::{generate, Base, MetricsPlan};
use super::status::ApiError;
use kubeask_insight::history::volume::Volume;
use kubeask_insight::history::{Metric, Point, Scope};

/// The demo's past and where it is served.
#[derive(Debug)]
pub struct DemoHistory {
    /// Shapes.
    pub plan: MetricsPlan,
    /// Values now.
    pub bases: Vec<Base>,
    /// Unix seconds of the fixture's `now` (the server's start).
    pub origin: i64,
    /// Bound claims: namespace, name, capacity (bytes).
    pub volumes: Vec<(String, String, f64)>,
}

fn reply(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn error(kind: &str, message: &str) -> Response {
    let body = json!({"status": "error", "errorType": kind, "error": message});
    (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// Answers a request for `NAME:PORT` in `namespace`, sub-path `rest`.
pub fn proxy(
    h: &DemoHistory,
    namespace: &str,
    service: &str,
    rest: &[&str],
    query: &std::collections::HashMap<String, String>,
) -> Result<Response, ApiError> {
    let Some(p) = &h.plan.prometheus else { return Err(ApiError::no_route()) };
    let (name, port) = service.rsplit_once(':').unwrap_or((service, ""));
    let port_ok = port.is_empty() || port == p.port.to_string();
    if namespace != p.namespace || name.trim_start_matches("http:") != p.service || !port_ok {
        return Err(ApiError::service_unavailable(&format!("no endpoints available for service \"{name}\"")));
    }
    Ok(match rest {
        ["api", "v1", "status", "buildinfo"] => reply(json!({"status": "success", "data": {"version": "demo"}})),
        ["api", "v1", "query_range"] => range(h, query),
        _ => error("bad_data", "the demo's Prometheus answers only query_range"),
    })
}

fn range(h: &DemoHistory, q: &std::collections::HashMap<String, String>) -> Response {
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<f64>().ok());
    let (Some(start), Some(end), Some(step)) = (num("start"), num("end"), num("step")) else {
        return error("bad_data", "start, end and step are required");
    };
    let text = q.get("query").cloned().unwrap_or_default();
    if text.contains("kubelet_volume_stats_") {
        return volumes(h, &text, (start, end, step));
    }
    if text.contains("kube_pod_container_status_restarts_total") || text.contains("kube_node_status_condition") {
        // NB: the stand-in has no kube-state-metrics: no restart counts or node conditions.
        return reply(json!({"status": "success", "data": {"resultType": "matrix", "result": []}}));
    }
    let metric = if text.contains("container_cpu_usage_seconds_total") {
        Metric::Cpu
    } else if text.contains("container_memory_working_set_bytes") {
        Metric::Memory
    } else {
        return error("bad_data", "the demo's Prometheus knows container CPU and memory only");
    };
    if text.contains("container_name") || step < 1.0 || end < start || (end - start) / step > 11_000.0 {
        return reply(json!({"status": "success", "data": {"resultType": "matrix", "result": []}}));
    }
    let ns = text.split("namespace=\"").nth(1).and_then(|r| r.split('"').next());
    let bases: Vec<Base> = h
        .bases
        .iter()
        .filter(|b| b.key.metric == metric)
        .filter(|b| ns.is_none_or(|n| matches!(&b.key.scope, Scope::Container { namespace, .. } if namespace == n)))
        .cloned()
        .collect();
    let (from, to) = (start as i64 - h.origin, end as i64 - h.origin);
    let past = -h.plan.history_secs();
    let series = generate(&h.plan, &bases, h.origin, from.max(past), to, step as i64);
    let result: Vec<Value> = series
        .into_iter()
        .map(|s| {
            let Scope::Container { namespace, pod, container } = &s.key.scope else { return Value::Null };
            let values: Vec<Value> = s.points.iter().map(|p| json!([p.t as f64, p.v.to_string()])).collect();
            json!({"metric": {"namespace": namespace, "pod": pod, "container": container}, "values": values})
        })
        .collect();
    reply(json!({"status": "success", "data": {"resultType": "matrix", "result": result}}))
}

/// The past of each bound claim's use (`metrics.yaml`'s `volumes`), every
/// `step` seconds over `[from, to]` seconds from the fixture's now, with
/// times as `origin + t`.
pub fn volume_past(h: &DemoHistory, origin: i64, (from, to, step): (i64, i64, i64)) -> Vec<Volume> {
    let step = step.max(1);
    let first = from.max(-h.plan.history_secs()).div_euclid(step) * step;
    h.volumes
        .iter()
        .map(|(n, claim, cap)| {
            let used = (0..)
                .map(|i| first + i * step)
                .take_while(|t| *t <= to)
                .filter(|t| *t >= from)
                .map(|t| Point { t: origin + t, v: h.plan.volume_used(n, claim, *cap, t) })
                .collect();
            Volume { namespace: n.clone(), claim: claim.clone(), capacity: *cap, used }
        })
        .collect()
}

/// The kubelet's volume stats of the fixture's bound claims: used bytes,
/// or capacity.
fn volumes(h: &DemoHistory, text: &str, (start, end, step): (f64, f64, f64)) -> Response {
    if step < 1.0 || end < start || (end - start) / step > 11_000.0 {
        return error("bad_data", "bad range");
    }
    let capacity = text.contains("kubelet_volume_stats_capacity_bytes");
    let ns = text.split("namespace=\"").nth(1).and_then(|r| r.split('"').next());
    let range = (start as i64 - h.origin, end as i64 - h.origin, step as i64);
    let result: Vec<Value> = volume_past(h, h.origin, range)
        .into_iter()
        .filter(|v| ns.is_none_or(|x| x == v.namespace))
        .map(|v| {
            let values: Vec<Value> = v
                .used
                .iter()
                .map(|p| json!([p.t as f64, (if capacity { v.capacity } else { p.v }).to_string()]))
                .collect();
            json!({"metric": {"namespace": v.namespace, "persistentvolumeclaim": v.claim}, "values": values})
        })
        .collect();
    reply(json!({"status": "success", "data": {"resultType": "matrix", "result": result}}))
}

/// The series as an OpenMetrics exposition with timestamps, for `promtool
/// tsdb create-blocks-from openmetrics` (a real Prometheus over the demo's
/// past, tested against the own sampler): memory as cAdvisor's gauge, CPU
/// as its counter — the running sum of cores × seconds per interval, so
/// `irate` reads each sampled value back; restart counts as
/// kube-state-metrics' counter.
pub fn openmetrics(series: &[kubeask_insight::history::Series]) -> String {
    openmetrics_with(series, &[])
}

/// [`openmetrics`], with the kubelet's volume stats of `volumes` (used
/// bytes and capacity, as gauges).
pub fn openmetrics_with(series: &[kubeask_insight::history::Series], volumes: &[Volume]) -> String {
    use std::fmt::Write;
    let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut out = String::new();
    for (metric, family, kind, sample) in [
        (Metric::Memory, "container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes"),
        (Metric::Cpu, "container_cpu_usage_seconds", "counter", "container_cpu_usage_seconds_total"),
        (Metric::Restarts, "kube_pod_container_status_restarts", "counter", "kube_pod_container_status_restarts_total"),
    ] {
        let _ = writeln!(out, "# TYPE {family} {kind}");
        for s in series.iter().filter(|s| s.key.metric == metric) {
            let Scope::Container { namespace, pod, container } = &s.key.scope else { continue };
            let labels =
                format!("namespace=\"{}\",pod=\"{}\",container=\"{}\"", esc(namespace), esc(pod), esc(container));
            let mut total = 0.0;
            let mut prev: Option<i64> = None;
            for p in &s.points {
                let v = match metric {
                    Metric::Memory | Metric::Restarts | Metric::VolumeUsed | Metric::VolumeCapacity => p.v,
                    Metric::Cpu => {
                        total += p.v * prev.map_or(15, |t| p.t - t) as f64;
                        total
                    }
                };
                prev = Some(p.t);
                let _ = writeln!(out, "{sample}{{{labels}}} {v} {}", p.t);
            }
        }
    }
    for (family, used) in [("kubelet_volume_stats_used_bytes", true), ("kubelet_volume_stats_capacity_bytes", false)] {
        let _ = writeln!(out, "# TYPE {family} gauge");
        for v in volumes {
            let labels = format!("namespace=\"{}\",persistentvolumeclaim=\"{}\"", esc(&v.namespace), esc(&v.claim));
            for p in &v.used {
                let _ = writeln!(out, "{family}{{{labels}}} {} {}", if used { p.v } else { v.capacity }, p.t);
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
