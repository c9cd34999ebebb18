//! The benchmark's grading rule (see the sample fixture's README), which
//! `kubeask eval` uses too: one home, `kubeask_agent::eval`; and the
//! sample's question files.

#[allow(unused_imports)]
pub use kubeask_agent::eval::{grade, norm, verdict, Question, Verdict};

pub fn questions() -> Vec<Question> {
    let text = include_str!("../../../../tests/questions/acme-shop/questions.yaml");
    serde_yaml::from_str(text).expect("questions.yaml parses")
}

/// Questions about the sample's planted past (history.yaml).
#[allow(dead_code)]
pub fn history_questions() -> Vec<Question> {
    let text = include_str!("../../../../tests/questions/acme-shop/history.yaml");
    serde_yaml::from_str(text).expect("history.yaml parses")
}

/// The sample's paraphrases: the same cluster asked the way on-call
/// engineers type, 15 of them to be declined.
#[allow(dead_code)]
pub fn paraphrases() -> Vec<Question> {
    let text = include_str!("../../../../tests/questions/acme-shop/paraphrases.yaml");
    serde_yaml::from_str(text).expect("paraphrases.yaml parses")
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
