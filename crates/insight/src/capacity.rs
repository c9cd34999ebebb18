//! Room on the nodes: each schedulable, Ready node's allocatable CPU and
//! memory minus the requests of the pods bound to it (finished pods free
//! theirs), as the scheduler counts. Read for pods that are Pending for
//! lack of resources, to say which node would fit them.

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::snapshot::Snapshot;
use crate::state::node_ready;
use crate::text::{cpu_millis, mem_bytes};

/// A pod's requests: (CPU millicores, memory bytes), containers summed.
pub fn pod_requests(pod: &Pod) -> (f64, f64) {
    let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
    containers.fold((0.0, 0.0), |(c, m), x| {
        let r = x.resources.as_ref().and_then(|r| r.requests.as_ref());
        let get = |k: &str| r.and_then(|r| r.get(k)).map(|q| q.0.clone());
        (c + get("cpu").map_or(0.0, |q| cpu_millis(&q)), m + get("memory").map_or(0.0, |q| mem_bytes(&q)))
    })
}

/// A node's allocatable (CPU millicores, memory bytes).
pub fn allocatable(node: &Node) -> (f64, f64) {
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    let get = |k: &str| alloc.and_then(|a| a.get(k)).map(|q| q.0.clone());
    (get("cpu").map_or(0.0, |q| cpu_millis(&q)), get("memory").map_or(0.0, |q| mem_bytes(&q)))
}

/// Whether a pod holds its node's resources now: bound to a node and not
/// finished (a Succeeded or Failed pod frees its requests).
pub fn holds_resources(pod: &Pod) -> bool {
    let bound = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some();
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    bound && !matches!(phase, Some("Succeeded" | "Failed"))
}

/// Free (CPU millicores, memory bytes) on every node the scheduler may use.
pub fn free_per_node(snap: &Snapshot) -> Vec<(String, f64, f64)> {
    snap.nodes
        .iter()
        .filter(|n| node_ready(n) && n.spec.as_ref().and_then(|s| s.unschedulable) != Some(true))
        .map(|n| {
            let name = n.metadata.name.clone().unwrap_or_default();
            let (mut cpu, mut mem) = allocatable(n);
            for p in snap.pods.iter().filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(&name)) {
                if holds_resources(p) {
                    let (c, m) = pod_requests(p);
                    cpu -= c;
                    mem -= m;
                }
            }
            (name, cpu, mem)
        })
        .collect()
}

/// The cluster's room as the scheduler counts it: the allocatable of the
/// nodes it may use, and the requests of the pods bound to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Room {
    /// Allocatable CPU, cores.
    pub cpu_allocatable: f64,
    /// Requested CPU, cores.
    pub cpu_requested: f64,
    /// Allocatable memory, bytes.
    pub memory_allocatable: f64,
    /// Requested memory, bytes.
    pub memory_requested: f64,
}

/// [`Room`] summed over every schedulable, Ready node.
pub fn cluster_room(snap: &Snapshot) -> Room {
    let mut room = Room::default();
    for (name, cpu_free, mem_free) in free_per_node(snap) {
        let Some(n) = snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(name.as_str())) else { continue };
        let (cpu, mem) = allocatable(n);
        room.cpu_allocatable += cpu / 1000.0;
        room.memory_allocatable += mem;
        room.cpu_requested += (cpu - cpu_free) / 1000.0;
        room.memory_requested += mem - mem_free;
    }
    room
}

fn shown(cpu: f64, mem: f64) -> String {
    format!("cpu {:.0}m, memory {:.0}Mi", cpu.max(0.0), (mem / 1048576.0).max(0.0))
}

/// One line for a pod that does not fit: what it requests, and the nodes
/// with room for it, or the node with the most room.
pub fn room_for(snap: &Snapshot, pod: &Pod) -> Option<String> {
    let (cpu, mem) = pod_requests(pod);
    let nodes = free_per_node(snap);
    let fits: Vec<&str> = nodes.iter().filter(|(_, c, m)| *c >= cpu && *m >= mem).map(|(n, ..)| n.as_str()).collect();
    let want = shown(cpu, mem);
    if !fits.is_empty() {
        return Some(format!("requests {want}; nodes with room now: {}", fits.join(", ")));
    }
    // NB: "most room" is the node short of the least, in proportion to the request.
    let short = |c: f64, m: f64| ((cpu - c).max(0.0) / cpu.max(1.0)) + ((mem - m).max(0.0) / mem.max(1.0));
    let best = nodes.iter().min_by(|a, b| short(a.1, a.2).total_cmp(&short(b.1, b.2)))?;
    Some(format!(
        "requests {want}; no schedulable node has that free; most room: {} ({} free)",
        best.0,
        shown(best.1, best.2)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: small}
status: {allocatable: {cpu: "2", memory: 4Gi}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: big}
status: {allocatable: {cpu: "4", memory: 8Gi}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: down}
status: {allocatable: {cpu: "64", memory: 256Gi}, conditions: [{type: Ready, status: "False"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: busy, namespace: a}
spec: {nodeName: big, containers: [{name: c, resources: {requests: {cpu: "3", memory: 1Gi}}}]}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: a}
spec: {nodeName: small, containers: [{name: c, resources: {requests: {cpu: "2", memory: 1Gi}}}]}
status: {phase: Succeeded}
"#;

    fn pod(cpu: &str, mem: &str) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c",
            "resources": {"requests": {"cpu": cpu, "memory": mem}}}]}}))
        .unwrap()
    }

    #[test]
    fn room_counts_running_pods_requests_and_skips_nodes_that_are_down() {
        let snap = Snapshot::from_yaml(CLUSTER, None).unwrap();
        assert_eq!(
            room_for(&snap, &pod("1500m", "1Gi")).unwrap(),
            "requests cpu 1500m, memory 1024Mi; nodes with room now: small"
        );
        let none = room_for(&snap, &pod("3", "2Gi")).unwrap();
        assert!(none.contains("no schedulable node") && none.contains("most room: small (cpu 2000m"), "{none}");
        // The node that is down counts for neither; the finished pod frees its requests.
        let room = cluster_room(&snap);
        assert_eq!((room.cpu_allocatable, room.cpu_requested), (6.0, 3.0));
        assert_eq!((room.memory_allocatable, room.memory_requested), (12.0 * 1073741824.0, 1073741824.0));
    }
}
