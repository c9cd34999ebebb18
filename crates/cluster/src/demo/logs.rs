//! `pods/{name}/log`: container logs from the fixture's `logs/` folder with
//! kubelet's parameters (`container`, `previous`, `tailLines`,
//! `sinceSeconds`, `sinceTime`, `timestamps`, `limitBytes`, `follow`).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::sync::watch;

use super::registry;
use super::status::ApiError;
use super::store::{ObjKey, Store};
use crate::fixture::LogKey;
use crate::timeshift::{find_timestamps, format_ts};

fn ts_at(v: &Value, ptr: &str) -> Option<Timestamp> {
    v.pointer(ptr).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// Serves one container's log from `store`; a followed log stays open
/// until `shutdown` flips.
pub fn pod_log(
    store: &Store,
    shutdown: &watch::Receiver<bool>,
    key: &ObjKey,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let pods = registry::lookup("", "v1", "pods").expect("pods are served");
    let state = store.read();
    let pod = state.get(pods, key).ok_or_else(|| ApiError::not_found("pods", "", &key.name))?.clone();
    let names: Vec<String> = ["/spec/containers", "/spec/initContainers"]
        .iter()
        .flat_map(|p| pod.pointer(p).and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let main_count = pod.pointer("/spec/containers").and_then(Value::as_array).map_or(0, Vec::len);
    let container = match query.get("container").filter(|c| !c.is_empty()) {
        Some(c) if names.contains(c) => c.clone(),
        Some(c) => return Err(ApiError::bad_request(format!("container {c} is not valid for pod {}", key.name))),
        None => {
            let default =
                pod.pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container").and_then(Value::as_str);
            match (default, main_count) {
                (Some(d), _) => d.to_string(),
                (None, 1) => names[0].clone(),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "a container name must be specified for pod {}, choose one of: [{}]",
                        key.name,
                        names.join(" ")
                    )))
                }
            }
        }
    };
    let previous = query.get("previous").is_some_and(|v| v == "true");
    let log_key =
        LogKey { namespace: key.namespace.clone(), pod: key.name.clone(), container: container.clone(), previous };
    let text = match state.logs.get(&log_key) {
        Some(t) => t.clone(),
        None if previous => {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{}\" not found",
                key.name
            )))
        }
        None => String::new(),
    };
    drop(state);

    let status = ["/status/containerStatuses", "/status/initContainerStatuses"]
        .iter()
        .flat_map(|p| pod.pointer(p).and_then(Value::as_array).cloned().unwrap_or_default())
        .find(|c| c.get("name").and_then(Value::as_str) == Some(&container))
        .unwrap_or(Value::Null);
    let fallback = if previous {
        ts_at(&status, "/lastState/terminated/finishedAt")
    } else {
        ts_at(&status, "/state/running/startedAt").or_else(|| ts_at(&status, "/state/terminated/finishedAt"))
    }
    .or_else(|| ts_at(&pod, "/status/startTime"))
    .unwrap_or_else(Timestamp::now);

    let mut lines: Vec<(Timestamp, &str)> = Vec::new();
    let mut last = fallback;
    for line in text.lines() {
        let t = find_timestamps(line).first().and_then(|(a, b)| line[*a..*b].parse::<Timestamp>().ok()).unwrap_or(last);
        last = t;
        lines.push((t, line));
    }
    let cutoff = match (query.get("sinceSeconds"), query.get("sinceTime")) {
        (Some(secs), _) => {
            let secs: i64 = secs
                .parse()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| ApiError::invalid("PodLogOptions", "", "sinceSeconds: must be greater than 0"))?;
            Some(Timestamp::now() - SignedDuration::from_secs(secs))
        }
        (None, Some(t)) => {
            Some(t.parse::<Timestamp>().map_err(|_| ApiError::bad_request(format!("invalid sinceTime: {t}")))?)
        }
        _ => None,
    };
    if let Some(c) = cutoff {
        lines.retain(|(t, _)| *t >= c);
    }
    if let Some(tail) = query.get("tailLines") {
        let n: usize = tail.parse().map_err(|_| ApiError::bad_request(format!("invalid tailLines: {tail}")))?;
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let timestamps = query.get("timestamps").is_some_and(|v| v == "true");
    let mut out = String::new();
    for (t, line) in &lines {
        if timestamps {
            out.push_str(&format_ts(*t, 9));
            out.push(' ');
        }
        out.push_str(line);
        out.push('\n');
    }
    if let Some(limit) = query.get("limitBytes").and_then(|l| l.parse::<usize>().ok()) {
        let mut cut = limit.min(out.len());
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    let running = status.pointer("/state/running").is_some();
    let follow = query.get("follow").is_some_and(|v| v == "true") && running && !previous;
    let body = if follow {
        // NB: a running container's log stays open, as kubelet's does; the
        // fixture has no new lines, so the stream idles until the client
        // disconnects or the server stops.
        let mut shutdown = shutdown.clone();
        let first = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(out)) });
        let idle = futures::stream::once(async move {
            let _ = shutdown.wait_for(|stopped| *stopped).await;
            Ok::<_, std::io::Error>(Bytes::new())
        });
        Body::from_stream(futures::StreamExt::chain(first, idle))
    } else {
        Body::from(out)
    };
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .header("cache-control", "no-cache, private")
        .body(body)
        .expect("static response parts"))
}
