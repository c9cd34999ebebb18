//! Fixture clusters: a folder holding `cluster.yaml` (every object as
//! `kubectl get -o yaml` prints it), `logs/<ns>/<pod>/<container>[.previous].log`,
//! and the optional `fixture.yaml` (`now:`) and `rbac.yaml`.
//!
//! Loading validates every document against its k8s-openapi type, so a bad
//! fixture fails with the file, the document index and the field at fault
//! instead of surfacing later as a confusing answer.

// NB: fixture errors carry the file, document, kind, name and field so the
// message is actionable; loading is a cold path, so their size is fine.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The demo fixture shipped inside the binary (acme-shop).
static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../tests/fixtures/acme-shop");

/// Errors from loading a fixture. Each names the file (and document) at fault.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The folder or a file in it could not be read.
    #[error("cannot read fixture file {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The folder has no `cluster.yaml`.
    #[error("{0} has no cluster.yaml: a fixture folder needs one (see DESIGN.md, 'Fixture clusters')")]
    MissingClusterYaml(PathBuf),
    /// A document is not valid YAML.
    #[error("{file}: document {index}: invalid YAML: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// Index of the document in the file (0-based).
        index: usize,
        /// What the YAML parser said, with line and column.
        message: String,
    },
    /// A document lacks `apiVersion`/`kind` or names a kind we do not serve.
    #[error("{file}: document {index}: unknown kind {api_version}/{kind}; supported kinds: {supported}")]
    UnknownKind {
        /// The file.
        file: String,
        /// Index of the document in the file (0-based).
        index: usize,
        /// The document's apiVersion.
        api_version: String,
        /// The document's kind.
        kind: String,
        /// The kinds a fixture may hold.
        supported: String,
    },
    /// A document does not match its kind's schema (a wrong field type).
    #[error("{file}: document {index} ({kind} {name}): field `{path}`: {message}")]
    InvalidObject {
        /// The file.
        file: String,
        /// Index of the document in the file (0-based).
        index: usize,
        /// The object's kind.
        kind: String,
        /// The object's name, if it has one.
        name: String,
        /// Path of the bad field, e.g. `spec.replicas`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// An object has no `metadata.name`.
    #[error("{file}: document {index} ({kind}): metadata.name is missing")]
    MissingName {
        /// The file.
        file: String,
        /// Index of the document in the file (0-based).
        index: usize,
        /// The object's kind.
        kind: String,
    },
    /// `fixture.yaml` or `rbac.yaml` is malformed.
    #[error("{file}: {message}")]
    Settings {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Result alias for fixture loading.
pub type Result<T, E = FixtureError> = std::result::Result<T, E>;

/// One object of the fixture, validated, kept as JSON.
#[derive(Clone, Debug)]
pub struct FixtureObject {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// The whole object.
    pub value: serde_json::Value,
}

/// Identifies one container log file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogKey {
    /// Pod namespace.
    pub namespace: String,
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// Whether this is the previous (terminated) instance's log.
    pub previous: bool,
}

/// What `SelfSubjectAccessReview` answers, from `rbac.yaml`.
///
/// ```yaml
/// default: allow          # or deny
/// rules:                  # first match wins
///   - verbs: [delete]
///     resources: [pods]   # "deployments/scale" names a subresource; "*" any
///     namespaces: [data]  # optional; omitted means every namespace
///     allowed: false
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RbacRules {
    /// Answer when no rule matches (`allow` unless stated).
    #[serde(default)]
    pub default: RbacDefault,
    /// Rules, tried in order.
    #[serde(default)]
    pub rules: Vec<RbacRule>,
}

/// The fallback answer of [`RbacRules`].
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RbacDefault {
    /// Everything not matched is allowed.
    #[default]
    Allow,
    /// Everything not matched is denied.
    Deny,
}

/// One rule of [`RbacRules`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RbacRule {
    /// Verbs (`get`, `list`, `watch`, `patch`, `update`, `delete`, `create`, `*`).
    pub verbs: Vec<String>,
    /// Resources, optionally with a subresource (`pods/log`), or `*`.
    pub resources: Vec<String>,
    /// Namespaces the rule applies to; empty means all.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// The answer when the rule matches.
    pub allowed: bool,
}

impl RbacRules {
    /// Whether `verb` on `resource` (with optional `/subresource`) in
    /// `namespace` is allowed.
    pub fn allows(&self, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
        let hit = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        for rule in &self.rules {
            let ns_ok = rule.namespaces.is_empty() || namespace.is_some_and(|ns| hit(&rule.namespaces, ns));
            if hit(&rule.verbs, verb) && hit(&rule.resources, resource) && ns_ok {
                return rule.allowed;
            }
        }
        self.default == RbacDefault::Allow
    }
}

#[derive(Deserialize)]
struct Settings {
    now: Option<String>,
}

/// A loaded, validated fixture cluster.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    /// Every object in `cluster.yaml`, in file order.
    pub objects: Vec<FixtureObject>,
    /// Container logs.
    pub logs: BTreeMap<LogKey, String>,
    /// The instant the fixture was captured (`fixture.yaml`'s `now`).
    pub now: Option<Timestamp>,
    /// RBAC answers, if the fixture restricts anything.
    pub rbac: Option<RbacRules>,
    /// The demo's past metrics (`metrics.yaml`), if the fixture has one.
    pub metrics: Option<crate::demo::shapes::MetricsPlan>,
}

/// The kinds a fixture may hold, as `(apiVersion, kind)`.
pub const SUPPORTED_KINDS: &[(&str, &str)] = &[
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "PersistentVolume"),
    ("v1", "Event"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("metrics.k8s.io/v1beta1", "NodeMetrics"),
    ("metrics.k8s.io/v1beta1", "PodMetrics"),
];

/// Checks `value` against the k8s-openapi type of `(api_version, kind)`.
/// Returns `Ok(false)` for a kind that is not supported, and the bad
/// field's path and message when the object does not fit its type.
pub fn validate_object(
    api_version: &str,
    kind: &str,
    value: &serde_json::Value,
) -> std::result::Result<bool, (String, String)> {
    use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch};
    use k8s_openapi::api::{core::v1 as core, networking::v1 as networking, rbac::v1 as rbac};
    fn check<T: DeserializeOwned>(v: &serde_json::Value) -> std::result::Result<bool, (String, String)> {
        serde_path_to_error::deserialize::<_, T>(v)
            .map(|_| true)
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
    }
    match (api_version, kind) {
        ("v1", "Namespace") => check::<core::Namespace>(value),
        ("v1", "Node") => check::<core::Node>(value),
        ("v1", "Pod") => check::<core::Pod>(value),
        ("v1", "Service") => check::<core::Service>(value),
        ("v1", "Endpoints") => check::<core::Endpoints>(value),
        ("v1", "ConfigMap") => check::<core::ConfigMap>(value),
        ("v1", "Secret") => check::<core::Secret>(value),
        ("v1", "PersistentVolumeClaim") => check::<core::PersistentVolumeClaim>(value),
        ("v1", "PersistentVolume") => check::<core::PersistentVolume>(value),
        ("v1", "Event") => check::<core::Event>(value),
        ("apps/v1", "Deployment") => check::<apps::Deployment>(value),
        ("apps/v1", "ReplicaSet") => check::<apps::ReplicaSet>(value),
        ("apps/v1", "StatefulSet") => check::<apps::StatefulSet>(value),
        ("apps/v1", "DaemonSet") => check::<apps::DaemonSet>(value),
        ("batch/v1", "Job") => check::<batch::Job>(value),
        ("batch/v1", "CronJob") => check::<batch::CronJob>(value),
        ("networking.k8s.io/v1", "Ingress") => check::<networking::Ingress>(value),
        ("policy/v1", "PodDisruptionBudget") => check::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(value),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => check::<autoscaling::HorizontalPodAutoscaler>(value),
        ("v1", "ServiceAccount") => check::<core::ServiceAccount>(value),
        ("rbac.authorization.k8s.io/v1", "Role") => check::<rbac::Role>(value),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => check::<rbac::ClusterRole>(value),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => check::<rbac::RoleBinding>(value),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => check::<rbac::ClusterRoleBinding>(value),
        ("networking.k8s.io/v1", "NetworkPolicy") => check::<networking::NetworkPolicy>(value),
        ("metrics.k8s.io/v1beta1", "NodeMetrics") => check::<kubeask_insight::metrics::NodeMetrics>(value),
        ("metrics.k8s.io/v1beta1", "PodMetrics") => check::<kubeask_insight::metrics::PodMetrics>(value),
        _ => Ok(false),
    }
}

impl Fixture {
    /// The built-in demo fixture (acme-shop), embedded in the binary.
    pub fn builtin() -> Self {
        fn walk(dir: &Dir<'static>, out: &mut Vec<(String, Vec<u8>)>) {
            for entry in dir.entries() {
                if let Some(d) = entry.as_dir() {
                    walk(d, out);
                } else if let Some(f) = entry.as_file() {
                    out.push((f.path().to_string_lossy().replace('\\', "/"), f.contents().to_vec()));
                }
            }
        }
        let mut files = Vec::new();
        walk(&BUILTIN, &mut files);
        // NB: the embedded fixture is checked by this crate's tests, so a
        // failure here is a build defect, not user input.
        Self::from_files("built-in fixture", files).expect("the built-in fixture is valid")
    }

    /// Loads a fixture folder from disk.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        if !dir.join("cluster.yaml").is_file() {
            return Err(FixtureError::MissingClusterYaml(dir.to_path_buf()));
        }
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        Self::from_files(&dir.display().to_string(), files)
    }

    /// Builds a fixture from `(relative path, contents)` pairs.
    pub fn from_files(origin: &str, files: Vec<(String, Vec<u8>)>) -> Result<Self> {
        let mut fixture = Fixture::default();
        let text = |path: &str, bytes: &[u8]| {
            String::from_utf8(bytes.to_vec()).map_err(|_| FixtureError::Settings {
                file: format!("{origin}/{path}"),
                message: "not UTF-8 text".into(),
            })
        };
        let mut saw_cluster = false;
        for (path, bytes) in &files {
            let shown = format!("{origin}/{path}");
            if path == "cluster.yaml" {
                saw_cluster = true;
                fixture.objects = parse_cluster_yaml(&shown, &text(path, bytes)?)?;
            } else if path == "fixture.yaml" {
                let s: Settings = serde_yaml::from_str(&text(path, bytes)?)
                    .map_err(|e| FixtureError::Settings { file: shown.clone(), message: e.to_string() })?;
                if let Some(now) = s.now {
                    fixture.now = Some(now.parse().map_err(|e| FixtureError::Settings {
                        file: shown.clone(),
                        message: format!("`now: {now}` is not an RFC 3339 instant: {e}"),
                    })?);
                }
            } else if path == "metrics.yaml" {
                let plan = crate::demo::shapes::MetricsPlan::parse(&text(path, bytes)?)
                    .map_err(|message| FixtureError::Settings { file: shown.clone(), message })?;
                fixture.metrics = Some(plan);
            } else if path == "rbac.yaml" {
                fixture.rbac = Some(
                    serde_yaml::from_str(&text(path, bytes)?)
                        .map_err(|e| FixtureError::Settings { file: shown.clone(), message: e.to_string() })?,
                );
            } else if let Some(key) = log_key(path) {
                fixture.logs.insert(key, String::from_utf8_lossy(bytes).into_owned());
            }
        }
        if !saw_cluster {
            return Err(FixtureError::MissingClusterYaml(PathBuf::from(origin)));
        }
        Ok(fixture)
    }

    /// Objects of one kind, deserialized into their type.
    pub fn typed<T: DeserializeOwned>(&self, kind: &str) -> Vec<T> {
        self.objects
            .iter()
            .filter(|o| o.kind == kind)
            .filter_map(|o| serde_json::from_value(o.value.clone()).ok())
            .collect()
    }
}

impl Fixture {
    /// Bound PersistentVolumeClaims: namespace, name, capacity (bytes).
    pub fn volume_bases(&self) -> Vec<(String, String, f64)> {
        self.typed::<k8s_openapi::api::core::v1::PersistentVolumeClaim>("PersistentVolumeClaim")
            .into_iter()
            .filter_map(|c| {
                let st = c.status.as_ref().filter(|s| s.phase.as_deref() == Some("Bound"))?;
                let cap = st.capacity.as_ref()?.get("storage")?;
                Some((c.metadata.namespace?, c.metadata.name?, kubeask_insight::text::mem_bytes(&cap.0)))
            })
            .collect()
    }

    /// Each container's metrics now (its PodMetrics) and since when its pod
    /// exists, in seconds relative to the fixture's `now`: where the demo's
    /// past metrics start from.
    pub fn metric_bases(&self) -> Vec<crate::demo::shapes::Base> {
        use kubeask_insight::history::{Metric, SeriesKey};
        let now = self.now.map_or(0, |t| t.as_second());
        let created: BTreeMap<(String, String), i64> = self
            .typed::<k8s_openapi::api::core::v1::Pod>("Pod")
            .into_iter()
            .filter_map(|p| {
                let t = p.metadata.creation_timestamp.as_ref()?.0.as_second();
                Some(((p.metadata.namespace.clone()?, p.metadata.name.clone()?), t - now))
            })
            .collect();
        let mut out = Vec::new();
        for pm in self.typed::<kubeask_insight::metrics::PodMetrics>("PodMetrics") {
            let ns = pm.metadata.namespace.clone().unwrap_or_default();
            let pod = pm.metadata.name.clone().unwrap_or_default();
            let since = created.get(&(ns.clone(), pod.clone())).copied().unwrap_or(i64::MIN);
            for c in &pm.containers {
                let cpu = c.usage.get("cpu").map(|q| (Metric::Cpu, kubeask_insight::text::cpu_millis(&q.0) / 1000.0));
                let mem = c.usage.get("memory").map(|q| (Metric::Memory, kubeask_insight::text::mem_bytes(&q.0)));
                for (metric, now_value) in cpu.into_iter().chain(mem) {
                    let key = SeriesKey::container(metric, &ns, &pod, &c.name);
                    out.push(crate::demo::shapes::Base { key, now_value, since });
                }
            }
        }
        out
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FixtureError::Io { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.to_string_lossy().replace('\\', "/");
            if ["cluster.yaml", "fixture.yaml", "rbac.yaml", "metrics.yaml"].contains(&rel.as_str())
                || rel.starts_with("logs/")
            {
                out.push((rel, std::fs::read(&path).map_err(io(&path))?));
            }
        }
    }
    Ok(())
}

fn log_key(path: &str) -> Option<LogKey> {
    let rest = path.strip_prefix("logs/")?;
    let mut parts = rest.split('/');
    let (namespace, pod, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (container, previous) = match file.strip_suffix(".previous.log") {
        Some(c) => (c, true),
        None => (file.strip_suffix(".log")?, false),
    };
    Some(LogKey { namespace: namespace.into(), pod: pod.into(), container: container.into(), previous })
}

/// Parses and validates a multi-document `cluster.yaml`.
pub fn parse_cluster_yaml(file: &str, text: &str) -> Result<Vec<FixtureObject>> {
    let mut objects = Vec::new();
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = serde_json::Value::deserialize(doc).map_err(|e| FixtureError::Yaml {
            file: file.into(),
            index,
            message: e.to_string(),
        })?;
        if value.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        let field = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        let unknown = || FixtureError::UnknownKind {
            file: file.into(),
            index,
            api_version: api_version.clone(),
            kind: kind.clone(),
            supported: SUPPORTED_KINDS.iter().map(|(_, k)| *k).collect::<Vec<_>>().join(", "),
        };
        let name = value.pointer("/metadata/name").and_then(|v| v.as_str()).unwrap_or("");
        match validate_object(&api_version, &kind, &value) {
            Ok(true) => {}
            Ok(false) => return Err(unknown()),
            Err((path, message)) => {
                return Err(FixtureError::InvalidObject {
                    file: file.into(),
                    index,
                    kind,
                    name: name.into(),
                    path,
                    message,
                })
            }
        }
        if name.is_empty() {
            return Err(FixtureError::MissingName { file: file.into(), index, kind });
        }
        objects.push(FixtureObject { api_version, kind, value });
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_fixture_loads_with_objects_logs_and_a_capture_instant() {
        let f = Fixture::builtin();
        assert!(f.objects.iter().filter(|o| o.kind == "Pod").count() >= 40);
        assert!(f.logs.keys().any(|k| k.previous));
        assert!(f.now.is_some());
    }

    #[test]
    fn rbac_rules_match_first_rule_then_default() {
        let r: RbacRules = serde_yaml::from_str(
            "default: deny\nrules:\n- verbs: [get, list]\n  resources: ['*']\n  allowed: true\n- verbs: [delete]\n  resources: [pods]\n  namespaces: [data]\n  allowed: true\n",
        )
        .unwrap();
        assert!(r.allows("list", "pods", Some("shop")));
        assert!(r.allows("delete", "pods", Some("data")));
        assert!(!r.allows("delete", "pods", Some("shop")));
        assert!(!r.allows("patch", "deployments", None));
    }
}
