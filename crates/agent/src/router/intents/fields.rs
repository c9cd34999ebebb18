//! One field of one object: images, ports, env, resources, schedules, hosts, labels, owners, IPs, ages.

use super::*;

/// The containers of an object: its pod template's (insight's
/// `pod_spec`), else those of the pods behind it (a Service).
pub(in crate::router) fn containers_of<'a>(ctx: &'a Ctx<'_>, e: &NameEntry) -> Vec<&'a Container> {
    let found = if e.kind == Kind::Pod { Vec::new() } else { ctx.snap.get(e.kind, Some(&e.namespace), &e.name) };
    match found.first().and_then(|o| o.pod_spec()) {
        Some(spec) => spec.containers.iter().collect(),
        None => pods_for(ctx, std::slice::from_ref(e))
            .into_iter()
            .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
            .collect(),
    }
}

/// The containers a question is about: the ones it names ("the
/// config-reloader container"), the sidecars ("the sidecar next to X":
/// every container but the first), else all.
pub(in crate::router) fn named_containers<'a>(
    w: &Words,
    r: &Refs,
    containers: Vec<&'a Container>,
) -> Vec<&'a Container> {
    let sidecar = w.any(&["sidecar", "sidecars"]);
    // NB: the workload's own name is often its main container's name too:
    // "the sidecar next to prometheus" names the workload, not a container.
    let mut named: Vec<&Container> = containers
        .iter()
        .copied()
        .filter(|c| {
            let n = c.name.to_lowercase();
            w.has(&n) && !(sidecar && r.target_word.as_deref() == Some(n.as_str()))
        })
        .collect();
    // "prometheus's config-reloader container": the workload's name is not
    // a second container asked about.
    if named.len() > 1 {
        named.retain(|c| r.target_word.as_deref() != Some(c.name.to_lowercase().as_str()));
    }
    if !named.is_empty() {
        return named;
    }
    if sidecar {
        // No sidecar is no sidecar: never the main container instead.
        return containers.get(1..).map(<[_]>::to_vec).unwrap_or_default();
    }
    containers
}

pub(in crate::router) fn image(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = named_containers(w, r, containers_of(ctx, e));
    if containers.is_empty() {
        return Err(Outcome::NotFound { message: format!("{} has no such container (not found)", e.name) });
    }
    let images = distinct(containers.iter().filter_map(|c| c.image.clone()));
    let word = shown_target(r, &entries);
    let details = containers
        .iter()
        .map(|c| format!("- container `{}`: `{}`", c.name, c.image.clone().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("image", join(images), format!("{} {word}:\n{details}", e.kind.name()));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    let k = if e.kind == Kind::Pod { "pod".to_string() } else { e.kind.kubectl().to_string() };
    out.kubectl.push(format!(
        "kubectl get {k} {}{} -o jsonpath='{{..containers[*].image}}'",
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(in crate::router) fn port(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Service, Kind::Pod, Kind::Deployment, Kind::StatefulSet])?;
    let e = &entries[0];
    let word = shown_target(r, &entries);
    if e.kind != Kind::Service {
        let ports: Vec<String> = containers_of(ctx, e)
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .map(|p| p.container_port.to_string())
            .collect();
        let mut out = routed("service", join(distinct(ports)), format!("Container ports of {word}."));
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
        return Ok(out);
    }
    let svc = find_in(&ctx.snap.services, e).expect("picked");
    let ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    let backing = pods_for(ctx, std::slice::from_ref(e));
    let resolve = |tp: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString| -> String {
        use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
        match tp {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::String(named) => backing
                .iter()
                .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| p.name.as_deref() == Some(named.as_str()))
                .map(|p| p.container_port.to_string())
                .unwrap_or_else(|| named.clone()),
        }
    };
    let node = w.prefix(&["nodeport"]) || w.phrase("node port");
    // "…which port does it actually hit on the pod", unless "not the container".
    let pod_side = w.any(&["pod", "pods", "container", "containers"])
        && !["not the container", "not the pod", "not container", "not pod"].iter().any(|p| w.phrase(p));
    let target = w.prefix(&["targetport"]) || w.phrase("target port") || (pod_side && !node);
    // A port named ("https") or numbered ("listens on 80") picks that one.
    let picked: Vec<&k8s_openapi::api::core::v1::ServicePort> = ports
        .iter()
        .filter(|p| p.name.as_deref().is_some_and(|n| w.has(&n.to_lowercase())) || w.has(&p.port.to_string()))
        .collect();
    let chosen: Vec<&k8s_openapi::api::core::v1::ServicePort> =
        if picked.is_empty() { ports.iter().collect() } else { picked };
    let values: Vec<String> = chosen
        .iter()
        .map(|p| {
            if target {
                p.target_port.as_ref().map(&resolve).unwrap_or_else(|| p.port.to_string())
            } else if node {
                p.node_port.map(|n| n.to_string()).unwrap_or_else(|| "none".into())
            } else {
                p.port.to_string()
            }
        })
        .collect();
    let details = ports
        .iter()
        .map(|p| {
            format!(
                "- {} port {} → targetPort {}{}",
                p.name.clone().unwrap_or_default(),
                p.port,
                p.target_port
                    .as_ref()
                    .map(|t| match t {
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
                        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) =>
                            format!("{s} ({})", resolve(t)),
                    })
                    .unwrap_or_default(),
                p.node_port.map(|n| format!(", nodePort {n}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("service", join(values), format!("Service {}/{}:\n{details}", e.namespace, e.name));
    out.evidence.push(Evidence::new("Service", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get service {}{} -o yaml", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(in crate::router) fn env_var_word(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<String> {
    if r.targets.is_empty() {
        return None;
    }
    let entries = pick(ctx, r, &pod_kinds(r)).ok()?;
    let containers = containers_of(ctx, &entries[0]);
    let vars: Vec<String> = containers.iter().flat_map(|c| c.env.iter().flatten().map(|e| e.name.clone())).collect();
    w.original
        .iter()
        .find(|o| {
            vars.iter().any(|v| v == *o)
                || (o.len() > 2
                    && o.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                    && o.contains('_'))
        })
        .cloned()
}

pub(in crate::router) fn env(ctx: &Ctx<'_>, r: &Refs, var: &str) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let pods = pods_for(ctx, std::slice::from_ref(e));
    let containers = containers_of(ctx, e);
    let mut values = Vec::new();
    for c in &containers {
        if let Some(v) = env_value(ctx.snap, &e.namespace, c, var) {
            values.push(v);
        }
    }
    let values = distinct(values);
    let word = shown_target(r, &entries);
    if values.is_empty() {
        let mut out = routed("env", "not set", format!("{var} is not set in any container of {word}."));
        out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
        return Ok(out);
    }
    let mut out = routed("env", join(values.clone()), format!("{word} runs with `{var}={}`.", values.join(", ")));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    if let Some(p) = pods.first() {
        out.kubectl.push(format!("kubectl exec {}{} -- printenv {var}", name(p), ns_flag(ns(p))));
    }
    Ok(out)
}

pub(in crate::router) fn env_list(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = containers_of(ctx, e);
    let vars: Vec<String> = containers
        .iter()
        .flat_map(|c| {
            c.env
                .iter()
                .flatten()
                .map(|v| format!("{}={}", v.name, env_value(ctx.snap, &e.namespace, c, &v.name).unwrap_or_default()))
        })
        .collect();
    let mut out = routed("env", join(distinct(vars.clone())), vars.join("\n"));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(in crate::router) fn hpa_bounds(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Hpa, Kind::Deployment, Kind::StatefulSet])?;
    let e = &entries[0];
    let hpa = ctx.snap.hpas.iter().find(|h| {
        h.metadata.namespace.as_deref() == Some(&e.namespace)
            && (if e.kind == Kind::Hpa {
                h.metadata.name.as_deref() == Some(&e.name)
            } else {
                h.spec.as_ref().is_some_and(|s| s.scale_target_ref.name == e.name)
            })
    });
    let Some(h) = hpa else {
        return replicas(ctx, w, r);
    };
    let spec = h.spec.as_ref();
    let (min, max) = (spec.and_then(|s| s.min_replicas).unwrap_or(1), spec.map_or(0, |s| s.max_replicas));
    let short = if w.any(&["min", "minimum"]) { min } else { max };
    let mut out = routed(
        "hpa",
        short.to_string(),
        format!(
            "HPA {}: min {min}, max {max}, current {}.",
            h.metadata.name.clone().unwrap_or_default(),
            h.status.as_ref().and_then(|s| s.current_replicas).unwrap_or(0)
        ),
    );
    out.evidence.push(Evidence::new(
        "HorizontalPodAutoscaler",
        Some(&e.namespace),
        h.metadata.name.as_deref().unwrap_or(""),
    ));
    out.kubectl.push(format!(
        "kubectl get hpa {}{}",
        h.metadata.name.clone().unwrap_or_default(),
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

/// The image tag of a container image (`ghcr.io/a/b:2.1.0` → `2.1.0`).
pub(in crate::router) fn image_tag(image: &str) -> Option<String> {
    let last = image.rsplit('/').next()?;
    let tag = last.split('@').next()?.split_once(':')?.1;
    Some(tag.to_string())
}

/// "what version is frontend on" (its image tag), "…before the current
/// rollout" (the previous ReplicaSet's tag).
pub(in crate::router) fn workload_version(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let previous = w.any(&["before", "previous", "prior", "last"])
        && w.any(&["rollout", "deploy", "release", "version", "rollback"]);
    // Earlier versions are the Deployment's ReplicaSets: look it up first.
    let kinds: Vec<Kind> =
        if previous { [Kind::Deployment].into_iter().chain(pod_kinds(r)).collect() } else { pod_kinds(r) };
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = &entries[0];
    let containers: Vec<Container> = if previous && e.kind == Kind::Deployment {
        let rss = kubeask_insight::state::revisions(ctx.snap, &e.namespace, &e.name);
        let Some(rs) = rss.get(1) else {
            return Err(Outcome::NotFound {
                message: format!("no earlier revision of {} is kept (not found)", e.name),
            });
        };
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref()?.spec.as_ref())
            .map(|s| s.containers.clone())
            .unwrap_or_default()
    } else if previous {
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    } else {
        named_containers(w, r, containers_of(ctx, e)).into_iter().cloned().collect()
    };
    let tags = distinct(containers.iter().filter_map(|c| image_tag(c.image.as_deref()?)));
    let [tag] = tags.as_slice() else {
        // Several containers, several versions: which one is meant is unclear.
        return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
    };
    let images = containers.iter().filter_map(|c| c.image.clone()).collect::<Vec<_>>().join(", ");
    let mut out = routed(
        "version",
        tag.clone(),
        format!("{} {} {}runs {images}.", e.kind.name(), e.name, if previous { "previously " } else { "" }),
    );
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(if previous {
        format!("kubectl rollout history deployment/{}{}", e.name, ns_flag(&e.namespace))
    } else {
        format!("kubectl get {} {}{} -o jsonpath='{{..image}}'", e.kind.kubectl(), e.name, ns_flag(&e.namespace))
    });
    Ok(out)
}

pub(in crate::router) fn version(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let about_workload = !r.targets.is_empty() && r.targets.iter().all(|e| e.kind != Kind::Node);
    if about_workload {
        return workload_version(ctx, w, r);
    }
    // The nodes asked about: named ones, a pool by label value, else all.
    let named: Vec<&str> = r.targets.iter().filter(|e| e.kind == Kind::Node).map(|e| e.name.as_str()).collect();
    let nodes: Vec<&Arc<k8s_openapi::api::core::v1::Node>> = ctx
        .snap
        .nodes
        .iter()
        .filter(|n| named.is_empty() || n.metadata.name.as_deref().is_some_and(|x| named.contains(&x)))
        .filter(|n| {
            r.node_label.as_ref().is_none_or(|(value, keys)| {
                n.metadata.labels.iter().flatten().any(|(k, v)| keys.contains(k) && v.eq_ignore_ascii_case(value))
            })
        })
        .collect();
    let info = |n: &&Arc<k8s_openapi::api::core::v1::Node>| n.status.as_ref()?.node_info.clone();
    if w.has("runtime") {
        let runtimes = distinct(nodes.iter().filter_map(info).map(|i| i.container_runtime_version));
        let mut out =
            routed("version", join(runtimes.clone()), format!("Container runtimes: {}.", runtimes.join(", ")));
        out.evidence =
            nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
        out.kubectl.push("kubectl get nodes -o wide".into());
        return Ok(out);
    }
    let kubelets = distinct(nodes.iter().filter_map(info).map(|i| i.kubelet_version));
    let server_q = w.any(&["server", "control", "api", "apiserver", "plane"])
        || (w.has("kubernetes") && !w.any(&["kubelet", "nodes", "node"]));
    let (short, cmd) = if server_q && ctx.snap.server_version.is_some() {
        (ctx.snap.server_version.clone().unwrap_or_default(), "kubectl version")
    } else {
        (join(kubelets.clone()), "kubectl get nodes")
    };
    let mut out = routed(
        "version",
        short,
        format!(
            "Kubelet versions: {}; API server: {}.",
            kubelets.join(", "),
            ctx.snap.server_version.clone().unwrap_or_else(|| "unknown".into())
        ),
    );
    if !server_q && nodes.len() <= MAX_CITED {
        out.evidence =
            nodes.iter().filter_map(|n| n.metadata.name.as_deref()).map(|n| Evidence::new("Node", None, n)).collect();
    }
    out.kubectl.push(cmd.into());
    Ok(out)
}

pub(in crate::router) fn resources(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &pod_kinds(r))?;
    let e = &entries[0];
    let containers = named_containers(w, r, containers_of(ctx, e));
    if containers.is_empty() {
        return Err(Outcome::NotFound { message: format!("{} has no such container (not found)", e.name) });
    }
    let res = if w.any(&["cpu", "cpus", "cores"]) { "cpu" } else { "memory" };
    let limits = w.any(&["limit", "limits"]);
    let values: Vec<String> = containers
        .iter()
        .filter_map(|c| {
            let rr = c.resources.as_ref()?;
            let map = if limits { rr.limits.as_ref() } else { rr.requests.as_ref() };
            map.and_then(|m| m.get(res)).map(|q| q.0.clone())
        })
        .collect();
    let word = shown_target(r, &entries);
    let what = format!("{res} {}", if limits { "limit" } else { "request" });
    let short = if values.is_empty() { "none".to_string() } else { join(distinct(values)) };
    let mut out = routed("resources", short.clone(), format!("The {what} of {word} is {short}."));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(format!(
        "kubectl get {} {}{} -o jsonpath='{{..resources}}'",
        if e.kind == Kind::Pod { "pod" } else { e.kind.kubectl() },
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(in crate::router) fn cron<'a>(
    ctx: &'a Ctx<'_>,
    r: &Refs,
) -> Result<&'a Arc<k8s_openapi::api::batch::v1::CronJob>, Outcome> {
    let entries = pick(ctx, r, &[Kind::CronJob])?;
    let e = &entries[0];
    Ok(find_in(&ctx.snap.cron_jobs, e).expect("picked"))
}

pub(in crate::router) fn schedule(ctx: &Ctx<'_>, r: &Refs) -> R {
    let c = cron(ctx, r)?;
    let s = c.spec.as_ref().map(|s| s.schedule.clone()).unwrap_or_default();
    let tz = c.spec.as_ref().and_then(|s| s.time_zone.clone()).map(|t| format!(" ({t})")).unwrap_or_default();
    let mut out = routed(
        "cronjob",
        s.clone(),
        format!("CronJob {} runs on the schedule `{s}`{tz}.", c.metadata.name.clone().unwrap_or_default()),
    );
    out.evidence.push(Evidence::new(
        "CronJob",
        c.metadata.namespace.as_deref(),
        c.metadata.name.as_deref().unwrap_or(""),
    ));
    out.kubectl.push(format!(
        "kubectl get cronjob {}{}",
        c.metadata.name.clone().unwrap_or_default(),
        ns_flag(c.metadata.namespace.as_deref().unwrap_or(""))
    ));
    Ok(out)
}

pub(in crate::router) fn last_schedule(ctx: &Ctx<'_>, r: &Refs) -> R {
    let c = cron(ctx, r)?;
    let last = c.status.as_ref().and_then(|s| s.last_schedule_time.as_ref()).map(|t| t.0);
    let short = last.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "never".into());
    let mut out = routed("cronjob", short.clone(), format!("Last scheduled: {short} ({} ago).", podstatus::age(last)));
    out.evidence.push(Evidence::new(
        "CronJob",
        c.metadata.namespace.as_deref(),
        c.metadata.name.as_deref().unwrap_or(""),
    ));
    Ok(out)
}

pub(in crate::router) fn labels(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(
        ctx,
        r,
        &pod_kinds(r).into_iter().chain([Kind::Node, Kind::Namespace, Kind::Pvc, Kind::Ingress]).collect::<Vec<_>>(),
    )?;
    let e = &entries[0];
    // A pod's labels are its own; any other object's through insight's lookup.
    let own = if e.kind == Kind::Pod { Vec::new() } else { ctx.snap.get(e.kind, Some(&e.namespace), &e.name) };
    let labels: BTreeMap<String, String> = match own.first() {
        Some(o) => o.meta.labels.clone().unwrap_or_default(),
        None => {
            pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.labels.clone()).unwrap_or_default()
        }
    };
    // "what is the app label of X" → the value of that one label.
    let key =
        labels.keys().find(|k| w.lower.iter().any(|x| x == *k || k.rsplit('/').next() == Some(x.as_str()))).cloned();
    let short = match &key {
        Some(k) => labels[k].clone(),
        None => join(labels.iter().map(|(k, v)| format!("{k}={v}"))),
    };
    let mut out = routed(
        "labels",
        short,
        format!(
            "Labels of {} {}: {}",
            e.kind.name(),
            e.name,
            labels.iter().map(|(k, v)| format!("`{k}={v}`")).collect::<Vec<_>>().join(", ")
        ),
    );
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    out.kubectl.push(format!(
        "kubectl get {} {}{} --show-labels",
        if e.kind == Kind::Pod { "pod" } else { e.kind.kubectl() },
        e.name,
        ns_flag(&e.namespace)
    ));
    Ok(out)
}

pub(in crate::router) fn owner(ctx: &Ctx<'_>, r: &Refs) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let Some(p) = pods.first() else {
        return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
    };
    let w = ctx.owners.workload_of(p);
    let short = w.as_ref().map(|w| w.name.clone()).unwrap_or_else(|| "none".into());
    let chain = p
        .metadata
        .owner_references
        .iter()
        .flatten()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = routed(
        "owner",
        short,
        format!(
            "Pod `{}` is owned by {}{}.",
            name(p),
            if chain.is_empty() { "nothing (a bare pod)".into() } else { chain },
            w.map(|w| format!(", which belongs to {} {}", w.kind, w.name)).unwrap_or_default()
        ),
    );
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!(
        "kubectl get pod {}{} -o jsonpath='{{.metadata.ownerReferences}}'",
        name(p),
        ns_flag(ns(p))
    ));
    Ok(out)
}

pub(in crate::router) fn namespace_of(ctx: &Ctx<'_>, r: &Refs) -> R {
    let word = r.target_word.clone().ok_or_else(|| Outcome::NotUnderstood { suggestions: suggestions(ctx) })?;
    let spaces = distinct(
        r.targets
            .iter()
            .filter(|e| r.kind.is_none_or(|k| k == Kind::Namespace || k == e.kind || (k == Kind::Pod && e.via_base)))
            .map(|e| e.namespace.clone())
            .filter(|n| !n.is_empty()),
    );
    if spaces.is_empty() {
        return Err(not_found(ctx, &word, r.kind));
    }
    let mut out = routed("namespace", join(spaces.clone()), format!("{word} is in namespace {}.", spaces.join(", ")));
    out.kubectl.push(format!("kubectl get all -A | grep {word}"));
    Ok(out)
}

pub(in crate::router) fn events(ctx: &Ctx<'_>, r: &Refs) -> R {
    // A node's events are its own (kubelet, node controller), not its pods'.
    let node: Vec<NameEntry> = r.targets.iter().filter(|e| e.kind == Kind::Node).cloned().collect();
    let (entries, pods) = if r.targets.is_empty() {
        (vec![], vec![])
    } else if !node.is_empty() && r.targets.iter().all(|e| e.kind == Kind::Node) {
        (node, vec![])
    } else {
        target_pods(ctx, r)?
    };
    let names: BTreeSet<String> =
        pods.iter().map(|p| name(p).to_string()).chain(entries.iter().map(|e| e.name.clone())).collect();
    let mut evs: Vec<_> = ctx
        .snap
        .events
        .iter()
        .filter(|e| r.namespace.as_deref().is_none_or(|n| e.metadata.namespace.as_deref() == Some(n)))
        .filter(|e| names.is_empty() || e.involved_object.name.as_ref().is_some_and(|n| names.contains(n)))
        .collect();
    evs.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)));
    let warnings: Vec<_> = evs.iter().filter(|e| e.type_.as_deref() == Some("Warning")).collect();
    let pick_ev = warnings.last().copied().or(evs.last());
    let short = pick_ev
        .map(|e| {
            let msg = e.message.clone().unwrap_or_default();
            let msg = msg.split(" preemption:").next().unwrap_or(&msg).trim().to_string();
            format!("{}: {msg}", e.reason.clone().unwrap_or_default())
        })
        .unwrap_or_else(|| "no events".into());
    let details = evs
        .iter()
        .rev()
        .take(10)
        .map(|e| {
            format!(
                "- {} {} {}: {}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default().trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = routed("events", truncate(&short, 200), details);
    out.kubectl.push(match names.iter().next() {
        Some(n) => format!(
            "kubectl get events{} --field-selector involvedObject.name={n}",
            ns_flag(entries.first().map(|e| e.namespace.as_str()).unwrap_or(""))
        ),
        None => format!("kubectl get events{}", r.namespace.as_deref().map(ns_flag).unwrap_or_else(|| " -A".into())),
    });
    Ok(out)
}

pub(in crate::router) fn capacity(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Pvc, Kind::Pv])?;
    let e = &entries[0];
    let size = if e.kind == Kind::Pvc {
        ctx.snap
            .pvcs
            .iter()
            .find(|p| {
                p.metadata.name.as_deref() == Some(&e.name) && p.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.capacity.as_ref())
                    .and_then(|c| c.get("storage"))
                    .or_else(|| p.spec.as_ref()?.resources.as_ref()?.requests.as_ref()?.get("storage"))
                    .map(|q| q.0.clone())
            })
    } else {
        ctx.snap
            .pvs
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some(&e.name))
            .and_then(|p| p.spec.as_ref()?.capacity.as_ref()?.get("storage").map(|q| q.0.clone()))
    }
    .unwrap_or_else(|| "unknown".into());
    let mut out = routed("pvc", size.clone(), format!("{} {} requests {size}.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

/// "which service is 10.96.24.152": the object that has an address the
/// question quotes (a Service's cluster IP, a pod's IP, a node's address).
pub(in crate::router) fn ip_owner(ctx: &Ctx<'_>, w: &Words) -> Option<Routed> {
    let ip = w.lower.iter().find(|x| x.parse::<std::net::Ipv4Addr>().is_ok())?;
    let svc = ctx.snap.services.iter().find(|s| {
        s.spec.as_ref().is_some_and(|sp| {
            sp.cluster_ip.as_deref() == Some(ip.as_str()) || sp.cluster_ips.iter().flatten().any(|c| c == ip)
        })
    });
    let (kind, namespace, name) = if let Some(s) = svc {
        ("Service", s.metadata.namespace.clone(), s.metadata.name.clone()?)
    } else if let Some(p) =
        ctx.snap.pods.iter().find(|p| p.status.as_ref().and_then(|s| s.pod_ip.as_deref()) == Some(ip.as_str()))
    {
        ("Pod", p.metadata.namespace.clone(), p.metadata.name.clone()?)
    } else {
        let n = ctx.snap.nodes.iter().find(|n| {
            n.status.as_ref().and_then(|s| s.addresses.as_ref()).is_some_and(|a| a.iter().any(|x| &x.address == ip))
        })?;
        ("Node", None, n.metadata.name.clone()?)
    };
    let mut out = routed(
        "ip",
        name.clone(),
        format!("{ip} is {kind} {}{name}.", namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default()),
    );
    out.evidence.push(Evidence::new(kind, namespace.as_deref(), &name));
    Some(out)
}

pub(in crate::router) fn ip(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    // "the internal ip of the node that's down"
    if r.targets.is_empty() {
        if let Some([node]) = troubled_nodes(ctx, w).as_deref() {
            let e = NameEntry { kind: Kind::Node, namespace: String::new(), name: node.clone(), via_base: false };
            let refs = Refs { targets: vec![e], target_word: Some(node.clone()), ..r.clone() };
            return ip(ctx, w, &refs);
        }
    }
    // A "cluster IP" is a Service's; otherwise the pod's address first.
    let kinds: &[Kind] = if w.has("clusterip") || w.phrase("cluster ip") {
        &[Kind::Service]
    } else {
        &[Kind::Pod, Kind::Service, Kind::Node, Kind::Deployment, Kind::StatefulSet]
    };
    let entries = pick(ctx, r, kinds)?;
    let e = &entries[0];
    let ips = match e.kind {
        Kind::Service => ctx
            .snap
            .services
            .iter()
            .find(|s| {
                s.metadata.name.as_deref() == Some(&e.name) && s.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|s| s.spec.as_ref()?.cluster_ip.clone())
            .into_iter()
            .collect(),
        Kind::Node => ctx
            .snap
            .nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(&e.name))
            .and_then(|n| {
                n.status
                    .as_ref()?
                    .addresses
                    .as_ref()?
                    .iter()
                    .find(|a| a.type_ == "InternalIP")
                    .map(|a| a.address.clone())
            })
            .into_iter()
            .collect(),
        _ => pods_for(ctx, std::slice::from_ref(e))
            .iter()
            .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
            .collect::<Vec<_>>(),
    };
    let mut out = routed("ip", join(distinct(ips)), format!("Addresses of {} {}.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(in crate::router) fn age(ctx: &Ctx<'_>, r: &Refs) -> R {
    let kinds: Vec<Kind> =
        r.kind.into_iter().chain(pod_kinds(r)).chain([Kind::Node, Kind::Namespace, Kind::Pvc, Kind::Ingress]).collect();
    let entries = pick(ctx, r, &distinct_kinds(kinds))?;
    let e = &entries[0];
    let created = match e.kind {
        Kind::Pod => pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.creation_timestamp.clone()),
        Kind::Node => ctx
            .snap
            .nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(&e.name))
            .and_then(|n| n.metadata.creation_timestamp.clone()),
        Kind::Deployment => ctx
            .snap
            .deployments
            .iter()
            .find(|d| {
                d.metadata.name.as_deref() == Some(&e.name) && d.metadata.namespace.as_deref() == Some(&e.namespace)
            })
            .and_then(|d| d.metadata.creation_timestamp.clone()),
        _ => pods_for(ctx, std::slice::from_ref(e)).first().and_then(|p| p.metadata.creation_timestamp.clone()),
    };
    let age = podstatus::human_duration(
        ctx.snap.now().duration_since(created.as_ref().map(|t| t.0).unwrap_or_else(|| ctx.snap.now())),
    );
    let mut out = routed("age", age.clone(), format!("{} {} was created {age} ago.", e.kind.name(), e.name));
    out.evidence.push(Evidence::new(e.kind.name(), Some(&e.namespace), &e.name));
    Ok(out)
}

pub(in crate::router) fn config_key(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<String> {
    let e = r.targets.iter().find(|e| e.kind == Kind::ConfigMap)?;
    let cm = ctx.snap.config_maps.iter().find(|c| {
        c.metadata.name.as_deref() == Some(&e.name) && c.metadata.namespace.as_deref() == Some(&e.namespace)
    })?;
    let data = cm.data.as_ref()?;
    w.original
        .iter()
        .find(|o| data.contains_key(o.as_str()))
        .cloned()
        .or_else(|| data.keys().find(|k| w.has(&k.to_lowercase())).cloned())
}

pub(in crate::router) fn config_value(ctx: &Ctx<'_>, r: &Refs, key: &str) -> R {
    let entries = pick(ctx, r, &[Kind::ConfigMap])?;
    let e = &entries[0];
    let cm = find_in(&ctx.snap.config_maps, e).expect("picked");
    let v = cm.data.as_ref().and_then(|d| d.get(key).cloned()).unwrap_or_default();
    let mut out = routed("config", v.clone(), format!("ConfigMap {}/{}: `{key}={v}`.", e.namespace, e.name));
    out.evidence.push(Evidence::new("ConfigMap", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get configmap {}{} -o yaml", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

pub(in crate::router) fn ingress_backends(ctx: &Ctx<'_>, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Ingress])?;
    let e = &entries[0];
    let ing = find_in(&ctx.snap.ingresses, e).expect("picked");
    let spec = ing.spec.clone().unwrap_or_default();
    let mut backends: Vec<String> = spec
        .rules
        .iter()
        .flatten()
        .flat_map(|rule| rule.http.iter().flat_map(|h| h.paths.iter()))
        .filter_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()))
        .collect();
    if let Some(s) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref()) {
        backends.push(s.name.clone());
    }
    let backends = distinct(backends);
    let mut out = routed(
        "ingress",
        join(backends.clone()),
        format!("Ingress {}/{} routes to {}.", e.namespace, e.name, backends.join(", ")),
    );
    out.evidence.push(Evidence::new("Ingress", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl describe ingress {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

/// Fields of a target's pods: a probe's target (code: it depends on the
/// containers named), else a row of the field table.
pub(in crate::router) fn pod_field(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Option<Routed>, Outcome> {
    if !r.targets.iter().any(|e| e.kind.runs_pods()) {
        return Ok(None);
    }
    let probe = ["liveness", "readiness", "startup"].into_iter().find(|k| w.has(k)).filter(|_| w.prefix(&["probe"]));
    if let Some(probe) = probe {
        return probe_answer(ctx, w, r, probe).map(Some);
    }
    match asked_field(POD_FIELDS, ctx, w, r) {
        Some(f) => field_answer(ctx, r, f).map(Some),
        None => Ok(None),
    }
}

/// What a target's liveness/readiness/startup probe checks.
fn probe_answer(ctx: &Ctx<'_>, w: &Words, r: &Refs, probe: &str) -> R {
    let (entries, pods) = target_pods(ctx, r)?;
    let Some(p) = pods.first() else {
        return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
    };
    let spec = p.spec.clone().unwrap_or_default();
    let containers = named_containers(w, r, spec.containers.iter().collect());
    let values = distinct(containers.iter().filter_map(|c| {
        let pr = match probe {
            "liveness" => c.liveness_probe.as_ref(),
            "readiness" => c.readiness_probe.as_ref(),
            _ => c.startup_probe.as_ref(),
        }?;
        probe_target(pr, w)
    }));
    let short = if values.is_empty() { "none".to_string() } else { join(values) };
    let mut out = routed("pod", short.clone(), format!("Pod `{}`: {probe} probe {short}.", name(p)));
    out.evidence.push(pod_ev(p));
    out.kubectl.push(format!("kubectl get pod {}{} -o yaml", name(p), ns_flag(ns(p))));
    Ok(out)
}

/// What a probe checks: the HTTP path (or port, when asked), the TCP
/// port, or the command.
pub(in crate::router) fn probe_target(p: &k8s_openapi::api::core::v1::Probe, w: &Words) -> Option<String> {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(h) = &p.http_get {
        return Some(if w.prefix(&["port"]) { port(&h.port) } else { h.path.clone().unwrap_or_else(|| "/".into()) });
    }
    if let Some(t) = &p.tcp_socket {
        return Some(port(&t.port));
    }
    if let Some(g) = &p.grpc {
        return Some(g.port.to_string());
    }
    p.exec.as_ref().and_then(|e| e.command.as_ref()).map(|c| c.join(" "))
}

/// "current cpu utilization of the frontend hpa" (or its target).
pub(in crate::router) fn hpa_metric(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> R {
    let entries = pick(ctx, r, &[Kind::Hpa])?;
    let e = &entries[0];
    let h = find_in(&ctx.snap.hpas, e).ok_or_else(|| not_found(ctx, &e.name, Some(Kind::Hpa)))?;
    let res = if w.any(&["memory", "mem", "ram"]) { "memory" } else { "cpu" };
    let target = w.any(&["target", "targets", "threshold"]);
    let value = if target {
        h.spec.as_ref().and_then(|s| s.metrics.as_ref()).and_then(|ms| {
            ms.iter().filter_map(|m| m.resource.as_ref()).find(|m| m.name == res)?.target.average_utilization
        })
    } else {
        h.status.as_ref().and_then(|s| s.current_metrics.as_ref()).and_then(|ms| {
            ms.iter().filter_map(|m| m.resource.as_ref()).find(|m| m.name == res)?.current.average_utilization
        })
    };
    let Some(v) = value else {
        return Err(Outcome::NotFound { message: format!("HPA {} reports no {res} utilization (not found)", e.name) });
    };
    let mut out = routed(
        "hpa",
        format!("{v}%"),
        format!(
            "HPA {}/{}: {} {res} utilization {v}%.",
            e.namespace,
            e.name,
            if target { "target" } else { "current" }
        ),
    );
    out.evidence.push(Evidence::new("HorizontalPodAutoscaler", Some(&e.namespace), &e.name));
    out.kubectl.push(format!("kubectl get hpa {}{}", e.name, ns_flag(&e.namespace)));
    Ok(out)
}

/// Spec fields of PVCs, Jobs and ConfigMaps (rows of the field table).
pub(in crate::router) fn object_field(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Option<Routed>, Outcome> {
    match asked_field(OBJECT_FIELDS, ctx, w, r) {
        Some(f) => field_answer(ctx, r, f).map(Some),
        None => Ok(None),
    }
}
