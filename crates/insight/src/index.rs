//! Indexes over one snapshot — pods by namespace, node, name and workload,
//! every pod's kubectl status, the owner maps — built once, on first use,
//! and shared by every tool and question until the cache produces the next
//! snapshot. At 10,000 pods a read tool then touches only the pods it
//! answers about.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::owners::{ObjRef, Owners};
use crate::podstatus;
use crate::snapshot::Snapshot;

/// What a snapshot looked like when its index was built: a snapshot changed
/// afterwards (tests build them by hand) gets a fresh index, never a stale one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    pods: (usize, usize),
    replica_sets: usize,
    jobs: usize,
}

impl Shape {
    fn of(snap: &Snapshot) -> Self {
        Self {
            pods: (snap.pods.len(), snap.pods.as_ptr() as usize),
            replica_sets: snap.replica_sets.len(),
            jobs: snap.jobs.len(),
        }
    }
}

/// The indexes of one snapshot (positions into `snap.pods`).
#[derive(Debug)]
pub struct Index {
    shape: Shape,
    owners: Owners,
    status: Vec<String>,
    by_namespace: HashMap<String, Vec<usize>>,
    by_node: HashMap<String, Vec<usize>>,
    by_name: HashMap<(String, String), usize>,
    by_workload: HashMap<ObjRef, Vec<usize>>,
    by_base: HashMap<String, Vec<usize>>,
}

impl Index {
    fn build(snap: &Snapshot) -> Self {
        let owners = Owners::new(snap);
        let mut idx = Index {
            shape: Shape::of(snap),
            status: Vec::with_capacity(snap.pods.len()),
            by_namespace: HashMap::new(),
            by_node: HashMap::new(),
            by_name: HashMap::with_capacity(snap.pods.len()),
            by_workload: HashMap::new(),
            by_base: HashMap::new(),
            owners,
        };
        for (i, p) in snap.pods.iter().enumerate() {
            let ns = p.metadata.namespace.clone().unwrap_or_default();
            let name = p.metadata.name.clone().unwrap_or_default();
            idx.status.push(podstatus::display_status(p));
            if let Some(node) = p.spec.as_ref().and_then(|s| s.node_name.clone()) {
                idx.by_node.entry(node).or_default().push(i);
            }
            let workload = idx.owners.workload_of(p);
            let base = match &workload {
                Some(w) if w.kind != "StatefulSet" => w.name.clone(),
                _ => name.clone(),
            };
            idx.by_base.entry(base).or_default().push(i);
            if let Some(w) = workload {
                idx.by_workload.entry(w).or_default().push(i);
            }
            idx.by_name.insert((ns.clone(), name), i);
            idx.by_namespace.entry(ns).or_default().push(i);
        }
        idx
    }
}

/// A snapshot read through its indexes.
#[derive(Debug, Clone)]
pub struct Indexed<'a> {
    snap: &'a Snapshot,
    idx: Arc<Index>,
}

impl Snapshot {
    /// The snapshot's indexes, built on first use (once per cache generation).
    pub fn index(&self) -> Indexed<'_> {
        let shape = Shape::of(self);
        let idx = self.index_cell().get_or_init(|| Arc::new(Index::build(self))).clone();
        // NB: a snapshot edited after its index was built (only tests do
        // this) is indexed afresh rather than read through a stale index.
        let idx = if idx.shape == shape { idx } else { Arc::new(Index::build(self)) };
        Indexed { snap: self, idx }
    }
}

impl<'a> Indexed<'a> {
    fn pods(&self, positions: Option<&Vec<usize>>) -> Vec<&'a Arc<Pod>> {
        positions.map(|v| v.iter().map(|&i| &self.snap.pods[i]).collect()).unwrap_or_default()
    }

    /// The owner maps (ReplicaSet → Deployment, Job → CronJob).
    pub fn owners(&self) -> &Owners {
        &self.idx.owners
    }

    /// Pods, all or of one namespace, in cache order.
    pub fn pods_in(&self, namespace: Option<&str>) -> Vec<&'a Arc<Pod>> {
        match namespace {
            Some(ns) => self.pods(self.idx.by_namespace.get(ns)),
            None => self.snap.pods.iter().collect(),
        }
    }

    /// Pods, all or of one namespace, each with its kubectl status.
    pub fn pods_with_status(&self, namespace: Option<&str>) -> Vec<(&'a Arc<Pod>, &str)> {
        let positions: Box<dyn Iterator<Item = usize>> = match namespace {
            Some(ns) => Box::new(self.idx.by_namespace.get(ns).into_iter().flatten().copied()),
            None => Box::new(0..self.snap.pods.len()),
        };
        positions.map(|i| (&self.snap.pods[i], self.idx.status[i].as_str())).collect()
    }

    /// Pods scheduled on a node.
    pub fn pods_on(&self, node: &str) -> Vec<&'a Arc<Pod>> {
        self.pods(self.idx.by_node.get(node))
    }

    /// One pod by namespace and name.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&'a Arc<Pod>> {
        self.idx.by_name.get(&(namespace.to_string(), name.to_string())).map(|&i| &self.snap.pods[i])
    }

    /// The pods of a workload (`Deployment`, `StatefulSet`, `DaemonSet`,
    /// `CronJob`, `Job`, bare `ReplicaSet`), through owner references.
    pub fn pods_of_workload(&self, kind: &'static str, namespace: &str, name: &str) -> Vec<&'a Arc<Pod>> {
        let key = ObjRef { kind, namespace: namespace.to_string(), name: name.to_string() };
        self.pods(self.idx.by_workload.get(&key))
    }

    /// The pods people call `name` (a workload's name, or a pod's own).
    pub fn pods_by_base(&self, name: &str) -> Vec<&'a Arc<Pod>> {
        self.pods(self.idx.by_base.get(name))
    }

    /// The pods of any workload called `name` (in `namespace` when given).
    pub fn pods_of_named_workload(&self, name: &str, namespace: Option<&str>) -> Vec<&'a Arc<Pod>> {
        let mut out: Vec<&'a Arc<Pod>> = Vec::new();
        for (w, v) in &self.idx.by_workload {
            if w.name == name && namespace.is_none_or(|n| w.namespace == n) {
                out.extend(v.iter().map(|&i| &self.snap.pods[i]));
            }
        }
        out
    }

    /// Names as people say them (a pod's workload name, or its own name for
    /// StatefulSet and bare pods), each with its pods.
    pub fn base_names(&self) -> impl Iterator<Item = (&str, Vec<&'a Arc<Pod>>)> + '_ {
        self.idx.by_base.iter().map(|(name, v)| (name.as_str(), v.iter().map(|&i| &self.snap.pods[i]).collect()))
    }
}
