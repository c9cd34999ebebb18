//! Context discovery and the errors a user sees when a context fails.

use kubeask_cluster::contexts::{ContextError, Contexts, Unreachable};
use kubeask_cluster::demo::TlsMaterial;

use crate::support::*;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn check(path: &std::path::Path) -> Result<String, ContextError> {
    let contexts = Contexts::load(&[path.to_path_buf()])?;
    contexts.connect(None).await?.check().await
}

#[tokio::test]
async fn the_demo_context_is_reachable_and_current() {
    let demo = start().await;
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let list = contexts.list();
    assert_eq!(list.len(), 1);
    assert!(list[0].current && list[0].name == "kubeask-demo");
    assert!(check(&demo.kubeconfig()).await.unwrap().starts_with('v'));
}

#[tokio::test]
async fn contexts_merge_across_files_with_the_first_file_winning() {
    let demo = start().await;
    let dir = tempfile::tempdir().unwrap();
    let other = demo.server.kubeconfig().replace("kubeask-demo", "second");
    let second = write(dir.path(), "second", &other);
    let contexts = Contexts::load(&[demo.kubeconfig(), second.clone(), dir.path().join("missing")]).unwrap();
    let names: Vec<String> = contexts.list().into_iter().map(|c| c.name).collect();
    assert_eq!(names, vec!["kubeask-demo", "second"]);
    assert_eq!(contexts.current(), Some("kubeask-demo"));
    assert_eq!(contexts.list()[1].source, second);
}

#[tokio::test]
async fn a_refused_port_says_connection_refused() {
    let demo = start().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let text = demo.server.kubeconfig().replace(&demo.server.addr().port().to_string(), &port.to_string());
    let p = write(demo.dir.path(), "refused", &text);
    let err = check(&p).await.unwrap_err();
    assert!(matches!(err, ContextError::Unreachable { reason: Unreachable::Refused, .. }), "{err}");
    assert!(err.to_string().contains("connection refused") && err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test]
async fn a_server_signed_by_another_ca_is_a_tls_error() {
    let demo = start().await;
    let other = TlsMaterial::generate().unwrap();
    use base64::Engine;
    let real_ca = base64::engine::general_purpose::STANDARD.encode(demo.server.identity().tls.ca_pem.as_bytes());
    let fake_ca = base64::engine::general_purpose::STANDARD.encode(other.ca_pem.as_bytes());
    let p = write(demo.dir.path(), "badca", &demo.server.kubeconfig().replace(&real_ca, &fake_ca));
    let err = check(&p).await.unwrap_err();
    assert!(matches!(err, ContextError::Tls { .. }), "{err}");
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[tokio::test]
async fn a_wrong_token_says_the_credentials_were_refused() {
    let demo = start().await;
    let token = demo.server.identity().token.clone();
    let p = write(demo.dir.path(), "wrongtoken", &demo.server.kubeconfig().replace(&token, "expired-token"));
    let err = check(&p).await.unwrap_err();
    assert!(matches!(err, ContextError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn a_forbidden_list_names_the_verb_and_resource() {
    let mut f = fixture();
    f.rbac =
        Some(serde_yaml::from_str("rules:\n- verbs: [list]\n  resources: [namespaces]\n  allowed: false\n").unwrap());
    let demo = start_with(f).await;
    let err = check(&demo.kubeconfig()).await.unwrap_err();
    match &err {
        ContextError::Forbidden { verb, resource, .. } => {
            assert_eq!((verb.as_str(), resource.as_str()), ("list", "namespaces"))
        }
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn a_broken_kubeconfig_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "broken",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster: [unclosed\ncontexts: []\n",
    );
    let err = Contexts::load(std::slice::from_ref(&p)).unwrap_err();
    match &err {
        ContextError::Malformed { file, line, .. } => {
            assert_eq!(file, &p);
            assert!(line.is_some(), "{err}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("broken") && err.to_string().contains("line"), "{err}");
}

#[tokio::test]
async fn an_unknown_context_lists_the_known_ones() {
    let demo = start().await;
    let contexts = Contexts::load(&[demo.kubeconfig()]).unwrap();
    let err = contexts.connect(Some("prod")).await.unwrap_err();
    assert!(
        matches!(&err, ContextError::UnknownContext { name, known } if name == "prod" && known == &vec!["kubeask-demo".to_string()]),
        "{err}"
    );
    assert!(err.to_string().contains("kubeask-demo"));
}

#[test]
fn no_kubeconfig_at_all_is_its_own_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Contexts::load(&[dir.path().join("nope")]), Err(ContextError::NoKubeconfig)));
}
