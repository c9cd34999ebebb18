//! Direct mode's rules, in one ordered table: the words that trigger each,
//! and the answer it makes. The first rule whose trigger holds and whose
//! answer is not "not mine" answers; a rule that finds words it cannot
//! account for declines (the guard), and the question goes to the model.
//!
//! Order matters where triggers overlap: the specific before the general
//! (a "how many restarts" before a "how many"), and a group's catch-all last.

use super::intents::*;
use super::parse::{Refs, Words};
use super::vocab::Kind;
use super::{guard, Ctx, Outcome, Routed};

/// A rule's answer: `Ok(None)` passes the question to the next rule.
pub type Step = Result<Option<Routed>, Outcome>;

/// How a rule answers.
#[derive(Clone, Copy)]
pub enum Answer {
    /// From the snapshot alone.
    Now(fn(&Ctx<'_>, &Words, &Refs) -> Step),
    /// Reads the target's logs (the error line, or a searched phrase).
    Logs,
    /// Explains why the target is unhealthy (analyzers, events, logs).
    Why,
    /// From the history source: timelines, series, forecasts, sizing.
    History,
}

/// One rule.
pub struct Rule {
    /// Its name (tests and traces refer to it).
    pub name: &'static str,
    /// A question it answers.
    pub example: &'static str,
    /// Whether its words are in the question.
    pub when: fn(&Ctx<'_>, &Words, &Refs) -> bool,
    /// What it answers.
    pub answer: Answer,
}

fn some(r: Result<Routed, Outcome>) -> Step {
    r.map(Some)
}

fn always(_: &Ctx<'_>, _: &Words, _: &Refs) -> bool {
    true
}

fn how_many(w: &Words) -> bool {
    w.phrase("how many") || w.any(&["count", "number"])
}

fn about_nodes(r: &Refs) -> bool {
    r.kind == Some(Kind::Node)
}

fn pod_like_target(r: &Refs) -> bool {
    r.targets.iter().any(|e| e.kind != Kind::Node && e.kind != Kind::Namespace)
}

const WHY_WORDS: &[&str] = &[
    "why",
    "crashing",
    "crash",
    "crashes",
    "crashloop",
    "crashloopbackoff",
    "broken",
    "wrong",
    "stuck",
    "failing",
    "reason",
    "unschedulable",
];
const WHY_PHRASES: &[&str] = &[
    "not scheduled",
    "won't start",
    "wont start",
    "not starting",
    "keep restarting",
    "keeps restarting",
    "what happened",
];

fn why(w: &Words) -> bool {
    w.any(WHY_WORDS) || WHY_PHRASES.iter().any(|p| w.phrase(p))
}

fn logs_q(w: &Words) -> bool {
    w.any(&["log", "logs", "logging", "logged", "logline"])
        || (w.any(&["error", "errors", "exception"]) && !w.has("why"))
}

fn cron_words(w: &Words, r: &Refs) -> bool {
    r.kind == Some(Kind::CronJob) || w.any(&["schedule", "cron"]) || w.phrase("when does") || w.phrase("how often")
}

const STATUS_WORDS: &[&str] = &[
    "status",
    "state",
    "phase",
    "succeed",
    "succeeded",
    "health",
    "healthy",
    "doing",
    "running",
    "ready",
    "up",
    "complete",
    "completed",
    "finished",
    "suspended",
];

/// Every rule, in the order they are tried.
pub static RULES: &[Rule] = &[
    Rule {
        name: "unknown-name",
        example: "is the paymnts-api pod running?",
        when: |_, _, r| r.targets.is_empty() && (r.unknown.is_some() || r.state_miss.is_some()),
        answer: Answer::Now(|ctx, _, r| match (&r.state_miss, &r.unknown) {
            (Some(miss), _) => Err(Outcome::NotFound { message: miss.clone() }),
            (None, unknown) => Err(not_found(ctx, unknown.as_deref().unwrap_or(""), r.kind)),
        }),
    },
    Rule {
        name: "history",
        example: "what happened to checkout in the last hour?",
        when: |_, w, _| history_q(w),
        answer: Answer::History,
    },
    Rule {
        name: "ip-owner",
        example: "which pod has IP 10.244.1.7?",
        when: |_, w, _| w.any(&["which", "what", "who", "whose"]),
        answer: Answer::Now(|ctx, w, _| Ok(ip_owner(ctx, w))),
    },
    Rule {
        name: "nodes-by-label",
        example: "which nodes are in zone eu-west-1b?",
        when: |_, _, r| r.node_label.is_some() && r.targets.is_empty() && about_nodes(r),
        answer: Answer::Now(|ctx, w, r| some(nodes_by_label(ctx, w, r))),
    },
    Rule {
        name: "objects-by-label",
        example: "which namespaces does team platform own?",
        when: |_, _, r| {
            r.targets.is_empty()
                && r.object_label.as_ref().is_some_and(|(_, c)| c.iter().any(|(k, _)| Some(*k) == r.kind))
        },
        answer: Answer::Now(|ctx, w, r| some(objects_by_label(ctx, w, r))),
    },
    Rule {
        name: "object-field",
        example: "what is the storage class of the data pvc?",
        when: always,
        answer: Answer::Now(object_field),
    },
    Rule {
        name: "label-word",
        example: "which nodes are in the zone us-east-1a?",
        when: always,
        answer: Answer::Now(|ctx, w, r| label_word(ctx, w, r).transpose()),
    },
    Rule {
        name: "hpa-metric",
        example: "what is the cpu utilization of the frontend hpa?",
        when: |_, w, r| {
            let hpa = r.kind == Some(Kind::Hpa) || r.targets.iter().any(|e| e.kind == Kind::Hpa);
            hpa && w.any(&["utilization", "utilisation", "usage", "load"])
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::HPA_WORDS)?;
            some(hpa_metric(ctx, w, r))
        }),
    },
    Rule {
        name: "namespace-by-pods",
        example: "which namespace has the most pods?",
        when: |_, w, r| {
            w.has("namespace") && w.any(&["most", "fewest", "least"]) && w.prefix(&["pod"]) && r.targets.is_empty()
        },
        answer: Answer::Now(|ctx, w, _| some(namespace_by_pods(ctx, w))),
    },
    Rule {
        name: "cost",
        example: "what does the shop namespace cost per month?",
        when: |ctx, w, _| ctx.prices.is_some() && w.any(guard::COST_WORDS),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, COST_QUESTION_WORDS)?;
            some(cost(ctx, w, r))
        }),
    },
    Rule {
        name: "security",
        example: "which pods run as root?",
        when: |_, w, _| security_q(w),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, &security_words())?;
            some(security(ctx, w, r))
        }),
    },
    Rule {
        name: "top",
        example: "which pod uses the most memory?",
        when: |_, w, _| {
            w.any(&["memory", "cpu", "ram"])
                && (w.any(&["most", "highest", "top", "heaviest", "biggest", "least", "lowest", "hungriest"])
                    || w.phrase("the most"))
        },
        answer: Answer::Now(|ctx, w, r| some(top(ctx, w, r))),
    },
    Rule {
        name: "not-ready-nodes",
        example: "which nodes are not ready?",
        when: |_, w, r| {
            about_nodes(r)
                && !w.any(&["ip", "address", "addresses", "internal", "external", "pods", "pod"])
                && (w.any(&["notready", "unready", "down", "unhealthy", "unreachable"]) || w.phrase("not ready"))
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for(ctx, w, r)?;
            some(not_ready_nodes(ctx))
        }),
    },
    Rule {
        name: "all-nodes-ready",
        example: "are all nodes ready?",
        when: |_, w, r| {
            about_nodes(r) && w.any(&["ready", "healthy"]) && w.any(&["all", "every", "any"]) && r.targets.is_empty()
        },
        answer: Answer::Now(|ctx, _, _| some(Ok(all_nodes_ready(ctx)))),
    },
    Rule {
        name: "node-capacity",
        example: "how many cpus does shop-node-1 have?",
        when: |_, w, r| {
            let node_target = !r.targets.is_empty() && r.targets.iter().all(|e| e.kind == Kind::Node);
            node_target
                && w.any(&["cpu", "cpus", "cores", "memory", "ram"])
                && (w.phrase("how many") || w.phrase("how much") || w.any(&["capacity", "allocatable"]))
                && !w.any(&["using", "uses", "usage", "used"])
        },
        answer: Answer::Now(|ctx, w, r| some(node_capacity(ctx, w, r))),
    },
    Rule {
        name: "count-restarts",
        example: "how many times has the api pod restarted?",
        when: |_, w, _| how_many(w) && (w.prefix(&["restart"]) || w.phrase("how many times")),
        answer: Answer::Now(|ctx, _, r| {
            some(if r.targets.is_empty() { restarts_in(ctx, r) } else { restarts_of(ctx, r) })
        }),
    },
    Rule {
        name: "count-containers",
        example: "how many containers does the api pod have?",
        when: |_, w, _| how_many(w) && w.prefix(&["container"]),
        answer: Answer::Now(|ctx, _, r| some(container_count(ctx, r))),
    },
    Rule {
        name: "count-endpoints",
        example: "how many endpoints does the web service have?",
        when: |_, w, _| how_many(w) && w.prefix(&["endpoint"]),
        answer: Answer::Now(|ctx, _, r| some(endpoint_count(ctx, r))),
    },
    Rule {
        name: "count-replicas",
        example: "how many replicas does web have?",
        when: |_, w, _| how_many(w) && w.prefix(&["replica"]),
        answer: Answer::Now(|ctx, w, r| some(replicas(ctx, w, r))),
    },
    Rule {
        name: "count-ready-pods",
        example: "how many web pods are ready?",
        when: |_, w, r| how_many(w) && pod_like_target(r) && w.any(&["ready", "available"]),
        answer: Answer::Now(|ctx, w, r| some(ready_pods(ctx, w, r))),
    },
    Rule {
        name: "count-pods-of-target",
        example: "how many pods does web have?",
        when: |_, w, r| {
            how_many(w) && pod_like_target(r) && matches!(r.kind, Some(Kind::Pod) | None) && !w.has("namespace")
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for(ctx, w, r)?;
            if w.any(&["request", "requests", "limit", "limits", "memory", "cpu", "error", "errors", "log", "logs"]) {
                // "the request count of frontend" is not its pod count.
                return Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) });
            }
            some(pods_of_target_count(ctx, w, r))
        }),
    },
    Rule {
        name: "count",
        example: "how many pods are running in shop?",
        when: |_, w, _| how_many(w),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::POD_FILTER_WORDS)?;
            some(count(ctx, w, r))
        }),
    },
    Rule {
        name: "logs",
        example: "what errors does the api log?",
        when: |_, w, r| logs_q(w) && !r.targets.is_empty(),
        answer: Answer::Logs,
    },
    Rule {
        name: "why",
        example: "why is the worker pod crashing?",
        when: |_, w, r| why(w) && (!r.targets.is_empty() || r.unknown.is_some()),
        answer: Answer::Why,
    },
    Rule {
        name: "node-of",
        example: "which node is the db pod running on?",
        when: |_, w, r| {
            let non_node_target = r.targets.iter().any(|e| e.kind != Kind::Node);
            (w.any(&["which", "what", "where"])
                && w.has("node")
                && (non_node_target || (!about_nodes(r) && r.unknown.is_some())))
                || (w.phrase("running on") || w.phrase("scheduled on") || w.phrase("where is")) && !r.targets.is_empty()
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(
                ctx,
                w,
                r,
                &["sitting", "sits", "lives", "living", "landed", "hosted", "placed"],
            )?;
            some(node_of(ctx, r))
        }),
    },
    Rule {
        name: "images-in",
        example: "which images run in the shop namespace?",
        when: |_, w, r| w.prefix(&["image"]) && r.targets.is_empty(),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::CONTAINER_WORDS)?;
            some(images_in(ctx, r))
        }),
    },
    Rule {
        name: "image",
        example: "what image does the api use?",
        when: |_, w, _| w.prefix(&["image"]),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::CONTAINER_WORDS)?;
            some(image(ctx, w, r))
        }),
    },
    Rule {
        name: "port",
        example: "what port does the web service expose?",
        when: |_, w, _| {
            w.prefix(&["targetport"])
                || w.phrase("target port")
                || w.prefix(&["nodeport"])
                || w.phrase("node port")
                || w.prefix(&["port"])
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::PORT_WORDS)?;
            some(port(ctx, w, r))
        }),
    },
    Rule {
        name: "restarted-pods",
        example: "which pods have restarted?",
        when: |_, w, r| w.prefix(&["restart"]) && r.targets.is_empty() && w.any(&["which", "what", "list", "show"]),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for(ctx, w, r)?;
            some(restarted_pods(ctx, w, r))
        }),
    },
    Rule {
        name: "pod-field",
        example: "what is the qos class of the db pod?",
        when: always,
        answer: Answer::Now(pod_field),
    },
    Rule {
        name: "restarts-of",
        example: "restarts of the api pod?",
        when: |_, w, _| w.prefix(&["restart"]),
        answer: Answer::Now(|ctx, _, r| some(restarts_of(ctx, r))),
    },
    Rule {
        name: "env-var",
        example: "what is LOG_LEVEL set to in the api?",
        when: always,
        answer: Answer::Now(|ctx, w, r| match env_var_word(ctx, w, r) {
            Some(var) => some(env(ctx, r, &var)),
            None => Ok(None),
        }),
    },
    Rule {
        name: "env-list",
        example: "what environment variables does the api have?",
        when: |_, w, _| w.any(&["env", "environment", "variables", "variable"]),
        answer: Answer::Now(|ctx, _, r| some(env_list(ctx, r))),
    },
    Rule {
        name: "hpa-bounds",
        example: "what is the max replicas of the frontend hpa?",
        when: |_, w, r| {
            let bound = w.any(&["max", "maximum", "min", "minimum"]);
            (w.prefix(&["replica"]) || (r.kind == Some(Kind::Hpa) && bound)) && (r.kind == Some(Kind::Hpa) || bound)
        },
        answer: Answer::Now(|ctx, w, r| some(hpa_bounds(ctx, w, r))),
    },
    Rule {
        name: "replicas",
        example: "what are the replicas of web?",
        when: |_, w, _| w.prefix(&["replica"]),
        answer: Answer::Now(|ctx, w, r| some(replicas(ctx, w, r))),
    },
    Rule {
        name: "version",
        example: "what kubernetes version is the cluster running?",
        when: |_, w, _| w.any(&["version", "versions", "runtime"]),
        answer: Answer::Now(|ctx, w, r| {
            let mut also: Vec<&str> = guard::VERSION_WORDS.to_vec();
            if let Some((value, _)) = &r.node_label {
                // "the kubelet version of the batch pool": the version rule
                // narrows to the nodes carrying that label value.
                also.extend([value.as_str(), "pool", "nodepool", "zone", "group"]);
            }
            guard::accounted_for_with(ctx, w, r, &also)?;
            some(version(ctx, w, r))
        }),
    },
    Rule {
        name: "storage-capacity",
        example: "how big is the data pvc?",
        when: |_, w, r| {
            let storage_target = r.kind.is_some_and(|k| matches!(k, Kind::Pvc | Kind::Pv))
                || (!r.targets.is_empty() && r.targets.iter().all(|e| matches!(e.kind, Kind::Pvc | Kind::Pv)));
            storage_target && w.any(&["storage", "capacity", "size", "big", "much", "request", "requests", "space"])
        },
        answer: Answer::Now(|ctx, _, r| some(capacity(ctx, r))),
    },
    Rule {
        name: "resources",
        example: "what are the memory limits of the api?",
        when: |_, w, _| w.any(&["limit", "limits", "request", "requests", "requested"]),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::CONTAINER_WORDS)?;
            some(resources(ctx, w, r))
        }),
    },
    Rule {
        name: "cron-last-run",
        example: "when did the backup cronjob last run?",
        when: |_, w, r| {
            let cron_target = r.targets.iter().any(|e| e.kind == Kind::CronJob);
            cron_target
                && (w.phrase("last run") || w.phrase("last ran") || w.phrase("when did") || w.phrase("last schedule"))
                || cron_words(w, r) && w.phrase("last")
        },
        answer: Answer::Now(|ctx, _, r| some(last_schedule(ctx, r))),
    },
    Rule {
        name: "cron-suspended",
        example: "which cronjobs are suspended?",
        when: |_, w, r| cron_words(w, r) && w.any(&["suspended", "suspend", "paused"]),
        answer: Answer::Now(|ctx, w, r| some(if r.targets.is_empty() { list(ctx, w, r) } else { status(ctx, w, r) })),
    },
    Rule {
        name: "schedule",
        example: "how often does the backup cronjob run?",
        when: |_, w, r| cron_words(w, r) && !w.any(&["status", "state"]),
        answer: Answer::Now(|ctx, _, r| some(schedule(ctx, r))),
    },
    Rule {
        name: "ingress-backends",
        example: "which service does the shop ingress route to?",
        when: |_, w, r| {
            let ingress_target = r.kind == Some(Kind::Ingress) || r.targets.iter().any(|e| e.kind == Kind::Ingress);
            ingress_target
                && (w.any(&[
                    "backend", "backends", "route", "routes", "point", "points", "forward", "forwards", "send", "sends",
                ]) || w.phrase("go to"))
        },
        answer: Answer::Now(|ctx, _, r| some(ingress_backends(ctx, r))),
    },
    Rule {
        name: "service-type",
        example: "what type is the web service?",
        when: |ctx, w, r| asked_field(std::slice::from_ref(&SERVICE_TYPE), ctx, w, r).is_some(),
        answer: Answer::Now(|ctx, _, r| some(field_answer(ctx, r, &SERVICE_TYPE))),
    },
    Rule {
        name: "ingress-host",
        example: "what host does the shop ingress serve?",
        when: |ctx, w, r| (INGRESS_HOSTS.asked)(ctx, w, r) && !about_nodes(r),
        answer: Answer::Now(|ctx, _, r| some(field_answer(ctx, r, &INGRESS_HOSTS))),
    },
    Rule {
        name: "labels",
        example: "what labels does the web deployment have?",
        when: |_, w, _| w.prefix(&["label"]),
        answer: Answer::Now(|ctx, w, r| some(labels(ctx, w, r))),
    },
    Rule {
        name: "owner",
        example: "what owns the api pod?",
        when: |_, w, _| {
            w.any(&["owns", "owner", "owned", "manages", "controls", "controller"])
                || w.phrase("managed by")
                || w.phrase("controlled by")
        },
        answer: Answer::Now(|ctx, _, r| some(owner(ctx, r))),
    },
    Rule {
        name: "namespace-of",
        example: "which namespace is the db in?",
        when: |_, w, _| w.phrase("which namespace") || w.phrase("what namespace"),
        answer: Answer::Now(|ctx, _, r| some(namespace_of(ctx, r))),
    },
    Rule {
        name: "events",
        example: "show the events of the api pod",
        when: |_, w, _| w.any(&["events", "event", "warnings", "warning"]),
        answer: Answer::Now(|ctx, _, r| some(events(ctx, r))),
    },
    Rule {
        name: "ip",
        example: "what is the cluster ip of the web service?",
        when: |_, w, _| w.any(&["ip", "address", "clusterip"]),
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::IP_WORDS)?;
            some(ip(ctx, w, r))
        }),
    },
    Rule {
        name: "age",
        example: "how old is the db pod?",
        when: |_, w, _| w.any(&["age", "old", "created"]),
        answer: Answer::Now(|ctx, _, r| some(age(ctx, r))),
    },
    Rule {
        name: "list",
        example: "which pods are pending?",
        when: |_, w, r| {
            let listing =
                w.any(&["which", "list", "show", "what"]) && r.kind.is_some() && r.kind != Some(Kind::Container);
            listing
                && (r.targets.is_empty()
                    || (r.kind == Some(Kind::Pod) && r.targets.iter().all(|e| e.kind == Kind::Node))
                    || w.any(&["belong", "belongs", "belonging", "behind", "backing"])
                    || w.phrase("part of"))
        },
        answer: Answer::Now(|ctx, w, r| {
            guard::accounted_for_with(ctx, w, r, guard::POD_FILTER_WORDS)?;
            some(list(ctx, w, r))
        }),
    },
    Rule {
        name: "status",
        example: "what is the status of the db pod?",
        when: |_, w, _| w.any(STATUS_WORDS),
        answer: Answer::Now(|ctx, w, r| {
            guard::status_words_only(ctx, w, r)?;
            some(status(ctx, w, r))
        }),
    },
    Rule {
        name: "config-value",
        example: "what is the cache_ttl in the app-config configmap?",
        when: always,
        answer: Answer::Now(|ctx, w, r| match config_key(ctx, w, r) {
            Some(key) => some(config_value(ctx, r, &key)),
            None => Ok(None),
        }),
    },
    Rule {
        name: "bare-name",
        example: "db?",
        when: |_, _, r| !r.targets.is_empty(),
        answer: Answer::Now(|ctx, w, r| {
            guard::status_words_only(ctx, w, r)?;
            some(status(ctx, w, r))
        }),
    },
];

/// Tries the rules in order: the first that answers (or declines) wins.
pub async fn dispatch(ctx: &Ctx<'_>, w: &Words, r: &Refs) -> Result<Routed, Outcome> {
    for rule in RULES.iter().filter(|rule| (rule.when)(ctx, w, r)) {
        let step = match rule.answer {
            Answer::Now(f) => f(ctx, w, r),
            Answer::Logs => some(log_error(ctx, r).await),
            Answer::Why => some(why_of(ctx, r).await),
            Answer::History => history(ctx, w, r).await,
        };
        if let Some(mut routed) = step? {
            routed.rule = rule.name;
            return Ok(routed);
        }
    }
    Err(Outcome::NotUnderstood { suggestions: suggestions(ctx) })
}
