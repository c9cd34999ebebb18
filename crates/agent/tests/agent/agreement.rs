//! The router and the read tools read the same facts: for every sample
//! question, each object the direct answer cites is one the tools find, and
//! each value of the short answer is one the tools show for those objects.

use kubeask_agent::Mode;
use kubeask_cluster::insight::kind::Kind;
use kubeask_cluster::insight::snapshot::Snapshot;
use kubeask_cluster::insight::tools::{self, describe::DescribeArgs, list::ListArgs, ToolCall};

use crate::grading::questions;
use crate::support::start;

/// What the tools show about the cited objects: each described, and every
/// object of their kinds listed (the status column) in their namespaces.
fn tool_view(snap: &Snapshot, cited: &[(Kind, String, String)]) -> Result<String, String> {
    let mut text = String::new();
    for (kind, ns, name) in cited {
        let call = ToolCall::Describe(DescribeArgs {
            kind: kind.tool_name().into(),
            name: name.clone(),
            namespace: (!ns.is_empty()).then(|| ns.clone()),
        });
        let out = tools::run(snap, &call).map_err(|e| format!("the tools do not find {kind:?} {ns}/{name}: {e}"))?;
        text.push_str(&out.text);
        let list = ToolCall::List(ListArgs {
            kind: kind.tool_name().into(),
            namespace: (!ns.is_empty()).then(|| ns.clone()),
            ..Default::default()
        });
        let listed = tools::run(snap, &list).map_err(|e| e.to_string())?;
        if !listed.objects.iter().any(|o| o.name == *name && o.namespace == *ns) {
            return Err(format!("list {} does not show {ns}/{name}", kind.tool_name()));
        }
        text.push_str(&listed.text);
    }
    Ok(text)
}

#[tokio::test]
async fn router_answers_and_tool_calls_name_the_same_objects_and_values() {
    let demo = start().await;
    let snap = demo.assistant.cache(None).await.unwrap().snapshot();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for q in questions() {
        let a = demo.assistant.ask(None, &q.query).await.unwrap();
        assert_eq!(a.mode, Mode::Direct, "{}", q.query);
        let cited: Vec<(Kind, String, String)> = a
            .evidence
            .iter()
            .filter_map(|e| Some((Kind::from_api(&e.kind)?, e.namespace.clone(), e.name.clone())))
            .filter(|(k, _, _)| *k != Kind::Event)
            .collect();
        let view = match tool_view(&snap, &cited) {
            Ok(v) => v,
            Err(e) => {
                disagreements.push(format!("{}: {e}", q.id));
                continue;
            }
        };
        // Causes and log lines are graded by phrase; their objects agree above.
        if matches!(q.family.as_str(), "why" | "logs" | "events") {
            continue;
        }
        for part in a.short.split(", ").map(str::trim).filter(|p| !p.is_empty()) {
            let counted = part.parse::<usize>().is_ok_and(|n| n == cited.len());
            if !counted && !view.contains(part) {
                disagreements.push(format!("{} {:?}: {part:?} is not in what the tools show", q.id, q.query));
            }
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} answers compared");
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}
