//! A run over time: completed requests, output tokens, latency percentiles and requests
//! in flight per time bin, built record by record as a run goes
//! ([`TimelineBuilder::add`], then [`TimelineBuilder::finish`]) or from a journal read
//! back ([`Timeline::new`]).
//!
//! - Output tokens count at the moment each chunk arrived (send time + the chunk's offset),
//!   so a long request's tokens spread over the bins it streamed in.
//! - Latency percentiles of a bin are over the requests that *ended* in it.
//! - In flight is the mean number of requests between send and end during the bin.
//!
//! Warmup requests are included (they are real traffic); [`Timeline::measure_start_s`]
//! marks where measurement began.
//!
//! # Bin width
//!
//! The width is chosen when the run is over, from its length and its requests: the
//! narrowest of 0.1 s, 0.2 s, 0.5 s, 1 s, 2 s, 5 s, … 1 h that gives at most 120 bins
//! *and* is about as long as a typical request (at least 90 % of the median request
//! latency). The second rule is what makes a steady run look steady. In a closed loop the users send in waves (each sends its next
//! request when its last one ends), and an engine pauses decoding while it prefills the
//! new wave's prompts, so token output swings between none and full speed within one
//! request's lifetime: bins narrower than a request show those swings (0 ↔ 700 tok/s in
//! 0.2 s bins of a 20 s run) although the rate over any second or two is flat. A bin as
//! long as a typical request averages over a whole wave.
//!
//! # Memory
//!
//! The builder keeps four words per finished request (send, end, TTFT, outcome) and one
//! token counter per 0.1 s of the run. Every candidate width is a multiple of 0.1 s, so
//! the counters add up exactly into the final bins; a run longer than about 1.8 hours
//! coarsens them to 1 s, and one longer than 18 hours to 1 min, which the widths such
//! runs get are multiples of.

use headroom_core::{Phase, RequestRecord};

/// One time bin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bin {
    /// Start of the bin, seconds since the run started.
    pub t_s: f64,
    /// Requests that completed successfully in the bin.
    pub completed: u64,
    /// Requests that failed in the bin.
    pub errors: u64,
    /// Output tokens that arrived in the bin.
    pub output_tokens: u64,
    /// Median request latency of requests ending in the bin, ms.
    pub e2e_p50_ms: Option<f64>,
    /// P95 request latency of requests ending in the bin, ms.
    pub e2e_p95_ms: Option<f64>,
    /// Median time to first token of requests ending in the bin, ms.
    pub ttft_p50_ms: Option<f64>,
    /// P95 time to first token of requests ending in the bin, ms.
    pub ttft_p95_ms: Option<f64>,
    /// Mean requests in flight during the bin.
    pub in_flight: f64,
}

/// The run in time bins.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// Bin width, s.
    pub bin_s: f64,
    /// The bins, from the run's start to its last end.
    pub bins: Vec<Bin>,
    /// When the first measured request was sent, s, when there was a warmup before it.
    pub measure_start_s: Option<f64>,
}

impl Timeline {
    /// Bins `records` (times in µs since the run's epoch), e.g. a journal read back.
    pub fn new(records: &[RequestRecord]) -> Timeline {
        let mut builder = TimelineBuilder::new();
        for r in records {
            builder.add(r);
        }
        builder.finish()
    }
}

/// At most this many bins (unless the widest width, 1 h, still gives more).
const MAX_BINS: u64 = 120;

/// The bin widths to choose from, µs.
const WIDTHS_US: [u64; 15] = [
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    15_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
    300_000_000,
    600_000_000,
    1_800_000_000,
    3_600_000_000,
];

/// The token counters' widths, µs: each divides every width in [`WIDTHS_US`] at least
/// as wide as itself.
const COUNTER_US: [u64; 3] = [100_000, 1_000_000, 60_000_000];

/// Coarsen the token counters beyond this many (a run of about 1.8 hours at 0.1 s).
const MAX_COUNTERS: usize = 1 << 16;

/// What a finished request leaves for the bins.
#[derive(Debug, Clone, Copy)]
struct Ended {
    send_us: u64,
    end_us: u64,
    /// Time to first token of a completed streamed request, else [`NO_TTFT`].
    ttft_us: u64,
    ok: bool,
}

/// No TTFT (not completed, or not streamed): keeps [`Ended`] at four words.
const NO_TTFT: u64 = u64::MAX;

/// Builds a [`Timeline`] record by record, without holding the records: see the
/// module's documentation for what it keeps.
#[derive(Debug, Clone)]
pub struct TimelineBuilder {
    /// Output tokens per counter, by arrival time.
    tokens: Vec<u64>,
    /// Index into [`COUNTER_US`]: the counters' width.
    counter: usize,
    /// Requests that were sent and ended.
    ended: Vec<Ended>,
    /// The latest end (or send, for requests that never ended), µs.
    span_us: u64,
    /// The earliest send of a measured request, µs.
    first_measured: Option<u64>,
    /// Whether any request was a warmup request.
    warmup: bool,
}

impl Default for TimelineBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TimelineBuilder {
    /// An empty timeline.
    pub fn new() -> Self {
        TimelineBuilder {
            tokens: Vec::new(),
            counter: 0,
            ended: Vec::new(),
            span_us: 0,
            first_measured: None,
            warmup: false,
        }
    }

    /// Adds one finished (or abandoned) request, in any order.
    pub fn add(&mut self, record: &RequestRecord) {
        if let Some(t) = record.end_us.or(record.send_us) {
            self.span_us = self.span_us.max(t);
        }
        match record.phase {
            Phase::Warmup => self.warmup = true,
            _ => {
                if let Some(s) = record.send_us {
                    self.first_measured = Some(self.first_measured.map_or(s, |f| f.min(s)));
                }
            }
        }
        let (Some(send_us), Some(end_us)) = (record.send_us, record.end_us) else {
            return;
        };
        let ok = record.is_ok();
        self.ended.push(Ended {
            send_us,
            end_us,
            ttft_us: record.ttft_us().filter(|_| ok).unwrap_or(NO_TTFT),
            ok,
        });
        if record.content_us.is_empty() {
            self.count_tokens(end_us, u64::from(record.output_tokens));
        } else {
            for (i, off) in record.content_us.iter().enumerate() {
                self.count_tokens(send_us + off, u64::from(record.chunk_tokens(i)));
            }
        }
    }

    fn counter_us(&self) -> u64 {
        COUNTER_US[self.counter]
    }

    fn count_tokens(&mut self, at_us: u64, tokens: u64) {
        let mut i = (at_us / self.counter_us()) as usize;
        while i >= MAX_COUNTERS && self.counter + 1 < COUNTER_US.len() {
            self.coarsen();
            i = (at_us / self.counter_us()) as usize;
        }
        if i >= self.tokens.len() {
            self.tokens.resize(i + 1, 0);
        }
        self.tokens[i] += tokens;
    }

    /// Adds the counters up into the next wider ones.
    fn coarsen(&mut self) {
        let k = (COUNTER_US[self.counter + 1] / self.counter_us()) as usize;
        self.tokens = self.tokens.chunks(k).map(|c| c.iter().sum()).collect();
        self.counter += 1;
    }

    /// The bin width for this run, µs: see the module's documentation.
    fn bin_us(&self) -> u64 {
        let mut e2e: Vec<u64> = self
            .ended
            .iter()
            .filter(|e| e.ok)
            .map(|e| e.end_us.saturating_sub(e.send_us))
            .collect();
        let typical = nearest_rank(&mut e2e, 0.5).unwrap_or(0);
        let widest = WIDTHS_US[WIDTHS_US.len() - 1];
        let w = WIDTHS_US
            .into_iter()
            .find(|&w| self.span_us <= MAX_BINS * w && 10 * w >= 9 * typical)
            .unwrap_or(widest);
        // Coarsening only happens for runs long enough that their width is a multiple of
        // the counters'; keep to that if a very long request forced it up anyway.
        w.max(self.counter_us())
    }

    /// The bins.
    pub fn finish(mut self) -> Timeline {
        let bin_us = self.bin_us();
        let bin_s = bin_us as f64 / 1e6;
        let n = (self.span_us / bin_us + 1) as usize;
        let idx = |t: u64| ((t / bin_us) as usize).min(n - 1);
        let mut bins: Vec<Bin> = (0..n)
            .map(|i| Bin {
                t_s: i as f64 * bin_s,
                ..Bin::default()
            })
            .collect();
        let per_counter = bin_us / self.counter_us();
        for (i, tokens) in self.tokens.iter().enumerate() {
            bins[(i / per_counter as usize).min(n - 1)].output_tokens += tokens;
        }
        let mut e2e: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut ttft: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut busy_us = vec![0u64; n];
        for e in &self.ended {
            let b = idx(e.end_us);
            if e.ok {
                bins[b].completed += 1;
                e2e[b].push(e.end_us.saturating_sub(e.send_us));
                if e.ttft_us != NO_TTFT {
                    ttft[b].push(e.ttft_us);
                }
            } else {
                bins[b].errors += 1;
            }
            // Time in flight, bin by bin.
            let mut t = e.send_us;
            while t < e.end_us {
                let i = idx(t);
                let bin_end = ((i as u64 + 1) * bin_us).max(t + 1);
                let until = e.end_us.min(bin_end);
                busy_us[i] += until - t;
                t = until;
            }
        }
        self.ended = Vec::new();
        let ms = |v: Option<u64>| v.map(|v| v as f64 / 1e3);
        for (i, bin) in bins.iter_mut().enumerate() {
            bin.e2e_p50_ms = ms(nearest_rank(&mut e2e[i], 0.5));
            bin.e2e_p95_ms = ms(nearest_rank(&mut e2e[i], 0.95));
            bin.ttft_p50_ms = ms(nearest_rank(&mut ttft[i], 0.5));
            bin.ttft_p95_ms = ms(nearest_rank(&mut ttft[i], 0.95));
            bin.in_flight = busy_us[i] as f64 / bin_us as f64;
        }
        Timeline {
            bin_s,
            bins,
            measure_start_s: self
                .first_measured
                .filter(|_| self.warmup)
                .map(|s| s as f64 / 1e6),
        }
    }
}

/// Nearest-rank quantile of unsorted `v` (reordered).
fn nearest_rank(v: &mut [u64], q: f64) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    let (_, x, _) = v.select_nth_unstable(rank - 1);
    Some(*x)
}

#[cfg(test)]
mod tests;
