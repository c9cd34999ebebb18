//! A tiny random-weight Qwen2 GGUF (~0.5 MB) that llama.cpp loads and runs
//! in milliseconds: the real engine path (tokenizer, ChatML template,
//! grammar, cache) without a real model. Its output is noise by design.

use std::io::Write;
use std::path::Path;

/// A GGUF metadata value to write.
enum Meta {
    Str(String),
    U32(u32),
    F32(f32),
    Bool(bool),
    Strs(Vec<String>),
    I32s(Vec<i32>),
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_meta(out: &mut Vec<u8>, key: &str, v: &Meta) {
    put_str(out, key);
    match v {
        Meta::Str(s) => {
            out.extend_from_slice(&8u32.to_le_bytes());
            put_str(out, s);
        }
        Meta::U32(n) => {
            out.extend_from_slice(&4u32.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        Meta::F32(x) => {
            out.extend_from_slice(&6u32.to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        Meta::Bool(b) => {
            out.extend_from_slice(&7u32.to_le_bytes());
            out.push(u8::from(*b));
        }
        Meta::Strs(items) => {
            out.extend_from_slice(&9u32.to_le_bytes());
            out.extend_from_slice(&8u32.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for s in items {
                put_str(out, s);
            }
        }
        Meta::I32s(items) => {
            out.extend_from_slice(&9u32.to_le_bytes());
            out.extend_from_slice(&5u32.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for n in items {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
    }
}

/// GPT-2's byte-to-character table: every byte has a printable stand-in.
fn byte_chars() -> Vec<char> {
    let mut printable: Vec<u32> = (u32::from('!')..=u32::from('~')).collect();
    printable.extend(0xA1..=0xAC);
    printable.extend(0xAE..=0xFF);
    let mut table = vec!['\0'; 256];
    let mut extra = 0;
    for b in 0..256u32 {
        let c = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        table[b as usize] = char::from_u32(c).expect("valid char");
    }
    table
}

/// Tokens: the 256 byte tokens, some merges of common pairs, and ChatML's
/// special tokens (320 in all, like the recipe in BUILD-NOTES).
fn vocab() -> (Vec<String>, Vec<i32>, Vec<String>) {
    let chars = byte_chars();
    let mut tokens: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    let space = chars[b' ' as usize];
    let pairs = [
        "th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it",
        "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me", "de", "hi", "ri",
        "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si", "om", "ur",
    ];
    let mut merges = Vec::new();
    for p in pairs {
        let (a, b) = p.split_at(1);
        merges.push(format!("{a} {b}"));
        tokens.push(p.to_string());
    }
    for c in ['t', 'a', 's', 'w', 'c', 'p', 'o'] {
        merges.push(format!("{space} {c}"));
        tokens.push(format!("{space}{c}"));
    }
    let mut types = vec![1; tokens.len()];
    for special in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] {
        tokens.push(special.to_string());
        types.push(3);
    }
    (tokens, types, merges)
}

/// Qwen2's pre-tokenizer split (llama.cpp's `qwen2` pre-tokenizer).
const QWEN2_SPLIT: &str =
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The tiny model's tokenizer as a Hugging Face `tokenizer.json` (byte-level
/// BPE with Qwen2's split, the same vocabulary and merges as the GGUF), as
/// a model repository ships it beside its weights.
pub fn write_tokenizer_json(path: &Path) -> std::io::Result<()> {
    let (tokens, types, merges) = vocab();
    let vocab: serde_json::Map<String, serde_json::Value> =
        tokens.iter().enumerate().map(|(i, t)| (t.clone(), serde_json::json!(i))).collect();
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .zip(&types)
        .enumerate()
        .filter(|(_, (_, ty))| **ty == 3)
        .map(|(id, (t, _))| {
            serde_json::json!({"id": id, "content": t, "single_word": false, "lstrip": false, "rstrip": false,
                               "normalized": false, "special": true})
        })
        .collect();
    let byte_level =
        serde_json::json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false});
    let json = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added, "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": false},
            byte_level,
        ]},
        "post_processor": null,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": vocab, "merges": merges},
    });
    std::fs::write(path, serde_json::to_vec_pretty(&json)?)
}

/// ChatML, as Qwen's templates render it.
pub const CHATML_TEMPLATE: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// How a tensor's weights are stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// All ones (norm weights).
    Ones,
    /// Random f32.
    F32,
    /// ggml's Q8_0 (32-value blocks).
    Q8_0,
    /// ggml's Q4_K (256-value super-blocks).
    Q4K,
    /// ggml's Q6_K (256-value super-blocks).
    Q6K,
}

impl Storage {
    /// ggml type id, values per block, bytes per block.
    fn layout(self) -> (u32, u64, u64) {
        match self {
            Storage::Ones | Storage::F32 => (0, 1, 4),
            Storage::Q8_0 => (8, 32, 34),
            Storage::Q4K => (12, 256, 144),
            Storage::Q6K => (14, 256, 210),
        }
    }

    fn bytes(self, dims: &[u64]) -> u64 {
        let (_, block, size) = self.layout();
        dims.iter().product::<u64>() / block * size
    }
}

/// The shape of a tiny model: sizes, and how each kind of weight is stored.
struct Shape {
    n_embd: u64,
    n_ff: u64,
    /// Matmul weights per layer: q, k, v, output, gate, up, down.
    layer: [Storage; 7],
    embd: Storage,
    output: Storage,
    file_type: u32,
    name: &'static str,
}

/// Writes the tiny model to `path`; `seed` picks the random weights. All
/// weights are f32: the fastest model llama.cpp can run.
pub fn write_tiny_qwen2(path: &Path, seed: u64) -> std::io::Result<()> {
    let f = Storage::F32;
    write_model(
        path,
        seed,
        &Shape {
            n_embd: 64,
            n_ff: 128,
            layer: [f; 7],
            embd: f,
            output: f,
            file_type: 0,
            name: "Kubeask tiny Qwen2 (random weights)",
        },
    )
}

/// Writes a tiny model whose weights use the quantization types the
/// catalog ships (Q4_K, Q6_K, Q8_0), in rows of 256 so llama.cpp takes the
/// same quantized matmul kernels (and repacked or AMX layouts) a real
/// Q4_K_M model does. The CPU-variant self-test runs it.
pub fn write_tiny_qwen2_quantized(path: &Path, seed: u64) -> std::io::Result<()> {
    use Storage::{Q4K, Q6K, Q8_0};
    write_model(
        path,
        seed,
        &Shape {
            n_embd: 256,
            n_ff: 512,
            layer: [Q4K, Q4K, Q6K, Q8_0, Q4K, Q4K, Q6K],
            embd: Q8_0,
            output: Q6K,
            file_type: 15, // MOSTLY_Q4_K_M
            name: "Kubeask tiny Qwen2, quantized (random weights)",
        },
    )
}

fn write_model(path: &Path, seed: u64, shape: &Shape) -> std::io::Result<()> {
    let (n_embd, n_head, n_head_kv, n_ff, n_layer) = (shape.n_embd, 4u64, 2u64, shape.n_ff, 2u64);
    let n_kv = n_embd / n_head * n_head_kv;
    let (tokens, types, merges) = vocab();
    let n_vocab = tokens.len() as u64;
    let eos = (n_vocab - 1) as u32;
    let bos = (n_vocab - 3) as u32;
    let meta: Vec<(&str, Meta)> = vec![
        ("general.architecture", Meta::Str("qwen2".into())),
        ("general.name", Meta::Str(shape.name.into())),
        ("general.file_type", Meta::U32(shape.file_type)),
        ("qwen2.context_length", Meta::U32(4096)),
        ("qwen2.embedding_length", Meta::U32(n_embd as u32)),
        ("qwen2.block_count", Meta::U32(n_layer as u32)),
        ("qwen2.feed_forward_length", Meta::U32(n_ff as u32)),
        ("qwen2.attention.head_count", Meta::U32(n_head as u32)),
        ("qwen2.attention.head_count_kv", Meta::U32(n_head_kv as u32)),
        ("qwen2.rope.freq_base", Meta::F32(1_000_000.0)),
        ("qwen2.attention.layer_norm_rms_epsilon", Meta::F32(1e-6)),
        ("tokenizer.ggml.model", Meta::Str("gpt2".into())),
        ("tokenizer.ggml.pre", Meta::Str("qwen2".into())),
        ("tokenizer.ggml.tokens", Meta::Strs(tokens)),
        ("tokenizer.ggml.token_type", Meta::I32s(types)),
        ("tokenizer.ggml.merges", Meta::Strs(merges)),
        ("tokenizer.ggml.eos_token_id", Meta::U32(eos)),
        ("tokenizer.ggml.bos_token_id", Meta::U32(bos)),
        ("tokenizer.ggml.padding_token_id", Meta::U32(bos)),
        ("tokenizer.ggml.add_bos_token", Meta::Bool(false)),
        ("tokenizer.chat_template", Meta::Str(CHATML_TEMPLATE.into())),
    ];
    let f = Storage::F32;
    let mut tensors: Vec<(String, Vec<u64>, Storage)> = vec![
        ("token_embd.weight".into(), vec![n_embd, n_vocab], shape.embd),
        ("output_norm.weight".into(), vec![n_embd], Storage::Ones),
        ("output.weight".into(), vec![n_embd, n_vocab], shape.output),
    ];
    let [q, k, v, o, gate, up, down] = shape.layer;
    for l in 0..n_layer {
        let t = |name: &str, dims: Vec<u64>, s: Storage| (format!("blk.{l}.{name}"), dims, s);
        tensors.extend([
            t("attn_norm.weight", vec![n_embd], Storage::Ones),
            t("attn_q.weight", vec![n_embd, n_embd], q),
            t("attn_k.weight", vec![n_embd, n_kv], k),
            t("attn_v.weight", vec![n_embd, n_kv], v),
            t("attn_q.bias", vec![n_embd], f),
            t("attn_k.bias", vec![n_kv], f),
            t("attn_v.bias", vec![n_kv], f),
            t("attn_output.weight", vec![n_embd, n_embd], o),
            t("ffn_norm.weight", vec![n_embd], Storage::Ones),
            t("ffn_gate.weight", vec![n_embd, n_ff], gate),
            t("ffn_up.weight", vec![n_embd, n_ff], up),
            t("ffn_down.weight", vec![n_ff, n_embd], down),
        ]);
    }

    let mut out = Vec::new();
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    for (k, v) in &meta {
        put_meta(&mut out, k, v);
    }
    let mut offset = 0u64;
    for (name, dims, storage) in &tensors {
        put_str(&mut out, name);
        out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&storage.layout().0.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += storage.bytes(dims).div_ceil(32) * 32;
    }
    while out.len() % 32 != 0 {
        out.push(0);
    }
    let mut rng = Rng::new(seed);
    for (_, dims, storage) in &tensors {
        write_weights(&mut out, *storage, dims, &mut rng);
        while out.len() % 32 != 0 {
            out.push(0);
        }
    }
    let mut f = std::fs::File::create(path)?;
    f.write_all(&out)?;
    f.sync_all()
}

/// xorshift64*: reproducible weights without a rand dependency here.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-0.25, 0.25).
    fn weight(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.5
    }

    fn bytes(&mut self, out: &mut Vec<u8>, n: usize) {
        out.extend((0..n).map(|_| (self.next_u64() >> 56) as u8));
    }
}

/// IEEE half-precision bits of a small positive normal `x` (block scales).
fn f16_bits(x: f32) -> [u8; 2] {
    let bits = x.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let mant = (bits >> 13) & 0x3ff;
    let h = if exp <= 0 { 0 } else { ((exp.min(30) as u32) << 10 | mant) as u16 };
    h.to_le_bytes()
}

/// Random quantized blocks with small scales: any bit pattern of the
/// quants is a valid block, and small scales keep activations finite.
fn write_weights(out: &mut Vec<u8>, storage: Storage, dims: &[u64], rng: &mut Rng) {
    let n = dims.iter().product::<u64>();
    let (_, block, _) = storage.layout();
    for _ in 0..n / block {
        match storage {
            Storage::Ones => out.extend_from_slice(&1.0f32.to_le_bytes()),
            Storage::F32 => out.extend_from_slice(&rng.weight().to_le_bytes()),
            Storage::Q8_0 => {
                out.extend_from_slice(&f16_bits(0.002));
                rng.bytes(out, 32);
            }
            Storage::Q4K => {
                out.extend_from_slice(&f16_bits(0.0005));
                out.extend_from_slice(&f16_bits(0.0002));
                rng.bytes(out, 12 + 128);
            }
            Storage::Q6K => {
                rng.bytes(out, 128 + 64 + 16);
                out.extend_from_slice(&f16_bits(0.0001));
            }
        }
    }
}
