//! Questions about the past and the future, answered from the history
//! source (the cluster's Prometheus or Kubeask's own samples) through
//! `crate::insights`: "what happened to checkout in the last hour?", "when
//! did payments-api start crashing?", "what changed before X broke?",
//! "memory of X over the last hour", "will any node run out of memory
//! today?", "which workloads are over-provisioned?". A period the history
//! does not cover is declined, never guessed.

use kubeask_insight::history::rightsize::Verdict;
use kubeask_insight::history::timeline::{Incident, Query};
use kubeask_insight::history::{show_secs, Metric};

use super::*;
use crate::insights;
use crate::router::HistoryCtx;

/// Words history questions use beyond names and kinds.
pub(in crate::router) const HISTORY_WORDS: &[&str] = &[
    "happened",
    "happen",
    "changed",
    "change",
    "changes",
    "timeline",
    "incident",
    "incidents",
    "when",
    "start",
    "started",
    "starting",
    "begin",
    "began",
    "crashing",
    "crash",
    "failing",
    "fail",
    "broke",
    "break",
    "broken",
    "restarting",
    "before",
    "last",
    "past",
    "hour",
    "hours",
    "minute",
    "minutes",
    "day",
    "days",
    "today",
    "week",
    "ago",
    "over",
    "since",
    "history",
    "trend",
    "memory",
    "cpu",
    "ram",
    "usage",
    "use",
    "used",
    "will",
    "run",
    "out",
    "node",
    "nodes",
    "any",
    "limit",
    "limits",
    "reach",
    "hit",
    "forecast",
    "predict",
    "workloads",
    "workload",
    "overprovisioned",
    "over-provisioned",
    "underprovisioned",
    "under-provisioned",
    "provisioned",
    "oversized",
    "undersized",
    "rightsize",
    "right-size",
    "requests",
    "unusual",
    "anomaly",
    "anomalies",
    "abnormal",
    "spike",
    "spikes",
    "anything",
    "going",
    "yesterday",
    "been",
    "looked",
    "like",
    "volume",
    "volumes",
    "disk",
    "disks",
    "pvc",
    "pvcs",
    "storage",
    "fill",
    "fills",
    "filling",
    "full",
    "space",
    "up",
    "cluster",
    "capacity",
];

/// Words only history questions use: never a typo to correct, never an
/// object's name.
pub(in crate::router) const HISTORY_TOPIC_WORDS: &[&str] = &[
    "overprovisioned",
    "over-provisioned",
    "underprovisioned",
    "under-provisioned",
    "oversized",
    "undersized",
    "rightsize",
    "right-size",
    "timeline",
    "anomaly",
    "anomalies",
    "forecast",
];

/// What a history question asks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Asks {
    WhenStarted,
    ChangedBefore,
    Happened,
    Series(Metric),
    Forecast(Metric),
    Provisioned(Verdict),
    Unusual,
    /// Volumes filling up.
    Volumes,
    /// The whole cluster's use against its allocatable (one metric or
    /// both); `when` asks when, not whether.
    Capacity {
        metric: Option<Metric>,
        when: bool,
    },
}

fn asks(w: &Words) -> Option<Asks> {
    let metric = if w.any(&["cpu"]) {
        Some(Metric::Cpu)
    } else if w.any(&["memory", "ram"]) {
        Some(Metric::Memory)
    } else {
        None
    };
    let fail = w.any(&["crashing", "crash", "failing", "fail", "restarting", "broke", "break", "breaking", "oom"]);
    if w.any(&["overprovisioned", "oversized"]) || w.phrase("over provisioned") || w.phrase("over-provisioned") {
        return Some(Asks::Provisioned(Verdict::Over));
    }
    if w.any(&["underprovisioned", "undersized"]) || w.phrase("under provisioned") || w.phrase("under-provisioned") {
        return Some(Asks::Provisioned(Verdict::Under));
    }
    if w.phrase("when did") && w.any(&["start", "begin", "began", "started"]) && fail {
        return Some(Asks::WhenStarted);
    }
    if w.any(&["changed", "changes", "change"]) && (w.has("before") || fail) {
        return Some(Asks::ChangedBefore);
    }
    if w.any(&["timeline", "incident", "incidents"]) || (w.phrase("what happened") && period(w).is_some()) {
        return Some(Asks::Happened);
    }
    if w.any(&["anomaly", "anomalies", "unusual", "abnormal", "spike", "spikes"]) {
        return Some(Asks::Unusual);
    }
    let disk = w.any(&["volume", "volumes", "disk", "disks", "pvc", "pvcs", "storage"]);
    let fills = w.any(&["fill", "fills", "filling", "full"]) || w.phrase("out of space") || w.phrase("out of disk");
    // "when will data-mongodb-0 be full?": a claim named without a disk
    // word; `history` keeps it only when a claim is named.
    if fills && (disk || w.any(&["when", "will"])) {
        return Some(Asks::Volumes);
    }
    let runs_out =
        w.phrase("run out") || w.phrase("running out") || (w.any(&["reach", "hit"]) && w.any(&["limit", "limits"]));
    let whole = w.any(&["cluster", "capacity"]) && !w.any(&["node", "nodes"]);
    if runs_out && whole && (w.any(&["will", "when"]) || w.any(&["forecast", "predict"])) {
        return Some(Asks::Capacity { metric, when: w.has("when") });
    }
    if let (Some(m), true) = (metric, runs_out && (w.any(&["will", "when"]) || w.any(&["forecast", "predict"]))) {
        return Some(Asks::Forecast(m));
    }
    if let (Some(m), true) = (metric, period(w).is_some() || w.any(&["history", "trend"])) {
        return Some(Asks::Series(m));
    }
    None
}

/// Whether the question is about the past or the future of the cluster.
pub(in crate::router) fn history_q(w: &Words) -> bool {
    asks(w).is_some()
}

/// The period a question names, in seconds back from now: "last hour",
/// "past 6 hours", "last 30 minutes", "today", "yesterday", "last week",
/// "3 hours ago" (an hour around that time).
pub(in crate::router) fn period(w: &Words) -> Option<(i64, i64)> {
    let unit = |x: &str| match x.trim_end_matches('s') {
        "minute" | "min" | "m" => Some(60),
        "hour" | "hr" | "h" => Some(3600),
        "day" | "d" => Some(86_400),
        "week" | "w" => Some(7 * 86_400),
        "month" => Some(30 * 86_400),
        _ => None,
    };
    let words: Vec<&str> = w.lower.iter().map(String::as_str).collect();
    for (i, x) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let after = words.get(i + 2).copied().unwrap_or("");
        if matches!(*x, "last" | "past") {
            if let Some(u) = unit(next) {
                return Some((u, 0));
            }
            if let (Ok(n), Some(u)) = (next.parse::<i64>(), unit(after)) {
                return Some((n * u, 0));
            }
            // "last 24h", "past 6h"
            let (num, suffix) = next.split_at(next.find(|c: char| !c.is_ascii_digit()).unwrap_or(next.len()));
            if let (Ok(n), Some(u)) = (num.parse::<i64>(), unit(suffix)) {
                return Some((n * u, 0));
            }
        }
        if let (Ok(n), Some(u), "ago") = (x.parse::<i64>(), unit(next), after) {
            return Some((n * u + 1800, (n * u - 1800).max(0)));
        }
    }
    if w.has("yesterday") {
        return Some((2 * 86_400, 86_400));
    }
    if w.has("today") {
        return Some((86_400, 0));
    }
    None
}

/// The answer to a history question.
pub(in crate::router) async fn history(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Option<Routed>, Outcome> {
    let Some(what) = asks(w) else { return Ok(None) };
    super::guard::accounted_for_with(ctx, w, r, HISTORY_WORDS)?;
    let target = match r.targets.is_empty() {
        true => None,
        false => pick(ctx, r, TARGET_KINDS).ok().and_then(|v| v.into_iter().next()),
    };
    let target = target.map(|t| (t.kind, t.namespace, t.name));
    let namespace = r.namespace.clone();
    let claim = match what {
        Asks::Volumes => ctx.snap.pvcs.iter().filter_map(|c| c.metadata.name.clone()).find(|n| w.has(n)),
        _ => None,
    };
    let disk = w.any(&["volume", "volumes", "disk", "disks", "pvc", "pvcs", "storage"]);
    if what == Asks::Volumes && claim.is_none() && !disk {
        // "when will the queue be full?" is not about a volume.
        return Ok(None);
    }
    answer(ctx.snap, ctx.history, Past { what, target, namespace, window: period(w), claim }).await.map(Some)
}

/// Kinds whose past a question or the tool names.
const TARGET_KINDS: &[Kind] =
    &[Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::CronJob, Kind::Job, Kind::Pod];

/// A question about the past, parsed (from words or the model's tool call).
struct Past {
    what: Asks,
    /// (kind, namespace, name).
    target: Option<(Kind, String, String)>,
    namespace: Option<String>,
    /// Seconds back (from, until); for a forecast, the horizon ahead.
    window: Option<(i64, i64)>,
    /// The PersistentVolumeClaim a volume question names.
    claim: Option<String>,
}

/// The model's `history` tool: the same answers as direct mode's.
pub(crate) async fn tool(
    snap: &kubeask_insight::snapshot::Snapshot,
    history: Option<HistoryCtx<'_>>,
    req: &kubeask_insight::tools::history::HistoryRequest,
) -> Result<Routed, Outcome> {
    let what = match req.what {
        "timeline" => Asks::Happened,
        "when_started_failing" => Asks::WhenStarted,
        "changed_before_failure" => Asks::ChangedBefore,
        "usage" => Asks::Series(req.metric),
        "forecast" => Asks::Forecast(req.metric),
        "over_provisioned" => Asks::Provisioned(Verdict::Over),
        "under_provisioned" => Asks::Provisioned(Verdict::Under),
        "volumes_filling" => Asks::Volumes,
        "cluster_capacity" => Asks::Capacity { metric: Some(req.metric), when: true },
        _ => Asks::Unusual,
    };
    let window = req.period.map(|p| (p, 0));
    let past = Past { what, target: req.target.clone(), namespace: req.namespace.clone(), window, claim: None };
    answer(snap, history, past).await
}

/// Declines a period further back than the history reaches.
fn covered(history: Option<&HistoryCtx<'_>>, p: &Past, now: i64) -> Result<(), Outcome> {
    // NB: "will it run out today?" names the horizon ahead, not how far
    // back the history must go.
    let looks_back = !matches!(p.what, Asks::Forecast(_) | Asks::Capacity { .. });
    if let (Some((back, _)), Some(h), true) = (p.window, history, looks_back) {
        if h.since.is_some_and(|s| s > now - back + back / 10 + 300) {
            let since = h.since.map(|s| show_secs((now - s) as f64)).unwrap_or_default();
            return Err(Outcome::Refused {
                message: format!("I can't answer that: no history that far back (it covers the last {since} only)"),
            });
        }
    }
    Ok(())
}

async fn answer(
    snap: &kubeask_insight::snapshot::Snapshot,
    history: Option<HistoryCtx<'_>>,
    p: Past,
) -> Result<Routed, Outcome> {
    let now = snap.now().as_second();
    covered(history.as_ref(), &p, now)?;
    let (what, window) = (p.what, p.window);
    let q = Query {
        namespace: p.target.as_ref().map(|t| t.1.clone()).or_else(|| p.namespace.clone()),
        target: p.target.as_ref().map(|t| (t.0.name().to_string(), t.2.clone())),
        since: window.and_then(|(back, _)| jiff::Timestamp::from_second(now - back).ok()),
    };
    let mut out = match what {
        Asks::WhenStarted | Asks::ChangedBefore | Asks::Happened => {
            let q = Query {
                since: q.since.or_else(|| {
                    jiff::Timestamp::from_second(now - if what == Asks::Happened { 3600 } else { 7 * 86_400 }).ok()
                }),
                ..q
            };
            let found = insights::timeline(snap, history.as_ref().map(|h| h.source), &q, now).await;
            told(what, &found, now)
        }
        _ => {
            let Some(h) = &history else {
                return Err(Outcome::Refused {
                    message: crate::history_access::no_history_message(Default::default()),
                });
            };
            numbers(snap, h.source, what, &q, (window, p.claim.as_deref()), now).await?
        }
    };
    if let Some((kind, namespace, name)) = &p.target {
        out.evidence.push(Evidence::new(kind.name(), Some(namespace), name));
    }
    let basis = history.as_ref().map_or("the cluster's events and objects".to_string(), |h| h.source.describe());
    out.explanation.push_str(&format!("\n\nFrom {basis}."));
    Ok(out)
}

fn at(t: jiff::Timestamp, now: i64) -> String {
    format!("{} ({} ago)", t.strftime("%Y-%m-%d %H:%M UTC"), show_secs((now - t.as_second()) as f64))
}

fn story(i: &Incident) -> Vec<String> {
    i.entries
        .iter()
        .map(|e| format!("- {} {} `{}`: {}", e.time.strftime("%H:%M:%S"), e.change.words(), e.object, e.evidence))
        .collect()
}

fn told(what: Asks, found: &[Incident], now: i64) -> Routed {
    // NB: an incident of node events only (another pod's OOM kill on the
    // same node) is context, not the answer.
    let own = |i: &&Incident| i.entries.iter().any(|e| !e.object.starts_with("Node/"));
    let latest_failing = found
        .iter()
        .rev()
        .filter(own)
        .find(|i| i.first_failure().is_some())
        .or_else(|| found.iter().rev().find(|i| i.first_failure().is_some()));
    let latest = found.iter().rev().find(own).or(found.last());
    let lines = found
        .iter()
        .rev()
        .take(3)
        .flat_map(|i| std::iter::once(format!("**{}**", i.summary)).chain(story(i)))
        .collect::<Vec<_>>();
    let (short, route) = match what {
        Asks::WhenStarted => (
            latest_failing.and_then(|i| i.first_failure()).map_or("no failure seen".into(), |e| at(e.time, now)),
            "history-when",
        ),
        Asks::ChangedBefore => {
            let changes = latest_failing.map(|i| i.changes_before_failure()).unwrap_or_default();
            let short = if changes.is_empty() {
                "nothing changed before it broke (that Kubeask can see)".to_string()
            } else {
                join(
                    changes
                        .iter()
                        .map(|e| format!("{} ({}) at {}", e.change.words(), e.object, e.time.strftime("%H:%M UTC"))),
                )
            };
            (short, "history-changed")
        }
        _ => (latest.map_or("nothing happened".into(), |i| i.summary.clone()), "history-timeline"),
    };
    let mut out = routed(route, short, lines.join("\n"));
    out.kubectl.push("kubectl get events -A --sort-by=.lastTimestamp".into());
    out
}

async fn numbers(
    snap: &kubeask_insight::snapshot::Snapshot,
    source: &kubeask_cluster::history::Source,
    what: Asks,
    q: &Query,
    (window, claim): (Option<(i64, i64)>, Option<&str>),
    now: i64,
) -> R {
    let default_back =
        if matches!(what, Asks::Provisioned(_)) { insights::RIGHTSIZE_WINDOW } else { insights::FORECAST_WINDOW };
    let (back, until) = window.unwrap_or((default_back, 0));
    let (start, end) = (now - back, now - until);
    let fail =
        |e: kubeask_cluster::history::HistoryError| Outcome::Refused { message: format!("I can't answer that: {e}") };
    match what {
        Asks::Provisioned(verdict) => {
            let sized = insights::sizing(source, snap, q.namespace.as_deref(), start, end).await.map_err(fail)?;
            Ok(provisioned(&sized, verdict))
        }
        Asks::Forecast(metric) => {
            let series = insights::series_for(source, snap, q, Some(metric), now - insights::FORECAST_WINDOW, now)
                .await
                .map_err(fail)?;
            let horizon = if window.is_some() { back } else { insights::HORIZON };
            Ok(heading(snap, &series, metric, q.target.is_none() && q.namespace.is_none(), horizon))
        }
        Asks::Capacity { metric, when } => {
            let series = insights::series_for(source, snap, q, metric, now - insights::FORECAST_WINDOW, now)
                .await
                .map_err(fail)?;
            let horizon = if window.is_some() { back } else { insights::HORIZON };
            let found: Vec<_> = insights::capacity(snap, &series, horizon)
                .into_iter()
                .filter(|c| metric.is_none_or(|m| c.metric == m))
                .collect();
            if found.is_empty() {
                return Err(Outcome::Refused {
                    message: "I can't answer that: no usage history for the cluster's containers yet".into(),
                });
            }
            Ok(room_left(&found, (metric.is_none(), when), horizon))
        }
        Asks::Volumes => {
            let volumes =
                source.volumes(q.namespace.as_deref(), now - insights::FORECAST_WINDOW, now).await.map_err(fail)?;
            if volumes.is_empty() {
                return Err(Outcome::Refused {
                    message: format!("I can't answer that: {} has no volume usage yet (a Prometheus scraping the kubelets' volume stats has it; Kubeask's own sampler reads them every 5 minutes where it may use the node proxy)", source.describe()),
                });
            }
            let horizon = window.map_or(insights::HORIZON, |(back, _)| back);
            Ok(filling(&kubeask_insight::history::volume::forecasts(&volumes, horizon), claim, horizon))
        }
        Asks::Series(metric) => {
            let series = insights::series_for(source, snap, q, Some(metric), start, end).await.map_err(fail)?;
            if series.is_empty() {
                return Err(Outcome::Refused {
                    message: "I can't answer that: no samples for it in that period (no history)".into(),
                });
            }
            let lines: Vec<String> =
                series.iter().map(|s| format!("{}: {}", insights::subject(s), insights::moved(s))).collect();
            let short = if series.len() == 1 { insights::moved(&series[0]) } else { lines.join("; ") };
            Ok(routed("history-series", short, lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n")))
        }
        _ => {
            let series = insights::series_for(source, snap, q, None, start, end).await.map_err(fail)?;
            Ok(out_of_the_ordinary(&insights::unusual_with_restarts(source, snap, q, &series, (start, end)).await))
        }
    }
}

/// "will any volume fill up?" or "when will data-mongodb-0 be full?": the
/// soonest to fill within `horizon`.
fn filling(f: &[kubeask_insight::history::volume::VolumeForecast], claim: Option<&str>, horizon: i64) -> Routed {
    let named: Vec<_> = f.iter().filter(|v| claim.is_none_or(|c| v.claim == c)).collect();
    let soonest = named.iter().find(|v| v.eta.is_some());
    let short = match (soonest, claim) {
        (Some(v), Some(_)) => format!("in ~{}", v.eta.map_or(String::new(), |e| show_secs(e.secs))),
        (Some(v), None) => {
            format!("yes: {}/{} in ~{}", v.namespace, v.claim, v.eta.map_or(String::new(), |e| show_secs(e.secs)))
        }
        (None, Some(_)) => format!("not within {}", show_secs(horizon as f64)),
        (None, None) => "no".to_string(),
    };
    let lines: Vec<String> = named.iter().map(|v| format!("- {}", v.sentence())).collect();
    let mut out = routed("history-volumes", short, lines.join("\n"));
    out.kubectl.push("kubectl get pvc -A".into());
    out
}

/// "which workloads are over-provisioned?": their names, with the evidence.
fn provisioned(sized: &[kubeask_insight::history::rightsize::Sizing], verdict: Verdict) -> Routed {
    let hits: Vec<_> = sized.iter().filter(|s| s.verdict == verdict).collect();
    let names =
        distinct(hits.iter().map(|s| s.workload.split_once('/').map_or(s.workload.clone(), |(_, n)| n.to_string())));
    let lines: Vec<String> = hits
        .iter()
        .map(|s| {
            let fits: Vec<String> = s
                .cpu
                .iter()
                .chain(s.memory.iter())
                .map(|f| format!("{} → request {}", f.evidence(), f.metric.show(f.recommended_request)))
                .collect();
            format!("- `{}/{}` {}: {}", s.namespace, s.workload, s.container, fits.join("; "))
        })
        .collect();
    let short = if names.is_empty() { "none".to_string() } else { join(names) };
    routed("history-rightsize", short, lines.join("\n"))
}

/// "will any node run out of memory?" (`nodes`) or "when will X run out of
/// memory?": the soonest to reach its line within `horizon`.
fn heading(
    snap: &kubeask_insight::snapshot::Snapshot,
    series: &[kubeask_insight::history::Series],
    metric: Metric,
    nodes: bool,
    horizon: i64,
) -> Routed {
    let f: Vec<_> = insights::forecasts(snap, series, horizon)
        .into_iter()
        .filter(|x| x.metric == metric && x.namespace.is_empty() == nodes && x.eta.is_some())
        .collect();
    let short = match f.first() {
        None if nodes => "no".to_string(),
        None => format!("not within {}", show_secs(horizon as f64)),
        Some(x) => {
            let eta = x.eta.map_or(String::new(), |e| show_secs(e.secs));
            if nodes {
                format!("yes: {} in ~{eta}", x.subject)
            } else {
                format!("in ~{eta} ({})", x.subject)
            }
        }
    };
    let lines: Vec<String> = f.iter().map(|x| format!("- {}", x.sentence())).collect();
    routed("history-forecast", short, lines.join("\n"))
}

/// "will the cluster run out of memory?": whether (or when) the cluster's
/// use reaches its allocatable within `horizon`; `both` names the metric.
fn room_left(found: &[insights::Capacity], (both, when): (bool, bool), horizon: i64) -> Routed {
    let soonest = found.iter().filter(|c| c.eta.is_some()).min_by(|a, b| {
        let secs = |c: &insights::Capacity| c.eta.map_or(f64::INFINITY, |e| e.secs);
        secs(a).total_cmp(&secs(b))
    });
    let short = match soonest {
        Some(c) => {
            let eta = c.eta.map_or(String::new(), |e| show_secs(e.secs));
            let what = if both { format!("{} ", c.metric.as_str()) } else { String::new() };
            if when {
                format!("{what}in ~{eta}")
            } else {
                format!("yes: {what}in ~{eta}")
            }
        }
        None if when => format!("not within {}", show_secs(horizon as f64)),
        None => "no".to_string(),
    };
    let lines: Vec<String> = found.iter().map(|c| format!("- {}", c.sentence(horizon))).collect();
    let mut out = routed("history-capacity", short, lines.join("\n"));
    out.kubectl.push("kubectl describe nodes".into());
    out
}

/// "anything unusual?": the pods whose series left their normal range.
fn out_of_the_ordinary(found: &[insights::Unusual]) -> Routed {
    let short = if found.is_empty() {
        "nothing unusual".to_string()
    } else {
        join(distinct(found.iter().map(|u| u.subject.split('/').next().unwrap_or("").to_string())))
    };
    let lines: Vec<String> = found.iter().map(|u| format!("- {}", insights::unusual_line(u))).collect();
    routed("history-anomalies", short, lines.join("\n"))
}
