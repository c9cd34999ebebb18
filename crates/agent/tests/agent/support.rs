//! A demo server and an assistant pointed at it.

use std::sync::OnceLock;

use kubeask_agent::Assistant;
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;

pub fn fixture() -> Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(Fixture::builtin).clone()
}

pub struct Demo {
    pub server: DemoServer,
    pub assistant: Assistant,
    pub _dir: tempfile::TempDir,
}

pub async fn start() -> Demo {
    start_with(fixture()).await
}

/// A demo server over `fixture` (a changed copy of the sample).
pub async fn start_with(fixture: Fixture) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(fixture);
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let assistant = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]);
    Demo { server, assistant, _dir: dir }
}
