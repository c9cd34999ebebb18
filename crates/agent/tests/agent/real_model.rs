//! A real-weight run: the Gemma 3 270M GGUF (assembled by the test setup)
//! through the whole model loop against the demo server. The answer may be
//! poor; the run must complete, every step grammar-valid, within the step
//! limit, and a cancel must stop it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kubeask_agent::local_model::LocalModel;
use kubeask_agent::model_loop::{CancelFlag, MAX_STEPS};
use kubeask_agent::{AnswerEvent, AskError, Mode};

use crate::support::start;

pub fn gemma() -> PathBuf {
    let p = kubeask_paths::test_gemma();
    assert!(p.is_file(), "{} is missing: run scripts/setup.sh --test", p.display());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemma_runs_the_whole_loop_with_valid_steps_and_can_be_cancelled() {
    let demo = start().await;
    let model = Arc::new(LocalModel::load(&gemma(), 4096).await.unwrap());
    let a = demo.assistant.clone().with_model(model.clone());
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let question = "tell me a story about the cluster's feelings";
    let ans =
        a.ask_streaming(None, question, &CancelFlag::default(), &move |e| ev.lock().unwrap().push(e)).await.unwrap();
    assert_eq!(ans.mode, Mode::Model);
    assert!(!ans.short.is_empty());
    assert!(!ans.short.contains("could not be understood"), "a step was not grammar-valid: {}", ans.explanation);
    let events = events.lock().unwrap().clone();
    let calls = events.iter().filter(|e| matches!(e, AnswerEvent::ToolCall { .. })).count();
    let tokens = events.iter().filter(|e| matches!(e, AnswerEvent::Token { .. })).count();
    assert!(calls <= MAX_STEPS, "{calls} tool calls");
    assert!(tokens > 0, "tokens stream as they come");
    assert!(matches!(events.first(), Some(AnswerEvent::Routing { route }) if route == "model"));
    let status = model.engine().status();
    let run = status.last_run.expect("the engine ran");
    println!(
        "gemma loop: {calls} tool calls, answer {:?}; last step {} prompt tokens ({} reused), {:.1} tok/s",
        ans.short, run.prompt_tokens, run.reused_tokens, run.gen_tps
    );

    // Cancel mid-question: the loop stops with Cancelled, not an answer.
    let cancel = CancelFlag::default();
    let c = cancel.clone();
    let err = a
        .ask_streaming(None, question, &cancel, &move |e| {
            if matches!(e, AnswerEvent::Token { .. }) {
                c.cancel();
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, AskError::Cancelled), "{err}");
}
