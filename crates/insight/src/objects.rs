//! Objects of any kind, read the same way: `Snapshot::objects(kind)` and
//! `Snapshot::get(kind, namespace, name)` replace a scan per kind in every
//! tool.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// One object of the snapshot, any kind.
#[derive(Debug, Clone, Copy)]
pub struct AnyObject<'a> {
    /// Its kind.
    pub kind: Kind,
    /// Its metadata.
    pub meta: &'a ObjectMeta,
    item: Item<'a>,
}

/// The typed object behind an [`AnyObject`].
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs)]
pub enum Item<'a> {
    Pod(&'a k8s_openapi::api::core::v1::Pod),
    Node(&'a k8s_openapi::api::core::v1::Node),
    Deployment(&'a k8s_openapi::api::apps::v1::Deployment),
    StatefulSet(&'a k8s_openapi::api::apps::v1::StatefulSet),
    DaemonSet(&'a k8s_openapi::api::apps::v1::DaemonSet),
    ReplicaSet(&'a k8s_openapi::api::apps::v1::ReplicaSet),
    Job(&'a k8s_openapi::api::batch::v1::Job),
    CronJob(&'a k8s_openapi::api::batch::v1::CronJob),
    Service(&'a k8s_openapi::api::core::v1::Service),
    Endpoints(&'a k8s_openapi::api::core::v1::Endpoints),
    Ingress(&'a k8s_openapi::api::networking::v1::Ingress),
    Pvc(&'a k8s_openapi::api::core::v1::PersistentVolumeClaim),
    Pv(&'a k8s_openapi::api::core::v1::PersistentVolume),
    Event(&'a k8s_openapi::api::core::v1::Event),
    Hpa(&'a k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler),
    ConfigMap(&'a k8s_openapi::api::core::v1::ConfigMap),
    Secret(&'a k8s_openapi::api::core::v1::Secret),
    Namespace(&'a k8s_openapi::api::core::v1::Namespace),
}

impl<'a> AnyObject<'a> {
    /// The typed object.
    pub fn item(&self) -> Item<'a> {
        self.item
    }

    /// Its name ("" if the object has none).
    pub fn name(&self) -> &'a str {
        self.meta.name.as_deref().unwrap_or("")
    }

    /// Its namespace ("" when cluster-scoped).
    pub fn namespace(&self) -> &'a str {
        self.meta.namespace.as_deref().unwrap_or("")
    }

    /// The pod spec it runs: a pod's own, a workload's template (a
    /// CronJob's job template's); `None` for kinds that run no pods.
    pub fn pod_spec(&self) -> Option<&'a k8s_openapi::api::core::v1::PodSpec> {
        match self.item {
            Item::Pod(o) => o.spec.as_ref(),
            Item::Deployment(o) => o.spec.as_ref()?.template.spec.as_ref(),
            Item::StatefulSet(o) => o.spec.as_ref()?.template.spec.as_ref(),
            Item::DaemonSet(o) => o.spec.as_ref()?.template.spec.as_ref(),
            Item::ReplicaSet(o) => o.spec.as_ref()?.template.as_ref()?.spec.as_ref(),
            Item::Job(o) => o.spec.as_ref()?.template.spec.as_ref(),
            Item::CronJob(o) => o.spec.as_ref()?.job_template.spec.as_ref()?.template.spec.as_ref(),
            _ => None,
        }
    }

    /// The object as JSON (as the API server would serve it; Secrets carry no data).
    pub fn to_json(&self) -> Value {
        let v = match self.item {
            Item::Pod(o) => serde_json::to_value(o),
            Item::Node(o) => serde_json::to_value(o),
            Item::Deployment(o) => serde_json::to_value(o),
            Item::StatefulSet(o) => serde_json::to_value(o),
            Item::DaemonSet(o) => serde_json::to_value(o),
            Item::ReplicaSet(o) => serde_json::to_value(o),
            Item::Job(o) => serde_json::to_value(o),
            Item::CronJob(o) => serde_json::to_value(o),
            Item::Service(o) => serde_json::to_value(o),
            Item::Endpoints(o) => serde_json::to_value(o),
            Item::Ingress(o) => serde_json::to_value(o),
            Item::Pvc(o) => serde_json::to_value(o),
            Item::Pv(o) => serde_json::to_value(o),
            Item::Event(o) => serde_json::to_value(o),
            Item::Hpa(o) => serde_json::to_value(o),
            Item::ConfigMap(o) => serde_json::to_value(o),
            Item::Secret(o) => serde_json::to_value(o),
            Item::Namespace(o) => serde_json::to_value(o),
        };
        v.unwrap_or_default()
    }
}

fn at<'a, T: k8s_openapi::Metadata<Ty = ObjectMeta>>(
    kind: Kind,
    list: &'a [Arc<T>],
    i: usize,
    item: fn(&'a T) -> Item<'a>,
) -> Option<AnyObject<'a>> {
    let o = list.get(i)?;
    Some(AnyObject { kind, meta: o.metadata(), item: item(o) })
}

impl Snapshot {
    /// The `i`-th object of a kind, in cache order.
    pub fn nth(&self, kind: Kind, i: usize) -> Option<AnyObject<'_>> {
        match kind {
            Kind::Pod => at(kind, &self.pods, i, Item::Pod),
            Kind::Node => at(kind, &self.nodes, i, Item::Node),
            Kind::Deployment => at(kind, &self.deployments, i, Item::Deployment),
            Kind::StatefulSet => at(kind, &self.stateful_sets, i, Item::StatefulSet),
            Kind::DaemonSet => at(kind, &self.daemon_sets, i, Item::DaemonSet),
            Kind::ReplicaSet => at(kind, &self.replica_sets, i, Item::ReplicaSet),
            Kind::Job => at(kind, &self.jobs, i, Item::Job),
            Kind::CronJob => at(kind, &self.cron_jobs, i, Item::CronJob),
            Kind::Service => at(kind, &self.services, i, Item::Service),
            Kind::Endpoints => at(kind, &self.endpoints, i, Item::Endpoints),
            Kind::Ingress => at(kind, &self.ingresses, i, Item::Ingress),
            Kind::Pvc => at(kind, &self.pvcs, i, Item::Pvc),
            Kind::Pv => at(kind, &self.pvs, i, Item::Pv),
            Kind::Event => at(kind, &self.events, i, Item::Event),
            Kind::Hpa => at(kind, &self.hpas, i, Item::Hpa),
            Kind::ConfigMap => at(kind, &self.config_maps, i, Item::ConfigMap),
            Kind::Secret => at(kind, &self.secrets, i, Item::Secret),
            Kind::Namespace => at(kind, &self.namespaces, i, Item::Namespace),
            Kind::Container => None,
        }
    }

    /// Every object of one kind (none for `Container`), in cache order.
    pub fn objects(&self, kind: Kind) -> Vec<AnyObject<'_>> {
        (0..self.count(kind)).filter_map(|i| self.nth(kind, i)).collect()
    }

    /// How many objects of a kind the snapshot holds.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Pod => self.pods.len(),
            Kind::Node => self.nodes.len(),
            Kind::Deployment => self.deployments.len(),
            Kind::StatefulSet => self.stateful_sets.len(),
            Kind::DaemonSet => self.daemon_sets.len(),
            Kind::ReplicaSet => self.replica_sets.len(),
            Kind::Job => self.jobs.len(),
            Kind::CronJob => self.cron_jobs.len(),
            Kind::Service => self.services.len(),
            Kind::Endpoints => self.endpoints.len(),
            Kind::Ingress => self.ingresses.len(),
            Kind::Pvc => self.pvcs.len(),
            Kind::Pv => self.pvs.len(),
            Kind::Event => self.events.len(),
            Kind::Hpa => self.hpas.len(),
            Kind::ConfigMap => self.config_maps.len(),
            Kind::Secret => self.secrets.len(),
            Kind::Namespace => self.namespaces.len(),
            Kind::Container => 0,
        }
    }

    /// The objects of `kind` called `name`, in `namespace` when given (a
    /// cluster-scoped kind ignores it): one, none, or one per namespace.
    /// Read through the snapshot's name index.
    pub fn get(&self, kind: Kind, namespace: Option<&str>, name: &str) -> Vec<AnyObject<'_>> {
        let ns_ok = |o: &AnyObject<'_>| !kind.namespaced() || namespace.is_none_or(|n| o.namespace() == n);
        let positions = self.index().positions_named(kind, name);
        positions.into_iter().filter_map(|i| self.nth(kind, i)).filter(ns_ok).collect()
    }
}

/// The values at a field path of an object's JSON, as text: `/`-separated
/// keys (the API's own field names), `*` for every element of a list and
/// `~keys` for the keys of a map. `/spec/containers/*/name` → every
/// container's name; `/data/~keys` → a ConfigMap's keys. Missing fields
/// give nothing; numbers and booleans print as JSON does.
pub fn values_at(v: &Value, path: &str) -> Vec<String> {
    let mut here = vec![v];
    for step in path.split('/').filter(|s| !s.is_empty()) {
        if step == "~keys" {
            return here.into_iter().filter_map(Value::as_object).flat_map(|m| m.keys().cloned()).collect();
        }
        let mut next = Vec::new();
        for v in here {
            match (step, v) {
                ("*", Value::Array(items)) => next.extend(items.iter()),
                (key, Value::Object(m)) => next.extend(m.get(key)),
                _ => {}
            }
        }
        here = next;
    }
    here.into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::values_at;
    use serde_json::json;

    #[test]
    fn field_paths_read_lists_maps_and_scalars() {
        let pod = json!({"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 80}]}, {"name": "sidecar"}],
                                  "serviceAccountName": "web"},
                         "data": {"a": "1", "b": "2"}});
        assert_eq!(values_at(&pod, "/spec/containers/*/name"), ["app", "sidecar"]);
        assert_eq!(values_at(&pod, "/spec/containers/*/ports/*/containerPort"), ["80"]);
        assert_eq!(values_at(&pod, "/spec/serviceAccountName"), ["web"]);
        assert_eq!(values_at(&pod, "/data/~keys"), ["a", "b"]);
        assert!(values_at(&pod, "/spec/initContainers/*/name").is_empty());
        assert!(values_at(&pod, "/spec/containers/name").is_empty(), "a list is not a map");
    }
}
