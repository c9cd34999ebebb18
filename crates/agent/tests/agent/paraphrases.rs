//! Questions beyond the sample set, phrased the ways people ask them; the
//! expected answers were checked against the fixture with kubectl.

use crate::support::start;

const CASES: &[(&str, &str)] = &[
    ("how many deployments are in shop?", "7"),
    ("how many namespaces are there", "9"),
    ("which pods are pending?", "shipping"),
    ("which pods are failing in shop", "checkout, recommendations, shipping"),
    ("what port does the redis service expose", "6379"),
    ("which namespace is the ledger service in", "payments"),
    ("what is the app label of the redis pod", "redis"),
    ("who owns the mongodb-0 pod", "mongodb"),
    ("is the mongodb-backup cronjob suspended", "no"),
    ("is reports-export suspended?", "yes"),
    ("what is the status of node shop-node-3", "NotReady"),
    ("how much storage does reports-archive request", "100Gi"),
    ("what is the cluster ip of the frontend service", "10.96.98.113"),
    ("what is the min replicas of the frontend hpa", "3"),
    ("are all nodes ready", "no: shop-node-3 not Ready"),
    ("how many pods does the catalog deployment have", "2"),
    ("how many frontend pods are there", "6"),
    ("how many pods in the shop namespace are not running", "3"),
    ("which deployments are in the payments namespace", "ledger, payments-api"),
    ("what is the status of the frontend deployment", "6/6 ready"),
    ("which jobs failed", "orders-backfill"),
    ("what does the shop ingress route to", "frontend"),
    ("what type is the payments-api service", "ClusterIP"),
    ("which pods have restarted", "checkout, payments-api"),
    ("what is the qos class of mongodb-0", "Burstable"),
    ("which configmaps does cart use", "shop-config"),
    ("what containers does prometheus have", "prometheus, config-reloader"),
    ("how many cpus does shop-node-1 have", "4"),
    ("which service account does grafana use", "default"),
    ("what is PAYMENT_PROVIDER for checkout", "stripe"),
    ("what's wrong with recommendations", "ImagePullBackOff: ghcr.io/acme-shop/recommendations:lastest not found"),
    ("why is the reports-archive pvc pending", "storageclass.storage.k8s.io \"fast-ssd\" not found"),
    ("how many pods r running on shop-node-2", "17"),
    ("What is the memory limit of paymnts-api?", "512Mi"),
    ("In which namespace does redis run?", "data"),
    ("What keys does the shop-config configmap have?", "FEATURE_RECS_V2, LOG_LEVEL, SESSION_TTL"),
    ("What storage class does the reports-archive pvc use?", "fast-ssd"),
    ("What is the access mode of the data-mongodb-0 pvc?", "ReadWriteOnce"),
    ("What is the backoff limit of the orders-backfill job?", "2"),
    ("What is the LOG_LEVEL in the shop-config configmap?", "info"),
    ("Which deployment owns the checkout pod?", "checkout"),
    ("How many warning events are there in the shop namespace?", "5"),
    ("How many events are there in the shop namespace?", "27"),
];

#[tokio::test]
async fn paraphrased_and_follow_up_questions_get_exact_answers() {
    let demo = start().await;
    let mut failures = Vec::new();
    for (q, want) in CASES {
        let a = demo.assistant.ask(None, q).await.unwrap();
        if a.short != *want {
            failures.push(format!("{q:?}: got {:?}, want {want:?}", a.short));
        }
    }
    assert!(failures.is_empty(), "{} wrong:\n{}", failures.len(), failures.join("\n"));
}

/// The sample's paraphrase set (typed the way on-call engineers type: typos,
/// indirect references, two facts, negations, and 15 that must be
/// declined), scored right / declined / wrong. Declining is allowed; a
/// wrong confident answer is not.
#[tokio::test]
async fn the_paraphrase_set_gets_no_wrong_answer() {
    use crate::grading::{paraphrases, verdict, Verdict};
    let demo = start().await;
    let (mut right, mut declined, mut wrong) = (0, Vec::new(), Vec::new());
    for q in paraphrases() {
        let a = demo.assistant.ask(None, &q.query).await.unwrap();
        let line = format!("{} {:?}: got {:?}, want {:?}", q.id, q.query, a.short, q.answer);
        match verdict(&q, &a.short) {
            Verdict::Right => right += 1,
            Verdict::Declined => declined.push(line),
            Verdict::Wrong => wrong.push(line),
        }
    }
    println!("paraphrases: {right} right, {} declined, {} wrong", declined.len(), wrong.len());
    println!("declined:\n{}", declined.join("\n"));
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
    assert!(right >= 45, "only {right} of 60 right; declined:\n{}", declined.join("\n"));
}
