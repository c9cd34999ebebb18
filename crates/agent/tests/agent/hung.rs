//! A context whose API server accepts connections and never answers.

/// A TCP listener that accepts and never says a word (kept until dropped).
pub async fn hung_listener() -> (u16, tokio::task::JoinHandle<()>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    (port, task)
}

/// The demo's kubeconfig plus a context `hung` pointing at `port`.
pub fn with_hung_context(kubeconfig: &std::path::Path, port: u16, out: &std::path::Path) {
    let mut v: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let push = |v: &mut serde_yaml::Value, list: &str, item: serde_yaml::Value| {
        v[list].as_sequence_mut().unwrap().push(item);
    };
    push(
        &mut v,
        "clusters",
        serde_yaml::from_str(&format!(
            "{{name: hung, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}"
        ))
        .unwrap(),
    );
    push(&mut v, "users", serde_yaml::from_str("{name: hung, user: {token: not-a-real-token}}").unwrap());
    push(&mut v, "contexts", serde_yaml::from_str("{name: hung, context: {cluster: hung, user: hung}}").unwrap());
    std::fs::write(out, serde_yaml::to_string(&v).unwrap()).unwrap();
}
