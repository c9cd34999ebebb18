//! Kubeconfigs imported into the app: kept in the app's data dir with every
//! secret (tokens, client keys, passwords, auth-provider and exec
//! credentials) moved to the OS keychain; the stored file keeps only
//! references. Contexts from `$KUBECONFIG` and `~/.kube/config` are used in
//! place and never copied here.
//!
//! On Linux the keychain is the Secret Service where a session bus exists,
//! else the kernel keyring; macOS and Windows use their native stores.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_yaml::Value;

/// Prefix of a reference to a secret in the keychain.
pub const REF_PREFIX: &str = "kubeask-keyring:";
/// The keychain service name.
pub const SERVICE: &str = "kubeask";

/// Errors of the secret store.
#[derive(Debug, thiserror::Error)]
#[error("the OS keychain failed: {0}")]
pub struct SecretStoreError(pub String);

/// Where secrets go.
pub trait SecretStore: Send + Sync {
    /// Stores a secret under `key`.
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretStoreError>;
    /// Reads a secret.
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError>;
    /// Removes a secret (absent is fine).
    fn delete(&self, key: &str) -> Result<(), SecretStoreError>;
}

/// The OS keychain: the Secret Service, macOS Keychain or Windows
/// Credential Manager through `keyring`; on Linux with no session bus
/// (servers, CI, containers), the kernel's per-user keyring.
#[derive(Debug, Default)]
pub struct KeyringStore {
    kernel: bool,
}

impl KeyringStore {
    /// Picks the backend for this machine.
    pub fn new() -> Self {
        let kernel = cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
        Self { kernel }
    }

    /// The kernel's per-user keyring, whatever the session (Linux only).
    #[cfg(target_os = "linux")]
    pub fn kernel() -> Self {
        Self { kernel: true }
    }

    fn entry(key: &str) -> Result<keyring::Entry, SecretStoreError> {
        keyring::Entry::new(SERVICE, key).map_err(|e| SecretStoreError(e.to_string()))
    }
}

#[cfg(target_os = "linux")]
mod kernel {
    //! The kernel's per-user keyring (`keyctl`), which exists for every
    //! uid without a login session, unlike the session keyring.
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    use super::{SecretStoreError, SERVICE};

    fn ring() -> Result<KeyRing, SecretStoreError> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true)
            .map_err(|e| SecretStoreError(format!("kernel keyring: {e:?}")))
    }

    fn desc(key: &str) -> String {
        format!("{SERVICE}:{key}")
    }

    pub fn set(key: &str, secret: &str) -> Result<(), SecretStoreError> {
        ring()?
            .add_key(&desc(key), secret.as_bytes())
            .map(|_| ())
            .map_err(|e| SecretStoreError(format!("kernel keyring: {e:?}")))
    }

    pub fn get(key: &str) -> Result<Option<String>, SecretStoreError> {
        match ring()?.search(&desc(key)) {
            Ok(k) => match k.read_to_vec() {
                Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
                Err(KeyError::KeyRevoked | KeyError::KeyExpired) => Ok(None),
                Err(e) => Err(SecretStoreError(format!("kernel keyring: {e:?}"))),
            },
            // NB: a key invalidated a moment ago can still be found and
            // then reads as revoked: it is gone all the same.
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired) => Ok(None),
            Err(e) => Err(SecretStoreError(format!("kernel keyring: {e:?}"))),
        }
    }

    pub fn delete(key: &str) -> Result<(), SecretStoreError> {
        let ring = ring()?;
        match ring.search(&desc(key)) {
            // Unlink rather than invalidate: an invalidated key stays linked
            // until the kernel's garbage collector runs, and meanwhile adding
            // a key with the same description fails as revoked. Removing the
            // only link destroys the key all the same.
            Ok(k) => match ring.unlink_key(k) {
                Ok(()) | Err(KeyError::KeyRevoked | KeyError::KeyExpired | KeyError::KeyDoesNotExist) => Ok(()),
                Err(e) => Err(SecretStoreError(format!("kernel keyring: {e:?}"))),
            },
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired) => Ok(()),
            Err(e) => Err(SecretStoreError(format!("kernel keyring: {e:?}"))),
        }
    }
}

impl SecretStore for KeyringStore {
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretStoreError> {
        #[cfg(target_os = "linux")]
        if self.kernel {
            return kernel::set(key, secret);
        }
        Self::entry(key)?.set_password(secret).map_err(|e| SecretStoreError(e.to_string()))
    }
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError> {
        #[cfg(target_os = "linux")]
        if self.kernel {
            return kernel::get(key);
        }
        match Self::entry(key)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretStoreError(e.to_string())),
        }
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        #[cfg(target_os = "linux")]
        if self.kernel {
            return kernel::delete(key);
        }
        match Self::entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretStoreError(e.to_string())),
        }
    }
}

/// An in-memory store, for tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore(Arc<Mutex<HashMap<String, String>>>);

impl MemoryStore {
    /// How many secrets it holds.
    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }
    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The keys it holds.
    pub fn keys(&self) -> Vec<String> {
        self.0.lock().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }
}

impl SecretStore for MemoryStore {
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretStoreError> {
        self.0.lock().map_err(|e| SecretStoreError(e.to_string()))?.insert(key.into(), secret.into());
        Ok(())
    }
    fn get(&self, key: &str) -> Result<Option<String>, SecretStoreError> {
        Ok(self.0.lock().map_err(|e| SecretStoreError(e.to_string()))?.get(key).cloned())
    }
    fn delete(&self, key: &str) -> Result<(), SecretStoreError> {
        self.0.lock().map_err(|e| SecretStoreError(e.to_string()))?.remove(key);
        Ok(())
    }
}

/// Errors of stored contexts.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a kubeconfig.
    #[error("not a valid kubeconfig{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Invalid {
        /// 1-based line, where known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A context name is already stored or already in a kubeconfig.
    #[error("a context named {0:?} is already stored; remove it first (kubeask contexts rm {0})")]
    Exists(String),
    /// No stored context has that name.
    #[error("no stored context named {0:?} (contexts from $KUBECONFIG or ~/.kube/config are not managed by Kubeask)")]
    Unknown(String),
    /// The keychain failed.
    #[error(transparent)]
    Secrets(#[from] SecretStoreError),
}

/// Stands in for a credential whose keychain entry is gone (deleted by the
/// user, a new keyring): [`crate::contexts::Contexts`] refuses the context
/// with "re-import it" instead of connecting without credentials.
pub const MISSING_SECRET: &str = "kubeask-missing-secret:";

/// Imported kubeconfigs in a folder, with their secrets in a [`SecretStore`].
#[derive(Clone)]
pub struct StoredContexts {
    dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    /// The last load and the files it was made from: the keychain is read
    /// once, not per question (each read may prompt the user on some OSes).
    loaded: LoadCache,
}

/// The last load, keyed by the stored files it was made from.
type LoadCache = Arc<std::sync::Mutex<Option<(Vec<FileStamp>, Loaded)>>>;

/// A stored file as last seen: path, size, modification time.
type FileStamp = (PathBuf, u64, Option<std::time::SystemTime>);
/// Loaded kubeconfigs, secrets restored.
type Loaded = Vec<(PathBuf, kube::config::Kubeconfig)>;

impl std::fmt::Debug for StoredContexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredContexts").field("dir", &self.dir).finish()
    }
}

/// Fields of a kubeconfig user entry that hold secrets.
const SECRET_FIELDS: &[&str] = &["token", "client-key-data", "password"];

fn secret_env_name(name: &str) -> bool {
    let n = name.to_uppercase();
    ["TOKEN", "SECRET", "PASSWORD", "KEY", "CREDENTIAL"].iter().any(|w| n.contains(w))
}

impl StoredContexts {
    /// Stored contexts in `dir`.
    pub fn new(dir: PathBuf, secrets: Arc<dyn SecretStore>) -> Self {
        Self { dir, secrets, loaded: Arc::default() }
    }

    fn stamps(&self) -> Vec<FileStamp> {
        self.files()
            .into_iter()
            .map(|f| {
                let m = std::fs::metadata(&f).ok();
                let (len, modified) = (m.as_ref().map_or(0, std::fs::Metadata::len), m.and_then(|m| m.modified().ok()));
                (f, len, modified)
            })
            .collect()
    }

    /// The app's folder for imported kubeconfigs.
    pub fn default_dir() -> PathBuf {
        kubeask_paths::data_dir().join("contexts")
    }

    /// Stored contexts in the default folder, secrets in the OS keychain.
    pub fn open_default() -> Self {
        Self::new(Self::default_dir(), Arc::new(KeyringStore::new()))
    }

    /// The stored files.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Context names per stored file.
    pub fn contexts(&self) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        for f in self.files() {
            if let Ok(text) = std::fs::read_to_string(&f) {
                if let Ok(v) = serde_yaml::from_str::<Value>(&text) {
                    for c in v.get("contexts").and_then(Value::as_sequence).into_iter().flatten() {
                        if let Some(n) = c.get("name").and_then(Value::as_str) {
                            out.push((n.to_string(), f.clone()));
                        }
                    }
                }
            }
        }
        out
    }

    /// Imports a kubeconfig file.
    pub fn import_file(&self, path: &Path) -> Result<Vec<String>, StoredError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| StoredError::Io { path: path.to_path_buf(), source })?;
        self.import_text(&text)
    }

    /// Imports kubeconfig text (a file's content, or pasted). Returns the
    /// context names it added.
    #[tracing::instrument(skip_all, fields(dir = %self.dir.display()))]
    pub fn import_text(&self, text: &str) -> Result<Vec<String>, StoredError> {
        let mut doc: Value = serde_yaml::from_str(text)
            .map_err(|e| StoredError::Invalid { line: e.location().map(|l| l.line()), message: e.to_string() })?;
        // Validate the shape with kube's own type before storing anything.
        serde_yaml::from_value::<kube::config::Kubeconfig>(doc.clone())
            .map_err(|e| StoredError::Invalid { line: None, message: e.to_string() })?;
        let names: Vec<String> = doc
            .get("contexts")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name")?.as_str().map(str::to_string))
            .collect();
        if names.is_empty() {
            return Err(StoredError::Invalid { line: None, message: "it defines no contexts".into() });
        }
        let existing = self.contexts();
        if let Some(n) = names.iter().find(|n| existing.iter().any(|(e, _)| e == *n)) {
            return Err(StoredError::Exists(n.clone()));
        }
        let id: String =
            names[0].chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        let id = format!("{id}-{:08x}", rand::random::<u32>());
        let mut moved = Vec::new();
        let mut move_secret = |v: &mut Value, key: String| -> Result<(), StoredError> {
            if let Some(s) = v.as_str().filter(|s| !s.is_empty() && !s.starts_with(REF_PREFIX)) {
                self.secrets.set(&key, s)?;
                moved.push(key.clone());
                *v = Value::String(format!("{REF_PREFIX}{key}"));
            }
            Ok(())
        };
        for u in doc.get_mut("users").and_then(Value::as_sequence_mut).into_iter().flatten() {
            let uname = u.get("name").and_then(Value::as_str).unwrap_or("user").to_string();
            let Some(user) = u.get_mut("user") else { continue };
            for f in SECRET_FIELDS {
                if let Some(v) = user.get_mut(*f) {
                    move_secret(v, format!("{id}/{uname}/{f}"))?;
                }
            }
            if let Some(cfg) =
                user.get_mut("auth-provider").and_then(|a| a.get_mut("config")).and_then(Value::as_mapping_mut)
            {
                for (k, v) in cfg.iter_mut() {
                    let k = k.as_str().unwrap_or("").to_string();
                    if k.contains("token") || k.contains("secret") {
                        move_secret(v, format!("{id}/{uname}/auth-provider/{k}"))?;
                    }
                }
            }
            if let Some(env) = user.get_mut("exec").and_then(|e| e.get_mut("env")).and_then(Value::as_sequence_mut) {
                for e in env {
                    let n = e.get("name").and_then(Value::as_str).unwrap_or("").to_string();
                    if secret_env_name(&n) {
                        if let Some(v) = e.get_mut("value") {
                            move_secret(v, format!("{id}/{uname}/exec-env/{n}"))?;
                        }
                    }
                }
            }
        }
        kubeask_paths::private_dir(&self.dir).map_err(|source| StoredError::Io { path: self.dir.clone(), source })?;
        let path = self.dir.join(format!("{id}.yaml"));
        let out =
            serde_yaml::to_string(&doc).map_err(|e| StoredError::Invalid { line: None, message: e.to_string() })?;
        kubeask_paths::write_private(&path, out.as_ref())
            .map_err(|source| StoredError::Io { path: path.clone(), source })?;
        tracing::info!(contexts = ?names, secrets_moved = moved.len(), "imported kubeconfig");
        Ok(names)
    }

    /// Removes a stored context: its file (when it was the file's last
    /// context) and its secrets.
    pub fn remove(&self, context: &str) -> Result<(), StoredError> {
        let (_, path) = self
            .contexts()
            .into_iter()
            .find(|(n, _)| n == context)
            .ok_or_else(|| StoredError::Unknown(context.into()))?;
        let text = std::fs::read_to_string(&path).map_err(|source| StoredError::Io { path: path.clone(), source })?;
        let mut refs = Vec::new();
        collect_refs(&serde_yaml::from_str(&text).unwrap_or(Value::Null), &mut refs);
        for r in &refs {
            self.secrets.delete(r)?;
        }
        std::fs::remove_file(&path).map_err(|source| StoredError::Io { path: path.clone(), source })?;
        tracing::info!(context, secrets_removed = refs.len(), "removed stored context");
        Ok(())
    }

    /// Every stored kubeconfig with its secrets restored from the keychain.
    pub fn load(&self) -> Result<Vec<(PathBuf, kube::config::Kubeconfig)>, StoredError> {
        let stamps = self.stamps();
        if let Some((seen, loaded)) = self.loaded.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *seen == stamps {
                return Ok(loaded.clone());
            }
        }
        let mut out = Vec::new();
        for f in self.files() {
            let text = std::fs::read_to_string(&f).map_err(|source| StoredError::Io { path: f.clone(), source })?;
            let mut v: Value = serde_yaml::from_str(&text).map_err(|e| StoredError::Invalid {
                line: e.location().map(|l| l.line()),
                message: format!("{}: {e}", f.display()),
            })?;
            self.restore(&mut v)?;
            let k = serde_yaml::from_value(v)
                .map_err(|e| StoredError::Invalid { line: None, message: format!("{}: {e}", f.display()) })?;
            out.push((f, k));
        }
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamps, out.clone()));
        Ok(out)
    }

    fn restore(&self, v: &mut Value) -> Result<(), StoredError> {
        match v {
            Value::String(s) if s.starts_with(REF_PREFIX) => {
                let key = s[REF_PREFIX.len()..].to_string();
                // A keychain entry that is gone is marked, not sent as an
                // empty credential: connecting says "re-import".
                *s = self.secrets.get(&key)?.unwrap_or_else(|| format!("{MISSING_SECRET}{key}"));
            }
            Value::Mapping(m) => {
                for (_, x) in m.iter_mut() {
                    self.restore(x)?;
                }
            }
            Value::Sequence(xs) => {
                for x in xs {
                    self.restore(x)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with(REF_PREFIX) => out.push(s[REF_PREFIX.len()..].to_string()),
        Value::Mapping(m) => m.iter().for_each(|(_, x)| collect_refs(x, out)),
        Value::Sequence(xs) => xs.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
