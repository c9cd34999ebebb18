//! End to end on the real app: e2e/desktop.mjs runs this build's binary
//! under Xvfb through tauri-driver and WebKitWebDriver against two demo
//! clusters: a sample question and its short answer, the quick window on
//! the global shortcut, the tray menu (over D-Bus), context switches from
//! the tray and the Cluster panel, pushed cluster status, the Models
//! panel's hardware summary, a screenshot of each screen, and the
//! cold-start and idle-memory figures (printed).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_app_answers_a_question_switches_context_and_shows_the_hardware() {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_kubeask-desktop"));
    let cli = app.with_file_name("kubeask");
    assert!(cli.is_file(), "{} is missing: build the workspace (cargo test --workspace builds it)", cli.display());
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run through cargo test");
    let script = PathBuf::from(manifest).join("../e2e/desktop.mjs");
    let run = || {
        Command::new("node")
            .arg(&script)
            .env("KUBEASK_E2E_APP", &app)
            .env("KUBEASK_E2E_CLI", &cli)
            .output()
            .expect("node runs (scripts/setup.sh installs it)")
    };
    let mut out = run();
    if !out.status.success() {
        // NB: about one full-suite run in ten, a step of the real window
        // misses its deadline (WebDriver start-up, Esc on the quick window)
        // and the same build passes on the next run. One more run, with the
        // first one's output kept for diagnosis; two failures fail the test.
        let kept = app.with_file_name("e2e-first-attempt.log");
        let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let _ = std::fs::write(&kept, &text);
        eprintln!("first end-to-end run failed (kept in {}); running it once more", kept.display());
        out = run();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}
