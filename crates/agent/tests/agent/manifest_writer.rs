//! Manifests from plain words: the model fills the workload structure and
//! code renders it. A scripted model shows the path end to end (rendered
//! YAML passes the strict checks); a malformed or incomplete answer is an
//! error that says so; the real Gemma 270M under the grammar always
//! produces something that parses into the structure.

use futures::future::BoxFuture;
use kubeask_agent::manifest_writer::{grammar, write, WriteError};
use kubeask_agent::model_loop::{CancelFlag, ChatModel, Message, ModelError};
use kubeask_insight::snapshot::Snapshot;

struct Says(&'static str);

impl ChatModel for Says {
    fn generate<'a>(
        &'a self,
        messages: &'a [Message],
        grammar: &'a str,
        _cancel: &'a CancelFlag,
        _on_token: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BoxFuture<'a, Result<String, ModelError>> {
        assert!(messages[0].content.contains("shop"), "the cluster's namespaces are offered");
        assert!(grammar.contains("\"\\\"shop\\\"\""), "the namespaces are the grammar's choices");
        Box::pin(async move { Ok(self.0.to_string()) })
    }
}

fn snap() -> Snapshot {
    Snapshot::from_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", None).unwrap()
}

const REQUEST: &str =
    "write a Deployment for nginx:1.27 with 3 replicas, a Service on port 80 and an HPA 2-10 at 70% CPU in shop";

#[tokio::test]
async fn a_filled_structure_renders_a_manifest_that_passes_the_checks() {
    let model = Says(
        r#"{"name":"web","namespace":"shop","image":"nginx:1.27","replicas":3,"port":80,"service":true,"ingress_host":null,"hpa":{"min":2,"max":10,"cpu_percent":70},"readiness_path":null}"#,
    );
    let written = write(&model, &snap(), REQUEST, &CancelFlag::default()).await.unwrap();
    let yaml = written.render(&snap()).unwrap();
    let checked = kubeask_insight::manifest::check_text(&yaml).unwrap();
    let kinds: Vec<&str> = checked.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["Deployment", "Service", "HorizontalPodAutoscaler"]);
    assert!(checked.iter().all(|c| c.errors.is_empty()));
    assert!(yaml.contains("averageUtilization: 70") && yaml.contains("maxReplicas: 10"));
}

#[tokio::test]
async fn a_malformed_or_incomplete_answer_says_what_is_wrong() {
    let e = write(&Says("sure! here is your yaml"), &snap(), REQUEST, &CancelFlag::default()).await.unwrap_err();
    assert!(matches!(e, WriteError::Malformed(_)), "{e}");
    let incomplete = Says(
        r#"{"name":"web","namespace":"shop","image":"nginx:1.27","replicas":1,"port":null,"service":true,"ingress_host":null,"hpa":null,"readiness_path":null}"#,
    );
    let e = write(&incomplete, &snap(), REQUEST, &CancelFlag::default()).await.unwrap_err();
    assert!(e.to_string().contains("needs the container's port"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemma_under_the_grammar_always_fills_the_structure() {
    let model = kubeask_agent::local_model::LocalModel::load(&crate::real_model::gemma(), 2048).await.unwrap();
    let out = write(&model, &snap(), REQUEST, &CancelFlag::default()).await;
    println!("Gemma 270M: {out:?}");
    // The values may be poor; the shape is the grammar's, so it parses.
    assert!(!matches!(out, Err(WriteError::Malformed(_)) | Err(WriteError::Model(_))), "{out:?}");
    assert!(!grammar(&["a".into()], &[]).is_empty());
}

/// "add a readiness probe to checkout": an edit, computed from the live
/// object, so the manifest is the live object plus the probe.
#[tokio::test]
async fn an_edit_is_computed_from_the_live_object() {
    let live = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: shop}\nspec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec:\n      containers: [{name: checkout, image: \"shop/checkout:1.0\", ports: [{containerPort: 8080}]}]\n";
    let snap = Snapshot::from_yaml(live, None).unwrap();
    let model = Says(
        r#"{"change":"readiness-probe","kind":"deployment","name":"checkout","namespace":"shop","path":"/healthz"}"#,
    );
    let written =
        write(&model, &snap, "add a readiness probe on /healthz to checkout", &CancelFlag::default()).await.unwrap();
    assert_eq!(written.namespace(), "shop");
    let yaml = written.render(&snap).unwrap();
    assert!(yaml.contains("readinessProbe") && yaml.contains("image: shop/checkout:1.0"), "{yaml}");
    assert!(grammar(&["shop".into()], &["checkout".into()]).contains("\"\\\"checkout\\\"\""));
}
