//! Model-mode accuracy: questions about the sample cluster that direct mode
//! does not parse, answered by a local model through the whole tool loop
//! (demo server over HTTPS, the real kube client, llama.cpp), graded like
//! the sample questions. Prints each answer, the accuracy and timings.
//!
//! `cargo bench -p kubeask-agent --bench model` (model: $KUBEASK_BENCH_MODEL,
//! default the Gemma 3 270M GGUF the test setup assembles).

#[path = "../tests/agent/grading.rs"]
#[allow(dead_code)]
mod grading;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use kubeask_agent::local_model::LocalModel;
use kubeask_agent::{Assistant, Mode};
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;

fn model_path() -> PathBuf {
    std::env::var_os("KUBEASK_BENCH_MODEL").map(PathBuf::from).unwrap_or_else(kubeask_paths::test_gemma)
}

#[tokio::main]
async fn main() {
    let questions: Vec<grading::Question> = serde_yaml::from_str(include_str!("model_questions.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(Fixture::builtin());
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let direct = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]);
    let path = model_path();
    let model = Arc::new(LocalModel::load(&path, 8192).await.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    println!("model {} ({}) on {}", model.info().name, model.info().architecture, model.info().backend);
    let with_model = direct.clone().with_model(model.clone());

    let (mut asked, mut right, mut skipped) = (0, 0, 0);
    let mut times = Vec::new();
    for q in &questions {
        let d = direct.ask(None, &q.query).await.unwrap();
        if d.mode != Mode::Unanswered {
            skipped += 1;
            println!("  skip {} (direct mode answers it: {:?})", q.id, d.short);
            continue;
        }
        let t = Instant::now();
        let a = with_model.ask(None, &q.query).await;
        let secs = t.elapsed().as_secs_f64();
        times.push(secs);
        asked += 1;
        let short = a.as_ref().map(|a| a.short.clone()).unwrap_or_else(|e| format!("error: {e}"));
        let ok = a.is_ok() && grading::grade(q, &short);
        right += usize::from(ok);
        println!(
            "  {} {} {:5.1} s  {:70} => {:?} (expected {:?})",
            if ok { "✓" } else { "✗" },
            q.id,
            secs,
            q.query,
            short,
            q.answer
        );
    }
    times.sort_by(f64::total_cmp);
    let p50 = times.get(times.len() / 2).copied().unwrap_or(0.0);
    println!(
        "model-mode accuracy: {right}/{asked} ({:.0}%); {skipped} skipped (direct mode answers them); median {p50:.1} s per question",
        if asked > 0 { right as f64 * 100.0 / asked as f64 } else { 0.0 }
    );
    server.stop().await;
}
