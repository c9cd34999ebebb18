//! Questions across every context: "which clusters have crash loops?",
//! "anything broken anywhere?". Each context is diagnosed in parallel
//! with its own deadline (one that does not answer in time is named, the
//! others are not held up); the answer comes from the analyzers' findings
//! (one home). A question whose words are not all about problems across
//! clusters is left to the normal route, which declines rather than guess.

use std::time::{Duration, Instant};

use kubeask_insight::analyze::{Finding, Severity};

use crate::answer::{Answer, Evidence, Mode};
use crate::assistant::{AskError, Assistant};
use crate::router::Words;

/// How long one context may take.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What is asked about every context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Containers in a crash loop.
    CrashLoops,
    /// Images that cannot be pulled.
    ImagePulls,
    /// Pods that cannot be scheduled.
    Pending,
    /// Containers killed for memory.
    OomKills,
    /// Nodes not Ready.
    NodesNotReady,
    /// Any critical or warning finding.
    Broken,
}

impl Topic {
    fn words(self) -> &'static str {
        match self {
            Topic::CrashLoops => "crash loops",
            Topic::ImagePulls => "image pull failures",
            Topic::Pending => "unschedulable pods",
            Topic::OomKills => "OOM kills",
            Topic::NodesNotReady => "nodes not Ready",
            Topic::Broken => "problems",
        }
    }

    /// Whether a finding is about this topic.
    pub fn matches(self, f: &Finding) -> bool {
        let t = f.title.as_str();
        match self {
            Topic::CrashLoops => t.starts_with("CrashLoopBackOff"),
            Topic::ImagePulls => {
                ["ImagePullBackOff", "ErrImagePull", "InvalidImageName"].iter().any(|p| t.starts_with(p))
            }
            Topic::Pending => t.starts_with("Pending"),
            Topic::OomKills => t.contains("OOMKilled"),
            Topic::NodesNotReady => t.starts_with("node NotReady"),
            Topic::Broken => f.severity != Severity::Info,
        }
    }
}

/// Words such a question may use besides its topic.
const FILLER: &[&str] = &[
    "which",
    "what",
    "where",
    "any",
    "anything",
    "something",
    "are",
    "is",
    "there",
    "have",
    "has",
    "had",
    "do",
    "does",
    "my",
    "our",
    "the",
    "in",
    "on",
    "of",
    "with",
    "a",
    "an",
    "all",
    "every",
    "across",
    "cluster",
    "context",
    "clusters",
    "contexts",
    "anywhere",
    "everywhere",
    "right",
    "now",
    "currently",
    "show",
    "me",
    "list",
    "tell",
    "got",
    "see",
    "i",
    "we",
    "pods",
    "pod",
    "containers",
    "container",
    "nodes",
    "node",
    "that",
    "any",
    "some",
];

/// Each topic's words.
const TOPICS: &[(Topic, &[&str])] = &[
    (
        Topic::CrashLoops,
        &["crash", "crashing", "crashloop", "crashlooping", "crashloopbackoff", "loop", "loops", "looping"],
    ),
    (
        Topic::ImagePulls,
        &["image", "images", "pull", "pulls", "imagepullbackoff", "errimagepull", "failures", "failing", "errors"],
    ),
    (Topic::Pending, &["pending", "unschedulable", "stuck", "scheduled", "schedule", "cannot", "can't", "be"]),
    (Topic::OomKills, &["oom", "oomkilled", "killed", "kills", "memory", "out"]),
    (Topic::NodesNotReady, &["notready", "not", "ready", "down"]),
    (
        Topic::Broken,
        &["broken", "wrong", "problems", "problem", "issues", "issue", "unhealthy", "failing", "critical", "errors"],
    ),
];

/// The topic of a question about every context, when that is what it is
/// and every word is accounted for.
pub fn asks(question: &str) -> Option<Topic> {
    let w = Words::new(question);
    // NB: "anywhere in the cluster" is one cluster.
    let across = w.any(&["clusters", "contexts"])
        || ["every cluster", "any cluster", "each cluster", "every context"].iter().any(|p| w.phrase(p))
        || (w.any(&["anywhere", "everywhere"]) && !w.any(&["cluster", "namespace", "context"]));
    if !across {
        return None;
    }
    let topic = if w.phrase("image pull") || w.any(&["imagepullbackoff", "errimagepull"]) {
        Topic::ImagePulls
    } else if w.any(&["crash", "crashing", "crashloop", "crashlooping", "crashloopbackoff"]) {
        Topic::CrashLoops
    } else if w.any(&["oom", "oomkilled"]) || w.phrase("out of memory") {
        Topic::OomKills
    } else if w.any(&["pending", "unschedulable"]) {
        Topic::Pending
    } else if w.any(&["notready"]) || w.phrase("not ready") || (w.has("nodes") && w.has("down")) {
        Topic::NodesNotReady
    } else if w.any(&["broken", "wrong", "problems", "problem", "issues", "issue", "unhealthy", "failing", "critical"])
    {
        Topic::Broken
    } else {
        return None;
    };
    let allowed = |x: &str| FILLER.contains(&x) || TOPICS.iter().any(|(t, ws)| *t == topic && ws.contains(&x));
    w.lower.iter().all(|x| allowed(x)).then_some(topic)
}

/// One context's findings, or why it did not answer.
pub type Part = Result<Vec<Finding>, String>;

impl Assistant {
    /// Every context's findings, diagnosed in parallel, each within [`DEADLINE`].
    pub async fn diagnose_all(&self) -> Result<Vec<(String, Part)>, AskError> {
        let names: Vec<String> = self
            .contexts()
            .map_err(|e| AskError::NotSynced { context: "all".into(), waited: Duration::ZERO, detail: e.to_string() })?
            .list()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let one = |name: String| {
            // NB: spawned, so a context that takes longer than the deadline
            // to start goes on starting (its cache is ready next time)
            // instead of being dropped half-built and listed again.
            let (assistant, n) = (self.clone(), name.clone());
            let task = tokio::spawn(async move { assistant.diagnose(Some(&n), None).await });
            async move {
                let part = match tokio::time::timeout(DEADLINE, task).await {
                    Ok(Ok(Ok(f))) => Ok(f),
                    Ok(Ok(Err(e))) => Err(e.to_string()),
                    Ok(Err(e)) => Err(format!("failed: {e}")),
                    Err(_) => Err(format!("no answer within {} s", DEADLINE.as_secs())),
                };
                (name, part)
            }
        };
        Ok(futures::future::join_all(names.into_iter().map(one)).await)
    }

    /// Answers a question about every context (see [`asks`]).
    pub async fn ask_fleet(&self, question: &str, topic: Topic) -> Result<Answer, AskError> {
        let started = Instant::now();
        let parts: Vec<(String, Part)> = self
            .diagnose_all()
            .await?
            .into_iter()
            .map(|(n, p)| (n, p.map(|f| f.into_iter().filter(|f| topic.matches(f)).collect())))
            .collect();
        Ok(fleet_answer(question, topic, &parts, started))
    }
}

/// A context's health at a glance (the tray's line): `staging — 4
/// critical, 6 warnings (worst: Deployment/shop/checkout CrashLoopBackOff)`,
/// `staging — healthy`, or `staging — not answering`.
pub fn health_line(name: &str, part: &Part) -> String {
    match part {
        Err(_) => format!("{name} — not answering"),
        Ok(f) => {
            let count = |s: Severity| f.iter().filter(|x| x.severity == s).count();
            let (c, w) = (count(Severity::Critical), count(Severity::Warning));
            let Some(worst) = f.iter().find(|x| x.severity != Severity::Info) else {
                return format!("{name} — healthy");
            };
            let what = worst.title.split(':').next().unwrap_or(&worst.title);
            let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
            let counts = match (c, w) {
                (0, w) => plural(w, "warning", "warnings"),
                (c, 0) => format!("{c} critical"),
                (c, w) => format!("{c} critical, {}", plural(w, "warning", "warnings")),
            };
            format!("{name} — {counts} (worst: {} {what})", worst.workload)
        }
    }
}

fn fleet_answer(question: &str, topic: Topic, parts: &[(String, Part)], started: Instant) -> Answer {
    let mut hits = Vec::new();
    let mut lines = Vec::new();
    let mut evidence = Vec::new();
    let mut silent = Vec::new();
    for (name, part) in parts {
        match part {
            Ok(f) if f.is_empty() => lines.push(format!("- **{name}**: no {}", topic.words())),
            Ok(f) => {
                hits.push(format!("{name} ({})", f.len()));
                lines.push(format!("- **{name}**: {} {}", f.len(), topic.words()));
                for x in f.iter().take(5) {
                    lines.push(format!("  - `{}`: {}", x.object, x.title));
                    evidence.push(Evidence::new(&x.object.kind, Some(&x.object.namespace), &x.object.name));
                }
            }
            Err(why) => {
                silent.push(name.clone());
                lines.push(format!("- **{name}**: not answering ({why})"));
            }
        }
    }
    let short = match (hits.is_empty(), silent.is_empty()) {
        (false, _) => hits.join(", "),
        (true, true) => "none".to_string(),
        (true, false) => format!("none of those that answered ({} did not)", silent.join(", ")),
    };
    let answered = parts.len() - silent.len();
    Answer {
        question: question.to_string(),
        short,
        explanation: format!("{} of {} contexts answered.\n{}", answered, parts.len(), lines.join("\n")),
        evidence,
        kubectl: vec!["kubectl get pods -A --context CONTEXT".into()],
        mode: Mode::Direct,
        context: parts.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        warning: (!silent.is_empty()).then(|| format!("not answering: {}", silent.join(", "))),
        subject: None,
        namespace: None,
        proposals: Vec::new(),
        engine: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_every_context_and_their_topic() {
        assert_eq!(asks("which clusters have crash loops?"), Some(Topic::CrashLoops));
        assert_eq!(asks("anything broken anywhere?"), Some(Topic::Broken));
        assert_eq!(asks("any image pull errors across my clusters"), Some(Topic::ImagePulls));
        assert_eq!(asks("are nodes not ready in any cluster?"), Some(Topic::NodesNotReady));
        assert_eq!(asks("which contexts have pending pods"), Some(Topic::Pending));
        // One cluster, or words it does not account for: not a fleet question.
        assert_eq!(asks("how many nodes does my cluster have?"), None);
        assert_eq!(asks("which pods are crash looping?"), None);
        assert_eq!(asks("which clusters have crash loops in the payments namespace?"), None);
        assert_eq!(asks("which clusters run kubernetes 1.29?"), None);
        assert_eq!(asks("are there crash loops anywhere in the cluster?"), None);
    }
}
