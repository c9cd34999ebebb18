//! Nodes: readiness, capacity, placement, pools and zones by label, top usage.

use super::*;

/// "are all nodes ready?"
pub(in crate::router) fn all_nodes_ready(ctx: &Ctx<'_>) -> Routed {
    let bad: Vec<String> =
        ctx.snap.nodes.iter().filter(|n| !node_ready(n)).filter_map(|n| n.metadata.name.clone()).collect();
    let short = if bad.is_empty() { "yes".to_string() } else { format!("no: {} not Ready", join(bad.clone())) };
    let mut out = routed(
        "node",
        short,
        format!("{} of {} nodes are Ready.", ctx.snap.nodes.len() - bad.len(), ctx.snap.nodes.len()),
    );
    out.kubectl.push("kubectl get nodes".into());
    out
}

pub(in crate::router) fn node_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let nodes = distinct(
        pods.iter()
            .map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(|| "(not scheduled)".into())),
    );
    let word = shown_target(r, &entries);
    let details = pods
        .iter()
        .map(|p| {
            format!(
                "- `{}` on {}",
                name(p),
                p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_else(|| "no node (unscheduled)".into())
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("node", join(nodes), format!("{word}:\n{details}"));
    out.evidence = pods.iter().map(|p| pod_ev(p)).collect();
    out.kubectl.push(format!("kubectl get pods{} -o wide | grep {word}", ns_flag(&entries[0].namespace)));
    Ok(out)
}

pub(in crate::router) fn top(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let mem = !w.any(&["cpu", "cpus", "cores"]);
    let least = w.any(&["least", "lowest"]);
    if r.kind == Some(Kind::Node) {
        let mut v: Vec<(f64, String)> = ctx
            .snap
            .node_metrics
            .iter()
            .map(|m| {
                let q = m.usage.get(if mem { "memory" } else { "cpu" }).map(|q| q.0.clone()).unwrap_or_default();
                (if mem { mem_bytes(&q) } else { cpu_millis(&q) }, m.metadata.name.clone().unwrap_or_default())
            })
            .collect();
        if v.is_empty() {
            return Err(Outcome::NotFound { message: "no node metrics: is metrics-server installed?".into() });
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (val, name) = if least { v[0].clone() } else { v[v.len() - 1].clone() };
        let shown = if mem { facts::show_mem(val) } else { format!("{val:.0}m") };
        let mut out = routed("metrics", name.clone(), format!("Node {name} uses {shown}."));
        out.kubectl.push(format!("kubectl top nodes --sort-by={}", if mem { "memory" } else { "cpu" }));
        return Ok(out);
    }
    let mut v: Vec<(f64, String, String)> = ctx
        .snap
        .pod_metrics
        .iter()
        .filter(|m| r.namespace.as_deref().is_none_or(|n| m.metadata.namespace.as_deref() == Some(n)))
        .map(|m| {
            let total: f64 = m
                .containers
                .iter()
                .map(|c| {
                    let q = c.usage.get(if mem { "memory" } else { "cpu" }).map(|q| q.0.clone()).unwrap_or_default();
                    if mem {
                        mem_bytes(&q)
                    } else {
                        cpu_millis(&q)
                    }
                })
                .sum();
            (total, m.metadata.namespace.clone().unwrap_or_default(), m.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    if v.is_empty() {
        return Err(Outcome::NotFound { message: "no pod metrics: is metrics-server installed?".into() });
    }
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (val, pns, pname) = if least { v[0].clone() } else { v[v.len() - 1].clone() };
    let pod = ctx.snap.pods.iter().find(|p| name(p) == pname && ns(p) == pns);
    let shown_name = pod.map(|p| ctx.owners.base_name(p)).unwrap_or_else(|| pname.clone());
    let shown = if mem { facts::show_mem(val) } else { format!("{val:.0}m") };
    let mut out = routed(
        "metrics",
        shown_name,
        format!("Pod `{pns}/{pname}` uses {shown} of {}.", if mem { "memory" } else { "CPU" }),
    );
    out.evidence.push(Evidence::new("Pod", Some(&pns), &pname));
    out.kubectl.push(format!(
        "kubectl top pods {} --sort-by={}",
        r.namespace.as_deref().map(|n| format!("-n {n}")).unwrap_or_else(|| "-A".into()),
        if mem { "memory" } else { "cpu" }
    ));
    Ok(out)
}

/// The last segment of a label key, and its words (`topology.kubernetes.io/zone`
/// → zone; `cloud.google.com/gke-nodepool` → gke-nodepool, gke, nodepool).
pub(in crate::router) fn label_key_matches(key: &str, word: &str) -> bool {
    let last = key.rsplit('/').next().unwrap_or(key);
    word.chars().count() >= 3
        && (last == word || last.split(['-', '_', '.']).any(|p| p == word) || (word.len() >= 4 && last.ends_with(word)))
}

/// "what zone is shop-node-3 in", "which node pool are our nodes in": a
/// question naming a label key of nodes (zone, region, pool, arch, …)
/// answers that label's value, for the named node or for every node.
pub(in crate::router) fn label_word(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<R> {
    let named_nodes: Vec<&str> = r.targets.iter().filter(|e| e.kind == Kind::Node).map(|e| e.name.as_str()).collect();
    let about_nodes = !named_nodes.is_empty() || (r.kind == Some(Kind::Node) && r.targets.is_empty());
    if !about_nodes || w.prefix(&["label"]) {
        return None;
    }
    let nodes: Vec<&Arc<k8s_openapi::api::core::v1::Node>> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| named_nodes.is_empty() || n.metadata.name.as_deref().is_some_and(|x| named_nodes.contains(&x)))
        .collect();
    let keys: BTreeSet<&String> =
        nodes.iter().flat_map(|n| n.metadata.labels.iter().flatten().map(|(k, _)| k)).collect();
    let word_keys: Vec<&String> = keys
        .iter()
        .copied()
        .filter(|k| {
            w.lower.iter().any(|x| {
                !guard::is_intent_word(x) && crate::router::vocab::kind_word(x).is_none() && label_key_matches(k, x)
            })
        })
        .collect();
    // Prefer the stable key over its deprecated `beta.` twin.
    let key = word_keys.iter().find(|k| !k.starts_with("beta.")).or(word_keys.first())?;
    if let Err(e) = guard::accounted_for_with(ctx, w, r, &[key.rsplit('/').next().unwrap_or(key)]) {
        return Some(Err(e));
    }
    let values = distinct(nodes.iter().filter_map(|n| n.metadata.labels.as_ref()?.get(*key).cloned()));
    let details = nodes
        .iter()
        .map(|n| {
            format!(
                "- {}: {}",
                n.metadata.name.clone().unwrap_or_default(),
                n.metadata.labels.as_ref().and_then(|l| l.get(*key)).cloned().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("labels", join(values), format!("Label `{key}` of the nodes:\n{details}"));
    out.evidence =
        nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push(format!("kubectl get nodes -L {key}"));
    Some(Ok(out))
}

/// "which nodes are in zone eu-west-1b?", "how many nodes are in the batch
/// pool?": the nodes carrying a label value the question names. When the
/// value is under several keys, a key word in the question chooses.
pub(in crate::router) fn nodes_by_label(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let Some((value, keys)) = &r.node_label else {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    };
    let named: Vec<&String> = keys.iter().filter(|k| w.lower.iter().any(|x| label_key_matches(k, x))).collect();
    let key = match (named.as_slice(), keys.as_slice()) {
        ([k], _) => (*k).clone(),
        ([], [k]) => k.clone(),
        _ => return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) }),
    };
    let last = key.rsplit('/').next().unwrap_or(&key).to_string();
    guard::accounted_for_with(ctx, w, r, &[value.as_str(), last.as_str(), "pool", "zone", "region", "label"])?;
    let nodes: Vec<String> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| n.metadata.labels.as_ref().and_then(|l| l.get(&key)).is_some_and(|v| v.eq_ignore_ascii_case(value)))
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let short =
        if w.phrase("how many") || w.any(&["count", "number"]) { nodes.len().to_string() } else { join(nodes.clone()) };
    let mut out = routed("nodes", short, format!("Nodes with `{key}={value}`: {}.", join(nodes.clone())));
    out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push(format!("kubectl get nodes -l {key}={value}"));
    Ok(out)
}

/// "which namespaces does team platform own?", "how many deployments are in
/// tier backend?": the objects of the asked kind carrying a label value the
/// question names (a key word chooses among keys that carry it).
pub(in crate::router) fn objects_by_label(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let declined = || Outcome::NotUnderstood { suggestions: suggestions(ctx) };
    let (Some((value, carriers)), Some(kind)) = (&r.object_label, r.kind) else { return Err(declined()) };
    let keys: Vec<&String> = carriers.iter().filter(|(k, _)| *k == kind).map(|(_, key)| key).collect();
    let named: Vec<&String> =
        keys.iter().copied().filter(|k| w.lower.iter().any(|x| label_key_matches(k, x))).collect();
    let key = match (named.as_slice(), keys.as_slice()) {
        ([k], _) => (*k).clone(),
        ([], [k]) => (*k).clone(),
        _ => return Err(declined()),
    };
    let last = key.rsplit('/').next().unwrap_or(&key).to_string();
    let also =
        [value.as_str(), last.as_str(), "own", "owns", "owned", "belong", "belongs", "labeled", "labelled", "tagged"];
    guard::accounted_for_with(ctx, w, r, &also)?;
    let mut found: Vec<(String, String)> = ctx
        .snap
        .objects(kind)
        .iter()
        .filter(|o| r.namespace.as_deref().is_none_or(|n| !kind.namespaced() || o.namespace() == n))
        .filter(|o| o.meta.labels.as_ref().and_then(|l| l.get(&key)).is_some_and(|v| v.eq_ignore_ascii_case(value)))
        .map(|o| (o.namespace().to_string(), o.name().to_string()))
        .collect();
    found.sort();
    let names: Vec<String> = found.iter().map(|(_, n)| n.clone()).collect();
    let counting = w.phrase("how many") || w.any(&["count", "number"]);
    let short = if counting {
        names.len().to_string()
    } else if names.is_empty() {
        "none".into()
    } else {
        join(names.clone())
    };
    let mut out = routed("labels", short, format!("{}s with `{key}={value}`: {}.", kind.name(), join(names.clone())));
    out.evidence = found.iter().map(|(ns, n)| Evidence::new(kind.name(), Some(ns), n)).collect();
    let scope = match (kind.namespaced(), r.namespace.as_deref()) {
        (false, _) => String::new(),
        (true, Some(n)) => format!(" -n {n}"),
        (true, None) => " -A".into(),
    };
    out.kubectl.push(format!("kubectl get {}{scope} -l {key}={value}", kind.kubectl()));
    Ok(out)
}

pub(in crate::router) fn not_ready_nodes(ctx: &Ctx<'_>) -> R {
    let nodes: Vec<String> =
        ctx.snap.nodes.iter().filter(|n| !node_ready(n)).filter_map(|n| n.metadata.name.clone()).collect();
    let short = if nodes.is_empty() { "none".to_string() } else { join(nodes.clone()) };
    let mut out = routed("node", short, format!("{} of {} nodes are not Ready.", nodes.len(), ctx.snap.nodes.len()));
    out.evidence = nodes.iter().map(|n| Evidence::new("Node", None, n)).collect();
    out.kubectl.push("kubectl get nodes".into());
    Ok(out)
}

pub(in crate::router) fn node_capacity(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Node])?;
    let e = &entries[0];
    let n = ctx.snap.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(&e.name)).expect("picked");
    let res = if w.any(&["cpu", "cpus", "cores"]) {
        "cpu"
    } else if w.any(&["memory", "ram"]) {
        "memory"
    } else {
        "pods"
    };
    let alloc = w.any(&["allocatable", "available", "schedulable"]);
    let st = n.status.as_ref();
    let map = if alloc { st.and_then(|s| s.allocatable.as_ref()) } else { st.and_then(|s| s.capacity.as_ref()) };
    let v = map.and_then(|m| m.get(res)).map(|q| q.0.clone()).unwrap_or_else(|| "unknown".into());
    let mut out = routed(
        "node",
        v.clone(),
        format!("Node {} {} {res}: {v}.", e.name, if alloc { "allocatable" } else { "capacity" }),
    );
    out.evidence.push(Evidence::new("Node", None, &e.name));
    out.kubectl.push(format!("kubectl describe node {}", e.name));
    Ok(out)
}
