//! The process-wide llama.cpp backend: initialised once (llama.cpp refuses
//! a second init), after loading the dynamic backend modules so the best
//! CPU variant for this machine (and any GPU backend shipped) is in use.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::{list_llama_ggml_backend_devices, LlamaBackendDeviceType, LogOptions};

use crate::hardware::Device;

use super::EngineError;

struct State {
    backend: LlamaBackend,
    backends_dir: Option<PathBuf>,
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
}

fn has_modules(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libggml-cpu")))
        .unwrap_or(false)
}

/// Where to look for backend modules, in order: the env var, next to the
/// executable (how bundles ship them), then the build's own output folder.
fn module_dirs() -> Vec<PathBuf> {
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
    if let Some(d) = &dir {
        tracing::debug!(dir = %d.display(), "loading llama.cpp backend modules");
        llama_cpp_2::llama_backend::load_backends_from_path(d);
    }
    let backend = LlamaBackend::init().map_err(|e| format!("llama.cpp failed to start: {e}"))?;
    if list_llama_ggml_backend_devices().is_empty() {
        return Err(format!(
            "no llama.cpp compute backend was found (looked for libggml-cpu-*.so in {}); \
             reinstall Kubeask or set {BACKENDS_ENV} to the folder that holds them",
            module_dirs().iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(State { backend, backends_dir: dir })
}

fn state() -> Result<&'static State, EngineError> {
    STATE.get_or_init(init).as_ref().map_err(|e| EngineError::Backend(e.clone()))
}

/// The shared backend handle.
pub fn backend() -> Result<&'static LlamaBackend, EngineError> {
    state().map(|s| &s.backend)
}

/// Which `libggml-cpu-<variant>` module this process mapped (Linux): the
/// variant llama.cpp scored best for this CPU.
fn loaded_cpu_variant() -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|l| {
        let file = l.rsplit('/').next()?;
        let rest = file.strip_prefix("libggml-cpu-")?;
        Some(rest.split(".so").next()?.to_string())
    })
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
    Ok(BackendInfo { cpu_variant: loaded_cpu_variant(), backends_dir: st.backends_dir.clone(), devices })
}
