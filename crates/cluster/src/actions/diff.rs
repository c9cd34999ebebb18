//! What a change does to an object, field by field: the live object
//! against the server's dry-run result. Bookkeeping the server changes on
//! every write (resourceVersion, generation, managedFields, timestamps
//! and status) is not part of the change a person confirms.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldChange {
    /// Where, as `spec.template.spec.containers[name=web].image`.
    pub path: String,
    /// Its value before (`null` when absent).
    #[ts(type = "unknown")]
    pub before: Value,
    /// Its value after (`null` when removed).
    #[ts(type = "unknown")]
    pub after: Value,
}

const NOISE: &[&str] = &[
    "metadata.resourceVersion",
    "metadata.generation",
    "metadata.managedFields",
    "metadata.uid",
    "metadata.creationTimestamp",
    "metadata.deletionTimestamp",
    "metadata.deletionGracePeriodSeconds",
    "status",
];

/// The fields that differ between `before` and `after`.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    if NOISE.contains(&path) || a == b {
        return;
    }
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    // NB: a map that appears or goes is listed key by key.
    let empty = Value::Object(serde_json::Map::new());
    match (a, b) {
        (Value::Null, Value::Object(_)) => return walk(path, &empty, b, out),
        (Value::Object(_), Value::Null) => return walk(path, a, &empty, out),
        _ => {}
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&join(k), x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if named(x) && named(y) => {
            // Lists of named things (containers, env, ports) pair by name.
            let mut names: Vec<&str> = x.iter().chain(y).filter_map(|i| i.get("name")?.as_str()).collect();
            names.dedup();
            let mut seen = Vec::new();
            for n in names {
                if seen.contains(&n) {
                    continue;
                }
                seen.push(n);
                let find = |l: &[Value]| l.iter().find(|i| i.get("name").and_then(Value::as_str) == Some(n)).cloned();
                let (p, q) = (find(x).unwrap_or(Value::Null), find(y).unwrap_or(Value::Null));
                walk(&format!("{path}[name={n}]"), &p, &q, out);
            }
        }
        _ => out.push(FieldChange { path: path.to_string(), before: shown(path, a), after: shown(path, b) }),
    }
}

/// A value as a plan, the UI and the audit log may show it: masked when
/// the field's name says it is a secret (`env[name=DB_PASSWORD].value`,
/// `data.API_TOKEN`), else redacted like any cluster text.
fn shown(path: &str, v: &Value) -> Value {
    let Value::String(s) = v else { return v.clone() };
    let field = path.strip_suffix(".value").unwrap_or(path);
    let name = field
        .rsplit_once("[name=")
        .map(|(_, n)| n.trim_end_matches(']'))
        .filter(|_| field.ends_with(']'))
        .unwrap_or_else(|| field.rsplit('.').next().unwrap_or(field));
    Value::String(kubeask_insight::redact::shown_value(name, s))
}

fn named(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|i| i.get("name").is_some_and(Value::is_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_changed_fields_are_listed_and_containers_pair_by_name() {
        let a = json!({"metadata": {"name": "web", "resourceVersion": "1"}, "spec": {"replicas": 2,
            "template": {"spec": {"containers": [{"name": "web", "image": "a:1"}, {"name": "side", "image": "s:1"}]}}},
            "status": {"readyReplicas": 2}});
        let b = json!({"metadata": {"name": "web", "resourceVersion": "9"}, "spec": {"replicas": 5,
            "template": {"spec": {"containers": [{"name": "web", "image": "a:2"}, {"name": "side", "image": "s:1"}]}}},
            "status": {"readyReplicas": 5}});
        let d = diff(&a, &b);
        let paths: Vec<&str> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["spec.replicas", "spec.template.spec.containers[name=web].image"]);
        assert_eq!(d[0].before, json!(2));
        assert_eq!(d[0].after, json!(5));
        assert!(diff(&a, &a).is_empty());
        let env = |v: &str, mode: &str| json!({"env": [{"name": "DB_PASSWORD", "value": v}], "data": {"API_TOKEN": v, "mode": mode}});
        let secret = diff(&env("old-secret", "slow"), &env("hunter2", "fast"));
        let text = serde_json::to_string(&secret).unwrap();
        assert!(!text.contains("hunter2") && !text.contains("old-secret"), "{text}");
        assert!(text.contains(r#""path":"data.mode","before":"slow","after":"fast""#), "{text}");
        let added = diff(&json!({"spec": {}}), &json!({"spec": {"template": {"annotations": {"k": "v"}}}}));
        assert_eq!(added.len(), 1);
        assert_eq!((added[0].path.as_str(), &added[0].after), ("spec.template.annotations.k", &json!("v")));
    }
}
