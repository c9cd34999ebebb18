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
use kubeask_agent::{Assistant, ErrorCode};
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Mutex, OnceCell};

/// A command's failure, as the UI receives it: the one boundary error
/// every face shares (`{code, message, details?}`).
pub type CmdError = kubeask_agent::AppError;

/// Settings the user changes, persisted as JSON in the data dir.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `dark`, `light` or `system`.
    #[ts(type = "\"dark\" | \"light\" | \"system\"")]
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
        let io = |e: std::io::Error| {
            CmdError::new(ErrorCode::Io, format!("cannot save settings to {}: {e}", path.display()))
        };
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

/// The context questions go to (`None`: the kubeconfig's current one).
/// What follows it subscribes — the tray's checkmark, the cluster view —
/// so a switch from anywhere reaches all of them without polling.
pub struct CurrentContext(watch::Sender<Option<String>>);

impl Default for CurrentContext {
    fn default() -> Self {
        Self(watch::channel(None).0)
    }
}

impl CurrentContext {
    /// The context now.
    pub fn get(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// A receiver that wakes on every switch.
    pub fn subscribe(&self) -> watch::Receiver<Option<String>> {
        self.0.subscribe()
    }

    /// Sets the context (at start, from the settings) without telling anyone.
    pub fn set_quietly(&self, name: Option<String>) {
        self.0.send_if_modified(|v| {
            *v = name;
            false
        });
    }
}

/// Everything the commands share.
#[derive(Default)]
pub struct AppState {
    /// Set up on first use (the window paints before the cluster answers).
    pub cluster: OnceCell<Result<Cluster, CmdError>>,
    /// The context questions go to (None: the kubeconfig's current one).
    pub context: CurrentContext,
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

    /// Makes `name` the context questions go to (remembered in the
    /// settings); everything subscribed to [`AppState::context`] follows.
    pub async fn switch_context(&self, name: &str) -> Result<(), CmdError> {
        let contexts = self.cluster().await?.base.contexts()?;
        if !contexts.list().iter().any(|c| c.name == name) {
            return Err(CmdError::new(ErrorCode::UnknownContext, format!("there is no context called {name}")));
        }
        let mut settings = self.settings.lock().await;
        settings.context = Some(name.to_string());
        settings.save()?;
        drop(settings);
        self.context.0.send_replace(Some(name.to_string()));
        Ok(())
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
    use kubeask_agent::ErrorCode;

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

    /// What the UI switches on for the cluster's failures: each its own code.
    #[test]
    fn cluster_failures_reach_the_ui_as_their_own_codes() {
        use kubeask_agent::AskError;
        use kubeask_cluster::contexts::ContextError;
        let forbidden =
            AskError::KindForbidden { context: "c".into(), kind: "secrets".into(), detail: "forbidden by RBAC".into() };
        let unreachable = AskError::Context(ContextError::Unreachable {
            context: "c".into(),
            server: "https://10.0.0.1:6443".into(),
            reason: kubeask_cluster::contexts::Unreachable::Refused,
            detail: "connection refused".into(),
        });
        for (e, code) in [
            (forbidden, ErrorCode::Forbidden),
            (unreachable, ErrorCode::ClusterUnreachable),
            (AskError::Cancelled, ErrorCode::Cancelled),
        ] {
            let sent = serde_json::to_value(CmdError::from(e)).unwrap();
            assert_eq!(sent["code"], code.as_str(), "{sent}");
            assert!(!sent["message"].as_str().unwrap_or("").is_empty(), "{sent}");
        }
    }
}
