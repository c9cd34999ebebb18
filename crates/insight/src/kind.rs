//! The kinds a question, a tool call or a UI panel can name: their API
//! names, kubectl names, whether they are namespaced, and every word people
//! and models use for them. One table; the router, the tools and the UI read
//! it.

/// A kind of object (or a part of one: a container).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Pod.
    Pod,
    /// Node.
    Node,
    /// Deployment.
    Deployment,
    /// StatefulSet.
    StatefulSet,
    /// DaemonSet.
    DaemonSet,
    /// ReplicaSet.
    ReplicaSet,
    /// Job.
    Job,
    /// CronJob.
    CronJob,
    /// Service.
    Service,
    /// Endpoints.
    Endpoints,
    /// Ingress.
    Ingress,
    /// PersistentVolumeClaim.
    Pvc,
    /// PersistentVolume.
    Pv,
    /// Event.
    Event,
    /// HorizontalPodAutoscaler.
    Hpa,
    /// ConfigMap.
    ConfigMap,
    /// Secret.
    Secret,
    /// Namespace.
    Namespace,
    /// Container (a part of a pod, not an object).
    Container,
}

/// One row of the kind table.
struct Row {
    kind: Kind,
    api: &'static str,
    tool: &'static str,
    kubectl: &'static str,
    namespaced: bool,
    /// Every word for the kind, as people and models write it.
    words: &'static [&'static str],
}

#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { kind: Kind::Pod, api: "Pod", tool: "pod", kubectl: "pods", namespaced: true, words: &["pod", "pods", "po"] },
    Row { kind: Kind::Node, api: "Node", tool: "node", kubectl: "nodes", namespaced: false, words: &["node", "nodes", "machines", "workers", "worker"] },
    Row { kind: Kind::Deployment, api: "Deployment", tool: "deployment", kubectl: "deployments", namespaced: true, words: &["deployment", "deployments", "deploy", "deploys"] },
    Row { kind: Kind::StatefulSet, api: "StatefulSet", tool: "statefulset", kubectl: "statefulsets", namespaced: true, words: &["statefulset", "statefulsets", "sts", "stateful-set", "stateful-sets"] },
    Row { kind: Kind::DaemonSet, api: "DaemonSet", tool: "daemonset", kubectl: "daemonsets", namespaced: true, words: &["daemonset", "daemonsets", "ds", "daemon-set", "daemon-sets"] },
    Row { kind: Kind::ReplicaSet, api: "ReplicaSet", tool: "replicaset", kubectl: "replicasets", namespaced: true, words: &["replicaset", "replicasets", "rs", "replica-set", "replica-sets"] },
    Row { kind: Kind::Job, api: "Job", tool: "job", kubectl: "jobs", namespaced: true, words: &["job", "jobs"] },
    Row { kind: Kind::CronJob, api: "CronJob", tool: "cronjob", kubectl: "cronjobs", namespaced: true, words: &["cronjob", "cronjobs", "cron-job", "cron-jobs", "cj", "cron"] },
    Row { kind: Kind::Service, api: "Service", tool: "service", kubectl: "services", namespaced: true, words: &["service", "services", "svc", "svcs"] },
    Row { kind: Kind::Endpoints, api: "Endpoints", tool: "endpoints", kubectl: "endpoints", namespaced: true, words: &["endpoints", "endpoint", "ep", "endpointslice", "endpointslices"] },
    Row { kind: Kind::Ingress, api: "Ingress", tool: "ingress", kubectl: "ingresses", namespaced: true, words: &["ingress", "ingresses", "ing"] },
    Row { kind: Kind::Pvc, api: "PersistentVolumeClaim", tool: "pvc", kubectl: "pvc", namespaced: true, words: &["pvc", "pvcs", "persistentvolumeclaim", "persistentvolumeclaims", "claim", "claims", "volume-claim", "volume-claims"] },
    Row { kind: Kind::Pv, api: "PersistentVolume", tool: "pv", kubectl: "pv", namespaced: false, words: &["pv", "pvs", "persistentvolume", "persistentvolumes", "persistent-volume", "persistent-volumes"] },
    Row { kind: Kind::Event, api: "Event", tool: "event", kubectl: "events", namespaced: true, words: &["event", "events", "ev"] },
    Row { kind: Kind::Hpa, api: "HorizontalPodAutoscaler", tool: "hpa", kubectl: "hpa", namespaced: true, words: &["hpa", "hpas", "autoscaler", "autoscalers", "horizontalpodautoscaler", "horizontalpodautoscalers"] },
    Row { kind: Kind::ConfigMap, api: "ConfigMap", tool: "configmap", kubectl: "configmaps", namespaced: true, words: &["configmap", "configmaps", "cm", "config-map", "config-maps"] },
    Row { kind: Kind::Secret, api: "Secret", tool: "secret", kubectl: "secrets", namespaced: true, words: &["secret", "secrets"] },
    Row { kind: Kind::Namespace, api: "Namespace", tool: "namespace", kubectl: "namespaces", namespaced: false, words: &["namespace", "namespaces", "ns"] },
    Row { kind: Kind::Container, api: "Container", tool: "container", kubectl: "pods", namespaced: true, words: &["container", "containers"] },
];

impl Kind {
    /// Every kind of object the snapshot holds (not `Container`), in the
    /// order tools list them.
    pub const OBJECTS: &'static [Kind] = &[
        Kind::Pod,
        Kind::Node,
        Kind::Deployment,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::ReplicaSet,
        Kind::Job,
        Kind::CronJob,
        Kind::Service,
        Kind::Endpoints,
        Kind::Ingress,
        Kind::Pvc,
        Kind::Pv,
        Kind::Event,
        Kind::Hpa,
        Kind::ConfigMap,
        Kind::Secret,
        Kind::Namespace,
    ];

    fn row(self) -> &'static Row {
        TABLE.iter().find(|r| r.kind == self).expect("every kind has a row")
    }

    /// The Kubernetes kind name (`PersistentVolumeClaim`).
    pub fn name(self) -> &'static str {
        self.row().api
    }

    /// The tools' name (`pvc`, `deployment`).
    pub fn tool_name(self) -> &'static str {
        self.row().tool
    }

    /// The kubectl resource name (`pvc`, `deployments`).
    pub fn kubectl(self) -> &'static str {
        self.row().kubectl
    }

    /// Whether objects of this kind run pods (a pod itself, a workload, a
    /// Job or a CronJob).
    pub fn runs_pods(self) -> bool {
        matches!(
            self,
            Kind::Pod
                | Kind::Deployment
                | Kind::StatefulSet
                | Kind::DaemonSet
                | Kind::ReplicaSet
                | Kind::Job
                | Kind::CronJob
        )
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        self.row().namespaced
    }

    /// The kind a word names (`deploy`, `PVCs`, `HorizontalPodAutoscaler`), if any.
    pub fn from_word(word: &str) -> Option<Kind> {
        let w = word.trim().to_lowercase();
        TABLE.iter().find(|r| r.words.contains(&w.as_str()) || r.api.eq_ignore_ascii_case(&w)).map(|r| r.kind)
    }

    /// The kind an API `kind` field names (`Deployment`), exactly.
    pub fn from_api(kind: &str) -> Option<Kind> {
        TABLE.iter().find(|r| r.api == kind).map(|r| r.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_kind_round_trips_through_its_words() {
        for &k in Kind::OBJECTS {
            assert_eq!(Kind::from_word(k.tool_name()), Some(k));
            assert_eq!(Kind::from_word(k.kubectl()), Some(k));
            assert_eq!(Kind::from_api(k.name()), Some(k));
            assert_eq!(Kind::from_word(&k.name().to_uppercase()), Some(k));
        }
        assert_eq!(Kind::from_word("deploy"), Some(Kind::Deployment));
        assert_eq!(Kind::from_word("PVCs"), Some(Kind::Pvc));
        assert_eq!(Kind::from_word("frontend"), None);
        assert!(!Kind::Node.namespaced() && Kind::Pod.namespaced());
    }
}
