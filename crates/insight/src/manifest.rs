//! Checking a manifest before anyone applies it: every document parsed
//! strictly into its Kubernetes type (a field the type does not have is an
//! error, not silently dropped), the rules the API server would refuse it
//! for that a type cannot express (a container without an image, a port
//! out of range, a name that is not DNS-1123), and the security checks on
//! what it would run. The server-side dry run and the diff against the
//! live object come after, from the cluster (`kubeask manifest check`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::security::{check, SecurityFinding};
use crate::snapshot::Snapshot;

/// One document of a manifest, checked.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(rename = "CheckedObject")]
pub struct Checked {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace ("" when not set or cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Why it would be refused (unknown fields, bad values); empty when valid.
    pub errors: Vec<String>,
    /// Security findings on it.
    pub findings: Vec<SecurityFinding>,
    /// The document as JSON.
    #[serde(skip)]
    pub value: Value,
}

fn strict<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Vec<String>, String> {
    let typed: T = serde_path_to_error::deserialize(v).map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    unknown_fields(v, &back, "", &mut unknown);
    Ok(unknown)
}

/// Paths in `given` that the typed round trip `back` does not have.
fn unknown_fields(given: &Value, back: &Value, path: &str, out: &mut Vec<String>) {
    match (given, back) {
        (Value::Object(g), Value::Object(b)) => {
            for (k, v) in g {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match b.get(k) {
                    Some(bv) => unknown_fields(v, bv, &p, out),
                    // NB: a null or empty value the type drops is not unknown.
                    None if !v.is_null() && v != &Value::Object(Default::default()) => out.push(p),
                    None => {}
                }
            }
        }
        (Value::Array(g), Value::Array(b)) => {
            for (i, (gv, bv)) in g.iter().zip(b).enumerate() {
                unknown_fields(gv, bv, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Strict parsing of the kinds Kubeask knows: `None` for another kind.
fn typed_check(api_version: &str, kind: &str, v: &Value) -> Option<Result<Vec<String>, String>> {
    use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch};
    use k8s_openapi::api::{core::v1 as core, networking::v1 as net, policy::v1 as policy, rbac::v1 as rbac};
    Some(match (api_version, kind) {
        ("apps/v1", "Deployment") => strict::<apps::Deployment>(v),
        ("apps/v1", "StatefulSet") => strict::<apps::StatefulSet>(v),
        ("apps/v1", "DaemonSet") => strict::<apps::DaemonSet>(v),
        ("batch/v1", "Job") => strict::<batch::Job>(v),
        ("batch/v1", "CronJob") => strict::<batch::CronJob>(v),
        ("v1", "Pod") => strict::<core::Pod>(v),
        ("v1", "Service") => strict::<core::Service>(v),
        ("v1", "ConfigMap") => strict::<core::ConfigMap>(v),
        ("v1", "Secret") => strict::<core::Secret>(v),
        ("v1", "ServiceAccount") => strict::<core::ServiceAccount>(v),
        ("v1", "Namespace") => strict::<core::Namespace>(v),
        ("v1", "PersistentVolumeClaim") => strict::<core::PersistentVolumeClaim>(v),
        ("networking.k8s.io/v1", "Ingress") => strict::<net::Ingress>(v),
        ("networking.k8s.io/v1", "NetworkPolicy") => strict::<net::NetworkPolicy>(v),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => strict::<autoscaling::HorizontalPodAutoscaler>(v),
        ("policy/v1", "PodDisruptionBudget") => strict::<policy::PodDisruptionBudget>(v),
        ("rbac.authorization.k8s.io/v1", "Role") => strict::<rbac::Role>(v),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => strict::<rbac::ClusterRole>(v),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => strict::<rbac::RoleBinding>(v),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => strict::<rbac::ClusterRoleBinding>(v),
        _ => return None,
    })
}

fn dns1123(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// What the API server refuses that the types allow (a container without
/// an image, a port out of range, a bad name, negative replicas); the demo
/// API server refuses the same, as a real one does.
pub fn api_rules(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    value_errors(v, &mut out);
    out
}

fn value_errors(v: &Value, out: &mut Vec<String>) {
    let name = v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
    if !dns1123(name) {
        out.push(format!("metadata.name {name:?} is not a valid name (lowercase letters, digits, '-' and '.')"));
    }
    let templates = ["/spec/template/spec", "/spec/jobTemplate/spec/template/spec", "/spec"];
    if let Some(spec) = templates.iter().find_map(|p| v.pointer(p).filter(|s| s.get("containers").is_some())) {
        for (i, c) in spec["containers"].as_array().into_iter().flatten().enumerate() {
            if c.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
                out.push(format!("containers[{i}] ({}) has no image", c["name"].as_str().unwrap_or("?")));
            }
            for p in c["ports"].as_array().into_iter().flatten() {
                port_ok(&p["containerPort"], &format!("containers[{i}].ports.containerPort"), out);
            }
        }
    }
    if let Some(n) = v.pointer("/spec/replicas").and_then(Value::as_i64).filter(|n| *n < 0) {
        out.push(format!("spec.replicas {n} must be greater than or equal to 0"));
    }
    for (i, p) in v.pointer("/spec/ports").and_then(Value::as_array).into_iter().flatten().enumerate() {
        port_ok(&p["port"], &format!("spec.ports[{i}].port"), out);
    }
}

fn port_ok(p: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(n) = p.as_i64() {
        if !(1..=65535).contains(&n) {
            out.push(format!("{path} {n} is not a port (1–65535)"));
        }
    }
}

/// Checks every document of `text` (YAML, one or more documents).
pub fn check_text(text: &str) -> Result<Vec<Checked>, String> {
    let mut docs = Vec::new();
    for (i, d) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(d).map_err(|e| format!("document {}: not valid YAML: {e}", i + 1))?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    if docs.is_empty() {
        return Err("the manifest has no documents".into());
    }
    Ok(docs.into_iter().map(check_doc).collect())
}

fn check_doc(v: Value) -> Checked {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    let (api_version, kind) = (s("/apiVersion"), s("/kind"));
    let mut errors = Vec::new();
    match typed_check(&api_version, &kind, &v) {
        Some(Ok(unknown)) => errors.extend(unknown.into_iter().map(|f| format!("unknown field {f}"))),
        Some(Err(e)) => errors.push(e),
        None => errors.push(format!("{kind} ({api_version}) is not a kind Kubeask checks")),
    }
    value_errors(&v, &mut errors);
    let mut snap = Snapshot::default();
    let findings = match snap.insert_json(v.clone()) {
        Ok(()) => {
            // NB: only the object's own checks: a namespace-wide finding
            // (no NetworkPolicy) is about the cluster, not this manifest.
            check(&snap).into_iter().filter(|f| f.finding.object.kind == kind).collect()
        }
        Err(_) => Vec::new(),
    };
    Checked {
        api_version,
        kind,
        namespace: s("/metadata/namespace"),
        name: s("/metadata/name"),
        errors,
        findings,
        value: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      securityContext: {runAsNonRoot: true}\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports: [{containerPort: 8080}]\n        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n        resources: {limits: {cpu: 100m, memory: 64Mi}}\n";

    #[test]
    fn a_valid_manifest_has_no_errors() {
        let c = check_text(GOOD).unwrap();
        assert_eq!(c.len(), 1);
        assert!(c[0].errors.is_empty(), "{:?}", c[0].errors);
        assert_eq!((c[0].kind.as_str(), c[0].namespace.as_str(), c[0].name.as_str()), ("Deployment", "shop", "web"));
    }

    #[test]
    fn unknown_fields_bad_ports_missing_images_and_bad_names_are_errors() {
        let bad = GOOD
            .replace("replicas: 2", "replicas: 2\n  replicaz: 3")
            .replace("containerPort: 8080", "containerPort: 70000")
            .replace("image: nginx:1.27", "imagePullPolicy: Always")
            .replace("name: web, namespace", "name: Web_1, namespace");
        let c = &check_text(&bad).unwrap()[0];
        let all = c.errors.join("\n");
        for want in
            ["unknown field spec.replicaz", "70000 is not a port", "has no image", "\"Web_1\" is not a valid name"]
        {
            assert!(all.contains(want), "{want} missing in:\n{all}");
        }
        // A wrong type names its path.
        let c = &check_text(&GOOD.replace("replicas: 2", "replicas: two")).unwrap()[0];
        assert!(c.errors[0].contains("spec.replicas"), "{:?}", c.errors);
    }

    #[test]
    fn security_findings_come_with_the_manifest() {
        let risky = GOOD.replace(
            "securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}",
            "securityContext: {privileged: true}",
        );
        let c = &check_text(&risky).unwrap()[0];
        assert!(c.findings.iter().any(|f| f.check == "privileged"));
        assert!(!c.findings.iter().any(|f| f.check == "no-network-policy"));
    }
}
