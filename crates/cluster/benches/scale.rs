//! Scale figures for the demo server and the live cache on a synthetic
//! 10,000-pod cluster (50 namespaces, 100 nodes). Prints, asserts nothing.
//!
//! `cargo bench -p kubeask-cluster --bench scale [-- PODS]`

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kubeask_cluster::cache::ClusterCache;
use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::synthetic::{generate, Size};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rss_of(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The server runs in a child process (this same binary) so its memory and
/// the cache's are measured apart.
async fn serve_child(kubeconfig: &str, size: Size) {
    let t = Instant::now();
    let fixture = generate(size);
    let generated = t.elapsed();
    let mut opts = DemoOptions::new(fixture);
    opts.kubeconfig_path = Some(kubeconfig.into());
    let t = Instant::now();
    let _server = DemoServer::start(opts).await.unwrap();
    println!("READY generated={generated:.0?} started={:.0?}", t.elapsed());
    std::future::pending::<()>().await;
}

#[tokio::main]
async fn main() {
    let pods: usize = std::env::var("KUBEASK_BENCH_PODS").ok().and_then(|a| a.parse().ok()).unwrap_or(Size::LARGE.pods);
    let size = Size { pods, ..Size::LARGE };
    if let Ok(kc) = std::env::var("KUBEASK_BENCH_CHILD") {
        return serve_child(&kc, size).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("KUBEASK_BENCH_CHILD", &kubeconfig)
        .env("KUBEASK_BENCH_PODS", pods.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    println!(
        "demo server with {pods} pods ({} namespaces, {} nodes): {}",
        size.namespaces,
        size.nodes,
        line.trim().trim_start_matches("READY ")
    );
    println!("demo server resident memory: {:.0} MiB", rss_of(child.id()));

    let contexts = Contexts::load(std::slice::from_ref(&kubeconfig)).unwrap();
    let conn = contexts.connect(None).await.unwrap();
    let before_cache = rss_mib();
    let t = Instant::now();
    let cache = ClusterCache::start(conn.clone()).await;
    let status = cache.wait_ready(Duration::from_secs(120)).await;
    let ready = t.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    println!(
        "cache: {:?} in {ready:.0?}; resident memory +{:.0} MiB (client process {:.0} MiB before)",
        status.state,
        rss_mib() - before_cache,
        before_cache
    );
    let t = Instant::now();
    let snap = cache.snapshot();
    println!("cache snapshot: {} pods, {} events in {:.2?}", snap.pods.len(), snap.events.len(), t.elapsed());
    read_tools(&snap);
    drop(snap);
    drop(cache);

    let api: Api<Pod> = Api::all(conn.client.clone());
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let list = api.list(&ListParams::default()).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(list.items.len(), pods);
    }
    let req = http::Request::get("/api/v1/pods").body(Vec::new()).unwrap();
    let t = Instant::now();
    let bytes = conn.client.request_text(req).await.unwrap().len();
    let raw = t.elapsed();
    println!("kube-rs list of all pods (typed): median {:.1?} over 5 runs (min {:.1?}); {:.1} MiB of JSON, fetched untyped in {raw:.1?}",
        median(times.clone()), times.iter().min().unwrap(), bytes as f64 / (1024.0 * 1024.0));
    let mut paged = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut n = 0;
        let mut lp = ListParams::default().limit(500);
        loop {
            let page = api.list(&lp).await.unwrap();
            n += page.items.len();
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) => lp = lp.continue_token(&c),
                None => break,
            }
        }
        assert_eq!(n, pods);
        paged.push(t.elapsed());
    }
    println!("kube-rs paged list (limit=500): median {:.1?}", median(paged));
    println!("demo server resident memory after the lists: {:.0} MiB", rss_of(child.id()));
    let _ = child.kill();
    let _ = child.wait();
}

fn timed(label: &str, runs: usize, mut f: impl FnMut()) {
    let mut v: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    println!("  {label:42} p50 {:>9.3?}  p99 {:>9.3?}", p(0.5), p(0.99));
}

/// Read tools and analyzers on the cached snapshot.
fn read_tools(snap: &kubeask_cluster::insight::snapshot::Snapshot) {
    use kubeask_cluster::insight::analyze::analyze;
    use kubeask_cluster::insight::snapshot::LogTexts;
    use kubeask_cluster::insight::tools::{self, ToolCall};
    println!("read tools on the cache ({} pods):", snap.pods.len());
    let run = |c: &ToolCall| {
        std::hint::black_box(tools::run(snap, c).ok());
    };
    let list_ns = ToolCall::List(tools::list::ListArgs {
        kind: "pod".into(),
        namespace: Some("team-07".into()),
        ..Default::default()
    });
    timed("list pods -n team-07", 200, || run(&list_ns));
    let list_bad = ToolCall::List(tools::list::ListArgs {
        kind: "pod".into(),
        status: Some("not-running".into()),
        ..Default::default()
    });
    timed("list pods, status not-running, all ns", 50, || run(&list_bad));
    let list_sel = ToolCall::List(tools::list::ListArgs {
        kind: "pod".into(),
        selector: Some("app=svc-0042".into()),
        ..Default::default()
    });
    timed("list pods -l app=svc-0042", 200, || run(&list_sel));
    let find_exact = ToolCall::Find(tools::find::FindArgs { term: "svc-0042".into(), kind: None });
    timed("find svc-0042", 50, || run(&find_exact));
    let find_typo = ToolCall::Find(tools::find::FindArgs { term: "svc-00x42".into(), kind: None });
    timed("find svc-00x42 (typo)", 50, || run(&find_typo));
    let summary = ToolCall::Summary(Default::default());
    timed("summary", 50, || run(&summary));
    let describe = ToolCall::Describe(tools::describe::DescribeArgs {
        kind: "deployment".into(),
        name: "svc-0042".into(),
        namespace: None,
    });
    timed("describe deployment svc-0042", 200, || run(&describe));
    let logs = LogTexts::new();
    timed("full analyzer pass", 20, || {
        std::hint::black_box(analyze(snap, &logs));
    });
    // Security and cost passes, with the anchor above in the same run.
    use kubeask_cluster::insight::{cost, security};
    timed("security checks (every check)", 20, || {
        std::hint::black_box(security::check(snap));
    });
    let prices = cost::Prices::default();
    timed("cost report by namespace", 20, || {
        std::hint::black_box(cost::report(snap, &prices, &cost::By::Namespace));
    });
    timed("cost report by workload", 20, || {
        std::hint::black_box(cost::report(snap, &prices, &cost::By::Workload));
    });
    let mut per_check = std::collections::BTreeMap::<&str, usize>::new();
    for f in security::check(snap) {
        *per_check.entry(f.check).or_default() += 1;
    }
    println!("security findings per check: {per_check:?}");
    let r = cost::report(snap, &prices, &cost::By::Namespace);
    println!(
        "cost: {} namespaces, total ${:.0} a month, idle ${:.0}, {} waste items",
        r.allocations.len(),
        r.total,
        r.idle,
        r.waste.len()
    );
}
