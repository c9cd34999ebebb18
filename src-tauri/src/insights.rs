//! The History view's commands (forecasts, anomalies, right-sizing, a
//! workload's charts, the incident timeline) over the same library calls
//! the CLI's `forecast`, `rightsize`, `history` and `timeline` make; and
//! the notifier: a new critical finding or a forecast reaching a limit
//! raises one desktop notification and sets the tray's badge.

use kubeask_agent::alerts::{alerts, Alert, AT_ONCE};
use kubeask_agent::insights::{FORECAST_WINDOW, HORIZON};
use kubeask_agent::views::{self, InsightsView, TimelineView, WorkloadHistory};
use kubeask_insight::analyze::Severity;
use kubeask_insight::history::parse_secs;
use kubeask_insight::history::timeline::Query;
use kubeask_insight::history::volume::VolumeForecast;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_notification::NotificationExt;

use crate::state::{AppState, CmdError};
use kubeask_agent::ErrorCode;

type Res<T> = Result<T, CmdError>;

/// The assistant, the context asked for (`shown`: the one a view shows,
/// else the current one) and its name.
async fn current_or(
    state: &AppState,
    shown: Option<String>,
) -> Res<(kubeask_agent::Assistant, Option<String>, String)> {
    let context = match shown {
        Some(c) => Some(c),
        None => state.context.get(),
    };
    let assistant = state.assistant().await?;
    let name = assistant.cache(context.as_deref()).await?.connection().context.clone();
    Ok((assistant, context, name))
}

async fn current(state: &AppState) -> Res<(kubeask_agent::Assistant, Option<String>, String)> {
    current_or(state, None).await
}

fn secs(text: Option<&str>, default: i64) -> Res<i64> {
    match text {
        None => Ok(default),
        Some(t) => parse_secs(t)
            .filter(|s| *s > 0 && *s <= 14 * 86_400)
            .ok_or_else(|| CmdError::new(ErrorCode::BadArgument, format!("{t:?} is not a period like 30m, 6h or 7d"))),
    }
}

/// Forecasts, anomalies and right-sizing for the current context, and
/// whether its notifications are muted (said even when it has no history
/// yet: `error` then says why the rest is empty).
#[tauri::command]
pub async fn insights_view(state: State<'_, AppState>) -> Res<InsightsView> {
    let (assistant, context, name) = current(&state).await?;
    let muted = state.alerts.lock().await.is_muted(&name);
    Ok(views::insights_view(&assistant, context.as_deref(), name, muted).await?)
}

/// One workload's charts (memory and CPU per container) over `since`, in
/// `context` (the one the view shows) or the current one.
#[tauri::command]
pub async fn workload_history(
    state: State<'_, AppState>,
    namespace: String,
    kind: String,
    name: String,
    since: Option<String>,
    context: Option<String>,
) -> Res<WorkloadHistory> {
    let window = secs(since.as_deref(), FORECAST_WINDOW)?;
    let (assistant, context, _) = current_or(&state, context).await?;
    let charts = assistant.charts_of(context.as_deref(), &namespace, (&kind, &name), window, HORIZON / 4).await?;
    Ok(WorkloadHistory { source: charts.source, charts: charts.report })
}

/// The incident timeline of the current context (or one namespace) over `since`.
#[tauri::command]
pub async fn timeline_view(
    state: State<'_, AppState>,
    namespace: Option<String>,
    since: Option<String>,
) -> Res<TimelineView> {
    let window = secs(since.as_deref(), 3600)?;
    let (assistant, context, _) = current(&state).await?;
    let start = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - window).ok();
    let q = Query { namespace: namespace.filter(|n| !n.is_empty()), target: None, since: start };
    let t = assistant.timeline(context.as_deref(), &q).await?;
    Ok(TimelineView { source: t.source, incidents: t.report })
}

/// Mutes (or unmutes) a context's notifications (the one the view shows,
/// else the current one).
#[tauri::command]
pub async fn set_alerts_muted(state: State<'_, AppState>, muted: bool, context: Option<String>) -> Res<bool> {
    let (_, _, name) = current_or(&state, context).await?;
    let mut ledger = state.alerts.lock().await;
    ledger.set_muted(&name, muted);
    ledger.save().map_err(|e| CmdError::new(ErrorCode::Io, format!("cannot save the notification settings: {e}")))?;
    Ok(muted)
}

/// How often the notifier looks (seconds; `KUBEASK_ALERT_SECS` for tests).
fn every() -> std::time::Duration {
    let s = std::env::var("KUBEASK_ALERT_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(30u64);
    std::time::Duration::from_secs(s.max(1))
}

/// The notifier: every half minute, the current context's critical
/// findings (and, every tenth look, its forecasts and every context's
/// health for the tray); what is new is raised.
pub async fn watch_alerts(app: AppHandle) {
    let mut tick = tokio::time::interval(every());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut memo = Memo::default();
    loop {
        tick.tick().await;
        if let Err(e) = look(&app, &mut memo).await {
            tracing::debug!("no alerts this time: {}", e.message);
        }
    }
}

/// What the notifier keeps between looks: how many it made, and the
/// forecasts of the context they were read for.
#[derive(Default)]
struct Memo {
    looks: u32,
    forecasts: Option<(String, Vec<kubeask_agent::insights::Forecast>, Vec<VolumeForecast>)>,
}

async fn look(app: &AppHandle, memo: &mut Memo) -> Res<()> {
    let state = app.state::<AppState>();
    let look = memo.looks;
    memo.looks = memo.looks.wrapping_add(1);
    let (assistant, context, name) = current(&state).await?;
    let switched = memo.forecasts.as_ref().is_none_or(|(c, ..)| c != &name);
    if switched || look.is_multiple_of(10) {
        // NB: a failed read keeps the last forecasts (clearing them would
        // make the ledger forget, and raise them all again next time).
        let ctx = context.as_deref();
        let kept = memo.forecasts.take().filter(|_| !switched);
        let (kept_f, kept_v) = kept.map_or((Vec::new(), Vec::new()), |(_, f, v)| (f, v));
        let f = assistant.forecast(ctx, None, FORECAST_WINDOW, HORIZON).await.map_or(kept_f, |f| f.report.forecasts);
        let v = assistant.volume_forecasts(ctx, None, FORECAST_WINDOW, HORIZON).await.map_or(kept_v, |v| v.report);
        memo.forecasts = Some((name.clone(), f, v));
    }
    let mut diagnosed = None;
    if look.is_multiple_of(10) {
        // Every context's health for the tray, in parallel, each with a
        // deadline (the current one's findings are used below too).
        if let Ok(all) = assistant.diagnose_all().await {
            *state.health.lock().await = all.iter().map(|(n, p)| kubeask_agent::fleet::health_line(n, p)).collect();
            crate::tray::refresh(app);
            diagnosed = all.into_iter().find(|(n, _)| n == &name).and_then(|(_, p)| p.ok());
        }
    }
    let findings = match diagnosed {
        Some(f) => f,
        None => assistant.diagnose(context.as_deref(), None).await?,
    };
    let (forecasts, volumes) =
        memo.forecasts.as_ref().map_or((&[][..], &[][..]), |(_, f, v)| (f.as_slice(), v.as_slice()));
    let snap = assistant.cache(context.as_deref()).await?.snapshot();
    let critical = findings.iter().filter(|f| f.severity == Severity::Critical).count();
    crate::tray::badge(app, &name, critical);
    let fresh = {
        let mut ledger = state.alerts.lock().await;
        let fresh = ledger.fresh(&name, alerts(&snap, &findings, forecasts, volumes));
        if let Err(e) = ledger.save() {
            tracing::warn!("cannot save the notification ledger: {e}");
        }
        fresh
    };
    raise(app, &name, &fresh);
    Ok(())
}

/// Shows the notifications: up to [`AT_ONCE`] one by one, the rest in one.
fn raise(app: &AppHandle, context: &str, fresh: &[Alert]) {
    let show = |title: &str, body: &str| {
        if let Err(e) = app.notification().builder().title(title).body(body).show() {
            tracing::warn!("cannot show a notification: {e}");
        }
    };
    for a in fresh.iter().take(AT_ONCE) {
        show(&format!("{context} — {}", a.title), &a.body);
    }
    if fresh.len() > AT_ONCE {
        let rest = fresh.len() - AT_ONCE;
        show(&format!("{context} — {rest} more problems"), "Open Kubeask's Cluster and History views for the rest.");
    }
}
