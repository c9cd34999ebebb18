//! The own sampler: every 15 s, the metrics of an open context's cache
//! (metrics.k8s.io per container and node) and what its timeline shows
//! (events, restarts, rollouts) and each container's restart count go
//! into the history store; every five minutes, each bound claim's volume
//! use from the kubelets' stats summaries.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kubeask_insight::history::timeline::{from_snapshot, Entry};
use kubeask_insight::history::{Metric, Point, SeriesKey};
use kubeask_insight::snapshot::Snapshot;
use kubeask_insight::text::{cpu_millis, mem_bytes};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::store::HistoryStore;
use crate::cache::ClusterCache;

/// How often a context is sampled.
pub const EVERY: Duration = Duration::from_secs(15);
/// How often the store is packed and trimmed.
const MAINTAIN_EVERY: u32 = 20;
/// How often volumes are read from the kubelets (every 5 minutes: one
/// request per node, and volumes fill slowly).
const VOLUMES_EVERY: u32 = 20;
/// How long one kubelet may take to answer.
const KUBELET_DEADLINE: Duration = Duration::from_secs(10);

#[derive(serde::Deserialize)]
struct Summary {
    #[serde(default)]
    pods: Vec<PodStats>,
}

#[derive(serde::Deserialize)]
struct PodStats {
    #[serde(default)]
    volume: Vec<VolumeStats>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeStats {
    #[serde(default)]
    used_bytes: Option<u64>,
    #[serde(default)]
    capacity_bytes: Option<u64>,
    #[serde(default)]
    pvc_ref: Option<PvcRef>,
}

#[derive(serde::Deserialize)]
struct PvcRef {
    name: String,
    namespace: String,
}

/// The claims' volumes in a kubelet's stats summary
/// (`/stats/summary`): (namespace, claim, used bytes, capacity bytes).
/// Anything else in it (or anything malformed) is ignored.
pub fn claims_in_summary(text: &str) -> Vec<(String, String, f64, f64)> {
    let Ok(summary) = serde_json::from_str::<Summary>(text) else { return Vec::new() };
    summary
        .pods
        .into_iter()
        .flat_map(|p| p.volume)
        .filter_map(|v| {
            let pvc = v.pvc_ref?;
            Some((pvc.namespace, pvc.name, v.used_bytes? as f64, v.capacity_bytes? as f64))
        })
        .collect()
}

/// Each bound claim's used bytes and capacity now, from the stats summary
/// of every Ready node's kubelet (through the API server's node proxy, four
/// at a time; a node that fails or takes over 10 s is left out). `Err`
/// when the API server refuses the node proxy itself (no RBAC for it).
pub async fn volume_samples(client: &kube::Client, snap: &Snapshot) -> Result<Vec<(SeriesKey, Point)>, String> {
    use futures::StreamExt;
    let nodes: Vec<String> = snap
        .nodes
        .iter()
        .filter(|n| kubeask_insight::state::node_ready(n))
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let now = jiff::Timestamp::now().as_second();
    let replies: Vec<Result<String, kube::Error>> = futures::stream::iter(nodes)
        .map(|node| async move {
            let req = http::Request::get(format!("/api/v1/nodes/{node}/proxy/stats/summary"))
                .body(Vec::new())
                .map_err(kube::Error::HttpError)?;
            match tokio::time::timeout(KUBELET_DEADLINE, client.request_text(req)).await {
                Ok(r) => r,
                Err(_) => Ok(String::new()),
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut claims = std::collections::BTreeMap::new();
    for reply in replies {
        match reply {
            Ok(text) => claims.extend(claims_in_summary(&text).into_iter().map(|(ns, c, u, cap)| ((ns, c), (u, cap)))),
            Err(kube::Error::Api(e)) if e.code == 403 => return Err(e.message),
            Err(e) => tracing::debug!("a kubelet's stats summary: {e}"),
        }
    }
    Ok(claims
        .into_iter()
        .flat_map(|((ns, claim), (used, cap))| {
            [
                (SeriesKey::volume(Metric::VolumeUsed, &ns, &claim), Point { t: now, v: used }),
                (SeriesKey::volume(Metric::VolumeCapacity, &ns, &claim), Point { t: now, v: cap }),
            ]
        })
        .collect())
}

/// The samples a snapshot's metrics hold: CPU (cores) and memory (bytes)
/// per container and per node, each at the time metrics-server took it.
pub fn samples_of(snap: &Snapshot) -> Vec<(SeriesKey, Point)> {
    let now = snap.now().as_second();
    let mut out = Vec::new();
    for pm in &snap.pod_metrics {
        let t = pm.timestamp.as_ref().map_or(now, |t| t.0.as_second());
        let ns = pm.metadata.namespace.as_deref().unwrap_or("");
        let pod = pm.metadata.name.as_deref().unwrap_or("");
        for c in &pm.containers {
            for (metric, v) in usage(&c.usage) {
                out.push((SeriesKey::container(metric, ns, pod, &c.name), Point { t, v }));
            }
        }
    }
    // Restart counts, for restart-rate jumps after a rollout.
    for p in &snap.pods {
        let ns = p.metadata.namespace.as_deref().unwrap_or("");
        let pod = p.metadata.name.as_deref().unwrap_or("");
        for cs in p.status.iter().flat_map(|s| s.container_statuses.iter().flatten()) {
            let key = SeriesKey::container(Metric::Restarts, ns, pod, &cs.name);
            out.push((key, Point { t: now, v: f64::from(cs.restart_count) }));
        }
    }
    for nm in &snap.node_metrics {
        let t = nm.timestamp.as_ref().map_or(now, |t| t.0.as_second());
        let node = nm.metadata.name.as_deref().unwrap_or("");
        for (metric, v) in usage(&nm.usage) {
            out.push((SeriesKey::node(metric, node), Point { t, v }));
        }
    }
    out
}

fn usage(
    u: &std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
) -> impl Iterator<Item = (Metric, f64)> + '_ {
    let cpu = u.get("cpu").map(|q| (Metric::Cpu, cpu_millis(&q.0) / 1000.0));
    let mem = u.get("memory").map(|q| (Metric::Memory, mem_bytes(&q.0)));
    cpu.into_iter().chain(mem)
}

/// The timeline entries stored at the last tick, so each tick writes only
/// what is new or changed (bounded by what one snapshot shows).
#[derive(Default)]
pub struct Seen(HashSet<(i64, String, String)>);

impl Seen {
    /// The entries of `snap` not stored at the last tick.
    pub fn fresh(&mut self, snap: &Snapshot) -> Vec<Entry> {
        let now: Vec<Entry> = from_snapshot(snap);
        let keys: HashSet<(i64, String, String)> =
            now.iter().map(|e| (e.time.as_second(), e.object.clone(), e.evidence.clone())).collect();
        let out = now
            .into_iter()
            .filter(|e| !self.0.contains(&(e.time.as_second(), e.object.clone(), e.evidence.clone())))
            .collect();
        self.0 = keys;
        out
    }
}

/// One tick: what the snapshot holds goes into the store.
pub fn sample_once(
    store: &HistoryStore,
    context: &str,
    snap: &Snapshot,
    seen: &mut Seen,
) -> Result<usize, super::store::StoreError> {
    let samples = samples_of(snap);
    store.record_points(context, samples.iter().map(|(k, p)| (k, *p)))?;
    store.keep_entries(context, &seen.fresh(snap))?;
    Ok(samples.len())
}

/// Samples `cache` every [`EVERY`] until the task is dropped or aborted.
pub fn spawn(cache: Arc<ClusterCache>, store: Arc<HistoryStore>, context: String) -> JoinHandle<()> {
    let span = tracing::info_span!("sampler", context = %context);
    tokio::spawn(
        async move {
            let mut seen = Seen::default();
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut kubelets = true;
            for n in 0u32.. {
                tick.tick().await;
                let snap = cache.snapshot();
                let volumes = match kubelets && n % VOLUMES_EVERY == 0 {
                    true => volume_samples(&cache.connection().client, &snap).await.unwrap_or_else(|e| {
                        // NB: asked once: without RBAC for nodes/proxy it stays refused.
                        tracing::info!("volume usage is not sampled: the node proxy is refused ({e})");
                        kubelets = false;
                        Vec::new()
                    }),
                    false => Vec::new(),
                };
                let (store2, ctx) = (store.clone(), context.clone());
                let result = tokio::task::spawn_blocking(move || {
                    let r = sample_once(&store2, &ctx, &snap, &mut seen);
                    if let Err(e) = store2.record_points(&ctx, volumes.iter().map(|(k, p)| (k, *p))) {
                        tracing::warn!("volume samples not stored: {e}");
                    }
                    if n % MAINTAIN_EVERY == 0 {
                        if let Err(e) = store2.maintain(jiff::Timestamp::now().as_second()) {
                            tracing::warn!("history maintenance failed: {e}");
                        }
                    }
                    (r, seen)
                })
                .await;
                match result {
                    Ok((r, s)) => {
                        seen = s;
                        match r {
                            Ok(n) => tracing::debug!(samples = n, "sampled"),
                            Err(e) => tracing::warn!("history sample not stored: {e}"),
                        }
                    }
                    Err(e) => {
                        tracing::warn!("history sampler stopped: {e}");
                        return;
                    }
                }
            }
        }
        .instrument(span),
    )
}
