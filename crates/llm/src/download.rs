//! Downloads from Hugging Face (or any mirror of its URL layout named by
//! `HF_ENDPOINT`) into the models folder.
//!
//! `hf-hub` resolves the file: endpoint and token from the environment, the
//! `/{repo}/resolve/{revision}/{file}` URL, and the hub's metadata (commit,
//! `X-Linked-Etag` = the LFS sha256, size). The bytes are fetched here with
//! its HTTP client, because hf-hub's own downloader spawns tasks that keep
//! running after a cancel and verifies nothing. Here: one ranged stream into
//! `.partial/<file>.part`, resumed from where it stopped (after a dropped
//! connection, automatically; after a cancel or crash, on the next call),
//! sha256 computed while streaming, free disk checked before the first byte,
//! and the file renamed into place only once its checksum and GGUF header
//! are good: a failed check leaves nothing installed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use hf_hub::api::tokio::{Api, ApiBuilder};
use hf_hub::Repo;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::hardware::free_disk_bytes;

/// Space left free on the disk after a download.
const DISK_MARGIN: u64 = 200_000_000;
/// Automatic resumes after a dropped connection.
const MAX_RESUMES: usize = 5;

/// A connection that delivers no byte for this long is dropped and resumed
/// (`KUBEASK_DOWNLOAD_STALL_SECS` changes it: slow links, tests).
const STALL_AFTER: Duration = Duration::from_secs(60);

fn stall_after() -> Duration {
    std::env::var("KUBEASK_DOWNLOAD_STALL_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map_or(STALL_AFTER, Duration::from_secs_f64)
}

/// What to download.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// Hugging Face repository (`Qwen/Qwen2.5-0.5B-Instruct-GGUF`).
    pub repo: String,
    /// File in it.
    pub file: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// A known sha256 (from the catalog); else the hub's is used.
    pub sha256: Option<String>,
}

impl DownloadRequest {
    /// `repo`/`file` at `main`.
    pub fn new(repo: impl Into<String>, file: impl Into<String>) -> Self {
        Self { repo: repo.into(), file: file.into(), revision: "main".into(), sha256: None }
    }
}

/// Progress of a download.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// Bytes on disk so far (including a resumed part).
    pub downloaded: u64,
    /// The file's size.
    pub total: u64,
    /// Current speed, bytes/s.
    pub bytes_per_sec: f64,
    /// Seconds left at the current speed.
    pub eta_secs: Option<f64>,
}

/// What a download reports as it goes.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DownloadEvent {
    /// The hub answered; the transfer starts (`resumed_from` > 0 when a part was kept).
    Started {
        /// The file's size.
        total: u64,
        /// Bytes already on disk from an earlier attempt.
        resumed_from: u64,
    },
    /// Bytes arrived.
    Progress(Progress),
    /// The connection dropped; resuming.
    Retrying {
        /// Attempt number.
        attempt: usize,
        /// What went wrong.
        reason: String,
    },
    /// Checking the checksum and header.
    Verifying,
}

/// Where a download stands, as a progress bar shows it: the events folded
/// into one record (the desktop's `kubeask://download`).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(rename = "DownloadProgress")]
pub struct DownloadStatus {
    /// The catalog id.
    pub id: String,
    /// Running, verifying, or how it ended.
    pub state: DownloadState,
    /// Bytes on disk so far.
    #[ts(type = "number")]
    pub downloaded: u64,
    /// The file's size (0 until the hub says).
    #[ts(type = "number")]
    pub total: u64,
    /// Current speed, bytes/s.
    pub bytes_per_sec: f64,
    /// Seconds left at the current speed.
    pub eta_secs: Option<f64>,
    /// Why it is retrying, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub message: Option<String>,
}

/// A download's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    /// Bytes are arriving (or about to).
    Running,
    /// Checking the checksum and header.
    Verifying,
    /// Installed.
    Done,
    /// Stopped by the user; the part is kept for a resume.
    Cancelled,
    /// Failed (`message` says why).
    Error,
}

impl DownloadStatus {
    /// A download of `id` that has not started.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            state: DownloadState::Running,
            downloaded: 0,
            total: 0,
            bytes_per_sec: 0.0,
            eta_secs: None,
            message: None,
        }
    }

    /// Folds in an event.
    pub fn update(&mut self, ev: &DownloadEvent) -> &Self {
        match ev {
            DownloadEvent::Started { total, resumed_from } => {
                (self.total, self.downloaded) = (*total, *resumed_from);
            }
            DownloadEvent::Progress(p) => {
                (self.downloaded, self.total, self.bytes_per_sec, self.eta_secs) =
                    (p.downloaded, p.total, p.bytes_per_sec, p.eta_secs);
                self.message = None;
            }
            DownloadEvent::Retrying { reason, .. } => self.message = Some(reason.clone()),
            DownloadEvent::Verifying => self.state = DownloadState::Verifying,
        }
        self
    }

    /// Folds in how it ended.
    pub fn finish(&mut self, result: &Result<Installed, DownloadError>) -> &Self {
        match result {
            Ok(done) => {
                (self.state, self.downloaded, self.total, self.eta_secs) =
                    (DownloadState::Done, done.size, done.size, Some(0.0));
            }
            Err(DownloadError::Cancelled) => self.state = DownloadState::Cancelled,
            Err(e) => (self.state, self.message) = (DownloadState::Error, Some(e.to_string())),
        }
        self
    }
}

/// A verified, installed download.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Installed {
    /// Where it is.
    pub path: PathBuf,
    /// Repository.
    pub repo: String,
    /// File.
    pub file: String,
    /// The commit the hub served.
    pub commit: String,
    /// Size, bytes.
    pub size: u64,
    /// The file's sha256.
    pub sha256: String,
    /// What the sha256 was checked against: `catalog`, `hub X-Linked-Etag`,
    /// or `unverified` when neither gave one.
    pub verified_against: String,
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The hub could not be reached or refused.
    #[error("cannot reach the model hub at {endpoint}: {reason} (offline? import a .gguf file instead: kubeask models import FILE)")]
    Network {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// The repository or file does not exist.
    #[error("{repo} has no file {file} at {revision}")]
    NotFound {
        /// Repository.
        repo: String,
        /// File.
        file: String,
        /// Revision.
        revision: String,
    },
    /// Not enough disk space.
    #[error(
        "not enough disk space in {dir}: the download needs {needed_mb} MB more and {available_mb} MB are free; \
         free some space or choose a smaller model"
    )]
    DiskFull {
        /// The models folder.
        dir: String,
        /// Bytes still to download (plus a margin), MB.
        needed_mb: u64,
        /// Free, MB.
        available_mb: u64,
    },
    /// The downloaded bytes are not the file the hub describes.
    #[error(
        "the download of {file} is corrupt: its sha256 is {actual} but {checked_against} says {expected}; \
         nothing was installed, try again"
    )]
    ChecksumMismatch {
        /// File.
        file: String,
        /// Expected sha256.
        expected: String,
        /// Actual sha256.
        actual: String,
        /// Where the expected one came from.
        checked_against: String,
    },
    /// The file arrived whole but is not a usable model.
    #[error("{0}; nothing was installed")]
    Invalid(String),
    /// Cancelled (the part is kept for a later resume).
    #[error("download cancelled; run it again to resume")]
    Cancelled,
    /// The same file is being downloaded already (another window or process).
    #[error("{file} is already being downloaded; wait for that download to finish")]
    Busy {
        /// The file.
        file: String,
    },
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io { path: path.display().to_string(), source }
}

/// What the sidecar of a part file remembers, so a resume continues the same
/// bytes (a new commit on the hub restarts from zero).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct PartInfo {
    etag: String,
    size: u64,
    commit: String,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn api() -> Result<Api, DownloadError> {
    ApiBuilder::from_env()
        .with_progress(false)
        .build()
        .map_err(|e| DownloadError::Network { endpoint: endpoint(), reason: e.to_string() })
}

fn endpoint() -> String {
    std::env::var("HF_ENDPOINT").unwrap_or_else(|_| "https://huggingface.co".into())
}

/// Downloads `req` into `models_dir`, verified, reporting progress; stops
/// with [`DownloadError::Cancelled`] soon after `cancel` is set.
#[tracing::instrument(skip_all, fields(repo = %req.repo, file = %req.file))]
pub async fn download(
    models_dir: &Path,
    req: &DownloadRequest,
    cancel: &AtomicBool,
    mut on_event: impl FnMut(DownloadEvent) + Send,
) -> Result<Installed, DownloadError> {
    let api = api()?;
    let repo = api.repo(Repo::with_revision(req.repo.clone(), hf_hub::RepoType::Model, req.revision.clone()));
    let url = repo.url(&req.file);
    let meta = api.metadata(&url).await.map_err(|e| {
        let reason = e.to_string();
        if reason.contains("404") {
            DownloadError::NotFound { repo: req.repo.clone(), file: req.file.clone(), revision: req.revision.clone() }
        } else {
            DownloadError::Network { endpoint: endpoint(), reason }
        }
    })?;
    let total = meta.size() as u64;
    let hub_etag = meta.etag().to_string();
    let (expected, source) = match (&req.sha256, is_sha256(&hub_etag)) {
        (Some(s), _) => (Some(s.to_lowercase()), "catalog"),
        (None, true) => (Some(hub_etag.to_lowercase()), "hub X-Linked-Etag"),
        (None, false) => (None, "unverified"),
    };

    let partial_dir = models_dir.join(".partial");
    std::fs::create_dir_all(&partial_dir).map_err(io_err(&partial_dir))?;
    let part = partial_dir.join(format!("{}.part", req.file));
    let sidecar = partial_dir.join(format!("{}.part.json", req.file));
    let info = PartInfo { etag: hub_etag.clone(), size: total, commit: meta.commit_hash().to_string() };
    let same = std::fs::read(&sidecar).ok().and_then(|b| serde_json::from_slice::<PartInfo>(&b).ok()) == Some(info);
    let mut have = if same { std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) } else { 0 };
    if have > total {
        have = 0;
    }
    if have == 0 {
        let _ = std::fs::remove_file(&part);
        let info = PartInfo { etag: hub_etag.clone(), size: total, commit: meta.commit_hash().to_string() };
        std::fs::write(&sidecar, serde_json::to_vec(&info).expect("plain struct")).map_err(io_err(&sidecar))?;
    }

    let needed = total - have + DISK_MARGIN;
    if let Some(free) = free_disk_bytes(models_dir) {
        if free < needed {
            return Err(DownloadError::DiskFull {
                dir: models_dir.display().to_string(),
                needed_mb: needed / 1_000_000,
                available_mb: free / 1_000_000,
            });
        }
    }

    // The hash covers the bytes already on disk, then the new ones.
    let mut hasher = Sha256::new();
    if have > 0 {
        let mut f = std::fs::File::open(&part).map_err(io_err(&part))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut left = have;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = f.read(&mut buf[..want]).map_err(io_err(&part))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    on_event(DownloadEvent::Started { total, resumed_from: have });

    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&part).map_err(io_err(&part))?;
    // One writer per part file: a second download of the same file waits
    // for nothing and says so (the lock goes with the handle, even on a crash).
    if let Err(e) = file.try_lock() {
        return match e {
            std::fs::TryLockError::WouldBlock => Err(DownloadError::Busy { file: req.file.clone() }),
            std::fs::TryLockError::Error(e) => Err(io_err(&part)(e)),
        };
    }
    // Resumes after a dropped connection wait longer each time (with
    // jitter, so many clients do not come back at once), MAX_RESUMES at most.
    use backon::BackoffBuilder;
    let mut waits = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(10))
        .with_max_times(MAX_RESUMES)
        .with_jitter()
        .build();
    let mut attempt = 0;
    let mut speed = Speed::new(have);
    while have < total {
        if cancel.load(Ordering::SeqCst) {
            return Err(DownloadError::Cancelled);
        }
        match fetch_range(&api, &url, have, total, &mut file, &mut hasher, cancel, &part, &mut |n| {
            have = n;
            if let Some(p) = speed.tick(n, total) {
                on_event(DownloadEvent::Progress(p));
            }
        })
        .await
        {
            Ok(n) => have = n,
            Err(Fetch::Cancelled) => return Err(DownloadError::Cancelled),
            Err(Fetch::Fatal(e)) => return Err(e),
            Err(Fetch::Dropped(reason, n)) => {
                have = n;
                attempt += 1;
                let Some(wait) = waits.next() else {
                    return Err(DownloadError::Network { endpoint: endpoint(), reason });
                };
                tracing::warn!(attempt, %reason, at = have, ?wait, "download interrupted; resuming");
                on_event(DownloadEvent::Retrying { attempt, reason });
                tokio::time::sleep(wait).await;
            }
        }
    }
    file.sync_all().map_err(io_err(&part))?;
    drop(file);
    on_event(DownloadEvent::Progress(Progress {
        downloaded: total,
        total,
        bytes_per_sec: speed.rate,
        eta_secs: Some(0.0),
    }));
    on_event(DownloadEvent::Verifying);

    let actual = format!("{:x}", hasher.finalize());
    let discard = || {
        let _ = std::fs::remove_file(&part);
        let _ = std::fs::remove_file(&sidecar);
    };
    if let Some(expected) = &expected {
        if *expected != actual {
            discard();
            return Err(DownloadError::ChecksumMismatch {
                file: req.file.clone(),
                expected: expected.clone(),
                actual,
                checked_against: source.to_string(),
            });
        }
    }
    if let Err(e) = crate::gguf::validate(&part) {
        discard();
        return Err(DownloadError::Invalid(e.to_string()));
    }
    let dest = models_dir.join(&req.file);
    std::fs::rename(&part, &dest).map_err(io_err(&dest))?;
    let _ = std::fs::remove_file(&sidecar);
    let installed = Installed {
        path: dest.clone(),
        repo: req.repo.clone(),
        file: req.file.clone(),
        commit: meta.commit_hash().to_string(),
        size: total,
        sha256: actual,
        verified_against: source.to_string(),
    };
    let record = models_dir.join(format!("{}.verified.json", req.file));
    std::fs::write(&record, serde_json::to_vec_pretty(&installed).expect("plain struct")).map_err(io_err(&record))?;
    tracing::info!(path = %dest.display(), verified_against = source, "model downloaded");
    Ok(installed)
}

enum Fetch {
    Cancelled,
    Dropped(String, u64),
    Fatal(DownloadError),
}

#[allow(clippy::too_many_arguments)]
async fn fetch_range(
    api: &Api,
    url: &str,
    from: u64,
    total: u64,
    file: &mut std::fs::File,
    hasher: &mut Sha256,
    cancel: &AtomicBool,
    part: &Path,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, Fetch> {
    let resp = api
        .client()
        .get(url)
        .header(reqwest::header::RANGE, format!("bytes={from}-"))
        .send()
        .await
        .map_err(|e| Fetch::Dropped(e.to_string(), from))?;
    let status = resp.status();
    if status.as_u16() == 404 {
        return Err(Fetch::Fatal(DownloadError::Network { endpoint: endpoint(), reason: format!("{url}: 404") }));
    }
    if !status.is_success() {
        return Err(Fetch::Dropped(format!("{url}: HTTP {status}"), from));
    }
    if from > 0 && status.as_u16() != 206 {
        return Err(Fetch::Fatal(DownloadError::Network {
            endpoint: endpoint(),
            reason: "the server does not support resuming (no Range support); delete the partial download and retry"
                .into(),
        }));
    }
    let mut have = from;
    let mut stream = resp.bytes_stream();
    let stall = stall_after();
    let mut last_byte = Instant::now();
    loop {
        if cancel.load(Ordering::SeqCst) {
            let _ = file.flush();
            return Err(Fetch::Cancelled);
        }
        // Poll with a timeout so a cancel is seen even on a stalled connection.
        let next = match tokio::time::timeout(Duration::from_millis(250), stream.next()).await {
            Err(_) if last_byte.elapsed() >= stall => {
                let _ = file.flush();
                return Err(Fetch::Dropped(format!("no data for {} s (stalled)", stall.as_secs_f64()), have));
            }
            Err(_) => continue,
            Ok(n) => n,
        };
        last_byte = Instant::now();
        match next {
            None => break,
            Some(Ok(bytes)) => {
                let take = bytes.len().min((total - have) as usize);
                file.write_all(&bytes[..take]).map_err(|e| Fetch::Fatal(io_err(part)(e)))?;
                hasher.update(&bytes[..take]);
                have += take as u64;
                progress(have);
            }
            Some(Err(e)) => {
                let _ = file.flush();
                return Err(Fetch::Dropped(e.to_string(), have));
            }
        }
    }
    if have < total {
        return Err(Fetch::Dropped(format!("the connection closed at {have} of {total} bytes"), have));
    }
    Ok(have)
}

/// Speed over a sliding second, reported at most ~10 times a second.
struct Speed {
    window_start: Instant,
    window_bytes: u64,
    last_report: Instant,
    last: u64,
    rate: f64,
}

impl Speed {
    fn new(start: u64) -> Self {
        let now = Instant::now();
        Self { window_start: now, window_bytes: 0, last_report: now - Duration::from_secs(1), last: start, rate: 0.0 }
    }

    fn tick(&mut self, now_bytes: u64, total: u64) -> Option<Progress> {
        self.window_bytes += now_bytes - self.last;
        self.last = now_bytes;
        let elapsed = self.window_start.elapsed().as_secs_f64();
        if elapsed >= 0.5 {
            let r = self.window_bytes as f64 / elapsed;
            self.rate = if self.rate == 0.0 { r } else { 0.7 * self.rate + 0.3 * r };
            self.window_start = Instant::now();
            self.window_bytes = 0;
        }
        if self.last_report.elapsed() < Duration::from_millis(100) && now_bytes < total {
            return None;
        }
        self.last_report = Instant::now();
        let eta = (self.rate > 0.0).then(|| (total - now_bytes) as f64 / self.rate);
        Some(Progress { downloaded: now_bytes, total, bytes_per_sec: self.rate, eta_secs: eta })
    }
}
