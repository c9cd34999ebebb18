//! Direct-mode latency, end to end in process: every sample question asked
//! through the `Assistant` (live cache over HTTPS to the demo server) on the
//! sample cluster and on a synthetic 10,000-pod cluster. Prints p50/p99.
//!
//! `cargo bench -p kubeask-agent --bench direct`

use std::time::{Duration, Instant};

use kubeask_agent::Assistant;
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;
use kubeask_cluster::synthetic::{generate, Size};

#[derive(serde::Deserialize)]
struct Q {
    query: String,
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(label: &str, fixture: Fixture, questions: &[String], rounds: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(fixture);
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let assistant = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]);
    let t = Instant::now();
    assistant.cache(None).await.unwrap();
    println!("[{label}] cache ready in {:.0?}", t.elapsed());
    if std::env::var_os("KUBEASK_BENCH_SHOW").is_some() {
        for q in questions {
            let a = assistant.ask(None, q).await.unwrap();
            println!("  {q:60} => {}", a.short);
        }
    }
    let mut all = Vec::new();
    let mut no_logs = Vec::new();
    for _ in 0..rounds {
        for q in questions {
            let t = Instant::now();
            let a = assistant.ask(None, q).await.unwrap();
            let d = t.elapsed();
            all.push(d);
            // Log questions go to the API server; the rest are pure cache reads.
            if !a.kubectl.iter().any(|k| k.starts_with("kubectl logs")) {
                no_logs.push(d);
            }
        }
    }
    println!(
        "[{label}] {} answers: p50 {:.2?}, p99 {:.2?}; without log reads ({}): p50 {:.2?}, p99 {:.2?}",
        all.len(),
        pct(&mut all, 0.5),
        pct(&mut all, 0.99),
        no_logs.len(),
        pct(&mut no_logs, 0.5),
        pct(&mut no_logs, 0.99)
    );
    server.stop().await;
}

#[tokio::main]
async fn main() {
    let qs: Vec<Q> = serde_yaml::from_str(include_str!("../../../tests/questions/acme-shop/questions.yaml")).unwrap();
    let sample: Vec<String> = qs.into_iter().map(|q| q.query).collect();
    run("sample, 48 pods", Fixture::builtin(), &sample, 10).await;
    // The same question shapes, with names that exist in the synthetic cluster.
    let synthetic: Vec<String> = vec![
        "how many pods are in the team-03 namespace?".into(),
        "How many nodes does my cluster have?".into(),
        "how many pods r running in team-07".into(),
        "what's the status of the svc-0013 pod".into(),
        "which node is svc-0042 on".into(),
        "What image is svc-0100 running?".into(),
        "what is the targetPort of the svc-0200 service?".into(),
        "How many times has svc-0013 restarted?".into(),
        "why is svc-0013 crashing?".into(),
        "What LOG_LEVEL is svc-0300 running with?".into(),
        "how many svc-0400 replicas are ready".into(),
        "Which kubelet version are my nodes running?".into(),
        "what's the memory limit for svc-0500".into(),
        "Which pods in the team-10 namespace are not running?".into(),
        "Which pod is using the most memory right now?".into(),
        "which node is NotReady?".into(),
        "how many endpoints does the svc-0600 service have?".into(),
    ];
    run("synthetic, 10,000 pods", generate(Size::LARGE), &synthetic, 5).await;
}
