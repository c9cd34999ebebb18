//! How kubectl summarises a pod: the STATUS, READY and RESTARTS columns.
//!
//! Users quote kubectl's words ("CrashLoopBackOff", "Terminating"), so the
//! demo server's tables and Kubeask's answers use the same rules as
//! kubectl's printer (`pkg/printers/internalversion/printers.go`).

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;

/// The STATUS column: the most telling container reason, else the phase.
pub fn display_status(pod: &Pod) -> String {
    // NB: no clones: this runs for every pod in lists and summaries.
    let default_status = k8s_openapi::api::core::v1::PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&default_status);
    let mut reason = status.phase.clone().unwrap_or_else(|| "Unknown".into());
    if let Some(r) = status.reason.as_deref().filter(|r| !r.is_empty()) {
        reason = r.to_string();
    }
    let init_total = pod.spec.as_ref().map(|s| s.init_containers.as_ref().map_or(0, Vec::len)).unwrap_or(0);
    let mut initializing = false;
    for (i, c) in status.init_container_statuses.iter().flatten().enumerate() {
        let default_state = k8s_openapi::api::core::v1::ContainerState::default();
        let st = c.state.as_ref().unwrap_or(&default_state);
        if let Some(t) = &st.terminated {
            if t.exit_code == 0 {
                continue;
            }
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => format!("Init:Signal:{}", t.signal.unwrap_or(0)),
                None => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(w) =
            st.waiting.as_ref().and_then(|w| w.reason.as_deref()).filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{w}");
        } else {
            reason = format!("Init:{i}/{init_total}");
        }
        initializing = true;
        break;
    }
    if !initializing {
        let mut has_running = false;
        for c in status.container_statuses.iter().flatten().rev() {
            let default_state = k8s_openapi::api::core::v1::ContainerState::default();
            let st = c.state.as_ref().unwrap_or(&default_state);
            if let Some(w) = st.waiting.as_ref().and_then(|w| w.reason.clone()).filter(|r| !r.is_empty()) {
                reason = w;
            } else if let Some(t) = &st.terminated {
                reason = match t.reason.clone().filter(|r| !r.is_empty()) {
                    Some(r) => r,
                    None if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if c.ready && st.running.is_some() {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = if is_ready(pod) { "Running".into() } else { "NotReady".into() };
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.reason.as_deref() == Some("NodeLost") { "Unknown".into() } else { "Terminating".into() };
    }
    reason
}

/// Whether the pod's `Ready` condition is `True`.
pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// `(ready containers, containers)` — the READY column.
pub fn ready_containers(pod: &Pod) -> (usize, usize) {
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |cs| cs.iter().filter(|c| c.ready).count());
    (ready, total)
}

/// Total restarts and when the most recent one ended (the RESTARTS column).
pub fn restarts(pod: &Pod) -> (i32, Option<Timestamp>) {
    let mut total = 0;
    let mut last: Option<Timestamp> = None;
    for c in pod.status.iter().flat_map(|s| s.container_statuses.iter().flatten()) {
        total += c.restart_count;
        if let Some(t) = c.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.finished_at.as_ref())
        {
            if last.is_none_or(|l| t.0 > l) {
                last = Some(t.0);
            }
        }
    }
    (total, last)
}

/// kubectl's short human duration (`45s`, `3m12s`, `5h`, `12d`, `2y30d`).
pub fn human_duration(d: SignedDuration) -> String {
    let secs = d.as_secs();
    if secs < -1 {
        return "<invalid>".into();
    } else if secs < 0 {
        return "0s".into();
    } else if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    } else if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// Age of a timestamp relative to now, kubectl style.
pub fn age(since: Option<Timestamp>) -> String {
    match since {
        Some(t) => human_duration(Timestamp::now().duration_since(t)),
        None => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        let d = SignedDuration::from_secs;
        assert_eq!(human_duration(d(59)), "59s");
        assert_eq!(human_duration(d(190)), "3m10s");
        assert_eq!(human_duration(d(3600 * 5 + 60 * 7)), "5h7m");
        assert_eq!(human_duration(d(3600 * 30)), "30h");
        assert_eq!(human_duration(d(86400 * 3 + 3600)), "3d1h");
        assert_eq!(human_duration(d(86400 * 40)), "40d");
    }
}
