//! What each context allows: `read-only` (no action is applied),
//! `confirm-each` (every plan is confirmed by a person) or `allow:VERBS`
//! (only those actions, each confirmed). A context whose
//! name or server looks like production (`prod`, `prd`, `live`) starts
//! read-only until the user changes it; the choice is kept in
//! `<data dir>/policies.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ActionError;

/// A context's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Nothing is applied.
    ReadOnly,
    /// Each plan is applied once a person confirms it.
    ConfirmEach,
    /// Only these actions (`scale`, `restart`, …), each confirmed.
    Allow(Vec<String>),
}

impl std::str::FromStr for Mode {
    type Err = ActionError;
    fn from_str(s: &str) -> Result<Self, ActionError> {
        match s {
            "read-only" => Ok(Mode::ReadOnly),
            "confirm-each" => Ok(Mode::ConfirmEach),
            other => match other.strip_prefix("allow:") {
                Some(list) if !list.trim().is_empty() => {
                    Ok(Mode::Allow(list.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()))
                }
                _ => Err(ActionError::Invalid(format!(
                    "{other:?} is not a policy: use read-only, confirm-each or allow:scale,restart,…"
                ))),
            },
        }
    }
}

/// Every context's policy, as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Policies {
    #[serde(default)]
    contexts: BTreeMap<String, Mode>,
    #[serde(skip)]
    path: PathBuf,
}

/// Whether a name or URL looks like production: a word `prod`, `prd`,
/// `production` or `live` in it.
pub fn looks_like_production(text: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "prod" | "prd" | "production" | "live"))
}

impl Policies {
    /// `<data dir>/policies.json`.
    pub fn default_path() -> PathBuf {
        kubeask_paths::data_dir().join("policies.json")
    }

    /// Reads the policies at `path` (no file: every context has its
    /// default). A file that cannot be read or parsed is an error: read as
    /// "no policy" it would lift a read-only context's protection.
    pub fn load(path: &Path) -> Result<Self, ActionError> {
        let mut p: Policies = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ActionError::Invalid(format!("{} is not valid ({e}): fix it or remove it", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policies::default(),
            Err(e) => return Err(ActionError::Invalid(format!("cannot read {}: {e}", path.display()))),
        };
        p.path = path.to_path_buf();
        Ok(p)
    }

    /// Why a context is read-only, or `None` when actions may be confirmed.
    pub fn read_only(&self, context: &str, server: &str) -> Option<String> {
        match self.contexts.get(context) {
            Some(Mode::ReadOnly) => Some("its policy is read-only".into()),
            Some(Mode::ConfirmEach | Mode::Allow(_)) => None,
            None if looks_like_production(context) || looks_like_production(server) => {
                Some("it looks like production, and such contexts start read-only".into())
            }
            None => None,
        }
    }

    /// Why `verb` may not be applied on a context, or `None` when it may
    /// (once confirmed).
    pub fn refuses(&self, context: &str, server: &str, verb: &str) -> Option<String> {
        if let Some(why) = self.read_only(context, server) {
            return Some(why);
        }
        match self.contexts.get(context) {
            Some(Mode::Allow(verbs)) if !verbs.iter().any(|v| v == verb) => {
                Some(format!("its policy allows only {}", verbs.join(", ")))
            }
            _ => None,
        }
    }

    /// Sets a context's policy and saves it.
    pub fn set(&mut self, context: &str, mode: Mode) -> Result<(), ActionError> {
        self.contexts.insert(context.to_string(), mode);
        let bytes = serde_json::to_vec_pretty(&self).unwrap_or_default();
        if let Some(dir) = self.path.parent() {
            let _ = kubeask_paths::private_dir(dir);
        }
        kubeask_paths::write_private(&self.path, &bytes)
            .map_err(|e| ActionError::Invalid(format!("cannot write {}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::{looks_like_production, Mode, Policies};

    #[test]
    fn an_allow_list_permits_only_its_actions() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Policies::load(&dir.path().join("policies.json")).unwrap();
        p.set("dev", "allow:scale, restart".parse::<Mode>().unwrap()).unwrap();
        let p = Policies::load(&dir.path().join("policies.json")).unwrap();
        assert_eq!(p.refuses("dev", "https://10.0.0.1", "scale"), None);
        assert!(p.refuses("dev", "https://10.0.0.1", "delete").unwrap().contains("only scale, restart"));
        assert!(p.refuses("eu-prod", "https://x", "scale").is_some(), "production-looking contexts start read-only");
        assert!("allow:".parse::<Mode>().is_err());
        std::fs::write(dir.path().join("policies.json"), b"{not json").unwrap();
        assert!(Policies::load(&dir.path().join("policies.json")).is_err(), "a broken file is not 'no policy'");
    }

    #[test]
    fn production_looking_names_are_words_not_substrings() {
        for name in ["prod", "eu-prod-1", "gke_acme_live", "https://api.prd.example.com", "Production"] {
            assert!(looks_like_production(name), "{name}");
        }
        for name in ["kubeask-demo", "staging", "product-catalog", "delivery", "oliver"] {
            assert!(!looks_like_production(name), "{name}");
        }
    }
}
