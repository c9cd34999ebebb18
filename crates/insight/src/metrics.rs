//! `metrics.k8s.io/v1beta1` types (`NodeMetrics`, `PodMetrics`).
//!
//! k8s-openapi does not ship the metrics API, so the two types are defined
//! here with the same field names, plus `kube::Resource` impls so that
//! `kube::Api<PodMetrics>` works against any metrics-server.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

/// Resource usage of one node, as metrics-server reports it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeMetrics {
    /// Standard object metadata (name of the node).
    pub metadata: ObjectMeta,
    /// When the sample was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Time>,
    /// The window the sample averages over, e.g. `20.481s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// `cpu` and `memory` usage.
    #[serde(default)]
    pub usage: BTreeMap<String, Quantity>,
}

/// Resource usage of one pod, per container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodMetrics {
    /// Standard object metadata (name and namespace of the pod).
    pub metadata: ObjectMeta,
    /// When the sample was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Time>,
    /// The window the sample averages over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Usage per container.
    #[serde(default)]
    pub containers: Vec<ContainerMetrics>,
}

/// Usage of one container.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerMetrics {
    /// Container name.
    pub name: String,
    /// `cpu` and `memory` usage.
    #[serde(default)]
    pub usage: BTreeMap<String, Quantity>,
}

macro_rules! metrics_resource {
    ($ty:ty, $kind:literal, $plural:literal, $scope:ty) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = $scope;

            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed("metrics.k8s.io")
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed("v1beta1")
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

metrics_resource!(NodeMetrics, "NodeMetrics", "nodes", k8s_openapi::ClusterResourceScope);
metrics_resource!(PodMetrics, "PodMetrics", "pods", k8s_openapi::NamespaceResourceScope);

impl PodMetrics {
    /// The pod's usage, containers summed: (CPU millicores, memory bytes).
    pub fn usage(&self) -> (f64, f64) {
        use crate::text::{cpu_millis, mem_bytes};
        self.containers.iter().fold((0.0, 0.0), |(c, m), x| {
            (
                c + x.usage.get("cpu").map_or(0.0, |q| cpu_millis(&q.0)),
                m + x.usage.get("memory").map_or(0.0, |q| mem_bytes(&q.0)),
            )
        })
    }
}
