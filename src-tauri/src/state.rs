//! What the app holds: the assistant over the user's contexts (or the demo
//! cluster), the current context, the loaded model, running questions and
//! downloads, and the settings file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use kubeask_agent::access::Access;
use kubeask_agent::local_model::LocalModel;
use kubeask_agent::model_loop::CancelFlag;
use kubeask_agent::Assistant;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OnceCell};

/// A command's failure, as the UI receives it.
#[derive(Debug, Clone, Serialize)]
pub struct CmdError {
    /// Stable code.
    pub code: String,
    /// What the user can do about it.
    pub message: String,
}

impl CmdError {
    /// An error with a code.
    pub fn new(code: &str, message: impl std::fmt::Display) -> Self {
        Self { code: code.into(), message: message.to_string() }
    }
}

impl From<kubeask_agent::AskError> for CmdError {
    fn from(e: kubeask_agent::AskError) -> Self {
        Self::new(e.code(), e)
    }
}

impl From<kubeask_agent::sessions::SessionAskError> for CmdError {
    fn from(e: kubeask_agent::sessions::SessionAskError) -> Self {
        match e {
            kubeask_agent::sessions::SessionAskError::Ask(e) => e.into(),
            kubeask_agent::sessions::SessionAskError::Session(e) => Self::new("CONVERSATIONS_UNAVAILABLE", e),
        }
    }
}

impl From<anyhow::Error> for CmdError {
    fn from(e: anyhow::Error) -> Self {
        // NB: the engines' typed errors keep their own codes (a model that
        // does not fit, a server that refuses the key), found by type.
        let code = if let Some(engine) = e.downcast_ref::<kubeask_llm::engine::EngineError>() {
            kubeask_agent::model_loop::ModelError::from(engine.clone()).kind.code()
        } else if let Some(remote) = e.downcast_ref::<kubeask_agent::remote_model::RemoteError>() {
            kubeask_agent::model_loop::ModelError::from(remote.clone()).kind.code()
        } else {
            "ERROR"
        };
        Self::new(code, format!("{e:#}"))
    }
}

/// Settings the user changes, persisted as JSON in the data dir.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `dark`, `light` or `system`.
    pub theme: String,
    /// No actions, only questions.
    pub read_only: bool,
    /// The global shortcut for the quick window.
    pub shortcut: String,
    /// Where data lives (shown, not set).
    pub data_dir: String,
    /// Where logs go (shown, not set).
    pub log_dir: String,
    /// The context last chosen.
    pub context: Option<String>,
    /// The model last loaded.
    pub model: Option<String>,
    /// The inference server last chosen (`kubeask engines add`), if any.
    #[serde(default)]
    pub engine: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        let data = data_dir();
        Self {
            theme: "system".into(),
            read_only: true,
            shortcut: default_shortcut().into(),
            data_dir: data.display().to_string(),
            log_dir: data.join("logs").display().to_string(),
            context: None,
            model: None,
            engine: None,
        }
    }
}

/// The platform's shortcut for the quick window.
pub fn default_shortcut() -> &'static str {
    if cfg!(target_os = "macos") {
        "Cmd+Shift+K"
    } else {
        "Ctrl+Shift+K"
    }
}

/// Kubeask's data dir (shared with the CLI).
pub fn data_dir() -> PathBuf {
    kubeask_paths::data_dir()
}

fn settings_path() -> PathBuf {
    data_dir().join("desktop-settings.json")
}

impl Settings {
    /// Reads the settings file (defaults when absent or unreadable).
    pub fn load() -> Self {
        let mut s: Settings =
            std::fs::read(settings_path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let d = Settings::default();
        s.data_dir = d.data_dir;
        s.log_dir = d.log_dir;
        s
    }

    /// Writes the settings file atomically.
    pub fn save(&self) -> Result<(), CmdError> {
        let path = settings_path();
        let io = |e: std::io::Error| CmdError::new("IO", format!("cannot save settings to {}: {e}", path.display()));
        kubeask_paths::write_private(&path, &serde_json::to_vec_pretty(self).expect("plain struct")).map_err(io)
    }
}

/// The contexts, resolved once (starting the demo cluster when there is no kubeconfig).
pub struct Cluster {
    /// The assistant without a model.
    pub base: Assistant,
    /// The contexts' source; keeps the demo server alive for the app's lifetime.
    pub access: Access,
}

/// Everything the commands share.
#[derive(Default)]
pub struct AppState {
    /// Set up on first use (the window paints before the cluster answers).
    pub cluster: OnceCell<Result<Cluster, CmdError>>,
    /// The context questions go to (None: the kubeconfig's current one).
    pub context: Mutex<Option<String>>,
    /// The loaded model.
    pub model: Mutex<Option<Arc<LocalModel>>>,
    /// The inference server chosen (answers model mode instead of the
    /// loaded model), with its name.
    pub remote: Mutex<Option<(String, Arc<kubeask_agent::remote_model::RemoteModel>)>>,
    /// Questions running, by request id.
    pub asks: Mutex<HashMap<String, CancelFlag>>,
    /// Downloads running, by catalog id.
    pub downloads: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// The settings.
    pub settings: Mutex<Settings>,
    /// Each context's health line for the tray (`staging — 2 critical …`).
    pub health: Mutex<Vec<String>>,
    /// Notifications raised so far and muted contexts (`alerts.json`).
    pub alerts: Mutex<kubeask_agent::alerts::Ledger>,
    /// Conversations, in the same SQLite file as the CLI's (`None` when it
    /// cannot be opened: questions are still answered, not kept).
    pub sessions: OnceCell<Option<Arc<kubeask_agent::sessions::Sessions>>>,
    /// Plans shown to the user, by id, with the audit entry each undoes.
    pub plans: Mutex<HashMap<String, (kubeask_cluster::actions::Plan, Option<i64>)>>,
}

impl AppState {
    /// The contexts and the base assistant.
    pub async fn cluster(&self) -> Result<&Cluster, CmdError> {
        self.cluster
            .get_or_init(|| async {
                let access = kubeask_agent::access::resolve().await.map_err(CmdError::from)?;
                if access.demo.is_some() {
                    tracing::info!("no kubeconfig: using the built-in demo cluster");
                }
                // The app keeps the history of every context it opens.
                Ok(Cluster { base: access.assistant().sampling(true), access })
            })
            .await
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The conversations store, opened on first use.
    pub async fn sessions(&self) -> Option<Arc<kubeask_agent::sessions::Sessions>> {
        self.sessions
            .get_or_init(|| async {
                let path = kubeask_agent::sessions::Sessions::default_path();
                match kubeask_agent::sessions::Sessions::open(&path) {
                    Ok(s) => Some(Arc::new(s)),
                    Err(e) => {
                        tracing::warn!("conversations are not kept: {e}");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The assistant, with the model when one is loaded.
    pub async fn assistant(&self) -> Result<Assistant, CmdError> {
        let base = self.cluster().await?.base.clone();
        if let Some((_, r)) = self.remote.lock().await.clone() {
            return Ok(base.with_model(r));
        }
        Ok(match self.model.lock().await.clone() {
            Some(m) => base.with_model(m),
            None => base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::CmdError;

    #[test]
    fn engine_errors_keep_their_codes_through_anyhow() {
        let fit = kubeask_llm::hardware::DoesNotFit {
            model: "big".into(),
            needed_mb: 9000,
            available_mb: 4000,
            reserve_mb: 512,
        };
        let e = anyhow::Error::from(kubeask_llm::engine::EngineError::DoesNotFit(fit));
        assert_eq!(CmdError::from(e).code, "MODEL_DOES_NOT_FIT");
        let refused = kubeask_agent::remote_model::RemoteError::Refused { url: "http://gpu:8080".into(), status: 401 };
        assert_eq!(CmdError::from(anyhow::Error::from(refused)).code, "ENGINE_REFUSED");
        assert_eq!(CmdError::from(anyhow::anyhow!("anything else")).code, "ERROR");
    }
}
