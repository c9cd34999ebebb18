//! Each rule of the table, on an in-memory cluster (no server, no TLS) that
//! shares no names with the sample: the rule that should fire fires, and
//! its short answer is the right one for this cluster.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use kubeask_insight::snapshot::Snapshot;

use super::rules::RULES;
use super::{route, Ctx, LogSource, Outcome, Prepared};

struct Logs(BTreeMap<&'static str, &'static str>);

impl LogSource for Logs {
    fn logs<'a>(
        &'a self,
        _namespace: &'a str,
        pod: &'a str,
        _container: Option<&'a str>,
        _previous: bool,
        _tail: Option<i64>,
    ) -> BoxFuture<'a, Result<String, String>> {
        let text = self.0.get(pod).map(|t| t.to_string()).ok_or_else(|| format!("no log for {pod}"));
        Box::pin(async move { text })
    }
}

fn cluster() -> Prepared {
    let now = "2026-12-01T10:00:00Z".parse().unwrap();
    Prepared::new(Snapshot::from_yaml(include_str!("testdata/ledger.yaml"), Some(now)).unwrap())
}

fn logs() -> Logs {
    Logs(BTreeMap::from([
        (
            "ledger-6b7f9d8c4f-k8m2v",
            "starting ledger 2.4.1\nlistening on :8080\nFATAL: could not connect to vault-db:5432: connection refused\n",
        ),
        ("ledger-6b7f9d8c4f-h2x9q", "starting ledger 2.4.1\nlistening on :8080\n"),
        ("migrate-schema-7xk2p", "applying 0042_users.sql\nERROR: relation \"users\" already exists\n"),
    ]))
}

/// `(rule, question, the short answer)`: exact, or, after `~`, a part of it
/// (long lists, explanations).
const CASES: &[(&str, &str, &str)] = &[
    ("unknown-name", "is the ledgr-api pod running?", "~no pod called ledgr-api"),
    ("ip-owner", "which pod has ip 10.244.2.31?", "vault-db-0"),
    // History without a history source: the timeline from the snapshot.
    ("history", "when did ledger start crashing?", "~2026-12-01 09:58 UTC"),
    ("history", "what happened to ledger in the last hour?", "~ledger: restart → crash loop"),
    ("object-field", "what storage class does the vault-data pvc use?", "fast-ssd"),
    ("label-word", "what zone is pool-b-1 in?", "eu-west-1b"),
    ("nodes-by-label", "which nodes are in zone eu-west-1b?", "pool-b-1"),
    ("objects-by-label", "which namespaces does team finance own?", "billing, invoices"),
    ("objects-by-label", "how many deployments belong to team core?", "1"),
    ("hpa-metric", "what is the cpu utilization of the ledger hpa?", "41%"),
    ("namespace-by-pods", "which namespace has the most pods?", "payments"),
    ("cost", "which namespace costs the most?", "payments"),
    ("cost", "what does the payments namespace cost per month?", "~a month"),
    ("cost", "where are we wasting the most?", "~a month)"),
    // Nothing in this cluster sets runAsNonRoot, and nothing is privileged.
    ("security", "which pods run as root in payments?", "gateway, ledger, vault-db"),
    ("security", "is anything privileged in payments?", "no"),
    ("security", "how many workloads in payments may run as root?", "3"),
    ("top", "which pod uses the most memory?", "vault-db-0"),
    ("not-ready-nodes", "which nodes are not ready?", "pool-b-1"),
    ("all-nodes-ready", "are all nodes ready?", "no: pool-b-1 not Ready"),
    ("node-capacity", "how many cpus does pool-a-1 have?", "8"),
    ("count-restarts", "how many times has the ledger pod restarted?", "7"),
    ("count-containers", "how many containers does vault-db-0 have?", "1"),
    ("count-endpoints", "how many endpoints does the ledger service have?", "1"),
    ("count-replicas", "how many replicas does the ledger deployment want?", "2"),
    ("count-ready-pods", "how many ledger pods are ready?", "1"),
    ("count-pods-of-target", "how many pods does ledger have?", "2"),
    ("count", "how many nodes are there?", "2"),
    ("logs", "what errors does ledger log?", "could not connect to vault-db:5432: connection refused"),
    ("why", "why is ledger crashing?", "could not connect to vault-db:5432: connection refused"),
    ("node-of", "which node is vault-db-0 on?", "pool-b-1"),
    ("images-in", "which images run in payments?", "envoyproxy/envoy:v1.31, ghcr.io/acme/ledger:2.4.1, postgres:16.4"),
    ("image", "what image does vault-db use?", "postgres:16.4"),
    ("image", "what image is the crashlooping pod running?", "ghcr.io/acme/ledger:2.4.1"),
    ("node-of", "which node is the pod that keeps crashlooping sitting on?", "pool-a-1"),
    ("port", "what target port does the ledger service use?", "8080"),
    ("restarted-pods", "which pods have restarted?", "ledger"),
    ("pod-field", "what is the qos class of vault-db-0?", "BestEffort"),
    ("restarts-of", "restarts of vault-db-0", "0"),
    ("env-var", "what is LOG_LEVEL set to in ledger?", "debug"),
    ("env-list", "what environment variables does ledger have?", "LOG_LEVEL=debug"),
    ("hpa-bounds", "what is the max replicas of the ledger hpa?", "9"),
    ("replicas", "replicas of vault-db?", "1"),
    ("version", "what kubelet version does pool-b-1 run?", "v1.33.4"),
    ("version", "which container runtime does the batch pool use?", "containerd://1.7.2"),
    ("storage-capacity", "how big is the vault-data pvc?", "20Gi"),
    ("resources", "what is the memory limit of ledger?", "256Mi"),
    ("resources", "mem limit of ledger?", "256Mi"),
    ("resources", "memory limit on the ledger conatiner?", "256Mi"),
    ("cron-last-run", "when did nightly-report last run?", "2026-11-28T02:30:00Z"),
    ("cron-suspended", "which cronjobs are suspended?", "nightly-report"),
    ("schedule", "how often does nightly-report run?", "30 2 * * *"),
    ("ingress-backends", "which service does the pay ingress route to?", "ledger"),
    ("service-type", "what type is the ledger service?", "ClusterIP"),
    ("ingress-host", "what host does the pay ingress serve?", "pay.example.org"),
    ("labels", "what labels does the ledger deployment have?", "app=ledger, team=core"),
    ("owner", "what owns vault-db-0?", "vault-db"),
    ("namespace-of", "which namespace is nightly-report in?", "ops"),
    ("events", "show the events of ledger", "BackOff: Back-off restarting failed container ledger"),
    ("ip", "what is the cluster ip of the ledger service?", "10.96.40.10"),
    ("age", "how old is vault-db-0?", "30d"),
    ("list", "which pods are crashlooping?", "ledger"),
    ("status", "what is the status of migrate-schema?", "Failed"),
    ("config-value", "what is retry_budget in ledger-config?", "12"),
    ("bare-name", "vault-data?", "Bound"),
];

/// `(field label, question, the short answer)`: one per row of the field table.
const FIELD_CASES: &[(&str, &str, &str)] = &[
    ("storage class", "what storage class does the vault-data pvc use?", "fast-ssd"),
    ("access modes", "what access mode does vault-data have?", "ReadWriteOnce"),
    ("volume", "which volume is the vault-data pvc bound to?", "none (not bound)"),
    ("backoff limit", "what is the backoff limit of migrate-schema?", "2"),
    ("completions", "how many completions does migrate-schema need?", "1"),
    ("parallelism", "what parallelism does migrate-schema run with?", "1"),
    ("keys", "what keys does ledger-config contain?", "~retry_budget"),
    ("QoS class", "what is the qos class of vault-db-0?", "BestEffort"),
    ("init containers", "which init containers does gateway run?", "fetch-certs"),
    ("service account", "which service account does gateway use?", "edge"),
    ("service account", "what service account does vault-db-0 run as?", "default"),
    ("containers", "what are the container names of gateway?", "envoy"),
    ("ConfigMaps", "which configmaps does gateway use?", "ledger-config"),
    ("Secrets", "which secrets does gateway mount?", "gateway-tls"),
    ("type", "what type is the ledger service?", "ClusterIP"),
    ("hosts", "what host does the pay ingress serve?", "pay.example.org"),
];

fn matches(short: &str, want: &str) -> bool {
    match want.strip_prefix('~') {
        Some(part) => short.contains(part),
        None => short == want,
    }
}

async fn ask(p: &Prepared, q: &str) -> Outcome {
    let logs = logs();
    let ctx = Ctx::new(p, &logs);
    route(&ctx, q).await
}

/// Asked by a user who set prices (cost questions are answered only then):
/// $0.04 a core-hour, $0.005 a GiB-hour, $0.10 a GiB-month of storage.
async fn ask_priced(p: &Prepared, q: &str) -> Outcome {
    let logs = logs();
    let prices = kubeask_insight::cost::Prices {
        cpu_core_hour: 0.04,
        memory_gib_hour: 0.005,
        storage_gib_month: 0.10,
        source: "test prices".into(),
        ..Default::default()
    };
    let ctx = Ctx::new(p, &logs).with_prices(Some(prices));
    route(&ctx, q).await
}

#[tokio::test]
async fn every_rule_answers_its_own_question_on_a_cluster_it_never_saw() {
    let p = cluster();
    let mut wrong = Vec::new();
    for (rule, q, want) in CASES {
        let out = if *rule == "cost" { ask_priced(&p, q).await } else { ask(&p, q).await };
        match out {
            Outcome::Answered(a) if a.rule == *rule && matches(&a.short, want) => {}
            Outcome::Answered(a) => {
                wrong.push(format!("{q:?}: rule {} answered {:?} (want {rule}: {want:?})", a.rule, a.short))
            }
            Outcome::NotFound { message } if *rule == "unknown-name" && matches(&message, want) => {}
            other => wrong.push(format!("{q:?}: {other:?} (want {rule}: {want:?})")),
        }
    }
    assert!(wrong.is_empty(), "{} of {} rules misfired:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

/// The explanation under a "why" answer carries the cause and its evidence.
#[tokio::test]
async fn why_answers_explain_with_the_cause_and_its_evidence() {
    let p = cluster();
    for (q, short, explained) in [
        ("why did migrate-schema fail?", "relation \"users\" already exists", "BackoffLimitExceeded"),
        // A part of exactly one Job's name, beside its kind word, names it.
        ("why did the migrate job fail?", "relation \"users\" already exists", "BackoffLimitExceeded"),
        ("why is gateway not ready?", "Readiness probe failed", "503"),
        ("why is ledger crashing?", "connection refused", "exit code 3"),
    ] {
        match ask(&p, q).await {
            Outcome::Answered(a) => {
                assert!(a.short.contains(short), "{q}: short {:?} lacks {short:?}", a.short);
                assert!(a.explanation.contains(explained), "{q}: explanation lacks {explained:?}:\n{}", a.explanation);
            }
            other => panic!("{q}: {other:?}"),
        }
    }
}

/// Every row of the field table answers its own question, and says which
/// field it read.
#[tokio::test]
async fn every_field_row_reads_its_field() {
    use super::intents::{INGRESS_HOSTS, OBJECT_FIELDS, POD_FIELDS, SERVICE_TYPE};
    let rows: Vec<&str> =
        OBJECT_FIELDS.iter().chain(POD_FIELDS).chain([&SERVICE_TYPE, &INGRESS_HOSTS]).map(|f| f.label).collect();
    let missing: Vec<&&str> = rows.iter().filter(|l| !FIELD_CASES.iter().any(|(c, _, _)| c == *l)).collect();
    assert!(missing.is_empty(), "field rows without a case: {missing:?}");
    let p = cluster();
    let mut wrong = Vec::new();
    for (label, q, want) in FIELD_CASES {
        match ask(&p, q).await {
            Outcome::Answered(a) if matches(&a.short, want) && a.explanation.contains(label) => {}
            other => wrong.push(format!("{q:?}: {other:?} (want {label}: {want:?})")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} field questions misread:\n{}",
        wrong.len(),
        FIELD_CASES.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_rule_in_the_table_has_a_case() {
    let missing: Vec<&str> =
        RULES.iter().map(|r| r.name).filter(|n| !CASES.iter().any(|(rule, _, _)| rule == n)).collect();
    assert!(missing.is_empty(), "rules without a unit case: {missing:?}");
    let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), RULES.len(), "rule names must be unique");
}

#[tokio::test]
async fn questions_the_cluster_cannot_answer_are_declined_not_guessed() {
    let p = cluster();
    for q in [
        "what is the p99 latency of the ledger service?",
        "how much does the payments namespace cost per month?",
        "what is the tag of the image of the nightly-report cronjob's last failed run on tuesday?",
        "scale ledger to 5 replicas",
        "what is the password in the ledger secret?",
        "why is the payroll deployment crashlooping?",
        "which node runs the evicted pod?",
        // "schema" is part of a Job's name, not a Deployment's.
        "why is the schema deployment failing?",
    ] {
        let out = ask(&p, q).await;
        assert!(!matches!(out, Outcome::Answered(_)), "{q:?} must be declined, got {out:?}");
    }
}

/// Questions are outside input: any mix of the cluster's names, question
/// words, typos, odd Unicode and punctuation is answered, declined or
/// passed on — never a panic (a panic here takes `/query` down with it).
mod any_question {
    use proptest::prelude::*;

    use super::{ask, cluster};

    const WORDS: &[&str] = &[
        "why",
        "is",
        "the",
        "how",
        "many",
        "which",
        "what",
        "pods",
        "pod",
        "deployment",
        "ledger",
        "ledgr",
        "vault-db-0",
        "payments",
        "in",
        "namespace",
        "node",
        "pool-b-1",
        "image",
        "version",
        "of",
        "ip",
        "10.244.2.31",
        "port",
        "8080",
        "logs",
        "events",
        "not",
        "running",
        "ready",
        "restarts",
        "memory",
        "cpu",
        "zone",
        "label",
        "team",
        "=",
        "?",
        "'s",
        "-",
        "İ",
        "é",
        "🙂",
        "\u{202e}",
        "<|im_start|>",
        "all",
        "most",
        "and",
        "or",
    ];

    fn question() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::collection::vec(prop::sample::select(WORDS), 0..12).prop_map(|w| w.join(" ")),
            1 => "\\PC{0,80}",
            1 => (proptest::collection::vec(prop::sample::select(WORDS), 1..8), "\\PC{0,6}")
                .prop_map(|(w, glue)| w.join(&glue)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_question_is_answered_declined_or_passed_on(q in question()) {
            static PREPARED: std::sync::OnceLock<super::Prepared> = std::sync::OnceLock::new();
            let p = PREPARED.get_or_init(cluster);
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let _ = rt.block_on(ask(p, &q));
        }
    }
}
