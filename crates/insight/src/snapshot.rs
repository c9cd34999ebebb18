//! A consistent, typed view of one cluster at one instant.

use std::collections::BTreeMap;
use std::sync::Arc;

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
use serde::Deserialize;

use crate::metrics::{NodeMetrics, PodMetrics};

/// Every cached object of one cluster. Secrets carry metadata and type only,
/// never `data`/`stringData`.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The instant ages and "since" filters are computed against.
    pub now: Option<Timestamp>,
    /// Namespaces.
    pub namespaces: Vec<Arc<Namespace>>,
    /// Nodes.
    pub nodes: Vec<Arc<Node>>,
    /// Pods.
    pub pods: Vec<Arc<Pod>>,
    /// Deployments.
    pub deployments: Vec<Arc<Deployment>>,
    /// ReplicaSets.
    pub replica_sets: Vec<Arc<ReplicaSet>>,
    /// StatefulSets.
    pub stateful_sets: Vec<Arc<StatefulSet>>,
    /// DaemonSets.
    pub daemon_sets: Vec<Arc<DaemonSet>>,
    /// Jobs.
    pub jobs: Vec<Arc<Job>>,
    /// CronJobs.
    pub cron_jobs: Vec<Arc<CronJob>>,
    /// Services.
    pub services: Vec<Arc<Service>>,
    /// Endpoints.
    pub endpoints: Vec<Arc<Endpoints>>,
    /// Ingresses.
    pub ingresses: Vec<Arc<Ingress>>,
    /// PersistentVolumeClaims.
    pub pvcs: Vec<Arc<PersistentVolumeClaim>>,
    /// PersistentVolumes.
    pub pvs: Vec<Arc<PersistentVolume>>,
    /// Events.
    pub events: Vec<Arc<Event>>,
    /// HorizontalPodAutoscalers (autoscaling/v2).
    pub hpas: Vec<Arc<HorizontalPodAutoscaler>>,
    /// ConfigMaps.
    pub config_maps: Vec<Arc<ConfigMap>>,
    /// Secrets, metadata and type only.
    pub secrets: Vec<Arc<Secret>>,
    /// ServiceAccounts.
    pub service_accounts: Vec<Arc<ServiceAccount>>,
    /// Roles (rbac.authorization.k8s.io/v1).
    pub roles: Vec<Arc<Role>>,
    /// ClusterRoles.
    pub cluster_roles: Vec<Arc<ClusterRole>>,
    /// RoleBindings.
    pub role_bindings: Vec<Arc<RoleBinding>>,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: Vec<Arc<ClusterRoleBinding>>,
    /// NetworkPolicies.
    pub network_policies: Vec<Arc<NetworkPolicy>>,
    /// Kinds that could not be read, with why (`ClusterRole` → "forbidden by
    /// RBAC: …"): analyses that need them say "not checked", never "clean".
    pub unreadable: BTreeMap<String, String>,
    /// Node usage from metrics.k8s.io (empty without metrics-server).
    pub node_metrics: Vec<Arc<NodeMetrics>>,
    /// Pod usage from metrics.k8s.io (empty without metrics-server).
    pub pod_metrics: Vec<Arc<PodMetrics>>,
    /// Kubernetes server version, e.g. `v1.34.2`, if known.
    pub server_version: Option<String>,
    /// Indexes, built on first use (see [`Snapshot::index`]); fill with
    /// `..Default::default()`.
    pub index: IndexCell,
}

/// The lazily built index; a clone starts empty (its vectors are new
/// allocations, so the original's index would not apply).
#[derive(Debug, Default)]
pub struct IndexCell(std::sync::OnceLock<std::sync::Arc<crate::index::Index>>);

impl Clone for IndexCell {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// A document in a multi-document YAML could not be read into a snapshot.
#[derive(Debug, thiserror::Error)]
#[error("document {index}: {message}")]
pub struct SnapshotYamlError {
    /// 0-based document index.
    pub index: usize,
    /// What went wrong.
    pub message: String,
}

impl Snapshot {
    pub(crate) fn index_cell(&self) -> &std::sync::OnceLock<std::sync::Arc<crate::index::Index>> {
        &self.index.0
    }

    /// The instant to compute ages against: the snapshot's `now`, else the clock.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Adds one object given as JSON with `apiVersion` and `kind`. Unknown
    /// kinds are ignored; secrets lose their data.
    pub fn insert_json(&mut self, value: serde_json::Value) -> Result<(), serde_json::Error> {
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
        fn a<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<Arc<T>, serde_json::Error> {
            serde_json::from_value(v).map(Arc::new)
        }
        match kind.as_str() {
            "Namespace" => self.namespaces.push(a(value)?),
            "Node" => self.nodes.push(a(value)?),
            "Pod" => self.pods.push(a(value)?),
            "Deployment" => self.deployments.push(a(value)?),
            "ReplicaSet" => self.replica_sets.push(a(value)?),
            "StatefulSet" => self.stateful_sets.push(a(value)?),
            "DaemonSet" => self.daemon_sets.push(a(value)?),
            "Job" => self.jobs.push(a(value)?),
            "CronJob" => self.cron_jobs.push(a(value)?),
            "Service" => self.services.push(a(value)?),
            "Endpoints" => self.endpoints.push(a(value)?),
            "Ingress" => self.ingresses.push(a(value)?),
            "PersistentVolumeClaim" => self.pvcs.push(a(value)?),
            "PersistentVolume" => self.pvs.push(a(value)?),
            "Event" => self.events.push(a(value)?),
            "HorizontalPodAutoscaler" => self.hpas.push(a(value)?),
            "ConfigMap" => self.config_maps.push(a(value)?),
            "ServiceAccount" => self.service_accounts.push(a(value)?),
            "Role" => self.roles.push(a(value)?),
            "ClusterRole" => self.cluster_roles.push(a(value)?),
            "RoleBinding" => self.role_bindings.push(a(value)?),
            "ClusterRoleBinding" => self.cluster_role_bindings.push(a(value)?),
            "NetworkPolicy" => self.network_policies.push(a(value)?),
            "Secret" => {
                let mut s: Secret = serde_json::from_value(value)?;
                s.data = None;
                s.string_data = None;
                self.secrets.push(Arc::new(s));
            }
            "NodeMetrics" => self.node_metrics.push(a(value)?),
            "PodMetrics" => self.pod_metrics.push(a(value)?),
            _ => {}
        }
        Ok(())
    }

    /// Builds a snapshot from a multi-document `cluster.yaml` (the fixture
    /// format); `now` is the instant ages are computed against.
    pub fn from_yaml(text: &str, now: Option<Timestamp>) -> Result<Self, SnapshotYamlError> {
        let mut snap = Snapshot { now, ..Default::default() };
        for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let err = |message: String| SnapshotYamlError { index, message };
            let value = serde_json::Value::deserialize(doc).map_err(|e| err(e.to_string()))?;
            if value.is_null() {
                continue;
            }
            snap.insert_json(value).map_err(|e| err(e.to_string()))?;
        }
        if snap.server_version.is_none() {
            snap.server_version = snap
                .nodes
                .iter()
                .find_map(|n| n.status.as_ref()?.node_info.as_ref().map(|i| i.kubelet_version.clone()));
        }
        Ok(snap)
    }
}

/// Container log text prefetched for analyzers, keyed by
/// `(namespace, pod, container, previous)`.
pub type LogTexts = BTreeMap<(String, String, String, bool), String>;
