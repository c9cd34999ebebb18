//! The remote engine against a real `llama-server` (built from llama.cpp by
//! scripts/build-llama-server.sh, which `scripts/setup.sh --test` runs)
//! serving the Gemma 3 270M GGUF on loopback with an API key: model mode
//! completes with every step grammar-valid, the server's token count is
//! llama.cpp's own (the in-process engine's, same GGUF), a cancel stops
//! the server's generation, a wrong key and a server killed mid-answer end
//! clearly. Prints remote vs in-process timings (not asserted).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubeask_agent::local_model::LocalModel;
use kubeask_agent::model_loop::{CancelFlag, ChatModel, Message};
use kubeask_agent::remote_model::{GrammarSupport, RemoteError, RemoteModel, TokenCount};
use kubeask_agent::{AnswerEvent, AskError, Mode, RouteMode};

use crate::real_model::gemma;
use crate::support::start;

fn llama_server() -> PathBuf {
    let p = std::env::var_os("KUBEASK_LLAMA_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| kubeask_paths::cache_dir().join("llama-server/bin/llama-server"));
    assert!(
        p.is_file(),
        "{} is missing: run scripts/build-llama-server.sh (scripts/setup.sh --test does)",
        p.display()
    );
    p
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const KEY: &str = "kubeask-test-key";

/// Starts llama-server on a free loopback port and waits for the model.
async fn serve() -> (Killed, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(llama_server())
        .arg("-m")
        .arg(gemma())
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "-c", "4096", "-np", "1", "-t", "2"])
        .args(["--api-key", KEY])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Killed(child);
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if http.get(format!("{url}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "llama-server did not load the model in 2 min");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (server, url)
}

async fn busy(url: &str) -> bool {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/slots"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or_default();
    v.as_array().into_iter().flatten().any(|s| s["is_processing"].as_bool() == Some(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_llama_server_answers_model_mode_under_the_grammar_and_stops_on_cancel() {
    let (mut server, url) = serve().await;
    let err = RemoteModel::connect(&url, None, Some("wrong".into())).await.err().unwrap();
    assert!(matches!(err, RemoteError::Refused { status: 401, .. }), "{err}");
    let remote = Arc::new(RemoteModel::connect(&url, None, Some(KEY.into())).await.unwrap());
    let info = remote.info().clone();
    assert_eq!(
        (info.grammar, info.tokens, info.n_ctx),
        (GrammarSupport::Grammar, TokenCount::Server, 4096),
        "{info:?}"
    );

    // The server counts tokens as the in-process engine does on the same GGUF.
    let local = LocalModel::load(&gemma(), 4096).await.unwrap();
    for text in ["kubectl get pods -n shop", "CrashLoopBackOff: back-off 5m0s restarting failed container ✓ ünïcode"]
    {
        assert_eq!(remote.count_tokens(text).await, local.engine().count_tokens(text).await.unwrap(), "{text}");
    }

    // Model mode through the server: completes, every step grammar-valid.
    let demo = start().await;
    let a = demo.assistant.clone().with_model(remote.clone()).with_route_mode(RouteMode::Model);
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let started = Instant::now();
    let ans = a
        .ask_streaming(None, "how many pods are in the shop namespace?", &CancelFlag::default(), &move |e| {
            ev.lock().unwrap().push((started.elapsed(), e))
        })
        .await
        .unwrap();
    assert_eq!(ans.mode, Mode::Model);
    let events = events.lock().unwrap().clone();
    let malformed = events.iter().filter(|(_, e)| matches!(e, AnswerEvent::Malformed { .. })).count();
    assert_eq!(malformed, 0, "every step is grammar-valid: {}", ans.explanation);
    let first = events.iter().find(|(_, e)| matches!(e, AnswerEvent::Token { .. })).map(|(t, _)| *t).unwrap();
    let calls = events.iter().filter(|(_, e)| matches!(e, AnswerEvent::ToolCall { .. })).count();
    println!(
        "llama-server model mode: answer {:?}, {calls} tool calls, first token {:.0} ms, {:.0} ms in all",
        ans.short,
        first.as_secs_f64() * 1000.0,
        started.elapsed().as_secs_f64() * 1000.0
    );

    // The same step in process and through the server (measured, not asserted).
    let msgs = [Message { role: "user".into(), content: "Name three Kubernetes objects.".into() }];
    // NB: a fixed length, so both engines generate as many tokens.
    let grammar = r#"root ::= "{\"answer\":\"" [a-z ]{60} "\"}""#;
    for (name, m) in [("in-process", &local as &dyn ChatModel), ("llama-server", remote.as_ref() as &dyn ChatModel)] {
        let (t0, firsts, pieces) = (Instant::now(), Mutex::new(None), Mutex::new(0usize));
        let out = m
            .generate(&msgs, grammar, &CancelFlag::default(), &|_| {
                firsts.lock().unwrap().get_or_insert(t0.elapsed());
                *pieces.lock().unwrap() += 1;
            })
            .await
            .unwrap();
        let first = firsts.lock().unwrap().unwrap_or_default();
        let (n, secs) = (*pieces.lock().unwrap(), t0.elapsed().as_secs_f64());
        let tps = (n.saturating_sub(1)) as f64 / (secs - first.as_secs_f64()).max(1e-3);
        println!("{name}: {n} tokens, generation {tps:.1} tok/s");
        println!(
            "{name}: first token {:.0} ms, {:.0} ms for {} characters",
            first.as_secs_f64() * 1000.0,
            t0.elapsed().as_secs_f64() * 1000.0,
            out.len()
        );
    }

    // A cancel mid-answer closes the stream: the server stops generating.
    let cancel = CancelFlag::default();
    let c = cancel.clone();
    let endless = r#"root ::= "{\"answer\":\"" [a-z ]{2000} "\"}""#;
    let r =
        tokio::time::timeout(Duration::from_secs(30), remote.generate(&msgs, endless, &cancel, &move |_| c.cancel()))
            .await
            .expect("a cancel ends the answer promptly");
    assert_eq!(r.unwrap_err().message, "cancelled");
    let stopped = Instant::now();
    while busy(&url).await {
        assert!(stopped.elapsed() < Duration::from_secs(5), "the server still generates 5 s after the cancel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The server killed mid-answer: a clear error, nothing hangs.
    let r2 = remote.clone();
    let msgs2 = msgs.clone();
    let pending = tokio::spawn(async move { r2.generate(&msgs2, endless, &CancelFlag::default(), &|_| {}).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = server.0.kill();
    let r = tokio::time::timeout(Duration::from_secs(30), pending).await.expect("a dead server does not hang").unwrap();
    let e = r.unwrap_err().message;
    assert!(e.contains("stopped mid-reply") || e.contains("cannot reach"), "{e}");
    let err = a.ask(None, "how many pods are in the shop namespace?").await.unwrap_err();
    assert!(matches!(err, AskError::Model(_)) && err.to_string().contains("cannot reach the engine"), "{err}");
}
