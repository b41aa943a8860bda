//! A run over time, from its journal: completed requests, output tokens, latency
//! percentiles and requests in flight per time bin.
//!
//! - Output tokens count at the moment each chunk arrived (send time + the chunk's offset),
//!   so a long request's tokens spread over the bins it streamed in.
//! - Latency percentiles of a bin are over the requests that *ended* in it.
//! - In flight is the mean number of requests between send and end during the bin.
//!
//! Warmup requests are included (they are real traffic); [`Timeline::measure_start_s`]
//! marks where measurement began.

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

/// At most this many bins.
const MAX_BINS: f64 = 120.0;

/// Nearest-rank quantile of unsorted `v` (reordered).
fn quantile(v: &mut [u64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    let (_, x, _) = v.select_nth_unstable(rank - 1);
    Some(*x as f64 / 1e3)
}

impl Timeline {
    /// Bins `records` (times in µs since the run's epoch).
    pub fn new(records: &[RequestRecord]) -> Timeline {
        let span_us = records
            .iter()
            .filter_map(|r| r.end_us.or(r.send_us))
            .max()
            .unwrap_or(0);
        let span_s = span_us as f64 / 1e6;
        let bin_s = [
            0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
            3600.0,
        ]
        .into_iter()
        .find(|w| span_s / w <= MAX_BINS)
        .unwrap_or(3600.0);
        let bin_us = (bin_s * 1e6) as u64;
        let n = (span_us / bin_us + 1) as usize;
        let mut bins: Vec<Bin> = (0..n)
            .map(|i| Bin {
                t_s: i as f64 * bin_s,
                ..Bin::default()
            })
            .collect();
        let mut e2e: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut ttft: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut busy_us = vec![0u64; n];
        let idx = |t: u64| ((t / bin_us) as usize).min(n - 1);
        let mut first_measured: Option<u64> = None;
        let mut warmup = false;
        for r in records {
            match r.phase {
                Phase::Warmup => warmup = true,
                _ => {
                    if let Some(s) = r.send_us {
                        first_measured = Some(first_measured.map_or(s, |f| f.min(s)));
                    }
                }
            }
            let (Some(send), Some(end)) = (r.send_us, r.end_us) else {
                continue;
            };
            let b = idx(end);
            if r.is_ok() {
                bins[b].completed += 1;
                if let Some(v) = r.e2e_us() {
                    e2e[b].push(v);
                }
                if let Some(v) = r.ttft_us() {
                    ttft[b].push(v);
                }
            } else {
                bins[b].errors += 1;
            }
            if r.content_us.is_empty() {
                bins[b].output_tokens += u64::from(r.output_tokens);
            } else {
                for (i, off) in r.content_us.iter().enumerate() {
                    bins[idx(send + off)].output_tokens += u64::from(r.chunk_tokens(i));
                }
            }
            // Time in flight, bin by bin.
            let mut t = send;
            while t < end {
                let i = idx(t);
                let bin_end = ((i as u64 + 1) * bin_us).max(t + 1);
                let until = end.min(bin_end);
                busy_us[i] += until - t;
                t = until;
            }
        }
        for (i, bin) in bins.iter_mut().enumerate() {
            bin.e2e_p50_ms = quantile(&mut e2e[i], 0.5);
            bin.e2e_p95_ms = quantile(&mut e2e[i], 0.95);
            bin.ttft_p50_ms = quantile(&mut ttft[i], 0.5);
            bin.ttft_p95_ms = quantile(&mut ttft[i], 0.95);
            bin.in_flight = busy_us[i] as f64 / bin_us as f64;
        }
        Timeline {
            bin_s,
            bins,
            measure_start_s: first_measured.filter(|_| warmup).map(|s| s as f64 / 1e6),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use headroom_core::{Outcome, TokenSource};

    fn rec(send_s: f64, e2e_s: f64, tokens: u32) -> RequestRecord {
        let send = (send_s * 1e6) as u64;
        let e2e = (e2e_s * 1e6) as u64;
        // One token per chunk, evenly spread, the first at a tenth of the latency.
        let content: Vec<u64> = (0..tokens)
            .map(|i| e2e / 10 + (e2e - e2e / 10) * u64::from(i) / u64::from(tokens.max(1)))
            .collect();
        RequestRecord {
            index: 0,
            phase: Phase::Measure,
            intended_us: None,
            send_us: Some(send),
            end_us: Some(send + e2e),
            content_us: content,
            content_tokens: vec![],
            input_tokens: 10,
            input_tokens_source: TokenSource::Workload,
            output_tokens: tokens,
            output_tokens_source: TokenSource::Usage,
            output_tokens_counted: None,
            max_tokens: tokens,
            requested_input_tokens: None,
            tags: Default::default(),
            http_status: Some(200),
            finish_reason: None,
            outcome: Outcome::Ok,
        }
    }

    #[test]
    fn a_steady_closed_loop_has_flat_rates_and_known_concurrency() {
        // Two users back to back, each request 1 s long with 10 tokens, for 100 s.
        let mut records = Vec::new();
        for _user in 0..2 {
            for k in 0..100 {
                records.push(rec(k as f64, 1.0, 10));
            }
        }
        let t = Timeline::new(&records);
        assert_eq!(t.bin_s, 1.0);
        assert_eq!(t.bins.len(), 101);
        // Every whole second has 2 requests in flight and 20 tokens arriving.
        for b in &t.bins[1..99] {
            assert!((b.in_flight - 2.0).abs() < 1e-9, "{b:?}");
            assert_eq!(b.output_tokens, 20, "{b:?}");
            assert_eq!(b.completed, 2);
            assert_eq!(b.e2e_p95_ms, Some(1000.0));
            assert_eq!(b.ttft_p50_ms, Some(100.0));
        }
        let tokens: u64 = t.bins.iter().map(|b| b.output_tokens).sum();
        assert_eq!(tokens, 2000);
        assert_eq!(t.measure_start_s, None);
    }

    #[test]
    fn bins_widen_for_long_runs_and_mark_the_end_of_warmup() {
        let mut records = vec![rec(0.0, 2.0, 5)];
        records[0].phase = Phase::Warmup;
        records.push(rec(30.0, 2.0, 5));
        records.push(rec(3598.0, 2.0, 5));
        let t = Timeline::new(&records);
        assert_eq!(t.bin_s, 30.0);
        assert!(t.bins.len() <= 121);
        assert_eq!(t.measure_start_s, Some(30.0));
        assert_eq!(t.bins.iter().map(|b| b.completed).sum::<u64>(), 3);
    }

    #[test]
    fn an_empty_journal_gives_one_empty_bin() {
        let t = Timeline::new(&[]);
        assert_eq!(t.bins.len(), 1);
        assert_eq!(t.bins[0].e2e_p50_ms, None);
    }
}
