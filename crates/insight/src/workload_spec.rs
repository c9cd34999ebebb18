//! A workload to write, as a typed structure (filled by a form, the CLI's
//! flags, or a model under a JSON grammar), and the manifest code renders
//! from it: a Deployment, and on request its Service, Ingress and HPA —
//! with safe defaults (no privilege escalation, dropped capabilities, the
//! runtime's seccomp profile, requests and limits), so what is generated
//! passes the checks it can.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Name of the Deployment (and of its Service, Ingress, HPA).
    pub name: String,
    /// Namespace.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Container image, with a tag or digest.
    pub image: String,
    /// Replicas (ignored when an HPA is asked for: it sets them).
    #[serde(default = "one")]
    pub replicas: i32,
    /// The port the container listens on.
    #[serde(default)]
    pub port: Option<i32>,
    /// Also a ClusterIP Service on `service_port` (default: `port`).
    #[serde(default)]
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
    pub cpu: String,
    /// Memory request and limit (`128Mi`).
    #[serde(default = "default_memory")]
    pub memory: String,
}

/// Autoscaling bounds and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
