//! The model catalog (`models/catalog.toml`, embedded): which GGUF builds
//! Kubeask offers, where on the hub they live, and what they need.

use serde::{Deserialize, Serialize};

const CATALOG: &str = include_str!("../../../models/catalog.toml");

/// One downloadable GGUF file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CatalogModel {
    /// Stable id used on the command line (`kubeask models download ID`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Model family (`qwen2.5`, `qwen3`, `qwen3-moe`, …).
    pub family: String,
    /// Total parameters, billions.
    pub params_b: f64,
    /// Parameters active per token for mixture-of-experts models.
    #[serde(default)]
    pub active_params_b: Option<f64>,
    /// Quantization (`Q4_K_M`, `Q8_0`).
    pub quant: String,
    /// Hugging Face repository.
    pub repo: String,
    /// File in the repository.
    pub file: String,
    /// The repository commit downloads fetch (40 hex digits): a moved
    /// branch never changes what a catalog id installs.
    pub revision: String,
    /// Size as listed on the hub (rounded; the download uses the hub's exact figure).
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// Memory needed to run it with the default context.
    #[ts(type = "number")]
    pub ram_bytes: u64,
    /// Context length the model was trained for.
    #[ts(type = "number")]
    pub context_length: u64,
    /// License identifier.
    pub license: String,
    /// Known sha256 of the file, when we have one from a trusted source.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Anything a user should know.
    #[serde(default)]
    pub notes: Option<String>,
}

impl CatalogModel {
    /// The download of this entry: its file at its pinned commit, checked
    /// against its sha256 where the catalog has one.
    pub fn download_request(&self) -> crate::download::DownloadRequest {
        let mut r = crate::download::DownloadRequest::new(self.repo.clone(), self.file.clone());
        r.revision = self.revision.clone();
        r.sha256 = self.sha256.clone();
        r
    }
    /// Parameters that do work per token: the active ones for MoE models.
    pub fn compute_params_b(&self) -> f64 {
        self.active_params_b.unwrap_or(self.params_b)
    }
}

#[derive(Deserialize)]
struct CatalogFile {
    model: Vec<CatalogModel>,
}

/// The catalog could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the model catalog is invalid: {0}")]
pub struct CatalogError(String);

/// Parses a catalog in the `catalog.toml` format.
pub fn parse(text: &str) -> Result<Vec<CatalogModel>, CatalogError> {
    let file: CatalogFile = toml::from_str(text).map_err(|e| CatalogError(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for m in &file.model {
        if !seen.insert(m.id.as_str()) {
            return Err(CatalogError(format!("duplicate id {}", m.id)));
        }
        if !m.file.ends_with(".gguf") {
            return Err(CatalogError(format!("{}: {} is not a .gguf file", m.id, m.file)));
        }
        if m.revision.len() != 40 || !m.revision.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CatalogError(format!(
                "{}: revision must be a 40-hex-digit commit, not {:?}",
                m.id, m.revision
            )));
        }
        if let Some(sum) = &m.sha256 {
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(CatalogError(format!("{}: sha256 is not 64 hex digits", m.id)));
            }
        }
    }
    Ok(file.model)
}

/// The built-in catalog.
pub fn builtin() -> Vec<CatalogModel> {
    parse(CATALOG).expect("the embedded catalog is checked by tests")
}

/// Finds a catalog entry by id, or by file name.
pub fn find(id_or_file: &str) -> Option<CatalogModel> {
    builtin().into_iter().find(|m| m.id.eq_ignore_ascii_case(id_or_file) || m.file == id_or_file)
}
