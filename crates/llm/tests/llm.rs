//! Integration tests of kubeask-llm: GGUF import, the catalog and hardware
//! picks, downloads against a local mirror of the hub's URL layout, and
//! the llama.cpp engine on a tiny random Qwen2 and the real Gemma 3 270M.

#[path = "llm/support.rs"]
mod support;

#[path = "llm/catalog.rs"]
mod catalog;
#[path = "llm/download.rs"]
mod download;
#[path = "llm/engine.rs"]
mod engine;
#[path = "llm/gemma.rs"]
mod gemma;
#[path = "llm/gguf_fuzz.rs"]
mod gguf_fuzz;
#[path = "llm/import.rs"]
mod import;
#[path = "llm/variants.rs"]
mod variants;
