//! Bad input: broken fixtures, missing or wrong tokens, unknown resources
//! and garbage request bodies.

use kubeask_cluster::fixture::{Fixture, FixtureError};
use proptest::prelude::*;

use crate::support::*;

fn fixture_dir(cluster_yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.yaml"), cluster_yaml).unwrap();
    dir
}

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n";

#[test]
fn broken_yaml_names_the_file_and_document() {
    let dir = fixture_dir(&format!("{NS}---\napiVersion: v1\nkind: Pod\nmetadata: [oops\n"));
    let err = Fixture::load_dir(dir.path()).unwrap_err();
    assert!(matches!(err, FixtureError::Yaml { index: 1, .. }), "{err}");
    assert!(err.to_string().contains("cluster.yaml") && err.to_string().contains("document 1"), "{err}");
}

#[test]
fn an_unknown_kind_is_refused_with_its_document_index() {
    let dir =
        fixture_dir(&format!("{NS}---\n{NS}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"));
    let err = Fixture::load_dir(dir.path()).unwrap_err();
    assert!(matches!(&err, FixtureError::UnknownKind { index: 2, kind, .. } if kind == "Widget"), "{err}");
}

#[test]
fn a_wrong_field_type_names_the_field() {
    let dir = fixture_dir("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n");
    let err = Fixture::load_dir(dir.path()).unwrap_err();
    match &err {
        FixtureError::InvalidObject { index: 0, path, name, .. } => {
            assert_eq!(path, "spec.replicas");
            assert_eq!(name, "web");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn a_folder_without_cluster_yaml_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Fixture::load_dir(dir.path()), Err(FixtureError::MissingClusterYaml(_))));
}

async fn raw(
    demo: &Demo,
    token: Option<&str>,
    method: &str,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    // NB: a client built from a kubeconfig whose token we rewrite, so TLS
    // is real and only the credentials differ.
    let mut text = demo.server.kubeconfig();
    let real = demo.server.identity().token.clone();
    text = match token {
        Some(t) => text.replace(&real, t),
        None => text.replace(&format!("    token: {real}\n"), "    {}\n"),
    };
    let kc = kube::config::Kubeconfig::from_yaml(&text).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let req = http::Request::builder().method(method).uri(path).header("content-type", ct).body(body).unwrap();
    let resp = client.send(req.map(kube::client::Body::from)).await.unwrap();
    let code = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    (code, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn no_token_or_a_wrong_token_gets_a_401_status() {
    let demo = start().await;
    for token in [None, Some("wrong-token")] {
        let (code, body) = raw(&demo, token, "GET", "/api/v1/pods", "application/json", vec![]).await;
        assert_eq!(code, 401);
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["reason"], "Unauthorized");
    }
}

#[tokio::test]
async fn unknown_resources_and_objects_get_404_statuses() {
    let demo = start().await;
    let real = demo.server.identity().token.clone();
    let (code, body) = raw(&demo, Some(&real), "GET", "/api/v1/widgets", "", vec![]).await;
    assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")));
    let (code, body) = raw(&demo, Some(&real), "GET", "/api/v1/namespaces/default/pods/nope", "", vec![]).await;
    assert_eq!(code, 404);
    assert_eq!(body["message"], "pods \"nope\" not found");
    assert_eq!(body["details"]["kind"], "pods");
    let (code, body) = raw(&demo, Some(&real), "DELETE", "/api/v1/namespaces", "", vec![]).await;
    assert_eq!((code, body["reason"].as_str()), (405, Some("MethodNotAllowed")));
}

#[tokio::test]
async fn scale_updates_check_resource_version_and_replica_bounds() {
    let demo = start().await;
    let real = demo.server.identity().token.clone();
    let d = objects("Deployment").into_iter().next().unwrap();
    let path = format!("/apis/apps/v1/namespaces/{}/deployments/{}/scale", namespace(&d), name(&d));
    let stale = serde_json::json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name(&d), "resourceVersion": "1"}, "spec": {"replicas": 2}});
    let (code, body) =
        raw(&demo, Some(&real), "PUT", &path, "application/json", serde_json::to_vec(&stale).unwrap()).await;
    assert_eq!((code, body["reason"].as_str()), (409, Some("Conflict")));
    let negative = serde_json::json!({"spec": {"replicas": -1}});
    let (code, body) =
        raw(&demo, Some(&real), "PATCH", &path, "application/merge-patch+json", serde_json::to_vec(&negative).unwrap())
            .await;
    assert_eq!((code, body["reason"].as_str()), (422, Some("Invalid")));
}

fn write_paths(ns: &str, dep: &str, pod: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PATCH", format!("/apis/apps/v1/namespaces/{ns}/deployments/{dep}")),
        ("PATCH", format!("/apis/apps/v1/namespaces/{ns}/deployments/{dep}/scale")),
        ("PUT", format!("/apis/apps/v1/namespaces/{ns}/deployments/{dep}/scale")),
        ("PATCH", format!("/api/v1/namespaces/{ns}/pods/{pod}")),
        ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews".to_string()),
        ("DELETE", format!("/api/v1/namespaces/{ns}/pods/{pod}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Garbage bodies on every write endpoint get a Status answer (or a
    /// success), never a dropped connection or a panic.
    #[test]
    fn garbage_write_bodies_never_break_the_server(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "[{}\\[\\]\":,a-z0-9 -]{0,80}".prop_map(String::into_bytes),
            Just(b"{\"spec\":{\"replicas\":\"x\"}}".to_vec()),
            Just(b"{\"spec\":{\"template\":{\"spec\":{\"containers\":7}}}}".to_vec()),
            Just(b"[{\"op\":\"remove\",\"path\":\"/metadata\"}]".to_vec()),
            Just(b"k8s\0\x12\x05\x0a\x03\x12\x01".to_vec()),
        ],
        ct in prop_oneof![
            Just("application/json"), Just("application/merge-patch+json"),
            Just("application/strategic-merge-patch+json"), Just("application/json-patch+json"),
            Just("application/apply-patch+yaml"), Just("text/plain"),
        ],
        which in 0usize..6,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let demo = start().await;
            let real = demo.server.identity().token.clone();
            let d = objects("Deployment").into_iter().next().unwrap();
            let p = objects("Pod").into_iter().find(|p| namespace(p) == namespace(&d)).unwrap();
            let (method, path) = write_paths(&namespace(&d), &name(&d), &name(&p))[which].clone();
            let (code, resp) = raw(&demo, Some(&real), method, &path, ct, body.clone()).await;
            prop_assert!(code < 500, "{method} {path} answered {code}");
            if code >= 400 {
                prop_assert_eq!(&resp["kind"], "Status");
            }
            // The server still answers afterwards.
            let (code, _) = raw(&demo, Some(&real), "GET", "/api/v1/namespaces", "", vec![]).await;
            prop_assert_eq!(code, 200);
            demo.server.stop().await;
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// A fixture folder (a user's own `kubeask demo --fixture`) with any
    /// text in its cluster.yaml, or a real document cut anywhere, loads or
    /// is refused with a reason.
    #[test]
    fn any_fixture_text_loads_or_is_refused(
        text in "\\PC{0,200}",
        cut in any::<usize>(),
    ) {
        let dir = fixture_dir(&text);
        let _ = Fixture::load_dir(dir.path()).map_err(|e| e.to_string());
        let real = format!("{NS}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: a\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: nginx}}]}}\n");
        let at = cut % (real.chars().count() + 1);
        let dir = fixture_dir(&format!("{}{text}", real.chars().take(at).collect::<String>()));
        let _ = Fixture::load_dir(dir.path()).map_err(|e| e.to_string());
    }
}
