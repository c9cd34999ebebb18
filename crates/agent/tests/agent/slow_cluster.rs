//! One slow cluster never blocks another: context `hung` is a listener that
//! accepts connections and never answers; questions on the healthy context
//! answer at once while a question on `hung` waits, and `hung`'s failure is
//! remembered so the next question about it fails fast.

use std::time::{Duration, Instant};

use kubeask_agent::Assistant;

use crate::hung::{hung_listener, with_hung_context};
use crate::support::start;

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_context_never_holds_up_a_healthy_one_and_its_failure_is_remembered() {
    let demo = start().await;
    let (port, listener) = hung_listener().await;
    let kc = demo._dir.path().join("two-contexts.yaml");
    with_hung_context(demo.server.kubeconfig_path(), port, &kc);
    let assistant = Assistant::new(vec![kc]).with_start_deadline(Duration::from_secs(3));
    let healthy = assistant.contexts().unwrap().current().unwrap().to_string();
    assert_eq!(assistant.ask(Some(&healthy), "how many nodes are there?").await.unwrap().short, "3");

    let hung = {
        let a = assistant.clone();
        tokio::spawn(async move { a.ask(Some("hung"), "how many nodes are there?").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let a = assistant.ask(Some(&healthy), "how many pods are in the shop namespace?").await.unwrap();
    let healthy_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("healthy context answered in {healthy_ms:.1} ms while the hung one waited");
    assert_eq!(a.short, "17");
    assert!(healthy_ms < 1000.0, "the healthy context waited {healthy_ms:.0} ms for the hung one");

    let t = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(30), hung).await.expect("bounded").unwrap().unwrap_err();
    println!("hung context failed after {:.1} s: {err}", t.elapsed().as_secs_f64() + 0.3);
    assert_eq!(err.code(), "CLUSTER_UNREACHABLE", "{err}");

    let t = Instant::now();
    let again = assistant.ask(Some("hung"), "how many nodes are there?").await.unwrap_err();
    assert!(t.elapsed() < Duration::from_millis(200), "a remembered failure answers at once");
    assert_eq!(again.code(), "CLUSTER_UNREACHABLE");
    assert!(again.to_string().contains("tried again in"), "{again}");
    listener.abort();
}
