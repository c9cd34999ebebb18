//! A Prometheus the user set for a context (`kubeask prometheus set`): its
//! URL in `prometheus.json` in the data dir (0600), its credentials — a
//! bearer token or a basic-auth password — in the OS keychain, the file
//! holding only a reference. Used before looking for one in the cluster.

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

/// What the file keeps per context: no secret, only where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// The Prometheus HTTP API base URL.
    pub url: String,
    /// Basic-auth user, when the secret is a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The keychain key of the token or password, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Errors of the saved Prometheus settings.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    /// The URL is not one to query.
    #[error("`{url}` is not a Prometheus URL: {why}")]
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
    #[error("the credentials for {context}'s Prometheus are gone from the keychain: set them again with `kubeask prometheus set`")]
    SecretGone {
        /// The context.
        context: String,
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

/// The saved Prometheus of every context.
#[derive(Clone)]
pub struct SavedPrometheus {
    path: PathBuf,
    secrets: Arc<dyn SecretStore>,
}

impl std::fmt::Debug for SavedPrometheus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SavedPrometheus({})", self.path.display())
    }
}

impl SavedPrometheus {
    /// Settings in `path`, secrets in `secrets`.
    pub fn new(path: PathBuf, secrets: Arc<dyn SecretStore>) -> Self {
        Self { path, secrets }
    }

    /// The data dir's `prometheus.json`, secrets in the OS keychain.
    pub fn open_default() -> Self {
        Self::new(kubeask_paths::data_dir().join("prometheus.json"), Arc::new(crate::stored::KeyringStore::new()))
    }

    fn file_error(&self, e: impl std::fmt::Display) -> SavedError {
        SavedError::File { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Every saved entry, by context (none when the file does not exist).
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

    /// Saves `url` (checked) for `context`, its credentials in the
    /// keychain; replaces what was saved, and drops the old secret.
    pub fn set(&self, context: &str, url: &str, credentials: Option<&Credentials>) -> Result<Saved, SavedError> {
        let url = check_url(url)?;
        let mut all = self.all()?;
        let old = all.remove(context);
        let mut saved = Saved { url, user: None, secret: None };
        if let Some(c) = credentials {
            // NB: a fresh key per save, so two data folders (or tests) that
            // save the same context name never share a keychain entry.
            let key = format!("prometheus/{context}/{:08x}", rand::random::<u32>());
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
        all.insert(context.to_string(), saved.clone());
        self.write(&all)?;
        if let Some(key) = old.and_then(|o| o.secret) {
            self.secrets.delete(&key)?;
        }
        Ok(saved)
    }

    /// The saved URL and credentials of `context`, if any.
    pub fn get(&self, context: &str) -> Result<Option<(String, Option<Credentials>)>, SavedError> {
        let Some(saved) = self.all()?.remove(context) else { return Ok(None) };
        let credentials = match &saved.secret {
            None => None,
            Some(key) => {
                let secret =
                    self.secrets.get(key)?.ok_or_else(|| SavedError::SecretGone { context: context.to_string() })?;
                Some(match saved.user {
                    Some(user) => Credentials::Basic { user, password: secret },
                    None => Credentials::Bearer(secret),
                })
            }
        };
        Ok(Some((saved.url, credentials)))
    }

    /// Forgets `context`'s Prometheus and its secret; whether one was saved.
    pub fn remove(&self, context: &str) -> Result<bool, SavedError> {
        let mut all = self.all()?;
        let Some(old) = all.remove(context) else { return Ok(false) };
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
        let saved = SavedPrometheus::new(dir.path().join("p.json"), secrets.clone());
        let basic = Credentials::Basic { user: "ops".into(), password: "s3cret-pw".into() };
        saved.set("prod", "https://prom.example", Some(&basic)).unwrap();
        assert!(!std::fs::read_to_string(dir.path().join("p.json")).unwrap().contains("s3cret-pw"));
        assert!(!format!("{basic:?}").contains("s3cret-pw"));
        assert_eq!(saved.get("prod").unwrap(), Some(("https://prom.example".into(), Some(basic))));
        // Replacing drops the old secret; removing drops the new one.
        saved.set("prod", "https://prom2.example", Some(&Credentials::Bearer("tok".into()))).unwrap();
        assert_eq!(secrets.keys().len(), 1);
        assert!(saved.remove("prod").unwrap());
        assert!(secrets.keys().is_empty() && saved.get("prod").unwrap().is_none());
    }
}
