//! Tauri's build step (the UI in ../ui/dist, capabilities, icons) with the
//! app's commands declared, so each window's capability grants only the
//! commands it uses; and the rpath that finds llama.cpp's shared libraries
//! next to the binary.

/// Every command the app exposes (see docs/desktop-api.md).
const COMMANDS: &[&str] = &[
    "ask",
    "cancel_ask",
    "list_conversations",
    "conversation",
    "list_contexts",
    "switch_context",
    "cluster_view",
    "security_view",
    "cost_view",
    "set_prices",
    "hardware",
    "catalog",
    "recommended",
    "installed_models",
    "download_model",
    "cancel_download",
    "import_model",
    "load_model",
    "unload_model",
    "model_status",
    "list_engines",
    "use_engine",
    "get_settings",
    "set_settings",
    "import_kubeconfig",
    "open_main",
    "plan_action",
    "plan_undo",
    "apply_plan",
    "audit_log",
    "check_manifest",
    "render_workload",
    "open_link",
    "insights_view",
    "workload_history",
    "timeline_view",
    "set_alerts_muted",
];

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/kubeask");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
