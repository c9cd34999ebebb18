//! The catalog as a person chooses from it: each model with whether it fits
//! this machine, whether it is installed, and which one is recommended —
//! built once here for the desktop's Models panel and `kubeask models
//! catalog`.

use serde::Serialize;

use crate::catalog::CatalogModel;
use crate::hardware::{self, Hardware};
use crate::store::ModelStore;

/// A catalog model, as offered.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CatalogEntry {
    /// The model.
    #[serde(flatten)]
    #[ts(flatten)]
    pub model: CatalogModel,
    /// Whether it fits in this machine's memory.
    pub fits: bool,
    /// Whether its file is in the store.
    pub installed: bool,
    /// The one the hardware suggests.
    pub recommended: bool,
}

/// The catalog, the recommended model first, each with fit and install state.
pub fn entries(hw: &Hardware, store: &ModelStore) -> Vec<CatalogEntry> {
    let all = crate::catalog::builtin();
    let recommended = hardware::recommend(hw, &all).map(|r| r.model.id);
    let installed: Vec<String> = store.list(true).into_iter().map(|m| m.file).collect();
    let mut out: Vec<CatalogEntry> = all
        .into_iter()
        .map(|m| CatalogEntry {
            fits: hardware::check_fit(&m.name, m.ram_bytes, hw).is_ok(),
            installed: installed.contains(&m.file),
            recommended: recommended.as_deref() == Some(m.id.as_str()),
            model: m,
        })
        .collect();
    out.sort_by_key(|e| !e.recommended);
    out
}
