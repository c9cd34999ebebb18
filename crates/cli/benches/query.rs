//! `POST /query` throughput and latency with 50 concurrent clients on
//! loopback, against `kubeask serve` (the real binary) over the demo
//! cluster. Prints figures, asserts nothing.
//!
//! `cargo bench -p kubeask --bench query`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 50;
const PER_CLIENT: usize = 40;

async fn post(port: u16, body: &str) -> Duration {
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!("POST /query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    assert!(buf.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf));
    t.elapsed()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(Fixture::builtin());
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeask"))
        .args(["serve", "--port", &port.to_string()])
        .env("KUBECONFIG", server.kubeconfig_path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let questions = [
        "how many pods are in the shop namespace?",
        "what's the status of the checkout pod",
        "which node is mongodb-0 on",
        "What image is redis running?",
        "Which pods in the shop namespace are not running?",
        "Which pod is using the most memory right now?",
    ];
    post(port, &serde_json::json!({"query": questions[0]}).to_string()).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(async move {
                let mut v = Vec::with_capacity(PER_CLIENT);
                for i in 0..PER_CLIENT {
                    let q = questions[(c + i) % questions.len()];
                    v.push(post(port, &serde_json::json!({"query": q}).to_string()).await);
                }
                v
            })
        })
        .collect();
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    let p = |q: f64| all[((all.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "POST /query, {CLIENTS} concurrent clients, {} requests (direct-mode questions, no log reads): {:.0} req/s; p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        all.len(),
        all.len() as f64 / wall.as_secs_f64(),
        p(0.5),
        p(0.99),
        all.last().unwrap()
    );
    let _ = child.kill();
    let _ = child.wait();
    server.stop().await;
}
