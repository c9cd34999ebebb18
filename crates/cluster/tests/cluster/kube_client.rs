//! kube-rs — the client the app itself uses — against the demo server.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, LogParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::runtime::{reflector, watcher, WatchStreamExt};
use kubeask_cluster::metrics::PodMetrics;

use crate::support::*;

#[tokio::test]
async fn kube_lists_and_gets_typed_objects() {
    let demo = start().await;
    let client = demo.client().await;
    let pods: Api<Pod> = Api::all(client.clone());
    let list = pods.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), objects("Pod").len());
    let first = &objects("Pod")[0];
    let one: Api<Pod> = Api::namespaced(client.clone(), &namespace(first));
    let got = one.get(&name(first)).await.unwrap();
    assert_eq!(got.metadata.name.as_deref(), Some(name(first).as_str()));
    let nodes: Api<Node> = Api::all(client.clone());
    assert_eq!(nodes.list(&ListParams::default()).await.unwrap().items.len(), objects("Node").len());
    let metrics: Api<PodMetrics> = Api::all(client);
    assert_eq!(metrics.list(&ListParams::default()).await.unwrap().items.len(), objects("PodMetrics").len());
}

#[tokio::test]
async fn list_paging_with_limit_and_continue_visits_every_pod_once() {
    let demo = start().await;
    let pods: Api<Pod> = Api::all(demo.client().await);
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(7);
    loop {
        let page = pods.list(&params).await.unwrap();
        assert!(page.items.len() <= 7);
        names.extend(page.items.iter().filter_map(|p| p.metadata.name.clone()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => params = params.continue_token(&c),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(names.len(), objects("Pod").len());
    assert_eq!(unique.len(), names.len());
}

#[tokio::test]
async fn a_watch_sees_initial_objects_then_a_scale_change() {
    let demo = start().await;
    let client = demo.client().await;
    let d = objects("Deployment").into_iter().next().unwrap();
    let deps: Api<Deployment> = Api::namespaced(client, &namespace(&d));
    let list = deps.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let mut stream = deps.watch(&WatchParams::default().timeout(20), &rv).await.unwrap().boxed();
    deps.patch_scale(&name(&d), &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": {"replicas": 4}})))
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = stream.try_next().await.unwrap() {
            if let WatchEvent::Modified(dep) = ev {
                if dep.metadata.name.as_deref() == Some(name(&d).as_str()) {
                    return dep;
                }
            }
        }
        panic!("watch ended without the change")
    })
    .await
    .expect("change within 5 s");
    assert_eq!(event.spec.unwrap().replicas, Some(4));
}

#[tokio::test]
async fn a_reflector_store_follows_a_scale_change() {
    let demo = start().await;
    let client = demo.client().await;
    let d = objects("Deployment").into_iter().next().unwrap();
    let deps: Api<Deployment> = Api::all(client.clone());
    let (reader, writer) = reflector::store();
    let stream = watcher(deps, watcher::Config::default()).reflect(writer).applied_objects();
    let task = tokio::spawn(async move {
        stream.for_each(|_| async {}).await;
    });
    reader.wait_until_ready().await.unwrap();
    assert_eq!(reader.state().len(), objects("Deployment").len());
    let ns_api: Api<Deployment> = Api::namespaced(client, &namespace(&d));
    ns_api
        .patch_scale(&name(&d), &PatchParams::default(), &Patch::Merge(serde_json::json!({"spec": {"replicas": 5}})))
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            let hit = reader.state().iter().any(|x| {
                x.metadata.name.as_deref() == Some(name(&d).as_str())
                    && x.spec.as_ref().and_then(|s| s.replicas) == Some(5)
            });
            if hit {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    task.abort();
    assert!(seen.is_ok(), "the reflector did not see replicas=5 within 2 s");
}

#[tokio::test]
async fn kube_reads_logs_with_tail_and_previous() {
    let demo = start().await;
    let f = fixture();
    let (key, text) = f.logs.iter().find(|(k, _)| k.previous).unwrap();
    let pods: Api<Pod> = Api::namespaced(demo.client().await, &key.namespace);
    let params =
        LogParams { container: Some(key.container.clone()), previous: true, tail_lines: Some(2), ..Default::default() };
    let out = pods.logs(&key.pod, &params).await.unwrap();
    assert_eq!(out.lines().count(), 2.min(text.lines().count()));
    let bad = LogParams { container: Some("no-such-container".into()), ..Default::default() };
    let err = pods.logs(&key.pod, &bad).await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 400 && s.message.contains("not valid")));
}
