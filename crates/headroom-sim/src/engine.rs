//! A discrete-event model of vLLM V1's scheduler, in virtual time.
//!
//! Each [`Engine::step`]:
//! 1. schedules the running requests first, in admission order, within the token budget
//!    (`max_num_batched_tokens`): a decoding request takes one token, a request still
//!    prefilling takes as much of its prompt as the budget allows (chunked prefill). When
//!    KV blocks run out, the newest running request is preempted: its blocks are freed and
//!    it goes back to the front of the queue, to be recomputed (prompt and the tokens it
//!    had generated) later;
//! 2. if nothing was preempted, admits waiting requests while `running < max_num_seqs`,
//!    budget is left and the KV blocks (above a 1 % watermark) allow; a new request first
//!    reuses the cached blocks of its longest cached prompt prefix;
//! 3. prices the batch with the [`CostModel`], advances the clock, and emits a token for
//!    every request whose known tokens are all computed (the first token ends the prefill).
//!    A request ends at its requested output length (EOS at `max_tokens`, as with
//!    `ignore_eos`).
//!
//! Everything is deterministic: the same requests and seed give the same steps.

use crate::perf::{BatchShape, CostModel, EngineSettings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A request's id, chosen by the caller.
pub type ReqId = u64;

/// A request to admit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// Caller's id.
    pub id: ReqId,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Hashes of the prompt's full blocks, each covering the block and everything before
    /// it (for prefix caching); may be empty.
    pub block_hashes: Vec<u64>,
    /// Output tokens to generate (≥ 1).
    pub max_tokens: u32,
}

/// What a step produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// Request `id` produced a token at `at_us`.
    Token {
        /// The request.
        id: ReqId,
        /// Virtual time, µs.
        at_us: f64,
    },
    /// Request `id` finished at `at_us`.
    Finished {
        /// The request.
        id: ReqId,
        /// Virtual time, µs.
        at_us: f64,
        /// Prompt tokens.
        prompt_tokens: u32,
        /// Generated tokens.
        output_tokens: u32,
        /// Prompt tokens served from the prefix cache.
        cached_tokens: u32,
        /// Times it was preempted.
        preemptions: u32,
    },
}

/// Counters and gauges, under vLLM's meanings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EngineStats {
    /// Requests running.
    pub running: u32,
    /// Requests waiting (including preempted ones).
    pub waiting: u32,
    /// KV blocks in use.
    pub used_blocks: u32,
    /// KV blocks in all.
    pub total_blocks: u32,
    /// Prompt tokens looked up in the prefix cache.
    pub prefix_queries: u64,
    /// Prompt tokens found there.
    pub prefix_hits: u64,
    /// Prompt tokens of admitted requests (first admission only).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub generation_tokens: u64,
    /// Preemptions.
    pub preemptions: u64,
    /// Steps run.
    pub steps: u64,
    /// Requests finished.
    pub finished: u64,
}

impl EngineStats {
    /// Fraction of KV blocks in use.
    pub fn kv_usage(&self) -> f64 {
        if self.total_blocks == 0 {
            0.0
        } else {
            self.used_blocks as f64 / self.total_blocks as f64
        }
    }
}

#[derive(Debug)]
struct Req {
    prompt: u32,
    max_out: u32,
    generated: u32,
    computed: u64,
    own_blocks: u32,
    hashes: Vec<u64>,
    shared: Vec<u64>,
    looked_up: bool,
    counted: bool,
    cached_tokens: u32,
    preemptions: u32,
}

impl Req {
    fn tokens(&self) -> u64 {
        self.prompt as u64 + self.generated as u64
    }

    fn held(&self) -> u32 {
        self.own_blocks + self.shared.len() as u32
    }
}

/// KV blocks: private ones counted, cached prompt blocks kept by hash with reference
/// counts; cached blocks nobody holds are free but evictable, least recently used first.
#[derive(Debug)]
struct BlockPool {
    total: u32,
    free: u32,
    cache: HashMap<u64, (u32, u64)>,
    evictable: BTreeMap<u64, u64>,
    tick: u64,
}

impl BlockPool {
    fn new(total: u32) -> Self {
        BlockPool {
            total,
            free: total,
            cache: HashMap::new(),
            evictable: BTreeMap::new(),
            tick: 0,
        }
    }

    fn available(&self) -> u32 {
        self.free + self.evictable.len() as u32
    }

    fn used(&self) -> u32 {
        self.total - self.available()
    }

    /// Takes `n` private blocks, evicting cached ones if needed.
    fn take(&mut self, n: u32) -> bool {
        if self.available() < n {
            return false;
        }
        let mut n = n;
        let from_free = n.min(self.free);
        self.free -= from_free;
        n -= from_free;
        while n > 0 {
            if let Some((_, hash)) = self.evictable.pop_first() {
                self.cache.remove(&hash);
                n -= 1;
            }
        }
        true
    }

    fn give(&mut self, n: u32) {
        self.free += n;
    }

    fn contains(&self, hash: u64) -> bool {
        self.cache.contains_key(&hash)
    }

    /// Holds a cached block.
    fn acquire(&mut self, hash: u64) {
        if let Some((refs, tick)) = self.cache.get_mut(&hash) {
            if *refs == 0 {
                self.evictable.remove(tick);
            }
            *refs += 1;
        }
    }

    fn release(&mut self, hash: u64) {
        self.tick += 1;
        let t = self.tick;
        if let Some((refs, tick)) = self.cache.get_mut(&hash) {
            *refs -= 1;
            if *refs == 0 {
                *tick = t;
                self.evictable.insert(t, hash);
            }
        }
    }

    /// Turns one private block holding a full prompt block into a cached block; when
    /// another request cached the same content first, shares that one and frees this.
    fn promote(&mut self, hash: u64) {
        if self.contains(hash) {
            self.acquire(hash);
            self.free += 1;
        } else {
            self.cache.insert(hash, (1, 0));
        }
    }
}

/// The scheduler and its clock.
#[derive(Debug)]
pub struct Engine {
    cost: CostModel,
    settings: EngineSettings,
    now_us: f64,
    reqs: HashMap<ReqId, Req>,
    waiting: VecDeque<ReqId>,
    running: Vec<ReqId>,
    pool: BlockPool,
    stats: EngineStats,
    jitter: Option<(Normal<f64>, ChaCha8Rng)>,
    sched: Vec<(ReqId, u64)>,
}

impl Engine {
    /// An idle engine at virtual time 0.
    pub fn new(cost: CostModel, settings: EngineSettings, seed: u64) -> Engine {
        let j = cost.constants().jitter;
        let jitter = (j > 0.0)
            .then(|| {
                Normal::new(1.0, j)
                    .ok()
                    .map(|n| (n, ChaCha8Rng::seed_from_u64(seed)))
            })
            .flatten();
        Engine {
            pool: BlockPool::new(cost.total_blocks),
            stats: EngineStats {
                total_blocks: cost.total_blocks,
                ..EngineStats::default()
            },
            cost,
            settings,
            now_us: 0.0,
            reqs: HashMap::new(),
            waiting: VecDeque::new(),
            running: Vec::new(),
            jitter,
            sched: Vec::new(),
        }
    }

    /// Virtual time, µs.
    pub fn now_us(&self) -> f64 {
        self.now_us
    }

    /// Moves an idle engine's clock forward (time passes while nothing runs).
    pub fn advance_to(&mut self, t_us: f64) {
        if t_us > self.now_us {
            self.now_us = t_us;
        }
    }

    /// Counters and gauges.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            running: self.running.len() as u32,
            waiting: self.waiting.len() as u32,
            used_blocks: self.pool.used(),
            ..self.stats
        }
    }

    /// The settings.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// `true` while any request is waiting or running.
    pub fn busy(&self) -> bool {
        !self.running.is_empty() || !self.waiting.is_empty()
    }

    /// Queues a request; it is considered at the next step.
    pub fn add(&mut self, request: NewRequest) {
        self.reqs.insert(
            request.id,
            Req {
                prompt: request.prompt_tokens.max(1),
                max_out: request.max_tokens.max(1),
                generated: 0,
                computed: 0,
                own_blocks: 0,
                hashes: request.block_hashes,
                shared: Vec::new(),
                looked_up: false,
                counted: false,
                cached_tokens: 0,
                preemptions: 0,
            },
        );
        self.waiting.push_back(request.id);
    }

    /// Drops a request (the client went away), freeing its blocks.
    pub fn abort(&mut self, id: ReqId) {
        if let Some(r) = self.reqs.remove(&id) {
            self.free_blocks(r);
            self.waiting.retain(|x| *x != id);
            self.running.retain(|x| *x != id);
        }
    }

    fn free_blocks(&mut self, r: Req) {
        self.pool.give(r.own_blocks);
        for h in r.shared {
            self.pool.release(h);
        }
    }

    fn blocks_for(&self, tokens: u64) -> u32 {
        tokens.div_ceil(self.settings.block_size as u64) as u32
    }

    fn preempt(&mut self, id: ReqId) {
        if let Some(r) = self.reqs.get_mut(&id) {
            let own = std::mem::take(&mut r.own_blocks);
            let shared = std::mem::take(&mut r.shared);
            r.computed = 0;
            r.looked_up = false;
            r.preemptions += 1;
            self.pool.give(own);
            for h in shared {
                self.pool.release(h);
            }
            self.waiting.push_front(id);
            self.stats.preemptions += 1;
        }
    }

    /// Reuses the longest cached prefix of a request's prompt; at least one prompt token
    /// is always computed.
    fn lookup_prefix(&mut self, id: ReqId) {
        let bs = self.settings.block_size as u64;
        let Some(r) = self.reqs.get_mut(&id) else {
            return;
        };
        r.looked_up = true;
        if !self.settings.prefix_caching {
            return;
        }
        let usable = ((r.prompt as u64).saturating_sub(1) / bs) as usize;
        let mut hits = 0;
        for &h in r.hashes.iter().take(usable) {
            if !self.pool.contains(h) {
                break;
            }
            self.pool.acquire(h);
            r.shared.push(h);
            hits += 1;
        }
        r.computed = hits as u64 * bs;
        if !r.counted {
            self.stats.prefix_queries += r.prompt as u64;
            self.stats.prefix_hits += r.computed;
            r.cached_tokens = r.computed as u32;
        }
    }

    fn unlookup(&mut self, id: ReqId) {
        if let Some(r) = self.reqs.get_mut(&id) {
            let shared = std::mem::take(&mut r.shared);
            if !r.counted {
                self.stats.prefix_queries -= r.prompt as u64;
                self.stats.prefix_hits -= r.computed;
                r.cached_tokens = 0;
            }
            r.computed = 0;
            r.looked_up = false;
            for h in shared {
                self.pool.release(h);
            }
        }
    }

    /// Runs one step and appends its events; `None` when there is nothing to run.
    pub fn step(&mut self, events: &mut Vec<Event>) -> Option<BatchShape> {
        if !self.busy() {
            return None;
        }
        let mut budget = self.settings.max_num_batched_tokens as u64;
        // The schedule's buffer is kept between steps so a step allocates nothing.
        let mut sched = std::mem::take(&mut self.sched);
        sched.clear();
        let preempted = self.schedule_running(&mut sched, &mut budget);
        if !preempted {
            self.admit_waiting(&mut sched, &mut budget);
        }
        let shape = (!sched.is_empty()).then(|| self.run_batch(&sched, events));
        self.sched = sched;
        shape
    }

    /// Schedules the running requests, oldest first, within the budget; when KV blocks
    /// run out the newest running request is preempted. Returns whether any was.
    fn schedule_running(&mut self, sched: &mut Vec<(ReqId, u64)>, budget: &mut u64) -> bool {
        let mut preempted = false;
        let mut i = 0;
        while i < self.running.len() && *budget > 0 {
            let id = self.running[i];
            let (computed, tokens, held) = match self.reqs.get(&id) {
                Some(r) => (r.computed, r.tokens(), r.held()),
                None => {
                    self.running.remove(i);
                    continue;
                }
            };
            let n = (tokens - computed).min(*budget);
            let extra = self.blocks_for(computed + n).saturating_sub(held);
            let mut scheduled = true;
            while !self.pool.take(extra) {
                let Some(victim) = self.running.pop() else {
                    break;
                };
                self.preempt(victim);
                preempted = true;
                if victim == id {
                    scheduled = false;
                    break;
                }
            }
            if !scheduled {
                break;
            }
            if let Some(r) = self.reqs.get_mut(&id) {
                r.own_blocks += extra;
            }
            sched.push((id, n));
            *budget -= n;
            i += 1;
        }
        preempted
    }

    /// Admits waiting requests (when nothing was preempted) while seats, budget and KV
    /// blocks allow. The watermark keeps a little room for running requests to grow;
    /// with nothing running there is nothing to protect.
    fn admit_waiting(&mut self, sched: &mut Vec<(ReqId, u64)>, budget: &mut u64) {
        while *budget > 0 && self.running.len() < self.settings.max_num_seqs as usize {
            let Some(&id) = self.waiting.front() else {
                break;
            };
            if self.reqs.get(&id).is_some_and(|r| !r.looked_up) {
                self.lookup_prefix(id);
            }
            let Some(r) = self.reqs.get(&id) else {
                self.waiting.pop_front();
                continue;
            };
            let remaining = r.tokens() - r.computed;
            if !self.settings.chunked_prefill && remaining > *budget {
                self.unlookup(id);
                break;
            }
            let n = remaining.min(*budget);
            let extra = self.blocks_for(r.computed + n).saturating_sub(r.held());
            let watermark = if self.running.is_empty() {
                0
            } else {
                self.pool.total.div_ceil(100)
            };
            if self.pool.available() < extra + watermark || !self.pool.take(extra) {
                self.unlookup(id);
                break;
            }
            self.waiting.pop_front();
            if let Some(r) = self.reqs.get_mut(&id) {
                r.own_blocks += extra;
                if !r.counted {
                    r.counted = true;
                    self.stats.prompt_tokens += r.prompt as u64;
                }
            }
            self.running.push(id);
            sched.push((id, n));
            *budget -= n;
        }
    }

    /// Prices the scheduled batch, advances the clock, emits tokens and finishes
    /// requests.
    fn run_batch(&mut self, sched: &[(ReqId, u64)], events: &mut Vec<Event>) -> BatchShape {
        let mut shape = BatchShape::default();
        for &(id, n) in sched {
            if let Some(r) = self.reqs.get(&id) {
                shape.add(r.computed, n, r.computed + n == r.tokens());
            }
        }
        let mut dur = self.cost.step_us(&shape);
        if let Some((dist, rng)) = &mut self.jitter {
            dur *= dist.sample(rng).clamp(0.5, 1.5);
        }
        self.now_us += dur;
        self.stats.steps += 1;
        let now = self.now_us;
        let bs = self.settings.block_size as u64;
        let mut finished = Vec::new();
        for &(id, n) in sched {
            let Some(r) = self.reqs.get_mut(&id) else {
                continue;
            };
            r.computed += n;
            // Full prompt blocks become cacheable.
            if self.settings.prefix_caching {
                let full = ((r.computed.min(r.prompt as u64)) / bs) as usize;
                while r.shared.len() < full.min(r.hashes.len()) && r.own_blocks > 0 {
                    let h = r.hashes[r.shared.len()];
                    self.pool.promote(h);
                    r.shared.push(h);
                    r.own_blocks -= 1;
                }
            }
            if r.computed == r.tokens() {
                r.generated += 1;
                self.stats.generation_tokens += 1;
                events.push(Event::Token { id, at_us: now });
                if r.generated >= r.max_out {
                    finished.push(id);
                }
            }
        }
        for id in finished {
            if let Some(r) = self.reqs.remove(&id) {
                events.push(Event::Finished {
                    id,
                    at_us: now,
                    prompt_tokens: r.prompt,
                    output_tokens: r.generated,
                    cached_tokens: r.cached_tokens,
                    preemptions: r.preemptions,
                });
                self.free_blocks(r);
            }
            self.running.retain(|x| *x != id);
            self.stats.finished += 1;
        }
        shape
    }

    /// Checks the bookkeeping (for tests): blocks in use never exceed the pool, and the
    /// pool's accounting adds up.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        let own: u64 = self.reqs.values().map(|r| r.own_blocks as u64).sum();
        let cached = self.pool.cache.len() as u64;
        let total = self.pool.total as u64;
        if self.pool.free as u64 + own + cached != total {
            return Err(InvariantError::Accounting {
                free: self.pool.free as u64,
                private: own,
                cached,
                total,
            });
        }
        if self.running.len() > self.settings.max_num_seqs as usize {
            return Err(InvariantError::TooManyRunning {
                running: self.running.len(),
                max_num_seqs: self.settings.max_num_seqs,
            });
        }
        let held: u64 = self.reqs.values().map(|r| r.held() as u64).sum();
        if self.pool.used() as u64 > total {
            return Err(InvariantError::OverUsed);
        }
        let refs: u64 = self.pool.cache.values().map(|(r, _)| *r as u64).sum();
        let shared: u64 = self.reqs.values().map(|r| r.shared.len() as u64).sum();
        if refs != shared || held != own + shared {
            return Err(InvariantError::CacheRefs { refs, shared });
        }
        Ok(())
    }
}

/// Broken engine bookkeeping ([`Engine::check_invariants`]): a bug in the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvariantError {
    /// Free, private and cached blocks do not add up to the pool.
    #[error("free {free} + private {private} + cached {cached} != total {total}")]
    Accounting {
        /// Free blocks.
        free: u64,
        /// Blocks held by one request only.
        private: u64,
        /// Blocks in the prefix cache.
        cached: u64,
        /// Blocks in the pool.
        total: u64,
    },
    /// More requests run than `max_num_seqs` allows.
    #[error("{running} running > max_num_seqs {max_num_seqs}")]
    TooManyRunning {
        /// Requests running.
        running: usize,
        /// The limit.
        max_num_seqs: u32,
    },
    /// More blocks are in use than the pool has.
    #[error("more blocks used than exist")]
    OverUsed,
    /// The prefix cache's reference counts differ from what requests hold.
    #[error("cache refs {refs} != shared holds {shared}")]
    CacheRefs {
        /// References the cache counts.
        refs: u64,
        /// Shared blocks the requests hold.
        shared: u64,
    },
}

/// Hashes of a prompt's full blocks, each covering everything before it, computed from
/// the prompt's words (the simulator's tokens).
pub fn block_hashes(words: impl IntoIterator<Item = u64>, block_size: u32) -> Vec<u64> {
    let mut out = Vec::new();
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut n = 0;
    for w in words {
        h = headroom_core::seed::mix(h ^ w);
        n += 1;
        if n == block_size {
            out.push(h);
            n = 0;
        }
    }
    out
}

/// A word's hash, for [`block_hashes`].
pub fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0x100_0000_01B3;
    for b in word.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01B3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::perf::SimSpec;
    use proptest::prelude::*;

    fn engine(gpu: &str, model: &str, edit: impl FnOnce(&mut SimSpec)) -> Engine {
        let mut spec = SimSpec::new(&Catalog::builtin(), gpu, model).unwrap();
        edit(&mut spec);
        let cost = CostModel::new(&spec).unwrap();
        Engine::new(cost, spec.settings.clone(), spec.seed)
    }

    fn run_to_end(e: &mut Engine) -> Vec<Event> {
        let mut ev = Vec::new();
        let mut guard = 0;
        while e.step(&mut ev).is_some() {
            e.check_invariants().unwrap();
            guard += 1;
            assert!(guard < 1_000_000, "the engine never finished");
        }
        ev
    }

    fn req(id: u64, prompt: u32, out: u32) -> NewRequest {
        NewRequest {
            id,
            prompt_tokens: prompt,
            block_hashes: Vec::new(),
            max_tokens: out,
        }
    }

    #[test]
    fn a_single_request_prefills_then_decodes() {
        let mut e = engine("a10", "qwen3-8b-awq", |_| {});
        e.add(req(1, 200, 5));
        let ev = run_to_end(&mut e);
        let tokens: Vec<f64> = ev
            .iter()
            .filter_map(|x| match x {
                Event::Token { at_us, .. } => Some(*at_us),
                _ => None,
            })
            .collect();
        assert_eq!(tokens.len(), 5);
        // The prefill step is slower than a decode step.
        assert!(tokens[0] > tokens[2] - tokens[1]);
        assert_eq!(e.stats().steps, 5);
        assert_eq!(
            e.stats().used_blocks,
            0,
            "everything freed (cached prompt blocks are evictable)"
        );
    }

    #[test]
    fn long_prompts_are_chunked_by_the_token_budget() {
        let mut e = engine("a10", "qwen3-8b-awq", |s| {
            s.settings.max_num_batched_tokens = 512
        });
        e.add(req(1, 2000, 1));
        run_to_end(&mut e);
        // ceil(2000 / 512) = 4 prefill steps, the last one samples the only token.
        assert_eq!(e.stats().steps, 4);
    }

    #[test]
    fn preemption_recomputes_and_every_request_still_finishes() {
        // A tiny KV cache: 40 blocks of 16 tokens.
        let mut e = engine("a10", "qwen3-8b-awq", |s| {
            s.settings.max_model_len = 256;
            s.settings.gpu_memory_utilization = 0.9;
        });
        e.pool = BlockPool::new(40);
        e.stats.total_blocks = 40;
        for i in 0..8 {
            e.add(req(i, 100, 150));
        }
        let ev = run_to_end(&mut e);
        let finished = ev
            .iter()
            .filter(|x| matches!(x, Event::Finished { .. }))
            .count();
        assert_eq!(finished, 8);
        assert!(
            e.stats().preemptions > 0,
            "the cache cannot hold 8 × 250 tokens"
        );
        let tokens = ev
            .iter()
            .filter(|x| matches!(x, Event::Token { .. }))
            .count();
        assert_eq!(
            tokens,
            8 * 150,
            "recomputation does not duplicate or lose tokens"
        );
    }

    #[test]
    fn shared_prefixes_hit_the_cache() {
        let mut e = engine("a10", "qwen3-8b-awq", |_| {});
        let words: Vec<u64> = (0..512).map(|i| word_hash(&format!("w{i}"))).collect();
        let hashes = block_hashes(words.iter().copied(), 16);
        assert_eq!(hashes.len(), 32);
        e.add(NewRequest {
            id: 1,
            prompt_tokens: 520,
            block_hashes: hashes.clone(),
            max_tokens: 2,
        });
        run_to_end(&mut e);
        let t0 = e.now_us();
        e.add(NewRequest {
            id: 2,
            prompt_tokens: 520,
            block_hashes: hashes,
            max_tokens: 2,
        });
        let ev = run_to_end(&mut e);
        let s = e.stats();
        assert_eq!(s.prefix_hits, 512);
        assert_eq!(s.prefix_queries, 1040);
        match ev.last() {
            Some(Event::Finished { cached_tokens, .. }) => assert_eq!(*cached_tokens, 512),
            x => panic!("{x:?}"),
        }
        // The warm request's prefill (8 uncached tokens) is far faster than the cold one.
        let first_warm = ev.iter().find_map(|x| match x {
            Event::Token { at_us, .. } => Some(*at_us),
            _ => None,
        });
        assert!(first_warm.unwrap() - t0 < 0.5 * t0);
    }

    #[test]
    fn prefix_caching_off_never_hits() {
        let mut e = engine("a10", "qwen3-8b-awq", |s| s.settings.prefix_caching = false);
        let hashes = block_hashes((0..64).map(|i| i as u64), 16);
        for id in 0..3 {
            e.add(NewRequest {
                id,
                prompt_tokens: 64,
                block_hashes: hashes.clone(),
                max_tokens: 1,
            });
            run_to_end(&mut e);
        }
        assert_eq!(e.stats().prefix_hits, 0);
    }

    #[test]
    fn abort_frees_everything() {
        let mut e = engine("a10", "qwen3-8b-awq", |_| {});
        e.add(req(1, 300, 100));
        e.add(req(2, 300, 100));
        let mut ev = Vec::new();
        e.step(&mut ev);
        e.abort(1);
        e.abort(2);
        e.check_invariants().unwrap();
        assert!(!e.busy());
        assert_eq!(e.stats().used_blocks, 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random workloads: invariants hold after every step, every request finishes with
        /// exactly its output length, running never exceeds max_num_seqs, and the same
        /// input gives the same timeline.
        #[test]
        fn invariants_hold_for_random_workloads(
            reqs in proptest::collection::vec((1u32..600, 1u32..80, 0u8..3), 1..40),
            max_seqs in 1u32..16,
            budget in 16u32..1024,
            blocks in 44u32..400,
            chunked in any::<bool>(),
        ) {
            let run = || {
                let mut e = engine("a10", "qwen3-8b-awq", |s| {
                    s.settings.max_num_seqs = max_seqs;
                    // Without chunked prefill vLLM requires a budget of max_model_len.
                    s.settings.max_num_batched_tokens = if chunked { budget } else { 700 };
                    s.settings.chunked_prefill = chunked;
                    s.settings.max_model_len = 700;
                });
                // At least max_model_len (700 tokens = 44 blocks) fits, as vLLM requires.
                e.pool = BlockPool::new(blocks);
                e.stats.total_blocks = blocks;
                for (i, &(p, o, fam)) in reqs.iter().enumerate() {
                    let hashes = block_hashes((0..p as u64).map(|w| w + 1000 * fam as u64), 16);
                    e.add(NewRequest { id: i as u64, prompt_tokens: p, block_hashes: hashes, max_tokens: o });
                }
                let mut ev = Vec::new();
                let mut steps = 0;
                while e.step(&mut ev).is_some() {
                    e.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
                    steps += 1;
                    prop_assert!(steps < 200_000);
                }
                Ok::<_, TestCaseError>((ev, e.stats()))
            };
            let (ev, stats) = run()?;
            for (i, &(_, o, _)) in reqs.iter().enumerate() {
                let n = ev.iter().filter(|x| matches!(x, Event::Token { id, .. } if *id == i as u64)).count();
                prop_assert_eq!(n, o as usize, "request {} generated {} of {}", i, n, o);
            }
            prop_assert_eq!(stats.finished, reqs.len() as u64);
            prop_assert_eq!(stats.used_blocks, 0);
            let (ev2, _) = run()?;
            prop_assert_eq!(ev, ev2);
        }
    }
}
