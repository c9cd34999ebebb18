//! Conversations in a real SQLite file: follow-ups and export.

use kubeask_agent::sessions::Sessions;

use crate::support::start;

#[tokio::test]
async fn follow_ups_resolve_against_the_previous_answer_and_the_session_exports_as_markdown() {
    let demo = start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.sqlite");
    let sessions = Sessions::open(&path).unwrap();
    let a = sessions.ask(&demo.assistant, "s1", None, "why is checkout crashing?").await.unwrap();
    assert!(a.short.contains("PAYMENT_SERVICE_URL"));
    let b = sessions.ask(&demo.assistant, "s1", None, "and its logs?").await.unwrap();
    assert!(b.short.contains("PAYMENT_SERVICE_URL"), "{b:?}");
    assert!(b.evidence.iter().any(|e| e.name.starts_with("checkout-")), "{b:?}");
    let c = sessions.ask(&demo.assistant, "s2", None, "how many pods are in the shop namespace?").await.unwrap();
    assert_eq!(c.short, "17");
    let d = sessions.ask(&demo.assistant, "s2", None, "what about data?").await.unwrap();
    assert_eq!(d.short, "10", "{d:?}");
    drop(sessions);
    // The file persists: reopen and read.
    let sessions = Sessions::open(&path).unwrap();
    let list = sessions.list().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|s| s.id == "s1" && s.turns == 2 && s.title == "why is checkout crashing?"));
    let md = sessions.export_markdown("s1").unwrap();
    assert!(
        md.contains("## why is checkout crashing?") && md.contains("## and its logs?") && md.contains("kubectl logs"),
        "{md}"
    );
    sessions.delete("s1").unwrap();
    assert!(sessions.export_markdown("s1").is_err());
}
