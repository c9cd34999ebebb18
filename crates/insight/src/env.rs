//! Environment variables as a container sees them: literal values,
//! ConfigMap references resolved from the snapshot, Secret references
//! named but never read.

use k8s_openapi::api::core::v1::Container;

use crate::snapshot::Snapshot;

/// The value of an env var in a container, resolving ConfigMap references
/// from the snapshot. Secret values are never read: `<secret name/key>`.
pub fn env_value(snap: &Snapshot, pod_ns: &str, c: &Container, var: &str) -> Option<String> {
    if let Some(e) = c.env.iter().flatten().find(|e| e.name == var) {
        if let Some(v) = &e.value {
            // A literal in the template is cluster text: a password typed
            // into a manifest is still a password.
            return Some(crate::redact::shown_value(var, v));
        }
        let from = e.value_from.as_ref()?;
        if let Some(r) = &from.config_map_key_ref {
            return config_value(snap, pod_ns, &r.name, &r.key)
                .map(|v| crate::redact::shown_value(var, &v))
                .or_else(|| Some(format!("<missing: ConfigMap {} has no key {}>", r.name, r.key)));
        }
        if let Some(r) = &from.secret_key_ref {
            return Some(format!("<secret {}/{}>", r.name, r.key));
        }
        if let Some(r) = &from.field_ref {
            return Some(format!("<field {}>", r.field_path));
        }
        return None;
    }
    for ef in c.env_from.iter().flatten() {
        if let Some(r) = &ef.config_map_ref {
            let prefixed = var.strip_prefix(ef.prefix.as_deref().unwrap_or("")).unwrap_or(var);
            if let Some(v) = config_value(snap, pod_ns, &r.name, prefixed) {
                return Some(crate::redact::shown_value(var, &v));
            }
        }
        if let Some(r) = &ef.secret_ref {
            let has = snap.secrets.iter().any(|s| {
                s.metadata.name.as_deref() == Some(r.name.as_str()) && s.metadata.namespace.as_deref() == Some(pod_ns)
            });
            if has {
                return Some(format!("<secret {}>", r.name));
            }
        }
    }
    None
}

fn config_value(snap: &Snapshot, ns: &str, name: &str, key: &str) -> Option<String> {
    snap.config_maps
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(name) && c.metadata.namespace.as_deref() == Some(ns))
        .and_then(|c| c.data.as_ref()?.get(key).cloned())
}

/// The ConfigMaps and Secrets a pod spec reads (env, envFrom, volumes,
/// projected volumes), as (`ConfigMap` | `Secret`, name).
pub fn config_sources(
    spec: &k8s_openapi::api::core::v1::PodSpec,
) -> std::collections::BTreeSet<(&'static str, String)> {
    let mut out = std::collections::BTreeSet::new();
    let containers = spec.containers.iter().chain(spec.init_containers.iter().flatten());
    for c in containers {
        for e in c.env.iter().flatten().filter_map(|e| e.value_from.as_ref()) {
            if let Some(r) = &e.config_map_key_ref {
                out.insert(("ConfigMap", r.name.clone()));
            }
            if let Some(r) = &e.secret_key_ref {
                out.insert(("Secret", r.name.clone()));
            }
        }
        for ef in c.env_from.iter().flatten() {
            if let Some(r) = &ef.config_map_ref {
                out.insert(("ConfigMap", r.name.clone()));
            }
            if let Some(r) = &ef.secret_ref {
                out.insert(("Secret", r.name.clone()));
            }
        }
    }
    for v in spec.volumes.iter().flatten() {
        if let Some(c) = &v.config_map {
            out.insert(("ConfigMap", c.name.clone()));
        }
        if let Some(s) = v.secret.as_ref().and_then(|s| s.secret_name.clone()) {
            out.insert(("Secret", s));
        }
        for p in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(c) = &p.config_map {
                out.insert(("ConfigMap", c.name.clone()));
            }
            if let Some(s) = &p.secret {
                out.insert(("Secret", s.name.clone()));
            }
        }
    }
    out
}
