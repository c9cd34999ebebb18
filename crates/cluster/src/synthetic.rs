//! Synthetic fixtures of any size, for benchmarks and load tests:
//! `pods` pods in Deployments of 5 replicas spread over `namespaces`
//! namespaces and `nodes` nodes, with Services, Endpoints, Events and
//! metrics — and a few planted problems so analyzers have work to do.

use serde_json::{json, Value};

use crate::fixture::{Fixture, FixtureObject};

/// Size of a synthetic cluster.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Total pods.
    pub pods: usize,
    /// Namespaces.
    pub namespaces: usize,
    /// Nodes.
    pub nodes: usize,
}

impl Size {
    /// The benchmark size the issues name: 10,000 pods, 50 namespaces, 100 nodes.
    pub const LARGE: Size = Size { pods: 10_000, namespaces: 50, nodes: 100 };
}

const REPLICAS: usize = 5;
const NOW: &str = "2026-11-20T12:00:00Z";

fn obj(api_version: &str, kind: &str, value: Value) -> FixtureObject {
    FixtureObject { api_version: api_version.into(), kind: kind.into(), value }
}

fn hash_of(i: usize, salt: u64) -> String {
    let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = (i as u64 + 1).wrapping_mul(0x9E3779B97F4A7C15) ^ salt;
    (0..10)
        .map(|_| {
            h = h.rotate_left(7).wrapping_mul(31).wrapping_add(17);
            alphabet[(h % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

/// Builds a synthetic fixture. Deterministic for a given size.
pub fn generate(size: Size) -> Fixture {
    let mut objects = Vec::new();
    let namespaces: Vec<String> = (0..size.namespaces.max(1)).map(|i| format!("team-{i:02}")).collect();
    for ns in &namespaces {
        objects.push(obj("v1", "Namespace", json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "creationTimestamp": "2026-09-01T00:00:00Z", "labels": {"kubernetes.io/metadata.name": ns}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})));
    }
    let nodes: Vec<String> = (0..size.nodes.max(1)).map(|i| format!("node-{i:03}")).collect();
    for (i, n) in nodes.iter().enumerate() {
        let ready = if i == nodes.len() - 1 && nodes.len() > 2 { "Unknown" } else { "True" };
        objects.push(obj("v1", "Node", json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n, "creationTimestamp": "2026-09-01T00:00:00Z", "labels": {"kubernetes.io/hostname": n, "kubernetes.io/os": "linux"}},
            "spec": {"podCIDR": format!("10.244.{i}.0/24")},
            "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"}, "allocatable": {"cpu": "7910m", "memory": "30Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady", "lastTransitionTime": "2026-09-01T00:00:00Z", "lastHeartbeatTime": NOW}],
                "addresses": [{"type": "InternalIP", "address": format!("10.0.{}.{}", i / 250, i % 250 + 2)}],
                "nodeInfo": {"kubeletVersion": "v1.34.2", "kubeProxyVersion": "v1.34.2", "osImage": "Ubuntu 24.04 LTS", "kernelVersion": "6.8.0",
                    "containerRuntimeVersion": "containerd://2.0.0", "architecture": "amd64", "operatingSystem": "linux",
                    "machineID": "m", "systemUUID": "s", "bootID": "b"}}})));
        objects.push(obj("metrics.k8s.io/v1beta1", "NodeMetrics", json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
            "metadata": {"name": n, "creationTimestamp": NOW}, "timestamp": NOW, "window": "20s",
            "usage": {"cpu": format!("{}m", 500 + (i * 37) % 3000), "memory": format!("{}Mi", 4000 + (i * 131) % 12000)}})));
    }
    let deployments = size.pods.div_ceil(REPLICAS);
    let mut pod_index = 0;
    for d in 0..deployments {
        let ns = &namespaces[d % namespaces.len()];
        let app = format!("svc-{d:04}");
        let hash = hash_of(d, 7)[..10].to_string();
        let rs_name = format!("{app}-{hash}");
        let replicas = REPLICAS.min(size.pods - pod_index);
        let dep_uid = format!("00000000-0000-4000-8000-{:012}", d * 2);
        let rs_uid = format!("00000000-0000-4000-8000-{:012}", d * 2 + 1);
        let image = format!("registry.example.com/{app}:1.{}.0", d % 7);
        // Every 97th deployment crashes, every 89th cannot pull its image.
        let crashing = d % 97 == 13;
        let bad_image = d % 89 == 7;
        let ready = if crashing || bad_image { 0 } else { replicas };
        let template = json!({"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "main", "image": image,
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "env": [{"name": "LOG_LEVEL", "value": "info"}]}]}});
        objects.push(obj("apps/v1", "Deployment", json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": ns, "uid": dep_uid, "generation": 1, "creationTimestamp": "2026-10-01T00:00:00Z", "labels": {"app": app},
                "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "template": template},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": replicas,
                "unavailableReplicas": replicas - ready, "observedGeneration": 1,
                "conditions": [{"type": "Available", "status": if ready == replicas { "True" } else { "False" }, "reason": "MinimumReplicasAvailable"}]}})));
        let mut pod_template = template.clone();
        pod_template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        objects.push(obj("apps/v1", "ReplicaSet", json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid, "creationTimestamp": "2026-10-01T00:00:00Z",
                "labels": {"app": app, "pod-template-hash": hash}, "annotations": {"deployment.kubernetes.io/revision": "1"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": dep_uid, "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app, "pod-template-hash": hash}}, "template": pod_template},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}})));
        let mut addresses = Vec::new();
        for r in 0..replicas {
            let name = format!("{rs_name}-{}", &hash_of(pod_index, 99)[..5]);
            let node = &nodes[pod_index % nodes.len()];
            let ip = format!("10.244.{}.{}", (pod_index / 250) % 256, pod_index % 250 + 2);
            let (state, ready_s, restarts) = if crashing {
                (
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}}),
                    "False",
                    12 + r as i64,
                )
            } else if bad_image {
                (
                    json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\"")}}),
                    "False",
                    0,
                )
            } else {
                (json!({"running": {"startedAt": "2026-11-01T00:00:00Z"}}), "True", (pod_index % 3) as i64)
            };
            let mut status = json!({"phase": if bad_image { "Pending" } else { "Running" }, "podIP": ip, "hostIP": "10.0.0.2", "startTime": "2026-11-01T00:00:00Z", "qosClass": "Burstable",
                "conditions": [{"type": "Ready", "status": ready_s, "lastTransitionTime": "2026-11-01T00:00:00Z"},
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-01T00:00:00Z"}],
                "containerStatuses": [{"name": "main", "image": image, "imageID": "", "ready": ready_s == "True", "restartCount": restarts, "state": state}]});
            if crashing {
                status["containerStatuses"][0]["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-20T11:50:00Z", "finishedAt": "2026-11-20T11:50:02Z"}});
            }
            let pod_uid = format!("10000000-0000-4000-8000-{pod_index:012}");
            objects.push(obj("v1", "Pod", json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "uid": pod_uid, "generateName": format!("{rs_name}-"), "creationTimestamp": "2026-11-01T00:00:00Z",
                    "labels": {"app": app, "pod-template-hash": hash},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true, "blockOwnerDeletion": true}]},
                "spec": {"nodeName": node, "containers": template["spec"]["containers"].clone(), "restartPolicy": "Always", "schedulerName": "default-scheduler"},
                "status": status})));
            if !bad_image {
                objects.push(obj("metrics.k8s.io/v1beta1", "PodMetrics", json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": NOW, "labels": {"app": app}}, "timestamp": NOW, "window": "15s",
                    "containers": [{"name": "main", "usage": {"cpu": format!("{}m", 5 + pod_index % 200), "memory": format!("{}Ki", 50_000 + (pod_index * 7919) % 200_000)}}]})));
            }
            if crashing || bad_image {
                let (reason, message) = if crashing {
                    ("BackOff", "Back-off restarting failed container main".to_string())
                } else {
                    ("Failed", format!("Failed to pull image \"{image}\": not found"))
                };
                objects.push(obj("v1", "Event", json!({"apiVersion": "v1", "kind": "Event",
                    "metadata": {"name": format!("{name}.{:x}", pod_index), "namespace": ns, "creationTimestamp": NOW},
                    "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns, "uid": pod_uid},
                    "reason": reason, "message": message, "type": "Warning", "count": 10, "firstTimestamp": "2026-11-20T11:00:00Z", "lastTimestamp": NOW,
                    "source": {"component": "kubelet", "host": node}})));
            }
            if ready_s == "True" {
                addresses.push(json!({"ip": ip, "nodeName": node, "targetRef": {"kind": "Pod", "name": name, "namespace": ns, "uid": pod_uid}}));
            }
            pod_index += 1;
        }
        objects.push(obj("v1", "Service", json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": app, "namespace": ns, "creationTimestamp": "2026-10-01T00:00:00Z", "labels": {"app": app}},
            "spec": {"type": "ClusterIP", "clusterIP": format!("10.96.{}.{}", d / 250, d % 250 + 1), "selector": {"app": app},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}})));
        let subsets = if addresses.is_empty() {
            json!([])
        } else {
            json!([{"addresses": addresses, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}])
        };
        objects.push(obj("v1", "Endpoints", json!({"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": app, "namespace": ns, "creationTimestamp": "2026-10-01T00:00:00Z", "labels": {"app": app}}, "subsets": subsets})));
    }
    Fixture {
        objects,
        logs: Default::default(),
        now: Some(NOW.parse().expect("constant instant")),
        rbac: None,
        metrics: None,
    }
}

/// Writes a fixture's objects as a `cluster.yaml` (for `kubeask demo --fixture`).
pub fn to_cluster_yaml(fixture: &Fixture) -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for o in &fixture.objects {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&o.value)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_synthetic_cluster_passes_fixture_validation() {
        let f = generate(Size { pods: 23, namespaces: 3, nodes: 4 });
        assert_eq!(f.objects.iter().filter(|o| o.kind == "Pod").count(), 23);
        let yaml = to_cluster_yaml(&f).unwrap();
        let parsed = crate::fixture::parse_cluster_yaml("synthetic", &yaml).unwrap();
        assert_eq!(parsed.len(), f.objects.len());
    }
}
