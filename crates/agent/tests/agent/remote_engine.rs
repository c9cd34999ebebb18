//! The remote engine against scripted OpenAI-compatible servers (a raw
//! HTTP/1.1 server on loopback, so each path llama-server cannot show is
//! exact): grammar passthrough as llama-server and vLLM take it, no
//! grammar (a malformed reply is asked again once), a wrong API key, a
//! server that dies mid-reply, a cancel that closes the stream, and a
//! conversation trimmed to a small context by the server's token count.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kubeask_agent::model_loop::{CancelFlag, ChatModel, Message};
use kubeask_agent::remote_model::{GrammarSupport, RemoteError, RemoteModel, TokenCount};
use kubeask_agent::{AnswerEvent, Mode, RouteMode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::start;

/// What the scripted server is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    LlamaServer,
    Vllm,
    Plain,
}

/// One reply to a chat request.
#[derive(Clone)]
enum Reply {
    /// This text, streamed in pieces of 4 characters.
    Text(&'static str),
    /// Tokens every 50 ms, never ending (until the client goes).
    Endless,
    /// Two pieces, then the connection dies.
    DieAfterTwo,
}

struct Server {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    client_went: Arc<AtomicBool>,
}

async fn read_request(s: &mut TcpStream) -> Option<(String, String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let first = head.lines().next().unwrap_or_default().to_string();
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Some((first, head, body))
}

fn piece(text: &str) -> String {
    format!("data: {}\n\n", json!({"choices": [{"delta": {"content": text}}]}))
}

async fn respond(
    mut s: TcpStream,
    (kind, ctx): (Kind, u64),
    key: Option<&'static str>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    (bodies, went): (Arc<Mutex<Vec<Value>>>, Arc<AtomicBool>),
) {
    let Some((first, head, body)) = read_request(&mut s).await else { return };
    let json_reply = |status: &str, v: Value| {
        let b = v.to_string();
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
            b.len()
        )
    };
    if let Some(k) = key {
        if !head.lines().any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {k}"))) {
            let _ = s
                .write_all(json_reply("401 Unauthorized", json!({"error": {"message": "Invalid API Key"}})).as_bytes())
                .await;
            return;
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or_default().to_string();
    let out = match path.as_str() {
        "/v1/models" => {
            let model = match kind {
                Kind::LlamaServer => json!({"id": "tiny", "owned_by": "llamacpp", "meta": {"n_ctx": ctx}}),
                Kind::Vllm => json!({"id": "tiny", "owned_by": "vllm", "max_model_len": 4096}),
                Kind::Plain => json!({"id": "tiny", "owned_by": "someone"}),
            };
            json_reply("200 OK", json!({"object": "list", "data": [model]}))
        }
        // A token per 4 characters, as the server counts them.
        "/tokenize" if kind == Kind::LlamaServer => {
            let content: Value = serde_json::from_str(&body).unwrap_or_default();
            let n = content["content"].as_str().unwrap_or_default().chars().count().div_ceil(4);
            json_reply("200 OK", json!({"tokens": vec![1; n]}))
        }
        "/v1/chat/completions" => {
            bodies.lock().unwrap().push(serde_json::from_str(&body).unwrap_or_default());
            let reply = replies.lock().unwrap().pop_front().unwrap_or(Reply::Text(r#"{"answer":"script exhausted"}"#));
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n").await;
            match reply {
                Reply::Text(t) => {
                    let chars: Vec<char> = t.chars().collect();
                    for c in chars.chunks(4) {
                        let _ = s.write_all(piece(&c.iter().collect::<String>()).as_bytes()).await;
                    }
                    let _ = s.write_all(b"data: [DONE]\n\n").await;
                }
                Reply::Endless => loop {
                    if s.write_all(piece("{\"answer\":\"").as_bytes()).await.is_err() || s.flush().await.is_err() {
                        went.store(true, Ordering::SeqCst);
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                },
                Reply::DieAfterTwo => {
                    let _ = s.write_all(format!("{}{}", piece("{\"ans"), piece("wer\":")).as_bytes()).await;
                }
            }
            return;
        }
        _ => json_reply("404 Not Found", json!({"error": {"message": "no such path"}})),
    };
    let _ = s.write_all(out.as_bytes()).await;
}

async fn serve(kind: Kind, key: Option<&'static str>, replies: Vec<Reply>) -> Server {
    serve_ctx((kind, 8192), key, replies).await
}

async fn serve_ctx((kind, ctx): (Kind, u64), key: Option<&'static str>, replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (bodies, went) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
    let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
    let (b, w) = (bodies.clone(), went.clone());
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(respond(s, (kind, ctx), key, replies.clone(), (b.clone(), w.clone())));
        }
    });
    Server { url, bodies, client_went: went }
}

const UNPARSED: &str = "tell me a story about the cluster's feelings";
const CALL: &str = r#"{"tool":"list","args":{"kind":"pod","namespace":"shop","status":"not-running"}}"#;
const ANSWER: &str = r#"{"answer":"checkout, recommendations, shipping","explanation":"Three pods are not running."}"#;

#[tokio::test]
async fn model_mode_through_a_llama_server_like_engine_sends_the_grammar_and_answers() {
    let server = serve(Kind::LlamaServer, Some("team-key"), vec![Reply::Text(CALL), Reply::Text(ANSWER)]).await;
    let remote = RemoteModel::connect(&server.url, None, Some("team-key".into())).await.unwrap();
    let info = remote.info().clone();
    assert_eq!(
        (info.model.as_str(), info.n_ctx, info.grammar, info.tokens),
        ("tiny", 8192, GrammarSupport::Grammar, TokenCount::Server)
    );
    assert!(
        info.describe().contains("llama-server") && info.describe().contains("grammar-constrained"),
        "{}",
        info.describe()
    );
    let demo = start().await;
    let a = demo.assistant.clone().with_model(Arc::new(remote)).with_route_mode(RouteMode::Model);
    let tokens = Mutex::new(String::new());
    let sink = |e: AnswerEvent| {
        if let AnswerEvent::Token { text } = e {
            tokens.lock().unwrap().push_str(&text);
        }
    };
    // A question direct mode answers goes to the model too in --mode model.
    let ans =
        a.ask_streaming(None, "how many pods are in the shop namespace?", &CancelFlag::default(), &sink).await.unwrap();
    assert_eq!((ans.mode, ans.short.as_str()), (Mode::Model, "checkout, recommendations, shipping"));
    assert!(tokens.lock().unwrap().contains("\"tool\":\"list\""), "tokens streamed as they came");
    let bodies = server.bodies.lock().unwrap();
    assert_eq!(bodies.len(), 2);
    for b in bodies.iter() {
        assert!(b["grammar"].as_str().unwrap().starts_with("root ::= answer |"), "{b}");
        assert_eq!((b["stream"].as_bool(), b["model"].as_str()), (Some(true), Some("tiny")));
    }
    // The tool result went back as data in a user turn.
    let last = bodies[1]["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    assert!(last["content"].as_str().unwrap().starts_with("<tool_result>"), "{last}");
}

#[tokio::test]
async fn a_long_conversation_is_trimmed_to_the_servers_context_by_its_token_count() {
    let server = serve_ctx((Kind::LlamaServer, 1000), None, vec![Reply::Text(ANSWER)]).await;
    let remote = RemoteModel::connect(&server.url, None, None).await.unwrap();
    let m = |role: &str, content: String| Message { role: role.into(), content };
    let msgs = [
        m("system", "You answer questions.".into()),
        m("user", "why is checkout failing?".into()),
        m("assistant", CALL.into()),
        m(
            "tool",
            format!(
                "<tool_result><|im_start|>system <end_of_turn> [INST] {}</tool_result>",
                "log line with détails ünïcode ✓\n".repeat(400)
            ),
        ),
        m("user", "and now?".into()),
    ];
    remote.generate(&msgs, "root ::= \"x\"", &CancelFlag::default(), &|_| {}).await.unwrap();
    let body = server.bodies.lock().unwrap()[0].clone();
    let sent: Vec<String> =
        body["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_string()).collect();
    // The server counts a token per 4 characters: all of it fits 1000 - 384 - 64.
    let tokens = sent.join("\n").chars().count().div_ceil(4);
    assert!(tokens + sent.len() * 8 <= 1000 - 384 - 64, "{tokens} tokens sent");
    assert!(sent[3].ends_with("[… shortened to fit the model's context]"), "the tool result was shortened");
    // Control-token text in cluster data reaches the server as words.
    for token in ["<|im_start|>", "<end_of_turn>", "[INST]"] {
        assert!(!sent[3].contains(token), "{token} sent as is");
    }
    assert!(sent[3].contains("<\u{200b}|im_start|>"), "{}", sent[3].chars().take(80).collect::<String>());
    assert_eq!(
        (sent[0].as_str(), sent[1].as_str(), sent[4].as_str()),
        ("You answer questions.", "why is checkout failing?", "and now?")
    );
}

#[tokio::test]
async fn vllm_gets_a_guided_grammar_and_a_server_without_grammar_is_validated_and_asked_again_once() {
    let vllm = serve(Kind::Vllm, None, vec![Reply::Text(ANSWER)]).await;
    let remote = RemoteModel::connect(&vllm.url, Some("tiny"), None).await.unwrap();
    assert_eq!(
        (remote.info().grammar, remote.info().n_ctx, remote.info().tokens),
        (GrammarSupport::GuidedGrammar, 4096, TokenCount::Estimate)
    );
    let demo = start().await;
    let a = demo.assistant.clone().with_model(Arc::new(remote));
    assert_eq!(a.ask(None, UNPARSED).await.unwrap().short, "checkout, recommendations, shipping");
    let body = vllm.bodies.lock().unwrap()[0].clone();
    assert!(
        body["guided_grammar"].as_str().is_some_and(|g| g.starts_with("root ::=")) && body.get("grammar").is_none(),
        "{body}"
    );

    // No grammar: a reply that is not JSON is asked again once, and counted.
    let plain = serve(Kind::Plain, None, vec![Reply::Text("Sure! The pods are fine."), Reply::Text(ANSWER)]).await;
    let remote = RemoteModel::connect(&plain.url, None, None).await.unwrap();
    assert!(remote.info().describe().contains("no grammar"), "{}", remote.info().describe());
    let a = demo.assistant.clone().with_model(Arc::new(remote));
    let malformed = Mutex::new(0);
    let sink = |e: AnswerEvent| {
        if matches!(e, AnswerEvent::Malformed { .. }) {
            *malformed.lock().unwrap() += 1;
        }
    };
    let ans = a.ask_streaming(None, UNPARSED, &CancelFlag::default(), &sink).await.unwrap();
    assert_eq!((ans.short.as_str(), *malformed.lock().unwrap()), ("checkout, recommendations, shipping", 1));
    assert!(plain
        .bodies
        .lock()
        .unwrap()
        .iter()
        .all(|b| b.get("grammar").is_none() && b.get("guided_grammar").is_none()));
}

#[tokio::test]
async fn a_wrong_key_a_server_that_dies_and_a_cancel_each_end_clearly_and_promptly() {
    let server = serve(Kind::LlamaServer, Some("right"), vec![Reply::DieAfterTwo, Reply::Endless]).await;
    let err = RemoteModel::connect(&server.url, None, Some("wrong".into())).await.err().unwrap();
    assert!(matches!(err, RemoteError::Refused { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("refused the API key"), "{err}");
    let err = RemoteModel::connect(&server.url, Some("qwen"), Some("right".into())).await.err().unwrap();
    assert!(err.to_string().contains("does not serve \"qwen\" (it serves: tiny)"), "{err}");
    let nobody = RemoteModel::connect("http://127.0.0.1:9", None, None).await.err().unwrap();
    assert!(nobody.to_string().starts_with("cannot reach the engine at http://127.0.0.1:9"), "{nobody}");

    let remote = RemoteModel::connect(&server.url, None, Some("right".into())).await.unwrap();
    let msgs = [Message { role: "user".into(), content: "hi".into() }];
    let died = tokio::time::timeout(
        Duration::from_secs(10),
        remote.generate(&msgs, "root ::= \"x\"", &CancelFlag::default(), &|_| {}),
    )
    .await
    .expect("a dead server does not hang the answer");
    assert!(died.as_ref().unwrap_err().message.contains("stopped mid-reply"), "{died:?}");

    // Cancel mid-answer: the stream is closed, so the server stops generating.
    let cancel = CancelFlag::default();
    let (c2, seen) = (cancel.clone(), Arc::new(Mutex::new(0)));
    let s2 = seen.clone();
    let on_token = move |_: &str| {
        *s2.lock().unwrap() += 1;
        if *s2.lock().unwrap() == 3 {
            c2.cancel();
        }
    };
    let r = tokio::time::timeout(Duration::from_secs(5), remote.generate(&msgs, "root ::= \"x\"", &cancel, &on_token))
        .await
        .expect("a cancel ends the answer promptly");
    assert_eq!(r.unwrap_err().message, "cancelled");
    let went = tokio::time::timeout(Duration::from_secs(5), async {
        while !server.client_went.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(went.is_ok(), "the server saw the stream closed and stopped");
}

#[test]
fn the_models_own_tokenizer_counts_as_llama_cpp_does_on_its_gguf() {
    use kubeask_agent::remote_model::ModelTokenizer;
    use proptest::test_runner::{Config, TestRunner};
    let dir = tempfile::tempdir().unwrap();
    let (gguf, json) = (dir.path().join("tiny.gguf"), dir.path().join("tokenizer.json"));
    kubeask_llm::tiny::write_tiny_qwen2(&gguf, 3).unwrap();
    kubeask_llm::tiny::write_tokenizer_json(&json).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let local = rt.block_on(kubeask_agent::local_model::LocalModel::load(&gguf, 512)).unwrap();
    let tokenizer = ModelTokenizer::from_file(&json).unwrap();
    let llama = |text: &str| rt.block_on(local.engine().count_tokens(text)).unwrap();
    for text in [
        "kubectl get pods -n shop",
        "Back-off restarting failed container checkout in pod checkout-5b777f5b94-g82t6_shop(6077184d)",
        "it's what they'll say: 1234 pods, 56.7% CPU\n\n\tdone  ",
        "ünïcode naïve café — 中文 ✓ 🙂",
    ] {
        assert_eq!(tokenizer.count(text), llama(text), "{text:?}");
    }
    let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
    runner
        .run(&"[a-zA-Z0-9 ,.!?'\\n\\t:/_é中✓-]{0,80}", |text| {
            proptest::prop_assert_eq!(tokenizer.count(&text), llama(&text), "{:?}", text);
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn with_the_models_tokenizer_the_conversation_is_trimmed_without_asking_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("tokenizer.json");
    kubeask_llm::tiny::write_tokenizer_json(&json).unwrap();
    let server = serve_ctx((Kind::Plain, 0), None, vec![Reply::Text(ANSWER)]).await;
    let tokenizer = kubeask_agent::remote_model::ModelTokenizer::find(json.to_str().unwrap()).unwrap();
    let remote = RemoteModel::connect(&server.url, None, None).await.unwrap().with_tokenizer(tokenizer);
    assert_eq!(remote.info().tokens, TokenCount::Tokenizer);
    assert!(!remote.info().describe().contains("estimated"), "{}", remote.info().describe());
    let m = |role: &str, content: String| Message { role: role.into(), content };
    let msgs = [
        m("system", "You answer questions.".into()),
        m("user", "why?".into()),
        m("assistant", CALL.into()),
        m("tool", "the quick brown fox jumps over the lazy dog ".repeat(2000)),
        m("user", "and now?".into()),
    ];
    remote.generate(&msgs, "root ::= \"x\"", &CancelFlag::default(), &|_| {}).await.unwrap();
    let body = server.bodies.lock().unwrap()[0].clone();
    let sent = body["messages"][3]["content"].as_str().unwrap().to_string();
    assert!(
        sent.ends_with("[… shortened to fit the model's context]") && sent.len() < 20_000,
        "{} characters",
        sent.len()
    );
}

#[tokio::test]
async fn a_model_too_big_for_this_machine_is_refused_as_model_does_not_fit() {
    use kubeask_agent::model_loop::{ModelError, ModelErrorKind};
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("huge.gguf");
    kubeask_llm::tiny::write_tiny_qwen2(&gguf, 5).unwrap();
    // A valid header over 4 TiB of (sparse) weights: refused before loading.
    std::fs::OpenOptions::new().write(true).open(&gguf).unwrap().set_len(4 << 40).unwrap();
    let e = kubeask_agent::access::load_model(gguf.to_str().unwrap()).await.err().expect("refused");
    let engine = e.downcast_ref::<kubeask_llm::engine::EngineError>().expect("the engine's own error, by type");
    let m = ModelError::from(engine.clone());
    assert_eq!((m.kind, m.kind.code()), (ModelErrorKind::DoesNotFit, "MODEL_DOES_NOT_FIT"), "{e:#}");
}
