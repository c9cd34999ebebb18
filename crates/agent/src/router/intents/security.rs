//! Security questions, answered from the posture checks (their one home is
//! `kubeask_insight::security`): "which pods run as root?", "is anything
//! privileged in payments?", "which namespaces have no network policy?",
//! "what security issues does checkout have?".

use kubeask_insight::analyze::Severity;
use kubeask_insight::security::{check, not_checked, SecurityFinding};

use super::*;

/// What a question can ask about, the words that ask it, and the checks
/// that answer.
struct Topic {
    words: &'static [&'static str],
    phrases: &'static [&'static str],
    checks: &'static [&'static str],
    /// "may run as root": what the objects named in the answer do.
    what: &'static str,
}

#[rustfmt::skip]
const TOPICS: &[Topic] = &[
    Topic { words: &["escalation", "escalate"], phrases: &[], checks: &["privilege-escalation"], what: "may escalate privileges" },
    Topic { words: &["privileged"], phrases: &[], checks: &["privileged"], what: "run privileged" },
    Topic { words: &["root", "uid0"], phrases: &[], checks: &["run-as-root"], what: "may run as root" },
    Topic { words: &["hostpath", "hostpaths"], phrases: &["host path", "host paths"], checks: &["host-path"], what: "mount host paths" },
    Topic { words: &["hostnetwork"], phrases: &["host network", "host networking"], checks: &["host-network"], what: "use the host's network" },
    Topic { words: &["hostpid", "hostipc"], phrases: &["host pid", "host ipc"], checks: &["host-pid", "host-ipc"], what: "share the host's process or IPC namespace" },
    Topic { words: &["capabilities", "capability", "sys_admin", "net_admin"], phrases: &[], checks: &["capabilities"], what: "add Linux capabilities" },
    Topic { words: &["networkpolicy", "networkpolicies", "netpol", "netpols"], phrases: &["network policy", "network policies"], checks: &["no-network-policy"], what: "have no NetworkPolicy" },
    Topic { words: &["cluster-admin", "rbac", "wildcard", "wildcards"], phrases: &[], checks: &["cluster-admin-binding", "rbac-wildcard"], what: "grant too much access" },
    Topic { words: &["unpinned"], phrases: &["latest tag", "not pinned"], checks: &["image-tag"], what: "run unpinned images" },
    Topic { words: &["security", "secure", "insecure", "posture", "hardening", "risky"], phrases: &[], checks: &[], what: "have security findings" },
];

/// Words a security question may use beyond the topic's own.
pub(in crate::router) const SECURITY_WORDS: &[&str] = &[
    "run",
    "runs",
    "running",
    "as",
    "user",
    "privileged",
    "privilege",
    "privileges",
    "mount",
    "mounts",
    "mounted",
    "use",
    "uses",
    "using",
    "add",
    "adds",
    "have",
    "has",
    "without",
    "no",
    "missing",
    "lack",
    "lacks",
    "anything",
    "something",
    "issues",
    "issue",
    "problems",
    "problem",
    "findings",
    "finding",
    "risks",
    "risk",
    "concerns",
    "there",
    "any",
    "workloads",
    "workload",
    "containers",
    "container",
    "images",
    "image",
    "tag",
    "tags",
    "host",
    "network",
    "policy",
    "policies",
    "path",
    "paths",
    "pid",
    "ipc",
    "bindings",
    "binding",
    "roles",
    "role",
    "access",
    "grant",
    "grants",
    "too",
    "much",
    "can",
    "could",
    "allowed",
    "latest",
    "pinned",
    "digest",
    "namespaces",
    "namespace",
    "cluster",
    "admin",
    "how",
    "many",
    "count",
    "number",
    "may",
    "might",
];

/// Every word a security question may use: the topics' own and the rest.
pub(in crate::router) fn security_words() -> Vec<&'static str> {
    let topics = TOPICS.iter().flat_map(|t| t.words.iter().copied().chain(t.phrases.iter().flat_map(|p| p.split(' '))));
    SECURITY_WORDS.iter().copied().chain(topics).collect()
}

/// Whether `word` is one of the topics' own words (`cluster-admin` is a
/// question word, not an object's name).
pub(in crate::router) fn security_topic_word(word: &str) -> bool {
    TOPICS.iter().any(|t| t.words.contains(&word))
}

fn topic(w: &Words) -> Option<&'static Topic> {
    TOPICS.iter().find(|t| w.any(t.words) || t.phrases.iter().any(|p| w.phrase(p)))
}

/// Whether the question asks about one of the security topics.
pub(in crate::router) fn security_q(w: &Words) -> bool {
    topic(w).is_some()
}

fn relevant<'a>(found: &'a [SecurityFinding], t: &Topic, r: &Refs) -> Vec<&'a SecurityFinding> {
    found
        .iter()
        .filter(|f| t.checks.is_empty() || t.checks.contains(&f.check))
        .filter(|f| {
            let o = &f.finding.object;
            let in_ns = |ns: &str| o.namespace == ns || (o.kind == "Namespace" && o.name == ns);
            r.namespace.as_deref().is_none_or(in_ns)
        })
        .filter(|f| {
            r.targets.is_empty()
                || r.targets
                    .iter()
                    .any(|e| e.name == f.finding.object.name && e.namespace == f.finding.object.namespace)
        })
        .collect()
}

/// The answer: the objects the topic finds (or "none"), yes/no for a yes/no
/// question, each finding with its check, control and fix underneath.
pub(in crate::router) fn security(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let t = topic(w).ok_or_else(|| Outcome::NotUnderstood { suggestions: suggestions(ctx) })?;
    let found = check(ctx.snap);
    let hits = relevant(&found, t, r);
    let names = distinct(hits.iter().map(|f| f.finding.object.name.clone()));
    let yes_no = w.lower.first().is_some_and(|x| matches!(x.as_str(), "is" | "are" | "does" | "do" | "has" | "have"))
        && !w.any(&["which", "what", "who", "how"]);
    let how_many = w.phrase("how many") || w.any(&["count", "number"]);
    let short = match (yes_no, names.is_empty(), t.checks.is_empty() && !r.targets.is_empty()) {
        _ if how_many => names.len().to_string(),
        (true, true, _) => "no".to_string(),
        (true, false, _) => format!("yes: {}", join(names.clone())),
        (false, true, _) => "none".to_string(),
        // "what security issues does checkout have?": the checks, not its name.
        (false, false, true) => join(distinct(hits.iter().map(|f| f.check.to_string()))),
        // "how secure is the data namespace?": how much was found.
        (false, false, false) if t.checks.is_empty() => {
            let of = |sev| hits.iter().filter(|f| f.finding.severity == sev).count();
            format!(
                "{} findings: {} critical, {} warnings, {} info",
                hits.len(),
                of(Severity::Critical),
                of(Severity::Warning),
                of(Severity::Info)
            )
        }
        (false, false, false) => join(names.clone()),
    };
    let mut lines: Vec<String> = hits
        .iter()
        .map(|f| {
            format!(
                "- **{}** `{}`: {} — {} (fix: {})",
                f.finding.object.kind, f.finding.object.name, f.finding.title, f.control, f.finding.suggested_fix
            )
        })
        .collect();
    let scope = r.namespace.as_deref().map(|n| format!(" in {n}")).unwrap_or_default();
    lines.insert(0, format!("{} object(s){scope} {}:", names.len(), t.what));
    if let Some(gaps) = Some(not_checked(ctx.snap)).filter(|g| !g.is_empty()) {
        lines.push(format!("\nNot checked (not readable with your access): {}.", gaps.join("; ")));
    }
    let mut out = routed("security", short, lines.join("\n"));
    out.evidence = hits
        .iter()
        .map(|f| {
            let o = &f.finding.object;
            Evidence::new(&o.kind, Some(o.namespace.as_str()).filter(|n| !n.is_empty()), &o.name)
        })
        .collect();
    out.kubectl = hits.iter().flat_map(|f| f.finding.kubectl.clone()).take(5).collect();
    if out.kubectl.is_empty() {
        out.kubectl.push(format!(
            "kubectl get deployments,statefulsets,daemonsets{} -o yaml",
            r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())
        ));
    }
    Ok(out)
}
