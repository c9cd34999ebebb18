//! The resource types the demo server serves, as discovery advertises them.

/// One served resource type.
#[derive(Debug)]
pub struct ResourceType {
    /// API group (`""` for core).
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// URL plural, e.g. `deployments`.
    pub plural: &'static str,
    /// Singular name, e.g. `deployment`.
    pub singular: &'static str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// kubectl short names.
    pub short_names: &'static [&'static str],
    /// Categories (`all`).
    pub categories: &'static [&'static str],
    /// Verbs the demo server implements for the main resource.
    pub verbs: &'static [&'static str],
    /// Subresources: `(name, kind, group, version, verbs)`.
    pub subresources: &'static [Subresource],
}

/// A subresource such as `pods/log` or `deployments/scale`.
#[derive(Debug)]
pub struct Subresource {
    /// The name after the slash.
    pub name: &'static str,
    /// The kind it returns.
    pub kind: &'static str,
    /// The group of that kind.
    pub group: &'static str,
    /// The version of that kind.
    pub version: &'static str,
    /// Verbs served.
    pub verbs: &'static [&'static str],
}

const READ: &[&str] = &["get", "list", "watch"];
const READ_PATCH: &[&str] = &["get", "list", "patch", "watch"];
const POD_VERBS: &[&str] = &["delete", "get", "list", "patch", "watch"];
const ALL: &[&str] = &["all"];
const SCALE: Subresource = Subresource {
    name: "scale",
    kind: "Scale",
    group: "autoscaling",
    version: "v1",
    verbs: &["get", "patch", "update"],
};

macro_rules! rt {
    ($g:expr, $v:expr, $p:expr, $s:expr, $k:expr, $ns:expr, $short:expr, $cat:expr, $verbs:expr, $sub:expr) => {
        ResourceType {
            group: $g,
            version: $v,
            plural: $p,
            singular: $s,
            kind: $k,
            namespaced: $ns,
            short_names: $short,
            categories: $cat,
            verbs: $verbs,
            subresources: $sub,
        }
    };
}

/// Every served resource, in discovery order.
pub static RESOURCES: &[ResourceType] = &[
    rt!("", "v1", "namespaces", "namespace", "Namespace", false, &["ns"], &[], READ, &[]),
    rt!("", "v1", "nodes", "node", "Node", false, &["no"], &[], READ_PATCH, &[]),
    rt!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        ALL,
        POD_VERBS,
        &[
            Subresource { name: "log", kind: "Pod", group: "", version: "v1", verbs: &["get"] },
            Subresource { name: "eviction", kind: "Eviction", group: "policy", version: "v1", verbs: &["create"] },
        ]
    ),
    rt!("", "v1", "services", "service", "Service", true, &["svc"], ALL, READ_PATCH, &[]),
    rt!("", "v1", "endpoints", "endpoints", "Endpoints", true, &["ep"], &[], READ, &[]),
    rt!("", "v1", "configmaps", "configmap", "ConfigMap", true, &["cm"], &[], READ_PATCH, &[]),
    rt!("", "v1", "secrets", "secret", "Secret", true, &[], &[], READ, &[]),
    rt!("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], &[], READ, &[]),
    rt!(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        &[],
        READ,
        &[]
    ),
    rt!("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, &["pv"], &[], READ, &[]),
    rt!("", "v1", "events", "event", "Event", true, &["ev"], &[], READ, &[]),
    rt!("apps", "v1", "deployments", "deployment", "Deployment", true, &["deploy"], ALL, READ_PATCH, &[SCALE]),
    rt!("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, &["rs"], ALL, READ_PATCH, &[SCALE]),
    rt!("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, &["sts"], ALL, READ_PATCH, &[SCALE]),
    rt!("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, &["ds"], ALL, READ_PATCH, &[]),
    rt!("batch", "v1", "jobs", "job", "Job", true, &[], ALL, &["create", "get", "list", "watch"], &[]),
    rt!("batch", "v1", "cronjobs", "cronjob", "CronJob", true, &["cj"], ALL, READ_PATCH, &[]),
    rt!("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, &["ing"], &[], READ_PATCH, &[]),
    rt!(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        &["netpol"],
        &[],
        READ,
        &[]
    ),
    rt!("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, &[], &[], READ, &[]),
    rt!("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, &[], &[], READ, &[]),
    rt!("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, &[], &[], READ, &[]),
    rt!(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        &[],
        &[],
        READ,
        &[]
    ),
    rt!(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        &[],
        READ,
        &[]
    ),
    rt!(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        ALL,
        READ_PATCH,
        &[]
    ),
    rt!("metrics.k8s.io", "v1beta1", "nodes", "", "NodeMetrics", false, &[], &[], &["get", "list"], &[]),
    rt!("metrics.k8s.io", "v1beta1", "pods", "", "PodMetrics", true, &[], &[], &["get", "list"], &[]),
    rt!(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "",
        "SelfSubjectAccessReview",
        false,
        &[],
        &[],
        &["create"],
        &[]
    ),
];

/// Index of a resource in [`RESOURCES`].
pub type ResourceId = usize;

/// Finds a resource by group, version and URL plural.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<ResourceId> {
    RESOURCES.iter().position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds the resource holding objects of `(apiVersion, kind)`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<ResourceId> {
    RESOURCES.iter().position(|r| r.kind == kind && r.api_version() == api_version)
}

impl ResourceType {
    /// `apiVersion` string, e.g. `apps/v1` or `v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether objects of this type are stored (SelfSubjectAccessReview is not).
    pub fn is_stored(&self) -> bool {
        self.verbs.contains(&"list")
    }
}

/// The group versions served, in preference order: `(group, version)`.
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}
