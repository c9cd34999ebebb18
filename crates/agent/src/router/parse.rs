//! Turning a question into words, a kind, a namespace and target objects.

use super::vocab::{is_stopword, kind_word, Kind, NameEntry, Names};

/// A question split into words.
#[derive(Debug, Clone)]
pub struct Words {
    /// Lower-cased words, punctuation trimmed.
    pub lower: Vec<String>,
    /// The same words with their original case (env var names).
    pub original: Vec<String>,
    /// The whole question, lower-cased, single-spaced.
    pub text: String,
}

impl Words {
    /// Splits a question.
    pub fn new(question: &str) -> Self {
        let cleaned = question.replace(['\u{2019}', '`'], "'");
        let mut lower = Vec::new();
        let mut original = Vec::new();
        for raw in cleaned.split(|c: char| {
            c.is_whitespace() || c == ',' || c == '?' || c == '!' || c == ';' || c == '(' || c == ')' || c == '"'
        }) {
            let mut w = raw.trim_matches(|c: char| "'.:*[]{}<>".contains(c)).to_string();
            if let Some(stripped) = w.strip_suffix("'s") {
                w = stripped.to_string();
            }
            // "cpu-wise", "memory-based": the measure, not a name.
            for suffix in ["-wise", "-based"] {
                if let Some(stem) = w.strip_suffix(suffix) {
                    w = stem.to_string();
                }
            }
            if w.is_empty() {
                continue;
            }
            // Shorthand on-call engineers type.
            let w = match w.to_lowercase().as_str() {
                "mem" => "memory".to_string(),
                "img" => "image".to_string(),
                "imgs" => "images".to_string(),
                "ver" | "vers" => "version".to_string(),
                _ => w,
            };
            lower.push(w.to_lowercase());
            original.push(w);
        }
        let text = lower.join(" ");
        Self { lower, original, text }
    }

    /// Whether a word occurs.
    pub fn has(&self, w: &str) -> bool {
        self.lower.iter().any(|x| x == w)
    }

    /// Whether any of the words occurs.
    pub fn any(&self, ws: &[&str]) -> bool {
        ws.iter().any(|w| self.has(w))
    }

    /// Whether a word starting with one of the prefixes occurs.
    pub fn prefix(&self, ps: &[&str]) -> bool {
        self.lower.iter().any(|x| ps.iter().any(|p| x.starts_with(p)))
    }

    /// Whether the text contains a phrase.
    pub fn phrase(&self, p: &str) -> bool {
        self.text.contains(p)
    }
}

impl Words {
    /// The same words with typos of the router's vocabulary fixed
    /// ("conatiner", "verison", "trafic"): a word that is not a name of the
    /// cluster, not already known, and within one edit (two for long words)
    /// of exactly one vocabulary word becomes that word.
    pub fn corrected(&self, names: &Names) -> Words {
        let mut out = self.clone();
        let known = |x: &str| {
            is_stopword(x) || kind_word(x).is_some() || super::guard::is_intent_word(x) || rule_question_word(x)
        };
        for (i, w) in self.lower.iter().enumerate() {
            let len = w.chars().count();
            if len < 5 || !w.chars().all(|c| c.is_ascii_alphabetic()) || known(w) || names.lookup(w).is_some() {
                continue;
            }
            let max = if len >= 8 { 2 } else { 1 };
            let mut best: Vec<(usize, &str)> = super::guard::vocabulary()
                .filter(|v| v.len().abs_diff(len) <= max)
                .map(|v| (strsim::osa_distance(w, v), v))
                .filter(|(d, _)| *d <= max)
                .collect();
            best.sort();
            // NB: a word listed by two intents is one candidate, not a tie.
            best.dedup();
            let fix = match best.as_slice() {
                [(d, v), rest @ ..] if rest.first().is_none_or(|(d2, _)| d2 > d) => *v,
                _ => continue,
            };
            out.lower[i] = fix.to_string();
            out.original[i] = fix.to_string();
        }
        out.text = out.lower.join(" ");
        out
    }
}

/// A word the cost, security and history rules ask with (`costs`, `cluster-admin`,
/// `privileged`): never a typo to correct, never an object's name.
fn rule_question_word(x: &str) -> bool {
    super::guard::COST_WORDS.contains(&x)
        || super::intents::COST_QUESTION_WORDS.contains(&x)
        || super::intents::security_topic_word(x)
        || super::intents::HISTORY_TOPIC_WORDS.contains(&x)
}

/// What a question refers to.
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// The kind named, if any.
    pub kind: Option<Kind>,
    /// The namespace named, if any.
    pub namespace: Option<String>,
    /// Objects matched by name (possibly several kinds and namespaces).
    pub targets: Vec<NameEntry>,
    /// The word that matched them (after typo correction).
    pub target_word: Option<String>,
    /// A word that looked like a name but matched nothing.
    pub unknown: Option<String>,
    /// Words that named the target indirectly ("the **crashlooping** pod",
    /// "the pod that got **oomkilled**"): accounted for by the reference.
    pub resolved_by: Vec<String>,
    /// A definite state reference that names no single workload ("the
    /// evicted pod" when none is evicted, or when two workloads are): why.
    pub state_miss: Option<String>,
    /// A node label value the question names, with its keys
    /// (`eu-west-1b` → `topology.kubernetes.io/zone`).
    pub node_label: Option<(String, Vec<String>)>,
    /// A label value of other objects the question names, with the kinds
    /// and keys carrying it.
    pub object_label: Option<(String, Vec<(Kind, String)>)>,
}

fn follows_namespace_word(words: &Words, i: usize) -> bool {
    let next = words.lower.get(i + 1).map(String::as_str);
    let prev = i.checked_sub(1).and_then(|j| words.lower.get(j)).map(String::as_str);
    matches!(next, Some("namespace" | "ns" | "namespaces")) || matches!(prev, Some("namespace" | "ns" | "-n"))
}

/// Finds kind, namespace and targets.
pub fn refs(words: &Words, names: &Names) -> Refs {
    let mut r = Refs::default();
    let mut used = vec![false; words.lower.len()];
    kinds(words, &mut r, &mut used);
    namespaces(words, names, &mut r, &mut used);
    targets(words, names, &mut r, &mut used);
    labels_typos_unknowns(words, names, &mut r, &mut used);
    let pod_named = words.lower.iter().any(|x| x == "pod");
    if r.targets.is_empty() && r.unknown.is_none() && (pod_named || r.kind.is_none()) {
        status_reference(words, names, &mut r);
    }
    r
}

// NB: index loops: each position is looked up in several parallel arrays.
#[allow(clippy::needless_range_loop)]
fn kinds(words: &Words, r: &mut Refs, used: &mut [bool]) {
    let n = words.lower.len();
    // Kinds: a two-word kind ("cron job", "config map") first, then single words.
    for i in 0..n {
        if i + 1 < n {
            if let Some(k) = kind_word(&format!("{}-{}", words.lower[i], words.lower[i + 1])) {
                r.kind.get_or_insert(k);
                used[i] = true;
                used[i + 1] = true;
                continue;
            }
        }
        if used[i] {
            continue;
        }
        if let Some(k) = kind_word(&words.lower[i]) {
            // NB: "namespace" is a kind only when nothing else is named:
            // "pods in the shop namespace" is about pods.
            if k == Kind::Namespace || k == Kind::Container {
                if r.kind.is_none() {
                    r.kind = Some(k);
                }
            } else if matches!(r.kind, None | Some(Kind::Namespace) | Some(Kind::Container)) {
                r.kind = Some(k);
            }
            used[i] = true;
        }
    }
}

#[allow(clippy::needless_range_loop)]
fn namespaces(words: &Words, names: &Names, r: &mut Refs, used: &mut [bool]) {
    let n = words.lower.len();
    // Namespaces (unless the word starts or ends a longer name:
    // "the ingress-nginx controller service" is ingress-nginx-controller).
    for i in 0..n {
        let w = &words.lower[i];
        if !names.namespaces.iter().any(|ns| ns == w) {
            continue;
        }
        let in_longer_name = (2..=3).any(|len| {
            let starts = (i + len <= n).then(|| words.lower[i..i + len].join("-"));
            let ends = (i + 1 >= len).then(|| words.lower[i + 1 - len..=i].join("-"));
            [starts, ends].into_iter().flatten().any(|j| names.lookup(&j).is_some())
        });
        if in_longer_name {
            continue;
        }
        let prev = i.checked_sub(1).map(|j| words.lower[j].as_str());
        let next_is_kind = words.lower.get(i + 1).and_then(|x| kind_word(x)).is_some_and(|k| k != Kind::Namespace);
        let strong = follows_namespace_word(words, i);
        let after_in = matches!(prev, Some("in" | "from" | "within" | "inside" | "across")) && !next_is_kind;
        // "the shop ingress": the kind word right after the name says what it is.
        let next_kind = words.lower.get(i + 1).and_then(|x| kind_word(x)).filter(|k| *k != Kind::Namespace);
        let is_object = names.lookup(w).is_some_and(|es| {
            es.iter().any(|e| match next_kind {
                Some(k) => k == e.kind,
                None => r.kind.is_none_or(|k| k == e.kind || (k == Kind::Pod && e.via_base)),
            })
        });
        if strong || after_in || !is_object {
            r.namespace = Some(w.clone());
            used[i] = true;
            if r.kind == Some(Kind::Namespace) && strong {
                r.kind = None;
                // "the shop namespace" names a namespace, not the kind asked about,
                // unless no other kind word is present.
                if words.lower.iter().any(|x| x == "namespace" || x == "namespaces")
                    && !words.lower.iter().any(|x| kind_word(x).is_some_and(|k| k != Kind::Namespace))
                {
                    r.kind = None;
                }
            }
        }
    }
    if r.kind == Some(Kind::Namespace) && r.namespace.is_some() && !words.any(&["namespaces"]) {
        r.kind = None;
    }
}

fn targets(words: &Words, names: &Names, r: &mut Refs, used: &mut [bool]) {
    let n = words.lower.len();
    // Targets: longest n-gram first (joined with '-', so "payments api" finds payments-api).
    'outer: for len in (1..=3).rev() {
        for i in 0..n.saturating_sub(len - 1) {
            if used[i..i + len].iter().any(|u| *u) {
                continue;
            }
            let joined = words.lower[i..i + len].join("-");
            if len == 1 && is_stopword(&joined) {
                continue;
            }
            if let Some(es) = names.lookup(&joined) {
                r.targets = es.clone();
                r.target_word = Some(joined);
                used[i..i + len].iter_mut().for_each(|u| *u = true);
                break 'outer;
            }
        }
    }
}

/// Label values, then typos of names, then words that look like names but
/// match nothing.
#[allow(clippy::needless_range_loop)]
fn labels_typos_unknowns(words: &Words, names: &Names, r: &mut Refs, used: &mut [bool]) {
    let n = words.lower.len();
    if r.targets.is_empty() {
        // "nodes in zone eu-west-1b", "the gpu pool": a value of a node label.
        for i in 0..n {
            let w = &words.lower[i];
            if used[i] || is_stopword(w) || w.chars().count() < 3 || kind_word(w).is_some() {
                continue;
            }
            if let Some(keys) = names.node_label_values.get(w.as_str()) {
                r.node_label = Some((w.clone(), keys.clone()));
                used[i] = true;
                break;
            }
            if let Some(carriers) = names.label_values.get(w.as_str()) {
                r.object_label = Some((w.clone(), carriers.clone()));
                used[i] = true;
                break;
            }
        }
    }
    if r.targets.is_empty() {
        // Typos: the first name-like word within a small edit distance.
        for i in 0..n {
            let w = &words.lower[i];
            if used[i] || is_stopword(w) || w.len() < 4 || w.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Some(fixed) = names.fuzzy(w) {
                r.targets = names.lookup(fixed).cloned().unwrap_or_default();
                r.target_word = Some(fixed.to_string());
                break;
            }
            if looks_like_name(&words.original[i]) && r.unknown.is_none() && !rule_question_word(w) {
                r.unknown = Some(w.clone());
            }
        }
    }
    if r.targets.is_empty() && r.unknown.is_none() {
        if let Some((word, kind)) = unknown_before_kind(words, names, used).filter(|(w, _)| !rule_question_word(w)) {
            // "the backfill job": a part of exactly one Job's name names it
            // (the answer shows the full name); else it names nothing.
            match names.by_name_part(kind, &word) {
                Some(e) => {
                    r.targets = vec![e.clone()];
                    r.target_word = Some(e.name.clone());
                    r.resolved_by.push(word);
                }
                None => r.unknown = Some(word),
            }
            r.kind = Some(kind);
        }
    }
}

/// "the crashlooping pod", "the pod that got OOMKilled": a definite
/// reference to the one workload whose pods are in that state. Plural or
/// unanchored ("which pods are crashlooping") stays a list question; a state
/// shared by two workloads names neither.
fn status_reference(words: &Words, names: &Names, r: &mut Refs) {
    for (i, word) in words.lower.iter().enumerate() {
        let Some(state) = super::vocab::status_word(word) else { continue };
        let window = &words.lower[i.saturating_sub(3)..i];
        // "the crashlooping pod", "the pod that got oomkilled".
        let definite = (i > 0 && words.lower[i - 1] == "the")
            || window.windows(2).any(|p| p[0] == "pod" && matches!(p[1].as_str(), "that" | "which"));
        if !definite || words.lower.iter().any(|x| x == "pods") {
            continue;
        }
        let Some(pods) = names.pods_by_state.get(&state.to_lowercase()) else {
            r.state_miss = Some(format!("no pod is {state} right now (not found)"));
            return;
        };
        let bases: std::collections::BTreeSet<(&str, &str)> =
            pods.iter().map(|(e, base)| (e.namespace.as_str(), base.as_str())).collect();
        if bases.len() != 1 {
            let which: Vec<String> = bases.iter().map(|(ns, b)| format!("{ns}/{b}")).collect();
            r.state_miss = Some(format!("pods of {} are {state}; name the one you mean", which.join(", ")));
            return;
        }
        r.targets = pods.iter().map(|(e, _)| e.clone()).collect();
        r.target_word = bases.into_iter().next().map(|(_, b)| b.to_string());
        r.resolved_by.push(word.clone());
        return;
    }
}

/// A word in the place of a name that matches nothing: "the **inventory**
/// deployment", "in the **staging** namespace", "namespace **staging**".
/// Such a question is about an object that does not exist; answering it
/// about anything else would be wrong.
fn unknown_before_kind(words: &Words, names: &Names, used: &[bool]) -> Option<(String, Kind)> {
    let l = &words.lower;
    let candidate = |i: usize| -> Option<String> {
        let c = l.get(i)?;
        let plain = c.chars().all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '.');
        (plain
            && !used[i]
            && c.chars().count() >= 3
            && !is_stopword(c)
            && kind_word(c).is_none()
            && !super::guard::is_intent_word(c)
            && names.lookup(c).is_none()
            && !names.namespaces.iter().any(|n| n == c))
        .then(|| c.clone())
    };
    for (i, x) in l.iter().enumerate() {
        let Some(kind) = kind_word(x) else { continue };
        if matches!(kind, Kind::Container | Kind::Event) {
            continue;
        }
        let det = i.checked_sub(2).map(|j| l[j].as_str());
        if i >= 1 && matches!(det, Some("the" | "a" | "an" | "my" | "our" | "this" | "that" | "in" | "from" | "of")) {
            if let Some(c) = candidate(i - 1) {
                return Some((c, kind));
            }
        }
        if kind == Kind::Namespace {
            if let Some(c) = candidate(i + 1) {
                return Some((c, kind));
            }
        }
    }
    None
}

/// A word that is probably an object name: has a dash or digit, or is not
/// an English-looking word we know.
fn looks_like_name(w: &str) -> bool {
    let l = w.to_lowercase();
    // Not names: `99.9%`, `p99`, `24h`, `cpu-wise`, `gpu-based`.
    let measure = l.contains('%')
        || !l.chars().any(|c| c.is_alphabetic())
        || ["-wise", "-ish", "-like", "-based", "-related"].iter().any(|s| l.ends_with(s))
        || l.strip_prefix('p').is_some_and(|d| d.len() <= 3 && d.chars().all(|c| c.is_ascii_digit()))
        || l.strip_suffix(['h', 'd', 'm', 's']).is_some_and(|d| d.len() <= 3 && d.chars().all(|c| c.is_ascii_digit()));
    !measure
        && !is_stopword(&l)
        && kind_word(&l).is_none()
        && l.len() >= 3
        && (l.contains('-') || l.chars().any(|c| c.is_ascii_digit()))
        && !w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_punctuation_and_possessives() {
        let w = Words::new("What's the status of the checkout pod's container? (payments-api)");
        assert!(w.has("checkout") && w.has("payments-api") && w.has("pod") && w.has("what"));
    }
}
