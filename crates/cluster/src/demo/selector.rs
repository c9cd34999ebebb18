//! Label and field selectors, parsed the way kube-apiserver parses them.

use serde_json::Value;

/// A selector could not be parsed, or names a field the kind does not index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Syntax error in a label selector.
    #[error("unable to parse requirement: {0}")]
    Label(String),
    /// Field selector term is not `a=b`, `a==b` or `a!=b`.
    #[error("invalid field selector: {0}")]
    FieldSyntax(String),
    /// The field is not indexed for this kind.
    #[error("field label not supported: {0}")]
    FieldUnsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Exists(String),
    NotExists(String),
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed label selector (all requirements must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<LabelReq>);

fn split_top_level(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0usize, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 316 && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl LabelSelector {
    /// Parses `app=web,tier!=db,env in (a,b),!legacy,release`.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for term in split_top_level(s) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            let bad = || SelectorError::Label(term.to_string());
            let req = if let Some(k) = term.strip_prefix('!') {
                LabelReq::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = term.split_once("!=") {
                LabelReq::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                LabelReq::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = split_set_op(term, " notin ") {
                LabelReq::NotIn(k, parse_set(rest).ok_or_else(bad)?)
            } else if let Some((k, rest)) = split_set_op(term, " in ") {
                LabelReq::In(k, parse_set(rest).ok_or_else(bad)?)
            } else {
                LabelReq::Exists(term.to_string())
            };
            let (key, values): (&str, Vec<&String>) = match &req {
                LabelReq::Exists(k) | LabelReq::NotExists(k) => (k, vec![]),
                LabelReq::Eq(k, v) | LabelReq::NotEq(k, v) => (k, vec![v]),
                LabelReq::In(k, vs) | LabelReq::NotIn(k, vs) => (k, vs.iter().collect()),
            };
            if !valid_key(key) || !values.iter().all(|v| valid_value(v)) {
                return Err(bad());
            }
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, labels: Option<&serde_json::Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(|v| v.as_str());
        self.0.iter().all(|r| match r {
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        })
    }

    /// Whether the selector has no requirements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn split_set_op(term: &str, op: &str) -> Option<(String, String)> {
    let (k, rest) = term.split_once(op)?;
    Some((k.trim().to_string(), rest.trim().to_string()))
}

fn parse_set(rest: String) -> Option<Vec<String>> {
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    (!values.is_empty()).then_some(values)
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
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(l);
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
