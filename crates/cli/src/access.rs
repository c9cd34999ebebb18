//! The CLI's view of [`kubeask_agent::access`]: the same contexts and demo
//! fallback, with what the user should know said on stderr.

pub use kubeask_agent::access::Access;

/// The user's kubeconfigs, or the built-in demo (said on stderr).
pub async fn resolve() -> anyhow::Result<Access> {
    let access = kubeask_agent::access::resolve().await?;
    if access.demo.is_some() {
        eprintln!(
            "No kubeconfig found ($KUBECONFIG unset, no ~/.kube/config): using the built-in demo cluster (context kubeask-demo)."
        );
    }
    Ok(access)
}

/// Loads a model for model mode, saying what was loaded where.
pub async fn load_model(spec: &str) -> anyhow::Result<std::sync::Arc<kubeask_agent::local_model::LocalModel>> {
    let started = std::time::Instant::now();
    let model = kubeask_agent::access::load_model(spec).await?;
    let info = model.info();
    eprintln!(
        "Model {} ({}, {}) loaded in {:.1} s on {} ({})",
        info.name,
        info.architecture,
        info.quantization.as_deref().unwrap_or("?"),
        started.elapsed().as_secs_f64(),
        info.backend,
        info.cpu_variant.as_deref().unwrap_or(&info.device)
    );
    Ok(model)
}
