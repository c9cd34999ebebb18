//! Label selectors, parsed and matched the way kube-apiserver does — one
//! parser for the demo server's `?labelSelector=`, the `list` tool's
//! `selector` and a Service's `spec.selector`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, Service};

/// A selector could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement: {0}")]
pub struct SelectorError(pub String);

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
    // NB: `char_indices` gives char boundaries, so slicing here is safe on any UTF-8.
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

fn split_set_op(term: &str, op: &str) -> Option<(String, String)> {
    let (k, rest) = term.split_once(op)?;
    Some((k.trim().to_string(), rest.trim().to_string()))
}

fn parse_set(rest: String) -> Option<Vec<String>> {
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    (!values.is_empty()).then_some(values)
}

fn parse_term(term: &str) -> Result<LabelReq, SelectorError> {
    let bad = || SelectorError(term.to_string());
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
    Ok(req)
}

impl LabelSelector {
    /// Parses `app=web,tier!=db,env in (a,b),!legacy,release`.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let terms = split_top_level(s).into_iter().map(str::trim).filter(|t| !t.is_empty());
        Ok(Self(terms.map(parse_term).collect::<Result<_, _>>()?))
    }

    /// Whether labels read through `get` satisfy every requirement.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|r| match r {
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        })
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.matches_with(|k| labels.and_then(|l| l.get(k)).map(String::as_str))
    }

    /// Whether JSON labels (`metadata.labels` of a raw object) satisfy it.
    pub fn matches_json(&self, labels: Option<&serde_json::Map<String, serde_json::Value>>) -> bool {
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(|v| v.as_str()))
    }

    /// The `key=value` requirements (an index can narrow by them).
    pub fn equalities(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .filter_map(|r| match r {
                LabelReq::Eq(k, v) => Some((k.as_str(), v.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Whether the selector has no requirements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a Service selects a pod: same namespace, and every pair of a
/// non-empty `spec.selector` among the pod's labels. A Service without a
/// selector selects no pod (its endpoints are managed by hand).
pub fn service_selects(svc: &Service, pod: &Pod) -> bool {
    let Some(sel) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else {
        return false;
    };
    pod.metadata.namespace == svc.metadata.namespace
        && sel.iter().all(|(k, v)| pod.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn set_based_and_equality_forms() {
        let l: BTreeMap<String, String> = [("app", "web"), ("tier", "fe")].map(|(k, v)| (k.into(), v.into())).into();
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(Some(&l));
        assert!(m("app=web") && m("app==web,tier!=db") && m("tier in (fe,be)") && m("!legacy") && m("app"));
        assert!(!m("app=db") && !m("tier notin (fe)") && !m("legacy"));
        assert!(LabelSelector::parse("app in (a").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(s in "\\PC{0,60}") {
            let _ = LabelSelector::parse(&s);
        }
    }
}
