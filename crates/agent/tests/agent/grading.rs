//! The benchmark's grading rule (see the sample fixture's README).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub family: String,
    pub query: String,
    pub answer: String,
    #[serde(default)]
    pub accept: Vec<String>,
}

pub fn questions() -> Vec<Question> {
    let text = include_str!("../../../cluster/fixtures/acme-shop/questions.yaml");
    serde_yaml::from_str(text).expect("questions.yaml parses")
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
            let set =
                |s: &str| s.split(',').map(norm).filter(|x| !x.is_empty()).collect::<std::collections::BTreeSet<_>>();
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
