//! The commands the UI invokes (docs/desktop-api.md): thin wrappers over
//! the assistant, the contexts, the model store and the engine. Long work
//! runs on tokio tasks or the engine's thread, so the window never waits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kubeask_agent::model_loop::CancelFlag;
use kubeask_agent::views::{self, ClusterView, CostView, SecurityView};
use kubeask_agent::{Answer, AnswerEvent};
use kubeask_llm::download::{self, DownloadStatus};
use kubeask_llm::hardware::Hardware;
use kubeask_llm::store::{LocalModel as StoredModel, ModelStore};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, Manager, State};

use crate::state::{AppState, CmdError, Settings};
use kubeask_agent::ErrorCode;

type Res<T> = Result<T, CmdError>;

/// Answers a question, streaming its events to the window that asked
/// (`on_event`, a channel of that window's, not a broadcast); with
/// `session`, as a turn of that conversation (follow-ups resolved, kept in
/// the conversations file the CLI shares). `request_id` names it for
/// `cancel_ask`.
#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    request_id: String,
    question: String,
    context: Option<String>,
    session: Option<String>,
    on_event: Channel<AnswerEvent>,
) -> Res<Answer> {
    let assistant = state.assistant().await?;
    let context = context.or_else(|| state.context.get());
    let cancel = CancelFlag::default();
    state.asks.lock().await.insert(request_id.clone(), cancel.clone());
    let events = on_event.clone();
    let sink = move |event: AnswerEvent| {
        let _ = events.send(event);
    };
    let sessions = match &session {
        Some(_) => state.sessions().await,
        None => None,
    };
    let result: Res<Answer> = match (sessions, &session) {
        (Some(store), Some(id)) => store
            .ask_streaming(&assistant, id, context.as_deref(), &question, &cancel, &sink)
            .await
            .map_err(CmdError::from),
        _ => assistant.ask_streaming(context.as_deref(), &question, &cancel, &sink).await.map_err(CmdError::from),
    };
    state.asks.lock().await.remove(&request_id);
    let _ = on_event.send(match &result {
        Ok(a) => AnswerEvent::Final { answer: Box::new(a.clone()) },
        Err(e) => AnswerEvent::Error { code: e.code, message: e.message.clone() },
    });
    result
}

/// Every kept conversation (the desktop's and the CLI's), newest first.
#[tauri::command]
pub async fn list_conversations(state: State<'_, AppState>) -> Res<Vec<kubeask_agent::sessions::SessionInfo>> {
    let Some(store) = state.sessions().await else { return Ok(Vec::new()) };
    store.list().map_err(|e| CmdError::new(ErrorCode::ConversationsUnavailable, e))
}

/// One kept conversation's answers, oldest first.
#[tauri::command]
pub async fn conversation(state: State<'_, AppState>, id: String) -> Res<Vec<Answer>> {
    let Some(store) = state.sessions().await else { return Ok(Vec::new()) };
    store.history(&id).map_err(|e| CmdError::new(ErrorCode::ConversationsUnavailable, e))
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
#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "ContextInfo", optional_fields)]
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
    let contexts = cluster.base.contexts()?;
    let chosen = state.context.get();
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

/// Makes `name` the context questions go to; the tray and the cluster
/// view follow (they subscribe to the current context).
#[tauri::command]
pub async fn switch_context(state: State<'_, AppState>, name: String) -> Res<Vec<ContextView>> {
    state.switch_context(&name).await?;
    contexts_view(&state).await
}

/// Health, findings worst first, nodes and pods of a context.
#[tauri::command]
pub async fn cluster_view(state: State<'_, AppState>, context: Option<String>) -> Res<ClusterView> {
    let context = context.or_else(|| state.context.get());
    build_cluster_view(&state, context.as_deref()).await
}

/// The Security view: the posture checks' findings for a context (the
/// current one by default), and what could not be checked.
#[tauri::command]
pub async fn security_view(state: State<'_, AppState>, context: Option<String>) -> Res<SecurityView> {
    let context = context.or_else(|| state.context.get());
    Ok(views::security_view(&state.assistant().await?, context.as_deref()).await?)
}

/// The Cost view: the context's monthly cost per namespace (or `by`:
/// `workload`, `label=KEY`), idle capacity and waste, at the user's prices
/// or the defaults (the view says which).
#[tauri::command]
pub async fn cost_view(state: State<'_, AppState>, by: Option<String>) -> Res<CostView> {
    let by: kubeask_insight::cost::By =
        by.as_deref().unwrap_or("namespace").parse().map_err(|e: String| CmdError::new(ErrorCode::BadArgument, e))?;
    Ok(views::cost_view(&state.assistant().await?, state.context.get().as_deref(), &by).await?)
}

/// Saves the current context's prices (per vCPU-hour, GiB-hour, GiB-month
/// of storage, LoadBalancer-month) and returns the Cost view at them.
#[tauri::command]
pub async fn set_prices(
    state: State<'_, AppState>,
    prices: kubeask_insight::cost::Prices,
    by: Option<String>,
) -> Res<CostView> {
    let context = state.context.get();
    let assistant = state.assistant().await?;
    let name = assistant.cache(context.as_deref()).await?.connection().context.clone();
    let mut prices = prices;
    prices.source = "your prices".into();
    kubeask_agent::prices::save_for(&name, prices).map_err(|e| CmdError::new(ErrorCode::BadSettings, e))?;
    cost_view(state, by).await
}

async fn build_cluster_view(state: &AppState, context: Option<&str>) -> Res<ClusterView> {
    Ok(kubeask_agent::views::cluster_view(&state.assistant().await?, context).await?)
}

/// Pushes `kubeask://context` when the context is switched (from the
/// Cluster panel or the tray), and `kubeask://cluster` when the current
/// context's cache changes or the context is switched — woken by both
/// (watch channels, no polling). Changes are gathered for a second, and a
/// view is built only while the main window is visible, because it runs the
/// analyzers (and reads crashing containers' logs).
pub async fn watch_cluster(app: AppHandle) {
    use tokio::time::{sleep_until, Duration, Instant};
    let state = app.state::<AppState>();
    let mut switched = state.context.subscribe();
    // The first look only subscribes: the panel loads its own view when it
    // opens. After a switch, the new context's view is pushed.
    let mut after_switch = false;
    loop {
        let context = switched.borrow_and_update().clone();
        if after_switch {
            match contexts_view(&state).await {
                Ok(view) => {
                    let _ = app.emit("kubeask://context", &view);
                }
                Err(e) => tracing::debug!("no contexts to push: {}", e.message),
            }
        }
        let cache = match state.assistant().await {
            Ok(a) => a.cache(context.as_deref()).await.ok(),
            Err(_) => None,
        };
        let Some(cache) = cache else {
            // Not reachable (yet): look again in a while, or at the next switch.
            tokio::select! {
                r = switched.changed() => match r {
                    Ok(()) => after_switch = true,
                    Err(_) => return,
                },
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            continue;
        };
        let mut changes = cache.changes();
        // When a view is due: a second after the first change seen (changes
        // come in bursts), again later while the window is hidden.
        let mut due = after_switch.then(|| Instant::now() + Duration::from_secs(1));
        after_switch = false;
        loop {
            tokio::select! {
                r = switched.changed() => match r {
                    Ok(()) => {
                        after_switch = true;
                        break;
                    }
                    Err(_) => return,
                },
                r = changes.changed() => match r {
                    Ok(()) => {
                        due.get_or_insert_with(|| Instant::now() + Duration::from_secs(1));
                    }
                    // The cache was replaced: look it up again.
                    Err(_) => break,
                },
                () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    let visible = app.get_webview_window("main").and_then(|w| w.is_visible().ok()).unwrap_or(false);
                    if visible {
                        due = None;
                        push_cluster_view(&app, &state, context.as_deref()).await;
                    } else {
                        due = Some(Instant::now() + Duration::from_secs(2));
                    }
                }
            }
        }
    }
}

async fn push_cluster_view(app: &AppHandle, state: &AppState, context: Option<&str>) {
    match build_cluster_view(state, context).await {
        Ok(view) => {
            let _ = app.emit("kubeask://cluster", view);
        }
        Err(e) => tracing::debug!("no cluster view to push: {}", e.message),
    }
}

/// This machine, for the Models panel.
#[tauri::command]
pub async fn hardware() -> Res<Hardware> {
    tokio::task::spawn_blocking(kubeask_llm::engine::detect_hardware)
        .await
        .map_err(|e| CmdError::new(ErrorCode::Error, e))
}

fn store() -> ModelStore {
    ModelStore::new(ModelStore::default_dir())
}

/// The catalog, the recommended model first, with fit and install state.
#[tauri::command]
pub async fn catalog() -> Res<Vec<kubeask_llm::choices::CatalogEntry>> {
    let hw = tokio::task::spawn_blocking(kubeask_llm::engine::detect_hardware)
        .await
        .map_err(|e| CmdError::new(ErrorCode::Error, e))?;
    Ok(kubeask_llm::choices::entries(&hw, &store()))
}

/// The recommended catalog id.
#[tauri::command]
pub async fn recommended() -> Res<Option<String>> {
    Ok(catalog().await?.into_iter().find(|e| e.recommended).map(|e| e.model.id))
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
        .ok_or_else(|| CmdError::new(ErrorCode::UnknownModel, format!("{id} is not in the catalog")))?;
    let cancel = Arc::new(AtomicBool::new(false));
    state.downloads.lock().await.insert(id.clone(), cancel.clone());
    let dir = ModelStore::default_dir();
    let _ = std::fs::create_dir_all(&dir);
    let status = std::sync::Mutex::new(DownloadStatus::new(&id));
    let tell = |s: &DownloadStatus| {
        let _ = app.emit("kubeask://download", s);
    };
    let result = download::download(&dir, &m.download_request(), &cancel, |ev| {
        tell(status.lock().unwrap_or_else(|e| e.into_inner()).update(&ev))
    })
    .await;
    state.downloads.lock().await.remove(&id);
    tell(status.lock().unwrap_or_else(|e| e.into_inner()).finish(&result));
    match result {
        Ok(_) | Err(download::DownloadError::Cancelled) => Ok(()),
        Err(e) => Err(e.into()),
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
    let picked = rx.await.map_err(|_| CmdError::new(ErrorCode::Error, "the file dialog closed without an answer"))?;
    picked
        .map(|p| {
            p.into_path().map_err(|e| CmdError::new(ErrorCode::BadPath, format!("that file cannot be opened: {e}")))
        })
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
        .map_err(|e| CmdError::new(ErrorCode::Error, e))?
        .map(Some)
        .map_err(|e| CmdError::new(ErrorCode::Import, e))
}

/// The engine's state, for the Models panel.
#[derive(Serialize, ts_rs::TS)]
pub struct ModelStatus {
    /// The in-process model, when one is loaded.
    loaded: Option<kubeask_llm::engine::ModelInfo>,
    /// Its last generation speed, tokens/s.
    last_tps: Option<f64>,
    /// Whether it is answering now.
    busy: bool,
    /// The added inference server answering model mode, by name, if any.
    engine: Option<String>,
    /// That server, described (model, endpoint, how tokens are counted).
    remote: Option<String>,
}

async fn status_value(state: &AppState) -> ModelStatus {
    let remote = state.remote.lock().await.as_ref().map(|(n, r)| (n.clone(), r.info().describe()));
    let (engine, remote) = remote.map_or((None, None), |(n, d)| (Some(n), Some(d)));
    match state.model.lock().await.as_ref() {
        None => ModelStatus { loaded: None, last_tps: None, busy: false, engine, remote },
        Some(m) => {
            let st = m.engine().status();
            ModelStatus {
                loaded: Some(m.info().clone()),
                last_tps: st.last_run.map(|r| r.gen_tps),
                busy: st.busy,
                engine,
                remote,
            }
        }
    }
}

/// An inference server added with `kubeask engines add` (never its key).
#[derive(Serialize, ts_rs::TS)]
pub struct EngineEntry {
    /// Its name.
    name: String,
    /// Its endpoint.
    url: String,
    /// The model asked for, if one was named.
    model: Option<String>,
    /// Whether a key is kept for it (in the keychain).
    api_key: bool,
}

/// The inference servers added with `kubeask engines add` (never a key).
#[tauri::command]
pub async fn list_engines() -> Res<Vec<EngineEntry>> {
    let all = kubeask_cluster::saved::SavedEndpoints::engines()
        .all()
        .map_err(|e| CmdError::new(ErrorCode::SettingsUnreadable, e.to_string()))?;
    Ok(all
        .into_iter()
        .map(|(name, s)| EngineEntry { name, url: s.url, model: s.model, api_key: s.secret.is_some() })
        .collect())
}

/// Answers model mode with the added server `name` (connected first), or
/// with the in-process engine again (`None`); remembered across restarts.
#[tauri::command]
pub async fn use_engine(app: AppHandle, state: State<'_, AppState>, name: Option<String>) -> Res<ModelStatus> {
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
pub async fn load_model(app: AppHandle, state: State<'_, AppState>, path: String) -> Res<ModelStatus> {
    // Only a model in the list the UI was given: imported or downloaded
    // through the app, or in the Hugging Face cache.
    if !store().list(true).iter().any(|m| m.path == std::path::Path::new(&path)) {
        return Err(CmdError::new(
            ErrorCode::NotInstalled,
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
pub async fn unload_model(app: AppHandle, state: State<'_, AppState>) -> Res<ModelStatus> {
    if let Some(m) = state.model.lock().await.take() {
        let _ = m.engine().unload().await;
    }
    let v = status_value(&state).await;
    let _ = app.emit("kubeask://model", &v);
    Ok(v)
}

/// The engine's state.
#[tauri::command]
pub async fn model_status(state: State<'_, AppState>) -> Res<ModelStatus> {
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
        .map_err(|e| CmdError::new(ErrorCode::Error, e))?
        .map_err(|e| CmdError::new(ErrorCode::Import, e))?;
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
