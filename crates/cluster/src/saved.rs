//! Endpoints the user set by name: a Prometheus per context (`kubeask
//! prometheus set`, `prometheus.json`) and the team's inference servers
//! (`kubeask engines add`, `engines.json`). The URL (and model) in a file
//! in the data dir (0600); the credentials — a bearer token, an API key or
//! a basic-auth password — in the OS keychain, the file holding only a
//! reference. Nothing here is ever used unless the user set it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::stored::{SecretStore, SecretStoreError};

/// How a Prometheus is reached: nothing, a bearer token, or basic auth.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer …`.
    Bearer(String),
    /// `Authorization: Basic …`.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    // NB: never prints the secret (logs and error messages show Debug).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Credentials {
    /// `a bearer token` / `basic auth as USER`, never the secret.
    pub fn describe(&self) -> String {
        match self {
            Credentials::Bearer(_) => "a bearer token".into(),
            Credentials::Basic { user, .. } => format!("basic auth as {user}"),
        }
    }
}

/// What the file keeps per name: no secret, only where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The HTTP API base URL.
    pub url: String,
    /// The model to ask for (engines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Where the model's tokenizer is: a `tokenizer.json` or a Hugging
    /// Face model id (engines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
    /// Basic-auth user, when the secret is a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The keychain key of the token or password, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// What an engine has beside its URL.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    /// The model to ask for.
    pub model: Option<String>,
    /// The model's tokenizer (a `tokenizer.json` or a Hugging Face id).
    pub tokenizer: Option<String>,
}

/// Errors of the saved endpoints.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    /// The URL is not one to query.
    #[error("`{url}` is not a usable URL: {why}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The settings file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The keychain refused.
    #[error(transparent)]
    Keychain(#[from] SecretStoreError),
    /// The file names a secret the keychain no longer has.
    #[error("the credentials of {name} are gone from the keychain: set them again")]
    SecretGone {
        /// The context or engine.
        name: String,
    },
}

/// Checks a URL the user gave: http(s), a host, no credentials, query or
/// fragment in it (credentials go to the keychain, not a file).
pub fn check_url(url: &str) -> Result<String, SavedError> {
    let bad = |why: &str| SavedError::BadUrl { url: url.to_string(), why: why.into() };
    let u = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("use http:// or https://"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("put the user in --user and the password on stdin, not in the URL"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    Ok(u.as_str().trim_end_matches('/').to_string())
}

/// Whether `url` names this machine (credentials over plain HTTP to it
/// never cross a network).
pub fn is_loopback(url: &str) -> bool {
    let Some(h) = reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)) else {
        return false;
    };
    let ip = h.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
    h == "localhost" || ip.is_ok_and(|ip| ip.is_loopback())
}

/// Saved endpoints of one kind, by name.
#[derive(Clone)]
pub struct SavedEndpoints {
    path: PathBuf,
    secrets: Arc<dyn SecretStore>,
    /// Prefix of the keychain keys (`prometheus`, `engine`).
    kind: &'static str,
}

impl std::fmt::Debug for SavedEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SavedEndpoints({})", self.path.display())
    }
}

impl SavedEndpoints {
    /// Endpoints in `path`, secrets in `secrets` under keys `KIND/NAME/…`.
    pub fn new(path: PathBuf, secrets: Arc<dyn SecretStore>, kind: &'static str) -> Self {
        Self { path, secrets, kind }
    }

    /// The Prometheus of each context: the data dir's `prometheus.json`,
    /// secrets in the OS keychain.
    pub fn prometheus() -> Self {
        let path = kubeask_paths::data_dir().join("prometheus.json");
        Self::new(path, Arc::new(crate::stored::KeyringStore::new()), "prometheus")
    }

    /// The inference servers the user added: `engines.json`, API keys in
    /// the OS keychain.
    pub fn engines() -> Self {
        let path = kubeask_paths::data_dir().join("engines.json");
        Self::new(path, Arc::new(crate::stored::KeyringStore::new()), "engine")
    }

    fn file_error(&self, e: impl std::fmt::Display) -> SavedError {
        SavedError::File { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Every saved entry, by name (none when the file does not exist).
    pub fn all(&self) -> Result<BTreeMap<String, Saved>, SavedError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| self.file_error(e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    fn write(&self, all: &BTreeMap<String, Saved>) -> Result<(), SavedError> {
        let text = serde_json::to_vec_pretty(all).map_err(|e| self.file_error(e))?;
        kubeask_paths::write_private(&self.path, &text).map_err(|e| self.file_error(e))
    }

    /// Saves `url` (checked) and `extra` as `name`, its credentials in
    /// the keychain; replaces what was saved, and drops the old secret.
    pub fn set(
        &self,
        name: &str,
        url: &str,
        extra: &Extra,
        credentials: Option<&Credentials>,
    ) -> Result<Saved, SavedError> {
        let url = check_url(url)?;
        let mut all = self.all()?;
        let old = all.remove(name);
        let (model, tokenizer) = (extra.model.clone(), extra.tokenizer.clone());
        let mut saved = Saved { url, model, tokenizer, user: None, secret: None };
        if let Some(c) = credentials {
            // NB: a fresh key per save, so two data folders (or tests) that
            // save the same name never share a keychain entry.
            let key = format!("{}/{name}/{:08x}", self.kind, rand::random::<u32>());
            let secret = match c {
                Credentials::Bearer(t) => t,
                Credentials::Basic { user, password } => {
                    saved.user = Some(user.clone());
                    password
                }
            };
            self.secrets.set(&key, secret)?;
            saved.secret = Some(key);
        }
        all.insert(name.to_string(), saved.clone());
        self.write(&all)?;
        if let Some(key) = old.and_then(|o| o.secret) {
            self.secrets.delete(&key)?;
        }
        Ok(saved)
    }

    /// What is saved as `name`, with its credentials, if anything.
    pub fn get(&self, name: &str) -> Result<Option<(Saved, Option<Credentials>)>, SavedError> {
        let Some(saved) = self.all()?.remove(name) else { return Ok(None) };
        let credentials = match &saved.secret {
            None => None,
            Some(key) => {
                let secret = self.secrets.get(key)?.ok_or_else(|| SavedError::SecretGone { name: name.to_string() })?;
                Some(match saved.user.clone() {
                    Some(user) => Credentials::Basic { user, password: secret },
                    None => Credentials::Bearer(secret),
                })
            }
        };
        Ok(Some((saved, credentials)))
    }

    /// Forgets `name` and its secret; whether it was saved.
    pub fn remove(&self, name: &str) -> Result<bool, SavedError> {
        let mut all = self.all()?;
        let Some(old) = all.remove(name) else { return Ok(false) };
        self.write(&all)?;
        if let Some(key) = old.secret {
            self.secrets.delete(&key)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored::MemoryStore;

    #[test]
    fn urls_are_checked_and_secrets_stay_out_of_the_file() {
        assert_eq!(check_url("https://prom.example:9090/").unwrap(), "https://prom.example:9090");
        assert!(
            is_loopback("http://127.0.0.1:9090") && is_loopback("http://[::1]:9090") && is_loopback("http://localhost")
        );
        assert!(!is_loopback("http://prom.example") && !is_loopback("http://10.0.0.1"));
        for bad in ["prom:9090", "ftp://x", "http://u:p@x", "http://x/?q=1", "http://"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        let saved = SavedEndpoints::new(dir.path().join("p.json"), secrets.clone(), "prometheus");
        let basic = Credentials::Basic { user: "ops".into(), password: "s3cret-pw".into() };
        saved.set("prod", "https://prom.example", &Extra::default(), Some(&basic)).unwrap();
        assert!(!std::fs::read_to_string(dir.path().join("p.json")).unwrap().contains("s3cret-pw"));
        assert!(!format!("{basic:?}").contains("s3cret-pw"));
        let (got, creds) = saved.get("prod").unwrap().unwrap();
        assert_eq!((got.url.as_str(), creds), ("https://prom.example", Some(basic)));
        // Replacing drops the old secret; removing drops the new one.
        let extra = Extra { model: Some("m".into()), tokenizer: None };
        saved.set("prod", "https://prom2.example", &extra, Some(&Credentials::Bearer("tok".into()))).unwrap();
        assert_eq!(saved.get("prod").unwrap().unwrap().0.model.as_deref(), Some("m"));
        assert_eq!(secrets.keys().len(), 1);
        assert!(saved.remove("prod").unwrap());
        assert!(secrets.keys().is_empty() && saved.get("prod").unwrap().is_none());
    }
}
