//! Downloads against a local mirror of the hub (`HF_ENDPOINT`): a full
//! download, a resume after a dropped connection, a resume after a cancel,
//! a checksum mismatch, a full disk, a missing file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kubeask_llm::download::{download, DownloadError, DownloadEvent, DownloadRequest};

use crate::support::{tiny_model, Mirror, MirrorFile};

// NB: HF_ENDPOINT is process-wide: the download tests take turns.
static ENDPOINT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn with_mirror() -> (Mirror, Vec<u8>, tokio::sync::MutexGuard<'static, ()>) {
    let guard = ENDPOINT.lock().await;
    let mirror = Mirror::start().await;
    // Every test that reads HF_ENDPOINT holds ENDPOINT while it runs.
    std::env::set_var("HF_ENDPOINT", &mirror.url);
    let bytes = std::fs::read(tiny_model()).unwrap();
    (mirror, bytes, guard)
}

fn req(file: &str) -> DownloadRequest {
    DownloadRequest::new("acme/Tiny-GGUF", file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_download_is_verified_against_the_hub_sha256_and_installed() {
    let (mirror, bytes, _g) = with_mirror().await;
    mirror.add("acme/Tiny-GGUF", "tiny.gguf", MirrorFile { content: bytes.clone(), ..Default::default() });
    let dir = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let done = download(dir.path(), &req("tiny.gguf"), &AtomicBool::new(false), |e| events.push(e)).await.unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
    assert_eq!(done.verified_against, "hub X-Linked-Etag");
    assert_eq!(done.size, bytes.len() as u64);
    assert!(matches!(events.first(), Some(DownloadEvent::Started { resumed_from: 0, .. })));
    assert!(events.iter().any(|e| matches!(e, DownloadEvent::Progress(p) if p.downloaded == p.total)));
    assert!(events.iter().any(|e| matches!(e, DownloadEvent::Verifying)));
    // The record says what was verified; no partial files are left.
    let record = std::fs::read_to_string(dir.path().join("tiny.gguf.verified.json")).unwrap();
    assert!(record.contains(&done.sha256) && record.contains("X-Linked-Etag"));
    assert_eq!(std::fs::read_dir(dir.path().join(".partial")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_halfway_resumes_where_it_stopped() {
    let (mirror, bytes, _g) = with_mirror().await;
    let half = bytes.len() as u64 / 2;
    mirror.add(
        "acme/Tiny-GGUF",
        "tiny.gguf",
        MirrorFile { content: bytes.clone(), drop_once_at: Some(half), ..Default::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut retries = 0;
    let done = download(dir.path(), &req("tiny.gguf"), &AtomicBool::new(false), |e| {
        if matches!(e, DownloadEvent::Retrying { .. }) {
            retries += 1;
        }
    })
    .await
    .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
    assert_eq!(retries, 1);
    // Past the metadata probe (bytes=0-0): the first transfer, then the resume.
    let ranges: Vec<_> = mirror
        .state
        .ranges
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, r)| r.as_deref() != Some("bytes=0-0"))
        .cloned()
        .collect();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    let resumed_at: u64 =
        ranges[1].1.as_deref().unwrap().trim_start_matches("bytes=").trim_end_matches('-').parse().unwrap();
    assert!(resumed_at >= half - 16 * 1024 && resumed_at <= half, "resumed at {resumed_at}, dropped at {half}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_leaves_nothing_installed_and_the_next_one_resumes() {
    let (mirror, bytes, _g) = with_mirror().await;
    mirror.add(
        "acme/Tiny-GGUF",
        "tiny.gguf",
        MirrorFile { content: bytes.clone(), chunk_delay: Some(Duration::from_millis(15)), ..Default::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let err = download(dir.path(), &req("tiny.gguf"), &cancel, |e| {
        if let DownloadEvent::Progress(p) = e {
            if p.downloaded > 0 && p.downloaded < p.total {
                cancel.store(true, Ordering::SeqCst);
            }
        }
    })
    .await
    .unwrap_err();
    assert!(matches!(err, DownloadError::Cancelled), "{err}");
    assert!(!dir.path().join("tiny.gguf").exists());
    let part = std::fs::metadata(dir.path().join(".partial/tiny.gguf.part")).unwrap().len();
    assert!(part > 0 && part < bytes.len() as u64);

    let mut resumed_from = None;
    let done = download(dir.path(), &req("tiny.gguf"), &AtomicBool::new(false), |e| {
        if let DownloadEvent::Started { resumed_from: r, .. } = e {
            resumed_from = Some(r);
        }
    })
    .await
    .unwrap();
    assert_eq!(resumed_from, Some(part));
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_installs_nothing() {
    let (mirror, bytes, _g) = with_mirror().await;
    mirror.add("acme/Tiny-GGUF", "tiny.gguf", MirrorFile { content: bytes, wrong_sha: true, ..Default::default() });
    let dir = tempfile::tempdir().unwrap();
    let err = download(dir.path(), &req("tiny.gguf"), &AtomicBool::new(false), |_| {}).await.unwrap_err();
    assert!(matches!(err, DownloadError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("nothing was installed"));
    assert!(!dir.path().join("tiny.gguf").exists());
    assert_eq!(std::fs::read_dir(dir.path().join(".partial")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_bigger_than_the_free_disk_is_refused_before_any_byte_moves() {
    let (mirror, bytes, _g) = with_mirror().await;
    // The hub says 1 PB: no disk here has that much free.
    mirror.add(
        "acme/Tiny-GGUF",
        "huge.gguf",
        MirrorFile { content: bytes, claimed_size: Some(1 << 50), ..Default::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let err = download(dir.path(), &req("huge.gguf"), &AtomicBool::new(false), |_| {}).await.unwrap_err();
    assert!(matches!(err, DownloadError::DiskFull { .. }), "{err}");
    assert!(err.to_string().contains("not enough disk space"));
    // Only the metadata probe reached the content URL (bytes=0-0).
    let ranges = mirror.state.ranges.lock().unwrap().clone();
    assert!(ranges.iter().all(|(_, r)| r.as_deref() == Some("bytes=0-0")), "{ranges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_says_which_repo_and_file() {
    let (_mirror, _bytes, _g) = with_mirror().await;
    let dir = tempfile::tempdir().unwrap();
    let err = download(dir.path(), &req("nope.gguf"), &AtomicBool::new(false), |_| {}).await.unwrap_err();
    assert!(matches!(err, DownloadError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("acme/Tiny-GGUF has no file nope.gguf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_connection_is_dropped_and_the_download_resumes() {
    let (mirror, bytes, _g) = with_mirror().await;
    std::env::set_var("KUBEASK_DOWNLOAD_STALL_SECS", "1");
    mirror.add(
        "acme/Tiny-GGUF",
        "stall.gguf",
        MirrorFile { content: bytes.clone(), stall_once_at: Some(100_000), ..Default::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut reasons = Vec::new();
    let started = std::time::Instant::now();
    let done = download(dir.path(), &req("stall.gguf"), &AtomicBool::new(false), |e| {
        if let DownloadEvent::Retrying { reason, .. } = e {
            reasons.push(reason);
        }
    })
    .await;
    std::env::remove_var("KUBEASK_DOWNLOAD_STALL_SECS");
    let done = done.unwrap();
    println!("stalled once, resumed: {:.1} s, reasons {reasons:?}", started.elapsed().as_secs_f64());
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
    assert!(reasons.iter().any(|r| r.contains("stalled")), "{reasons:?}");
    let ranges = mirror.state.ranges.lock().unwrap().clone();
    assert!(ranges.iter().any(|(_, r)| r.as_deref() == Some("bytes=100000-")), "resumed at the stall: {ranges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_downloads_of_the_same_file_never_share_its_part() {
    let (mirror, bytes, _g) = with_mirror().await;
    mirror.add(
        "acme/Tiny-GGUF",
        "busy.gguf",
        MirrorFile { content: bytes.clone(), chunk_delay: Some(Duration::from_millis(50)), ..Default::default() },
    );
    let dir = tempfile::tempdir().unwrap();
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    let first = {
        let (dir, cancel) = (dir.path().to_path_buf(), cancel.clone());
        tokio::spawn(async move { download(&dir, &req("busy.gguf"), &cancel, |_| {}).await })
    };
    let part = dir.path().join(".partial/busy.gguf.part");
    let t = std::time::Instant::now();
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(t.elapsed() < Duration::from_secs(20), "the first download never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = download(dir.path(), &req("busy.gguf"), &AtomicBool::new(false), |_| {}).await;
    assert!(matches!(second, Err(DownloadError::Busy { .. })), "{second:?}");
    cancel.store(true, Ordering::SeqCst);
    assert!(matches!(first.await.unwrap(), Err(DownloadError::Cancelled)));
}

/// A catalog entry downloads the commit it pins, never `main`: the bytes a
/// user installs are the ones the entry was written (and checksummed) for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_download_fetches_its_pinned_commit() {
    let (mirror, bytes, _g) = with_mirror().await;
    mirror.add("acme/Tiny-GGUF", "tiny.gguf", MirrorFile { content: bytes.clone(), ..Default::default() });
    let rev = "89abcdef0123456789abcdef0123456789abcdef";
    let entry = kubeask_llm::catalog::parse(&format!(
        "[[model]]\nid = \"tiny\"\nname = \"Tiny\"\nfamily = \"qwen2\"\nparams_b = 0.001\nquant = \"F32\"\n\
         repo = \"acme/Tiny-GGUF\"\nfile = \"tiny.gguf\"\nrevision = \"{rev}\"\nsize_bytes = 1\nram_bytes = 2\n\
         context_length = 32768\nlicense = \"apache-2.0\"\n"
    ))
    .unwrap()
    .remove(0);
    let dir = tempfile::tempdir().unwrap();
    let done = download(dir.path(), &entry.download_request(), &AtomicBool::new(false), |_| {}).await.unwrap();
    assert_eq!(done.commit, rev);
    let asked = mirror.state.revisions.lock().unwrap().clone();
    assert!(!asked.is_empty() && asked.iter().all(|r| r == rev), "asked the hub for {asked:?}");
    // Every built-in entry pins a commit (the parser refuses one that does not).
    for m in kubeask_llm::catalog::builtin() {
        assert_eq!(m.download_request().revision, m.revision, "{}", m.id);
        assert!(m.revision.len() == 40 && m.revision != "main", "{}", m.id);
    }
}
