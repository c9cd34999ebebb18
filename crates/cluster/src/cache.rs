//! The live cache of one context: a reflector per kind, kept in sync by
//! watches, read as a consistent [`Snapshot`] by the read tools.
//!
//! It is honest about staleness: each kind reports syncing, ready, stale
//! (the watch broke; the data is the last known) or unavailable (RBAC
//! forbids it, or the cluster does not serve it). A broken watch retries
//! with backoff and relists, so the cache recovers by itself when the API
//! server comes back; a kind the cluster lacks never fails the whole cache.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service,
    ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, LogParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Resource;
use kubeask_insight::metrics::{NodeMetrics, PodMetrics};
use kubeask_insight::snapshot::Snapshot;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::contexts::{Connection, ContextError};

/// How often metrics (which cannot be watched) are polled.
const METRICS_EVERY: Duration = Duration::from_secs(15);

/// Retry delays for broken watches: short, because a desktop user is
/// looking at the screen (kube's default climbs to 30 s, and a restarted
/// API server then took a minute to be noticed).
struct QuickBackoff {
    next: Duration,
}

impl QuickBackoff {
    const MIN: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(4);

    fn new() -> Self {
        Self { next: Self::MIN }
    }
}

impl Iterator for QuickBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let now = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        Some(now)
    }
}

impl kube::runtime::utils::Backoff for QuickBackoff {
    fn reset(&mut self) {
        self.next = Self::MIN;
    }
}

/// The state of one kind in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KindState {
    /// The first list has not completed.
    Syncing,
    /// In sync with the server.
    Ready,
    /// The watch broke; the data is the last known and may be out of date.
    Stale,
    /// Not available: forbidden by RBAC or not served by this cluster.
    Unavailable,
}

/// Status of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindStatus {
    /// Kind name, e.g. `Pod`.
    pub kind: &'static str,
    /// `group/version` the kind is read at, e.g. `batch/v1`.
    pub api_version: String,
    /// Current state.
    pub state: KindState,
    /// When the kind was last known to be in sync.
    pub last_sync: Option<Timestamp>,
    /// Why it is stale or unavailable.
    pub error: Option<String>,
    /// Unavailable because RBAC forbids this user to list or watch it.
    pub forbidden: bool,
    /// When the last error happened.
    #[serde(skip)]
    error_at: Option<std::time::Instant>,
}

/// The whole cache's status.
#[derive(Debug, Clone, Serialize)]
pub struct CacheStatus {
    /// Context name.
    pub context: String,
    /// Worst state over the available kinds.
    pub state: KindState,
    /// Per kind.
    pub kinds: Vec<KindStatus>,
}

/// Every kind's status, and a signal that fires on each change of it (so
/// waiting for the first sync needs no polling).
struct Board {
    list: Mutex<Vec<KindStatus>>,
    changed: watch::Sender<u64>,
}

impl Board {
    fn new() -> Arc<Self> {
        Arc::new(Self { list: Mutex::new(Vec::new()), changed: watch::channel(0).0 })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<KindStatus>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn touch(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }
}

type Statuses = Arc<Board>;

/// Bumped on every change the watches see, so readers can reuse work done
/// on an unchanged cache, and subscribers learn of it without polling.
type Generation = Arc<watch::Sender<u64>>;

fn bump(g: &Generation) {
    g.send_modify(|v| *v = v.wrapping_add(1));
}

/// Where a kind's objects come from.
enum Source<K: Resource<DynamicType = ()> + Clone + 'static> {
    /// A typed reflector (the version k8s-openapi knows).
    Typed(Store<K>),
    /// An older served version, read dynamically and converted on snapshot.
    Dynamic(Store<DynamicObject>, String),
    /// A polled list (metrics cannot be watched).
    Polled(Arc<Mutex<Vec<Arc<K>>>>),
    /// Not available.
    None,
}

impl<K: Resource<DynamicType = ()> + Clone + DeserializeOwned + 'static> Source<K> {
    fn items(&self) -> Vec<Arc<K>> {
        match self {
            Source::Typed(s) => s.state(),
            Source::Dynamic(s, want_api_version) => s
                .state()
                .iter()
                .filter_map(|d| {
                    let mut v = serde_json::to_value(&**d).ok()?;
                    // NB: k8s-openapi checks apiVersion; the older version's
                    // shape is compatible for every field we read.
                    v["apiVersion"] = serde_json::Value::String(want_api_version.clone());
                    v["kind"] = serde_json::Value::String(K::kind(&()).into_owned());
                    serde_json::from_value(v).ok().map(Arc::new)
                })
                .collect(),
            Source::Polled(items) => items.lock().map(|v| v.clone()).unwrap_or_default(),
            Source::None => Vec::new(),
        }
    }
}

/// The live cache of one context. Dropping it stops its watches.
pub struct ClusterCache {
    conn: Connection,
    generation: Generation,
    statuses: Statuses,
    tasks: Vec<JoinHandle<()>>,
    version: Arc<Mutex<Option<String>>>,
    namespaces: Source<Namespace>,
    nodes: Source<Node>,
    pods: Source<Pod>,
    deployments: Source<Deployment>,
    replica_sets: Source<ReplicaSet>,
    stateful_sets: Source<StatefulSet>,
    daemon_sets: Source<DaemonSet>,
    jobs: Source<Job>,
    cron_jobs: Source<CronJob>,
    services: Source<Service>,
    endpoints: Source<Endpoints>,
    ingresses: Source<Ingress>,
    pvcs: Source<PersistentVolumeClaim>,
    pvs: Source<PersistentVolume>,
    events: Source<Event>,
    hpas: Source<HorizontalPodAutoscaler>,
    config_maps: Source<ConfigMap>,
    service_accounts: Source<ServiceAccount>,
    roles: Source<Role>,
    cluster_roles: Source<ClusterRole>,
    role_bindings: Source<RoleBinding>,
    cluster_role_bindings: Source<ClusterRoleBinding>,
    network_policies: Source<NetworkPolicy>,
    secrets: Option<Store<kube::core::PartialObjectMeta<Secret>>>,
    node_metrics: Source<NodeMetrics>,
    pod_metrics: Source<PodMetrics>,
}

impl Debug for ClusterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCache").field("context", &self.conn.context).finish()
    }
}

impl Drop for ClusterCache {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What discovery says about where a kind is served.
enum Served {
    Preferred,
    Older(String),
    Missing,
}

async fn served(client: &kube::Client, gvs: &[&str], plural: &str) -> Served {
    for (i, gv) in gvs.iter().enumerate() {
        let has = match client.list_api_group_resources(gv).await {
            Ok(list) => list.resources.iter().any(|r| r.name == plural),
            Err(_) => false,
        };
        if has {
            return if i == 0 { Served::Preferred } else { Served::Older(gv.to_string()) };
        }
    }
    Served::Missing
}

fn push_status(
    statuses: &Statuses,
    kind: &'static str,
    api_version: &str,
    state: KindState,
    error: Option<String>,
) -> usize {
    let mut s = statuses.lock();
    s.push(KindStatus {
        kind,
        api_version: api_version.into(),
        state,
        last_sync: None,
        error,
        forbidden: false,
        error_at: None,
    });
    let index = s.len() - 1;
    drop(s);
    statuses.touch();
    index
}

fn update(statuses: &Statuses, index: usize, f: impl FnOnce(&mut KindStatus)) {
    let mut s = statuses.lock();
    if let Some(st) = s.get_mut(index) {
        f(st);
    }
    drop(s);
    statuses.touch();
}

/// The state a watch error leaves a kind in, why, and whether RBAC forbade it.
fn watch_error_state(e: &watcher::Error) -> (KindState, String, bool) {
    let api = match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.as_ref()),
        watcher::Error::WatchError(s) => Some(s.as_ref()),
        _ => None,
    };
    match api {
        Some(s) if s.code == 403 => (KindState::Unavailable, format!("forbidden by RBAC: {}", s.message), true),
        Some(s) if s.code == 404 => (KindState::Unavailable, "not served by this cluster".into(), false),
        _ => (KindState::Stale, e.to_string(), false),
    }
}

/// Drives a watcher stream, keeping the kind's status current.
/// Cluster text is redacted once, as it enters the cache: annotation values
/// (a `last-applied-configuration` can carry a Secret's data), event
/// messages, and the status messages of pods and Jobs (a container's
/// waiting or termination message, a condition's); everything read from the
/// cache is then safe to show.
fn scrub<K: Resource + 'static>(o: &mut K) {
    scrub_meta(o.meta_mut());
    let any = o as &mut dyn std::any::Any;
    if let Some(ev) = any.downcast_mut::<Event>() {
        scrub_text(ev.message.as_mut());
    } else if let Some(status) = any.downcast_mut::<Pod>().and_then(|p| p.status.as_mut()) {
        status.conditions.iter_mut().flatten().for_each(|c| scrub_text(c.message.as_mut()));
        let containers = [&mut status.container_statuses, &mut status.init_container_statuses];
        for c in containers.into_iter().flatten().flatten() {
            for state in [c.state.as_mut(), c.last_state.as_mut()].into_iter().flatten() {
                scrub_text(state.waiting.as_mut().and_then(|w| w.message.as_mut()));
                scrub_text(state.terminated.as_mut().and_then(|t| t.message.as_mut()));
            }
        }
    } else if let Some(status) = any.downcast_mut::<Job>().and_then(|j| j.status.as_mut()) {
        status.conditions.iter_mut().flatten().for_each(|c| scrub_text(c.message.as_mut()));
    }
}

fn scrub_text(text: Option<&mut String>) {
    if let Some(t) = text {
        if let std::borrow::Cow::Owned(r) = kubeask_insight::redact::redact(t) {
            *t = r;
        }
    }
}

fn scrub_meta(meta: &mut kube::api::ObjectMeta) {
    for (key, value) in meta.annotations.iter_mut().flatten() {
        if key == "kubectl.kubernetes.io/last-applied-configuration" && value.contains("\"Secret\"") {
            *value = kubeask_insight::redact::MASK.to_string();
        } else if let std::borrow::Cow::Owned(r) = kubeask_insight::redact::redact(value) {
            *value = r;
        }
    }
}

fn drive<T, S>(stream: S, statuses: Statuses, index: usize, generation: Generation) -> JoinHandle<()>
where
    S: futures::Stream<Item = Result<watcher::Event<T>, watcher::Error>> + Send + 'static,
    T: Send + 'static,
{
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            if matches!(ev, Ok(watcher::Event::InitDone) | Ok(watcher::Event::Apply(_)) | Ok(watcher::Event::Delete(_)))
            {
                bump(&generation);
            }
            match ev {
                Ok(watcher::Event::InitDone) => update(&statuses, index, |s| {
                    s.state = KindState::Ready;
                    s.last_sync = Some(Timestamp::now());
                    s.error = None;
                    s.forbidden = false;
                }),
                Ok(watcher::Event::Apply(_)) | Ok(watcher::Event::Delete(_)) => update(&statuses, index, |s| {
                    if s.state == KindState::Ready {
                        s.last_sync = Some(Timestamp::now());
                    }
                }),
                Ok(_) => {}
                Err(e) => {
                    let (state, msg, forbidden) = watch_error_state(&e);
                    tracing::debug!(kind = index, error = %msg, "cache watch error");
                    update(&statuses, index, |s| {
                        // NB: a kind that never synced stays "syncing" on a
                        // transient error; it only becomes stale once it has
                        // data that may now be out of date.
                        s.state = match (state, s.last_sync) {
                            (KindState::Stale, None) => KindState::Syncing,
                            (st, _) => st,
                        };
                        s.error = Some(msg);
                        s.forbidden = forbidden;
                        s.error_at = Some(std::time::Instant::now());
                    });
                }
            }
        }
    })
}

/// A watch that resumes after an outage yields no event, so "stale" would
/// stick on a quiet kind. While anything is stale, this probes the server;
/// once it answers, a stale kind that has had no error for longer than the
/// longest retry delay must have its watch back up, and is marked ready.
async fn probe_recovery(client: kube::Client, statuses: Statuses) {
    let settle = QuickBackoff::MAX + Duration::from_secs(1);
    let mut reachable_since: Option<std::time::Instant> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let any_stale = statuses.lock().iter().any(|k| k.state == KindState::Stale);
        if !any_stale {
            reachable_since = None;
            continue;
        }
        match tokio::time::timeout(Duration::from_secs(3), client.apiserver_version()).await {
            Ok(Ok(_)) => {
                let since = *reachable_since.get_or_insert_with(std::time::Instant::now);
                let mut s = statuses.lock();
                for k in s.iter_mut().filter(|k| k.state == KindState::Stale) {
                    let quiet = k.error_at.is_none_or(|t| t.elapsed() > settle);
                    if quiet && since.elapsed() > settle {
                        k.state = KindState::Ready;
                        k.last_sync = Some(Timestamp::now());
                        k.error = None;
                    }
                }
                drop(s);
                statuses.touch();
            }
            _ => reachable_since = None,
        }
    }
}

struct Builder<'a> {
    conn: &'a Connection,
    statuses: Statuses,
    generation: Generation,
    tasks: Vec<JoinHandle<()>>,
}

impl Builder<'_> {
    fn typed<K>(&mut self) -> Source<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let api_version = K::api_version(&()).into_owned();
        let index = push_status(&self.statuses, static_kind::<K>(), &api_version, KindState::Syncing, None);
        let (reader, writer) = reflector::store();
        let api: Api<K> = Api::all(self.conn.client.clone());
        let stream =
            watcher(api, watcher::Config::default()).modify(scrub::<K>).backoff(QuickBackoff::new()).reflect(writer);
        self.tasks.push(drive(stream, self.statuses.clone(), index, self.generation.clone()));
        Source::Typed(reader)
    }

    async fn versioned<K>(&mut self, gvs: &[&str], plural: &str) -> Source<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        match served(&self.conn.client, gvs, plural).await {
            Served::Preferred => self.typed::<K>(),
            Served::Older(gv) => {
                let index = push_status(&self.statuses, static_kind::<K>(), &gv, KindState::Syncing, None);
                let (group, version) = gv.split_once('/').unwrap_or(("", gv.as_str()));
                let ar = ApiResource {
                    group: group.into(),
                    version: version.into(),
                    api_version: gv.clone(),
                    kind: K::kind(&()).into_owned(),
                    plural: plural.into(),
                };
                let writer = reflector::store::Writer::new(ar.clone());
                let reader = writer.as_reader();
                let api: Api<DynamicObject> = Api::all_with(self.conn.client.clone(), &ar);
                let stream = watcher(api, watcher::Config::default())
                    .modify(|o: &mut DynamicObject| scrub_meta(&mut o.metadata))
                    .backoff(QuickBackoff::new())
                    .reflect(writer);
                self.tasks.push(drive(stream, self.statuses.clone(), index, self.generation.clone()));
                Source::Dynamic(reader, K::api_version(&()).into_owned())
            }
            Served::Missing => {
                push_status(
                    &self.statuses,
                    static_kind::<K>(),
                    gvs[0],
                    KindState::Unavailable,
                    Some("not served by this cluster".into()),
                );
                Source::None
            }
        }
    }

    async fn polled<K>(&mut self) -> Source<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let gv = K::api_version(&()).into_owned();
        if let Served::Missing = served(&self.conn.client, &[&gv], &K::plural(&())).await {
            push_status(
                &self.statuses,
                static_kind::<K>(),
                &gv,
                KindState::Unavailable,
                Some("metrics-server is not installed".into()),
            );
            return Source::None;
        }
        let index = push_status(&self.statuses, static_kind::<K>(), &gv, KindState::Syncing, None);
        let items = Arc::new(Mutex::new(Vec::new()));
        let (out, statuses, api) = (items.clone(), self.statuses.clone(), Api::<K>::all(self.conn.client.clone()));
        let generation = self.generation.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                match api.list(&ListParams::default()).await {
                    Ok(list) => {
                        *out.lock().unwrap_or_else(|e| e.into_inner()) = list.items.into_iter().map(Arc::new).collect();
                        bump(&generation);
                        update(&statuses, index, |s| {
                            s.state = KindState::Ready;
                            s.last_sync = Some(Timestamp::now());
                            s.error = None;
                        });
                    }
                    Err(e) => update(&statuses, index, |s| {
                        s.state = if s.last_sync.is_some() { KindState::Stale } else { KindState::Syncing };
                        s.error = Some(e.to_string());
                    }),
                }
                tokio::time::sleep(METRICS_EVERY).await;
            }
        }));
        Source::Polled(items)
    }
}

impl Builder<'_> {
    /// Secrets, metadata only: their values never enter the cache. An Api
    /// of `PartialObjectMeta` makes kube ask the server for metadata only
    /// (`as=PartialObjectMetadataList`), so values never cross the wire
    /// either (Helm release Secrets are megabytes each).
    fn secret_metadata(&mut self) -> Store<kube::core::PartialObjectMeta<Secret>> {
        let index = push_status(&self.statuses, "Secret", "v1", KindState::Syncing, None);
        let (reader, writer) = reflector::store();
        let api: Api<kube::core::PartialObjectMeta<Secret>> = Api::all(self.conn.client.clone());
        let stream = watcher(api, watcher::Config::default())
            .modify(|s: &mut kube::core::PartialObjectMeta<Secret>| scrub_meta(&mut s.metadata))
            .backoff(QuickBackoff::new())
            .reflect(writer);
        self.tasks.push(drive(stream, self.statuses.clone(), index, self.generation.clone()));
        reader
    }
}

fn static_kind<K: Resource<DynamicType = ()>>() -> &'static str {
    // NB: kinds of k8s-openapi types are static strings; leak-free because
    // `Cow::Borrowed` is what they return.
    match K::kind(&()) {
        std::borrow::Cow::Borrowed(s) => s,
        std::borrow::Cow::Owned(_) => "Unknown",
    }
}

impl ClusterCache {
    /// Starts watching every kind of `conn`'s cluster. Returns at once;
    /// use [`ClusterCache::wait_ready`] to wait for the first sync.
    pub async fn start(conn: Connection) -> Self {
        let statuses: Statuses = Board::new();
        let generation: Generation = Arc::new(watch::channel(0).0);
        let mut b =
            Builder { conn: &conn, statuses: statuses.clone(), generation: generation.clone(), tasks: Vec::new() };
        let namespaces = b.typed();
        let nodes = b.typed();
        let pods = b.typed();
        let deployments = b.typed();
        let replica_sets = b.typed();
        let stateful_sets = b.typed();
        let daemon_sets = b.typed();
        let jobs = b.typed();
        let cron_jobs = b.versioned(&["batch/v1", "batch/v1beta1"], "cronjobs").await;
        let services = b.typed();
        let endpoints = b.typed();
        let ingresses = b.versioned(&["networking.k8s.io/v1"], "ingresses").await;
        let pvcs = b.typed();
        let pvs = b.typed();
        let events = b.typed();
        let hpas = b.versioned(&["autoscaling/v2", "autoscaling/v2beta2"], "horizontalpodautoscalers").await;
        let config_maps = b.typed();
        let service_accounts = b.typed();
        let roles = b.typed();
        let cluster_roles = b.typed();
        let role_bindings = b.typed();
        let cluster_role_bindings = b.typed();
        let network_policies = b.typed();
        let secrets = Some(b.secret_metadata());
        let node_metrics = b.polled().await;
        let pod_metrics = b.polled().await;
        let version = Arc::new(Mutex::new(None));
        let (client, v) = (conn.client.clone(), version.clone());
        b.tasks.push(tokio::spawn(async move {
            if let Ok(info) = client.apiserver_version().await {
                *v.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.git_version);
            }
        }));
        b.tasks.push(tokio::spawn(probe_recovery(conn.client.clone(), statuses.clone())));
        let tasks = b.tasks;
        Self {
            conn,
            generation,
            statuses,
            tasks,
            version,
            namespaces,
            nodes,
            pods,
            deployments,
            replica_sets,
            stateful_sets,
            daemon_sets,
            jobs,
            cron_jobs,
            services,
            endpoints,
            ingresses,
            pvcs,
            pvs,
            events,
            hpas,
            config_maps,
            service_accounts,
            roles,
            cluster_roles,
            role_bindings,
            cluster_role_bindings,
            network_policies,
            secrets,
            node_metrics,
            pod_metrics,
        }
    }

    /// A number that changes whenever the cached data changes.
    pub fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    /// Fires whenever the cached data changes (the value is
    /// [`ClusterCache::generation`]): for views that redraw on change.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// The connection the cache reads through.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Current status of every kind.
    pub fn status(&self) -> CacheStatus {
        let kinds = self.statuses.lock().clone();
        let available = kinds.iter().filter(|k| k.state != KindState::Unavailable);
        let state = if available.clone().any(|k| k.state == KindState::Stale) {
            KindState::Stale
        } else if available.clone().any(|k| k.state == KindState::Syncing) {
            KindState::Syncing
        } else {
            KindState::Ready
        };
        CacheStatus { context: self.conn.context.clone(), state, kinds }
    }

    /// Waits until every available kind has synced once, or `timeout`.
    /// Returns the status either way.
    pub async fn wait_ready(&self, timeout: Duration) -> CacheStatus {
        let deadline = tokio::time::Instant::now() + timeout;
        // NB: subscribed before looking, so a change in between is not missed.
        let mut changed = self.statuses.changed.subscribe();
        loop {
            let status = self.status();
            if status.state == KindState::Ready {
                return status;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                _ => return self.status(),
            }
        }
    }

    /// A consistent-enough view of every cached object, for the read tools.
    pub fn snapshot(&self) -> Snapshot {
        let secrets = self
            .secrets
            .as_ref()
            .map(|s| {
                s.state()
                    .iter()
                    .map(|m| Arc::new(Secret { metadata: m.metadata.clone(), ..Default::default() }))
                    .collect()
            })
            .unwrap_or_default();
        Snapshot {
            now: None,
            namespaces: self.namespaces.items(),
            nodes: self.nodes.items(),
            pods: self.pods.items(),
            deployments: self.deployments.items(),
            replica_sets: self.replica_sets.items(),
            stateful_sets: self.stateful_sets.items(),
            daemon_sets: self.daemon_sets.items(),
            jobs: self.jobs.items(),
            cron_jobs: self.cron_jobs.items(),
            services: self.services.items(),
            endpoints: self.endpoints.items(),
            ingresses: self.ingresses.items(),
            pvcs: self.pvcs.items(),
            pvs: self.pvs.items(),
            events: self.events.items(),
            hpas: self.hpas.items(),
            config_maps: self.config_maps.items(),
            secrets,
            service_accounts: self.service_accounts.items(),
            roles: self.roles.items(),
            cluster_roles: self.cluster_roles.items(),
            role_bindings: self.role_bindings.items(),
            cluster_role_bindings: self.cluster_role_bindings.items(),
            network_policies: self.network_policies.items(),
            unreadable: self
                .statuses
                .lock()
                .iter()
                .filter(|k| k.state == KindState::Unavailable)
                .map(|k| (k.kind.to_string(), k.error.clone().unwrap_or_else(|| "not served".into())))
                .collect(),
            node_metrics: self.node_metrics.items(),
            pod_metrics: self.pod_metrics.items(),
            server_version: self.version.lock().ok().and_then(|v| v.clone()),
            ..Default::default()
        }
    }

    /// Reads a container's log straight from the API server (logs are not
    /// cached).
    #[tracing::instrument(skip(self), fields(context = %self.conn.context), err(level = "debug"))]
    pub async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        previous: bool,
        tail: Option<i64>,
    ) -> Result<String, ContextError> {
        let api: Api<Pod> = Api::namespaced(self.conn.client.clone(), namespace);
        let params =
            LogParams { container: container.map(str::to_string), previous, tail_lines: tail, ..Default::default() };
        api.logs(pod, &params).await.map_err(|e| self.conn.explain(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_of_pods_and_jobs_are_redacted_on_the_way_in() {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p"},
            "status": {"containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "CreateContainerConfigError", "message": "bad env password=hunter2"}}}]}
        }))
        .unwrap();
        scrub(&mut pod);
        let shown = serde_json::to_string(&pod).unwrap();
        assert!(!shown.contains("hunter2") && shown.contains("bad env"), "{shown}");
        let mut job: Job = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "j"},
            "status": {"conditions": [{"type": "Failed", "status": "True", "message": "exit: token=hunter2"}]}
        }))
        .unwrap();
        scrub(&mut job);
        assert!(!serde_json::to_string(&job).unwrap().contains("hunter2"));
    }
}
