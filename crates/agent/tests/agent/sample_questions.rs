//! Every sample question, answered in direct mode through the real stack.

use kubeask_agent::Mode;

use crate::grading::{grade, questions};
use crate::support::start;

#[tokio::test]
async fn every_sample_question_is_answered_correctly_in_direct_mode() {
    let demo = start().await;
    let mut failures = Vec::new();
    for q in questions() {
        let a = demo.assistant.ask(None, &q.query).await.unwrap();
        if !grade(&q, &a.short) || a.mode != Mode::Direct {
            failures.push(format!("{} {:?}: got {:?} ({:?}), want {:?}", q.id, q.query, a.short, a.mode, q.answer));
        }
    }
    assert!(failures.is_empty(), "{} wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn answers_carry_evidence_and_a_kubectl_command() {
    let demo = start().await;
    let a = demo.assistant.ask(None, "which node is mongodb-0 on").await.unwrap();
    assert!(a.evidence.iter().any(|e| e.kind == "Pod" && e.name == "mongodb-0"));
    assert!(a.kubectl.iter().any(|k| k.starts_with("kubectl ")));
}
