//! The live cache against the demo server: sync, watch-driven changes,
//! recovery after the server restarts, RBAC-forbidden kinds.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kubeask_cluster::cache::{ClusterCache, KindState};
use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::demo::{DemoOptions, DemoServer};

use crate::support::*;

async fn cache_for(demo: &Demo) -> ClusterCache {
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let conn = contexts.connect(None).await.unwrap();
    ClusterCache::start(conn).await
}

async fn eventually(what: &str, within: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn the_cache_syncs_every_kind_of_the_demo_cluster() {
    let demo = start().await;
    let cache = cache_for(&demo).await;
    let status = cache.wait_ready(Duration::from_secs(10)).await;
    assert_eq!(status.state, KindState::Ready, "{status:?}");
    assert!(status.kinds.iter().all(|k| k.state == KindState::Ready), "{status:?}");
    let snap = cache.snapshot();
    assert_eq!(snap.pods.len(), objects("Pod").len());
    assert_eq!(snap.events.len(), objects("Event").len());
    assert_eq!(snap.pod_metrics.len(), objects("PodMetrics").len());
    assert_eq!(snap.cron_jobs.len(), objects("CronJob").len());
    assert_eq!(snap.secrets.len(), objects("Secret").len());
    assert!(
        snap.secrets.iter().all(|s| s.data.is_none() && s.string_data.is_none()),
        "secret values leaked into the cache"
    );
}

#[tokio::test]
async fn a_scale_change_and_a_deleted_pod_show_in_the_cache_within_a_second() {
    let demo = start().await;
    let cache = cache_for(&demo).await;
    cache.wait_ready(Duration::from_secs(10)).await;
    let client = demo.client().await;
    let d = objects("Deployment").into_iter().next().unwrap();
    let deps: Api<Deployment> = Api::namespaced(client.clone(), &namespace(&d));
    deps.patch_scale(&name(&d), &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": {"replicas": 7}})))
        .await
        .unwrap();
    let took = eventually("scale visible", Duration::from_secs(1), || {
        cache.snapshot().deployments.iter().any(|x| {
            x.metadata.name.as_deref() == Some(name(&d).as_str()) && x.spec.as_ref().and_then(|s| s.replicas) == Some(7)
        })
    })
    .await;
    eprintln!("scale change visible in the cache after {took:?}");
    let victim = objects("Pod").into_iter().next().unwrap();
    let pods: Api<Pod> = Api::namespaced(client, &namespace(&victim));
    pods.delete(&name(&victim), &DeleteParams::default()).await.unwrap();
    eventually("delete visible", Duration::from_secs(1), || {
        !cache.snapshot().pods.iter().any(|p| {
            p.metadata.name.as_deref() == Some(name(&victim).as_str())
                && p.metadata.namespace.as_deref() == Some(namespace(&victim).as_str())
                && p.metadata.uid.as_deref() == victim["metadata"]["uid"].as_str()
        })
    })
    .await;
}

#[tokio::test]
async fn the_cache_goes_stale_when_the_server_stops_and_recovers_when_it_returns() {
    let demo = start().await;
    let cache = cache_for(&demo).await;
    assert_eq!(cache.wait_ready(Duration::from_secs(10)).await.state, KindState::Ready);
    let identity = demo.server.identity().clone();
    let port = demo.server.addr().port();
    let kubeconfig = demo.kubeconfig();
    let Demo { server, dir } = demo;
    server.stop().await;
    eventually("stale after stop", Duration::from_secs(15), || cache.status().state == KindState::Stale).await;
    assert!(!cache.snapshot().pods.is_empty(), "stale data is kept, not dropped");
    let mut opts = DemoOptions::new(fixture());
    opts.port = port;
    opts.identity = Some(identity);
    opts.kubeconfig_path = Some(kubeconfig);
    let restarted = DemoServer::start(opts).await.expect("restart on the same port");
    let took =
        eventually("ready after restart", Duration::from_secs(20), || cache.status().state == KindState::Ready).await;
    eprintln!("cache recovered {took:?} after the server came back");
    assert_eq!(cache.snapshot().pods.len(), objects("Pod").len());
    restarted.stop().await;
    drop(dir);
}

#[tokio::test]
async fn a_kind_forbidden_by_rbac_is_unavailable_and_the_rest_is_ready() {
    let mut f = fixture();
    f.rbac = Some(
        serde_yaml::from_str("rules:\n- verbs: [list, watch]\n  resources: [secrets]\n  allowed: false\n").unwrap(),
    );
    let demo = start_with(f).await;
    let cache = cache_for(&demo).await;
    let ready = eventually("ready", Duration::from_secs(10), || {
        let s = cache.status();
        s.state == KindState::Ready && s.kinds.iter().any(|k| k.kind == "Secret" && k.state == KindState::Unavailable)
    });
    ready.await;
    let status = cache.status();
    let secret = status.kinds.iter().find(|k| k.kind == "Secret").unwrap();
    assert!(secret.error.as_deref().unwrap_or("").contains("forbidden"), "{secret:?}");
    assert_eq!(cache.snapshot().pods.len(), objects("Pod").len());
}

/// Secrets are cached through a metadata-only watch: the server is asked
/// for `PartialObjectMetadata` (never the values), and the names are there.
#[tokio::test]
async fn secrets_are_listed_and_watched_as_metadata_only() {
    let demo = start().await;
    let cache = cache_for(&demo).await;
    assert_eq!(cache.wait_ready(Duration::from_secs(10)).await.state, KindState::Ready);
    let snap = cache.snapshot();
    assert_eq!(snap.secrets.len(), objects("Secret").len());
    let secret_requests: Vec<String> = demo.server.requests().into_iter().filter(|r| r.contains("/secrets")).collect();
    assert!(!secret_requests.is_empty(), "the cache never asked for secrets");
    for r in &secret_requests {
        assert!(r.contains("as=PartialObjectMetadata"), "a full Secret request: {r}");
    }
}
