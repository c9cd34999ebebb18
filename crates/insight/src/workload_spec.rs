//! A workload to write, as a typed structure (filled by a form, the CLI's
//! flags, or a model under a JSON grammar), and the manifest code renders
//! from it: a Deployment, and on request its Service, Ingress and HPA —
//! with safe defaults (no privilege escalation, dropped capabilities, the
//! runtime's seccomp profile, requests and limits), so what is generated
//! passes the checks it can.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields = nullable)]
pub struct WorkloadSpec {
    /// Name of the Deployment (and of its Service, Ingress, HPA).
    pub name: String,
    /// Namespace.
    #[serde(default = "default_namespace")]
    #[ts(as = "Option<_>", optional)]
    pub namespace: String,
    /// Container image, with a tag or digest.
    pub image: String,
    /// Replicas (ignored when an HPA is asked for: it sets them).
    #[serde(default = "one")]
    #[ts(as = "Option<_>", optional)]
    pub replicas: i32,
    /// The port the container listens on.
    #[serde(default)]
    pub port: Option<i32>,
    /// Also a ClusterIP Service on `service_port` (default: `port`).
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub service: bool,
    /// The Service's port.
    #[serde(default)]
    pub service_port: Option<i32>,
    /// Also an Ingress for this host (needs the Service).
    #[serde(default)]
    pub ingress_host: Option<String>,
    /// Also a HorizontalPodAutoscaler.
    #[serde(default)]
    pub hpa: Option<HpaSpec>,
    /// An HTTP readiness probe path on `port`.
    #[serde(default)]
    pub readiness_path: Option<String>,
    /// CPU request (`100m`); the limit is twice it.
    #[serde(default = "default_cpu")]
    #[ts(as = "Option<_>", optional)]
    pub cpu: String,
    /// Memory request and limit (`128Mi`).
    #[serde(default = "default_memory")]
    #[ts(as = "Option<_>", optional)]
    pub memory: String,
}

/// Autoscaling bounds and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct HpaSpec {
    /// Fewest replicas.
    pub min: i32,
    /// Most replicas.
    pub max: i32,
    /// Target average CPU utilization, percent of the request.
    pub cpu_percent: i32,
}

fn default_namespace() -> String {
    "default".into()
}
fn one() -> i32 {
    1
}
fn default_cpu() -> String {
    "100m".into()
}
fn default_memory() -> String {
    "128Mi".into()
}

impl WorkloadSpec {
    /// What is wrong with the structure before anything is rendered.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.image.trim().is_empty() {
            out.push("an image is required".into());
        }
        if self.ingress_host.is_some() && !self.service {
            out.push("an Ingress needs the Service: add the service".into());
        }
        if (self.service || self.readiness_path.is_some()) && self.port.is_none() {
            out.push("a Service or a readiness probe needs the container's port".into());
        }
        if let Some(h) = &self.hpa {
            if h.min < 1 || h.max < h.min || !(1..=100).contains(&h.cpu_percent) {
                out.push(format!("HPA bounds {}–{} at {}% are not valid", h.min, h.max, h.cpu_percent));
            }
        }
        out
    }

    /// The manifest: one YAML document per object, `---` between them.
    pub fn render(&self) -> Result<String, String> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let docs: Vec<Value> =
            [Some(self.deployment()), self.svc(), self.ingress(), self.autoscaler()].into_iter().flatten().collect();
        let yaml: Result<Vec<String>, _> = docs.iter().map(serde_yaml::to_string).collect();
        Ok(yaml.map_err(|e| e.to_string())?.join("---\n"))
    }

    fn meta(&self) -> Value {
        json!({"name": self.name, "namespace": self.namespace, "labels": {"app": self.name}})
    }

    fn deployment(&self) -> Value {
        let cpu_limit = crate::text::cpu_millis(&self.cpu) * 2.0;
        let mut c = json!({
            "name": self.name,
            "image": self.image,
            "resources": {
                "requests": {"cpu": self.cpu, "memory": self.memory},
                "limits": {"cpu": format!("{cpu_limit:.0}m"), "memory": self.memory}
            },
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
        });
        if let Some(p) = self.port {
            c["ports"] = json!([{"containerPort": p}]);
        }
        if let (Some(path), Some(p)) = (&self.readiness_path, self.port) {
            c["readinessProbe"] = json!({"httpGet": {"path": path, "port": p}, "periodSeconds": 10});
        }
        let mut spec = json!({
            "selector": {"matchLabels": {"app": self.name}},
            "template": {
                "metadata": {"labels": {"app": self.name}},
                "spec": {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [c]}
            }
        });
        if self.hpa.is_none() {
            spec["replicas"] = json!(self.replicas);
        }
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": self.meta(), "spec": spec})
    }

    fn svc(&self) -> Option<Value> {
        let port = self.port?;
        self.service.then(|| {
            json!({"apiVersion": "v1", "kind": "Service", "metadata": self.meta(), "spec": {
                "selector": {"app": self.name},
                "ports": [{"port": self.service_port.unwrap_or(port), "targetPort": port}]
            }})
        })
    }

    fn ingress(&self) -> Option<Value> {
        let host = self.ingress_host.as_ref()?;
        let port = self.service_port.or(self.port)?;
        Some(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": self.meta(), "spec": {
            "tls": [{"hosts": [host], "secretName": format!("{}-tls", self.name)}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": self.name, "port": {"number": port}}}}]}}]
        }}))
    }

    fn autoscaler(&self) -> Option<Value> {
        let h = self.hpa.as_ref()?;
        Some(
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": self.meta(), "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.name},
                "minReplicas": h.min, "maxReplicas": h.max,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": h.cpu_percent}}}]
            }}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkloadSpec {
        serde_json::from_value(json!({
            "name": "web", "namespace": "shop", "image": "nginx:1.27", "replicas": 3, "port": 80,
            "service": true, "ingress_host": "web.example.com", "hpa": {"min": 2, "max": 10, "cpu_percent": 70},
            "readiness_path": "/healthz"
        }))
        .unwrap()
    }

    #[test]
    fn the_rendered_manifest_passes_strict_checks() {
        let yaml = spec().render().unwrap();
        let checked = crate::manifest::check_text(&yaml).unwrap();
        let kinds: Vec<&str> = checked.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"]);
        for c in &checked {
            assert!(c.errors.is_empty(), "{}: {:?}", c.kind, c.errors);
        }
        // Safe defaults: none of these checks fire on what we write.
        let fired: Vec<&str> = checked.iter().flat_map(|c| c.findings.iter().map(|f| f.check)).collect();
        for id in ["privilege-escalation", "no-limits", "image-tag", "ingress-no-tls", "capabilities"] {
            assert!(!fired.contains(&id), "{id} fired on generated YAML: {fired:?}");
        }
        assert!(!yaml.contains("replicas: 3"), "the HPA sets the replicas");
    }

    #[test]
    fn an_incomplete_structure_is_refused_with_what_is_missing() {
        let mut s = spec();
        s.service = false;
        s.image = String::new();
        let e = s.render().unwrap_err();
        assert!(e.contains("image is required") && e.contains("needs the Service"), "{e}");
        assert!(serde_json::from_value::<WorkloadSpec>(json!({"name": "x", "image": "y", "colour": "red"})).is_err());
    }
}

/// A change to what runs, as a typed structure: code computes the changed
/// object from the live one (so the dry run's diff shows exactly the
/// change), or the new object that goes with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Edit {
    /// Add (or replace) an HTTP readiness probe on a workload's container.
    ReadinessProbe {
        /// `deployment`, `statefulset` or `daemonset`.
        kind: String,
        /// The workload.
        name: String,
        /// Its namespace.
        namespace: String,
        /// The container (default: the first).
        #[serde(default)]
        container: Option<String>,
        /// HTTP path.
        path: String,
        /// Port (default: the container's first port).
        #[serde(default)]
        port: Option<i32>,
    },
    /// Expose a Service through a new Ingress (with TLS) on a host.
    Expose {
        /// The Service.
        service: String,
        /// Its namespace.
        namespace: String,
        /// The host name.
        host: String,
        /// The Service port (default: its first).
        #[serde(default)]
        port: Option<i32>,
    },
}

/// Live fields a manifest must not carry back (the server owns them).
fn strip_server_fields(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"] {
            m.remove(k);
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
        }
        // NB: an empty map would claim the field (and clear others' keys).
        if m.get("annotations").and_then(Value::as_object).is_some_and(|a| a.is_empty()) {
            m.remove("annotations");
        }
    }
}

impl Edit {
    /// The manifest that makes the change, computed from `snap`'s live
    /// objects.
    pub fn render(&self, snap: &crate::snapshot::Snapshot) -> Result<String, String> {
        let v = match self {
            Edit::ReadinessProbe { kind, name, namespace, container, path, port } => {
                let k = crate::kind::Kind::from_word(kind)
                    .filter(|k| {
                        matches!(
                            k,
                            crate::kind::Kind::Deployment
                                | crate::kind::Kind::StatefulSet
                                | crate::kind::Kind::DaemonSet
                        )
                    })
                    .ok_or_else(|| {
                        format!("a readiness probe goes on a deployment, statefulset or daemonset, not {kind:?}")
                    })?;
                let live = snap.get(k, Some(namespace), name);
                let obj = live.first().ok_or_else(|| format!("no {} {namespace}/{name}", k.tool_name()))?;
                let mut v = obj.to_json();
                strip_server_fields(&mut v);
                let containers = v
                    .pointer_mut("/spec/template/spec/containers")
                    .and_then(Value::as_array_mut)
                    .ok_or("it has no containers")?;
                let c = match container {
                    Some(n) => {
                        containers.iter_mut().find(|c| c["name"] == n.as_str()).ok_or(format!("no container {n:?}"))?
                    }
                    None => containers.first_mut().ok_or("it has no containers")?,
                };
                let port = port
                    .or_else(|| c.pointer("/ports/0/containerPort").and_then(Value::as_i64).map(|p| p as i32))
                    .ok_or("the container lists no port: say which port the probe uses")?;
                c["readinessProbe"] = json!({"httpGet": {"path": path, "port": port}, "periodSeconds": 10});
                v
            }
            Edit::Expose { service, namespace, host, port } => {
                let svc = snap
                    .services
                    .iter()
                    .find(|s| {
                        s.metadata.name.as_deref() == Some(service)
                            && s.metadata.namespace.as_deref() == Some(namespace)
                    })
                    .ok_or_else(|| format!("no service {namespace}/{service}"))?;
                let first = svc.spec.as_ref().and_then(|s| s.ports.as_ref()?.first().map(|p| p.port));
                let port = port.or(first).ok_or("the service has no port")?;
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": service, "namespace": namespace, "labels": {"app": service}},
                    "spec": {"tls": [{"hosts": [host], "secretName": format!("{service}-tls")}],
                        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": port}}}}]}}]}})
            }
        };
        serde_yaml::to_string(&v).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod edit_tests {
    use super::*;

    const LIVE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: shop, resourceVersion: \"42\", uid: u1}\nspec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec:\n      containers:\n      - {name: checkout, image: \"shop/checkout:1.0\", ports: [{containerPort: 8080}]}\nstatus: {replicas: 1}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: checkout, namespace: shop}\nspec: {ports: [{port: 80, targetPort: 8080}]}\n";

    #[test]
    fn a_probe_edit_is_the_live_object_with_the_probe_and_nothing_server_owned() {
        let snap = crate::snapshot::Snapshot::from_yaml(LIVE, None).unwrap();
        let e: Edit = serde_json::from_value(json!({"change": "readiness-probe", "kind": "deployment", "name": "checkout", "namespace": "shop", "path": "/healthz"})).unwrap();
        let yaml = e.render(&snap).unwrap();
        assert!(yaml.contains("readinessProbe") && yaml.contains("port: 8080") && yaml.contains("/healthz"), "{yaml}");
        assert!(!yaml.contains("resourceVersion") && !yaml.contains("status:"), "{yaml}");
        assert!(crate::manifest::check_text(&yaml).unwrap()[0].errors.is_empty());
        let missing = Edit::ReadinessProbe {
            kind: "deployment".into(),
            name: "nope".into(),
            namespace: "shop".into(),
            container: None,
            path: "/".into(),
            port: None,
        };
        assert!(missing.render(&snap).unwrap_err().contains("no deployment shop/nope"));
    }

    #[test]
    fn expose_writes_a_tls_ingress_for_the_service_port() {
        let snap = crate::snapshot::Snapshot::from_yaml(LIVE, None).unwrap();
        let e = Edit::Expose {
            service: "checkout".into(),
            namespace: "shop".into(),
            host: "pay.example.com".into(),
            port: None,
        };
        let yaml = e.render(&snap).unwrap();
        let c = &crate::manifest::check_text(&yaml).unwrap()[0];
        assert!(c.errors.is_empty() && c.kind == "Ingress", "{:?}", c.errors);
        assert!(
            yaml.contains("number: 80")
                && yaml.contains("pay.example.com")
                && !c.findings.iter().any(|f| f.check == "ingress-no-tls")
        );
    }
}
