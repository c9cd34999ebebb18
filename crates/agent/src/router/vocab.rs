//! The words a question is parsed against: kinds and their synonyms,
//! intent words, and the cluster's own names (namespaces, objects, the
//! names people use for pods), with typo-tolerant lookup.

use std::collections::HashMap;

use kubeask_insight::snapshot::Snapshot;

use crate::facts::Owners;

pub use kubeask_insight::kind::Kind;

/// Words for pod states people type (`crashlooping`, `evicted`, `oomkilled`)
/// and the state they mean, as kubectl shows it (or as a container's last
/// termination reason).
pub const STATUS_SYNONYMS: &[(&str, &str)] = &[
    ("crashloopbackoff", "CrashLoopBackOff"),
    ("crashlooping", "CrashLoopBackOff"),
    ("crashloop", "CrashLoopBackOff"),
    ("crash-looping", "CrashLoopBackOff"),
    ("imagepullbackoff", "ImagePullBackOff"),
    ("errimagepull", "ErrImagePull"),
    ("evicted", "Evicted"),
    ("oomkilled", "OOMKilled"),
    ("oom-killed", "OOMKilled"),
    ("terminating", "Terminating"),
    ("containercreating", "ContainerCreating"),
];

/// The pod state a word names, if any.
pub fn status_word(word: &str) -> Option<&'static str> {
    STATUS_SYNONYMS.iter().find(|(w, _)| *w == word).map(|(_, s)| *s)
}

/// Maps a word (or a joined bigram) to a kind.
pub fn kind_word(w: &str) -> Option<Kind> {
    Kind::from_word(w)
}

const FUNCTION_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "r",
    "do",
    "does",
    "did",
    "done",
    "what",
    "whats",
    "what's",
    "which",
    "who",
    "whom",
    "whose",
    "why",
    "how",
    "when",
    "where",
    "many",
    "much",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "about",
    "into",
    "onto",
    "and",
    "or",
    "not",
    "no",
    "my",
    "our",
    "your",
    "their",
    "its",
    "it",
    "it's",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "me",
    "i",
    "we",
    "you",
    "they",
    "he",
    "she",
    "them",
    "us",
    "can",
    "could",
    "should",
    "would",
    "will",
    "shall",
    "have",
    "has",
    "had",
    "get",
    "gets",
    "got",
    "show",
    "tell",
    "give",
    "list",
    "find",
    "please",
    "currently",
    "now",
    "right",
    "today",
    "any",
    "all",
    "each",
    "every",
    "some",
    "there's",
    "so",
    "if",
    "than",
    "then",
    "again",
    "also",
    "only",
    "just",
    "else",
    "s",
    "t",
    "n",
    "per",
    "inside",
    "under",
    "across",
    "ok",
    "okay",
];

/// Function words (articles, pronouns, auxiliaries, prepositions, question
/// words): no question is about them.
pub fn is_function_word(w: &str) -> bool {
    FUNCTION_WORDS.contains(&w)
}

const QUESTION_VOCABULARY: &[&str] = &[
    "memory",
    "image",
    "logs",
    "keep",
    "keeps",
    "kept",
    "running",
    "run",
    "runs",
    "status",
    "state",
    "phase",
    "ready",
    "up",
    "down",
    "cluster",
    "k8s",
    "kubernetes",
    "version",
    "versions",
    "images",
    "port",
    "ports",
    "targetport",
    "target",
    "restart",
    "restarts",
    "restarted",
    "restarting",
    "times",
    "time",
    "log",
    "logging",
    "error",
    "errors",
    "crashing",
    "crash",
    "crashes",
    "failing",
    "failed",
    "fail",
    "fails",
    "failure",
    "start",
    "started",
    "starting",
    "won't",
    "wont",
    "stuck",
    "pending",
    "new",
    "old",
    "cpu",
    "limit",
    "limits",
    "request",
    "requests",
    "using",
    "use",
    "uses",
    "most",
    "least",
    "highest",
    "lowest",
    "top",
    "replica",
    "replicas",
    "max",
    "maximum",
    "min",
    "minimum",
    "configured",
    "set",
    "schedule",
    "scheduled",
    "succeed",
    "succeeded",
    "success",
    "belong",
    "belongs",
    "owned",
    "owns",
    "owner",
    "label",
    "labels",
    "env",
    "environment",
    "variable",
    "var",
    "value",
    "host",
    "hosts",
    "hostname",
    "ip",
    "address",
    "node",
    "nodes",
    "age",
    "created",
    "kubelet",
    "endpoints",
    "say",
    "says",
    "saying",
    "wrong",
    "broken",
    "problem",
    "problems",
    "issue",
    "issues",
    "healthy",
    "unhealthy",
    "notready",
    "live",
    "other",
    "others",
    "same",
    "type",
    "kind",
    "name",
    "names",
    "named",
    "called",
    "storage",
    "size",
    "capacity",
    "class",
    "mode",
    "access",
    "key",
    "keys",
    "data",
    "usage",
    "consuming",
    "eating",
    "happening",
    "going",
    "back",
    "off",
    "backoff",
    "reason",
    "message",
    "last",
    "recent",
    "latest",
    "first",
    "container",
    "containers",
    "events",
    "event",
    "warning",
    "warnings",
    "total",
    "number",
    "count",
    "counts",
    "amount",
    "belonging",
    "part",
    "everything",
    "anything",
    "something",
    "work",
    "working",
    "works",
    "serve",
    "serves",
    "serving",
    "exposed",
    "expose",
    "exposes",
];

/// Words never taken for object names: the function words and the
/// question vocabulary ("memory", "image", "logs"), which a question may
/// still be about (the guard counts only function words as free).
pub fn is_stopword(w: &str) -> bool {
    is_function_word(w) || QUESTION_VOCABULARY.contains(&w)
}

/// One name known in the cluster.
#[derive(Debug, Clone)]
pub struct NameEntry {
    /// The kind of the object.
    pub kind: Kind,
    /// Namespace ("" when cluster-scoped).
    pub namespace: String,
    /// The object's full name.
    pub name: String,
    /// Whether the match is through the pod's base (workload) name.
    pub via_base: bool,
}

/// The cluster's names, indexed for lookup.
#[derive(Debug, Default)]
pub struct Names {
    /// Lower-cased name → entries.
    pub exact: HashMap<String, Vec<NameEntry>>,
    /// Namespace names.
    pub namespaces: Vec<String>,
    /// Pods by state, lower-cased (`crashloopbackoff`, `pending`, and the
    /// last termination reason of a container, `oomkilled`): "the
    /// crashlooping pod" names a pod by what is wrong with it.
    /// Each entry carries the name people use for the pod (its workload's).
    pub pods_by_state: HashMap<String, Vec<(NameEntry, String)>>,
    /// Node label values (lower-cased) → the label keys carrying them
    /// (`eu-west-1b` → `topology.kubernetes.io/zone`): node pools, zones.
    pub node_label_values: HashMap<String, Vec<String>>,
    /// Label values of other objects (lower-cased) → the kinds and keys
    /// carrying them (`platform` → Namespace `team`): "which namespaces
    /// does team platform own?".
    pub label_values: HashMap<String, Vec<(Kind, String)>>,
    /// Distinct non-pod names, for typo matching.
    fuzzy_pool: Vec<String>,
}

impl Names {
    /// Indexes every object name in the snapshot.
    pub fn new(snap: &Snapshot, owners: &Owners) -> Self {
        let mut n = Names::default();
        let mut add = |kind: Kind, ns: Option<&str>, name: Option<&str>, via_base: bool, key: Option<&str>| {
            let Some(name) = name else { return };
            let key = key.unwrap_or(name).to_lowercase();
            n.exact.entry(key).or_default().push(NameEntry {
                kind,
                namespace: ns.unwrap_or("").to_string(),
                name: name.to_string(),
                via_base,
            });
        };
        // NB: Endpoints and Events repeat their object's name; namespaces
        // are indexed apart.
        let named =
            Kind::OBJECTS.iter().filter(|k| !matches!(k, Kind::Pod | Kind::Endpoints | Kind::Event | Kind::Namespace));
        for &kind in named {
            for o in snap.objects(kind) {
                add(kind, o.meta.namespace.as_deref(), o.meta.name.as_deref(), false, None);
            }
        }
        for p in &snap.pods {
            let name = p.metadata.name.as_deref();
            add(Kind::Pod, p.metadata.namespace.as_deref(), name, false, None);
            let base = owners.base_name(p);
            if Some(base.as_str()) != name {
                add(Kind::Pod, p.metadata.namespace.as_deref(), name, true, Some(&base));
            }
        }
        let mut pool: Vec<String> = n
            .exact
            .iter()
            .filter(|(_, es)| es.iter().any(|e| e.kind != Kind::Pod || e.via_base || !looks_generated(&e.name)))
            .map(|(k, _)| k.clone())
            .collect();
        pool.sort();
        n.fuzzy_pool = pool;
        n.namespaces = snap.namespaces.iter().filter_map(|ns| ns.metadata.name.clone()).collect();
        n.index_labels(snap);
        n.index_states(snap, owners);
        for p in &snap.pods {
            if let Some(ns) = &p.metadata.namespace {
                if !n.namespaces.contains(ns) {
                    n.namespaces.push(ns.clone());
                }
            }
        }
        n
    }

    /// Pods by state (see `pods_by_state`).
    fn index_states(&mut self, snap: &Snapshot, owners: &Owners) {
        let idx = snap.index();
        for (p, status) in idx.pods_with_status(None) {
            let reasons = p
                .status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
                .filter_map(|c| c.last_state.as_ref()?.terminated.as_ref()?.reason.clone());
            let mut states: Vec<String> = reasons.map(|r| r.to_lowercase()).collect();
            // NB: "the running pod" names nothing; skipping the healthy keeps
            // this index small at 10,000 pods.
            if !matches!(status, "Running" | "Completed") {
                states.push(status.to_lowercase());
            }
            states.dedup();
            for state in states {
                let entry = NameEntry {
                    kind: Kind::Pod,
                    namespace: p.metadata.namespace.clone().unwrap_or_default(),
                    name: p.metadata.name.clone().unwrap_or_default(),
                    via_base: true,
                };
                self.pods_by_state.entry(state).or_default().push((entry, owners.base_name(p)));
            }
        }
    }

    /// Label values of nodes and of other objects.
    fn index_labels(&mut self, snap: &Snapshot) {
        const LABELLED: &[Kind] =
            &[Kind::Namespace, Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::Service, Kind::Pod];
        for &kind in LABELLED {
            for o in snap.objects(kind) {
                for (k, v) in o.meta.labels.iter().flatten() {
                    // Hashes and booleans name nothing a person would type.
                    if k.ends_with("-hash") || k.ends_with("/name") || v == "true" || v == "false" || v.len() < 3 {
                        continue;
                    }
                    let entry = self.label_values.entry(v.to_lowercase()).or_default();
                    if !entry.iter().any(|(ek, ekey)| *ek == kind && ekey == k) {
                        entry.push((kind, k.clone()));
                    }
                }
            }
        }
        for (k, v) in snap.nodes.iter().flat_map(|node| node.metadata.labels.iter().flatten()) {
            // NB: every value is kept (`amd64` names every node alike, and
            // then every node is the right answer).
            let keys = self.node_label_values.entry(v.to_lowercase()).or_default();
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }

    /// Entries whose name is exactly `word`.
    pub fn lookup(&self, word: &str) -> Option<&Vec<NameEntry>> {
        self.exact.get(word)
    }

    /// The closest known name to `word` within a small edit distance.
    pub fn fuzzy(&self, word: &str) -> Option<&str> {
        if word.len() < 4 {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        for cand in &self.fuzzy_pool {
            if let Some(d) = kubeask_insight::names::typo_distance(word, cand) {
                if best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, cand));
                }
            }
        }
        best.map(|(_, c)| c)
    }

    /// The one object of `kind` whose name has `word` as a whole dash-part
    /// ("backfill" → `orders-backfill`), when exactly one has; two such
    /// objects (in any namespaces) name neither.
    pub fn by_name_part(&self, kind: Kind, word: &str) -> Option<&NameEntry> {
        let mut found = self
            .exact
            .values()
            .flatten()
            .filter(|e| e.kind == kind && !e.via_base && e.name.to_lowercase().split('-').any(|p| p == word));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// Known names that start with or contain `word` (for "did you mean").
    pub fn similar(&self, word: &str, limit: usize) -> Vec<String> {
        let mut out: Vec<(usize, &String)> = self
            .fuzzy_pool
            .iter()
            .filter(|c| c.contains(word) || word.contains(c.as_str()) || strsim::jaro_winkler(word, c) > 0.85)
            .map(|c| (strsim::levenshtein(word, c), c))
            .collect();
        out.sort();
        out.into_iter().take(limit).map(|(_, c)| c.clone()).collect()
    }
}

/// Whether a name looks machine-generated (`x-7d9f8b6c5d-abcde`).
fn looks_generated(name: &str) -> bool {
    let parts: Vec<&str> = name.rsplit('-').take(2).collect();
    parts.first().is_some_and(|p| p.len() == 5)
        && parts.get(1).is_some_and(|p| p.len() >= 8 && p.chars().any(|c| c.is_ascii_digit()))
}
