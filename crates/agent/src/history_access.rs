//! The assistant's history: which source a context's past comes from (a
//! Prometheus URL the user named, the cluster's own Prometheus found
//! through the service proxy, else Kubeask's own samples), the sampler
//! that fills the own store while the app runs, and the reports every face
//! shows (timeline, forecast, right-sizing, a workload's series).

use std::collections::HashMap;
use std::sync::Arc;

use kubeask_cluster::cache::ClusterCache;
use kubeask_cluster::history::prometheus::{Prometheus, Target};
use kubeask_cluster::history::{HistoryStore, SeriesFilter, Source};
use kubeask_cluster::saved::SavedEndpoints;
use kubeask_insight::history::timeline::{Incident, Query};
use kubeask_insight::history::{Metric, Series};

use crate::assistant::{AskError, Assistant};
use crate::insights::{self, Forecast, Unusual};

/// Which source to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefer {
    /// Prometheus when the cluster has one, else the own samples.
    #[default]
    Auto,
    /// Only Kubeask's own samples.
    Own,
    /// Only Prometheus.
    Prometheus,
}

impl std::str::FromStr for Prefer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Prefer::Auto),
            "own" => Ok(Prefer::Own),
            "prometheus" => Ok(Prefer::Prometheus),
            _ => Err(format!("`{s}`: use auto, own or prometheus")),
        }
    }
}

/// How the assistant reaches history.
#[derive(Clone, Debug, Default)]
pub struct HistorySettings {
    /// The own store, given.
    pub store: Option<Arc<HistoryStore>>,
    /// Else the data folder's, opened when first needed.
    pub data_folder_store: bool,
    /// Whether each started context is sampled into the store.
    pub sample: bool,
    /// A Prometheus URL the user named (used for every context).
    pub prometheus_url: Option<String>,
    /// Which source to prefer.
    pub prefer: Prefer,
    /// Prometheus URLs the user saved per context (`kubeask prometheus set`).
    pub saved: Option<SavedEndpoints>,
    /// Prometheus found per context (`None`: looked, found none).
    found: Arc<std::sync::Mutex<HashMap<String, Option<Prometheus>>>>,
}

impl HistorySettings {
    fn store(&self) -> Option<Arc<HistoryStore>> {
        self.store.clone().or_else(|| self.data_folder_store.then(crate::access::history_store).flatten())
    }
}

/// What `forecast` finds: containers and nodes heading for a line, the
/// cluster's capacity, and what is out of the ordinary.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ForecastReport {
    /// Containers against limits, nodes against allocatable, soonest first.
    pub forecasts: Vec<Forecast>,
    /// Anomalies, newest first.
    pub anomalies: Vec<Unusual>,
    /// The cluster's CPU and memory against its allocatable (none for a namespace).
    pub capacity: Vec<insights::Capacity>,
}

/// Reports with the source they were computed from.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Sourced<T> {
    /// What the figures come from.
    pub source: String,
    /// The report.
    pub report: T,
}

impl Assistant {
    /// Reads (and with `sample`, fills) the own history store.
    pub fn with_history(mut self, store: Arc<HistoryStore>, sample: bool) -> Self {
        self.history.store = Some(store);
        self.history.sample = sample;
        self
    }

    /// Reads the data folder's history store (opened on first use, so a
    /// command that never asks about the past never opens it).
    pub fn with_data_folder_history(mut self) -> Self {
        self.history.data_folder_store = true;
        self.history.saved = Some(SavedEndpoints::prometheus());
        self
    }

    /// Samples every context it starts into the history store.
    pub fn sampling(mut self, on: bool) -> Self {
        self.history.sample = on;
        self
    }

    /// Uses the Prometheus at `url` for history.
    pub fn with_prometheus_url(mut self, url: Option<String>) -> Self {
        self.history.prometheus_url = url;
        self
    }

    /// Prefers one history source.
    pub fn with_history_source(mut self, prefer: Prefer) -> Self {
        self.history.prefer = prefer;
        self
    }

    /// Starts the sampler for a context whose cache just started.
    pub(crate) fn start_sampler(&self, context: &str, cache: &Arc<ClusterCache>) {
        if let (true, Some(store)) = (self.history.sample, self.history.store().as_ref()) {
            // NB: detached on purpose: it samples for as long as the app runs.
            drop(kubeask_cluster::history::sampler::spawn(cache.clone(), store.clone(), context.to_string()));
        }
    }

    async fn prometheus_of(&self, cache: &ClusterCache) -> Option<Prometheus> {
        if let Some(url) = &self.history.prometheus_url {
            return Some(Prometheus::new(Target::url(url.clone())));
        }
        let context = cache.connection().context.clone();
        if let Some(saved) = &self.history.saved {
            match saved.get(&context) {
                Ok(Some((saved, credentials))) => {
                    return Some(Prometheus::new(Target::Url { url: saved.url, credentials }))
                }
                Ok(None) => {}
                // NB: the URL without its secret still goes to the server,
                // whose refusal says how to set the credentials again.
                Err(e) => {
                    tracing::warn!("the Prometheus saved for {context}: {e}");
                    let url = saved.all().ok().and_then(|mut a| a.remove(&context)).map(|s| s.url)?;
                    return Some(Prometheus::new(Target::url(url)));
                }
            }
        }
        if let Some(found) = self.history.found.lock().unwrap_or_else(|e| e.into_inner()).get(&context) {
            return found.clone();
        }
        let found = Prometheus::discover(&cache.connection().client, &cache.snapshot()).await;
        self.history.found.lock().unwrap_or_else(|e| e.into_inner()).insert(context, found.clone());
        found
    }

    /// Where a context's past comes from; `None` when it has none.
    pub async fn history_source(&self, cache: &ClusterCache) -> Option<Source> {
        self.history_with_start(cache).await.map(|(s, _)| s)
    }

    /// [`Assistant::history_source`], with its oldest sample when known
    /// (the own store's; a Prometheus does not say).
    pub async fn history_with_start(&self, cache: &ClusterCache) -> Option<(Source, Option<i64>)> {
        let context = cache.connection().context.clone();
        let store = self.history.store();
        if self.history.prefer != Prefer::Own {
            if let Some(prometheus) = self.prometheus_of(cache).await {
                return Some((Source::Prometheus { prometheus, store, context }, None));
            }
        }
        if self.history.prefer == Prefer::Prometheus {
            return None;
        }
        let store = store?;
        let (oldest, _) = store.span(&context).ok().flatten()?;
        Some((Source::Own { store, context }, Some(oldest)))
    }

    async fn source_or_explain(&self, cache: &ClusterCache) -> Result<Source, AskError> {
        self.history_source(cache).await.ok_or_else(|| AskError::NoHistory(no_history_message(self.history.prefer)))
    }

    /// A context's cache, its history source (or why it has none) and now.
    async fn history_of(&self, context: Option<&str>) -> Result<(Arc<ClusterCache>, Source, i64), AskError> {
        let cache = self.cache(context).await?;
        let source = self.source_or_explain(&cache).await?;
        Ok((cache, source, jiff::Timestamp::now().as_second()))
    }

    /// The incident timeline (works without history: the snapshot's own
    /// events, rollouts and restarts).
    pub async fn timeline(&self, context: Option<&str>, q: &Query) -> Result<Sourced<Vec<Incident>>, AskError> {
        let cache = self.cache(context).await?;
        let source = self.history_source(&cache).await;
        let snap = cache.snapshot();
        let now = jiff::Timestamp::now().as_second();
        let report = insights::timeline(&snap, source.as_ref(), q, now).await;
        let source =
            source.map_or("the cluster's current events and objects only (no history yet)".into(), |s| s.describe());
        Ok(Sourced { source, report })
    }

    /// Forecasts and anomalies over the last `window` seconds.
    pub async fn forecast(
        &self,
        context: Option<&str>,
        namespace: Option<&str>,
        window: i64,
        horizon: i64,
    ) -> Result<Sourced<ForecastReport>, AskError> {
        let (cache, source, now) = self.history_of(context).await?;
        let filter =
            SeriesFilter { namespace: namespace.map(str::to_string), nodes: Some(false), ..Default::default() };
        let series = source.series(&filter, now - window, now).await?;
        let snap = cache.snapshot();
        let mut forecasts = insights::forecasts(&snap, &series, horizon);
        if let Some(ns) = namespace {
            forecasts.retain(|x| x.namespace == ns);
        }
        // NB: the cluster's capacity is about every namespace.
        let capacity = if namespace.is_none() { insights::capacity(&snap, &series, horizon) } else { Vec::new() };
        let q = Query { namespace: namespace.map(str::to_string), ..Default::default() };
        let anomalies = insights::unusual_with_restarts(&source, &snap, &q, &series, (now - window, now)).await;
        Ok(Sourced { source: source.describe(), report: ForecastReport { forecasts, anomalies, capacity } })
    }

    /// Right-sizing and HPA advice over the last `window` seconds.
    pub async fn rightsize(
        &self,
        context: Option<&str>,
        namespace: Option<&str>,
        window: i64,
    ) -> Result<Sourced<insights::Rightsizing>, AskError> {
        let (cache, source, now) = self.history_of(context).await?;
        let report = insights::rightsizing(&source, &cache.snapshot(), namespace, now - window, now).await?;
        Ok(Sourced { source: source.describe(), report })
    }

    /// Volumes filling up: each bound claim's use over the last `window`
    /// seconds against its capacity, those full within `horizon` first.
    pub async fn volume_forecasts(
        &self,
        context: Option<&str>,
        namespace: Option<&str>,
        window: i64,
        horizon: i64,
    ) -> Result<Sourced<Vec<kubeask_insight::history::volume::VolumeForecast>>, AskError> {
        let (_, source, now) = self.history_of(context).await?;
        let volumes = source.volumes(namespace, now - window, now).await?;
        let report = kubeask_insight::history::volume::forecasts(&volumes, horizon);
        Ok(Sourced { source: source.describe(), report })
    }

    /// The CPU and memory series of `kind/name`'s pods over the last `window` seconds.
    pub async fn series_of(
        &self,
        context: Option<&str>,
        namespace: &str,
        kind: &str,
        name: &str,
        window: i64,
        metric: Option<Metric>,
    ) -> Result<Sourced<Vec<Series>>, AskError> {
        let (cache, source, now) = self.history_of(context).await?;
        let q = Query {
            namespace: Some(namespace.to_string()),
            target: Some((kind.to_string(), name.to_string())),
            since: None,
        };
        let report = insights::series_for(&source, &cache.snapshot(), &q, metric, now - window, now).await?;
        Ok(Sourced { source: source.describe(), report })
    }
}

impl Assistant {
    /// The charts of `kind/name` over the last `window` seconds, with the
    /// forecast `horizon` seconds ahead (the desktop's History view).
    pub async fn charts_of(
        &self,
        context: Option<&str>,
        namespace: &str,
        (kind, name): (&str, &str),
        window: i64,
        horizon: i64,
    ) -> Result<Sourced<Vec<crate::charts::Chart>>, AskError> {
        let series = self.series_of(context, namespace, kind, name, window, None).await?;
        let cache = self.cache(context).await?;
        let report = crate::charts::charts(&cache.snapshot(), &series.report, horizon);
        Ok(Sourced { source: series.source, report })
    }
}

/// What to say when a context has no history.
pub fn no_history_message(prefer: Prefer) -> String {
    match prefer {
        Prefer::Prometheus => "I can't answer that: no Prometheus found for this context (give one with --prometheus URL)".into(),
        _ => "I can't answer that: there is no history for this context yet — no Prometheus was found, and Kubeask keeps its own samples only while the app or `kubeask serve` runs".into(),
    }
}
