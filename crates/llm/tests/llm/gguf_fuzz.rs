//! Model files are outside input: a GGUF header with any bytes changed, cut
//! short or made of noise is read or refused with a reason, never a panic
//! (the reader runs before llama.cpp ever sees the file).

use kubeask_llm::gguf;
use proptest::prelude::*;

fn valid_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.gguf");
    gguf::write_minimal(
        &p,
        &[("general.architecture", "qwen2"), ("general.name", "fuzz"), ("general.alignment", "x")],
        &[("token_embd.weight", &[8, 4]), ("output.weight", &[4, 8])],
    )
    .unwrap();
    std::fs::read(p).unwrap()
}

/// One change: a byte set, a little-endian u64 written over eight bytes
/// (counts, lengths, offsets, dimensions), or the file cut.
#[derive(Debug, Clone)]
enum Change {
    Byte(usize, u8),
    Word(usize, u64),
    Cut(usize),
}

fn change() -> impl Strategy<Value = Change> {
    let word = prop_oneof![any::<u64>(), Just(0), Just(u64::MAX), Just(u64::MAX / 2), Just(1 << 40), 0u64..64];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Change::Byte(i, b)),
        (any::<usize>(), word).prop_map(|(i, w)| Change::Word(i, w)),
        any::<usize>().prop_map(Change::Cut),
    ]
}

fn read_bytes(bytes: &[u8]) -> Result<gguf::GgufInfo, gguf::GgufError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.gguf");
    std::fs::write(&p, bytes).unwrap();
    let _ = gguf::validate(&p);
    gguf::read(&p)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_changed_gguf_header_is_read_or_refused(changes in proptest::collection::vec(change(), 1..6)) {
        let mut bytes = valid_bytes();
        for c in &changes {
            // Changes land in the header, where the parser reads.
            let header = bytes.len().min(400);
            match *c {
                Change::Byte(i, b) if header > 0 => bytes[i % header] = b,
                Change::Word(i, w) if header > 8 => {
                    let at = i % (header - 8);
                    bytes[at..at + 8].copy_from_slice(&w.to_le_bytes());
                }
                Change::Byte(..) | Change::Word(..) => {}
                Change::Cut(i) => bytes.truncate(i % (bytes.len() + 1)),
            }
        }
        if let Ok(info) = read_bytes(&bytes) {
            // What was read is consistent with the file it came from.
            prop_assert!(info.data_offset.saturating_add(info.data_size) <= info.file_size);
            let _ = (info.architecture(), info.name(), info.quantization(), info.context_length());
        }
    }

    #[test]
    fn noise_after_the_magic_is_refused(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(tail);
        let _ = read_bytes(&bytes);
    }
}

#[test]
fn the_unchanged_file_reads() {
    let info = read_bytes(&valid_bytes()).unwrap();
    assert_eq!(info.architecture(), Some("qwen2"));
}
