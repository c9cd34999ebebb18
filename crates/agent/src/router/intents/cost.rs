//! Cost questions at the user's prices (the allocation's one home is
//! `kubeask_insight::cost`): "what does the media namespace cost per
//! month?", "how much is this cluster costing us?", "which namespace costs
//! the most?", "where are we wasting the most?". Without the user's prices
//! the guard has already declined.

use kubeask_insight::cost::{report, By, CostReport};

use super::*;

/// Words a cost question may use beyond the money words.
pub(in crate::router) const COST_QUESTION_WORDS: &[&str] = &[
    "month",
    "monthly",
    "per",
    "a",
    "us",
    "we",
    "our",
    "much",
    "how",
    "most",
    "least",
    "more",
    "money",
    "dollars",
    "cluster",
    "whole",
    "total",
    "in",
    "run",
    "running",
    "to",
    "where",
    "biggest",
    "largest",
    "waste",
    "wasting",
    "wasted",
    "wasteful",
    "expensive",
    "cheapest",
    "costs",
    "cost",
    "costing",
    "spend",
    "spending",
    "namespace",
    "namespaces",
    "workload",
    "workloads",
    "bill",
    "price",
    "pricing",
];

fn money(x: f64) -> String {
    format!("${x:.2} a month")
}

/// The answer to a cost question, with the figures' basis.
pub(in crate::router) fn cost(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let prices = ctx.prices.as_ref().ok_or_else(|| Outcome::NotUnderstood { suggestions: suggestions(ctx) })?;
    let workload_target = r.targets.iter().find(|e| e.kind != Kind::Namespace && e.kind != Kind::Node);
    let by = if workload_target.is_some() || w.any(&["workload", "workloads"]) { By::Workload } else { By::Namespace };
    let rep = report(ctx.snap, prices, &by);
    let (short, lines) = if w.any(&["waste", "wasting", "wasted", "wasteful"]) {
        let top = rep.waste.first();
        (
            top.map_or("nothing found".to_string(), |x| format!("{} ({})", x.object, money(x.monthly))),
            rep.waste
                .iter()
                .take(5)
                .map(|x| format!("- {} `{}`: {} — {}", x.kind, x.object, money(x.monthly), x.detail))
                .collect(),
        )
    } else if let Some(e) = workload_target {
        let key = format!("{}/{}", e.namespace, e.name);
        let a = rep.allocations.iter().find(|a| a.name == key);
        (money(a.map_or(0.0, |a| a.total)), breakdown(a.into_iter()))
    } else if let Some(ns) = &r.namespace {
        let a = rep.allocations.iter().find(|a| &a.name == ns);
        (money(a.map_or(0.0, |a| a.total)), breakdown(a.into_iter()))
    } else if w.any(&["most", "expensive", "biggest", "largest", "least", "cheapest"]) {
        let pick = if w.any(&["least", "cheapest"]) { rep.allocations.last() } else { rep.allocations.first() };
        (pick.map_or("none".into(), |a| a.name.clone()), breakdown(rep.allocations.iter().take(5)))
    } else {
        (money(rep.total), totals(&rep))
    };
    let mut out = routed("cost", short, format!("{}\n\nBased on {}.", lines.join("\n"), rep.basis));
    out.kubectl.push("kubectl top pods -A".into());
    out.kubectl.push("kubectl get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,CPU:.spec.containers[*].resources.requests.cpu,MEM:.spec.containers[*].resources.requests.memory".into());
    Ok(out)
}

fn breakdown<'a>(rows: impl Iterator<Item = &'a kubeask_insight::cost::Allocation>) -> Vec<String> {
    rows.map(|a| {
        format!(
            "- `{}`: {} (CPU {:.2} cores ${:.2}, memory {:.1} GiB ${:.2}, storage {:.0} GiB ${:.2})",
            a.name,
            money(a.total),
            a.cpu_cores,
            a.cpu_cost,
            a.memory_gib,
            a.memory_cost,
            a.storage_gib,
            a.storage_cost
        )
    })
    .collect()
}

fn totals(rep: &CostReport) -> Vec<String> {
    let mut lines = breakdown(rep.allocations.iter().take(5));
    lines.push(format!("- idle node capacity: {}", money(rep.idle)));
    if rep.load_balancers > 0.0 {
        lines.push(format!("- load balancers: {}", money(rep.load_balancers)));
    }
    lines
}
