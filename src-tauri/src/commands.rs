//! The commands the UI invokes (docs/desktop-api.md): thin wrappers over
//! the assistant, the contexts, the model store and the engine. Long work
//! runs on tokio tasks or the engine's thread, so the window never waits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use kubeask_agent::model_loop::CancelFlag;
use kubeask_agent::{Answer, AnswerEvent};
use kubeask_insight::podstatus;
use kubeask_llm::download::{self, DownloadEvent};
use kubeask_llm::hardware::{self, Hardware};
use kubeask_llm::store::{LocalModel as StoredModel, ModelStore};
use serde::Serialize;
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::state::{AppState, CmdError, Settings};

type Res<T> = Result<T, CmdError>;

/// Answers a question, streaming `kubeask://answer` events meanwhile; with
/// `session`, as a turn of that conversation (follow-ups resolved, kept in
/// the conversations file the CLI shares).
#[tauri::command]
pub async fn ask(
    app: AppHandle,
    state: State<'_, AppState>,
    request_id: String,
    question: String,
    context: Option<String>,
    session: Option<String>,
) -> Res<Answer> {
    let assistant = state.assistant().await?;
    let context = match context {
        Some(c) => Some(c),
        None => state.context.lock().await.clone(),
    };
    let cancel = CancelFlag::default();
    state.asks.lock().await.insert(request_id.clone(), cancel.clone());
    let emitter = app.clone();
    let id = request_id.clone();
    let sink = move |event: AnswerEvent| {
        let _ = emitter.emit("kubeask://answer", json!({ "requestId": id, "event": event }));
    };
    let sessions = match &session {
        Some(_) => state.sessions().await,
        None => None,
    };
    let result: Result<Answer, CmdError> = match (sessions, &session) {
        (Some(store), Some(id)) => assistant
            .ask_in_session_streaming(&store, id, context.as_deref(), &question, &cancel, &sink)
            .await
            .map_err(CmdError::from),
        _ => assistant.ask_streaming(context.as_deref(), &question, &cancel, &sink).await.map_err(CmdError::from),
    };
    state.asks.lock().await.remove(&request_id);
    let last = match &result {
        Ok(a) => AnswerEvent::Final { answer: Box::new(a.clone()) },
        Err(e) => AnswerEvent::Error { code: e.code.clone(), message: e.message.clone() },
    };
    let _ = app.emit("kubeask://answer", json!({ "requestId": request_id, "event": last }));
    result
}

/// Every kept conversation (the desktop's and the CLI's), newest first.
#[tauri::command]
pub async fn list_conversations(state: State<'_, AppState>) -> Res<Vec<kubeask_agent::sessions::SessionInfo>> {
    let Some(store) = state.sessions().await else { return Ok(Vec::new()) };
    store.list().map_err(|e| CmdError::new("CONVERSATIONS_UNAVAILABLE", e))
}

/// One kept conversation's answers, oldest first.
#[tauri::command]
pub async fn conversation(state: State<'_, AppState>, id: String) -> Res<Vec<Answer>> {
    let Some(store) = state.sessions().await else { return Ok(Vec::new()) };
    store.history(&id).map_err(|e| CmdError::new("CONVERSATIONS_UNAVAILABLE", e))
}

/// Stops a running question.
#[tauri::command]
pub async fn cancel_ask(state: State<'_, AppState>, request_id: String) -> Res<()> {
    if let Some(c) = state.asks.lock().await.get(&request_id) {
        c.cancel();
    }
    Ok(())
}

/// A context as the UI lists it.
#[derive(Serialize)]
pub struct ContextView {
    name: String,
    current: bool,
    server: String,
    reachable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The built-in demo cluster, used because there is no kubeconfig.
    demo: bool,
}

async fn contexts_view(state: &AppState) -> Res<Vec<ContextView>> {
    let cluster = state.cluster().await?;
    let contexts = cluster.base.contexts().map_err(|e| CmdError::new("CONTEXTS", e))?;
    let chosen = state.context.lock().await.clone();
    let demo = cluster.access.demo.is_some();
    let list = contexts.list();
    let checks = futures_checks(&contexts, &list).await;
    Ok(list
        .into_iter()
        .zip(checks)
        .map(|(c, check)| ContextView {
            current: chosen.as_deref().map_or(c.current, |n| n == c.name),
            server: c.server.unwrap_or_default(),
            reachable: Some(check.is_ok()),
            error: check.err(),
            demo,
            name: c.name,
        })
        .collect())
}

async fn futures_checks(
    contexts: &kubeask_cluster::contexts::Contexts,
    list: &[kubeask_cluster::contexts::ContextInfo],
) -> Vec<Result<(), String>> {
    let mut out = Vec::new();
    for c in list {
        let r = match tokio::time::timeout(std::time::Duration::from_secs(3), contexts.connect(Some(&c.name))).await {
            Err(_) => Err("no answer within 3 s".to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(conn)) => conn.check().await.map(|_| ()).map_err(|e| e.to_string()),
        };
        out.push(r);
    }
    out
}

/// The contexts, the current one marked, each checked for reachability.
#[tauri::command]
pub async fn list_contexts(state: State<'_, AppState>) -> Res<Vec<ContextView>> {
    contexts_view(&state).await
}

/// Makes `name` the context questions go to.
#[tauri::command]
pub async fn switch_context(app: AppHandle, state: State<'_, AppState>, name: String) -> Res<Vec<ContextView>> {
    switch_to(&app, &state, name).await
}

/// Switches the context (from the Cluster panel or the tray): remembered in
/// the settings, `kubeask://context` to every window, the tray's checkmark
/// moved.
pub async fn switch_to(app: &AppHandle, state: &AppState, name: String) -> Res<Vec<ContextView>> {
    let cluster = state.cluster().await?;
    let contexts = cluster.base.contexts().map_err(|e| CmdError::new("CONTEXTS", e))?;
    if !contexts.list().iter().any(|c| c.name == name) {
        return Err(CmdError::new("UNKNOWN_CONTEXT", format!("there is no context called {name}")));
    }
    *state.context.lock().await = Some(name.clone());
    let mut settings = state.settings.lock().await;
    settings.context = Some(name);
    settings.save()?;
    drop(settings);
    let view = contexts_view(state).await?;
    let _ = app.emit("kubeask://context", &view);
    crate::tray::refresh(app);
    Ok(view)
}

fn node_row(n: &Node) -> Value {
    let status = n.status.as_ref();
    let roles: Vec<String> = n
        .metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string))
        .collect();
    let cap = |k: &str| {
        status.and_then(|s| s.capacity.as_ref()).and_then(|c| c.get(k)).map(|q| q.0.clone()).unwrap_or_default()
    };
    json!({
        "name": n.metadata.name.clone().unwrap_or_default(),
        "status": kubeask_insight::state::node_status(n),
        "roles": if roles.is_empty() { "<none>".to_string() } else { roles.join(",") },
        "version": status.and_then(|s| s.node_info.as_ref()).map(|i| i.kubelet_version.clone()).unwrap_or_default(),
        "cpu": cap("cpu"),
        "memory": cap("memory"),
        "age": podstatus::age(n.metadata.creation_timestamp.as_ref().map(|t| t.0)),
    })
}

fn pod_row(p: &Pod) -> Value {
    let (ready, total) = podstatus::ready_containers(p);
    json!({
        "namespace": p.metadata.namespace.clone().unwrap_or_default(),
        "name": p.metadata.name.clone().unwrap_or_default(),
        "ready": format!("{ready}/{total}"),
        "status": podstatus::display_status(p),
        "restarts": podstatus::restarts(p).0,
        "node": p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "age": podstatus::age(p.metadata.creation_timestamp.as_ref().map(|t| t.0)),
    })
}

/// Health, findings worst first, nodes and pods of a context.
#[tauri::command]
pub async fn cluster_view(state: State<'_, AppState>, context: Option<String>) -> Res<Value> {
    let context = match context {
        Some(c) => Some(c),
        None => state.context.lock().await.clone(),
    };
    build_cluster_view(&state, context.as_deref()).await
}

/// The Security view: the posture checks' findings for a context (the
/// current one by default), and what could not be checked.
#[tauri::command]
pub async fn security_view(state: State<'_, AppState>, context: Option<String>) -> Res<Value> {
    let context = match context {
        Some(c) => Some(c),
        None => state.context.lock().await.clone(),
    };
    let assistant = state.assistant().await?;
    let (findings, not_checked) = assistant.security(context.as_deref(), None).await?;
    let context = assistant.cache(context.as_deref()).await?.connection().context.clone();
    Ok(json!({ "context": context, "findings": findings, "not_checked": not_checked }))
}

/// The Cost view: the context's monthly cost per namespace (or `by`:
/// `workload`, `label=KEY`), idle capacity and waste, at the user's prices
/// or the defaults (the view says which).
#[tauri::command]
pub async fn cost_view(state: State<'_, AppState>, by: Option<String>) -> Res<Value> {
    let by: kubeask_insight::cost::By =
        by.as_deref().unwrap_or("namespace").parse().map_err(|e: String| CmdError::new("BAD_ARGUMENT", e))?;
    let context = state.context.lock().await.clone();
    let assistant = state.assistant().await?;
    let (report, theirs) = assistant.cost(context.as_deref(), &by).await?;
    let context = assistant.cache(context.as_deref()).await?.connection().context.clone();
    Ok(json!({
        "context": context,
        "report": report,
        "your_prices": theirs,
        "prices_file": kubeask_agent::prices::path(),
    }))
}

/// Saves the current context's prices (per vCPU-hour, GiB-hour, GiB-month
/// of storage, LoadBalancer-month) and returns the Cost view at them.
#[tauri::command]
pub async fn set_prices(
    state: State<'_, AppState>,
    prices: kubeask_insight::cost::Prices,
    by: Option<String>,
) -> Res<Value> {
    let context = state.context.lock().await.clone();
    let assistant = state.assistant().await?;
    let name = assistant.cache(context.as_deref()).await?.connection().context.clone();
    let mut prices = prices;
    prices.source = "your prices".into();
    kubeask_agent::prices::save_for(&name, prices).map_err(|e| CmdError::new("BAD_SETTINGS", e))?;
    cost_view(state, by).await
}

async fn build_cluster_view(state: &AppState, context: Option<&str>) -> Res<Value> {
    let assistant = state.assistant().await?;
    let cache = assistant.cache(context).await?;
    let findings = assistant.diagnose(context, None).await?;
    let snap = cache.snapshot();
    let critical = findings.iter().filter(|f| f.severity == kubeask_insight::analyze::Severity::Critical).count();
    let summary = format!(
        "{} nodes, {} pods in {} namespaces; {} problems ({} critical)",
        snap.nodes.len(),
        snap.pods.len(),
        snap.namespaces.len(),
        findings.len(),
        critical
    );
    Ok(json!({
        "context": cache.connection().context,
        "healthy": critical == 0,
        "summary": summary,
        "findings": findings.iter().map(|f| json!({
            "severity": f.severity,
            "kind": f.object.kind,
            "namespace": f.object.namespace,
            "name": f.object.name,
            "title": f.title,
            "evidence": f.evidence,
            "fix": f.suggested_fix,
            "action": f.fix,
        })).collect::<Vec<_>>(),
        "nodes": snap.nodes.iter().map(|n| node_row(n)).collect::<Vec<_>>(),
        "pods": snap.pods.iter().map(|p| pod_row(p)).collect::<Vec<_>>(),
    }))
}

/// Pushes `kubeask://cluster` when the current context's cache changes
/// (its watches saw an event) or the context is switched: checked every
/// 2 s, and only while the main window is visible, because a view runs the
/// analyzers (and reads crashing containers' logs).
pub async fn watch_cluster(app: AppHandle) {
    let mut last: Option<(Option<String>, u64)> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let visible = app.get_webview_window("main").and_then(|w| w.is_visible().ok()).unwrap_or(false);
        if !visible {
            continue;
        }
        let state = app.state::<AppState>();
        let Ok(assistant) = state.assistant().await else { continue };
        let context = state.context.lock().await.clone();
        let Ok(cache) = assistant.cache(context.as_deref()).await else { continue };
        let now = (context.clone(), cache.generation());
        // The first look only records where the cache stands: the panel
        // loads its own view when it opens.
        match last.replace(now.clone()) {
            Some(previous) if previous != now => {}
            _ => continue,
        }
        match build_cluster_view(&state, context.as_deref()).await {
            Ok(view) => {
                let _ = app.emit("kubeask://cluster", view);
            }
            Err(e) => tracing::debug!("no cluster view to push: {}", e.message),
        }
    }
}

/// This machine, for the Models panel.
#[tauri::command]
pub async fn hardware() -> Res<Hardware> {
    tokio::task::spawn_blocking(Hardware::detect).await.map_err(|e| CmdError::new("ERROR", e))
}

fn store() -> ModelStore {
    ModelStore::new(ModelStore::default_dir())
}

/// The catalog, the recommended model first, with fit and install state.
#[tauri::command]
pub async fn catalog() -> Res<Vec<Value>> {
    let hw = tokio::task::spawn_blocking(Hardware::detect).await.map_err(|e| CmdError::new("ERROR", e))?;
    let all = kubeask_llm::catalog::builtin();
    let rec = hardware::recommend(&hw, &all).map(|r| r.model.id);
    let installed: Vec<String> = store().list(true).into_iter().map(|m| m.file).collect();
    let mut out: Vec<Value> = all
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            v["fits"] = json!(hardware::check_fit(&m.name, m.ram_bytes, &hw).is_ok());
            v["installed"] = json!(installed.contains(&m.file));
            v["recommended"] = json!(rec.as_deref() == Some(m.id.as_str()));
            v
        })
        .collect();
    out.sort_by_key(|v| !v["recommended"].as_bool().unwrap_or(false));
    Ok(out)
}

/// The recommended catalog id.
#[tauri::command]
pub async fn recommended() -> Res<Option<String>> {
    let hw = tokio::task::spawn_blocking(Hardware::detect).await.map_err(|e| CmdError::new("ERROR", e))?;
    Ok(hardware::recommend(&hw, &kubeask_llm::catalog::builtin()).map(|r| r.model.id))
}

/// Installed models and GGUFs in the Hugging Face cache.
#[tauri::command]
pub async fn installed_models() -> Res<Vec<StoredModel>> {
    Ok(store().list(true))
}

/// Downloads a catalog model, with `kubeask://download` progress.
#[tauri::command]
pub async fn download_model(app: AppHandle, state: State<'_, AppState>, id: String) -> Res<()> {
    let m = kubeask_llm::catalog::find(&id)
        .ok_or_else(|| CmdError::new("UNKNOWN_MODEL", format!("{id} is not in the catalog")))?;
    let cancel = Arc::new(AtomicBool::new(false));
    state.downloads.lock().await.insert(id.clone(), cancel.clone());
    let req = m.download_request();
    let dir = ModelStore::default_dir();
    let _ = std::fs::create_dir_all(&dir);
    let emit = |state: &str, extra: Value| {
        let mut v =
            json!({ "id": id, "state": state, "downloaded": 0, "total": 0, "bytes_per_sec": 0.0, "eta_secs": null });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        let _ = app.emit("kubeask://download", v);
    };
    let result = download::download(&dir, &req, &cancel, |ev| match ev {
        DownloadEvent::Progress(p) => emit("running", serde_json::to_value(p).unwrap_or_default()),
        DownloadEvent::Verifying => emit("verifying", json!({})),
        DownloadEvent::Started { total, resumed_from } => {
            emit("running", json!({ "total": total, "downloaded": resumed_from }))
        }
        DownloadEvent::Retrying { reason, .. } => emit("running", json!({ "message": reason })),
    })
    .await;
    state.downloads.lock().await.remove(&id);
    match result {
        Ok(done) => {
            emit("done", json!({ "downloaded": done.size, "total": done.size }));
            Ok(())
        }
        Err(download::DownloadError::Cancelled) => {
            emit("cancelled", json!({}));
            Ok(())
        }
        Err(e) => {
            emit("error", json!({ "message": e.to_string() }));
            Err(CmdError::new("DOWNLOAD", e))
        }
    }
}

/// Cancels a download (the part is kept for a resume).
#[tauri::command]
pub async fn cancel_download(state: State<'_, AppState>, id: String) -> Res<()> {
    if let Some(c) = state.downloads.lock().await.get(&id) {
        c.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// Asks the user for a file in the system's file dialog; `None` when they
/// cancel. The one way a filesystem path reaches a command: a page cannot
/// name a path of its choosing (say, a key file) for the app to read.
async fn pick_file(app: &AppHandle, title: &str, filter: Option<(&str, &[&str])>) -> Res<Option<std::path::PathBuf>> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title);
    if let Some((name, extensions)) = filter {
        dialog = dialog.add_filter(name, extensions);
    }
    dialog.pick_file(move |picked| {
        let _ = tx.send(picked);
    });
    let picked = rx.await.map_err(|_| CmdError::new("ERROR", "the file dialog closed without an answer"))?;
    picked
        .map(|p| p.into_path().map_err(|e| CmdError::new("BAD_PATH", format!("that file cannot be opened: {e}"))))
        .transpose()
}

/// Imports a .gguf the user picks in the file dialog (validated, copied
/// atomically); `null` when the dialog is cancelled.
#[tauri::command]
pub async fn import_model(app: AppHandle) -> Res<Option<StoredModel>> {
    let Some(path) = pick_file(&app, "Import a GGUF model", Some(("GGUF model", &["gguf"]))).await? else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || store().import(&path).map(|(m, _)| m))
        .await
        .map_err(|e| CmdError::new("ERROR", e))?
        .map(Some)
        .map_err(|e| CmdError::new("IMPORT", e))
}

async fn status_value(state: &AppState) -> Value {
    let remote = state.remote.lock().await.as_ref().map(|(n, r)| (n.clone(), r.info().describe()));
    let (engine, remote) = remote.map_or((Value::Null, Value::Null), |(n, d)| (json!(n), json!(d)));
    match state.model.lock().await.as_ref() {
        None => json!({ "loaded": null, "last_tps": null, "busy": false, "engine": engine, "remote": remote }),
        Some(m) => {
            let st = m.engine().status();
            json!({
                "loaded": m.info(),
                "last_tps": st.last_run.map(|r| r.gen_tps),
                "busy": st.busy,
                "engine": engine,
                "remote": remote,
            })
        }
    }
}

/// The inference servers added with `kubeask engines add` (never a key).
#[tauri::command]
pub async fn list_engines() -> Res<Vec<Value>> {
    let all = kubeask_cluster::saved::SavedEndpoints::engines()
        .all()
        .map_err(|e| CmdError::new("SETTINGS_UNREADABLE", e.to_string()))?;
    Ok(all
        .into_iter()
        .map(|(name, s)| json!({"name": name, "url": s.url, "model": s.model, "api_key": s.secret.is_some()}))
        .collect())
}

/// Answers model mode with the added server `name` (connected first), or
/// with the in-process engine again (`None`); remembered across restarts.
#[tauri::command]
pub async fn use_engine(app: AppHandle, state: State<'_, AppState>, name: Option<String>) -> Res<Value> {
    let remote = match &name {
        None => None,
        Some(n) => {
            let r = kubeask_agent::access::connect_engine(n, None).await.map_err(CmdError::from)?;
            Some((n.clone(), Arc::new(r)))
        }
    };
    *state.remote.lock().await = remote;
    let mut settings = state.settings.lock().await;
    settings.engine = name;
    let _ = settings.save();
    drop(settings);
    let v = status_value(&state).await;
    let _ = app.emit("kubeask://model", &v);
    Ok(v)
}

/// Loads a model (replacing the loaded one); refused before loading when it cannot fit.
#[tauri::command]
pub async fn load_model(app: AppHandle, state: State<'_, AppState>, path: String) -> Res<Value> {
    // Only a model in the list the UI was given: imported or downloaded
    // through the app, or in the Hugging Face cache.
    if !store().list(true).iter().any(|m| m.path == std::path::Path::new(&path)) {
        return Err(CmdError::new(
            "NOT_INSTALLED",
            "that file is not an installed model: import it first (Models → Import…)",
        ));
    }
    let model = kubeask_agent::access::load_model(&path).await?;
    *state.model.lock().await = Some(model);
    let mut settings = state.settings.lock().await;
    settings.model = Some(path);
    let _ = settings.save();
    drop(settings);
    let v = status_value(&state).await;
    let _ = app.emit("kubeask://model", &v);
    Ok(v)
}

/// Unloads the model (direct mode keeps answering).
#[tauri::command]
pub async fn unload_model(app: AppHandle, state: State<'_, AppState>) -> Res<Value> {
    if let Some(m) = state.model.lock().await.take() {
        let _ = m.engine().unload().await;
    }
    let v = status_value(&state).await;
    let _ = app.emit("kubeask://model", &v);
    Ok(v)
}

/// The engine's state.
#[tauri::command]
pub async fn model_status(state: State<'_, AppState>) -> Res<Value> {
    Ok(status_value(&state).await)
}

/// The settings.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Res<Settings> {
    Ok(state.settings.lock().await.clone())
}

/// Saves the settings.
#[tauri::command]
pub async fn set_settings(state: State<'_, AppState>, settings: Settings) -> Res<Settings> {
    let mut s = state.settings.lock().await;
    let keep = (s.data_dir.clone(), s.log_dir.clone(), s.context.clone(), s.model.clone(), s.engine.clone());
    *s = settings;
    (s.data_dir, s.log_dir, s.context, s.model, s.engine) = keep;
    s.save()?;
    Ok(s.clone())
}

/// Imports a kubeconfig the user picks in the file dialog (secrets to the
/// keychain); `null` when the dialog is cancelled.
#[tauri::command]
pub async fn import_kubeconfig(app: AppHandle, state: State<'_, AppState>) -> Res<Option<Vec<ContextView>>> {
    let Some(path) = pick_file(&app, "Import a kubeconfig", None).await? else {
        return Ok(None);
    };
    let stored = kubeask_cluster::stored::StoredContexts::open_default();
    tokio::task::spawn_blocking(move || stored.import_file(&path))
        .await
        .map_err(|e| CmdError::new("ERROR", e))?
        .map_err(|e| CmdError::new("IMPORT", e))?;
    contexts_view(&state).await.map(Some)
}

/// Shows the main window (from the quick window), optionally asking there.
#[tauri::command]
pub async fn open_main(app: AppHandle, question: Option<String>) -> Res<()> {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.set_focus();
        if let Some(q) = question {
            let _ = app.emit_to("main", "kubeask://open-question", q);
        }
    }
    if let Some(q) = app.get_webview_window("quick") {
        let _ = q.hide();
    }
    Ok(())
}
