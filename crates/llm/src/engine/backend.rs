//! The process-wide llama.cpp backend: initialised once (llama.cpp refuses
//! a second init), after loading the dynamic backend modules: the best CPU
//! variant that passed its self-test on this machine ([`super::variants`])
//! and any GPU backend shipped.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::{list_llama_ggml_backend_devices, LlamaBackendDeviceType, LogOptions};

use crate::hardware::Device;

use super::variants::{self, Selection, SkippedVariant};
use super::EngineError;

struct State {
    backend: LlamaBackend,
    backends_dir: Option<PathBuf>,
    selection: Option<Selection>,
}

static STATE: OnceLock<Result<State, String>> = OnceLock::new();

/// Env var naming the folder of llama.cpp backend modules (`libggml-cpu-*.so`).
pub const BACKENDS_ENV: &str = "KUBEASK_GGML_BACKENDS";

/// What llama.cpp runs on here.
#[derive(Debug, Clone)]
pub struct BackendInfo {
    /// The CPU variant loaded (`haswell`, `skylakex`, `icelake`, …), when known.
    pub cpu_variant: Option<String>,
    /// Where the backend modules were loaded from.
    pub backends_dir: Option<PathBuf>,
    /// Devices llama.cpp sees.
    pub devices: Vec<Device>,
    /// CPU variants passed over, and why.
    pub skipped: Vec<SkippedVariant>,
    /// Whether the variant in use passed a self-test here (now or before).
    pub self_tested: bool,
    /// Self-tests this process ran to choose (0 on a cached verdict).
    pub self_tests_run: usize,
    /// Time spent choosing the variant, ms.
    pub choose_ms: f64,
    /// GPU backend modules this build ships (`cuda`, `vulkan`), found or not.
    pub gpu_modules: Vec<String>,
    /// Those of them this process could load (their libraries were found).
    pub gpu_loaded: Vec<String>,
}

impl BackendInfo {
    /// What a person should know about the CPU variant, one line each:
    /// `sapphirerapids: crashed in its self-test (illegal instruction); using icelake`.
    pub fn variant_notes(&self) -> Vec<String> {
        let using = self.cpu_variant.as_deref().unwrap_or("the next variant");
        let mut notes: Vec<String> =
            self.skipped.iter().map(|s| format!("{}: {}; using {using}", s.variant, s.reason)).collect();
        if !self.self_tested && self.backends_dir.is_some() {
            notes.push(format!("{using}: not self-tested (the {} helper was not found)", super::selftest::PROBE_NAME));
        }
        notes
    }

    /// A GPU backend this build ships that found no device: said, so a
    /// person knows why the CPU answers (`cuda: no device …`).
    pub fn gpu_notes(&self) -> Vec<String> {
        self.gpu_modules
            .iter()
            .filter(|m| !self.devices.iter().any(|d| d.backend.eq_ignore_ascii_case(m)))
            .map(|m| match (m.as_str(), self.gpu_loaded.contains(m)) {
                ("cuda", true) => "this build includes CUDA, but no NVIDIA GPU was found (or its driver, 580 or \
                                   newer, is missing): running on the CPU"
                    .to_string(),
                ("cuda", false) => "this build includes CUDA, but its libraries (the CUDA 13 runtime and cuBLAS) \
                                    were not found: install them or put them on the library path; running on the CPU"
                    .to_string(),
                (other, true) => format!("this build includes {other}, but it found no device: running on the CPU"),
                (other, false) => {
                    format!("this build includes {other}, but it could not be loaded: running on the CPU")
                }
            })
            .collect()
    }
}

/// This machine as llama.cpp sees it: memory, cores and CPU from the host,
/// the CPU variant, backends and devices from llama.cpp (loaded if not yet).
pub fn detect_hardware() -> crate::hardware::Hardware {
    let mut hw = crate::hardware::Hardware::detect_host();
    match backend_info() {
        Ok(info) => {
            hw.cpu_variant_notes = info.variant_notes();
            hw.gpu_notes = info.gpu_notes();
            hw.cpu_variant = info.cpu_variant;
            hw.devices = info.devices;
        }
        Err(e) => hw.cpu_variant_notes = vec![e.to_string()],
    }
    let mut backends: Vec<String> = hw.devices.iter().map(|d| d.backend.clone()).collect();
    backends.dedup();
    hw.backends = backends;
    hw
}

/// llama.cpp's GPU backend modules, by their file name's stem.
const GPU_BACKENDS: &[&str] = &["cuda", "vulkan", "metal", "hip", "sycl", "musa", "opencl", "cann"];

/// The GPU backend modules in a folder of modules (`libggml-cuda.so` → `cuda`).
fn gpu_modules(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_prefix("libggml-").or_else(|| name.strip_prefix("ggml-"))?;
            let stem = stem.strip_suffix(".so").or_else(|| stem.strip_suffix(".dll"))?;
            GPU_BACKENDS.contains(&stem).then(|| stem.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn has_modules(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libggml-cpu")))
        .unwrap_or(false)
}

/// Where to look for backend modules, in order: the env var, next to the
/// executable (how bundles ship them), then the build's own output folder.
pub(crate) fn module_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os(BACKENDS_ENV) {
        dirs.push(PathBuf::from(d));
    }
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.join("ggml-backends"));
        dirs.push(exe_dir.clone());
        dirs.push(exe_dir.join("../lib/kubeask"));
    }
    if let Some(d) = llama_cpp_sys_2::BACKENDS_DIR {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

fn init() -> Result<State, String> {
    // llama.cpp logs to stderr by default; route it through tracing instead.
    llama_cpp_2::send_logs_to_tracing(LogOptions::default());
    let dir = module_dirs().into_iter().find(|d| has_modules(d));
    let selection = match &dir {
        Some(d) => Some(variants::choose(d)?),
        None => None,
    };
    if let Some(sel) = &selection {
        tracing::info!(
            variant = sel.variant.as_deref().unwrap_or("untested"),
            self_tests = sel.self_tests,
            ms = sel.ms,
            dir = %sel.staged_dir.display(),
            "loading llama.cpp backend modules"
        );
        llama_cpp_2::llama_backend::load_backends_from_path(&sel.staged_dir);
        // Without a registered CPU backend, llama.cpp's init would load the
        // best module from its own default folders, untested.
        if !super::selftest::has_cpu_device() {
            return Err(format!(
                "llama.cpp did not load the CPU module in {} ({}); set {} to another variant \
                 (kubeask models variants lists them)",
                sel.staged_dir.display(),
                sel.variant.as_deref().unwrap_or("untested"),
                variants::FORCE_ENV
            ));
        }
    }
    let backend = LlamaBackend::init().map_err(|e| format!("llama.cpp failed to start: {e}"))?;
    if list_llama_ggml_backend_devices().is_empty() {
        return Err(format!(
            "no llama.cpp compute backend was found (looked for libggml-cpu-*.so in {}); \
             reinstall Kubeask or set {BACKENDS_ENV} to the folder that holds them",
            module_dirs().iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(State { backend, backends_dir: dir, selection })
}

fn state() -> Result<&'static State, EngineError> {
    STATE.get_or_init(init).as_ref().map_err(|e| EngineError::Backend(e.clone()))
}

/// The folder the backend modules in use were loaded from (the staged
/// folder of the chosen variant), for checking a model file with them.
pub(crate) fn staged_dir() -> Option<PathBuf> {
    STATE.get()?.as_ref().ok()?.selection.as_ref().map(|s| s.staged_dir.clone())
}

/// Every CPU variant shipped, best first, with its self-test verdict
/// (see [`variants::survey`]); `retest` ignores cached verdicts.
pub fn cpu_variants(retest: bool) -> Result<Vec<variants::VariantStatus>, EngineError> {
    let dir = module_dirs().into_iter().find(|d| has_modules(d)).ok_or_else(|| {
        EngineError::Backend("no llama.cpp CPU modules found (this build links its CPU code statically)".into())
    })?;
    variants::survey(&dir, retest).map_err(EngineError::Backend)
}

/// The shared backend handle.
pub fn backend() -> Result<&'static LlamaBackend, EngineError> {
    state().map(|s| &s.backend)
}

/// Which `libggml-cpu-<variant>` module this process mapped (Linux): the
/// variant llama.cpp scored best for this CPU.
pub(crate) fn loaded_cpu_variant() -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|l| {
        let file = l.rsplit('/').next()?;
        let rest = file.strip_prefix("libggml-cpu-")?;
        Some(rest.split(".so").next()?.to_string())
    })
}

/// Which GPU backend modules this process mapped (Linux): loaded, their
/// libraries found.
fn loaded_gpu_modules() -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    GPU_BACKENDS.iter().filter(|b| maps.contains(&format!("/libggml-{b}.so"))).map(|b| b.to_string()).collect()
}

/// The backend's devices and CPU variant; initialises llama.cpp if needed.
pub fn backend_info() -> Result<BackendInfo, EngineError> {
    let st = state()?;
    let devices = list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| Device {
            index: d.index,
            name: d.name,
            description: d.description,
            backend: d.backend,
            kind: match d.device_type {
                LlamaBackendDeviceType::Cpu => "cpu",
                LlamaBackendDeviceType::Gpu => "gpu",
                LlamaBackendDeviceType::IntegratedGpu => "igpu",
                LlamaBackendDeviceType::Accelerator => "accel",
                _ => "unknown",
            }
            .to_string(),
            memory_total: d.memory_total as u64,
            memory_free: d.memory_free as u64,
        })
        .collect();
    let sel = st.selection.as_ref();
    Ok(BackendInfo {
        cpu_variant: sel.and_then(|s| s.variant.clone()).or_else(loaded_cpu_variant),
        backends_dir: st.backends_dir.clone(),
        devices,
        skipped: sel.map(|s| s.skipped.clone()).unwrap_or_default(),
        self_tested: sel.is_some_and(|s| s.tested),
        self_tests_run: sel.map_or(0, |s| s.self_tests),
        choose_ms: sel.map_or(0.0, |s| s.ms),
        gpu_modules: sel.map(|s| gpu_modules(&s.staged_dir)).unwrap_or_default(),
        gpu_loaded: loaded_gpu_modules(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(modules: &[&str], loaded: &[&str], devices: &[&str]) -> BackendInfo {
        BackendInfo {
            cpu_variant: Some("zen4".into()),
            backends_dir: None,
            devices: devices
                .iter()
                .enumerate()
                .map(|(index, b)| Device {
                    index,
                    name: format!("{b}0"),
                    description: "a device".into(),
                    backend: b.to_string(),
                    kind: "gpu".into(),
                    memory_total: 1 << 30,
                    memory_free: 1 << 30,
                })
                .collect(),
            skipped: Vec::new(),
            self_tested: true,
            self_tests_run: 0,
            choose_ms: 0.0,
            gpu_modules: modules.iter().map(|m| m.to_string()).collect(),
            gpu_loaded: loaded.iter().map(|m| m.to_string()).collect(),
        }
    }

    /// A CUDA build on a machine without a GPU says why the CPU answers:
    /// no libraries, or no device; with a device, nothing to say.
    #[test]
    fn a_gpu_backend_that_found_nothing_is_said_with_why() {
        let missing = info(&["cuda"], &[], &[]).gpu_notes();
        assert!(missing.len() == 1 && missing[0].contains("libraries"), "{missing:?}");
        let no_device = info(&["cuda"], &["cuda"], &[]).gpu_notes();
        assert!(no_device.len() == 1 && no_device[0].contains("no NVIDIA GPU was found"), "{no_device:?}");
        assert!(info(&["cuda"], &["cuda"], &["CUDA"]).gpu_notes().is_empty());
        assert!(info(&[], &[], &[]).gpu_notes().is_empty(), "a CPU build has nothing to say");
    }

    #[test]
    fn only_gpu_backends_count_as_gpu_modules() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["libggml-cpu-zen4.so", "libggml-cuda.so", "libggml-base.so", "libggml-rpc.so", "notes.txt"] {
            std::fs::write(dir.path().join(f), b"").unwrap();
        }
        assert_eq!(gpu_modules(dir.path()), vec!["cuda".to_string()]);
    }
}
