//! The user's prices per context: `prices.json` in the data folder. A file
//! that cannot be read or parsed is an error with its path (never silently
//! replaced by default prices: that would show someone else's numbers as
//! theirs).

use std::path::PathBuf;

use kubeask_insight::cost::PriceBook;

/// Where the prices live.
pub fn path() -> PathBuf {
    kubeask_paths::data_dir().join("prices.json")
}

/// The price book; empty (built-in defaults) when there is no file.
pub fn load() -> Result<PriceBook, String> {
    let p = path();
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{} is not a valid price file: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PriceBook::default()),
        Err(e) => Err(format!("cannot read {}: {e}", p.display())),
    }
}

/// Saves `prices` for `context` (private file, written whole), keeping
/// the other contexts' prices.
pub fn save_for(context: &str, prices: kubeask_insight::cost::Prices) -> Result<(), String> {
    let mut book = load()?;
    book.contexts.insert(context.to_string(), prices);
    let p = path();
    let text = serde_json::to_string_pretty(&book).map_err(|e| e.to_string())?;
    if let Some(dir) = p.parent() {
        kubeask_paths::private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    kubeask_paths::write_private(&p, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", p.display()))
}
