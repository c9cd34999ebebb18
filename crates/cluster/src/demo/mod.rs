//! The demo Kubernetes API server: serves a fixture cluster through the
//! Kubernetes REST API over HTTPS on loopback, with a CA and a bearer token
//! it generates and a kubeconfig it writes (context `kubeask-demo`).
//!
//! It is the app's out-of-the-box cluster and the test suite's API server;
//! `kubectl` pointed at its kubeconfig works, which is how we know it
//! speaks the real API.

pub mod api;
pub mod apply;
pub mod controller;
pub mod discovery;
pub mod logs;
pub mod prometheus;
pub mod protobuf;
pub mod registry;
pub mod selector;
pub mod shapes;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::fixture::Fixture;
use crate::timeshift;
pub use tls::TlsMaterial;

/// The context (and cluster and user) name in the demo kubeconfig.
pub const CONTEXT: &str = "kubeask-demo";

/// Errors starting the demo server.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The port is taken or not allowed.
    #[error("cannot listen on 127.0.0.1:{port}: {source} (is another `kubeask demo` running? try --port 0)")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Certificate generation or TLS setup failed.
    #[error("cannot set up TLS for the demo server: {0}")]
    Tls(String),
    /// The kubeconfig could not be written.
    #[error("cannot write the demo kubeconfig to {path}: {source}")]
    Kubeconfig {
        /// Where it was to go.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The server's identity: keep it to restart a server that existing
/// kubeconfigs still trust.
#[derive(Clone, Debug)]
pub struct DemoIdentity {
    /// CA and server certificate.
    pub tls: TlsMaterial,
    /// The bearer token.
    pub token: String,
}

impl DemoIdentity {
    /// A fresh CA, certificate and random token.
    pub fn generate() -> Result<Self, DemoError> {
        let tls = TlsMaterial::generate().map_err(|e| DemoError::Tls(e.to_string()))?;
        let bytes: [u8; 24] = rand::random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Ok(Self { tls, token })
    }
}

/// How to start a demo server.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The cluster to serve.
    pub fixture: Fixture,
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// Where to write the kubeconfig; defaults to the app's data dir.
    pub kubeconfig_path: Option<PathBuf>,
    /// Reuse an identity (to restart a server); `None` generates one.
    pub identity: Option<DemoIdentity>,
    /// Bookmark interval for watches that ask for them.
    pub bookmark_every: Duration,
}

impl DemoOptions {
    /// Options for serving `fixture` on a free port.
    pub fn new(fixture: Fixture) -> Self {
        Self { fixture, port: 0, kubeconfig_path: None, identity: None, bookmark_every: Duration::from_secs(10) }
    }
}

/// A running demo server. Dropping it without [`DemoServer::stop`] leaves
/// it running until the runtime ends.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    identity: DemoIdentity,
    kubeconfig_path: PathBuf,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    store: Arc<store::Store>,
    app: Arc<api::App>,
}

/// Default kubeconfig location: `<data dir>/kubeask/demo/kubeconfig`.
pub fn default_kubeconfig_path() -> PathBuf {
    kubeask_paths::data_dir().join("demo").join("kubeconfig")
}

impl DemoServer {
    /// Loads the fixture into memory, binds loopback, writes the kubeconfig
    /// and starts serving.
    pub async fn start(opts: DemoOptions) -> Result<Self, DemoError> {
        let identity = match opts.identity {
            Some(i) => i,
            None => DemoIdentity::generate()?,
        };
        let fixture = opts.fixture;
        let history = fixture.metrics.clone().filter(|p| p.prometheus.is_some()).map(|plan| {
            let (bases, volumes) = (fixture.metric_bases(), fixture.volume_bases());
            Arc::new(prometheus::DemoHistory { plan, bases, origin: jiff::Timestamp::now().as_second(), volumes })
        });
        let offset = fixture.now.map(|captured| jiff::Timestamp::now().duration_since(captured)).unwrap_or_default();
        let mut objects = Vec::with_capacity(fixture.objects.len());
        let mut version = None;
        for o in fixture.objects {
            let Some(resource) = registry::by_kind(&o.api_version, &o.kind) else { continue };
            let mut value = o.value;
            timeshift::shift_json(&mut value, offset);
            if version.is_none() && o.kind == "Node" {
                version = value.pointer("/status/nodeInfo/kubeletVersion").and_then(|v| v.as_str()).map(str::to_string);
            }
            objects.push((resource, value));
        }
        let logs = fixture.logs.into_iter().map(|(k, text)| (k, timeshift::shift_text(&text, offset))).collect();
        let store = Arc::new(store::Store::new(objects, logs));

        let listener = TcpListener::bind(("127.0.0.1", opts.port))
            .await
            .map_err(|source| DemoError::Bind { port: opts.port, source })?;
        let addr = listener.local_addr().map_err(|source| DemoError::Bind { port: opts.port, source })?;
        let kubeconfig_path = opts.kubeconfig_path.unwrap_or_else(default_kubeconfig_path);
        write_kubeconfig(&kubeconfig_path, &kubeconfig_yaml(addr, &identity))?;

        let config = identity.tls.server_config().map_err(|e| DemoError::Tls(e.to_string()))?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = Arc::new(api::App {
            store: store.clone(),
            token: identity.token.clone(),
            rbac: fixture.rbac,
            version: version.unwrap_or_else(|| "v1.34.2".into()),
            shutdown: shutdown_rx.clone(),
            bookmark_every: opts.bookmark_every,
            address: addr.to_string(),
            requests: api::RequestLog::default(),
            history,
        });
        let router = axum::Router::new().fallback(api::handle).with_state(app.clone());
        let task = tokio::spawn(serve(listener, tokio_rustls::TlsAcceptor::from(config), router, shutdown_rx));
        tracing::info!(%addr, kubeconfig = %kubeconfig_path.display(), "demo API server started");
        Ok(Self { addr, identity, kubeconfig_path, shutdown, task, store, app })
    }

    /// The fixture's past served as its Prometheus, if it has one: the
    /// shapes, the values now and the Unix second of the fixture's `now`.
    pub fn history(&self) -> Option<&prometheus::DemoHistory> {
        self.app.history.as_deref()
    }

    /// The requests it received (`METHOD path?query accept=…`), oldest
    /// first: what a test needs to prove a client asked (or did not ask).
    pub fn requests(&self) -> Vec<String> {
        self.app.requests.lines()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Where the kubeconfig was written.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// The server's identity (to restart it, or to build a client).
    pub fn identity(&self) -> &DemoIdentity {
        &self.identity
    }

    /// The kubeconfig as YAML text.
    pub fn kubeconfig(&self) -> String {
        kubeconfig_yaml(self.addr, &self.identity)
    }

    /// The in-memory cluster (for tests and benches).
    pub fn store(&self) -> &Arc<store::Store> {
        &self.store
    }

    /// Stops serving, closes every connection and open watch.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    router: axum::Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "demo server: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        let mut stop = shutdown.clone();
        connections.spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "demo server: TLS handshake failed");
                    return;
                }
            };
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            tokio::select! {
                _ = conn => {}
                _ = stop.changed() => {}
            }
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    connections.shutdown().await;
}

fn kubeconfig_yaml(addr: SocketAddr, identity: &DemoIdentity) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(identity.tls.ca_pem.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {CONTEXT}\n  cluster:\n    server: https://{addr}\n    certificate-authority-data: {ca}\ncontexts:\n- name: {CONTEXT}\n  context:\n    cluster: {CONTEXT}\n    user: {CONTEXT}\n    namespace: default\ncurrent-context: {CONTEXT}\nusers:\n- name: {CONTEXT}\n  user:\n    token: {}\npreferences: {{}}\n",
        identity.token
    )
}

fn write_kubeconfig(path: &Path, text: &str) -> Result<(), DemoError> {
    // NB: the file holds a bearer token: owner-only from the first byte,
    // like kubectl's.
    kubeask_paths::write_private(path, text.as_bytes())
        .map_err(|source| DemoError::Kubeconfig { path: path.to_path_buf(), source })
}
