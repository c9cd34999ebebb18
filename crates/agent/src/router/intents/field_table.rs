//! "Kind + field → value" as data. Each row names the kind it reads, the
//! words that ask for it and the API field paths that hold the value (the
//! API's own names, read from the object's JSON by insight's
//! `values_at`); one function answers every row, with the kubectl command
//! that prints the same field.

use kubeask_insight::objects::values_at;

use super::*;

type Asked = fn(&Ctx<'_>, &Words, &Refs) -> bool;

/// One field people ask about.
pub(in crate::router) struct Field {
    /// What the explanation calls it.
    pub label: &'static str,
    /// The answer's route (traces, tests).
    pub route: &'static str,
    /// The kind whose JSON holds it. `Pod` rows read the target's first
    /// pod, so they answer for a workload too.
    pub kind: Kind,
    /// Whether the question asks for it.
    pub asked: Asked,
    /// Where the value is, in the object's JSON.
    pub paths: &'static [&'static str],
    /// What an absent field means (the API's default), if anything.
    pub default: Option<&'static str>,
    /// Values nobody means (every pod mounts `kube-root-ca.crt`).
    pub ignore: &'static [&'static str],
}

const USES: &[&str] = &["use", "uses", "using", "mount", "mounts", "reference", "references"];

/// Spec fields of PVCs, Jobs and ConfigMaps.
pub(in crate::router) static OBJECT_FIELDS: &[Field] = &[
    Field {
        label: "storage class",
        route: "pvc",
        kind: Kind::Pvc,
        asked: |_, w, _| w.phrase("storage class") || w.has("storageclass") || w.has("class"),
        paths: &["/spec/storageClassName"],
        default: Some("(default)"),
        ignore: &[],
    },
    Field {
        label: "access modes",
        route: "pvc",
        kind: Kind::Pvc,
        asked: |_, w, _| w.phrase("access mode") || w.prefix(&["accessmode"]),
        paths: &["/spec/accessModes/*"],
        default: None,
        ignore: &[],
    },
    Field {
        label: "volume",
        route: "pvc",
        kind: Kind::Pvc,
        asked: |_, w, _| w.has("volume") && w.any(&["bound", "which", "what"]) && !w.has("claim"),
        paths: &["/spec/volumeName"],
        default: Some("none (not bound)"),
        ignore: &[],
    },
    Field {
        label: "backoff limit",
        route: "job",
        kind: Kind::Job,
        asked: |_, w, _| w.phrase("backoff limit") || w.has("backofflimit"),
        paths: &["/spec/backoffLimit"],
        default: Some("6"),
        ignore: &[],
    },
    Field {
        label: "completions",
        route: "job",
        kind: Kind::Job,
        asked: |_, w, _| w.prefix(&["completion"]),
        paths: &["/spec/completions"],
        default: Some("1"),
        ignore: &[],
    },
    Field {
        label: "parallelism",
        route: "job",
        kind: Kind::Job,
        asked: |_, w, _| w.has("parallelism"),
        paths: &["/spec/parallelism"],
        default: Some("1"),
        ignore: &[],
    },
    Field {
        label: "keys",
        route: "config",
        kind: Kind::ConfigMap,
        // NB: "the LOG_LEVEL key of X" asks for one value (config_key).
        asked: |ctx, w, r| {
            w.any(&["keys", "key", "entries", "contain", "contains", "data"]) && config_key(ctx, w, r).is_none()
        },
        paths: &["/data/~keys"],
        default: None,
        ignore: &[],
    },
];

/// Fields of the pods a target runs. Order matters: init containers
/// before containers.
pub(in crate::router) static POD_FIELDS: &[Field] = &[
    Field {
        label: "QoS class",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| w.has("qos") || w.phrase("quality of service"),
        paths: &["/status/qosClass"],
        default: None,
        ignore: &[],
    },
    Field {
        label: "init containers",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| w.has("init") && w.prefix(&["container"]),
        paths: &["/spec/initContainers/*/name"],
        default: None,
        ignore: &[],
    },
    Field {
        label: "service account",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| w.phrase("service account") || w.has("serviceaccount"),
        paths: &["/spec/serviceAccountName"],
        default: Some("default"),
        ignore: &[],
    },
    Field {
        label: "containers",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| {
            w.prefix(&["container"])
                && w.any(&["which", "what", "list", "names", "name"])
                && !w.phrase("how many")
                && !w.any(&[
                    "limit", "limits", "request", "requests", "image", "images", "port", "ports", "memory", "cpu",
                ])
        },
        paths: &["/spec/containers/*/name"],
        default: None,
        ignore: &[],
    },
    Field {
        label: "ConfigMaps",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| (w.prefix(&["configmap"]) || w.phrase("config map")) && w.any(USES),
        paths: &[
            "/spec/containers/*/env/*/valueFrom/configMapKeyRef/name",
            "/spec/containers/*/envFrom/*/configMapRef/name",
            "/spec/initContainers/*/env/*/valueFrom/configMapKeyRef/name",
            "/spec/initContainers/*/envFrom/*/configMapRef/name",
            "/spec/volumes/*/configMap/name",
        ],
        default: None,
        ignore: &["kube-root-ca.crt"],
    },
    Field {
        label: "Secrets",
        route: "pod",
        kind: Kind::Pod,
        asked: |_, w, _| w.prefix(&["secret"]) && w.any(USES),
        paths: &[
            "/spec/containers/*/env/*/valueFrom/secretKeyRef/name",
            "/spec/containers/*/envFrom/*/secretRef/name",
            "/spec/initContainers/*/env/*/valueFrom/secretKeyRef/name",
            "/spec/initContainers/*/envFrom/*/secretRef/name",
            "/spec/volumes/*/secret/secretName",
        ],
        default: None,
        ignore: &[],
    },
];

/// A Service's type.
pub(in crate::router) static SERVICE_TYPE: Field = Field {
    label: "type",
    route: "service",
    kind: Kind::Service,
    asked: |_, w, _| w.has("type"),
    paths: &["/spec/type"],
    default: Some("ClusterIP"),
    ignore: &[],
};

/// The hosts an Ingress serves (`*` when its rules name none).
pub(in crate::router) static INGRESS_HOSTS: Field = Field {
    label: "hosts",
    route: "ingress",
    kind: Kind::Ingress,
    asked: |_, w, _| w.any(&["host", "hosts", "hostname", "domain", "url"]),
    paths: &["/spec/rules/*/host"],
    default: Some("*"),
    ignore: &[],
};

/// The first row of `table` the question asks about, for a kind the
/// question is about.
pub(in crate::router) fn asked_field<'t>(table: &'t [Field], ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Option<&'t Field> {
    let about = |k: Kind| {
        if k == Kind::Pod {
            r.targets.iter().any(|e| e.kind.runs_pods())
        } else {
            r.kind == Some(k) || (r.kind.is_none() && r.targets.iter().any(|e| e.kind == k))
        }
    };
    table.iter().find(|f| about(f.kind) && (f.asked)(ctx, w, r))
}

/// The row's value for the question's target.
pub(in crate::router) fn field_answer(ctx: &Ctx<'_>, r: &Refs, f: &Field) -> R {
    let (kind, namespace, name, json) = if f.kind == Kind::Pod {
        let (entries, pods) = target_pods(ctx, r)?;
        let Some(p) = pods.first() else {
            return Err(Outcome::NotFound { message: format!("{} has no pods", shown_target(r, &entries)) });
        };
        let json = serde_json::to_value(p.as_ref()).unwrap_or_default();
        (Kind::Pod, ns(p).to_string(), name(p).to_string(), json)
    } else {
        let e = pick(ctx, r, &[f.kind])?.remove(0);
        let found = ctx.snap.get(f.kind, Some(&e.namespace), &e.name);
        let json = found.first().map(|o| o.to_json()).ok_or_else(|| not_found(ctx, &e.name, Some(f.kind)))?;
        (f.kind, e.namespace, e.name, json)
    };
    let mut values = distinct(f.paths.iter().flat_map(|p| values_at(&json, p)));
    values.retain(|v| !f.ignore.contains(&v.as_str()));
    let short = match (values.is_empty(), f.default) {
        (false, _) => join(values),
        (true, Some(d)) => d.to_string(),
        (true, None) => "none".to_string(),
    };
    let shown = if namespace.is_empty() { name.clone() } else { format!("{namespace}/{name}") };
    let mut out = routed(f.route, short.clone(), format!("{} {shown}: {} {short}.", kind.name(), f.label));
    out.evidence.push(Evidence::new(kind.name(), Some(&namespace), &name));
    out.kubectl.push(format!("kubectl get {} {name}{} {}", kind.kubectl(), ns_flag(&namespace), jsonpath(f.paths)));
    Ok(out)
}

/// The kubectl output flag that prints the same field: a JSONPath for one
/// path, the whole object otherwise.
fn jsonpath(paths: &[&str]) -> String {
    match paths {
        [p] if !p.contains("~keys") => {
            format!("-o jsonpath='{{{}}}'", p.replace("/*", "[*]").replace('/', "."))
        }
        _ => "-o yaml".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::jsonpath;

    #[test]
    fn the_kubectl_flag_prints_the_same_field() {
        assert_eq!(jsonpath(&["/spec/containers/*/name"]), "-o jsonpath='{.spec.containers[*].name}'");
        assert_eq!(jsonpath(&["/spec/type"]), "-o jsonpath='{.spec.type}'");
        assert_eq!(jsonpath(&["/data/~keys"]), "-o yaml");
    }
}
