//! Label and field selectors, parsed the way kube-apiserver parses them.
//! Label selectors are insight's (one parser for the server, the tools and
//! Services); field selectors are the server's alone.

use serde_json::Value;

pub use kubeask_insight::selector::LabelSelector;

/// A field selector could not be parsed, or names a field the kind does not index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Field selector term is not `a=b`, `a==b` or `a!=b`.
    #[error("invalid field selector: {0}")]
    FieldSyntax(String),
    /// The field is not indexed for this kind.
    #[error("field label not supported: {0}")]
    FieldUnsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
struct FieldReq {
    path: String,
    value: String,
    negate: bool,
}

/// A parsed field selector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<FieldReq>);

/// Fields the real API server indexes, per kind (besides `metadata.name`
/// and `metadata.namespace`, which every kind has).
fn supported_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "Node" => &["spec.unschedulable"],
        "Secret" => &["type"],
        "Namespace" => &["status.phase"],
        "Job" => &["status.successful"],
        "ReplicaSet" => &["status.replicas"],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses `a=b,c!=d` and checks each field is indexed for `kind`.
    pub fn parse(s: &str, kind: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (path, value, negate) = if let Some((p, v)) = term.split_once("!=") {
                (p, v, true)
            } else if let Some((p, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (p, v, false)
            } else {
                return Err(SelectorError::FieldSyntax(term.to_string()));
            };
            let path = path.trim();
            if !matches!(path, "metadata.name" | "metadata.namespace") && !supported_fields(kind).contains(&path) {
                return Err(SelectorError::FieldUnsupported(path.to_string()));
            }
            reqs.push(FieldReq { path: path.into(), value: value.trim().into(), negate });
        }
        Ok(Self(reqs))
    }

    /// Whether the object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|r| (field_value(obj, &r.path) == r.value) != r.negate)
    }
}

/// The string value of a selectable field; missing fields read as `""`
/// (or `false` for booleans), as the real server's field sets do.
fn field_value(obj: &Value, path: &str) -> String {
    let path = if path == "source" { "source.component" } else { path };
    let pointer = format!("/{}", path.replace('.', "/"));
    match obj.pointer(&pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ if matches!(path, "spec.unschedulable" | "spec.hostNetwork") => "false".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_support_every_operator() {
        let labels = json!({"app": "web", "tier": "frontend"});
        let l = labels.as_object();
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches_json(l);
        assert!(m("app=web"));
        assert!(m("app==web,tier"));
        assert!(m("app!=db"));
        assert!(m("tier in (frontend, backend)"));
        assert!(!m("tier notin (frontend)"));
        assert!(m("!legacy"));
        assert!(!m("legacy"));
        assert!(m("env notin (prod)"));
        assert!(LabelSelector::parse("app in (a").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_selectors_read_nested_fields_and_reject_unindexed_ones() {
        let pod = json!({"metadata": {"name": "p", "namespace": "shop"}, "status": {"phase": "Pending"}, "spec": {}});
        let f = |s: &str| FieldSelector::parse(s, "Pod").unwrap().matches(&pod);
        assert!(f("status.phase=Pending"));
        assert!(f("status.phase!=Running,metadata.namespace=shop"));
        assert!(f("spec.nodeName="));
        assert!(matches!(FieldSelector::parse("spec.containers=x", "Pod"), Err(SelectorError::FieldUnsupported(_))));
    }
}
