//! Kubeask's own bounded history: samples of every open context in one
//! SQLite file in the data dir, so a cluster without Prometheus still has
//! a past from the moment the app starts.
//!
//! Samples land in `samples` rows, are packed every five minutes into one
//! blob per series and hour (6 bytes a sample), kept at full resolution for
//! [`RAW_KEEP`], then as five-minute means in one blob per series and day
//! for [`ROLLUP_KEEP`]; past the size cap, full resolution older than an
//! hour is rolled up early, then the oldest blobs go first.
//! Timeline entries (events past the API server's one-hour TTL) are kept
//! for as long as the rollups.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kubeask_insight::history::timeline::Entry;
use kubeask_insight::history::{Metric, Point, Scope, Series, SeriesKey};
use rusqlite::{params, Connection, OptionalExtension};

/// Full resolution is kept this long (seconds).
pub const RAW_KEEP: i64 = 6 * 3600;
/// Five-minute means are kept this long.
pub const ROLLUP_KEEP: i64 = 14 * 86_400;
/// Default size cap of the file.
pub const DEFAULT_CAP: u64 = 256 * 1024 * 1024;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const SLOT: i64 = 300;

/// Errors of the history file.
#[derive(Debug, thiserror::Error)]
#[error("the history file {path} cannot be used: {message}")]
pub struct StoreError {
    /// The file.
    pub path: String,
    /// What SQLite said.
    pub message: String,
}

/// Which series to read.
#[derive(Clone, Debug, Default)]
pub struct SeriesFilter {
    /// Only this metric (CPU and memory when `None`).
    pub metric: Option<Metric>,
    /// Only this namespace (container series).
    pub namespace: Option<String>,
    /// Only these pods (container series).
    pub pods: Option<Vec<String>>,
    /// Only node series (`Some(true)`) or only container series (`Some(false)`).
    pub nodes: Option<bool>,
}

/// What a maintenance pass did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Maintenance {
    /// Series-hours packed.
    pub packed: usize,
    /// Hour blobs turned into five-minute means.
    pub rolled_up: usize,
    /// Blobs dropped for age or size.
    pub dropped: usize,
    /// Bytes in use after.
    pub bytes: u64,
}

/// The history file.
#[derive(Debug)]
pub struct HistoryStore {
    path: PathBuf,
    cap: u64,
    db: Mutex<Connection>,
    ids: Mutex<HashMap<String, HashMap<SeriesKey, i64>>>,
}

const SCHEMA: &str = "
PRAGMA auto_vacuum=INCREMENTAL;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, context TEXT NOT NULL, metric TEXT NOT NULL,
    namespace TEXT NOT NULL, pod TEXT NOT NULL, container TEXT NOT NULL, node TEXT NOT NULL,
    UNIQUE (context, metric, namespace, pod, container, node));
-- Earlier layouts of this file (never released).
DROP TABLE IF EXISTS recent;
DROP TABLE IF EXISTS chunks;
-- NB: keyed by time first, so each tick appends at the end of the tree.
CREATE TABLE IF NOT EXISTS samples (t INTEGER NOT NULL, series INTEGER NOT NULL, v REAL NOT NULL,
    PRIMARY KEY (t, series)) WITHOUT ROWID;
-- NB: a rowid table: a day's blob (1.7 KB) fits in its leaf page, where a
-- WITHOUT ROWID row that large spills into overflow pages (3x the bytes).
CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, series INTEGER NOT NULL, res INTEGER NOT NULL,
    start INTEGER NOT NULL, data BLOB NOT NULL, UNIQUE (series, res, start));
CREATE INDEX IF NOT EXISTS blobs_age ON blobs (res, start);
CREATE TABLE IF NOT EXISTS kept (context TEXT NOT NULL, t INTEGER NOT NULL, change TEXT NOT NULL,
    object TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (context, t, change, object)) WITHOUT ROWID;
";

fn floor(t: i64, step: i64) -> i64 {
    t.div_euclid(step) * step
}

/// Packs samples of one blob: (u16 offset from `start`, f32 value), LE.
fn encode(start: i64, unit: i64, points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 6);
    for p in points {
        let off = ((p.t - start) / unit).clamp(0, u16::MAX as i64) as u16;
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&(p.v as f32).to_le_bytes());
    }
    out
}

fn decode(start: i64, unit: i64, data: &[u8]) -> Vec<Point> {
    data.chunks_exact(6)
        .map(|c| {
            let off = u16::from_le_bytes([c[0], c[1]]) as i64;
            let v = f32::from_le_bytes([c[2], c[3], c[4], c[5]]) as f64;
            Point { t: start + off * unit, v }
        })
        .collect()
}

/// res 0: hour blobs, offsets in seconds; res 1: day blobs, offsets in slots.
fn unit(res: i64) -> i64 {
    if res == 0 {
        1
    } else {
        SLOT
    }
}

fn merge(mut a: Vec<Point>, b: Vec<Point>) -> Vec<Point> {
    a.extend(b);
    kubeask_insight::history::clean(&a)
}

impl HistoryStore {
    /// `<data dir>/history.sqlite`.
    pub fn default_path() -> PathBuf {
        kubeask_paths::data_dir().join("history.sqlite")
    }

    /// Opens (creating, private to the user) the history file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |e: rusqlite::Error| StoreError { path: path.display().to_string(), message: e.to_string() };
        if let Some(dir) = path.parent() {
            let _ = kubeask_paths::private_dir(dir);
        }
        let _ = kubeask_paths::touch_private(path);
        let db = Connection::open(path).map_err(err)?;
        db.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        db.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self { path: path.to_path_buf(), cap: DEFAULT_CAP, db: Mutex::new(db), ids: Mutex::default() })
    }

    /// Sets the size cap (bytes).
    pub fn with_cap(mut self, bytes: u64) -> Self {
        self.cap = bytes;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| StoreError { path: self.path.display().to_string(), message: e.to_string() }
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn series_id(&self, db: &Connection, context: &str, key: &SeriesKey) -> rusqlite::Result<i64> {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = ids.get(context).and_then(|m| m.get(key)) {
            return Ok(*id);
        }
        let (ns, pod, container, node) = columns(key);
        let args = params![context, key.metric.as_str(), ns, pod, container, node];
        db.execute(
            "INSERT OR IGNORE INTO series (context, metric, namespace, pod, container, node) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args,
        )?;
        let id = db.query_row(
            "SELECT id FROM series WHERE context = ?1 AND metric = ?2 AND namespace = ?3 AND pod = ?4 AND container = ?5 AND node = ?6",
            args,
            |r| r.get(0),
        )?;
        ids.entry(context.to_string()).or_default().insert(key.clone(), id);
        Ok(id)
    }

    /// Records one sample of each series at time `t` (Unix seconds).
    pub fn record(&self, context: &str, t: i64, samples: &[(SeriesKey, f64)]) -> Result<(), StoreError> {
        self.record_points(context, samples.iter().map(|(k, v)| (k, Point { t, v: *v })))
    }

    /// Records samples, each with its own time.
    pub fn record_points<'a>(
        &self,
        context: &str,
        samples: impl IntoIterator<Item = (&'a SeriesKey, Point)>,
    ) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction().map_err(self.err())?;
        {
            let mut insert = tx
                .prepare_cached("INSERT OR REPLACE INTO samples (t, series, v) VALUES (?2, ?1, ?3)")
                .map_err(self.err())?;
            for (key, p) in samples {
                if !p.v.is_finite() {
                    continue;
                }
                let id = self.series_id(&tx, context, key).map_err(self.err())?;
                insert.execute(params![id, p.t, p.v]).map_err(self.err())?;
            }
        }
        tx.commit().map_err(self.err())
    }

    /// Keeps timeline entries (an entry seen again replaces its evidence).
    pub fn keep_entries(&self, context: &str, entries: &[Entry]) -> Result<(), StoreError> {
        let mut db = self.db();
        let tx = db.transaction().map_err(self.err())?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO kept (context, t, change, object, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(self.err())?;
            for e in entries {
                let json = serde_json::to_string(e).unwrap_or_default();
                let change = e.change.words();
                insert.execute(params![context, e.time.as_second(), change, e.object, json]).map_err(self.err())?;
            }
        }
        tx.commit().map_err(self.err())
    }

    /// Entries kept for `context` at or after `since`.
    pub fn entries(&self, context: &str, since: i64) -> Result<Vec<Entry>, StoreError> {
        let db = self.db();
        let mut q = db
            .prepare_cached("SELECT entry FROM kept WHERE context = ?1 AND t >= ?2 ORDER BY t")
            .map_err(self.err())?;
        let rows = q.query_map(params![context, since], |r| r.get::<_, String>(0)).map_err(self.err())?;
        Ok(rows.filter_map(|r| r.ok()).filter_map(|j| serde_json::from_str(&j).ok()).collect())
    }

    /// The series of `context` matching `filter`, with samples in
    /// `[start, end]`, oldest first.
    pub fn series(
        &self,
        context: &str,
        filter: &SeriesFilter,
        start: i64,
        end: i64,
    ) -> Result<Vec<Series>, StoreError> {
        let db = self.db();
        let keys = matching(&db, context, filter).map_err(self.err())?;
        // NB: recent samples (the last minutes) are read in one pass, not
        // per series: the table is keyed by time.
        let mut recent: HashMap<i64, Vec<Point>> = HashMap::new();
        {
            let mut q =
                db.prepare_cached("SELECT series, t, v FROM samples WHERE t >= ?1 AND t <= ?2").map_err(self.err())?;
            let rows = q
                .query_map(params![start, end], |r| Ok((r.get::<_, i64>(0)?, Point { t: r.get(1)?, v: r.get(2)? })))
                .map_err(self.err())?;
            for (id, p) in rows.flatten() {
                recent.entry(id).or_default().push(p);
            }
        }
        let mut blobs = db
            .prepare_cached("SELECT res, start, data FROM blobs WHERE series = ?1 AND start <= ?2 AND start >= ?3")
            .map_err(self.err())?;
        let mut out = Vec::new();
        for (id, key) in keys {
            let mut points = recent.remove(&id).unwrap_or_default();
            let rows = blobs
                .query_map(params![id, end, start - DAY], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?))
                })
                .map_err(self.err())?;
            for (res, s, data) in rows.flatten() {
                points.extend(decode(s, unit(res), &data).into_iter().filter(|p| p.t >= start && p.t <= end));
            }
            let points = kubeask_insight::history::clean(&points);
            if !points.is_empty() {
                out.push(Series { key, points });
            }
        }
        Ok(out)
    }

    /// The oldest and newest sample time of `context`, if any.
    pub fn span(&self, context: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let db = self.db();
        let q = "SELECT MIN(lo), MAX(hi) FROM (
                   SELECT MIN(c.start) AS lo, MAX(c.start + CASE c.res WHEN 0 THEN 3600 ELSE 86400 END) AS hi
                     FROM blobs c JOIN series s ON s.id = c.series WHERE s.context = ?1
                   UNION ALL SELECT MIN(r.t), MAX(r.t) FROM samples r JOIN series s ON s.id = r.series WHERE s.context = ?1)";
        let row: Option<(Option<i64>, Option<i64>)> =
            db.query_row(q, params![context], |r| Ok((r.get(0)?, r.get(1)?))).optional().map_err(self.err())?;
        Ok(row.and_then(|(a, b)| Some((a?, b?))))
    }

    /// Bytes the file uses (pages in use).
    pub fn bytes(&self) -> u64 {
        let db = self.db();
        used_bytes(&db).unwrap_or(0)
    }

    /// Packs, rolls up, drops what is too old, then trims to the cap.
    pub fn maintain(&self, now: i64) -> Result<Maintenance, StoreError> {
        let mut db = self.db();
        let mut m =
            Maintenance { packed: self.pack(&mut db, floor(now, SLOT)).map_err(self.err())?, ..Default::default() };
        m.rolled_up = self.roll_up(&mut db, now - RAW_KEEP).map_err(self.err())?;
        m.dropped = db
            .execute("DELETE FROM blobs WHERE res = 1 AND start + 86400 <= ?1", [now - ROLLUP_KEEP])
            .map_err(self.err())?;
        db.execute("DELETE FROM kept WHERE t < ?1", [now - ROLLUP_KEEP]).map_err(self.err())?;
        if used_bytes(&db).map_err(self.err())? > self.cap {
            // Over the cap, full resolution goes first (to five-minute means,
            // 20x smaller; the last hour stays), before any history is lost.
            db.execute_batch("PRAGMA incremental_vacuum;").map_err(self.err())?;
            m.rolled_up += self.roll_up(&mut db, now - HOUR).map_err(self.err())?;
        }
        m.dropped += self.trim(&mut db).map_err(self.err())?;
        m.bytes = used_bytes(&db).map_err(self.err())?;
        Ok(m)
    }

    /// Moves `samples` rows older than `before` into hour blobs.
    fn pack(&self, db: &mut Connection, before: i64) -> rusqlite::Result<usize> {
        let tx = db.transaction()?;
        let mut groups: BTreeMap<(i64, i64), Vec<Point>> = BTreeMap::new();
        {
            let mut q = tx.prepare("SELECT series, t, v FROM samples WHERE t < ?1")?;
            let rows = q.query_map([before], |r| Ok((r.get::<_, i64>(0)?, Point { t: r.get(1)?, v: r.get(2)? })))?;
            for (id, p) in rows.flatten() {
                groups.entry((id, floor(p.t, HOUR))).or_default().push(p);
            }
        }
        let n = groups.len();
        for ((id, hour), points) in groups {
            upsert(&tx, id, 0, hour, points)?;
        }
        tx.execute("DELETE FROM samples WHERE t < ?1", [before])?;
        tx.commit()?;
        Ok(n)
    }

    /// Turns hour blobs that end before `before` into five-minute means.
    fn roll_up(&self, db: &mut Connection, before: i64) -> rusqlite::Result<usize> {
        let tx = db.transaction()?;
        let old: Vec<(i64, i64, Vec<u8>)> = {
            let mut q = tx.prepare("SELECT series, start, data FROM blobs WHERE res = 0 AND start + 3600 <= ?1")?;
            let rows = q.query_map([before], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.flatten().collect()
        };
        let mut days: BTreeMap<(i64, i64), Vec<Point>> = BTreeMap::new();
        for (id, start, data) in &old {
            let mut slots: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
            for p in decode(*start, 1, data) {
                let s = slots.entry(floor(p.t, SLOT)).or_default();
                s.0 += p.v;
                s.1 += 1;
            }
            let means = slots.into_iter().map(|(t, (sum, n))| Point { t, v: sum / n as f64 });
            days.entry((*id, floor(*start, DAY))).or_default().extend(means);
        }
        for ((id, day), points) in days {
            upsert(&tx, id, 1, day, points)?;
        }
        tx.execute("DELETE FROM blobs WHERE res = 0 AND start + 3600 <= ?1", [before])?;
        tx.commit()?;
        Ok(old.len())
    }

    /// Drops the oldest blobs (means first, then hours) until under the
    /// cap, then gives the pages back to the file system.
    fn trim(&self, db: &mut Connection) -> rusqlite::Result<usize> {
        let mut dropped = 0;
        while used_bytes(db)? > self.cap {
            let total: i64 = db.query_row("SELECT COUNT(*) FROM blobs", [], |r| r.get(0))?;
            if total == 0 {
                break;
            }
            let batch = (total / 10).max(1);
            dropped += db.execute(
                "DELETE FROM blobs WHERE id IN (SELECT id FROM blobs ORDER BY res DESC, start LIMIT ?1)",
                [batch],
            )?;
        }
        if dropped > 0 {
            db.execute("DELETE FROM series WHERE id NOT IN (SELECT series FROM blobs) AND id NOT IN (SELECT series FROM samples)", [])?;
            self.ids.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        db.execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(dropped)
    }
}

fn upsert(tx: &rusqlite::Transaction<'_>, id: i64, res: i64, start: i64, points: Vec<Point>) -> rusqlite::Result<()> {
    let old: Option<Vec<u8>> = tx
        .prepare_cached("SELECT data FROM blobs WHERE series = ?1 AND res = ?2 AND start = ?3")?
        .query_row(params![id, res, start], |r| r.get(0))
        .optional()?;
    let all = match old {
        Some(d) => merge(decode(start, unit(res), &d), points),
        // NB: the common case (a new blob) skips the merge's sort.
        None => kubeask_insight::history::clean(&points),
    };
    tx.prepare_cached("INSERT OR REPLACE INTO blobs (series, res, start, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, res, start, encode(start, unit(res), &all)])?;
    Ok(())
}

fn used_bytes(db: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = db.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = db.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = db.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(((pages - free).max(0) * size) as u64)
}

fn columns(key: &SeriesKey) -> (&str, &str, &str, &str) {
    match &key.scope {
        Scope::Container { namespace, pod, container } => (namespace, pod, container, ""),
        Scope::Node { node } => ("", "", "", node),
        // NB: the claim in the pod column; the metric says it is a volume.
        Scope::Volume { namespace, claim } => (namespace, claim, "", ""),
    }
}

fn matching(db: &Connection, context: &str, f: &SeriesFilter) -> rusqlite::Result<Vec<(i64, SeriesKey)>> {
    let mut q =
        db.prepare_cached("SELECT id, metric, namespace, pod, container, node FROM series WHERE context = ?1")?;
    let rows = q.query_map([context], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for (id, metric, ns, pod, container, node) in rows.flatten() {
        let Some(metric) = Metric::parse(&metric) else { continue };
        let key = if matches!(metric, Metric::VolumeUsed | Metric::VolumeCapacity) {
            SeriesKey::volume(metric, &ns, &pod)
        } else if node.is_empty() {
            SeriesKey::container(metric, &ns, &pod, &container)
        } else {
            SeriesKey::node(metric, &node)
        };
        let is_node = !node.is_empty();
        let keep = f.metric.map_or(Metric::USAGE.contains(&metric), |m| m == metric)
            && f.nodes.is_none_or(|n| n == is_node)
            && f.namespace.as_ref().is_none_or(|want| is_node || *want == ns)
            && f.pods.as_ref().is_none_or(|pods| is_node || pods.contains(&pod));
        if keep {
            out.push((id, key));
        }
    }
    Ok(out)
}
