//! Bad input: empty and huge questions, unknown contexts and objects.

use kubeask_agent::{AskError, Mode};

use crate::support::start;

#[tokio::test]
async fn empty_and_huge_questions_are_refused_with_their_own_errors() {
    let demo = start().await;
    assert!(matches!(demo.assistant.ask(None, "   ").await, Err(AskError::Empty)));
    let huge = "how many pods ".repeat(100 * 1024 / 14);
    let err = demo.assistant.ask(None, &huge).await.unwrap_err();
    assert!(matches!(err, AskError::TooLong(_)));
    assert_eq!(err.code(), "QUESTION_TOO_LONG");
}

#[tokio::test]
async fn an_unknown_context_names_the_known_ones() {
    let demo = start().await;
    let err = demo.assistant.ask(Some("prod"), "how many pods").await.unwrap_err();
    assert_eq!(err.code(), "UNKNOWN_CONTEXT");
    assert!(err.to_string().contains("kubeask-demo"), "{err}");
}

#[tokio::test]
async fn a_pod_that_does_not_exist_gets_a_did_you_mean() {
    let demo = start().await;
    let a = demo.assistant.ask(None, "what is the status of the paymnts-apii-x pod?").await.unwrap();
    assert!(a.short.starts_with("no pod called"), "{}", a.short);
    let a = demo.assistant.ask(None, "what image does the checkout-v2 pod run?").await.unwrap();
    assert!(a.short.contains("no ") && a.short.contains("checkout"), "{}", a.short);
}

#[tokio::test]
async fn a_question_direct_mode_cannot_parse_is_answered_honestly() {
    let demo = start().await;
    let a = demo.assistant.ask(None, "compose a haiku about autumn leaves").await.unwrap();
    assert_eq!(a.mode, Mode::Unanswered);
    assert!(a.explanation.contains("how many pods"), "{}", a.explanation);
}

#[tokio::test]
async fn the_demo_server_going_down_mid_session_gives_a_stale_answer_or_a_clear_error() {
    let demo = start().await;
    demo.assistant.ask(None, "how many nodes does my cluster have?").await.unwrap();
    demo.server.stop().await;
    // The cache keeps the last data; log reads need the server and fail clearly.
    let a = demo.assistant.ask(None, "how many nodes does my cluster have?").await.unwrap();
    assert_eq!(a.short, "3");
    let a = demo.assistant.ask(None, "what error is the orders-backfill job logging?").await.unwrap();
    assert!(!a.short.is_empty());
}
