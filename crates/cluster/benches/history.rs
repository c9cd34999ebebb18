//! History figures at 10,000 pods (synthetic cluster): the sampler's cost
//! per tick, the store's bytes per day, its size after 14 simulated days,
//! a forecast + anomaly pass over every container series, and PromQL
//! range queries over 1,000 containers in a real Prometheus. Prints,
//! asserts nothing; the full analyzer pass on the same snapshot, in the
//! same run, is the anchor.
//!
//! `cargo bench -p kubeask-cluster --bench history`

use std::time::Instant;

use kubeask_cluster::history::sampler::{sample_once, samples_of, Seen};
use kubeask_cluster::history::store::HistoryStore;
use kubeask_cluster::synthetic::{generate, Size};
use kubeask_insight::history::anomaly::anomalies;
use kubeask_insight::history::forecast::trend;
use kubeask_insight::history::{Point, SeriesKey};
use kubeask_insight::snapshot::Snapshot;

const MIB: f64 = 1024.0 * 1024.0;

/// User + system CPU seconds of this process.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, r)| r).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn file_mib(path: &std::path::Path) -> f64 {
    let wal = path.with_extension("sqlite-wal");
    (std::fs::metadata(path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())) as f64 / MIB
}

fn main() {
    let fixture = generate(Size::LARGE);
    let mut snap = Snapshot::default();
    for o in &fixture.objects {
        let _ = snap.insert_json(o.value.clone());
    }
    snap.now = fixture.now;
    let keys: Vec<SeriesKey> = samples_of(&snap).into_iter().map(|(k, _)| k).collect();
    println!("history at {} pods: {} series sampled per tick", snap.pods.len(), keys.len());

    let t = Instant::now();
    std::hint::black_box(kubeask_insight::analyze::analyze(&snap, &Default::default()));
    let anchor = t.elapsed();
    println!("  anchor: full analyzer pass                 {anchor:>9.1?}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let store = HistoryStore::open(&path).unwrap();
    let mut seen = Seen::default();
    let mut ticks = Vec::new();
    for _ in 0..6 {
        let (t, c) = (Instant::now(), cpu_secs());
        sample_once(&store, "bench", &snap, &mut seen).unwrap();
        ticks.push((t.elapsed(), cpu_secs() - c));
    }
    let first = ticks.remove(0);
    ticks.sort_by_key(|x| x.0);
    let (wall, cpu) = ticks[ticks.len() / 2];
    println!("  sampler tick: first {:.1?} (creates every series, keeps every timeline entry), then p50 {wall:.1?} wall, {cpu:.2} s CPU ({:.1}x the anchor) every 15 s", first.0, wall.as_secs_f64() / anchor.as_secs_f64());

    // An hour at full resolution, then the same hour as five-minute means.
    let t0 = 1_764_000_000_i64;
    let before = store.bytes();
    let t = Instant::now();
    for i in 0..240 {
        let at = t0 + i * 15;
        let samples = keys
            .iter()
            .enumerate()
            .map(|(k, key)| (key, Point { t: at, v: (k % 977) as f64 * 1.5e6 + (i % 17) as f64 }));
        store.record_points("bench", samples).unwrap();
    }
    let recorded = t.elapsed();
    store.maintain(t0 + 3600 + 300).unwrap();
    let raw_hour = (store.bytes() - before) as f64 / MIB;
    store.maintain(t0 + 3600 + 6 * 3600 + 300).unwrap();
    let means_hour = (store.bytes().saturating_sub(before)) as f64 / MIB;
    println!("  one hour of samples recorded in {recorded:.1?} (240 ticks)");
    println!(
        "  bytes: {raw_hour:.1} MiB an hour at full resolution ({:.0} MiB a day), {means_hour:.2} MiB an hour as 5-minute means ({:.0} MiB a day); steady state 6 h + 14 d = {:.0} MiB (cap 256 MiB)",
        raw_hour * 24.0,
        means_hour * 24.0,
        6.0 * raw_hour + 14.0 * 24.0 * means_hour
    );
    drop(store);

    // Fourteen simulated days at 1,000 pods, a sample every 5 minutes.
    let small: Vec<SeriesKey> = keys.iter().take(2_000).cloned().collect();
    let path14 = dir.path().join("days.sqlite");
    let store = HistoryStore::open(&path14).unwrap();
    let t = Instant::now();
    let start = t0 - 14 * 86_400;
    let mut at = start;
    while at <= t0 {
        let samples = small
            .iter()
            .enumerate()
            .map(|(k, key)| (key, Point { t: at, v: (k % 977) as f64 + ((at - start) / 300 % 13) as f64 }));
        store.record_points("days", samples).unwrap();
        if (at - start) % 3600 == 0 {
            store.maintain(at).unwrap();
        }
        at += 300;
    }
    store.maintain(t0).unwrap();
    println!(
        "  14 simulated days at 1,000 pods (2,000 series, 5-minute samples): {:.1} MiB on disk, simulated in {:.1?}",
        file_mib(&path14),
        t.elapsed()
    );

    // Forecast and anomaly pass over every container series: 6 h at 15 s.
    let series: Vec<Vec<Point>> = (0..keys.len())
        .map(|k| {
            (0..1440)
                .map(|i| Point {
                    t: t0 + i * 15,
                    v: 1e8 + (k as f64) * 1e3 + i as f64 * 50.0 + ((i * 7919 + k as i64) % 101) as f64 * 1e4,
                })
                .collect()
        })
        .collect();
    let t = Instant::now();
    let fitted = series.iter().filter(|s| trend(s).is_some()).count();
    let trends = t.elapsed();
    let t = Instant::now();
    let flagged: usize = series.iter().map(|s| anomalies(s).len()).sum();
    let anomaly = t.elapsed();
    println!(
        "  forecast pass: {fitted} trends in {trends:.1?} ({:.1}x the anchor); anomaly pass: {} series in {anomaly:.1?} ({:.1}x the anchor, {flagged} flagged)",
        trends.as_secs_f64() / anchor.as_secs_f64(),
        series.len(),
        anomaly.as_secs_f64() / anchor.as_secs_f64()
    );
    promql(anchor);
}

/// PromQL range queries against a real Prometheus (Debian's, as the tests
/// use it): 1,000 containers' memory and CPU over 6 h at 15 s, backfilled
/// with promtool, each query timed three times (median).
fn promql(anchor: std::time::Duration) {
    use kubeask_cluster::history::prometheus::{Prometheus, Target};
    use kubeask_insight::history::{Metric, Series};
    let dir = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now().as_second() / 15 * 15;
    let (start, end) = (now - 6 * 3600, now);
    let mut series = Vec::new();
    for k in 0..1000 {
        for metric in [Metric::Memory, Metric::Cpu] {
            let key = SeriesKey::container(metric, "bench", &format!("pod-{k}"), "c");
            let base = if metric == Metric::Memory { 2e8 } else { 0.25 };
            let points = (0..=1440)
                .map(|i| Point { t: start + i * 15, v: base * (1.0 + ((i * 31 + k) % 17) as f64 / 100.0) })
                .collect();
            series.push(Series { key, points });
        }
    }
    let om = dir.path().join("past.om");
    std::fs::write(&om, kubeask_cluster::demo::prometheus::openmetrics(&series)).unwrap();
    drop(series);
    let data = dir.path().join("data");
    let t = Instant::now();
    let ok = std::process::Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .args([&om, &data])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("  PromQL: no promtool (Debian's prometheus package; scripts/setup.sh --test installs it)");
        return;
    }
    let backfill = t.elapsed();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global: {}\n").unwrap();
    let mut server = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let p = Prometheus::new(Target::url(format!("http://127.0.0.1:{port}")));
    let ready = Instant::now();
    let mut got = 0;
    while ready.elapsed().as_secs() < 60 {
        if let Ok(s) = rt.block_on(p.series(Metric::Memory, None, start, end)) {
            got = s.len();
            if got == 1000 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    for metric in [Metric::Memory, Metric::Cpu] {
        let mut times: Vec<std::time::Duration> = (0..3)
            .map(|_| {
                let t = Instant::now();
                got = rt.block_on(p.series(metric, None, start, end)).map_or(0, |s| s.len());
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "  PromQL {} over 6 h at 15 s, {got} series (1,441 points each): {:.1?} median of 3 ({:.1}x the anchor); backfill of 2,000 series took {backfill:.1?}",
            metric.as_str(),
            times[1],
            times[1].as_secs_f64() / anchor.as_secs_f64()
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}
