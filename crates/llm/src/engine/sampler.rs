//! Token selection, with an optional GBNF grammar that is cheap to obey.
//!
//! Masking the whole vocabulary with a grammar each step costs more than
//! the model on small models with big vocabularies (Gemma's 262k tokens:
//! under half speed). So: take the unconstrained pick and ask the grammar
//! about that one token; only when it is refused, ask about the top
//! candidates by logit; only when all of those are refused, mask the whole
//! vocabulary. For greedy decoding this picks exactly the token full
//! masking would (the best-scoring token the grammar allows).

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use super::EngineError;

/// Candidates the grammar is asked about before the whole vocabulary.
const TOP_CANDIDATES: usize = 256;

/// Sampling options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sampling {
    /// 0 = greedy (deterministic; what tool calls use).
    pub temperature: f32,
    /// Candidates kept before sampling (when temperature > 0).
    pub top_k: usize,
    /// Nucleus sampling threshold (when temperature > 0).
    pub top_p: f32,
    /// Seed for sampling.
    pub seed: u32,
}

impl Default for Sampling {
    fn default() -> Self {
        Self { temperature: 0.0, top_k: 40, top_p: 0.95, seed: 42 }
    }
}

/// How often the grammar had to look beyond the model's own pick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct GrammarStats {
    /// Tokens where the unconstrained pick was allowed.
    pub fast: u32,
    /// Tokens settled among the top candidates.
    pub top: u32,
    /// Tokens that needed the first-character pass.
    pub full: u32,
    /// Time spent choosing tokens (sampling and grammar), ms.
    pub pick_ms: f64,
}

/// The vocabulary grouped by first byte, so a grammar that needs a `{` is
/// asked about the few hundred tokens starting with `{`, not all 262k.
pub(super) struct VocabIndex {
    by_first: Vec<Vec<usize>>,
    /// One single-byte token per first byte that has one.
    reps: Vec<usize>,
    rep_byte: std::collections::HashMap<i32, u8>,
    /// Tokens of first bytes with no single-byte token: always asked.
    untestable: Vec<usize>,
    eog: Vec<usize>,
}

impl VocabIndex {
    pub(super) fn build(model: &LlamaModel) -> Self {
        let vocab = model.vocab();
        let mut by_first = vec![Vec::new(); 256];
        let mut rep: Vec<Option<usize>> = vec![None; 256];
        let mut eog = Vec::new();
        for t in 0..model.n_vocab() {
            let tok = LlamaToken(t);
            if vocab.is_eog(tok) {
                eog.push(t as usize);
                continue;
            }
            let piece = vocab.token_to_piece(tok, false, None);
            let Some(&b) = piece.first() else { continue };
            by_first[b as usize].push(t as usize);
            if piece.len() == 1 && rep[b as usize].is_none() {
                rep[b as usize] = Some(t as usize);
            }
        }
        let mut reps = Vec::new();
        let mut rep_byte = std::collections::HashMap::new();
        let mut untestable = Vec::new();
        for b in 0..256 {
            match rep[b] {
                Some(t) => {
                    reps.push(t);
                    rep_byte.insert(t as i32, b as u8);
                }
                None => untestable.extend(&by_first[b]),
            }
        }
        Self { by_first, reps, rep_byte, untestable, eog }
    }
}

pub(super) struct Sampler {
    grammar: Option<LlamaSampler>,
    chain: Option<LlamaSampler>,
    sampling: Sampling,
    pub(super) stats: GrammarStats,
}

fn top_indices(logits: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    let k = k.min(idx.len());
    if k < idx.len() {
        idx.select_nth_unstable_by(k, |&a, &b| logits[b].total_cmp(&logits[a]));
        idx.truncate(k);
    }
    idx.sort_unstable_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    idx
}

fn array(logits: &[f32], idx: &[usize]) -> LlamaTokenDataArray {
    LlamaTokenDataArray::new(
        idx.iter().map(|&i| LlamaTokenData::new(LlamaToken(i as i32), logits[i], 0.0)).collect(),
        false,
    )
}

fn best_allowed(arr: &LlamaTokenDataArray) -> Option<LlamaToken> {
    arr.data.iter().filter(|d| d.logit().is_finite()).max_by(|a, b| a.logit().total_cmp(&b.logit())).map(|d| d.id())
}

impl Sampler {
    pub(super) fn new(model: &LlamaModel, grammar: Option<&str>, sampling: &Sampling) -> Result<Self, EngineError> {
        let grammar = match grammar {
            Some(g) if !g.trim().is_empty() => Some(
                LlamaSampler::grammar(model, g, "root")
                    .map_err(|e| EngineError::Grammar(format!("the grammar does not parse: {e}")))?,
            ),
            _ => None,
        };
        let chain = (sampling.temperature > 0.0).then(|| {
            LlamaSampler::chain_simple([
                LlamaSampler::temp(sampling.temperature),
                LlamaSampler::top_p(sampling.top_p, 1),
                LlamaSampler::dist(sampling.seed),
            ])
        });
        Ok(Self { grammar, chain, sampling: sampling.clone(), stats: GrammarStats::default() })
    }

    /// Picks the next token from the logits at batch index `idx`.
    pub(super) fn pick(
        &mut self,
        ctx: &LlamaContext<'_>,
        idx: i32,
        index: &VocabIndex,
    ) -> Result<LlamaToken, EngineError> {
        let started = std::time::Instant::now();
        let t = self.pick_inner(ctx, idx, index);
        self.stats.pick_ms += started.elapsed().as_secs_f64() * 1000.0;
        t
    }

    fn pick_inner(&mut self, ctx: &LlamaContext<'_>, idx: i32, index: &VocabIndex) -> Result<LlamaToken, EngineError> {
        let logits = ctx.get_logits_ith(idx);
        if let Some(chain) = self.chain.as_mut() {
            let mut arr = array(logits, &top_indices(logits, self.sampling.top_k.max(1)));
            if let Some(g) = self.grammar.as_mut() {
                g.apply(&mut arr);
                if best_allowed(&arr).is_none() {
                    arr = array(logits, &(0..logits.len()).collect::<Vec<_>>());
                    g.apply(&mut arr);
                }
                arr.data.retain(|d| d.logit().is_finite());
                if arr.data.is_empty() {
                    return Err(EngineError::Grammar("the grammar allows no token here".into()));
                }
            }
            chain.apply(&mut arr);
            return arr.selected_token().ok_or_else(|| EngineError::Decode("sampling selected no token".into()));
        }
        let best = logits
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| LlamaToken(i as i32))
            .ok_or_else(|| EngineError::Decode("no logits".into()))?;
        let Some(g) = self.grammar.as_mut() else { return Ok(best) };
        let mut one = array(logits, &[best.0 as usize]);
        g.apply(&mut one);
        if one.data[0].logit().is_finite() {
            self.stats.fast += 1;
            return Ok(best);
        }
        let mut top = array(logits, &top_indices(logits, TOP_CANDIDATES));
        g.apply(&mut top);
        if let Some(t) = best_allowed(&top) {
            self.stats.top += 1;
            return Ok(t);
        }
        self.stats.full += 1;
        // Ask the grammar which first characters it allows (one one-byte
        // token each), then only about the tokens that start with one.
        let mut reps = array(logits, &index.reps);
        g.apply(&mut reps);
        let mut cands: Vec<usize> = index.eog.clone();
        for d in reps.data.iter().filter(|d| d.logit().is_finite()) {
            if let Some(&b) = index.rep_byte.get(&d.id().0) {
                cands.extend(&index.by_first[b as usize]);
            }
        }
        cands.extend(&index.untestable);
        let mut some = array(logits, &cands);
        g.apply(&mut some);
        if let Some(t) = best_allowed(&some) {
            return Ok(t);
        }
        let mut all = array(logits, &(0..logits.len()).collect::<Vec<_>>());
        g.apply(&mut all);
        best_allowed(&all).ok_or_else(|| EngineError::Grammar("the grammar allows no token here".into()))
    }

    /// Records the chosen token in the grammar's and sampler's state.
    pub(super) fn accept(&mut self, token: LlamaToken) {
        if let Some(g) = self.grammar.as_mut() {
            g.accept(token);
        }
        if let Some(c) = self.chain.as_mut() {
            c.accept(token);
        }
    }
}
