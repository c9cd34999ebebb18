//! The tray icon: Quick query, Contexts (current marked; pick to switch),
//! Health (each context's worst problem), Open Kubeask, Quit; and the quick-query window it and the global
//! shortcut toggle.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::state::AppState;

const TRAY_ID: &str = "kubeask";

/// The quick-query window, created on first use: a hidden web view costs
/// its own process (~75 MiB) for as long as the app runs.
fn quick_window(app: &AppHandle) -> Option<tauri::WebviewWindow> {
    if let Some(w) = app.get_webview_window("quick") {
        return Some(w);
    }
    let built = tauri::WebviewWindowBuilder::new(app, "quick", tauri::WebviewUrl::App("quick.html".into()))
        .title("Kubeask quick query")
        .inner_size(560.0, 150.0)
        .resizable(false)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .visible(false)
        .center()
        .build();
    match built {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!("the quick window could not be created: {e}");
            None
        }
    }
}

/// Shows the quick window centred and focused (creating it the first
/// time), or hides it.
pub fn toggle_quick(app: &AppHandle) {
    if let Some(w) = quick_window(app) {
        if w.is_visible().unwrap_or(false) {
            let _ = w.hide();
        } else {
            let _ = w.center();
            let _ = w.show();
            let _ = w.set_focus();
        }
    }
}

fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

async fn menu(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let state = app.state::<AppState>();
    let chosen = state.context.get();
    // Each context's health at a glance (the notifier fills it in).
    let mut lines = state.health.lock().await.clone();
    if lines.is_empty() {
        lines.push("checking…".into());
    }
    let contexts = match state.cluster().await {
        Ok(c) => c.base.contexts().map(|c| c.list()).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let items: Vec<CheckMenuItem<Wry>> = contexts
        .iter()
        .map(|c| {
            let current = chosen.as_deref().map_or(c.current, |n| n == c.name);
            CheckMenuItem::with_id(app, format!("ctx:{}", c.name), &c.name, true, current, None::<&str>)
        })
        .collect::<tauri::Result<_>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = items.iter().map(|i| i as _).collect();
    let contexts_menu = Submenu::with_id_and_items(app, "contexts", "Contexts", true, &refs)?;
    let health: Vec<MenuItem<Wry>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| MenuItem::with_id(app, format!("health:{i}"), l, false, None::<&str>))
        .collect::<tauri::Result<_>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = health.iter().map(|i| i as _).collect();
    let health_menu = Submenu::with_id_and_items(app, "health", "Health", true, &refs)?;
    Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "quick", "Quick query", true, None::<&str>)?,
            &contexts_menu,
            &health_menu,
            &MenuItem::with_id(app, "open", "Open Kubeask", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?,
        ],
    )
}

/// Rebuilds the tray menu (after a context switch, or new health lines).
pub fn refresh(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let (Some(tray), Ok(m)) = (app.tray_by_id(TRAY_ID), menu(&app).await) {
            let _ = tray.set_menu(Some(m));
        }
    });
}

/// The tray's badge: the number of critical problems in the current
/// context (a label beside the icon where the shell shows one, and the
/// tooltip everywhere); nothing when there are none.
pub fn badge(app: &AppHandle, context: &str, critical: usize) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let (title, tip) = match critical {
        0 => (None, "Kubeask".to_string()),
        n => (
            Some(n.to_string()),
            format!("Kubeask — {n} critical problem{} in {context}", if n == 1 { "" } else { "s" }),
        ),
    };
    let _ = tray.set_title(title.as_deref());
    let _ = tray.set_tooltip(Some(tip));
}

/// Creates the tray icon.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let mut builder = TrayIconBuilder::with_id(TRAY_ID).tooltip("Kubeask").on_menu_event(|app, event| {
        let id = event.id.as_ref();
        match id {
            "quick" => toggle_quick(app),
            "open" => show_main(app),
            "quit" => app.exit(0),
            _ => {
                if let Some(name) = id.strip_prefix("ctx:") {
                    let app = app.clone();
                    let name = name.to_string();
                    tauri::async_runtime::spawn(async move {
                        let state = app.state::<AppState>();
                        if let Err(e) = state.switch_context(&name).await {
                            tracing::warn!("the tray could not switch context: {}", e.message);
                        }
                    });
                }
            }
        }
    });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    refresh(app);
    // The checkmark follows the current context, whoever switches it.
    let follower = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut switched = follower.state::<AppState>().context.subscribe();
        while switched.changed().await.is_ok() {
            refresh(&follower);
        }
    });
    Ok(())
}
