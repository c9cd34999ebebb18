//! Where Kubeask keeps its files.

use std::path::PathBuf;

/// Env var that moves every Kubeask data file (models, verdicts, settings).
pub const DATA_DIR_ENV: &str = "KUBEASK_DATA_DIR";

/// `$KUBEASK_DATA_DIR`, else `<the OS data dir>/kubeask`
/// (`~/.local/share/kubeask` on Linux).
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("kubeask"),
    }
}
