//! Planted secrets never come back: a copy of the sample cluster whose logs,
//! events and env literals hold credentials is asked the why / logs /
//! events / env questions (through the real kube client and the demo API
//! server) and diagnosed; no answer, explanation or finding carries them.

use kubeask_agent::Assistant;
use kubeask_cluster::demo::{DemoOptions, DemoServer};
use kubeask_cluster::fixture::FixtureObject;
use serde_json::json;

use crate::support::fixture;

const CANARIES: &[&str] = &["CanaryPw41x9", "CanaryTok52y8", "CanaryBearer63z7abc", "CanaryEnv74w6", "CanaryAnn85v5"];

fn planted() -> kubeask_cluster::fixture::Fixture {
    let mut f = fixture();
    let key = f.logs.keys().find(|k| k.pod.starts_with("checkout-") && k.previous).cloned().expect("checkout log");
    let log = f.logs.get_mut(&key).unwrap();
    log.push_str(&format!(
        "FATAL cannot reach postgres://app:{}@db:5432/orders (token={})\n",
        CANARIES[0], CANARIES[1]
    ));
    let pod = key.pod.clone();
    f.objects.push(FixtureObject {
        api_version: "v1".into(),
        kind: "Event".into(),
        value: json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": format!("{pod}.canary"), "namespace": "shop"},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": pod, "namespace": "shop"},
            "reason": "BackOff", "type": "Warning", "count": 1,
            "firstTimestamp": "2026-11-20T11:59:00Z", "lastTimestamp": "2026-11-20T11:59:00Z",
            "message": format!("probe sent Authorization: Bearer {} and failed", CANARIES[2]),
            "source": {"component": "kubelet"}
        }),
    });
    for o in f.objects.iter_mut().filter(|o| o.kind == "Deployment" && o.value["metadata"]["name"] == "checkout") {
        let c = &mut o.value["spec"]["template"]["spec"]["containers"][0];
        let env = c["env"].as_array_mut().expect("checkout has env");
        env.push(json!({"name": "DB_PASSWORD", "value": CANARIES[3]}));
        o.value["metadata"]["annotations"] = json!({"ops/notes": format!("rotate with api_key={}", CANARIES[4])});
    }
    f
}

#[tokio::test]
async fn planted_secrets_never_reach_an_answer_or_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DemoOptions::new(planted());
    opts.kubeconfig_path = Some(dir.path().join("kubeconfig"));
    let server = DemoServer::start(opts).await.unwrap();
    let assistant = Assistant::new(vec![server.kubeconfig_path().to_path_buf()]);
    let mut seen = String::new();
    for q in [
        "why is checkout crashing?",
        "show the logs of checkout",
        "what errors does checkout log?",
        "what are the events of checkout",
        "what is DB_PASSWORD for checkout",
        "what env vars does checkout have",
        "what are the labels of checkout",
    ] {
        let a = assistant.ask(None, q).await.unwrap();
        seen.push_str(&serde_json::to_string(&a).unwrap());
        seen.push('\n');
    }
    let findings = assistant.diagnose(None, None).await.unwrap();
    seen.push_str(&serde_json::to_string(&findings).unwrap());
    let hits: Vec<&&str> = CANARIES.iter().filter(|c| seen.contains(**c)).collect();
    println!("canary hits: {} of {}", hits.len(), CANARIES.len());
    assert!(hits.is_empty(), "planted secrets came back: {hits:?}");
    // The answers still say what happened, with the secret masked.
    assert!(seen.contains("postgres://app:****@db"), "the crash reason is still shown");
    server.stop().await;
}
