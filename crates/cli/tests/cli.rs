//! End-to-end tests of the `kubeask` binary: `ask` and `serve` against the
//! demo server, graded like the benchmark.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::Fixture;

#[path = "../../agent/tests/agent/grading.rs"]
mod grading;

use grading::{grade, history_questions, paraphrases, questions, verdict, Verdict};

#[path = "../../agent/tests/agent/planted.rs"]
mod planted;

async fn demo(dir: &tempfile::TempDir) -> DemoServer {
    let mut opts = DemoOptions::new(Fixture::builtin());
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    DemoServer::start(opts).await.unwrap()
}

fn kubeask(dir: &tempfile::TempDir, kubeconfig: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubeask"));
    c.env("KUBECONFIG", kubeconfig).env("HOME", dir.path()).env("XDG_DATA_HOME", dir.path().join("data"));
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeask_ask_answers_every_sample_question() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let mut failures = Vec::new();
    for q in questions() {
        let out = tokio::task::spawn_blocking({
            let mut cmd = kubeask(&dir, &kc);
            cmd.args(["ask", "--json", &q.query]);
            move || cmd.output().unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}: {}", q.id, String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let short = v["short"].as_str().unwrap_or_default();
        if !grade(&q, short) {
            failures.push(format!("{}: {:?} -> {short:?}", q.id, q.query));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // What `ask` wrote (the query log) is private to the user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let data = dir.path().join("data/kubeask");
        assert_eq!(mode(&data), 0o700, "data folder");
        assert_eq!(mode(&data.join("logs")), 0o700, "log folder");
        assert_eq!(mode(&data.join("logs/kubeask.log")), 0o600, "query log");
    }
    server.stop().await;
}

fn post(port: u16, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn post_query_answers_every_sample_question_and_logs_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("agent.log");
    let child = kubeask(&dir, server.kubeconfig_path())
        .args(["serve", "--port", &port.to_string(), "--log-file", log.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Killed(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "serve did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    })
    .await
    .unwrap();
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let mut failures = Vec::new();
    for q in questions() {
        let body = serde_json::json!({"query": q.query}).to_string();
        let (code, resp) = tokio::task::spawn_blocking(move || post(port, "/query", &body)).await.unwrap();
        assert_eq!(code, 200, "{resp}");
        let v: serde_json::Value = serde_json::from_str(&resp).unwrap();
        assert_eq!(v["query"], q.query.as_str());
        if !grade(&q, v["answer"].as_str().unwrap_or_default()) {
            failures.push(format!("{}: {:?} -> {}", q.id, q.query, v["answer"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The paraphrase set through the HTTP API: declines allowed, wrong answers not.
    let (mut right, mut wrong) = (0, Vec::new());
    for q in paraphrases() {
        let body = serde_json::json!({"query": q.query}).to_string();
        let (code, resp) = tokio::task::spawn_blocking(move || post(port, "/query", &body)).await.unwrap();
        assert_eq!(code, 200, "{resp}");
        let v: serde_json::Value = serde_json::from_str(&resp).unwrap();
        match verdict(&q, v["answer"].as_str().unwrap_or_default()) {
            Verdict::Right => right += 1,
            Verdict::Declined => {}
            Verdict::Wrong => wrong.push(format!("{}: {:?} -> {}", q.id, q.query, v["answer"])),
        }
    }
    println!("POST /query paraphrases: {right} right, {} wrong", wrong.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (code, resp) = tokio::task::spawn_blocking(move || post(port, "/query", "{not json")).await.unwrap();
    assert_eq!(code, 400, "{resp}");
    let (code, resp) = tokio::task::spawn_blocking(move || post(port, "/query", "{\"query\": \"\"}")).await.unwrap();
    assert_eq!(code, 400);
    assert!(resp.contains("EMPTY_QUESTION"));
    let (code, resp) =
        tokio::task::spawn_blocking(move || post(port, "/v1/ask", "{\"question\": \"which node is mongodb-0 on\"}"))
            .await
            .unwrap();
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&resp).unwrap();
    assert!(v["evidence"].as_array().is_some_and(|e| !e.is_empty()) && v["mode"] == "direct", "{v}");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("how many pods are in the shop namespace") && logged.contains("answer"),
        "agent.log lacks the queries:\n{logged}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeask_diagnose_json_lists_the_planted_problems_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let out = tokio::task::spawn_blocking({
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(["diagnose", "--json"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let titles: Vec<String> = findings.iter().map(|f| format!("{} {}", f["object"]["name"], f["title"])).collect();
    for want in [
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "OOMKilled",
        "Insufficient cpu",
        "NotReady",
        "BackoffLimitExceeded",
        "suspended",
        "PVC Pending",
        "no pods match",
        "maximum",
    ] {
        assert!(titles.iter().any(|t| t.contains(want)), "no finding mentions {want}: {titles:#?}");
    }
    assert_eq!(findings[0]["severity"], "critical");
    assert!(findings.iter().all(|f| f["kubectl"].as_array().is_some_and(|k| !k.is_empty())));
    let only_data = tokio::task::spawn_blocking({
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(["diagnose", "--json", "-n", "data"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let data: Vec<serde_json::Value> = serde_json::from_slice(&only_data.stdout).unwrap();
    assert!(!data.is_empty() && data.iter().all(|f| f["object"]["namespace"] == "data"));
    server.stop().await;
}

fn raw(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let code = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, resp)
}

fn start_serve(dir: &tempfile::TempDir, kubeconfig: &std::path::Path, extra: &[&str]) -> (Killed, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("agent.log");
    let child = kubeask(dir, kubeconfig)
        .args(["serve", "--port", &port.to_string(), "--log-file", log.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Killed(child), port)
}

/// Other software on the machine, and web pages in its browser, can reach a
/// loopback API: requests for another Host (DNS rebinding), from a page
/// (Origin), or not JSON (a blind form post) are refused before anything
/// runs; long questions are refused before they are logged; a newline in a
/// question cannot forge a log line; a non-loopback bind needs a token.
#[tokio::test(flavor = "multi_thread")]
async fn the_http_api_refuses_rebinding_cross_origin_and_blind_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let (guard, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &[]));
    let body = r#"{"query": "how many nodes are there?"}"#;
    let req = |host: &str, extra: &str, ctype: &str, body: &str| {
        format!(
            "POST /query HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let call = move |r: String| tokio::task::spawn_blocking(move || raw(port, &r));
    let (code, resp) = call(req(&format!("127.0.0.1:{port}"), "", "application/json", body)).await.unwrap();
    assert_eq!(code, 200, "{resp}");
    let (code, resp) = call(req("evil.example", "", "application/json", body)).await.unwrap();
    assert_eq!(code, 403, "{resp}");
    assert!(resp.contains("FORBIDDEN_HOST"));
    let (code, resp) =
        call(req("localhost", "Origin: http://evil.example\r\n", "application/json", body)).await.unwrap();
    assert_eq!(code, 403, "{resp}");
    let (code, resp) = call(req("localhost", "", "text/plain", body)).await.unwrap();
    assert_eq!(code, 415, "{resp}");
    let long = format!(r#"{{"query": "{}LONGMARKER"}}"#, "a".repeat(4001));
    let (code, resp) = call(req("localhost", "", "application/json", &long)).await.unwrap();
    assert_eq!(code, 400, "{resp}");
    assert!(resp.contains("QUESTION_TOO_LONG"));
    let forged = r#"{"query": "how many pods?\nINFO forged line"}"#;
    let (code, _) = call(req("localhost", "", "application/json; charset=utf-8", forged)).await.unwrap();
    assert_eq!(code, 200);
    drop(guard);
    let logged = std::fs::read_to_string(dir.path().join("agent.log")).unwrap_or_default();
    assert!(!logged.contains("LONGMARKER"), "a refused question was logged");
    assert!(!logged.lines().any(|l| l.starts_with("INFO forged line")), "a question forged a log line:\n{logged}");

    // Beyond loopback: refused without a token; with one, every request needs it.
    let out = kubeask(&dir, &kc).args(["serve", "--bind", "0.0.0.0", "--port", "1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"), "{}", String::from_utf8_lossy(&out.stderr));
    let (guard, port) =
        tokio::task::block_in_place(|| start_serve(&dir, &kc, &["--bind", "127.0.0.1", "--token", "s3cret-t0ken"]));
    let call = move |r: String| tokio::task::spawn_blocking(move || raw(port, &r));
    let (code, _) = call(req("localhost", "", "application/json", body)).await.unwrap();
    assert_eq!(code, 401);
    let (code, resp) =
        call(req("localhost", "Authorization: Bearer s3cret-t0ken\r\n", "application/json", body)).await.unwrap();
    assert_eq!(code, 200, "{resp}");
    // A slowloris client (headers never finished) is dropped.
    let t = Instant::now();
    let closed = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"POST /query HTTP/1.1\r\nHost: localhost\r\n").unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).is_ok()
    })
    .await
    .unwrap();
    println!("a slowloris connection was held {:.1} s", t.elapsed().as_secs_f64());
    assert!(closed && t.elapsed() < Duration::from_secs(25), "the half-sent request held its connection");
    drop(guard);
    server.stop().await;
}

/// A client that closes its connection before the answer cancels the
/// question: the handler is dropped, the cancel reaches the model loop, and
/// the log says so (the engine side — a dropped generation stops within a
/// token — is tested in the engine's own tests).
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_query_cancels_its_question() {
    let gemma = kubeask_paths::test_gemma();
    assert!(gemma.is_file(), "{} is missing: run scripts/setup.sh --test", gemma.display());
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let (guard, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &["--model", gemma.to_str().unwrap()]));
    // A question direct mode passes to the model (seconds of work for Gemma
    // on two cores), abandoned after a second.
    let body = r#"{"query": "tell me a story about the cluster's feelings"}"#;
    let request = format!(
        "POST /query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_secs(1));
        s.shutdown(std::net::Shutdown::Both).unwrap();
    })
    .await
    .unwrap();
    let log = dir.path().join("agent.log");
    let t = Instant::now();
    let logged = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("cancelled: the client went away") || t.elapsed() > Duration::from_secs(20) {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("the dropped question was cancelled {:.2} s after the client left", t.elapsed().as_secs_f64());
    assert!(logged.contains("cancelled: the client went away"), "no cancel logged:\n{logged}");
    assert!(!logged.contains("answer="), "the abandoned question was answered anyway:\n{logged}");
    drop(guard);
    server.stop().await;
}

#[path = "../../agent/tests/agent/hung.rs"]
mod hung;

/// `--all-contexts` with one context that never answers: the healthy one is
/// answered, the hung one reported as not answering within the deadline.
#[tokio::test(flavor = "multi_thread")]
async fn all_contexts_answers_the_healthy_context_and_reports_the_hung_one_within_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let (port, listener) = hung::hung_listener().await;
    let kc = dir.path().join("two.yaml");
    hung::with_hung_context(server.kubeconfig_path(), port, &kc);
    let t = Instant::now();
    let out = tokio::task::spawn_blocking({
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(["ask", "--all-contexts", "--deadline", "4", "--json", "how many nodes are there?"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!("--all-contexts with a hung context: {secs:.1} s");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    let healthy = items.iter().find(|i| i["context"] != "hung").unwrap();
    assert_eq!(healthy["answer"]["short"], "3", "{v}");
    let hung = items.iter().find(|i| i["context"] == "hung").unwrap();
    assert_eq!(hung["error"]["code"], "CLUSTER_UNREACHABLE", "{v}");
    assert!(secs < 15.0, "took {secs:.1} s");
    listener.abort();
    server.stop().await;
}

/// A damaged conversation store costs the conversation, never the answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_sessions_file_still_answers_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let store = dir.path().join("data/kubeask/sessions.sqlite");
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    std::fs::write(&store, b"this is not a SQLite database, it is garbage\n".repeat(100)).unwrap();
    let out = tokio::task::spawn_blocking({
        let mut cmd = kubeask(&dir, server.kubeconfig_path());
        cmd.args(["ask", "--session", "s1", "how many nodes are there?"]);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().next(), Some("3"), "{stdout}");
    assert!(stderr.contains("warning") || stdout.contains("not saved"), "no warning: {stdout}\n{stderr}");
    server.stop().await;
}

/// `kubeask act` as a script runs it: without `--yes` and without a
/// terminal nothing is applied; `--dry-run` changes nothing; `--yes`
/// applies and kubectl sees it; `kubeask audit --json` holds the entry;
/// `act undo ID --yes` puts it back.
#[tokio::test(flavor = "multi_thread")]
async fn act_plans_applies_with_yes_and_undoes_and_audit_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let run = |args: &[&str]| {
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(args).stdin(Stdio::null());
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let kubectl_replicas = |name: &str, ns: &str| {
        let out = Command::new("kubectl")
            .args(["get", "deployment", name, "-n", ns, "-o", "jsonpath={.spec.replicas}"])
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let d = Fixture::builtin()
        .objects
        .into_iter()
        .find(|o| o.kind == "Deployment" && o.value.pointer("/spec/replicas").and_then(|r| r.as_i64()) == Some(2))
        .unwrap();
    let (name, ns) = (
        d.value["metadata"]["name"].as_str().unwrap().to_string(),
        d.value["metadata"]["namespace"].as_str().unwrap().to_string(),
    );
    let target = format!("deployment/{name}");
    let act = |extra: &[&str]| {
        let mut a = vec!["act", "scale", target.as_str(), "-n", ns.as_str(), "--replicas", "3"];
        a.extend_from_slice(extra);
        run(&a)
    };

    let (ok, out, _) = act(&["--dry-run"]);
    assert!(ok && out.contains("spec.replicas: 2 → 3") && out.contains("may patch deployments"), "{out}");
    let (ok, _, err) = act(&[]);
    assert!(!ok && err.contains("--yes"), "{err}");
    assert_eq!(kubectl_replicas(&name, &ns), "2", "nothing applied without a confirmation");

    let (ok, out, err) = act(&["--yes", "--json"]);
    assert!(ok, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["applied"]["converged"], true, "{v}");
    let id = v["applied"]["audit_id"].as_i64().unwrap();
    assert_eq!(kubectl_replicas(&name, &ns), "3");

    let (ok, out, _) = run(&["audit", "--json"]);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(ok && log[0]["id"] == id && log[0]["step"] == "applied", "{log}");
    assert_eq!(log[0]["diff"][0]["path"], "spec.replicas");

    let (ok, out, err) = run(&["act", "undo", &id.to_string(), "--yes"]);
    assert!(ok && out.contains("Done"), "{out}{err}");
    assert_eq!(kubectl_replicas(&name, &ns), "2");
    let (ok, _, err) = run(&["act", "undo", &id.to_string(), "--yes"]);
    assert!(!ok && err.contains("undone already"), "{err}");
    server.stop().await;
}

fn post_auth(port: u16, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let (code, resp) = raw(
        port,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    (code, resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// The HTTP API changes nothing unless started with --allow-actions (and
/// then only with its token): plan, then apply that plan by id.
#[tokio::test(flavor = "multi_thread")]
async fn http_actions_are_off_by_default_and_apply_only_a_planned_id_with_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let d = Fixture::builtin()
        .objects
        .into_iter()
        .find(|o| o.kind == "Deployment" && o.value.pointer("/spec/replicas").and_then(|r| r.as_i64()) == Some(2))
        .unwrap();
    let (name, ns) =
        (d.value["metadata"]["name"].as_str().unwrap(), d.value["metadata"]["namespace"].as_str().unwrap());
    let action = format!(
        r#"{{"action": {{"action": "scale", "target": {{"kind": "deployment", "namespace": "{ns}", "name": "{name}"}}, "replicas": 3}}}}"#
    );
    {
        let (_off, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &[]));
        let (code, body) = post_auth(port, "/v1/actions/plan", &action, None);
        assert_eq!(code, 403, "{body}");
        assert!(body.contains("ACTIONS_OFF"), "{body}");
    }
    let out = kubeask(&dir, &kc).args(["serve", "--allow-actions", "--port", "1"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--token"));

    let (_on, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &["--allow-actions", "--token", "s3cret"]));
    let (code, _) = post_auth(port, "/v1/actions/plan", &action, None);
    assert_eq!(code, 401, "no token, no plan");
    let (code, body) = post_auth(port, "/v1/actions/plan", &action, Some("s3cret"));
    assert_eq!(code, 200, "{body}");
    let plan: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(plan["diff"][0]["path"], "spec.replicas");
    let (code, body) = post_auth(port, "/v1/actions/apply", r#"{"plan_id": "not-a-plan"}"#, Some("s3cret"));
    assert_eq!(code, 404, "{body}");
    let apply = format!(r#"{{"plan_id": "{}"}}"#, plan["id"].as_str().unwrap());
    let (code, body) = post_auth(port, "/v1/actions/apply", &apply, Some("s3cret"));
    assert_eq!(code, 200, "{body}");
    let replicas = Command::new("kubectl")
        .args(["get", "deployment", name, "-n", ns, "-o", "jsonpath={.spec.replicas}"])
        .env("KUBECONFIG", &kc)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&replicas.stdout), "3");
    server.stop().await;
}

/// `kubeask diagnose --security --json`: the analyzers' finding shape plus
/// each check's id and control, worst first; what is not checked is said.
#[tokio::test(flavor = "multi_thread")]
async fn diagnose_security_lists_findings_with_their_controls() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let out =
        tokio::task::block_in_place(|| kubeask(&dir, &kc).args(["diagnose", "--security", "--json"]).output().unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!found.is_empty());
    assert!(found.iter().all(|f| f["check"].is_string() && f["control"].is_string() && f["evidence"].is_array()));
    assert_eq!(found[0]["severity"], "critical");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not checked"), "every kind is readable here");
    server.stop().await;

    // A user who may not list ClusterRoleBindings: that check is "not
    // checked", and no binding is reported either way.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap();
    let mut f = Fixture::load_dir(&std::path::Path::new(&manifest).join("../../tests/fixtures/posture")).unwrap();
    f.rbac = Some(
        serde_yaml::from_str("rules:\n- verbs: [list, watch]\n  resources: [clusterrolebindings]\n  allowed: false\n")
            .unwrap(),
    );
    let mut opts = DemoOptions::new(f);
    opts.kubeconfig_path = Some(dir.path().join("posture-kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let kc = server.kubeconfig_path().to_path_buf();
    let out =
        tokio::task::block_in_place(|| kubeask(&dir, &kc).args(["diagnose", "--security", "--json"]).output().unwrap());
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let checks: Vec<&str> = found.iter().filter_map(|f| f["check"].as_str()).collect();
    assert!(checks.contains(&"rbac-wildcard") && !checks.contains(&"cluster-admin-binding"), "{checks:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not checked: cluster-admin bindings (ClusterRoleBinding: forbidden"), "{stderr}");
    server.stop().await;
}

/// Every face, one canary: a cluster with planted secrets is asked the
/// why / logs / events / env / describe questions through `kubeask ask`
/// (in a saved conversation), `POST /query` and `/v1/ask` as server-sent
/// events, and diagnosed with `--json`; no output, no log line and no byte
/// of any file the CLI wrote (query log, sessions.sqlite, the API's log)
/// holds a planted value.
#[tokio::test(flavor = "multi_thread")]
async fn planted_secrets_never_leave_through_any_face_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(planted::planted(Fixture::builtin()));
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let kc = server.kubeconfig_path().to_path_buf();
    let mut seen = String::new();
    let mut run = |args: Vec<String>| {
        let out = kubeask(&dir, &kc).args(&args).output().unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    };
    tokio::task::block_in_place(|| {
        for q in planted::QUESTIONS {
            run(vec!["ask".into(), "--json".into(), "--session".into(), "canary".into(), q.to_string()]);
        }
        run(vec!["diagnose".into(), "--json".into()]);
    });
    let (guard, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &[]));
    for q in planted::QUESTIONS {
        let post = |path: &str, body: String, accept: &str| {
            format!(
                "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let query = post("/query", serde_json::json!({"query": q}).to_string(), "application/json");
        let sse = post("/v1/ask", serde_json::json!({"question": q}).to_string(), "text/event-stream");
        for r in [query, sse] {
            let (code, resp) = tokio::task::spawn_blocking(move || raw(port, &r)).await.unwrap();
            assert_eq!(code, 200, "{resp}");
            seen.push_str(&resp);
        }
    }
    assert!(seen.contains("event: final"), "the SSE stream ran to its final event");
    drop(guard);
    // Every file the CLI and the API wrote, byte for byte.
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "kubeconfig") {
                files.push(p);
            }
        }
    }
    let mut written = String::new();
    for f in &files {
        written.push_str(&String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()));
    }
    let names: Vec<String> = files.iter().filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into())).collect();
    assert!(names.iter().any(|n| n.starts_with("sessions.sqlite")), "a conversation was saved: {names:?}");
    assert!(names.iter().any(|n| n == "kubeask.log") && names.iter().any(|n| n == "agent.log"), "{names:?}");
    let (out, disk) = (planted::hits(&seen), planted::hits(&written));
    println!(
        "canary hits: {} in the outputs of {} questions x 3 faces + diagnose, {} in {} files written ({:?})",
        out.len(),
        planted::QUESTIONS.len(),
        disk.len(),
        files.len(),
        names
    );
    assert!(out.is_empty(), "planted secrets came back: {out:?}");
    assert!(disk.is_empty(), "planted secrets were written to disk: {disk:?}");
    assert!(seen.contains("postgres://app:****@db"), "the crash reason is still shown, masked");
    server.stop().await;
}

/// `kubeask cost` at default list prices says so; a cost question is
/// declined until the user sets prices, then answered with the same figure
/// `kubeask cost` shows; a broken price file is an error naming it.
#[tokio::test(flavor = "multi_thread")]
async fn cost_is_estimated_at_defaults_and_answered_only_at_your_prices() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let run = |args: &[&str]| {
        let out = kubeask(&dir, &kc).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    tokio::task::block_in_place(|| {
        let (ok, out, err) = run(&["cost", "--json"]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["your_prices"], false);
        assert!(v["report"]["basis"].as_str().unwrap().contains("default list prices"));
        let q = "how much does the shop namespace cost per month?";
        let (_, out, _) = run(&["ask", "--json", q]);
        let a: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(a["short"].as_str().unwrap().contains("no pricing"), "declined without prices: {a}");

        let prices = dir.path().join("data/kubeask/prices.json");
        std::fs::write(&prices, r#"{"default": {"cpu_core_hour": 0.05, "memory_gib_hour": 0.006}}"#).unwrap();
        let (ok, out, err) = run(&["cost", "--json"]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["your_prices"], true);
        let shop = v["report"]["allocations"].as_array().unwrap().iter().find(|a| a["name"] == "shop").unwrap();
        let want = format!("${:.2} a month", shop["total"].as_f64().unwrap());
        let (_, out, _) = run(&["ask", "--json", q]);
        let a: serde_json::Value = serde_json::from_str(&out).unwrap();
        println!("{q} -> {}", a["short"]);
        assert_eq!(a["short"], want.as_str());
        assert!(a["explanation"].as_str().unwrap().contains("your prices"));

        std::fs::write(&prices, "{not json").unwrap();
        let (ok, _, err) = run(&["cost"]);
        assert!(!ok && err.contains("prices.json"), "{err}");
    });
    server.stop().await;
}

/// `kubeask manifest check`: a new Deployment and Service pass strict
/// parsing and the API server's dry run (and come with their security
/// findings); a change to a live object shows only the fields it touches;
/// unknown fields, bad ports and missing images are refused before the
/// server is asked; what only the server knows (the namespace does not
/// exist) is reported with the server's message. Nothing is applied.
#[tokio::test(flavor = "multi_thread")]
async fn manifest_check_validates_locally_and_by_server_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let new = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports: [{containerPort: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 80}]\n";
    let check = |name: &str, text: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let out = kubeask(&dir, &kc).args(["manifest", "check", "--json", f.to_str().unwrap()]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.success(), v)
    };
    tokio::task::block_in_place(|| {
        let (ok, v) = check("new.yaml", new);
        assert!(ok, "{v}");
        let docs = v["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 2);
        assert!(docs.iter().all(|d| d["dry_run"]["result"] == "accepted" && d["dry_run"]["new"] == true), "{v}");
        assert!(docs[0]["object"]["findings"].as_array().unwrap().iter().any(|f| f["check"] == "run-as-root"));

        // The live checkout Deployment with a different readiness probe path.
        let live = std::process::Command::new("kubectl")
            .args(["--kubeconfig", kc.to_str().unwrap(), "get", "deploy", "checkout", "-n", "shop", "-o", "json"])
            .output()
            .unwrap();
        let mut d: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap();
        d.as_object_mut().unwrap().remove("status");
        for k in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "annotations"] {
            d["metadata"].as_object_mut().unwrap().remove(k);
        }
        d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/healthz".into();
        let (ok, v) = check("probe.json", &d.to_string());
        assert!(ok, "{v}");
        let changes = v["documents"][0]["dry_run"]["changes"].as_array().unwrap();
        assert!(!changes.is_empty(), "{v}");
        assert!(
            changes.iter().all(|c| c["path"].as_str().unwrap().contains("readinessProbe")),
            "only the probe changes: {changes:?}"
        );

        let bad = new
            .replace("replicas: 3", "replicas: 3\n  replicaz: 1")
            .replace("image: nginx:1.27", "imagePullPolicy: Always");
        let (ok, v) = check("bad.yaml", &bad);
        assert!(!ok);
        let errors = v["documents"][0]["object"]["errors"].to_string();
        assert!(errors.contains("unknown field spec.replicaz") && errors.contains("has no image"), "{errors}");
        assert_eq!(v["documents"][0]["dry_run"]["result"], "skipped");

        let (ok, v) = check("nowhere.yaml", &new.replace("namespace: shop", "namespace: nowhere"));
        assert!(!ok);
        let refused = v["documents"][0]["dry_run"]["message"].as_str().unwrap_or_default().to_string();
        println!("server refused: {refused}");
        assert!(refused.contains("nowhere") && refused.contains("not found"), "{v}");
    });
    // Written from flags (the form's path, no model): every object passes
    // the strict check and the dry run.
    let out = tokio::task::block_in_place(|| {
        kubeask(&dir, &kc)
            .args(["manifest", "new", "web2", "--image", "nginx:1.27", "--port", "80", "--service"])
            .args(["--ingress-host", "web2.example.com", "--hpa", "2-10@70", "--readiness-path", "/", "-n", "shop"])
            .output()
            .unwrap()
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches("the API server accepts it").count(), 4, "{text}");
    // "add a readiness probe to checkout", as a computed edit: the diff
    // touches only the probe.
    let out = tokio::task::block_in_place(|| {
        kubeask(&dir, &kc)
            .args(["manifest", "probe", "deployment/checkout", "--path", "/healthz", "-n", "shop"])
            .output()
            .unwrap()
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let changed: Vec<&str> = text.lines().filter(|l| l.contains(" → ")).collect();
    assert!(!changed.is_empty() && changed.iter().all(|l| l.contains("readinessProbe")), "{text}");
    // Nothing was applied.
    let out = std::process::Command::new("kubectl")
        .args(["--kubeconfig", kc.to_str().unwrap(), "get", "deploy", "web", "-n", "shop"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a checked manifest was applied");
    server.stop().await;
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (subject, seconds to the line) of every forecast that gets there.
fn etas(v: &serde_json::Value) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = v["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["eta"].is_null())
        .map(|f| (f["subject"].as_str().unwrap().to_string(), f["eta"]["secs"].as_f64().unwrap()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The same subjects, each within 10 minutes or 3% (the two runs' windows
/// end a few seconds apart).
fn same_etas(a: &[(String, f64)], b: &[(String, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() <= (0.03 * x.1).max(600.0))
}

fn verdicts(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                format!("{}/{}", s["namespace"].as_str().unwrap(), s["workload"].as_str().unwrap()),
                s["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn history_from_the_clusters_prometheus_and_from_own_samples_gives_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let run = |args: &[&str]| {
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(args);
        cmd.output().unwrap()
    };
    // The demo's Prometheus (the fixture's past, through the service proxy).
    let prom_forecast = json_of(&run(&["forecast", "--json"]));
    assert!(prom_forecast["source"].as_str().unwrap().contains("monitoring/prometheus"), "{prom_forecast}");
    let leak = etas(&prom_forecast);
    assert!(
        leak.iter().any(|(s, secs)| s.starts_with("payments-api-") && s.contains("x6t8p") && *secs <= 3600.0),
        "{leak:?}"
    );
    let spikes: Vec<&str> =
        prom_forecast["anomalies"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap()).collect();
    assert!(!spikes.is_empty() && spikes.iter().all(|s| s.starts_with("recommendations-")), "{spikes:?}");
    // The planted volume: data-mongodb-0, 82% full and growing, full in ~22 h.
    let vols = prom_forecast["volumes"].as_array().unwrap();
    let mongo = vols.iter().find(|v| v["claim"] == "data-mongodb-0").expect("the planted volume");
    let secs = mongo["eta"]["secs"].as_f64().unwrap();
    assert!((20.0 * 3600.0..24.0 * 3600.0).contains(&secs), "{mongo}");
    assert!(vols.iter().filter(|v| v["claim"] != "data-mongodb-0").all(|v| v["eta"].is_null()), "{vols:?}");
    let prom_sizes = json_of(&run(&["rightsize", "--json", "--since", "6h"]));
    let over = verdicts(&prom_sizes);
    assert!(over.contains(&("shop/Deployment/recommendations".into(), "over".into())), "{over:?}");
    // frontend's HPA sat at its maximum of 6 through the daily peak: raise it.
    let hpa = &prom_sizes["hpa"][0];
    assert_eq!((hpa["hpa"].as_str(), hpa["saturated"].as_bool()), (Some("frontend"), Some(true)), "{prom_sizes}");
    assert!(hpa["recommended_max"].as_i64().unwrap() > 6, "{hpa}");

    // The same past in Kubeask's own store, as the sampler would have kept it.
    let h = server.history().expect("the demo fixture has a past");
    let store = kubeask_cluster::history::HistoryStore::open(&dir.path().join("data/kubeask/history.sqlite")).unwrap();
    let now_rel = jiff::Timestamp::now().as_second() - h.origin + 60;
    let series =
        kubeask_cluster::demo::shapes::generate(&h.plan, &h.bases, h.origin, -h.plan.history_secs(), now_rel, 15);
    record_own_past(&store, &server, &series);
    drop(store);
    let own_forecast = json_of(&run(&["forecast", "--json", "--history", "own"]));
    assert_eq!(own_forecast["source"], "Kubeask's own samples");
    assert!(same_etas(&etas(&own_forecast), &leak), "{:?} vs {leak:?}", etas(&own_forecast));
    let own_spikes: Vec<&str> =
        own_forecast["anomalies"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap()).collect();
    assert_eq!(own_spikes, spikes);
    let own_sizes = json_of(&run(&["rightsize", "--json", "--since", "6h", "--history", "own"]));
    assert_eq!(verdicts(&own_sizes), over);

    // Questions in direct mode, and the timeline of the planted incident.
    let ask = |q: &str| json_of(&run(&["ask", "--json", q]))["short"].as_str().unwrap().to_string();
    let when = ask("when will payments-api run out of memory?");
    assert!(when.starts_with("in ~") && when.contains("x6t8p"), "{when}");
    assert!(ask("which workloads are over-provisioned?").contains("recommendations"));
    assert_eq!(
        ask("what happened to recommendations in the last hour?"),
        "Deployment/recommendations: rollout → scaled → image pull failure → anomaly"
    );
    // The volumes the own sampler read from the kubelets (every 5 min).
    let own_vol = json_of(&run(&["ask", "--json", "--history", "own", "will any volume fill up?"]));
    assert!(own_vol["short"].as_str().unwrap().starts_with("yes: data/data-mongodb-0 in ~"), "{own_vol}");
    let declined = ask("what was cart's cpu usage last monday?");
    assert!(declined.contains("no history"), "{declined}");
    let tl = json_of(&run(&["timeline", "deployment/recommendations", "-n", "shop", "--since", "2h", "--json"]));
    let changes: Vec<&str> =
        tl["report"][0]["entries"].as_array().unwrap().iter().map(|e| e["change"].as_str().unwrap()).collect();
    assert_eq!(changes.first(), Some(&"rollout"), "{tl}");
    assert!(changes.contains(&"anomaly") && changes.contains(&"image_pull"), "{changes:?}");
    server.stop().await;
}

/// A real Prometheus (Debian's `prometheus` package, which `scripts/setup.sh
/// --test` installs) on loopback, over a data folder `promtool` backfilled
/// with `exposition`. Returns the server (killed on drop) and its URL.
fn real_prometheus(dir: &std::path::Path, exposition: &str, web_config: Option<&str>) -> (Killed, String) {
    let need = |e: std::io::Error| -> ! {
        panic!("{e}: this test runs Debian's `prometheus` and `promtool` (scripts/setup.sh --test installs them)")
    };
    let (om, data, config, log) =
        (dir.join("past.om"), dir.join("prometheus"), dir.join("prometheus.yml"), dir.join("prometheus.log"));
    std::fs::write(&om, exposition).unwrap();
    std::fs::write(&config, "global: {}\n").unwrap();
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .args([&om, &data])
        .output()
        .unwrap_or_else(|e| need(e));
    assert!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = Command::new("prometheus");
    if let Some(web) = web_config {
        std::fs::write(dir.join("web.yml"), web).unwrap();
        cmd.arg(format!("--web.config.file={}", dir.join("web.yml").display()));
    }
    let child = cmd
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap_or_else(|e| need(e));
    let server = Killed(child);
    let started = Instant::now();
    let ready = || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            // NB: behind basic auth, a 401 says it is up as well.
            && matches!(raw(port, "GET /-/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").0, 200 | 401)
    };
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "{}", std::fs::read_to_string(&log).unwrap());
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, format!("http://127.0.0.1:{port}"))
}

/// Records `series` in Kubeask's own store as the sampler would have, with
/// the claims' volumes as it reads them from the kubelets (every 5 minutes).
fn record_own_past(
    store: &kubeask_cluster::history::HistoryStore,
    server: &DemoServer,
    series: &[kubeask_insight::history::Series],
) {
    use kubeask_insight::history::{Metric, Point, SeriesKey};
    for s in series {
        store.record_points("kubeask-demo", s.points.iter().map(|p| (&s.key, *p))).unwrap();
    }
    let h = server.history().unwrap();
    let (origin, past) = (h.origin - h.origin.rem_euclid(15), h.plan.history_secs());
    let now_rel = jiff::Timestamp::now().as_second() - origin;
    for v in kubeask_cluster::demo::prometheus::volume_past(h, origin, (-past, now_rel, 300)) {
        let used = SeriesKey::volume(Metric::VolumeUsed, &v.namespace, &v.claim);
        let cap = SeriesKey::volume(Metric::VolumeCapacity, &v.namespace, &v.claim);
        store.record_points("kubeask-demo", v.used.iter().map(|p| (&used, *p))).unwrap();
        store.record_points("kubeask-demo", v.used.iter().map(|p| (&cap, Point { t: p.t, v: v.capacity }))).unwrap();
    }
}

/// The demo's generated past (the planted leak, spike, daily cycle and
/// filling claim) every 15 s up to now, on whole multiples of 15 s like a
/// scrape interval's: its series, and as OpenMetrics for `promtool`.
fn generated_past(server: &DemoServer) -> (Vec<kubeask_insight::history::Series>, String) {
    generated_past_with(server, Vec::new())
}

/// [`generated_past`] with `extra` series added to it.
fn generated_past_with(
    server: &DemoServer,
    extra: Vec<kubeask_insight::history::Series>,
) -> (Vec<kubeask_insight::history::Series>, String) {
    let h = server.history().expect("the demo fixture has a past");
    let origin = h.origin - h.origin.rem_euclid(15);
    let now_rel = jiff::Timestamp::now().as_second() - origin;
    let mut series =
        kubeask_cluster::demo::shapes::generate(&h.plan, &h.bases, origin, -h.plan.history_secs(), now_rel, 15);
    series.extend(extra);
    let volumes = kubeask_cluster::demo::prometheus::volume_past(h, origin, (-h.plan.history_secs(), now_rel, 15));
    let exposition = kubeask_cluster::demo::prometheus::openmetrics_with(&series, &volumes);
    (series, exposition)
}

/// Planted restart counts: recommendations' pods restart every 4 minutes
/// from its rollout at `rollout` on; before it, a pod of the previous
/// revision (gone now) ran six hours without a restart.
fn planted_restarts(server: &DemoServer, rollout: i64) -> Vec<kubeask_insight::history::Series> {
    use kubeask_insight::history::{Metric, Point, Scope, Series, SeriesKey};
    let now = jiff::Timestamp::now().as_second();
    let grid = |from: i64, to: i64| (from - from.rem_euclid(15)..=to).step_by(15);
    let key = |pod: &str| SeriesKey::container(Metric::Restarts, "shop", pod, "recommendations");
    let old = grid(now - 6 * 3600, rollout).map(|t| Point { t, v: 0.0 }).collect();
    let mut out = vec![Series { key: key("recommendations-5d8f7b9c4d-old01"), points: old }];
    let h = server.history().unwrap();
    let pods: std::collections::BTreeSet<&str> = h
        .bases
        .iter()
        .filter_map(|b| match &b.key.scope {
            Scope::Container { namespace, pod, .. } if namespace == "shop" && pod.starts_with("recommendations-") => {
                Some(pod.as_str())
            }
            _ => None,
        })
        .collect();
    for pod in pods {
        let points = grid(rollout + 15, now).map(|t| Point { t, v: ((t - rollout) / 240) as f64 }).collect();
        out.push(Series { key: key(pod), points });
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_prometheus_and_own_samples_over_the_same_past_give_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    // One generated past (the planted leak, spike and daily cycle), every
    // 15 s up to now: backfilled into a real Prometheus, and recorded in
    // Kubeask's own store as the sampler would have.
    // Samples on whole multiples of 15 s, like a scrape interval's.
    // The rollout the demo's timeline shows, with restarts planted after it.
    let tl = json_of(
        &kubeask(&dir, &kc)
            .args(["timeline", "deployment/recommendations", "-n", "shop", "--since", "2h", "--json"])
            .output()
            .unwrap(),
    );
    let rollout =
        tl["report"][0]["entries"][0]["time"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    let (series, exposition) = generated_past_with(&server, planted_restarts(&server, rollout));
    // A node under memory pressure for half an hour, three hours ago (as
    // kube-state-metrics reports it: 1 while it holds, 0 after).
    let node = Fixture::builtin()
        .objects
        .iter()
        .find(|o| o.kind == "Node")
        .map(|o| o.value["metadata"]["name"].as_str().unwrap().to_string())
        .unwrap();
    let now = jiff::Timestamp::now().as_second();
    let (from, to) = ((now - 3 * 3600) / 15 * 15, (now - 5 * 3600 / 2) / 15 * 15);
    let mut pressure = String::from("# TYPE kube_node_status_condition gauge\n");
    for t in (from..now - 60).step_by(15) {
        let v = u8::from(t <= to);
        pressure.push_str(&format!(
            "kube_node_status_condition{{node=\"{node}\",condition=\"MemoryPressure\",status=\"true\"}} {v} {t}\n"
        ));
    }
    let exposition = exposition.replace("# EOF\n", &format!("{pressure}# EOF\n"));
    let (_prometheus, url) = real_prometheus(dir.path(), &exposition, None);
    let store = kubeask_cluster::history::HistoryStore::open(&dir.path().join("data/kubeask/history.sqlite")).unwrap();
    record_own_past(&store, &server, &series);
    drop(store);
    let both = |args: &[&str]| {
        let run = |source: &[&str]| {
            let mut cmd = kubeask(&dir, &kc);
            cmd.args(args).args(source);
            json_of(&cmd.output().unwrap())
        };
        (run(&["--prometheus", &url]), run(&["--history", "own"]))
    };

    let (prom, own) = both(&["forecast", "--json"]);
    assert_eq!(prom["source"], format!("Prometheus at {url}"));
    assert_eq!(own["source"], "Kubeask's own samples");
    let leak = etas(&prom);
    assert!(leak.iter().any(|(s, secs)| s.starts_with("payments-api-") && *secs <= 3600.0), "{leak:?}");
    assert!(same_etas(&etas(&own), &leak), "{:?} vs {leak:?}", etas(&own));
    let subjects = |v: &serde_json::Value| -> Vec<String> {
        v["anomalies"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap().to_string()).collect()
    };
    assert!(subjects(&prom).iter().any(|s| s.starts_with("recommendations-")), "{prom}");
    assert_eq!(subjects(&prom), subjects(&own));
    // The planted restarts after the rollout: a jump, from both sources.
    let jumped = |v: &serde_json::Value| {
        v["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["subject"] == "recommendations" && a["metric"] == "restarts")
    };
    assert!(jumped(&prom) && jumped(&own), "{prom}");

    // Volumes: the same planted claim filling up, from the real Prometheus,
    // the demo's stand-in and the own store.
    let claims = |v: &serde_json::Value| -> Vec<(String, i64)> {
        v["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| !x["eta"].is_null())
            .map(|x| {
                (x["claim"].as_str().unwrap().to_string(), (x["eta"]["secs"].as_f64().unwrap() / 3600.0).round() as i64)
            })
            .collect()
    };
    let demo_forecast = json_of(&kubeask(&dir, &kc).args(["forecast", "--json"]).output().unwrap());
    assert_eq!(claims(&prom), claims(&demo_forecast));
    assert_eq!(claims(&prom), claims(&own), "the own sampler's volumes (every 5 min) give the same");
    assert_eq!(claims(&prom).first().map(|c| c.0.as_str()), Some("data-mongodb-0"));
    let (prom, own) = both(&["rightsize", "--json", "--since", "6h"]);
    assert!(verdicts(&prom).contains(&("shop/Deployment/recommendations".into(), "over".into())), "{prom}");
    assert_eq!(verdicts(&prom), verdicts(&own));

    for q in [
        "when will payments-api run out of memory?",
        "which workloads are over-provisioned?",
        "will any node run out of memory today?",
        "what happened to recommendations in the last hour?",
        "memory of payments-api over the last hour",
        "will the cluster run out of memory today?",
        "will any volume fill up?",
    ] {
        let (mut prom, mut own) = both(&["ask", "--json", q]);
        if prom["short"] != own["short"] && q.contains("last hour") {
            // NB: "the last hour" ends now: a minute boundary between the
            // two asks moves the window's first sample (282Mi vs 279Mi of
            // a leak). Asked again, both fall in one minute.
            (prom, own) = both(&["ask", "--json", q]);
        }
        assert_eq!(prom["short"], own["short"], "{q}");
        assert!(!prom["short"].as_str().unwrap().contains("no history"), "{q}: {prom}");
    }
    let (prom, own) = both(&["timeline", "deployment/recommendations", "-n", "shop", "--since", "2h", "--json"]);
    let jump = |v: &serde_json::Value| {
        let entries = v["report"].as_array().unwrap().iter().flat_map(|i| i["entries"].as_array().unwrap().iter());
        entries.filter(|e| e["evidence"].as_str().unwrap().starts_with("restarts jumped after the rollout")).count()
    };
    assert_eq!((jump(&prom), jump(&own)), (1, 1), "{prom}\n{own}");
    // The node's pressure, past the events' TTL, from the real Prometheus.
    let mut cmd = kubeask(&dir, &kc);
    cmd.args(["timeline", "--since", "4h", "--json", "--prometheus", &url]);
    let tl = json_of(&cmd.output().unwrap());
    let pressure: Vec<&serde_json::Value> = tl["report"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["entries"].as_array().unwrap().iter())
        .filter(|e| {
            e["object"] == format!("Node/{node}")
                && e["evidence"].as_str().unwrap().starts_with("MemoryPressure=True (kube-state-metrics")
        })
        .collect();
    assert_eq!(pressure.len(), 1, "{tl}");
    let started = pressure[0]["time"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    assert!((started - from).abs() <= 30, "{} vs {from}", pressure[0]);
    server.stop().await;
}

/// Prometheus's web config for basic auth as `kubeask` with the password
/// `kubeask-test-secret` (bcrypt, cost 4).
const BASIC_AUTH: &str = "basic_auth_users:\n  kubeask: $2b$04$gD/rgbuN.g99r5wE/5xoluUXnUkitfvsiOc5klnI1Eqvi3/9jX2PG\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_prometheus_behind_basic_auth_is_saved_per_context_with_its_password_in_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let (_, exposition) = generated_past(&server);
    let (_prometheus, url) = real_prometheus(dir.path(), &exposition, Some(BASIC_AUTH));
    let run = |args: &[&str], stdin: &str| {
        let mut cmd = kubeask(&dir, &kc);
        // NB: no session bus: the kernel keyring, as on a server.
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let settings = dir.path().join("data/kubeask/prometheus.json");
    let source = || {
        json_of(
            &kubeask(&dir, &kc).env_remove("DBUS_SESSION_BUS_ADDRESS").args(["forecast", "--json"]).output().unwrap(),
        )
    };

    // Without credentials, and with a wrong password: refused, said so, nothing saved.
    let (ok, _, err) = run(&["prometheus", "set", &url], "");
    assert!(!ok && err.contains("refused no credentials (HTTP 401"), "{err}");
    let (ok, _, err) = run(&["prometheus", "set", &url, "--user", "kubeask", "--password-stdin"], "wrong\n");
    assert!(!ok && err.contains("refused basic auth as kubeask (HTTP 401") && err.contains("Nothing saved"), "{err}");
    assert!(!settings.exists());
    assert!(source()["source"].as_str().unwrap().contains("monitoring/prometheus"), "the cluster's own is found first");

    // The right password: checked, saved (the file has no secret), and
    // used before the cluster's own Prometheus.
    let (ok, out, err) =
        run(&["prometheus", "set", &url, "--user", "kubeask", "--password-stdin"], "kubeask-test-secret\n");
    assert!(ok && out.contains("answers (Prometheus 2."), "{out}{err}");
    let file = std::fs::read_to_string(&settings).unwrap();
    assert!(file.contains(&url) && !file.contains("kubeask-test-secret"), "{file}");
    let forecast = source();
    assert_eq!(forecast["source"], format!("Prometheus at {url}"));
    assert!(etas(&forecast).iter().any(|(s, secs)| s.starts_with("payments-api-") && *secs <= 3600.0), "{forecast}");
    let (ok, out, _) = run(&["prometheus", "show"], "");
    assert!(ok && out.contains("kubeask-demo: ") && out.contains("basic auth as kubeask — answers"), "{out}");
    assert!(!out.contains("kubeask-test-secret"));

    // Removed: the secret goes with it, and the cluster's own is used again.
    let (ok, out, _) = run(&["prometheus", "remove"], "");
    assert!(ok && out.contains("are gone"), "{out}");
    assert!(source()["source"].as_str().unwrap().contains("monitoring/prometheus"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_about_every_cluster_answers_from_each_within_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let (port, listener) = hung::hung_listener().await;
    let kc = dir.path().join("two.yaml");
    hung::with_hung_context(server.kubeconfig_path(), port, &kc);
    let ask = |q: &'static str| {
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(["ask", "--json", q]);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let t = Instant::now();
    let out = ask("which clusters have crash loops?").await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    let v = json_of(&out);
    // The sample's crash loop (checkout), counted per context; the hung
    // context is named, not waited for.
    let expected = json_of(&kubeask(&dir, server.kubeconfig_path()).args(["diagnose", "--json"]).output().unwrap())
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["title"].as_str().unwrap().starts_with("CrashLoopBackOff"))
        .count();
    assert!(expected > 0);
    assert_eq!(v["short"], format!("kubeask-demo ({expected})"), "{v}");
    assert!(v["warning"].as_str().unwrap().contains("hung"), "{v}");
    assert!(v["explanation"].as_str().unwrap().contains("1 of 2 contexts answered"), "{v}");
    assert!(secs < 20.0, "took {secs:.1} s");
    let broken = json_of(&ask("anything broken anywhere?").await.unwrap());
    assert!(broken["short"].as_str().unwrap().starts_with("kubeask-demo ("), "{broken}");
    // A question about one cluster is not asked of every context.
    let one = json_of(&ask("how many nodes are there?").await.unwrap());
    assert_eq!(one["short"], "3");
    listener.abort();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_planted_past_is_answered_in_direct_mode() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let mut failures = Vec::new();
    for q in history_questions() {
        let mut cmd = kubeask(&dir, &kc);
        cmd.args(["ask", "--json", &q.query]);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        let v = json_of(&out);
        let short = v["short"].as_str().unwrap_or_default();
        if !grade(&q, short) || v["mode"] != "direct" {
            failures.push(format!("{}: {:?} -> {short:?} ({})", q.id, q.query, v["mode"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // "full" without a claim named is not a volume question.
    let mut cmd = kubeask(&dir, &kc);
    cmd.args(["ask", "--json", "when will the cart queue be full?"]);
    let v = json_of(&tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap());
    let short = v["short"].as_str().unwrap_or_default();
    assert!(!short.starts_with("in ~") && !short.starts_with("yes:") && !short.starts_with("not within"), "{v}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eval_scores_a_question_file_per_family_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/questions/acme-shop");
    let report = dir.path().join("report.json");
    let run = |file: &str| {
        let mut cmd = kubeask(&dir, &kc);
        cmd.arg("eval").arg(root.join(file)).arg("--json").arg("--report").arg(&report);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    // Direct mode only (no model): every sample question right, as the
    // sample test grades them.
    let v = json_of(&run("questions.yaml").await.unwrap());
    let n = questions().len() as u64;
    assert_eq!(v["total"]["right"].as_u64(), Some(n), "{}", v["items"]);
    assert_eq!(v["items"].as_array().unwrap().len() as u64, n);
    assert!(v["families"]["count"]["right"].as_u64().unwrap() > 0);
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(written, v);
    // Paraphrases: right + declined + wrong add up; must-decline items are
    // scored (figures are whatever they are).
    let p = json_of(&run("paraphrases.yaml").await.unwrap());
    let t = &p["total"];
    let sum = ["right", "declined", "wrong"].iter().map(|k| t[*k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum, paraphrases().len() as u64);
    println!("kubeask eval, direct mode: sample {n}/{n} right; paraphrases {t}");
    // A file that is not a question file is an error that names it.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "just: text\n").unwrap();
    let out = kubeask(&dir, &kc).arg("eval").arg(&bad).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("bad.yaml"));
    // --mode model without a model says what it needs.
    let out =
        kubeask(&dir, &kc).arg("eval").arg(root.join("questions.yaml")).args(["--mode", "model"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--mode model needs a model"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eval_in_model_mode_with_gemma_reports_every_question_the_model_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    // Three sample questions, each asked of the model alone (the router is
    // not asked): the report says so, and no step is malformed under the grammar.
    let sample: Vec<serde_json::Value> = questions()
        .iter()
        .take(3)
        .map(|q| serde_json::json!({"id": q.id, "family": q.family, "query": q.query, "answer": q.answer}))
        .collect();
    let file = dir.path().join("three.yaml");
    std::fs::write(&file, serde_yaml::to_string(&sample).unwrap()).unwrap();
    let gemma = kubeask_paths::test_gemma();
    assert!(gemma.is_file(), "{} is missing: run scripts/setup.sh --test", gemma.display());
    let report = dir.path().join("report.json");
    let mut cmd = kubeask(&dir, &kc);
    cmd.arg("eval").arg(&file).args(["--mode", "model", "--json", "--report"]).arg(&report).arg("--model").arg(&gemma);
    let v = json_of(&tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap());
    assert_eq!((v["mode"].as_str(), v["malformed"].as_u64()), (Some("model"), Some(0)), "{v}");
    assert!(v["model"].as_str().unwrap().contains("gemma"), "{}", v["model"]);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for i in items {
        assert!(i["mode"] == "model" || i["mode"] == "error", "{i}");
        assert!(i["first_token_ms"].as_f64().is_some() || i["mode"] == "error", "{i}");
    }
    println!("kubeask eval --mode model, Gemma 270M, 3 sample questions: {}", v["total"]);
    server.stop().await;
}

/// A scripted OpenAI-compatible server that says it is llama-server: the
/// first chat request is refused as too long for its context (its typed
/// error), the next is cut off mid-reply.
/// A scripted engine's view of one request: its head and body (the client
/// sends both at once, soon).
fn read_request(s: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0;
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    while let Ok(n) = s.read(&mut buf[got..]) {
        if n == 0 {
            break;
        }
        got += n;
    }
    String::from_utf8_lossy(&buf[..got]).to_string()
}

fn failing_engine() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut chats = 0;
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let head = read_request(&mut s);
            let json = |status: &str, body: &str| {
                format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            };
            let reply = if head.starts_with("GET /v1/models") {
                json("200 OK", r#"{"object":"list","data":[{"id":"m","owned_by":"llamacpp","meta":{"n_ctx":8192}}]}"#)
            } else if head.starts_with("POST /tokenize") {
                json("200 OK", r#"{"tokens":[1,2,3]}"#)
            } else if head.starts_with("POST /v1/chat/completions") {
                chats += 1;
                if chats == 1 {
                    json(
                        "400 Bad Request",
                        r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#,
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"{\\\"ans\"}}]}\n\n".to_string()
                }
            } else {
                json("404 Not Found", "{}")
            };
            let _ = s.write_all(reply.as_bytes());
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn model_failures_reach_the_http_api_as_their_own_codes_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let url = failing_engine();
    let (_serve, port) = start_serve(&dir, &kc, &["--endpoint", &url, "--mode", "model"]);
    let ask = move |q: &str| {
        let (status, body) = post(port, "/query", &serde_json::json!({ "query": q }).to_string());
        (status, serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default())
    };
    let (status, body) =
        tokio::task::spawn_blocking(move || ask("how many pods are in the shop namespace?")).await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (413, Some("CONTEXT_OVERFLOW")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("does not fit its context"), "{body}");
    let (status, body) = tokio::task::spawn_blocking(move || ask("how many nodes are there?")).await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("ENGINE_UNREACHABLE")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("stopped mid-reply"), "{body}");
    server.stop().await;
}

/// What the HTTP API answers when the cluster cannot help: a kind this
/// user's RBAC forbids is `403 FORBIDDEN` (never "0 secrets" from an empty
/// cache), a cluster that does not answer is `503 CLUSTER_UNREACHABLE`;
/// each with a message that says what to do.
#[tokio::test(flavor = "multi_thread")]
async fn cluster_failures_reach_the_http_api_as_their_own_codes_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Fixture::builtin();
    f.rbac = Some(
        serde_yaml::from_str("rules:\n- verbs: [list, watch]\n  resources: [secrets]\n  allowed: false\n").unwrap(),
    );
    let mut opts = DemoOptions::new(f);
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let kc = server.kubeconfig_path().to_path_buf();
    let (_serve, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &[]));
    let ask = move |q: &str| {
        let (status, body) = post(port, "/query", &serde_json::json!({ "query": q }).to_string());
        (status, serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default())
    };
    let (status, body) = tokio::task::spawn_blocking(move || ask("how many secrets are there?")).await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("FORBIDDEN")), "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("may not read secrets") && message.contains("list and watch"), "{body}");
    let (status, body) = tokio::task::spawn_blocking(move || ask("how many nodes are there?")).await.unwrap();
    assert_eq!((status, body["answer"].as_str()), (200, Some("3")), "the readable kinds still answer: {body}");

    // The same cluster's context, at an address where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = std::fs::read_to_string(&kc).unwrap();
    let live = format!("127.0.0.1:{}", server.addr().port());
    assert!(text.contains(&live), "the demo kubeconfig names its server");
    let down = dir.path().join("down.yaml");
    std::fs::write(&down, text.replace(&live, &format!("127.0.0.1:{closed}"))).unwrap();
    let (_serve_down, port) = tokio::task::block_in_place(|| start_serve(&dir, &down, &[]));
    let (status, body) = tokio::task::spawn_blocking(move || {
        let (status, body) = post(port, "/query", r#"{"query": "how many nodes are there?"}"#);
        (status, serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default())
    })
    .await
    .unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("CLUSTER_UNREACHABLE")), "{body}");
    server.stop().await;
}

/// An OpenAI-compatible engine that accepts a chat and then says nothing
/// (a busy GPU box); tells `started` when a chat arrives.
fn stalling_engine(started: std::sync::mpsc::Sender<()>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let started = started.clone();
            std::thread::spawn(move || {
                let head = read_request(&mut s);
                let json = |body: &str| {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                };
                if head.starts_with("GET /v1/models") {
                    let _ = s.write_all(
                        json(r#"{"object":"list","data":[{"id":"m","owned_by":"llamacpp","meta":{"n_ctx":8192}}]}"#)
                            .as_bytes(),
                    );
                } else if head.starts_with("POST /tokenize") {
                    let _ = s.write_all(json(r#"{"tokens":[1,2,3]}"#).as_bytes());
                } else if head.starts_with("POST /v1/chat/completions") {
                    let _ =
                        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
                    let _ = started.send(());
                    std::thread::sleep(Duration::from_secs(120));
                }
            });
        }
    });
    url
}

/// `kubeask serve` stopped (Ctrl-C, or SIGTERM from a service manager)
/// while a question runs: the question is cancelled and its client gets
/// `503 CANCELLED` instead of a reset connection, and the server exits.
#[tokio::test(flavor = "multi_thread")]
async fn a_stopping_server_answers_the_running_question_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let (tx, started) = std::sync::mpsc::channel();
    let url = stalling_engine(tx);
    let (mut serve, port) =
        tokio::task::block_in_place(|| start_serve(&dir, &kc, &["--endpoint", &url, "--mode", "model"]));
    let asked = std::thread::spawn(move || post(port, "/query", r#"{"query": "how many nodes are there?"}"#));
    started.recv_timeout(Duration::from_secs(60)).expect("the question reached the engine");
    let t = Instant::now();
    let pid = serve.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let (status, body) = asked.join().unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    println!("a running question was answered {:.2} s after SIGTERM", t.elapsed().as_secs_f64());
    assert_eq!((status, v["error"]["code"].as_str()), (503, Some("CANCELLED")), "{body}");
    let exited = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        serve.0.try_wait().unwrap()
    });
    assert!(exited.is_some_and(|s| s.success()), "serve did not exit cleanly within 20 s: {exited:?}");
    server.stop().await;
}

/// `kubeask serve --model` with a model too big for this machine keeps
/// serving: direct mode answers what it can, and a question only the model
/// could answer is `503 MODEL_DOES_NOT_FIT` with what it needs.
#[tokio::test(flavor = "multi_thread")]
async fn a_model_too_big_for_the_machine_is_answered_503_model_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(&dir).await;
    let kc = server.kubeconfig_path().to_path_buf();
    let gguf = dir.path().join("huge.gguf");
    kubeask_llm::tiny::write_tiny_qwen2(&gguf, 5).unwrap();
    // A valid header over 4 TiB of (sparse) weights: refused before loading.
    std::fs::OpenOptions::new().write(true).open(&gguf).unwrap().set_len(4 << 40).unwrap();
    let (_serve, port) = tokio::task::block_in_place(|| start_serve(&dir, &kc, &["--model", gguf.to_str().unwrap()]));
    let ask = move |q: &str| {
        let (status, body) = post(port, "/query", &serde_json::json!({ "query": q }).to_string());
        (status, serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default())
    };
    let (status, body) = tokio::task::spawn_blocking(move || ask("how many nodes are there?")).await.unwrap();
    assert_eq!((status, body["answer"].as_str()), (200, Some("3")), "direct mode still answers: {body}");
    let (status, body) =
        tokio::task::spawn_blocking(move || ask("write me a haiku about the shop namespace")).await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("MODEL_DOES_NOT_FIT")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("MB"), "it says what the model needs: {body}");
    server.stop().await;
}
