//! Server-side apply (`PATCH` with `application/apply-patch+yaml`), as the
//! API server does it for the cases a person meets: the applied
//! configuration's fields are set (the object is created if missing),
//! each field manager's fields are recorded in `metadata.managedFields`,
//! and a field another manager owns with a different value is a conflict
//! (409) unless the request forces it, which takes the field over.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::registry::{ResourceId, RESOURCES};
use super::status::ApiError;
use super::store::{now_string, ObjKey, Txn};
use crate::fixture::validate_object;

/// One step of a field path: a map key, or a list item by its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Key(String),
    Named(String),
}

type Path = Vec<Seg>;

/// Fields nobody manages: identity, type and status.
fn skipped(path: &[Seg]) -> bool {
    matches!(path, [Seg::Key(k)] if k == "apiVersion" || k == "kind" || k == "status")
        || matches!(path, [Seg::Key(m), Seg::Key(k)] if m == "metadata"
            && matches!(k.as_str(), "name" | "namespace" | "resourceVersion" | "uid" | "managedFields" | "creationTimestamp" | "generation"))
}

fn named_list(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|i| i.get("name").is_some_and(Value::is_string))
}

/// The leaf fields of an applied configuration and their values.
fn leaves(v: &Value, path: &mut Path, out: &mut Vec<(Path, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                path.push(Seg::Key(k.clone()));
                if !skipped(path) {
                    leaves(x, path, out);
                }
                path.pop();
            }
        }
        Value::Array(items) if named_list(items) => {
            for item in items {
                let name = item["name"].as_str().unwrap_or("").to_string();
                path.push(Seg::Named(name));
                leaves(item, path, out);
                path.pop();
            }
        }
        other => out.push((path.clone(), other.clone())),
    }
}

fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |here, seg| match seg {
        Seg::Key(k) => here.get(k),
        Seg::Named(n) => here.as_array()?.iter().find(|i| i.get("name").and_then(Value::as_str) == Some(n)),
    })
}

fn set(v: &mut Value, path: &[Seg], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = value;
        return;
    };
    let next = match first {
        Seg::Key(k) => {
            if !v.is_object() {
                *v = Value::Object(Map::new());
            }
            v.as_object_mut().expect("made an object").entry(k.clone()).or_insert(Value::Null)
        }
        Seg::Named(n) => {
            if !v.is_array() {
                *v = Value::Array(Vec::new());
            }
            let list = v.as_array_mut().expect("made a list");
            let i = match list.iter().position(|i| i.get("name").and_then(Value::as_str) == Some(n)) {
                Some(i) => i,
                None => {
                    list.push(json!({ "name": n }));
                    list.len() - 1
                }
            };
            &mut list[i]
        }
    };
    set(next, rest, value);
}

/// `fieldsV1` (`{"f:spec":{"f:replicas":{}}}`, list items as `k:{"name":…}`).
fn to_fields(paths: &BTreeSet<Path>) -> Value {
    let mut root = json!({});
    for p in paths {
        let mut here = &mut root;
        for seg in p {
            let key = match seg {
                Seg::Key(k) => format!("f:{k}"),
                Seg::Named(n) => format!("k:{}", json!({ "name": n })),
            };
            here = here.as_object_mut().expect("fields are maps").entry(key).or_insert(json!({}));
        }
    }
    root
}

fn from_fields(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
    let Some(m) = v.as_object() else { return };
    if m.is_empty() && !path.is_empty() {
        out.insert(path.clone());
    }
    for (k, x) in m {
        let seg = if let Some(key) = k.strip_prefix("f:") {
            Seg::Key(key.to_string())
        } else if let Some(item) = k.strip_prefix("k:") {
            let name = serde_json::from_str::<Value>(item).ok().and_then(|i| i["name"].as_str().map(str::to_string));
            Seg::Named(name.unwrap_or_default())
        } else {
            continue;
        };
        path.push(seg);
        from_fields(x, path, out);
        path.pop();
    }
}

fn shown(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => format!(".{k}"),
            Seg::Named(n) => format!("[name=\"{n}\"]"),
        })
        .collect()
}

/// Each manager's fields, from `metadata.managedFields`.
fn owners(obj: &Value) -> Vec<(String, BTreeSet<Path>)> {
    let entries = obj.pointer("/metadata/managedFields").and_then(Value::as_array).cloned().unwrap_or_default();
    entries
        .iter()
        .map(|e| {
            let mut set = BTreeSet::new();
            from_fields(e.get("fieldsV1").unwrap_or(&Value::Null), &mut Vec::new(), &mut set);
            (e.get("manager").and_then(Value::as_str).unwrap_or("").to_string(), set)
        })
        .collect()
}

/// Applies `body` (YAML or JSON) for `manager`; `force` takes over fields
/// other managers own. Returns the stored object.
pub fn server_side_apply(
    txn: &mut Txn<'_>,
    resource: ResourceId,
    key: &ObjKey,
    manager: &str,
    force: bool,
    body: &[u8],
) -> Result<Value, ApiError> {
    let rt = &RESOURCES[resource];
    if manager.is_empty() {
        return Err(ApiError::bad_request("fieldManager is required for apply requests"));
    }
    let config: Value =
        serde_yaml::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if config.get("kind").and_then(Value::as_str) != Some(rt.kind)
        || config.pointer("/metadata/name").and_then(Value::as_str) != Some(key.name.as_str())
    {
        return Err(ApiError::bad_request(format!("the applied object must be {} {:?}", rt.kind, key.name)));
    }
    let old = txn.state.get(resource, key).map(|v| (**v).clone());
    // As a real API server: an object is created only in a namespace that exists.
    if old.is_none() && rt.namespaced {
        let ns = super::registry::lookup("", "v1", "namespaces").expect("namespaces are served");
        let ns_key = ObjKey { namespace: String::new(), name: key.namespace.clone() };
        if txn.state.get(ns, &ns_key).is_none() {
            return Err(ApiError::not_found("namespaces", "", &key.namespace));
        }
    }
    let live = old.clone().unwrap_or_else(|| json!({"metadata": {"name": key.name, "namespace": key.namespace}}));
    let mut applied = Vec::new();
    leaves(&config, &mut Vec::new(), &mut applied);
    let mut managers = owners(&live);
    let conflicts: Vec<(String, &Path)> = applied
        .iter()
        .filter(|(p, v)| get(&live, p) != Some(v))
        .flat_map(|(p, _)| {
            managers.iter().filter(|(m, set)| m != manager && set.contains(p)).map(move |(m, _)| (m.clone(), p))
        })
        .collect();
    if !conflicts.is_empty() && !force {
        let list: Vec<String> = conflicts.iter().map(|(m, p)| format!("conflict with \"{m}\": {}", shown(p))).collect();
        return Err(ApiError::conflict(
            rt.plural,
            &key.name,
            &format!("Apply failed with {} conflicts: {}", list.len(), list.join("; ")),
        ));
    }
    let mut new = live.clone();
    for (p, v) in &applied {
        set(&mut new, p, v.clone());
    }
    let mine: BTreeSet<Path> = applied.iter().map(|(p, _)| p.clone()).collect();
    managers.retain(|(m, _)| m != manager);
    for (_, set) in managers.iter_mut() {
        set.retain(|p| !mine.contains(p));
    }
    managers.push((manager.to_string(), mine));
    let api_version = rt.api_version();
    new["metadata"]["managedFields"] = managers
        .iter()
        .filter(|(_, set)| !set.is_empty())
        .map(|(m, set)| json!({"manager": m, "operation": "Apply", "apiVersion": api_version, "time": now_string(), "fieldsType": "FieldsV1", "fieldsV1": to_fields(set)}))
        .collect();
    new["apiVersion"] = json!(api_version);
    new["kind"] = json!(rt.kind);
    if let Err((path, message)) = validate_object(&api_version, rt.kind, &new) {
        return Err(ApiError::invalid(rt.kind, &key.name, format!("{path}: {message}")));
    }
    let refused = kubeask_insight::manifest::api_rules(&new);
    if !refused.is_empty() {
        return Err(ApiError::invalid(rt.kind, &key.name, refused.join("; ")));
    }
    if old.as_ref().and_then(|o| o.get("spec")) != new.get("spec") && old.is_some() {
        let g = new.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
        new["metadata"]["generation"] = json!(g + 1);
    }
    let stored = txn.put(resource, new);
    super::controller::after_apply(txn, resource, old.as_ref(), &stored);
    Ok(txn.state.get(resource, key).map_or_else(|| (*stored).clone(), |v| (**v).clone()))
}
