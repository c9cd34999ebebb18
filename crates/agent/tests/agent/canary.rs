//! Planted secrets never come back: a copy of the sample cluster whose logs,
//! events, env literals, annotations, ConfigMaps and a Secret hold
//! credentials is asked the why / logs / events / env / describe questions
//! (through the real kube client and the demo API server), in a
//! conversation saved to a real sessions.sqlite, diagnosed, and read by a
//! model through every read tool; no answer, finding, stored turn or
//! prompt the model sees carries them. (The CLI and HTTP faces are checked
//! the same way in the CLI's tests.)

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use kubeask_agent::model_loop::{CancelFlag, ChatModel, Message, ModelError};
use kubeask_agent::sessions::Sessions;
use kubeask_agent::Assistant;
use kubeask_cluster::demo::{DemoOptions, DemoServer};

use crate::planted::{hits, planted, CANARIES, QUESTIONS};
use crate::support::fixture;

async fn planted_server(dir: &tempfile::TempDir) -> DemoServer {
    let mut opts = DemoOptions::new(planted(fixture()));
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    DemoServer::start(opts).await.unwrap()
}

#[tokio::test]
async fn planted_secrets_never_reach_an_answer_a_finding_or_a_stored_turn() {
    let dir = tempfile::tempdir().unwrap();
    let server = planted_server(&dir).await;
    let assistant = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]);
    let db = dir.path().join("sessions.sqlite");
    let sessions = Sessions::open(&db).unwrap();
    let mut seen = String::new();
    for q in QUESTIONS {
        let a = sessions.ask(&assistant, "canary", None, q).await.unwrap();
        seen.push_str(&serde_json::to_string(&a).unwrap());
        seen.push('\n');
    }
    let findings = assistant.diagnose(None, None).await.unwrap();
    seen.push_str(&serde_json::to_string(&findings).unwrap());
    drop(sessions);
    // The store's bytes, read raw (pages, free lists, the WAL if any).
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sessions.sqlite")) {
            stored.extend(std::fs::read(&p).unwrap());
        }
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("checkout"), "the turns were stored");
    let (answers, on_disk) = (hits(&seen), hits(&stored));
    println!(
        "canary hits: {} in {} answers and the findings, {} in sessions.sqlite ({} planted)",
        answers.len(),
        QUESTIONS.len(),
        on_disk.len(),
        CANARIES.len()
    );
    assert!(answers.is_empty(), "planted secrets came back: {answers:?}");
    assert!(on_disk.is_empty(), "planted secrets were stored: {on_disk:?}");
    // The answers still say what happened, with the secret masked.
    assert!(seen.contains("postgres://app:****@db"), "the crash reason is still shown");
    server.stop().await;
}

/// Calls each read tool on the planted objects, then answers; keeps every
/// prompt it was given.
struct Reader {
    steps: Mutex<Vec<&'static str>>,
    prompts: Mutex<String>,
}

impl ChatModel for Reader {
    fn generate<'a>(
        &'a self,
        messages: &'a [Message],
        _grammar: &'a str,
        _cancel: &'a CancelFlag,
        _on_token: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BoxFuture<'a, Result<String, ModelError>> {
        Box::pin(async move {
            self.prompts.lock().unwrap().push_str(&serde_json::to_string(messages).unwrap());
            let next = self.steps.lock().unwrap().pop();
            Ok(next.unwrap_or(r#"{"answer":"done","explanation":"read everything"}"#).to_string())
        })
    }
}

#[tokio::test]
async fn planted_secrets_never_reach_the_models_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let server = planted_server(&dir).await;
    let mut steps = vec![
        r#"{"tool":"logs","args":{"target":"checkout","namespace":"shop","previous":true}}"#,
        r#"{"tool":"logs","args":{"target":"checkout","namespace":"shop","grep":"postgres"}}"#,
        r#"{"tool":"events","args":{"kind":"deployment","name":"checkout","namespace":"shop"}}"#,
        r#"{"tool":"describe","args":{"kind":"deployment","name":"checkout","namespace":"shop"}}"#,
        r#"{"tool":"describe","args":{"kind":"configmap","name":"canary-config","namespace":"shop"}}"#,
        r#"{"tool":"summary","args":{}}"#,
    ];
    steps.reverse();
    let model = Arc::new(Reader { steps: Mutex::new(steps), prompts: Mutex::new(String::new()) });
    let assistant = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]).with_model(model.clone());
    let a = assistant.ask(None, "tell me a story about the cluster's feelings").await.unwrap();
    let prompts = model.prompts.lock().unwrap().clone();
    assert!(prompts.contains("checkout") && prompts.contains("canary-config"), "the tools ran and were read");
    let found = hits(&format!("{prompts}\n{}", serde_json::to_string(&a).unwrap()));
    println!("canary hits in the model's prompts: {} ({} bytes of prompt)", found.len(), prompts.len());
    for c in &found {
        let at = prompts.find(c).unwrap_or(0);
        let from = prompts.floor_char_boundary(at.saturating_sub(300));
        println!("around {c}: {}", &prompts[from..prompts.ceil_char_boundary((at + 50).min(prompts.len()))]);
    }
    assert!(found.is_empty(), "the model was shown planted secrets: {found:?}");
    server.stop().await;
}
