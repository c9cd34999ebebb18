//! The own history: the sampler records what the demo's metrics-server
//! reports, the store keeps to its size cap through a simulated week at
//! 10,000 pods and keeps its history across a restart, and the demo's
//! Prometheus (the fixture's past) is found through the service proxy and
//! serves the planted leak.

use std::time::Duration;

use kubeask_cluster::cache::ClusterCache;
use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::history::prometheus::Prometheus;
use kubeask_cluster::history::sampler::{claims_in_summary, sample_once, volume_samples, Seen};
use kubeask_cluster::history::store::{HistoryStore, SeriesFilter, RAW_KEEP};
use kubeask_insight::history::{Metric, Point, Scope, SeriesKey};

use crate::support::*;

fn file_bytes(path: &std::path::Path) -> u64 {
    let wal = path.with_extension("sqlite-wal");
    std::fs::metadata(path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
}

#[test]
fn a_simulated_week_at_10000_pods_stays_under_the_cap_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    // NB: small enough that a week of 20,000 series must shed its oldest blobs.
    let cap = 6 * 1024 * 1024;
    let keys: Vec<SeriesKey> = (0..10_000)
        .flat_map(|i| {
            let pod = format!("app-{}-{i:05}", i % 97);
            [Metric::Cpu, Metric::Memory].map(|m| SeriesKey::container(m, &format!("ns-{}", i % 40), &pod, "app"))
        })
        .collect();
    let start = 1_764_000_000 - 1_764_000_000 % 86_400;
    let week = 7 * 86_400;
    let step = 6 * 3600;
    {
        let store = HistoryStore::open(&path).unwrap().with_cap(cap);
        let mut t = start;
        while t <= start + week {
            let samples = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k, Point { t, v: (i % 1000) as f64 + (t - start) as f64 / 3600.0 }));
            store.record_points("big", samples).unwrap();
            let m = store.maintain(t + 1).unwrap();
            assert!(m.bytes <= cap, "at {t}: {} bytes in use", m.bytes);
            assert!(file_bytes(&path) <= cap + 4 * 1024 * 1024, "at {t}: file {} bytes", file_bytes(&path));
            t += step;
        }
    }
    // Reopened, like the app after a restart: the newest samples are there
    // at full resolution, older ones as five-minute means, the oldest gone.
    let store = HistoryStore::open(&path).unwrap().with_cap(cap);
    let end = start + week;
    let one = SeriesFilter {
        metric: Some(Metric::Memory),
        namespace: Some("ns-7".into()),
        pods: Some(vec!["app-7-00007".into()]),
        nodes: None,
    };
    let recent = store.series("big", &one, end - RAW_KEEP, end).unwrap();
    assert_eq!(recent.len(), 1);
    let last = recent[0].points.last().unwrap();
    assert_eq!(last.t, end);
    // Pod 7's memory series is the 16th key: 15 + the hours since the start.
    assert!((last.v - (15.0 + 168.0)).abs() < 0.01, "{last:?}");
    let (oldest, newest) = store.span("big").unwrap().unwrap();
    assert!(newest >= end && oldest > start, "the cap dropped the oldest samples: {oldest} .. {newest}");
    assert!(file_bytes(&path) <= cap + 4 * 1024 * 1024);
}

#[test]
fn samples_are_packed_then_rolled_up_into_five_minute_means() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
    let key = SeriesKey::container(Metric::Cpu, "shop", "web-1", "web");
    let t0 = 1_764_000_000; // on the hour
    for i in 0..(8 * 240) {
        store.record("c", t0 + i * 15, &[(key.clone(), (i % 20) as f64)]).unwrap();
    }
    let now = t0 + 8 * 3600;
    let m = store.maintain(now).unwrap();
    assert!(m.packed > 0 && m.rolled_up == 2, "{m:?}");
    let all = store.series("c", &SeriesFilter::default(), t0, now).unwrap();
    let pts = &all[0].points;
    let (old, new): (Vec<&Point>, Vec<&Point>) = pts.iter().partition(|p| p.t < now - RAW_KEEP);
    assert_eq!(old.len(), 2 * 12, "two hours of five-minute means");
    assert!(old.iter().all(|p| (p.v - 9.5).abs() < 1e-6), "means of 0..19: {old:?}");
    assert_eq!(new.len(), 6 * 240, "six hours at full resolution");
}

#[tokio::test]
async fn the_sampler_records_every_container_the_metrics_server_reports() {
    let demo = start().await;
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let cache = ClusterCache::start(contexts.connect(None).await.unwrap()).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
    let snap = cache.snapshot();
    let n = sample_once(&store, "demo", &snap, &mut Seen::default()).unwrap();
    let containers: usize = objects("PodMetrics").iter().map(|p| p["containers"].as_array().unwrap().len()).sum();
    let statuses: Vec<(String, String, f64)> = objects("Pod")
        .iter()
        .flat_map(|p| {
            let pod = p["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let list = p["status"]["containerStatuses"].as_array().cloned().unwrap_or_default();
            list.into_iter().map(move |c| {
                (
                    pod.clone(),
                    c["name"].as_str().unwrap_or_default().to_string(),
                    c["restartCount"].as_f64().unwrap_or(0.0),
                )
            })
        })
        .collect();
    assert_eq!(n, 2 * containers + 2 * objects("NodeMetrics").len() + statuses.len());
    let mem = SeriesFilter { metric: Some(Metric::Memory), nodes: Some(false), ..Default::default() };
    let series = store.series("demo", &mem, 0, i64::MAX).unwrap();
    assert_eq!(series.len(), containers);
    // Every container's restart count, read only when asked for by name.
    let restarts = SeriesFilter { metric: Some(Metric::Restarts), ..Default::default() };
    let counts = store.series("demo", &restarts, 0, i64::MAX).unwrap();
    assert_eq!(counts.len(), statuses.len());
    let most = statuses.iter().max_by(|a, b| a.2.total_cmp(&b.2)).unwrap();
    let stored = counts.iter().find(
        |s| matches!(&s.key.scope, Scope::Container { pod, container, .. } if *pod == most.0 && *container == most.1),
    );
    assert_eq!(stored.map(|s| s.points[0].v), Some(most.2), "{most:?}");
    let usage = store.series("demo", &SeriesFilter::default(), 0, i64::MAX).unwrap();
    assert!(usage.iter().all(|s| s.key.metric != Metric::Restarts));
    // The events past their TTL: kept, and not kept twice.
    assert!(!store.entries("demo", 0).unwrap().is_empty());
    let mut seen = Seen::default();
    assert!(!seen.fresh(&snap).is_empty());
    assert!(seen.fresh(&snap).is_empty(), "a second tick stores nothing new");
}

#[tokio::test]
async fn the_sampler_reads_each_claims_volume_from_the_kubelets() {
    let demo = start().await;
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let conn = contexts.connect(None).await.unwrap();
    let cache = ClusterCache::start(conn.clone()).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let samples = volume_samples(&conn.client, &cache.snapshot()).await.unwrap();
    let value = |m: Metric, claim: &str| {
        samples
            .iter()
            .find(|(k, _)| k.metric == m && matches!(&k.scope, Scope::Volume { claim: c, .. } if c == claim))
            .map(|(_, p)| p.v)
    };
    // The planted claim is 82% full (metrics.yaml); every bound claim is read once.
    let (used, cap) = (
        value(Metric::VolumeUsed, "data-mongodb-0").unwrap(),
        value(Metric::VolumeCapacity, "data-mongodb-0").unwrap(),
    );
    assert!((used / cap - 0.82).abs() < 0.01, "{used} of {cap}");
    let bound = objects("PersistentVolumeClaim").iter().filter(|c| c["status"]["phase"] == "Bound").count();
    assert_eq!(samples.len(), 2 * bound, "{samples:?}");
    // Stored, they are the own source's volumes.
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(HistoryStore::open(&dir.path().join("h.sqlite")).unwrap());
    store.record_points("demo", samples.iter().map(|(k, p)| (k, *p))).unwrap();
    let source = kubeask_cluster::history::Source::Own { store, context: "demo".into() };
    let now = jiff::Timestamp::now().as_second();
    let volumes = source.volumes(Some("data"), now - 600, now + 60).await.unwrap();
    assert!(
        volumes.iter().any(|v| v.claim == "data-mongodb-0" && v.capacity == cap && v.used.len() == 1),
        "{volumes:?}"
    );
}

proptest::proptest! {
    #[test]
    fn a_kubelet_summary_of_any_text_never_panics(text in "\\PC{0,200}") {
        let _ = claims_in_summary(&text);
    }

    #[test]
    fn every_claim_of_a_summary_is_read(used in 0u64..1 << 40, cap in 1u64..1 << 40, name in "[a-z0-9-]{1,20}") {
        let text = serde_json::json!({"pods": [{"volume": [
            {"name": "data", "usedBytes": used, "capacityBytes": cap, "pvcRef": {"name": name, "namespace": "ns"}},
            {"name": "tmp", "usedBytes": 1}
        ]}]}).to_string();
        proptest::prop_assert_eq!(claims_in_summary(&text), vec![("ns".to_string(), name, used as f64, cap as f64)]);
    }
}

#[tokio::test]
async fn the_demo_prometheus_is_found_through_the_service_proxy_and_shows_the_leak() {
    let demo = start().await;
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let conn = contexts.connect(None).await.unwrap();
    let cache = ClusterCache::start(conn.clone()).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let prom = Prometheus::discover(&conn.client, &cache.snapshot()).await.expect("found monitoring/prometheus");
    assert!(prom.target().describe().contains("monitoring/prometheus:9090"));
    let now = jiff::Timestamp::now().as_second();
    let series = prom.series(Metric::Memory, Some("payments"), now - 3 * 3600, now).await.unwrap();
    let leak = series
        .iter()
        .find(|s| matches!(&s.key.scope, Scope::Container { pod, .. } if pod.ends_with("x6t8p")))
        .expect("payments-api series");
    let (first, last) = (leak.points.first().unwrap().v, leak.points.last().unwrap().v);
    assert!(last > first * 1.12, "memory grew over three hours: {first} → {last}");
    assert!(series
        .iter()
        .all(|s| matches!(&s.key.scope, Scope::Container { namespace, .. } if namespace == "payments")));
}
