//! Which kubeconfigs the CLI and the desktop app use: the user's, or —
//! when there is none — the built-in demo cluster, started in this process;
//! and loading a local model by path, file name or catalog id.

use std::path::PathBuf;

use kubeask_cluster::contexts::{kubeconfig_paths, ContextError, Contexts};
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;
use kubeask_cluster::stored::StoredContexts;

/// Kubeconfig files to use, and the demo server if one was started for them.
pub struct Access {
    /// Files for the assistant.
    pub kubeconfigs: Vec<PathBuf>,
    /// Contexts imported into the app.
    pub stored: Option<StoredContexts>,
    /// Keeps the demo running while the command runs.
    pub demo: Option<DemoServer>,
}

/// The user's kubeconfigs, or the built-in demo when there are none (the
/// caller tells the user: `access.demo.is_some()`).
pub async fn resolve() -> anyhow::Result<Access> {
    let paths = kubeconfig_paths();
    let stored = StoredContexts::open_default();
    let extra = match stored.load() {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("imported contexts are unavailable: {e}");
            Vec::new()
        }
    };
    match Contexts::load_with(&paths, extra) {
        Ok(_) => Ok(Access { kubeconfigs: paths, stored: Some(stored), demo: None }),
        Err(ContextError::NoKubeconfig) => {
            let dir = kubeask_cluster::demo::default_kubeconfig_path();
            let mut opts = DemoOptions::new(Fixture::builtin());
            opts.kubeconfig_path = Some(dir.with_file_name("kubeconfig-cli"));
            let server = DemoServer::start(opts).await?;
            Ok(Access { kubeconfigs: vec![server.kubeconfig_path().to_path_buf()], stored: None, demo: Some(server) })
        }
        Err(e) => Err(e.into()),
    }
}

/// Loads the model named by `spec` (a .gguf path, an installed file name,
/// or a catalog id that is installed) for model mode.
pub async fn load_model(spec: &str) -> anyhow::Result<std::sync::Arc<crate::local_model::LocalModel>> {
    use kubeask_llm::store::ModelStore;
    let path = std::path::Path::new(spec);
    let file = if path.is_file() {
        path.to_path_buf()
    } else {
        let wanted = kubeask_llm::catalog::find(spec).map(|m| m.file).unwrap_or_else(|| spec.to_string());
        ModelStore::new(ModelStore::default_dir())
            .list(true)
            .into_iter()
            .find(|m| m.file == wanted && m.problem.is_none())
            .map(|m| m.path)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no model {spec}: give a .gguf path, or download it first (`kubeask models download {spec}`; `kubeask models list` shows what is installed)"
                )
            })?
    };
    Ok(std::sync::Arc::new(crate::local_model::LocalModel::load(&file, 8192).await?))
}

/// The data folder's history store, opened once per process (`None`, with
/// a warning logged, when it cannot be opened: history is then off).
pub fn history_store() -> Option<std::sync::Arc<kubeask_cluster::history::HistoryStore>> {
    static STORE: std::sync::OnceLock<Option<std::sync::Arc<kubeask_cluster::history::HistoryStore>>> =
        std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            let path = kubeask_cluster::history::HistoryStore::default_path();
            match kubeask_cluster::history::HistoryStore::open(&path) {
                Ok(s) => Some(std::sync::Arc::new(s)),
                Err(e) => {
                    tracing::warn!("history is off: {e}");
                    None
                }
            }
        })
        .clone()
}

impl Access {
    /// The assistant over these contexts.
    pub fn assistant(&self) -> crate::Assistant {
        let a = crate::Assistant::new(self.kubeconfigs.clone()).with_data_folder_history();
        match &self.stored {
            Some(s) => a.with_stored(s.clone()),
            None => a,
        }
    }

    /// Stops the demo server, if any.
    pub async fn close(self) {
        if let Some(d) = self.demo {
            d.stop().await;
        }
    }
}

/// The inference server added as `name` (`kubeask engines add`), connected:
/// its URL, model and API key (from the keychain) as saved, `model`
/// overriding the saved one.
pub async fn connect_engine(name: &str, model: Option<&str>) -> anyhow::Result<crate::remote_model::RemoteModel> {
    let saved = kubeask_cluster::saved::SavedEndpoints::engines();
    let Some((entry, key)) = saved.get(name)? else {
        let known: Vec<String> = saved.all()?.into_keys().collect();
        anyhow::bail!(
            "no engine {name:?} ({}); add one with `kubeask engines add {name} --endpoint URL`",
            if known.is_empty() { "none added".to_string() } else { format!("added: {}", known.join(", ")) }
        );
    };
    let key = key.map(|c| match c {
        kubeask_cluster::saved::Credentials::Bearer(k) => k,
        kubeask_cluster::saved::Credentials::Basic { password, .. } => password,
    });
    let model = model.map(str::to_string).or(entry.model);
    let remote = crate::remote_model::RemoteModel::connect(&entry.url, model.as_deref(), key).await?;
    Ok(match &entry.tokenizer {
        Some(t) => remote.with_tokenizer(crate::remote_model::ModelTokenizer::find(t).map_err(anyhow::Error::msg)?),
        None => remote,
    })
}
