//! The actions Kubeask can take, as data: what the user, an analyzer's
//! fix or the model proposes. Planning and applying them (dry run, RBAC,
//! audit) is the cluster layer's `actions`; nothing here talks to a server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The object an action changes, as `kind/name` in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Target {
    /// `deployment`, `statefulset`, `replicaset`, `daemonset`, `pod`, `node`, `cronjob`.
    pub kind: String,
    /// Namespace ("" for nodes).
    #[serde(default)]
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl Target {
    /// Parses `kind/name` (`deploy/web`, `node/pool-a-1`) in `namespace`.
    pub fn parse(spec: &str, namespace: &str) -> Result<Self, String> {
        let (kind, name) = spec
            .split_once('/')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("{spec:?} is not KIND/NAME (for example deployment/web)"))?;
        let kind = match kind.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" => "deployment",
            "statefulset" | "statefulsets" | "sts" => "statefulset",
            "replicaset" | "replicasets" | "rs" => "replicaset",
            "daemonset" | "daemonsets" | "ds" => "daemonset",
            "pod" | "pods" | "po" => "pod",
            "node" | "nodes" | "no" => "node",
            "cronjob" | "cronjobs" | "cj" => "cronjob",
            "hpa" | "hpas" | "horizontalpodautoscaler" | "horizontalpodautoscalers" => "hpa",
            "configmap" | "configmaps" | "cm" => "configmap",
            "service" | "services" | "svc" => "service",
            "ingress" | "ingresses" | "ing" => "ingress",
            other => return Err(format!("kubeask cannot act on {other:?} objects")),
        };
        let namespace = if kind == "node" { String::new() } else { namespace.to_string() };
        Ok(Self { kind: kind.to_string(), namespace, name: name.to_string() })
    }

    /// `deployment shop/web`, `node pool-a-1`.
    pub fn shown(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }

    /// `(group, version, Kind, plural)` on the API.
    pub fn api(&self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self.kind.as_str() {
            "deployment" => ("apps", "v1", "Deployment", "deployments"),
            "statefulset" => ("apps", "v1", "StatefulSet", "statefulsets"),
            "replicaset" => ("apps", "v1", "ReplicaSet", "replicasets"),
            "daemonset" => ("apps", "v1", "DaemonSet", "daemonsets"),
            "pod" => ("", "v1", "Pod", "pods"),
            "node" => ("", "v1", "Node", "nodes"),
            "hpa" => ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
            "configmap" => ("", "v1", "ConfigMap", "configmaps"),
            "service" => ("", "v1", "Service", "services"),
            "ingress" => ("networking.k8s.io", "v1", "Ingress", "ingresses"),
            _ => ("batch", "v1", "CronJob", "cronjobs"),
        }
    }
}

/// One change, as the user (or an analyzer, or the model) proposes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Set a Deployment's, StatefulSet's or ReplicaSet's replicas.
    Scale {
        /// What to scale.
        target: Target,
        /// The new replica count.
        #[ts(type = "number")]
        replicas: i64,
    },
    /// Replace every pod of a Deployment, StatefulSet or DaemonSet (as
    /// `kubectl rollout restart` does: a template annotation).
    Restart {
        /// What to restart.
        target: Target,
    },
    /// Set one container's image.
    SetImage {
        /// The workload.
        target: Target,
        /// The container's name.
        container: String,
        /// The new image.
        image: String,
    },
    /// Set a container's resource requests and limits (`memory`, `cpu`);
    /// an empty value removes that key.
    SetResources {
        /// The workload.
        target: Target,
        /// The container's name.
        container: String,
        /// Requests to set (`memory` → `256Mi`).
        #[serde(default)]
        requests: BTreeMap<String, String>,
        /// Limits to set.
        #[serde(default)]
        limits: BTreeMap<String, String>,
    },
    /// Put a Deployment's pod template back to an earlier revision's (its
    /// ReplicaSet's), as `kubectl rollout undo` does.
    Rollback {
        /// The Deployment.
        target: Target,
        /// The revision; the one before the current when absent.
        #[serde(default)]
        #[ts(type = "number | null")]
        revision: Option<i64>,
    },
    /// Set a HorizontalPodAutoscaler's bounds.
    SetHpa {
        /// The HPA.
        target: Target,
        /// The new minReplicas, if it changes.
        #[serde(default)]
        #[ts(type = "number | null")]
        min: Option<i64>,
        /// The new maxReplicas, if it changes.
        #[serde(default)]
        #[ts(type = "number | null")]
        max: Option<i64>,
    },
    /// Delete a pod (its controller makes a new one).
    DeletePod {
        /// The pod.
        target: Target,
    },
    /// Mark a node unschedulable.
    Cordon {
        /// The node.
        target: Target,
    },
    /// Cordon a node and evict its pods, respecting PodDisruptionBudgets
    /// (DaemonSet and mirror pods stay).
    Drain {
        /// The node.
        target: Target,
    },
    /// Mark a node schedulable again.
    Uncordon {
        /// The node.
        target: Target,
    },
    /// Stop a CronJob from starting new Jobs.
    Suspend {
        /// The CronJob.
        target: Target,
    },
    /// Start a Job now from a CronJob's template (as `kubectl create job
    /// --from=cronjob/…`).
    Trigger {
        /// The CronJob.
        target: Target,
        /// The new Job's name.
        job: String,
    },
    /// Server-side apply of one object (field manager `kubeask`): created
    /// if missing, else its listed fields set; `force` takes over fields
    /// another manager owns.
    Apply {
        /// The object the manifest names.
        target: Target,
        /// The manifest, as JSON.
        #[ts(type = "unknown")]
        manifest: serde_json::Value,
        /// Take over fields other managers own.
        #[serde(default)]
        force: bool,
    },
    /// Let a suspended CronJob start Jobs again.
    Resume {
        /// The CronJob.
        target: Target,
    },
}

impl Action {
    /// An apply of one YAML (or JSON) document; its namespace defaults to
    /// `namespace` for namespaced kinds.
    pub fn apply_from_yaml(text: &str, namespace: &str, force: bool) -> Result<Self, String> {
        let docs: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(text)
            .map(|d| serde_json::Value::deserialize(d).map_err(|e| format!("the manifest is not valid YAML: {e}")))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|d| !d.is_null())
            .collect();
        let [mut manifest] = <[serde_json::Value; 1]>::try_from(docs)
            .map_err(|d| format!("apply takes one document at a time; this file has {}", d.len()))?;
        let kind = manifest.get("kind").and_then(|k| k.as_str()).ok_or("the manifest has no kind")?.to_string();
        let name =
            manifest.pointer("/metadata/name").and_then(|n| n.as_str()).ok_or("the manifest has no metadata.name")?;
        let mut target = Target::parse(&format!("{kind}/{name}"), namespace)?;
        if target.kind != "node" {
            match manifest.pointer("/metadata/namespace").and_then(|n| n.as_str()) {
                Some(ns) => target.namespace = ns.to_string(),
                None => manifest["metadata"]["namespace"] = serde_json::json!(namespace),
            }
        }
        let (group, version, api_kind, _) = target.api();
        let want = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        if manifest.get("apiVersion").and_then(|v| v.as_str()) != Some(want.as_str()) || kind != api_kind {
            return Err(format!(
                "kubeask applies {api_kind} as {want}; the manifest says {kind} {}",
                manifest["apiVersion"]
            ));
        }
        Ok(Action::Apply { target, manifest, force })
    }

    /// The object it changes.
    pub fn target(&self) -> &Target {
        match self {
            Action::Scale { target, .. }
            | Action::Restart { target }
            | Action::SetImage { target, .. }
            | Action::SetResources { target, .. }
            | Action::Rollback { target, .. }
            | Action::SetHpa { target, .. }
            | Action::DeletePod { target }
            | Action::Cordon { target }
            | Action::Drain { target }
            | Action::Uncordon { target }
            | Action::Suspend { target }
            | Action::Trigger { target, .. }
            | Action::Apply { target, .. }
            | Action::Resume { target } => target,
        }
    }

    /// The verb people read (`scale`, `set-image`).
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Scale { .. } => "scale",
            Action::Restart { .. } => "restart",
            Action::SetImage { .. } => "set-image",
            Action::SetResources { .. } => "set-resources",
            Action::Rollback { .. } => "rollback",
            Action::SetHpa { .. } => "set-hpa",
            Action::DeletePod { .. } => "delete",
            Action::Cordon { .. } => "cordon",
            Action::Drain { .. } => "drain",
            Action::Uncordon { .. } => "uncordon",
            Action::Suspend { .. } => "suspend",
            Action::Trigger { .. } => "trigger",
            Action::Apply { .. } => "apply",
            Action::Resume { .. } => "resume",
        }
    }

    /// Refuses an action on a kind it does not apply to, before anything
    /// is sent.
    pub fn check_kind(&self) -> Result<(), String> {
        let kind = self.target().kind.as_str();
        let ok = match self {
            Action::Scale { replicas, .. } => {
                if *replicas < 0 {
                    return Err(format!("replicas must be 0 or more, not {replicas}"));
                }
                matches!(kind, "deployment" | "statefulset" | "replicaset")
            }
            Action::Restart { .. } => matches!(kind, "deployment" | "statefulset" | "daemonset"),
            Action::SetImage { .. } | Action::SetResources { .. } => {
                matches!(kind, "deployment" | "statefulset" | "daemonset")
            }
            Action::Rollback { .. } => kind == "deployment",
            Action::SetHpa { min, max, .. } => {
                match (min, max) {
                    (None, None) => return Err("set-hpa needs --min or --max".into()),
                    (Some(a), Some(b)) if a > b => return Err(format!("min ({a}) must not exceed max ({b})")),
                    (Some(a), _) | (_, Some(a)) if *a < 1 => return Err("replica bounds must be 1 or more".into()),
                    _ => {}
                }
                kind == "hpa"
            }
            Action::DeletePod { .. } => kind == "pod",
            Action::Cordon { .. } | Action::Drain { .. } | Action::Uncordon { .. } => kind == "node",
            Action::Suspend { .. } | Action::Resume { .. } => kind == "cronjob",
            Action::Apply { .. } => true,
            Action::Trigger { job, .. } => {
                let ok_name = !job.is_empty()
                    && job.len() <= 63
                    && job.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !job.starts_with('-')
                    && !job.ends_with('-');
                if !ok_name {
                    return Err(format!("{job:?} is not a valid Job name (lower-case letters, digits and '-')"));
                }
                kind == "cronjob"
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{} does not apply to a {kind}", self.verb()))
        }
    }
}
