//! Logging: warnings to stderr; for `ask` and `serve`, queries and answers
//! (level info) to `<data dir>/kubeask/logs/kubeask.log` and, when given,
//! to `--log-file`. Secrets never reach a log field.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// A log grows to this size, then moves aside to `<file>.1`.
const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

fn open(path: &Path) -> anyhow::Result<std::fs::File> {
    let _ = kubeask_paths::rotate_if_larger(path, MAX_LOG_BYTES);
    kubeask_paths::open_private_append(path).with_context(|| format!("opening {}", path.display()))
}

/// Sets up the global subscriber.
pub fn init(file_logs: bool, extra: Option<&Path>) -> anyhow::Result<()> {
    let stderr_filter =
        // llama.cpp's own warnings (model quirks, cache layouts) are for
        // developers: `KUBEASK_LOG=llama-cpp-2=warn` shows them.
        EnvFilter::try_from_env("KUBEASK_LOG")
            .unwrap_or_else(|_| "warn,kube_client=off,kube_runtime=off,llama-cpp-2=error".into());
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(stderr_filter);
    let file_filter = || EnvFilter::new("info,kube_client=off,kube_runtime=off,hyper=off,rustls=off,llama-cpp-2=warn");
    let mut result = Ok(());
    let data_log = if file_logs {
        let path = kubeask_paths::data_dir().join("logs").join("kubeask.log");
        match open(&path) {
            Ok(f) => Some(
                tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Mutex::new(f)).with_filter(file_filter()),
            ),
            Err(e) => {
                result = Err(e);
                None
            }
        }
    } else {
        None
    };
    let extra_log = match extra {
        Some(p) => Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Mutex::new(open(p)?))
                .with_filter(file_filter()),
        ),
        None => None,
    };
    tracing_subscriber::registry().with(stderr).with(data_log).with(extra_log).init();
    result
}
