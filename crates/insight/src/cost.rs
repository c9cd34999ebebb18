//! What a cluster costs and where money is wasted, the way OpenCost
//! allocates it: each running pod is charged max(request, usage) of CPU,
//! memory and GPUs at its node's rates; PVCs by their size; what nodes
//! have that no pod is charged for is idle. Prices are the user's (per
//! context), or list prices by instance type, or OpenCost's defaults — and
//! every report says which, and what usage it is based on.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, Pod};
use serde::{Deserialize, Serialize};

use crate::capacity::{allocatable, holds_resources, pod_requests};
use crate::snapshot::Snapshot;
use crate::state::node_ready;
use crate::text::mem_bytes;

/// Hours in a month, as cloud bills count them.
pub const HOURS_PER_MONTH: f64 = 730.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Prices for one context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prices {
    /// Per vCPU-hour.
    pub cpu_core_hour: f64,
    /// Per GiB-hour of memory.
    pub memory_gib_hour: f64,
    /// Per GPU-hour.
    pub gpu_hour: f64,
    /// Per GiB-month of persistent storage.
    pub storage_gib_month: f64,
    /// Per month for each Service of type LoadBalancer.
    pub load_balancer_month: f64,
    /// Hourly price of a node by its `node.kubernetes.io/instance-type`
    /// label; a node whose type is listed is charged that, split into CPU
    /// and memory in the proportion of the rates above. (A price file
    /// that lists none charges every node at its rates: the built-in table
    /// applies only to the built-in prices.)
    #[serde(default)]
    pub instance_types: BTreeMap<String, f64>,
    /// Where the figures come from, as reports say it.
    pub source: String,
}

impl Default for Prices {
    /// OpenCost's default list prices (its `default.json`), the common
    /// instance families at their on-demand list prices (AWS us-east-1, GCP
    /// us-central1, Azure East US), a load balancer at a typical cloud's
    /// hourly rate.
    fn default() -> Self {
        Self {
            cpu_core_hour: 0.031611,
            memory_gib_hour: 0.004237,
            gpu_hour: 0.95,
            storage_gib_month: 0.04,
            load_balancer_month: 18.25,
            instance_types: INSTANCE_LIST_PRICES.iter().map(|(t, p)| (t.to_string(), *p)).collect(),
            source: "default list prices (OpenCost's defaults, on-demand instance prices), not your bill".into(),
        }
    }
}

/// On-demand hourly list prices of common instance types.
const INSTANCE_LIST_PRICES: &[(&str, f64)] = &[
    ("t3.medium", 0.0416),
    ("t3.large", 0.0832),
    ("t3.xlarge", 0.1664),
    ("m5.large", 0.096),
    ("m5.xlarge", 0.192),
    ("m5.2xlarge", 0.384),
    ("m5.4xlarge", 0.768),
    ("m6i.large", 0.096),
    ("m6i.xlarge", 0.192),
    ("m6i.2xlarge", 0.384),
    ("c5.large", 0.085),
    ("c5.xlarge", 0.17),
    ("c5.2xlarge", 0.34),
    ("r5.large", 0.126),
    ("r5.xlarge", 0.252),
    ("r5.2xlarge", 0.504),
    ("e2-standard-2", 0.067),
    ("e2-standard-4", 0.134),
    ("e2-standard-8", 0.268),
    ("n2-standard-2", 0.0971),
    ("n2-standard-4", 0.1942),
    ("n2-standard-8", 0.3885),
    ("Standard_D2s_v3", 0.096),
    ("Standard_D4s_v3", 0.192),
    ("Standard_D8s_v3", 0.384),
];

/// How allocations are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// Per namespace.
    Namespace,
    /// Per workload (`namespace/name`, hash suffixes dropped).
    Workload,
    /// Per value of a pod label (`label=team`).
    Label(String),
}

impl std::str::FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "namespace" | "ns" => Ok(By::Namespace),
            "workload" => Ok(By::Workload),
            _ => match s.strip_prefix("label=") {
                Some(k) if !k.is_empty() => Ok(By::Label(k.to_string())),
                _ => Err(format!("{s:?}: use namespace, workload or label=KEY")),
            },
        }
    }
}

/// One group's monthly cost.
#[derive(Debug, Clone, Default, Serialize, PartialEq, ts_rs::TS)]
pub struct Allocation {
    /// The group (`shop`, `shop/checkout`, `team=payments`).
    pub name: String,
    /// CPU cores charged (max of request and usage).
    pub cpu_cores: f64,
    /// Memory GiB charged.
    pub memory_gib: f64,
    /// GPUs requested.
    pub gpus: f64,
    /// Persistent storage GiB.
    pub storage_gib: f64,
    /// Monthly cost of the CPU.
    pub cpu_cost: f64,
    /// Monthly cost of the memory.
    pub memory_cost: f64,
    /// Monthly cost of the GPUs.
    pub gpu_cost: f64,
    /// Monthly cost of the storage.
    pub storage_cost: f64,
    /// Monthly total.
    pub total: f64,
}

/// Money spent on nothing.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
pub struct Waste {
    /// `idle-node`, `over-requested`, `unused-pvc`, `idle-load-balancer`.
    pub kind: &'static str,
    /// The object.
    pub object: String,
    /// Monthly cost.
    pub monthly: f64,
    /// Why it counts as waste.
    pub detail: String,
}

/// Allocation, idle and waste for one cluster.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CostReport {
    /// Groups, most expensive first.
    pub allocations: Vec<Allocation>,
    /// Monthly cost of node capacity no pod is charged for.
    pub idle: f64,
    /// Monthly cost of LoadBalancer Services.
    pub load_balancers: f64,
    /// Everything: allocations + idle + load balancers.
    pub total: f64,
    /// Waste, most expensive first.
    pub waste: Vec<Waste>,
    /// What the figures are based on.
    pub basis: String,
}

/// A node's rates: (per core-hour, per GiB-hour).
fn node_rates(prices: &Prices, node: Option<&Node>) -> (f64, f64) {
    let base = (prices.cpu_core_hour, prices.memory_gib_hour);
    let Some(node) = node else { return base };
    let ty = node.metadata.labels.as_ref().and_then(|l| l.get("node.kubernetes.io/instance-type"));
    let Some(hourly) = ty.and_then(|t| prices.instance_types.get(t)) else { return base };
    let (cores, gib) = node_capacity(node);
    let list = cores * base.0 + gib * base.1;
    if list <= 0.0 {
        return base;
    }
    let factor = hourly / list;
    (base.0 * factor, base.1 * factor)
}

/// A node's allocatable (cores, GiB).
fn node_capacity(node: &Node) -> (f64, f64) {
    let (millis, bytes) = allocatable(node);
    (millis / 1000.0, bytes / GIB)
}

fn gpus(pod: &Pod) -> f64 {
    let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
    containers
        .filter_map(|c| c.resources.as_ref()?.requests.as_ref()?.get("nvidia.com/gpu").map(|q| q.0.clone()))
        .filter_map(|q| q.parse::<f64>().ok())
        .sum()
}

fn group_of(snap: &Snapshot, pod: &Pod, by: &By) -> String {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    match by {
        By::Namespace => ns,
        // NB: the workload itself (a StatefulSet's pods are one workload).
        By::Workload => {
            let name = snap.index().owners().workload_of(pod).map(|w| w.name);
            format!("{ns}/{}", name.unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default()))
        }
        By::Label(k) => {
            let v = pod.metadata.labels.as_ref().and_then(|l| l.get(k)).cloned();
            format!("{k}={}", v.unwrap_or_else(|| "(none)".into()))
        }
    }
}

/// Allocates the cluster's monthly cost at `prices`, grouped `by`.
pub fn report(snap: &Snapshot, prices: &Prices, by: &By) -> CostReport {
    let nodes: BTreeMap<&str, &Node> =
        snap.nodes.iter().filter_map(|n| Some((n.metadata.name.as_deref()?, n.as_ref()))).collect();
    let usage: BTreeMap<(String, String), (f64, f64)> = snap
        .pod_metrics
        .iter()
        .map(|m| {
            let key = (m.metadata.namespace.clone().unwrap_or_default(), m.metadata.name.clone().unwrap_or_default());
            (key, m.usage())
        })
        .collect();
    let mut groups: BTreeMap<String, Allocation> = BTreeMap::new();
    let mut used_on_node: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut waste = Vec::new();
    let mut unused_by_workload: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for p in snap.pods.iter().map(|p| p.as_ref()).filter(|p| holds_resources(p)) {
        let node_name = p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
        let (cpu_rate, mem_rate) = node_rates(prices, nodes.get(node_name.as_str()).copied());
        let (req_m, req_b) = pod_requests(p);
        let key = (p.metadata.namespace.clone().unwrap_or_default(), p.metadata.name.clone().unwrap_or_default());
        let used = usage.get(&key).copied();
        let (use_m, use_b) = used.unwrap_or((0.0, 0.0));
        let cores = req_m.max(use_m) / 1000.0;
        let gib = req_b.max(use_b) / GIB;
        let g = groups.entry(group_of(snap, p, by)).or_default();
        g.cpu_cores += cores;
        g.memory_gib += gib;
        g.gpus += gpus(p);
        g.cpu_cost += cores * cpu_rate * HOURS_PER_MONTH;
        g.memory_cost += gib * mem_rate * HOURS_PER_MONTH;
        g.gpu_cost += gpus(p) * prices.gpu_hour * HOURS_PER_MONTH;
        let n = used_on_node.entry(node_name).or_default();
        n.0 += cores;
        n.1 += gib;
        if let Some((um, ub)) = used {
            let w = unused_by_workload.entry(group_of(snap, p, &By::Workload)).or_default();
            w.0 += ((req_m - um).max(0.0) / 1000.0) * cpu_rate * HOURS_PER_MONTH;
            w.1 += ((req_b - ub).max(0.0) / GIB) * mem_rate * HOURS_PER_MONTH;
        }
    }
    storage(snap, prices, by, &mut groups, &mut waste);
    let idle = idle_nodes(snap, prices, &used_on_node, &mut waste);
    let load_balancers = load_balancers(snap, prices, &mut waste);
    for (workload, (cpu, mem)) in unused_by_workload {
        if cpu + mem >= 0.01 {
            waste.push(Waste {
                kind: "over-requested",
                object: workload,
                monthly: cpu + mem,
                detail: format!("requests above current usage: ${cpu:.2} of CPU, ${mem:.2} of memory a month"),
            });
        }
    }
    let mut allocations: Vec<Allocation> = groups
        .into_iter()
        .map(|(name, mut a)| {
            a.total = a.cpu_cost + a.memory_cost + a.gpu_cost + a.storage_cost;
            a.name = name;
            a
        })
        .collect();
    allocations.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.name.cmp(&b.name)));
    waste.sort_by(|a, b| b.monthly.total_cmp(&a.monthly).then(a.object.cmp(&b.object)));
    let total = allocations.iter().map(|a| a.total).sum::<f64>() + idle + load_balancers;
    let basis = format!(
        "{} at {}; {} hours a month",
        if snap.pod_metrics.is_empty() {
            "requests (no metrics-server: usage unknown)"
        } else {
            "the larger of requests and current usage (metrics-server, now)"
        },
        prices.source,
        HOURS_PER_MONTH
    );
    CostReport { allocations, idle, load_balancers, total, waste, basis }
}

/// PVCs by size, charged to the group of a pod that mounts them (or their
/// namespace); PVCs no pod mounts are waste.
fn storage(
    snap: &Snapshot,
    prices: &Prices,
    by: &By,
    groups: &mut BTreeMap<String, Allocation>,
    waste: &mut Vec<Waste>,
) {
    for pvc in &snap.pvcs {
        let ns = pvc.metadata.namespace.clone().unwrap_or_default();
        let name = pvc.metadata.name.clone().unwrap_or_default();
        let size = pvc
            .status
            .as_ref()
            .and_then(|s| s.capacity.as_ref()?.get("storage").cloned())
            .or_else(|| pvc.spec.as_ref()?.resources.as_ref()?.requests.as_ref()?.get("storage").cloned())
            .map_or(0.0, |q| mem_bytes(&q.0) / GIB);
        let cost = size * prices.storage_gib_month;
        let mounter = snap.pods.iter().find(|p| {
            p.metadata.namespace.as_deref() == Some(&ns)
                && p.spec
                    .iter()
                    .flat_map(|s| s.volumes.iter().flatten())
                    .any(|v| v.persistent_volume_claim.as_ref().is_some_and(|c| c.claim_name == name))
        });
        let group = match (mounter, by) {
            (Some(p), _) => group_of(snap, p, by),
            (None, By::Namespace) => ns.clone(),
            (None, By::Workload) => format!("{ns}/(unmounted PVCs)"),
            (None, By::Label(k)) => format!("{k}=(none)"),
        };
        if mounter.is_none() {
            waste.push(Waste {
                kind: "unused-pvc",
                object: format!("{ns}/{name}"),
                monthly: cost,
                detail: format!("{size:.0} GiB that no pod mounts"),
            });
        }
        let g = groups.entry(group).or_default();
        g.storage_gib += size;
        g.storage_cost += cost;
    }
}

/// Node capacity no pod is charged for (Ready nodes), per node.
fn idle_nodes(snap: &Snapshot, prices: &Prices, used: &BTreeMap<String, (f64, f64)>, waste: &mut Vec<Waste>) -> f64 {
    let mut idle = 0.0;
    for n in snap.nodes.iter().filter(|n| node_ready(n)) {
        let name = n.metadata.name.clone().unwrap_or_default();
        let (cores, gib) = node_capacity(n);
        let (cpu_rate, mem_rate) = node_rates(prices, Some(n));
        let (uc, ug) = used.get(&name).copied().unwrap_or_default();
        let (free_c, free_g) = ((cores - uc).max(0.0), (gib - ug).max(0.0));
        let cost = (free_c * cpu_rate + free_g * mem_rate) * HOURS_PER_MONTH;
        idle += cost;
        if cost >= 0.01 {
            waste.push(Waste {
                kind: "idle-node",
                object: format!("node/{name}"),
                monthly: cost,
                detail: format!("{free_c:.1} of {cores:.1} cores and {free_g:.1} of {gib:.1} GiB charged to no pod"),
            });
        }
    }
    idle
}

/// LoadBalancer Services, and those with no ready endpoint (paid for,
/// serving nothing).
fn load_balancers(snap: &Snapshot, prices: &Prices, waste: &mut Vec<Waste>) -> f64 {
    let mut total = 0.0;
    let ready: BTreeSet<(String, String)> = snap
        .endpoints
        .iter()
        .filter(|e| e.subsets.iter().flatten().any(|s| s.addresses.as_ref().is_some_and(|a| !a.is_empty())))
        .filter_map(|e| Some((e.metadata.namespace.clone()?, e.metadata.name.clone()?)))
        .collect();
    for s in &snap.services {
        if s.spec.as_ref().and_then(|x| x.type_.as_deref()) != Some("LoadBalancer") {
            continue;
        }
        total += prices.load_balancer_month;
        let key = (s.metadata.namespace.clone().unwrap_or_default(), s.metadata.name.clone().unwrap_or_default());
        if !ready.contains(&key) {
            waste.push(Waste {
                kind: "idle-load-balancer",
                object: format!("{}/{}", key.0, key.1),
                monthly: prices.load_balancer_month,
                detail: "a LoadBalancer with no ready endpoint".into(),
            });
        }
    }
    total
}

/// Prices per context, as kept in the data folder's `prices.json`:
/// `{"default": {…}, "contexts": {"prod": {…}}}`; missing fields take
/// OpenCost's defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriceBook {
    /// Prices for contexts not listed.
    pub default: Option<Prices>,
    /// Prices per context name.
    pub contexts: BTreeMap<String, Prices>,
}

impl PriceBook {
    /// The prices for `context`, and whether the user set them (false:
    /// the built-in defaults).
    pub fn for_context(&self, context: &str) -> (Prices, bool) {
        match self.contexts.get(context).or(self.default.as_ref()) {
            Some(p) => {
                let mut p = p.clone();
                if p.source == Prices::default().source {
                    p.source = "your prices".into();
                }
                (p, true)
            }
            None => (Prices::default(), false),
        }
    }
}
