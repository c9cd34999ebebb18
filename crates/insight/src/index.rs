//! Indexes over one snapshot — pods by namespace, node, name and workload,
//! every pod's kubectl status, the owner maps — built once, on first use,
//! and shared by every tool and question until the cache produces the next
//! snapshot. At 10,000 pods a read tool then touches only the pods it
//! answers about.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::kind::Kind;
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
    /// (label key, value) → pods: a selector reads the pods of its rarest
    /// pair instead of every pod.
    by_label: HashMap<(String, String), Vec<usize>>,
    /// (kind, name) → positions in that kind's list, for every kind.
    by_object_name: HashMap<(Kind, String), Vec<usize>>,
    /// Pods counted cluster-wide by status, namespace and node.
    counts: PodCounts,
}

/// Pods counted by status, namespace and node (`<unscheduled>` for none).
#[derive(Debug, Clone, Default)]
pub struct PodCounts {
    /// kubectl status → pods.
    pub by_status: BTreeMap<String, usize>,
    /// Namespace → pods.
    pub by_namespace: BTreeMap<String, usize>,
    /// Node → pods.
    pub by_node: BTreeMap<String, usize>,
}

impl PodCounts {
    /// Counts pods given with their status.
    pub fn of<'p>(pods: impl IntoIterator<Item = (&'p Pod, &'p str)>) -> Self {
        // NB: counted by borrowed keys first: 10,000 pods share a few dozen
        // statuses, namespaces and nodes, so only those few are copied.
        fn count(map: &mut BTreeMap<String, usize>, key: &str) {
            match map.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    map.insert(key.to_string(), 1);
                }
            }
        }
        let mut c = PodCounts::default();
        for (p, status) in pods {
            count(&mut c.by_status, status);
            count(&mut c.by_namespace, p.metadata.namespace.as_deref().unwrap_or(""));
            count(&mut c.by_node, p.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("<unscheduled>"));
        }
        c
    }
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
            by_label: HashMap::new(),
            by_object_name: HashMap::new(),
            counts: PodCounts::default(),
            owners,
        };
        for &kind in Kind::OBJECTS {
            for (i, o) in snap.objects(kind).iter().enumerate() {
                idx.by_object_name.entry((kind, o.name().to_string())).or_default().push(i);
            }
        }
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
            for (k, v) in p.metadata.labels.iter().flatten() {
                idx.by_label.entry((k.clone(), v.clone())).or_default().push(i);
            }
            idx.by_name.insert((ns.clone(), name), i);
            idx.by_namespace.entry(ns).or_default().push(i);
        }
        idx.counts = PodCounts::of(snap.pods.iter().zip(&idx.status).map(|(p, s)| (p.as_ref(), s.as_str())));
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

    /// One pod by namespace and name.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&'a Arc<Pod>> {
        self.idx.by_name.get(&(namespace.to_string(), name.to_string())).map(|&i| &self.snap.pods[i])
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

    /// Positions (in the kind's list) of the objects of `kind` called `name`.
    pub fn positions_named(&self, kind: Kind, name: &str) -> Vec<usize> {
        self.idx.by_object_name.get(&(kind, name.to_string())).cloned().unwrap_or_default()
    }

    /// Every object name, with its kind and positions (one per namespace).
    pub fn names(&self) -> impl Iterator<Item = (Kind, &str, &[usize])> + '_ {
        self.idx.by_object_name.iter().map(|((k, n), v)| (*k, n.as_str(), v.as_slice()))
    }

    /// Pods counted cluster-wide by status, namespace and node.
    pub fn pod_counts(&self) -> &PodCounts {
        &self.idx.counts
    }

    /// The pods a Service selects (see [`crate::selector::service_selects`]),
    /// read from the label index: the shortest list of one selector pair,
    /// checked against the rest.
    pub fn pods_selected_by(&self, svc: &k8s_openapi::api::core::v1::Service) -> Vec<&'a Arc<Pod>> {
        let Some(sel) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        let pairs: Vec<(&str, &str)> = sel.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.positions_with(&pairs)
            .into_iter()
            .map(|i| &self.snap.pods[i])
            .filter(|p| crate::selector::service_selects(svc, p))
            .collect()
    }

    /// Positions of the pods carrying the rarest of `pairs` (all of them
    /// must then be checked against the full selector).
    fn positions_with(&self, pairs: &[(&str, &str)]) -> Vec<usize> {
        let lists = pairs.iter().map(|(k, v)| self.idx.by_label.get(&(k.to_string(), v.to_string())));
        match lists.min_by_key(|l| l.map_or(0, |v| v.len())) {
            Some(Some(v)) => v.clone(),
            _ => Vec::new(),
        }
    }

    /// Pods with their status, all or of one namespace, narrowed to those
    /// carrying every `key=value` pair when any is given (the caller still
    /// applies its full selector).
    pub fn pods_with_status_labelled(
        &self,
        namespace: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Vec<(&'a Arc<Pod>, &str)> {
        if pairs.is_empty() {
            return self.pods_with_status(namespace);
        }
        self.positions_with(pairs)
            .into_iter()
            .map(|i| (&self.snap.pods[i], self.idx.status[i].as_str()))
            .filter(|(p, _)| namespace.is_none_or(|n| p.metadata.namespace.as_deref() == Some(n)))
            .collect()
    }

    /// Names as people say them (a pod's workload name, or its own name for
    /// StatefulSet and bare pods); [`Indexed::pods_by_base`] gives their pods.
    pub fn base_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.idx.by_base.keys().map(String::as_str)
    }
}
