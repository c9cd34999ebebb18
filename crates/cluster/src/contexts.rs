//! Kubeconfig contexts: where they come from, connecting to one with
//! `kube`, and turning every way that can fail into a message a user can
//! act on (which server, which file and line, which verb and resource).
//!
//! Sources, in kubectl's precedence: every path in `$KUBECONFIG` (split on
//! the OS path separator), then `~/.kube/config`. The first file that
//! defines a context name wins; the first that sets `current-context` does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use serde::Serialize;

/// How long a connection attempt or reachability check may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the API server could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreachable {
    /// Nothing listens on that address (connection refused).
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No answer in time.
    Timeout,
    /// Another network error.
    Network,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreachable::Refused => {
                "connection refused: nothing is listening there (is the cluster running? is the port right?)"
            }
            Unreachable::Dns => "the host name does not resolve (check the server address, VPN or DNS)",
            Unreachable::Timeout => "no answer in time (a firewall, VPN or a stopped cluster?)",
            Unreachable::Network => "network error",
        })
    }
}

/// Everything that can go wrong finding or reaching a context.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// No kubeconfig anywhere.
    #[error("no kubeconfig found: $KUBECONFIG is unset or empty and ~/.kube/config does not exist (run `kubeask demo` for a demo cluster)")]
    NoKubeconfig,
    /// A kubeconfig file could not be read.
    #[error("cannot read kubeconfig {file}: {message}")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The OS error.
        message: String,
    },
    /// A kubeconfig file is not valid.
    #[error("malformed kubeconfig {file}{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Malformed {
        /// The file.
        file: PathBuf,
        /// 1-based line, where known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The context name is not defined in any kubeconfig.
    #[error("unknown context {name:?}; known contexts: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownContext {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// The context exists but its cluster or user entry is unusable.
    #[error("context {context:?} cannot be used: {message}")]
    BadContext {
        /// The context.
        context: String,
        /// What kube said.
        message: String,
    },
    /// The API server could not be reached.
    #[error("cannot reach {server} (context {context:?}): {reason}")]
    Unreachable {
        /// The context.
        context: String,
        /// The server URL.
        server: String,
        /// Refused, DNS, timeout or other.
        reason: Unreachable,
        /// The underlying error text.
        detail: String,
    },
    /// TLS failed: unknown CA, wrong host name, expired certificate.
    #[error("TLS handshake with {server} failed (context {context:?}): {detail}; check certificate-authority(-data) in the kubeconfig or whether the server's certificate changed")]
    Tls {
        /// The context.
        context: String,
        /// The server URL.
        server: String,
        /// The TLS error.
        detail: String,
    },
    /// 401: the credentials were refused.
    #[error("{server} refused the credentials of context {context:?} (401 Unauthorized): the token or certificate is expired or invalid; log in again or refresh the kubeconfig")]
    Unauthorized {
        /// The context.
        context: String,
        /// The server URL.
        server: String,
    },
    /// 403: authenticated but not allowed.
    #[error("forbidden (403) in context {context:?}: you may not {verb} {resource}: {message}")]
    Forbidden {
        /// The context.
        context: String,
        /// The verb refused, e.g. `list`.
        verb: String,
        /// The resource, e.g. `pods`.
        resource: String,
        /// The server's message.
        message: String,
    },
    /// Any other API error.
    #[error("the API server answered {code} in context {context:?}: {message}")]
    Api {
        /// The context.
        context: String,
        /// HTTP code.
        code: u16,
        /// The server's message.
        message: String,
    },
}

/// Result alias for this module.
pub type Result<T, E = ContextError> = std::result::Result<T, E>;

/// One context, as listed to the user.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContextInfo {
    /// Context name.
    pub name: String,
    /// Cluster entry name.
    pub cluster: String,
    /// User entry name.
    pub user: String,
    /// Default namespace, if set.
    pub namespace: Option<String>,
    /// API server URL, if the cluster entry has one.
    pub server: Option<String>,
    /// The kubeconfig file it came from.
    pub source: PathBuf,
    /// Whether it is the current context.
    pub current: bool,
}

/// The kubeconfig files to read, in precedence order.
pub fn kubeconfig_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
        .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    if let Some(home) = dirs::home_dir() {
        paths.push(home.join(".kube").join("config"));
    }
    let mut seen = Vec::new();
    paths.retain(|p| {
        let keep = !seen.contains(p);
        seen.push(p.clone());
        keep
    });
    paths
}

/// Reads one kubeconfig file, reporting the line of a syntax error.
pub fn read_kubeconfig(path: &Path) -> Result<Kubeconfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ContextError::Unreadable { file: path.to_path_buf(), message: e.to_string() })?;
    match Kubeconfig::read_from(path) {
        Ok(k) => Ok(k),
        Err(KubeconfigError::ReadConfig(e, _)) => {
            Err(ContextError::Unreadable { file: path.to_path_buf(), message: e.to_string() })
        }
        Err(e) => {
            // NB: kube's parser does not expose a location; serde_yaml's does.
            let (line, message) = match serde_yaml::from_str::<Kubeconfig>(&text) {
                Err(ye) => (ye.location().map(|l| l.line()), ye.to_string()),
                Ok(_) => (None, e.to_string()),
            };
            Err(ContextError::Malformed { file: path.to_path_buf(), line, message })
        }
    }
}

/// Every kubeconfig's contexts, merged with kubectl's precedence.
#[derive(Debug, Clone, Default)]
pub struct Contexts {
    /// The merged kubeconfig.
    pub merged: Kubeconfig,
    /// Where each context came from: `(context name, file)`.
    pub sources: Vec<(String, PathBuf)>,
}

impl Contexts {
    /// Loads `$KUBECONFIG` and `~/.kube/config`. Missing files are skipped;
    /// a malformed one is an error naming it.
    pub fn discover() -> Result<Self> {
        Self::load(&kubeconfig_paths())
    }

    /// Loads the given files (missing ones are skipped).
    pub fn load(paths: &[PathBuf]) -> Result<Self> {
        Self::load_with(paths, Vec::new())
    }

    /// Loads the given files, then kubeconfigs already in memory (stored
    /// contexts with their secrets restored), in that precedence.
    pub fn load_with(paths: &[PathBuf], extra: Vec<(PathBuf, Kubeconfig)>) -> Result<Self> {
        let mut merged: Option<Kubeconfig> = None;
        let mut sources = Vec::new();
        let mut all: Vec<(PathBuf, Kubeconfig)> = Vec::new();
        for path in paths.iter().filter(|p| p.is_file()) {
            all.push((path.clone(), read_kubeconfig(path)?));
        }
        all.extend(extra);
        for (path, k) in all {
            for c in &k.contexts {
                if !sources.iter().any(|(n, _)| n == &c.name) {
                    sources.push((c.name.clone(), path.clone()));
                }
            }
            merged = Some(match merged {
                None => k,
                Some(m) => m.merge(k).map_err(|e| ContextError::Malformed {
                    file: path.clone(),
                    line: None,
                    message: e.to_string(),
                })?,
            });
        }
        let merged = merged.ok_or(ContextError::NoKubeconfig)?;
        Ok(Self { merged, sources })
    }

    /// The contexts, current one marked.
    pub fn list(&self) -> Vec<ContextInfo> {
        let current = self.merged.current_context.clone();
        self.merged
            .contexts
            .iter()
            .map(|c| {
                let ctx = c.context.clone().unwrap_or_default();
                let server = self
                    .merged
                    .clusters
                    .iter()
                    .find(|cl| cl.name == ctx.cluster)
                    .and_then(|cl| cl.cluster.as_ref()?.server.clone());
                ContextInfo {
                    name: c.name.clone(),
                    cluster: ctx.cluster.clone(),
                    user: ctx.user.clone().unwrap_or_default(),
                    namespace: ctx.namespace.clone(),
                    server,
                    source: self.sources.iter().find(|(n, _)| n == &c.name).map(|(_, p)| p.clone()).unwrap_or_default(),
                    current: current.as_deref() == Some(c.name.as_str()),
                }
            })
            .collect()
    }

    /// The current context's name, if set.
    pub fn current(&self) -> Option<&str> {
        self.merged.current_context.as_deref()
    }

    /// Whether a stored context's user lost its keychain entry.
    fn credentials_missing(&self, name: &str) -> bool {
        let user = self.merged.contexts.iter().find(|c| c.name == name).and_then(|c| c.context.as_ref()?.user.clone());
        self.merged
            .auth_infos
            .iter()
            .filter(|a| user.as_deref() == Some(a.name.as_str()))
            .any(|a| serde_json::to_string(&a.auth_info).is_ok_and(|j| j.contains(crate::stored::MISSING_SECRET)))
    }

    /// A `kube::Config` for `name` (or the current context).
    pub async fn config(&self, name: Option<&str>) -> Result<(String, kube::Config)> {
        let name = match name.or(self.current()) {
            Some(n) => n.to_string(),
            None => {
                return Err(ContextError::UnknownContext {
                    name: "(current-context is not set)".into(),
                    known: self.merged.contexts.iter().map(|c| c.name.clone()).collect(),
                })
            }
        };
        if !self.merged.contexts.iter().any(|c| c.name == name) {
            return Err(ContextError::UnknownContext {
                name,
                known: self.merged.contexts.iter().map(|c| c.name.clone()).collect(),
            });
        }
        if self.credentials_missing(&name) {
            return Err(ContextError::BadContext {
                context: name.clone(),
                message: format!(
                    "its credentials are no longer in the OS keychain: re-import context {name} \
                     (kubeask contexts import FILE, or Settings → Import in the app)"
                ),
            });
        }
        let opts = KubeConfigOptions { context: Some(name.clone()), ..Default::default() };
        let mut config = kube::Config::from_custom_kubeconfig(self.merged.clone(), &opts)
            .await
            .map_err(|e| ContextError::BadContext { context: name.clone(), message: e.to_string() })?;
        config.connect_timeout = Some(CONNECT_TIMEOUT);
        config.read_timeout = Some(Duration::from_secs(30));
        // NB: kube retries 429/503/504 up to 15 times with backoff to 1000 s
        // by default: an interactive app waits minutes, and an eviction a
        // PodDisruptionBudget refuses (429) would hang a drain. Callers
        // here keep their own deadlines and say what failed.
        config.default_retry = false;
        Ok((name, config))
    }

    /// A client for `name` (or the current context). Does not contact the
    /// server; see [`Connection::check`] for that.
    pub async fn connect(&self, name: Option<&str>) -> Result<Connection> {
        let (name, config) = self.config(name).await?;
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let client = kube::Client::try_from(config).map_err(|e| classify(&name, &server, &e))?;
        let user = self
            .merged
            .contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref()?.user.clone())
            .unwrap_or_default();
        Ok(Connection { context: name, server, user, client })
    }
}

/// A client for one context, with the names needed to explain failures.
#[derive(Clone)]
pub struct Connection {
    /// Context name.
    pub context: String,
    /// API server URL.
    pub server: String,
    /// The kubeconfig user the context authenticates as.
    pub user: String,
    /// The kube client.
    pub client: kube::Client,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("context", &self.context).field("server", &self.server).finish()
    }
}

impl Connection {
    /// Proves the server is reachable, trusted and accepts the credentials;
    /// returns its version.
    pub async fn check(&self) -> Result<String> {
        let fut = async {
            let version = self.client.apiserver_version().await?;
            // NB: /version is public on real clusters; listing namespaces
            // with limit=1 proves the credentials work too.
            let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(self.client.clone());
            api.list_metadata(&kube::api::ListParams::default().limit(1)).await?;
            Ok::<_, kube::Error>(version.git_version)
        };
        match tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(2), fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.explain(&e)),
            Err(_) => Err(ContextError::Unreachable {
                context: self.context.clone(),
                server: self.server.clone(),
                reason: Unreachable::Timeout,
                detail: "timed out".into(),
            }),
        }
    }

    /// Explains a kube error from this connection.
    pub fn explain(&self, e: &kube::Error) -> ContextError {
        classify(&self.context, &self.server, e)
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = cur {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = s.source();
    }
    None
}

/// Turns a kube error into a [`ContextError`] a user can act on.
pub fn classify(context: &str, server: &str, e: &kube::Error) -> ContextError {
    let context = context.to_string();
    let server = server.to_string();
    if let kube::Error::Api(status) = e {
        return match status.code {
            401 => ContextError::Unauthorized { context, server },
            403 => {
                let (verb, resource) = parse_forbidden(&status.message);
                ContextError::Forbidden { context, verb, resource, message: status.message.clone() }
            }
            code => ContextError::Api { context, code, message: status.message.clone() },
        };
    }
    let texts = chain(e);
    let all = texts.join(": ").to_lowercase();
    let detail = texts.last().cloned().unwrap_or_default();
    let reason = if io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused) || all.contains("connection refused") {
        Some(Unreachable::Refused)
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
    {
        Some(Unreachable::Dns)
    } else if io_kind(e) == Some(std::io::ErrorKind::TimedOut)
        || all.contains("timed out")
        || all.contains("deadline has elapsed")
    {
        Some(Unreachable::Timeout)
    } else {
        None
    };
    if let Some(reason) = reason {
        return ContextError::Unreachable { context, server, reason, detail };
    }
    if all.contains("certificate") || all.contains("tls") || all.contains("handshake") || all.contains("unknownissuer")
    {
        return ContextError::Tls { context, server, detail };
    }
    ContextError::Unreachable { context, server, reason: Unreachable::Network, detail: texts.join(": ") }
}

/// Pulls verb and resource out of a 403 message
/// (`… cannot list resource "pods" in API group "" …`).
fn parse_forbidden(message: &str) -> (String, String) {
    let after = message.split("cannot ").nth(1).unwrap_or("");
    let verb = after.split_whitespace().next().unwrap_or("").to_string();
    let resource = after.split('"').nth(1).unwrap_or("").to_string();
    (verb, resource)
}
