//! What this machine can run: memory, cores, CPU features, the llama.cpp
//! backends compiled in and the devices they see; from these, the model to
//! recommend, the thread count and how many layers to offload.

use serde::Serialize;
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, RefreshKind, System};

use crate::catalog::CatalogModel;

/// Memory kept free for the OS, the app and the cluster cache.
pub const RESERVE_BYTES: u64 = 1_500_000_000;

/// A compute device llama.cpp can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Device {
    /// llama.cpp's device index.
    pub index: usize,
    /// Device name (`CPU`, `CUDA0`, …).
    pub name: String,
    /// Description (CPU model, GPU name).
    pub description: String,
    /// Backend (`CPU`, `CUDA`, `Vulkan`, …).
    pub backend: String,
    /// `cpu`, `gpu`, `igpu`, `accel` or `unknown`.
    pub kind: String,
    /// Total memory, bytes.
    #[ts(type = "number")]
    pub memory_total: u64,
    /// Free memory, bytes.
    #[ts(type = "number")]
    pub memory_free: u64,
}

impl Device {
    /// Whether layers can be offloaded to it.
    pub fn is_gpu(&self) -> bool {
        matches!(self.kind.as_str(), "gpu" | "igpu")
    }
}

/// The machine, as far as running a model goes.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Hardware {
    /// Installed memory, bytes.
    #[ts(type = "number")]
    pub ram_total: u64,
    /// Memory available now, bytes.
    #[ts(type = "number")]
    pub ram_available: u64,
    /// Physical cores.
    pub cores_physical: usize,
    /// Logical CPUs.
    pub cores_logical: usize,
    /// CPU model.
    pub cpu: String,
    /// SIMD features the CPU has (`sse4.2`, `avx2`, `avx512f`, …).
    pub cpu_features: Vec<String>,
    /// The llama.cpp CPU variant loaded for this CPU (`haswell`, `icelake`, …), when known.
    pub cpu_variant: Option<String>,
    /// What a person should know about the variant choice: variants skipped
    /// and why (`sapphirerapids: crashed in its self-test (illegal
    /// instruction); using icelake`), or why llama.cpp could not start.
    pub cpu_variant_notes: Vec<String>,
    /// A GPU backend built in that found no device, and what that means.
    pub gpu_notes: Vec<String>,
    /// Backends compiled in or loaded (`CPU`, `CUDA`, …).
    pub backends: Vec<String>,
    /// Devices llama.cpp sees.
    pub devices: Vec<Device>,
}

impl Hardware {
    /// Memory, cores and CPU only: no llama.cpp.
    pub fn detect_host() -> Self {
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_memory(MemoryRefreshKind::nothing().with_ram())
                .with_cpu(CpuRefreshKind::nothing()),
        );
        let logical = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self {
            ram_total: sys.total_memory(),
            ram_available: sys.available_memory(),
            cores_physical: System::physical_core_count().unwrap_or(logical).clamp(1, logical.max(1)),
            cores_logical: logical,
            cpu: sys.cpus().first().map(|c| c.brand().trim().to_string()).unwrap_or_default(),
            cpu_features: cpu_features(),
            cpu_variant: None,
            cpu_variant_notes: Vec::new(),
            gpu_notes: Vec::new(),
            backends: Vec::new(),
            devices: Vec::new(),
        }
    }

    /// The GPU with the most free memory, if any.
    pub fn best_gpu(&self) -> Option<&Device> {
        self.devices.iter().filter(|d| d.is_gpu()).max_by_key(|d| d.memory_free)
    }

    /// Threads for generation: the physical cores (hyper-threads only add
    /// contention in llama.cpp's matrix code).
    pub fn threads(&self) -> usize {
        self.cores_physical.max(1)
    }

    /// Memory a model may use: available RAM less a reserve, plus free GPU memory.
    pub fn model_budget(&self) -> u64 {
        self.ram_available.saturating_sub(RESERVE_BYTES) + self.best_gpu().map(|g| g.memory_free).unwrap_or(0)
    }
}

fn cpu_features() -> Vec<String> {
    #[allow(unused_mut)]
    let mut out = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! feat {
            ($($f:tt),*) => { $( if std::is_x86_feature_detected!($f) { out.push($f.to_string()); } )* };
        }
        feat!("sse4.2", "avx", "f16c", "fma", "avx2", "bmi2", "avx512f", "avx512vnni", "avx512bf16", "avx512vbmi");
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! feat {
            ($($f:tt),*) => { $( if std::arch::is_aarch64_feature_detected!($f) { out.push($f.to_string()); } )* };
        }
        feat!("neon", "dotprod", "fp16", "sve", "i8mm");
    }
    out
}

/// Free space on the file system holding `path` (the longest mount point that prefixes it).
pub fn free_disk_bytes(path: &std::path::Path) -> Option<u64> {
    let path =
        std::fs::canonicalize(path).ok().or_else(|| path.parent().and_then(|p| std::fs::canonicalize(p).ok()))?;
    let disks = Disks::new_with_refreshed_list();
    disks
        .list()
        .iter()
        .filter(|d| path.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| d.available_space())
}

/// A model that does not fit, with the numbers.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "{model} needs about {needed_mb} MB of memory but only {available_mb} MB is available \
     ({reserve_mb} MB kept for the system); choose a smaller model or close other programs"
)]
pub struct DoesNotFit {
    /// The model.
    pub model: String,
    /// What it needs, MB.
    pub needed_mb: u64,
    /// What is available (RAM + GPU), MB.
    pub available_mb: u64,
    /// The reserve kept free, MB.
    pub reserve_mb: u64,
}

/// Refuses a model that cannot fit in `hw`, before anything is loaded.
pub fn check_fit(model: &str, needed: u64, hw: &Hardware) -> Result<(), DoesNotFit> {
    if needed <= hw.model_budget() {
        Ok(())
    } else {
        Err(DoesNotFit {
            model: model.to_string(),
            needed_mb: needed / 1_000_000,
            available_mb: hw.model_budget() / 1_000_000,
            reserve_mb: RESERVE_BYTES / 1_000_000,
        })
    }
}

/// What to run on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// The catalog model.
    pub model: CatalogModel,
    /// Generation threads.
    pub threads: usize,
    /// Layers to offload to the GPU (0 on CPU-only machines; `u32::MAX` for all).
    pub gpu_layers: u32,
    /// Why this one, in a sentence.
    pub reason: String,
}

/// Active parameters (billions) that still generate at a usable speed on
/// CPU: token generation is bound by memory bandwidth, which grows roughly
/// with the cores a laptop or server has.
fn cpu_speed_limit_b(hw: &Hardware) -> f64 {
    match hw.cores_physical {
        0..=2 => 1.6,
        3..=4 => 2.0,
        5..=7 => 4.5,
        _ => 8.5,
    }
}

/// Picks the most capable catalog model that fits in memory and runs at a
/// usable speed; `None` when not even the smallest fits.
pub fn recommend(hw: &Hardware, catalog: &[CatalogModel]) -> Option<Recommendation> {
    let budget = hw.model_budget();
    let gpu = hw.best_gpu();
    let speed_limit = if gpu.is_some() { f64::MAX } else { cpu_speed_limit_b(hw) };
    let mut fits: Vec<&CatalogModel> = catalog
        .iter()
        .filter(|m| m.ram_bytes <= budget && m.compute_params_b() <= speed_limit)
        .filter(|m| m.license == "apache-2.0")
        .collect();
    // Most capable first (total parameters: a 30B mixture of experts beats
    // an 8B dense model, and runs at 3B speed); among equals the smaller
    // quantization (faster).
    fits.sort_by(|a, b| {
        b.params_b
            .partial_cmp(&a.params_b)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(instruct_first(a).cmp(&instruct_first(b)))
            .then(a.size_bytes.cmp(&b.size_bytes))
    });
    let model = (*fits.first()?).clone();
    let gpu_layers = match gpu {
        Some(g) if g.memory_free > model.ram_bytes => u32::MAX,
        Some(g) => {
            // Offload the share of the layers that fits; ~48 layers is a
            // safe upper bound for the catalog's models.
            ((g.memory_free as f64 / model.ram_bytes as f64) * 48.0) as u32
        }
        None => 0,
    };
    let reason = format!(
        "{} fits in {} MB of usable memory{} and runs at a usable speed on {} core{}",
        model.name,
        budget / 1_000_000,
        gpu.map(|g| format!(" (with {} MB on {})", g.memory_free / 1_000_000, g.description)).unwrap_or_default(),
        hw.cores_physical,
        if hw.cores_physical == 1 { "" } else { "s" },
    );
    Some(Recommendation { model, threads: hw.threads(), gpu_layers, reason })
}

/// Instruct-tuned, non-coder builds answer questions best: sort them first.
fn instruct_first(m: &CatalogModel) -> u8 {
    let id = m.id.as_str();
    match (id.contains("instruct") && !id.contains("coder"), id.contains("coder")) {
        (true, _) => 0,
        (false, false) => 1,
        (_, true) => 2,
    }
}
