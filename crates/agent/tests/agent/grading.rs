//! The benchmark's grading rule (see the sample fixture's README).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub family: String,
    pub query: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub accept: Vec<String>,
    /// `decline` for questions that must be declined.
    #[serde(default)]
    pub expect: Option<String>,
    /// Phrases that make a decline right (must-decline items).
    #[serde(default)]
    pub decline_ok: Vec<String>,
}

/// How an answer scores: right, an honest decline, or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Declined,
    Wrong,
}

/// Phrases that make an answer a decline (the sample README's rule).
const DECLINES: &[&str] = &[
    "i can't",
    "i cannot",
    "can't answer",
    "cannot answer",
    "don't know",
    "not sure",
    "no model",
    "could not understand",
    "couldn't understand",
    "not understood",
    "i don't",
    "unable to",
    "try asking",
    "rephrase",
    "not found",
    "no such",
    "does not exist",
    "doesn't exist",
];

pub fn questions() -> Vec<Question> {
    let text = include_str!("../../../cluster/fixtures/acme-shop/questions.yaml");
    serde_yaml::from_str(text).expect("questions.yaml parses")
}

/// Questions about the sample's planted past (history.yaml).
#[allow(dead_code)]
pub fn history_questions() -> Vec<Question> {
    let text = include_str!("../../../cluster/fixtures/acme-shop/history.yaml");
    serde_yaml::from_str(text).expect("history.yaml parses")
}

/// The sample's paraphrases: the same cluster asked the way on-call
/// engineers type, 15 of them to be declined.
#[allow(dead_code)]
pub fn paraphrases() -> Vec<Question> {
    let text = include_str!("../../../cluster/fixtures/acme-shop/paraphrases.yaml");
    serde_yaml::from_str(text).expect("paraphrases.yaml parses")
}

/// Right, declined or wrong, as the sample README scores paraphrases.
#[allow(dead_code)]
pub fn verdict(q: &Question, given: &str) -> Verdict {
    let g = norm(given);
    if q.expect.as_deref() == Some("decline") {
        let ok: Vec<&str> =
            if q.decline_ok.is_empty() { DECLINES.to_vec() } else { q.decline_ok.iter().map(String::as_str).collect() };
        return if ok.iter().any(|d| g.contains(d)) { Verdict::Right } else { Verdict::Wrong };
    }
    if grade(q, given) {
        Verdict::Right
    } else if DECLINES.iter().any(|d| g.contains(d)) {
        Verdict::Declined
    } else {
        Verdict::Wrong
    }
}

pub fn norm(s: &str) -> String {
    let t = s.trim().trim_matches(|c| c == '"' || c == '\'' || c == '`');
    let t = t.strip_suffix('.').unwrap_or(t);
    t.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `given` is a correct short answer to `q`.
pub fn grade(q: &Question, given: &str) -> bool {
    let cands: Vec<&String> = std::iter::once(&q.answer).chain(q.accept.iter()).collect();
    let g = norm(given);
    match q.family.as_str() {
        "list" => {
            // Items split on commas, new lines and " and ", as the README says.
            let set = |s: &str| {
                s.replace(" and ", ",")
                    .split([',', '\n'])
                    .map(norm)
                    .filter(|x| !x.is_empty())
                    .collect::<std::collections::BTreeSet<_>>()
            };
            cands.iter().any(|c| set(c) == set(given))
        }
        "why" | "logs" | "events" => {
            cands.iter().any(|c| norm(c) == g)
                || (given.chars().count() <= 200 && cands.iter().any(|c| g.contains(&norm(c))))
        }
        _ => cands.iter().any(|c| norm(c) == g),
    }
}

#[test]
fn the_grader_accepts_accepted_answers_and_rejects_others() {
    for q in questions() {
        assert!(grade(&q, &q.answer), "{}", q.id);
        for a in &q.accept {
            assert!(grade(&q, a), "{} {a}", q.id);
        }
        assert!(!grade(&q, "definitely-not-the-answer"), "{}", q.id);
    }
}
