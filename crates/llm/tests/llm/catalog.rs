//! The catalog and the hardware-based pick.

use kubeask_llm::catalog;
use kubeask_llm::hardware::{check_fit, recommend, Device, Hardware};

fn machine(ram_gb: u64, cores: usize, gpu_gb: Option<u64>) -> Hardware {
    let mut hw = Hardware::detect_host();
    hw.ram_total = ram_gb * 1_000_000_000;
    hw.ram_available = ram_gb * 1_000_000_000;
    hw.cores_physical = cores;
    hw.devices = gpu_gb
        .map(|g| Device {
            index: 1,
            name: "CUDA0".into(),
            description: "Test GPU".into(),
            backend: "CUDA".into(),
            kind: "gpu".into(),
            memory_total: g * 1_000_000_000,
            memory_free: g * 1_000_000_000,
        })
        .into_iter()
        .collect();
    hw
}

#[test]
fn the_catalog_lists_the_qwen_builds_with_what_each_needs() {
    let all = catalog::builtin();
    for id in [
        "qwen2.5-0.5b-instruct-q4_k_m",
        "qwen2.5-0.5b-instruct-q8_0",
        "qwen2.5-7b-instruct-q4_k_m",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "qwen3-4b-instruct-2507-q4_k_m",
        "qwen3-30b-a3b-instruct-2507-q4_k_m",
        "qwen3-coder-30b-a3b-instruct-q4_k_m",
    ] {
        let m = all.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(m.size_bytes > 0 && m.ram_bytes > m.size_bytes && m.context_length >= 32768, "{id}");
        assert!(m.repo.contains('/') && m.file.ends_with(".gguf"));
    }
    assert!(catalog::parse("[[model]]\nid = \"x\"\n").is_err());
    // An entry that follows a branch instead of pinning a commit is refused.
    let first = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/catalog.toml")).unwrap();
    let branch = with_first_revision_main(&first);
    assert!(catalog::parse(&branch).unwrap_err().to_string().contains("revision"));
}

#[test]
fn the_recommendation_follows_memory_cores_and_gpu() {
    let all = catalog::builtin();
    let small = recommend(&machine(4, 2, None), &all).unwrap();
    assert!(small.model.params_b <= 1.6, "{}", small.model.id);
    assert_eq!(small.gpu_layers, 0);
    let laptop = recommend(&machine(16, 8, None), &all).unwrap();
    assert!(laptop.model.params_b >= 4.0 && laptop.model.ram_bytes < 16_000_000_000, "{}", laptop.model.id);
    let workstation = recommend(&machine(64, 16, None), &all).unwrap();
    assert_eq!(workstation.model.family, "qwen3-moe");
    let gpu = recommend(&machine(8, 4, Some(24)), &all).unwrap();
    assert!(gpu.gpu_layers > 0);
    assert!(recommend(&machine(1, 2, None), &all).is_none(), "nothing fits in 1 GB");
    println!("this machine: {:?}", recommend(&kubeask_llm::engine::detect_hardware(), &all).map(|r| r.reason));
}

#[test]
fn a_model_that_cannot_fit_is_refused_with_the_numbers() {
    let err = check_fit("Qwen3 30B-A3B", 21_000_000_000, &machine(8, 4, None)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("21000 MB") && msg.contains("6500 MB"), "{msg}");
}

/// The catalog text with its first `revision = "…"` line set to `main`.
fn with_first_revision_main(text: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.starts_with("revision = ") {
                done = true;
                "revision = \"main\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
