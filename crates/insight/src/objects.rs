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

fn wrap<'a, T, F>(kind: Kind, list: &'a [Arc<T>], meta: fn(&T) -> &ObjectMeta, item: F) -> Vec<AnyObject<'a>>
where
    F: Fn(&'a T) -> Item<'a>,
{
    list.iter().map(|o| AnyObject { kind, meta: meta(o), item: item(o) }).collect()
}

impl Snapshot {
    /// Every object of one kind (none for `Container`), in cache order.
    pub fn objects(&self, kind: Kind) -> Vec<AnyObject<'_>> {
        use k8s_openapi::Metadata;
        match kind {
            Kind::Pod => wrap(kind, &self.pods, |o| o.metadata(), Item::Pod),
            Kind::Node => wrap(kind, &self.nodes, |o| o.metadata(), Item::Node),
            Kind::Deployment => wrap(kind, &self.deployments, |o| o.metadata(), Item::Deployment),
            Kind::StatefulSet => wrap(kind, &self.stateful_sets, |o| o.metadata(), Item::StatefulSet),
            Kind::DaemonSet => wrap(kind, &self.daemon_sets, |o| o.metadata(), Item::DaemonSet),
            Kind::ReplicaSet => wrap(kind, &self.replica_sets, |o| o.metadata(), Item::ReplicaSet),
            Kind::Job => wrap(kind, &self.jobs, |o| o.metadata(), Item::Job),
            Kind::CronJob => wrap(kind, &self.cron_jobs, |o| o.metadata(), Item::CronJob),
            Kind::Service => wrap(kind, &self.services, |o| o.metadata(), Item::Service),
            Kind::Endpoints => wrap(kind, &self.endpoints, |o| o.metadata(), Item::Endpoints),
            Kind::Ingress => wrap(kind, &self.ingresses, |o| o.metadata(), Item::Ingress),
            Kind::Pvc => wrap(kind, &self.pvcs, |o| o.metadata(), Item::Pvc),
            Kind::Pv => wrap(kind, &self.pvs, |o| o.metadata(), Item::Pv),
            Kind::Event => wrap(kind, &self.events, |o| o.metadata(), Item::Event),
            Kind::Hpa => wrap(kind, &self.hpas, |o| o.metadata(), Item::Hpa),
            Kind::ConfigMap => wrap(kind, &self.config_maps, |o| o.metadata(), Item::ConfigMap),
            Kind::Secret => wrap(kind, &self.secrets, |o| o.metadata(), Item::Secret),
            Kind::Namespace => wrap(kind, &self.namespaces, |o| o.metadata(), Item::Namespace),
            Kind::Container => Vec::new(),
        }
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
    pub fn get(&self, kind: Kind, namespace: Option<&str>, name: &str) -> Vec<AnyObject<'_>> {
        let ns_ok = |o: &AnyObject<'_>| !kind.namespaced() || namespace.is_none_or(|n| o.namespace() == n);
        self.objects(kind).into_iter().filter(|o| o.name() == name && ns_ok(o)).collect()
    }
}
