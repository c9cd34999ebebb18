//! `logs(target, container?, previous?, tail?, grep?)`: which containers to
//! read (a pod, or a workload's pods) and how to filter what comes back.
//! Secrets in log lines are masked before any of it reaches a prompt.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::find::suggestions;
use super::{budget, ToolError, ToolOutput};
use crate::analyze::Object;
use crate::owners::Owners;
use crate::snapshot::Snapshot;

/// Arguments of `logs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LogsArgs {
    /// A pod name, or a workload name (its pods are read).
    pub target: String,
    /// Namespace, when the name exists in several.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Container; all containers when omitted.
    #[serde(default)]
    pub container: Option<String>,
    /// The previous (crashed) container instance.
    #[serde(default)]
    pub previous: Option<bool>,
    /// Last N lines (default 50, at most 500).
    #[serde(default)]
    pub tail: Option<i64>,
    /// Only lines containing this (case-insensitive).
    #[serde(default)]
    pub grep: Option<String>,
}

/// One container log to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRequest {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// Previous instance.
    pub previous: bool,
    /// Lines to fetch.
    pub tail: i64,
}

/// At most this many pods are read for one workload.
const MAX_PODS: usize = 5;

/// Resolves a `logs` call to container requests.
pub fn resolve(snap: &Snapshot, a: &LogsArgs) -> Result<Vec<LogRequest>, ToolError> {
    let owners = Owners::new(snap);
    let in_ns = |p: &k8s_openapi::api::core::v1::Pod| {
        a.namespace.as_deref().is_none_or(|n| p.metadata.namespace.as_deref() == Some(n))
    };
    let mut pods: Vec<_> =
        snap.pods.iter().filter(|p| in_ns(p) && p.metadata.name.as_deref() == Some(&a.target)).collect();
    if pods.is_empty() {
        pods = snap.pods.iter().filter(|p| in_ns(p) && owners.base_name(p) == a.target).collect();
    }
    if pods.is_empty() {
        return Err(ToolError::NotFound {
            kind: "pod".into(),
            name: a.target.clone(),
            namespace: a.namespace.clone(),
            suggestions: suggestions(snap, &a.target, Some(crate::kind::Kind::Pod)),
        });
    }
    let tail = a.tail.unwrap_or(50).clamp(1, 500);
    let mut out = Vec::new();
    for p in pods.into_iter().take(MAX_PODS) {
        let containers: Vec<String> = p.spec.iter().flat_map(|s| s.containers.iter().map(|c| c.name.clone())).collect();
        if let Some(c) = &a.container {
            if !containers.contains(c) {
                return Err(ToolError::BadArgument {
                    arg: "container".into(),
                    message: format!(
                        "pod {} has no container {c}; it has {}",
                        p.metadata.name.clone().unwrap_or_default(),
                        containers.join(", ")
                    ),
                });
            }
        }
        for c in containers.into_iter().filter(|c| a.container.as_ref().is_none_or(|w| w == c)) {
            out.push(LogRequest {
                namespace: p.metadata.namespace.clone().unwrap_or_default(),
                pod: p.metadata.name.clone().unwrap_or_default(),
                container: c,
                previous: a.previous.unwrap_or(false),
                tail,
            });
        }
    }
    Ok(out)
}

/// Masks tokens, keys and passwords in log text (see [`crate::redact`]).
pub fn mask_secrets(text: &str) -> String {
    crate::redact::redacted(text)
}

/// Builds the tool output from fetched texts (`Err` for a container whose
/// log could not be read).
pub fn render(a: &LogsArgs, fetched: Vec<(LogRequest, Result<String, String>)>) -> ToolOutput {
    let grep = a.grep.as_deref().map(str::to_lowercase);
    let mut text = String::new();
    let mut objects = Vec::new();
    for (req, res) in &fetched {
        objects.push(Object { kind: "Pod".into(), namespace: req.namespace.clone(), name: req.pod.clone() });
        text.push_str(&format!(
            "== {}/{} [{}]{}\n",
            req.namespace,
            req.pod,
            req.container,
            if req.previous { " (previous)" } else { "" }
        ));
        match res {
            Ok(t) => {
                // Masked before the filter: a grep must not probe a secret.
                let masked = mask_secrets(t);
                let lines: Vec<&str> =
                    masked.lines().filter(|l| grep.as_ref().is_none_or(|g| l.to_lowercase().contains(g))).collect();
                let skip = lines.len().saturating_sub(req.tail as usize);
                text.push_str(&lines[skip..].join("\n"));
                text.push('\n');
            }
            Err(e) => text.push_str(&format!("(cannot read: {e})\n")),
        }
    }
    let first = fetched.first().map(|(r, _)| r.clone());
    let kubectl = first
        .map(|r| {
            format!(
                "kubectl logs {} -n {} -c {} --tail={}{}",
                r.pod,
                r.namespace,
                r.container,
                r.tail,
                if r.previous { " --previous" } else { "" }
            )
        })
        .unwrap_or_default();
    ToolOutput {
        tool: "logs",
        text: budget(&text, 6000),
        data: json!({"requests": fetched.iter().map(|(r, _)| r).collect::<Vec<_>>()}),
        objects,
        kubectl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_log_lines_are_masked() {
        let m = mask_secrets("login ok password=hunter2 user=bob\n{\"token\": \"abc.def\", \"level\": \"info\"}\nAuthorization: Bearer sk-12345");
        assert!(!m.contains("hunter2") && !m.contains("abc.def") && !m.contains("sk-12345"), "{m}");
        assert!(m.contains("user=bob") && m.contains("\"level\": \"info\""), "{m}");
        assert_eq!(mask_secrets("no secrets here"), "no secrets here");
    }
}
