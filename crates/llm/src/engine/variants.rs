//! Which llama.cpp CPU variant this process loads.
//!
//! llama.cpp ships one CPU module per x86-64 level (`libggml-cpu-haswell.so`
//! … `-zen4.so`, `-sapphirerapids.so`) and would load the best-scoring one.
//! A module is trusted only after it has run here: each candidate, best
//! first, is exercised in a child process ([`super::selftest`]) on a tiny
//! model with the catalog's quantization types; one that crashes, hangs or
//! computes non-finite values is skipped and the next is tried. Verdicts are
//! kept per CPU, variant and module file (size and mtime, so a new build is
//! tested again) in `<data dir>/native-checks.json`. Only the chosen module
//! is then loaded into this process, from a folder that holds just it (and
//! any GPU backends), so llama.cpp cannot pick another.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::selftest::{self, Job, Outcome};
use crate::paths;

/// Env var forcing one CPU variant (support cases): `icelake`, `haswell`, ….
pub const FORCE_ENV: &str = "KUBEASK_CPU_VARIANT";

/// How long one self-test may take (it takes ~0.1–0.5 s).
const SELF_TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Bumped when the self-test model or procedure changes: old verdicts
/// then no longer count.
const SELF_TEST_VERSION: &str = "selftest-v2";

/// Variants never chosen on their own, and why. The self-test would catch
/// the AMX crash too; this avoids even the child's crash (and a kernel log
/// line per start) until the vendored llama.cpp carries the fix.
const EXCLUDED: &[(&str, &str)] = &[(
    "sapphirerapids",
    "not used: its AMX kernels crash in this llama.cpp build (llama.cpp PR #26954; see docs/amx.md)",
)];

/// llama.cpp's x86 variants, best first: the order of the scores its
/// `ggml_backend_cpu_x86_score` gives a CPU that has every feature (each
/// feature adds a fixed power of two). Unknown names (other architectures,
/// newer builds) are tried before these, highest name first.
const RANK: &[&str] = &[
    "sapphirerapids",
    "zen4",
    "cooperlake",
    "icelake",
    "cascadelake",
    "cannonlake",
    "skylakex",
    "alderlake",
    "haswell",
    "piledriver",
    "ivybridge",
    "sandybridge",
    "sse42",
    "x64",
];

/// A variant that was not used, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SkippedVariant {
    /// The variant (`sapphirerapids`).
    pub variant: String,
    /// Why, in words (`crashed in its self-test (illegal instruction)`).
    pub reason: String,
}

/// What [`choose`] decided.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// The variant chosen; `None` when none could be tested (llama.cpp
    /// then picks among the untested candidates itself).
    pub variant: Option<String>,
    /// The folder to load backends from.
    pub staged_dir: PathBuf,
    /// Variants passed over, and why.
    pub skipped: Vec<SkippedVariant>,
    /// Self-tests run during this choice (0 when every verdict was cached).
    pub self_tests: usize,
    /// Whether the choice rests on a self-test (now or cached).
    pub tested: bool,
    /// Time the choice took, ms.
    pub ms: f64,
}

/// A CPU backend module file.
#[derive(Debug, Clone)]
struct Module {
    variant: String,
    path: PathBuf,
}

fn module_prefix() -> &'static str {
    if cfg!(windows) {
        "ggml-"
    } else {
        "libggml-"
    }
}

fn module_ext() -> &'static str {
    if cfg!(windows) {
        ".dll"
    } else {
        ".so"
    }
}

/// Backend modules in `dir`: (CPU variants, other backends such as CUDA).
fn modules(dir: &Path) -> (Vec<Module>, Vec<PathBuf>) {
    let (mut cpu, mut other) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else { return (cpu, other) };
    let cpu_prefix = format!("{}cpu-", module_prefix());
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(module_ext()) else { continue };
        if let Some(variant) = stem.strip_prefix(&cpu_prefix) {
            cpu.push(Module { variant: variant.to_string(), path: e.path() });
        } else if stem.starts_with(module_prefix()) {
            other.push(e.path());
        }
    }
    cpu.sort_by_key(|a| rank_key(&a.variant));
    other.sort();
    (cpu, other)
}

/// Sort key: unknown names first (highest name first), then [`RANK`].
fn rank_key(variant: &str) -> (usize, std::cmp::Reverse<String>) {
    let pos = RANK.iter().position(|r| *r == variant).map_or(0, |p| p + 1);
    (pos, std::cmp::Reverse(variant.to_string()))
}

/// Size and modification time: a rebuilt or replaced module differs.
pub(crate) fn fingerprint(path: &Path) -> String {
    let meta = std::fs::metadata(path).ok();
    let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
    let mtime = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{size}:{mtime}", path.display())
}

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The CPU model and its feature flags, hashed: verdicts hold per CPU.
fn cpu_id() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let line = |key: &str| info.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    let id = format!("{}|{}|{}", std::env::consts::ARCH, line("model name"), line("flags"));
    format!("{}-{SELF_TEST_VERSION}", short_hash(&id))
}

/// Whether this CPU could run `variant` at all (so skipping it is news).
fn cpu_could_run(variant: &str) -> bool {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or_default();
    match variant {
        "sapphirerapids" => flags.split_whitespace().any(|f| f == "amx_int8"),
        _ => true,
    }
}

/// One remembered self-test result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
    /// It ran and computed finite values.
    Ok,
    /// The module scored 0: this CPU lacks its instructions.
    Unsupported,
    /// It crashed, hung or failed.
    Broken,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct VariantVerdict {
    cpu: String,
    variant: String,
    module: String,
    verdict: Verdict,
    #[serde(default)]
    reason: String,
    ms: f64,
}

/// A checked model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ModelVerdict {
    /// The file's fingerprint and the backend folder it was checked with.
    pub key: String,
    /// Whether it loaded and ran.
    pub ok: bool,
    /// Why not.
    #[serde(default)]
    pub reason: String,
}

/// `<data dir>/native-checks.json`: every verdict. A missing or damaged
/// file is an empty one (the checks run again).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Verdicts {
    #[serde(default)]
    variants: Vec<VariantVerdict>,
    #[serde(default)]
    models: Vec<ModelVerdict>,
}

impl Verdicts {
    fn path() -> PathBuf {
        paths::data_dir().join("native-checks.json")
    }

    pub fn load() -> Self {
        std::fs::read(Self::path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    /// Writes atomically (a concurrent reader sees the old or the new file).
    pub fn save(&self) {
        let path = Self::path();
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
            std::fs::write(&tmp, serde_json::to_vec_pretty(self).unwrap_or_default())?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(path = %path.display(), "could not save self-test verdicts: {e}");
        }
    }

    fn variant(&self, cpu: &str, m: &Module) -> Option<&VariantVerdict> {
        let fp = fingerprint(&m.path);
        self.variants.iter().find(|v| v.cpu == cpu && v.variant == m.variant && v.module == fp)
    }

    /// Judges a self-test's outcome and remembers the verdict.
    fn record(&mut self, cpu: &str, m: &Module, out: &Outcome) -> (Verdict, String) {
        let (verdict, reason) = verdict_of(out, &m.variant);
        tracing::info!(variant = %m.variant, ?verdict, ms = out.ms, "CPU variant self-test");
        self.put_variant(VariantVerdict {
            cpu: cpu.to_string(),
            variant: m.variant.clone(),
            module: fingerprint(&m.path),
            verdict: verdict.clone(),
            reason: reason.clone(),
            ms: out.ms,
        });
        (verdict, reason)
    }

    fn put_variant(&mut self, v: VariantVerdict) {
        self.variants.retain(|o| !(o.cpu == v.cpu && o.variant == v.variant));
        self.variants.push(v);
    }

    pub fn model(&self, key: &str) -> Option<&ModelVerdict> {
        self.models.iter().find(|m| m.key == key)
    }

    pub fn put_model(&mut self, v: ModelVerdict) {
        self.models.retain(|o| o.key != v.key);
        // Bounded: the newest 200 files.
        if self.models.len() >= 200 {
            self.models.remove(0);
        }
        self.models.push(v);
    }
}

/// A folder under the data dir holding links to `files` only, so that
/// llama.cpp's "load the best module in this folder" loads exactly these.
pub(crate) fn stage(files: &[&Path]) -> Result<PathBuf, String> {
    let root = paths::data_dir().join("ggml-backends");
    let key = short_hash(&files.iter().map(|f| fingerprint(f)).collect::<Vec<_>>().join("\n"));
    let dir = root.join(&key);
    let complete = |d: &Path| files.iter().all(|f| f.file_name().is_some_and(|n| d.join(n).is_file()));
    if complete(&dir) {
        return Ok(dir);
    }
    let tmp = root.join(format!(".{key}.{}.tmp", std::process::id()));
    let build = || -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        for f in files {
            let target = std::fs::canonicalize(f)?;
            let name = f.file_name().unwrap_or_default();
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, tmp.join(name))?;
            #[cfg(not(unix))]
            std::fs::copy(&target, tmp.join(name)).map(|_| ())?;
        }
        Ok(())
    };
    build().map_err(|e| format!("could not prepare {}: {e}", tmp.display()))?;
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process staged the same set first.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if complete(&dir) {
        Ok(dir)
    } else {
        Err(format!("could not prepare the backend folder {}", dir.display()))
    }
}

/// The quantized tiny model the self-test runs, written once.
pub(crate) fn self_test_model() -> Result<PathBuf, String> {
    let dir = paths::data_dir().join("selftest");
    let path = dir.join(format!("tiny-qwen2-quantized-{SELF_TEST_VERSION}.gguf"));
    if path.is_file() {
        return Ok(path);
    }
    let tmp = dir.join(format!(".tiny.{}.tmp", std::process::id()));
    std::fs::create_dir_all(&dir)
        .and_then(|()| crate::tiny::write_tiny_qwen2_quantized(&tmp, 11))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("could not write the self-test model to {}: {e}", path.display()))?;
    Ok(path)
}

fn verdict_of(out: &Outcome, variant: &str) -> (Verdict, String) {
    // A child that ran another module than the one staged proves nothing.
    let ran_other = out.field("variant").is_some_and(|v| v != variant);
    if out.passed() && ran_other {
        (Verdict::Unsupported, format!("llama.cpp ran {} instead", out.field("variant").unwrap_or("?")))
    } else if out.passed() {
        (Verdict::Ok, String::new())
    } else if out.unsupported() {
        (Verdict::Unsupported, "this CPU lacks its instructions".into())
    } else {
        (Verdict::Broken, out.failure("in its self-test"))
    }
}

/// Chooses the CPU variant to load from `dir` (see the module docs).
pub(crate) fn choose(dir: &Path) -> Result<Selection, String> {
    let started = Instant::now();
    let (cpu_modules, others) = modules(dir);
    let forced = std::env::var(FORCE_ENV).ok().filter(|v| !v.trim().is_empty());
    let mut sel = Selection {
        variant: None,
        staged_dir: dir.to_path_buf(),
        skipped: Vec::new(),
        self_tests: 0,
        tested: true,
        ms: 0.0,
    };
    let candidates = candidates(&cpu_modules, forced.as_deref(), &mut sel.skipped)?;
    let cpu = cpu_id();
    let mut verdicts = Verdicts::load();
    let mut model: Option<PathBuf> = None;
    for (i, m) in candidates.iter().enumerate() {
        let (verdict, reason) = match verdicts.variant(&cpu, m) {
            Some(v) => (v.verdict.clone(), v.reason.clone()),
            None => {
                let model = match &model {
                    Some(p) => p.clone(),
                    None => model.insert(self_test_model()?).clone(),
                };
                let job = Job::Cpu { backends_dir: stage(&[&m.path])?, model };
                let out = match selftest::run(&job, SELF_TEST_TIMEOUT) {
                    Some(Ok(out)) => out,
                    outcome => {
                        // No program to test with: llama.cpp picks among
                        // the rest, untested (AMX still excluded).
                        if let Some(Err(e)) = outcome {
                            tracing::warn!("CPU variant self-test unavailable: {e}");
                        }
                        return untested(sel, &candidates[i..], &others, started);
                    }
                };
                sel.self_tests += 1;
                let (verdict, reason) = verdicts.record(&cpu, m, &out);
                verdicts.save();
                (verdict, reason)
            }
        };
        match verdict {
            Verdict::Ok => {
                let mut files: Vec<&Path> = vec![&m.path];
                files.extend(others.iter().map(PathBuf::as_path));
                sel.staged_dir = stage(&files)?;
                sel.variant = Some(m.variant.clone());
                sel.ms = started.elapsed().as_secs_f64() * 1000.0;
                return Ok(sel);
            }
            Verdict::Unsupported if forced.is_some() => {
                return Err(format!("{FORCE_ENV}={}: {reason}; unset it to let Kubeask choose", m.variant));
            }
            Verdict::Unsupported => {}
            Verdict::Broken => {
                if forced.is_some() {
                    return Err(format!("{FORCE_ENV}={}: {reason}; unset it to let Kubeask choose", m.variant));
                }
                sel.skipped.push(SkippedVariant { variant: m.variant.clone(), reason });
            }
        }
    }
    let why = sel.skipped.iter().map(|s| format!("{}: {}", s.variant, s.reason)).collect::<Vec<_>>().join("; ");
    Err(format!(
        "no llama.cpp CPU variant in {} runs on this machine{}",
        dir.display(),
        if why.is_empty() { String::new() } else { format!(" ({why})") }
    ))
}

/// One CPU variant as [`survey`] found it.
#[derive(Debug, Clone, Serialize)]
pub struct VariantStatus {
    /// The variant.
    pub variant: String,
    /// `ok`, `unsupported`, `broken`, or `untested` (no helper to test with).
    pub verdict: String,
    /// Why, when not ok.
    pub reason: String,
    /// Self-test time, ms (as measured when the verdict was made).
    pub ms: Option<f64>,
    /// Whether Kubeask never chooses it on its own ([`EXCLUDED`]).
    pub excluded: bool,
    /// Whether the verdict came from the cache.
    pub cached: bool,
}

/// Every CPU variant in `dir`, best first, with its self-test verdict:
/// cached ones as they are unless `retest`, the rest tested now (excluded
/// ones too: in a child, a crash costs nothing, and it shows whether an
/// upstream fix has arrived). For `kubeask models variants`.
pub fn survey(dir: &Path, retest: bool) -> Result<Vec<VariantStatus>, String> {
    let (cpu_modules, _) = modules(dir);
    let cpu = cpu_id();
    let mut verdicts = Verdicts::load();
    let model = self_test_model()?;
    let mut out = Vec::new();
    for m in &cpu_modules {
        let excluded = EXCLUDED.iter().any(|(n, _)| *n == m.variant);
        let cached = if retest { None } else { verdicts.variant(&cpu, m).cloned() };
        let (verdict, reason, ms, was_cached) = match cached {
            Some(v) => (Some(v.verdict), v.reason, Some(v.ms), true),
            None => match selftest::run(
                &Job::Cpu { backends_dir: stage(&[&m.path])?, model: model.clone() },
                SELF_TEST_TIMEOUT,
            ) {
                Some(Ok(o)) => {
                    let (verdict, reason) = verdicts.record(&cpu, m, &o);
                    (Some(verdict), reason, Some(o.ms), false)
                }
                Some(Err(e)) => (None, e, None, false),
                None => (None, format!("the {} helper was not found", selftest::PROBE_NAME), None, false),
            },
        };
        let verdict = match verdict {
            Some(Verdict::Ok) => "ok",
            Some(Verdict::Unsupported) => "unsupported",
            Some(Verdict::Broken) => "broken",
            None => "untested",
        };
        out.push(VariantStatus {
            variant: m.variant.clone(),
            verdict: verdict.into(),
            reason,
            ms,
            excluded,
            cached: was_cached,
        });
    }
    verdicts.save();
    Ok(out)
}

/// The modules to try, best first: the forced one alone, or all but the
/// excluded ones (noting an exclusion this CPU would otherwise have used).
fn candidates(
    modules: &[Module],
    forced: Option<&str>,
    skipped: &mut Vec<SkippedVariant>,
) -> Result<Vec<Module>, String> {
    if let Some(v) = forced {
        let found: Vec<Module> = modules.iter().filter(|m| m.variant == v).cloned().collect();
        if found.is_empty() {
            let names = modules.iter().map(|m| m.variant.as_str()).collect::<Vec<_>>().join(", ");
            return Err(format!("{FORCE_ENV}={v}: there is no such llama.cpp CPU variant (there are: {names})"));
        }
        return Ok(found);
    }
    Ok(modules
        .iter()
        .filter(|m| match EXCLUDED.iter().find(|(name, _)| *name == m.variant) {
            Some((_, why)) => {
                if cpu_could_run(&m.variant) {
                    skipped.push(SkippedVariant { variant: m.variant.clone(), reason: (*why).to_string() });
                }
                false
            }
            None => true,
        })
        .cloned()
        .collect())
}

fn untested(mut sel: Selection, rest: &[Module], others: &[PathBuf], started: Instant) -> Result<Selection, String> {
    let mut files: Vec<&Path> = rest.iter().map(|m| m.path.as_path()).collect();
    files.extend(others.iter().map(PathBuf::as_path));
    sel.staged_dir = stage(&files)?;
    sel.tested = false;
    sel.ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_rank_best_first_and_unknown_names_lead() {
        let mut names = vec!["x64", "haswell", "zen4", "icelake", "armv8.2_1", "armv9.2_2", "sapphirerapids"];
        names.sort_by_key(|n| rank_key(n));
        assert_eq!(names, ["armv9.2_2", "armv8.2_1", "sapphirerapids", "zen4", "icelake", "haswell", "x64"]);
    }

    #[test]
    fn a_forced_variant_that_does_not_exist_names_the_ones_that_do() {
        let mods = vec![Module { variant: "haswell".into(), path: "/x/libggml-cpu-haswell.so".into() }];
        let err = candidates(&mods, Some("zen9"), &mut Vec::new()).unwrap_err();
        assert!(err.contains("zen9") && err.contains("haswell"), "{err}");
    }
}
