//! Kubeask's desktop app: the main window (Ask, Cluster, Models, Settings),
//! the tray with its quick-query window on a global shortcut, and the
//! commands in [`commands`] over the same engine the CLI uses.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
#[cfg(test)]
mod bindings;
mod commands;
mod insights;
mod links;
mod state;
mod tray;

use tauri::{Emitter, Manager};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

use state::{AppState, Settings};

fn main() {
    // A native self-test child (CPU variant or model file) runs and exits here.
    kubeask_llm::engine::serve_child_if_requested();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUBEASK_LOG")
                .unwrap_or_else(|_| "warn,kube_client=off,kube_runtime=off,llama-cpp-2=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::load();
    let shortcut = settings.shortcut.clone();
    let app_state = AppState::default();
    app_state.context.set_quietly(settings.context.clone());
    *app_state.settings.blocking_lock() = settings;
    *app_state.alerts.blocking_lock() = kubeask_agent::alerts::Ledger::load(&state::data_dir().join("alerts.json"));

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.show();
                let _ = w.set_focus();
            }
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(links::navigation_guard())
        .plugin(tauri_plugin_window_state::Builder::default().with_denylist(&["quick"]).build())
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state() == ShortcutState::Pressed {
                        tray::toggle_quick(app);
                    }
                })
                .build(),
        )
        .manage(app_state)
        .setup(move |app| {
            let handle = app.handle().clone();
            if let Err(e) = tray::install(&handle) {
                tracing::warn!("no tray icon: {e}");
            }
            if let Err(e) = app.global_shortcut().register(shortcut.as_str()) {
                tracing::warn!("the global shortcut {shortcut} is unavailable: {e}");
            }
            // The cluster watcher restarts if it ever fails, and says so.
            let (watched, told) = (handle.clone(), handle.clone());
            tauri::async_runtime::spawn(kubeask_agent::supervise::supervise(
                "the cluster watcher",
                move || commands::watch_cluster(watched.clone()),
                move |message| {
                    let _ = told.emit("kubeask://task-failed", message);
                },
            ));
            // New critical findings and forecasts become notifications.
            let (alerting, told) = (handle.clone(), handle.clone());
            tauri::async_runtime::spawn(kubeask_agent::supervise::supervise(
                "the notifier",
                move || insights::watch_alerts(alerting.clone()),
                move |message| {
                    let _ = told.emit("kubeask://task-failed", message);
                },
            ));
            // Resolve contexts (or start the demo) and warm the current
            // context's cache while the window paints.
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<AppState>();
                if let Ok(a) = state.assistant().await {
                    let ctx = state.context.get();
                    let _ = a.cache(ctx.as_deref()).await;
                }
                let engine = state.settings.lock().await.engine.clone();
                if let Some(name) = engine {
                    // NB: a server that does not answer now leaves the
                    // in-process engine in use; the Models panel says so.
                    match kubeask_agent::access::connect_engine(&name, None).await {
                        Ok(r) => *state.remote.lock().await = Some((name, std::sync::Arc::new(r))),
                        Err(e) => tracing::warn!("the engine {name} does not answer: {e:#}"),
                    }
                }
                let model = state.settings.lock().await.model.clone();
                if let Some(path) = model {
                    match kubeask_agent::access::load_model(&path).await {
                        Ok(m) => *state.model.lock().await = Some(m),
                        Err(e) => tracing::warn!("the last model could not be loaded: {e:#}"),
                    }
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            // The quick window hides when it loses focus.
            if window.label() == "quick" {
                if let tauri::WindowEvent::Focused(false) = event {
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::ask,
            commands::cancel_ask,
            commands::list_conversations,
            commands::conversation,
            commands::list_contexts,
            commands::switch_context,
            commands::cluster_view,
            commands::security_view,
            commands::cost_view,
            commands::set_prices,
            commands::hardware,
            commands::catalog,
            commands::recommended,
            commands::installed_models,
            commands::download_model,
            commands::cancel_download,
            commands::import_model,
            commands::load_model,
            commands::unload_model,
            commands::model_status,
            commands::list_engines,
            commands::use_engine,
            commands::get_settings,
            commands::set_settings,
            commands::import_kubeconfig,
            commands::open_main,
            actions::plan_action,
            actions::plan_undo,
            actions::apply_plan,
            actions::audit_log,
            actions::check_manifest,
            actions::render_workload,
            links::open_link,
            insights::insights_view,
            insights::workload_history,
            insights::timeline_view,
            insights::set_alerts_muted,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Kubeask could not start: {e}");
        std::process::exit(1);
    }
}
