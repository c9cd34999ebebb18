//! Which engine answers what direct mode cannot (`--model`, `--engine`,
//! `--endpoint`, `--mode`), shared by `ask`, `serve` and `eval`: the
//! in-process llama.cpp engine with a local GGUF, or an inference server
//! the user added. The endpoint is never a default: a remote engine is used
//! only when named.

use std::sync::Arc;

use kubeask_agent::remote_model::ModelTokenizer;
use kubeask_agent::{Assistant, RouteMode};

use crate::access;

/// The engine flags.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
    /// A model for what direct mode cannot answer: for the in-process
    /// engine a .gguf path, an installed file name or a catalog id; for a
    /// remote engine the model it serves.
    #[arg(long, env = "KUBEASK_MODEL")]
    pub model: Option<String>,
    /// `local` (the in-process llama.cpp engine, the default) or the name
    /// of an engine added with `kubeask engines add`.
    #[arg(long, default_value = "local")]
    pub engine: String,
    /// An OpenAI-compatible server to use once, without adding it (no API key).
    #[arg(long, conflicts_with = "engine")]
    pub endpoint: Option<String>,
    /// With --endpoint: the model's tokenizer.json (or a Hugging Face id in
    /// the local cache), to count tokens as the server does.
    #[arg(long, requires = "endpoint")]
    pub tokenizer: Option<String>,
    /// `auto` (direct mode, then the model), `direct` (never the model) or
    /// `model` (the model for every question, to measure it alone).
    #[arg(long, default_value = "auto")]
    pub mode: RouteMode,
}

impl EngineArgs {
    /// [`EngineArgs::apply`] for a server: an in-process model too big for
    /// this machine does not stop it; direct mode answers what it can and
    /// the rest is answered `MODEL_DOES_NOT_FIT` (503) with why.
    pub async fn apply_serving(&self, assistant: Assistant) -> anyhow::Result<(Assistant, Option<String>)> {
        match self.apply(assistant.clone()).await {
            Err(e) => {
                let Some(engine) = e.downcast_ref::<kubeask_llm::engine::EngineError>() else { return Err(e) };
                let error = kubeask_agent::model_loop::ModelError::from(engine.clone());
                if error.kind != kubeask_agent::model_loop::ModelErrorKind::DoesNotFit {
                    return Err(e);
                }
                let name = self.model.clone().unwrap_or_default();
                eprintln!("warning: {e:#}; direct mode still answers, questions that need the model get why not");
                let unavailable = kubeask_agent::model_loop::Unavailable { name: name.clone(), error };
                let assistant = assistant.with_route_mode(self.mode).with_model(Arc::new(unavailable));
                Ok((assistant, Some(name)))
            }
            ok => ok,
        }
    }

    /// `assistant` with the chosen engine and mode, and what answers (said
    /// on stderr and in reports); `None` when only direct mode answers.
    pub async fn apply(&self, assistant: Assistant) -> anyhow::Result<(Assistant, Option<String>)> {
        let assistant = assistant.with_route_mode(self.mode);
        if self.mode == RouteMode::Direct {
            return Ok((assistant, None));
        }
        let remote = match (&self.endpoint, self.engine.as_str()) {
            (Some(url), _) => {
                let r = kubeask_agent::remote_model::RemoteModel::connect(url, self.model.as_deref(), None).await?;
                Some(match &self.tokenizer {
                    Some(t) => r.with_tokenizer(ModelTokenizer::find(t).map_err(anyhow::Error::msg)?),
                    None => r,
                })
            }
            (None, "local") => None,
            (None, name) => Some(kubeask_agent::access::connect_engine(name, self.model.as_deref()).await?),
        };
        let (assistant, what) = match (remote, &self.model) {
            (Some(r), _) => {
                let what = r.info().describe();
                eprintln!("Engine: {what}");
                (assistant.with_model(Arc::new(r)), Some(what))
            }
            (None, Some(spec)) => (assistant.with_model(access::load_model(spec).await?), Some(spec.clone())),
            (None, None) => (assistant, None),
        };
        if self.mode == RouteMode::Model && what.is_none() {
            anyhow::bail!("--mode model needs a model: --model FILE, or --engine NAME for an added server");
        }
        Ok((assistant, what))
    }
}
