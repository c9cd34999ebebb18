//! Shared helpers: a demo server per test, kubectl runner, fixture facts.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;
use serde_json::Value;

/// The built-in fixture, parsed once per test binary.
pub fn fixture() -> Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(Fixture::builtin).clone()
}

/// A running demo server with its kubeconfig in a temp dir.
pub struct Demo {
    pub server: DemoServer,
    pub dir: tempfile::TempDir,
}

impl Demo {
    pub fn kubeconfig(&self) -> PathBuf {
        self.server.kubeconfig_path().to_path_buf()
    }

    /// A kube client for the demo context.
    pub async fn client(&self) -> kube::Client {
        let contexts = kubeask_cluster::contexts::Contexts::load(&[self.kubeconfig()]).unwrap();
        contexts.connect(Some("kubeask-demo")).await.unwrap().client
    }
}

pub async fn start_with(fixture: Fixture) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(fixture);
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    opts.bookmark_every = std::time::Duration::from_millis(300);
    let server = DemoServer::start(opts).await.expect("demo server starts");
    Demo { server, dir }
}

pub async fn start() -> Demo {
    start_with(fixture()).await
}

/// kubectl: `$KUBECTL`, else the one on PATH, else `/usr/bin/kubectl`.
pub fn kubectl_path() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return p.into();
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let p = dir.join("kubectl");
        if p.is_file() {
            return p;
        }
    }
    let p = PathBuf::from("/usr/bin/kubectl");
    assert!(p.is_file(), "kubectl not found: install it (scripts/setup-test.sh does) or set $KUBECTL");
    p
}

/// Runs kubectl (blocking, on a worker thread) and returns (exit ok, stdout, stderr).
pub async fn kubectl(demo: &Demo, args: &[&str]) -> (bool, String, String) {
    let kc = demo.kubeconfig();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(kubectl_path())
            .args(&args)
            .env("KUBECONFIG", &kc)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .expect("kubectl runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// kubectl that must succeed.
pub async fn kubectl_ok(demo: &Demo, args: &[&str]) -> String {
    let (ok, out, err) = kubectl(demo, args).await;
    assert!(ok, "kubectl {args:?} failed: {err}");
    out
}

/// Objects of a kind in the fixture.
pub fn objects(kind: &str) -> Vec<Value> {
    fixture().objects.into_iter().filter(|o| o.kind == kind).map(|o| o.value).collect()
}

pub fn name(v: &Value) -> String {
    v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string()
}

pub fn namespace(v: &Value) -> String {
    v.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("").to_string()
}
