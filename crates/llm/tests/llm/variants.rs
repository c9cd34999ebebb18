//! CPU variants are trusted only after they have run: a backend module that
//! crashes is skipped (in a child process) and the next variant answers;
//! the verdict is cached and re-checked when the module changes; a model
//! file that makes llama.cpp crash is refused instead of ending the app.
//!
//! llama.cpp's backend is once per process, so each scenario runs the
//! engine in a fresh copy of this test binary (the ignored test
//! `engine_child` below) with its own backend folder and data dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubeask_llm::engine::{backend_info, cpu_variants, Engine, GenerateRequest, LoadOptions, CPU_VARIANT_ENV};
use serde_json::{json, Value};

use crate::support::tiny_model;

const CHILD_ENV: &str = "KUBEASK_TEST_ENGINE_CHILD";

/// Runs in a child only: loads the tiny model, generates, prints a report.
#[test]
#[ignore = "run by the variant tests in a fresh process"]
fn engine_child() {
    assert!(std::env::var_os(CHILD_ENV).is_some(), "started by the variant tests");
    let engine = Engine::start();
    let mut opts = LoadOptions::new(tiny_model());
    opts.n_ctx = 256;
    opts.threads = Some(1);
    let loaded = engine.load_blocking(opts);
    let tokens = loaded
        .as_ref()
        .ok()
        .and_then(|_| {
            engine.generate(GenerateRequest::raw("pods and nodes").with_max_tokens(4)).complete_blocking().ok()
        })
        .map_or(0, |c| c.stats.generated_tokens);
    let info = backend_info().ok();
    let verdicts: Vec<(String, String)> =
        cpu_variants(false).unwrap_or_default().into_iter().map(|v| (v.variant, v.verdict)).collect();
    let report = json!({
        "verdicts": verdicts,
        "loaded": loaded.is_ok(),
        "error": loaded.err().map(|e| e.to_string()),
        "tokens": tokens,
        "variant": info.as_ref().and_then(|i| i.cpu_variant.clone()),
        "skipped": info.as_ref().map(|i| i.skipped.clone()),
        "notes": info.as_ref().map(|i| i.variant_notes()),
        "self_tests_run": info.as_ref().map(|i| i.self_tests_run),
        "choose_ms": info.as_ref().map(|i| i.choose_ms),
    });
    println!("REPORT {report}");
}

/// One scenario: this binary's `engine_child` with `env`; its report.
fn run_child(env: &[(&str, &Path)], extra: &[(&str, &str)]) -> Value {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["variants::engine_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the engine's process must survive: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().find_map(|l| l.split_once("REPORT ").map(|(_, r)| r)).expect("a report line");
    serde_json::from_str(line).unwrap()
}

/// Builds a CPU backend module that llama.cpp scores above every real
/// variant and whose init dies the way a bad kernel does.
fn write_broken_module(dir: &Path, body: &str) {
    write_module(dir, "zz-broken", 1 << 20, body);
}

/// A module llama.cpp scores `score` (0: this CPU lacks its instructions).
fn write_module(dir: &Path, variant: &str, score: i32, init_body: &str) {
    let src = dir.join(format!("{variant}.c"));
    std::fs::write(
        &src,
        format!(
            "#include <stdlib.h>\n\
             int ggml_backend_score(void) {{ return {score}; }}\n\
             void *ggml_backend_init(void) {{ {init_body} return 0; }}\n"
        ),
    )
    .unwrap();
    let out = dir.join(format!("backends/libggml-cpu-{variant}.so"));
    let _ = std::fs::remove_file(&out);
    let status = Command::new("cc").args(["-shared", "-fPIC", "-O0", "-o"]).arg(&out).arg(&src).status().unwrap();
    assert!(status.success(), "cc builds the broken module");
}

/// A folder with links to the real modules (the one this process uses).
fn backends_with_real_modules(dir: &Path) -> PathBuf {
    let real = backend_info().expect("llama.cpp starts").backends_dir.expect("dynamic backend modules");
    let backends = dir.join("backends");
    std::fs::create_dir_all(&backends).unwrap();
    for e in std::fs::read_dir(&real).unwrap().flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with("libggml-") {
            std::os::unix::fs::symlink(e.path(), backends.join(&name)).unwrap();
        }
    }
    backends
}

fn skipped_reason(report: &Value, variant: &str) -> Option<String> {
    report["skipped"]
        .as_array()?
        .iter()
        .find(|s| s["variant"] == variant)
        .map(|s| s["reason"].as_str().unwrap_or_default().to_string())
}

#[test]
fn a_crashing_cpu_module_is_skipped_the_next_variant_answers_and_the_verdict_is_cached() {
    let tmp = tempfile::tempdir().unwrap();
    let backends = backends_with_real_modules(tmp.path());
    let data = tmp.path().join("data");
    write_broken_module(tmp.path(), "__builtin_trap();");
    // A module this CPU cannot run (score 0): passed over quietly, and not
    // mistaken for whatever llama.cpp would load instead.
    write_module(tmp.path(), "zz-unsupported", 0, "abort();");
    let env = [("KUBEASK_GGML_BACKENDS", backends.as_path()), ("KUBEASK_DATA_DIR", data.as_path())];

    // First start: the broken module is tried first (highest score), dies
    // with SIGILL in its child, and a real variant answers.
    let first = run_child(&env, &[]);
    println!("first start: {first}");
    assert_eq!(first["loaded"], true, "{first}");
    assert!(first["tokens"].as_u64().unwrap() >= 1, "{first}");
    let variant = first["variant"].as_str().expect("a variant").to_string();
    assert_ne!(variant, "zz-broken");
    let reason = skipped_reason(&first, "zz-broken").expect("the broken module is reported as skipped");
    assert!(reason.contains("crashed in its self-test (illegal instruction)"), "{reason}");
    let notes = first["notes"].to_string();
    assert!(
        notes.contains(&format!("zz-broken: crashed in its self-test (illegal instruction); using {variant}")),
        "{notes}"
    );
    assert!(first["self_tests_run"].as_u64().unwrap() >= 3, "broken, unsupported and chosen were tested: {first}");
    assert!(skipped_reason(&first, "zz-unsupported").is_none(), "an unsupported variant is not news: {first}");
    let verdict_of = |report: &Value, v: &str| {
        report["verdicts"].as_array().unwrap().iter().find(|p| p[0] == v).map(|p| p[1].as_str().unwrap().to_string())
    };
    assert_eq!(verdict_of(&first, "zz-unsupported").as_deref(), Some("unsupported"), "{first}");
    assert_eq!(verdict_of(&first, "zz-broken").as_deref(), Some("broken"), "{first}");
    assert_eq!(verdict_of(&first, &variant).as_deref(), Some("ok"), "{first}");

    // Second start: every verdict is cached, no self-test runs.
    let second = run_child(&env, &[]);
    println!("second start: {second}");
    assert_eq!(second["loaded"], true);
    assert_eq!(second["self_tests_run"], 0, "{second}");
    assert_eq!(second["variant"], variant.as_str());
    assert!(skipped_reason(&second, "zz-broken").is_some());

    // The module changes (a new build that aborts instead): only it is
    // tested again.
    write_broken_module(tmp.path(), "abort();");
    let third = run_child(&env, &[]);
    println!("after the module changed: {third}");
    assert_eq!(third["loaded"], true);
    assert_eq!(third["self_tests_run"], 1, "{third}");
    let reason = skipped_reason(&third, "zz-broken").unwrap();
    assert!(reason.contains("crashed in its self-test (abort)"), "{reason}");

    // Forcing the broken variant is refused with the reason, not a crash.
    let forced = run_child(&env, &[(CPU_VARIANT_ENV, "zz-broken")]);
    assert_eq!(forced["loaded"], false);
    let err = forced["error"].as_str().unwrap();
    assert!(err.contains("KUBEASK_CPU_VARIANT=zz-broken: crashed in its self-test (abort)"), "{err}");

    // Forcing a real variant uses it.
    let chosen = run_child(&env, &[(CPU_VARIANT_ENV, variant.as_str())]);
    assert_eq!(chosen["loaded"], true);
    assert_eq!(chosen["variant"], variant.as_str());
}

#[test]
fn a_model_file_that_crashes_llama_cpp_is_refused_and_the_app_lives_on() {
    let tmp = tempfile::tempdir().unwrap();
    let backends = backends_with_real_modules(tmp.path());
    let data = tmp.path().join("data");
    let env = [("KUBEASK_GGML_BACKENDS", backends.as_path()), ("KUBEASK_DATA_DIR", data.as_path())];
    // A start with the real helper chooses and caches the variant.
    let ok = run_child(&env, &[]);
    assert_eq!(ok["loaded"], true, "{ok}");
    // Then every check of a new file dies the way an abort in llama.cpp's
    // loader does (a helper that aborts itself stands in for one): the
    // load is refused with the reason; the process is not taken down.
    let abort = tmp.path().join("abort.sh");
    std::fs::write(&abort, "#!/bin/sh\nkill -ABRT $$\n").unwrap();
    std::fs::set_permissions(&abort, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // Each child writes its own tiny model file: a file not checked before.
    let refused = run_child(&env, &[("KUBEASK_PROBE_EXE", abort.to_str().unwrap())]);
    println!("model check: {refused}");
    assert_eq!(refused["loaded"], false, "{refused}");
    let err = refused["error"].as_str().unwrap();
    assert!(err.contains("crashed while a test process loaded it (abort)"), "{err}");
}
