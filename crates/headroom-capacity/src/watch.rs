//! Watching a level while it runs: goodput, and an early stop for a level that is
//! clearly failing, so a search does not spend ten minutes confirming an overload.
//!
//! A level is stopped early (and judged FAIL) by the first rule that fires:
//!
//! - **certain**: with a request-count stop rule, so many requests have already exceeded a
//!   percentile limit that the level's confidence interval for the percentile will lie
//!   above the limit whatever the remaining requests do (for `p95(e2e)<=3.81s` over 1,000
//!   requests at 95 %: the 65th request over 3.81 s, since the interval's low end is the
//!   936th smallest value). The verdict is the one the whole level would get, so it holds
//!   its error rate; a point estimate would have stopped at the 51st. With too few
//!   requests for a lower bound it never fires.
//! - **clear**: at least a quarter of the level has run and 100 requests have completed,
//!   and the 99 % confidence interval of a latency statistic lies entirely above 1.25 ×
//!   its limit.
//! - **over-saturated** (open loop): latency measured from the intended send time grows
//!   without bound: after a quarter of the level and 50 completions, the least-squares
//!   slope of latency against arrival time exceeds 0.05 s per second, and the fitted
//!   latency now is more than twice that of the first requests and above the limit.
//!
//! The rules only look at latency SLOs; `--no-early-stop` turns them off. A sequential
//! level ([`crate::sequential`]) uses its looks instead of *certain* and *clear*, which
//! would spend more risk than its design allows; *over-saturated* still applies. Each look
//! leaves out the level's start-up ([`crate::settle`]).

use crate::sequential::{confidence_at, first_look, look_size};
use crate::settle::{Settling, StartUp};
use crate::verdict::worst;
use headroom_core::{LoadPolicy, Phase, RequestRecord, RunPlan};
use headroom_metrics::Summary;
use headroom_metrics::confidence::{mean_interval, quantile_interval, quantile_ranks};
use headroom_metrics::slo::{
    GoodputCounter, Repeat, Slo, SloSet, Stat, Verdict, assess, request_value,
};
use headroom_metrics::steady::Truncation;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Why a level was stopped early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EarlyStop {
    /// The rule that fired.
    pub rule: EarlyStopRule,
    /// What was seen, for people.
    pub detail: String,
}

/// The early-stop rules (see the module documentation). Serialized and displayed as
/// `certain`, `clear` and `over_saturated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EarlyStopRule {
    /// More requests exceeded a percentile limit than the whole level may have.
    Certain,
    /// A latency statistic's 99 % interval lies entirely above 1.25 × its limit.
    Clear,
    /// Latency from the intended send time grows without bound (open loop).
    OverSaturated,
    /// A sequential level's verdict was decided at a look (see [`crate::sequential`]):
    /// not a failure, the level is judged on what it measured.
    Decided,
}

impl EarlyStopRule {
    /// `certain`, `clear` or `over_saturated`.
    pub fn as_str(self) -> &'static str {
        match self {
            EarlyStopRule::Certain => "certain",
            EarlyStopRule::Clear => "clear",
            EarlyStopRule::OverSaturated => "over_saturated",
            EarlyStopRule::Decided => "decided",
        }
    }
}

impl std::fmt::Display for EarlyStopRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with the serialized name, as readers of older documents and tests do.
impl PartialEq<&str> for EarlyStopRule {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A one-way stop flag whose [`StopSignal::stopped`] future completes once it is raised.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    raised: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl StopSignal {
    /// Raises the flag and wakes every waiter.
    pub fn raise(&self) {
        self.0.raised.store(true, Ordering::SeqCst);
        let wakers = match self.0.wakers.lock() {
            Ok(mut w) => std::mem::take(&mut *w),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        };
        for w in wakers {
            w.wake();
        }
    }

    /// `true` once raised.
    pub fn is_raised(&self) -> bool {
        self.0.raised.load(Ordering::SeqCst)
    }

    /// Completes when the flag is raised.
    pub fn stopped(&self) -> Stopped {
        Stopped(self.0.clone())
    }
}

/// The future of [`StopSignal::stopped`].
#[derive(Debug)]
pub struct Stopped(Arc<Shared>);

impl Future for Stopped {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.raised.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if let Ok(mut w) = self.0.wakers.lock() {
            w.push(cx.waker().clone());
        }
        if self.0.raised.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl EarlyStop {
    /// `true` when the stop says the level fails (every rule but a sequential decision).
    pub fn fails(&self) -> bool {
        self.rule != EarlyStopRule::Decided
    }
}

/// A watch's early stopping is on, at this confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    /// The two-sided confidence of the level's intervals (0.95).
    pub confidence: f64,
    /// The level is sequential: it is looked at as it runs and stops once decided.
    pub sequential: bool,
}

/// Per SLO, for the *certain* rule of a fixed level of `requests` requests: the
/// completions over a percentile limit beyond which the level's interval must lie above
/// it. The interval's low end is the `l`-th smallest of the `n` values, so it lies above
/// the limit once fewer than `l` can be within it: once more than `n − l` are over.
/// `None` for other SLOs, without a request count, or when `n` is too small for a lower
/// bound (`l = 0`).
fn certain_after(
    slos: &SloSet,
    requests: Option<u64>,
    early_stopping: Option<EarlyStopping>,
) -> Vec<Option<u64>> {
    slos.0
        .iter()
        .map(|slo| {
            let (n, e) = (requests?, early_stopping?);
            let Slo::Latency {
                stat: Stat::Percentile(p),
                ..
            } = slo
            else {
                return None;
            };
            let (l, _) = quantile_ranks(n, p / 100.0, e.confidence)?;
            (l > 0).then(|| n - l)
        })
        .collect()
}

/// How often (in measured completions) the statistical rules are evaluated.
const CHECK_EVERY: u64 = 20;

/// Watches the records of a level as they arrive: counts goodput and raises a
/// [`StopSignal`] when the level is clearly failing. It keeps no summary of its own: the
/// caller's recorder hands it the summary so far, so each record is aggregated once.
pub struct Watch {
    slos: SloSet,
    goodput: GoodputCounter,
    /// Per SLO: measured completions over its limit.
    over: Vec<u64>,
    planned_requests: Option<u64>,
    planned_us: Option<u64>,
    open: bool,
    early_stopping: Option<EarlyStopping>,
    measured: u64,
    first_send: Option<u64>,
    last_end: u64,
    trend: Trend,
    stop: StopSignal,
    fired: Option<EarlyStop>,
    /// Sequential looks taken so far.
    looks: u32,
    /// Completions at the first look.
    first_look: u64,
    /// Per SLO, fixed levels: completions over its limit beyond which the level's
    /// interval must lie above it (the *certain* rule); `None`: the rule cannot fire.
    certain_after: Vec<Option<u64>>,
    /// The start-up series.
    settling: Settling,
    /// A sequential level's start-up at the look that decided it.
    decided_start_up: Option<Truncation>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("measured", &self.measured)
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}

impl Watch {
    /// Watches a run of `plan` judged by `slos`. Without `early_stopping` only goodput is
    /// counted.
    pub fn new(slos: &SloSet, plan: &RunPlan, early_stopping: Option<EarlyStopping>) -> Self {
        Watch {
            slos: slos.clone(),
            goodput: GoodputCounter::new(slos.clone()),
            over: vec![0; slos.0.len()],
            planned_requests: plan.stop.requests,
            planned_us: plan.stop.duration.map(|d| d.as_micros() as u64),
            open: !matches!(plan.load, LoadPolicy::Closed { .. }),
            early_stopping,
            measured: 0,
            first_send: None,
            last_end: 0,
            trend: Trend::default(),
            stop: StopSignal::default(),
            fired: None,
            looks: 0,
            first_look: first_look(&plan.load),
            certain_after: certain_after(slos, plan.stop.requests, early_stopping),
            settling: Settling::new(slos, early_stopping.is_some_and(|e| e.sequential)),
            decided_start_up: None,
        }
    }

    fn sequential(&self) -> bool {
        self.early_stopping.is_some_and(|e| e.sequential)
    }

    /// The level's start-up ([`crate::settle`]): for a sequential level, what its deciding
    /// look (or, undecided, its end) left out of the verdict; for a fixed level, what the
    /// rule finds over the whole level, reported only. `None` when the level started
    /// steady, or was too short to say.
    pub fn start_up(&self) -> Option<StartUp> {
        let t = self
            .decided_start_up
            .or_else(|| self.settling.truncation())?;
        let up = self.settling.start_up(t, self.sequential());
        (up.requests > 0 || !up.settled).then_some(up)
    }

    /// A sequential level's summary and goodput without its start-up, with the window
    /// anchored at `epoch_unix_us` (see [`headroom_metrics::Recorder::finish`]); `None`
    /// when nothing is left out.
    pub fn steady(&self, epoch_unix_us: u64) -> Option<(Summary, u64)> {
        let up = self.start_up().filter(|u| u.applied && u.requests > 0)?;
        let (recorder, met) = self.settling.without(up.requests, &self.slos)?;
        Some((recorder.finish(epoch_unix_us), met))
    }

    /// The signal raised by an early stop (give its `stopped()` to the runner's shutdown).
    pub fn signal(&self) -> StopSignal {
        self.stop.clone()
    }

    /// Measured requests that met every SLO so far.
    pub fn goodput_met(&self) -> u64 {
        self.goodput.met()
    }

    /// Why the level was stopped, if it was.
    pub fn early_stop(&self) -> Option<&EarlyStop> {
        self.fired.as_ref()
    }

    /// The look the level is judged at ([`crate::sequential::confidence_at`]): 0 for a
    /// fixed level; for a sequential one the look that decided it, or the final look at
    /// the end of its budget.
    pub fn judged_at_look(&self) -> u32 {
        match (self.early_stopping, &self.fired) {
            (Some(e), Some(f)) if e.sequential && !f.fails() => self.looks,
            (Some(e), _) if e.sequential => self.looks + 1,
            _ => 0,
        }
    }

    /// Takes record `r`, after the caller's recorder has: `summary` is the run's summary
    /// so far, `r` included.
    pub fn observe(&mut self, r: &RequestRecord, summary: &Summary) {
        self.goodput.add(r);
        self.settling.add(r);
        if r.phase == Phase::Measure {
            self.measure(r, summary);
        }
    }

    /// Share of the level done: by requests or by time, whichever is further.
    fn progress(&self) -> f64 {
        let by_n = self
            .planned_requests
            .map_or(0.0, |n| self.measured as f64 / n.max(1) as f64);
        let by_t = match (self.planned_us, self.first_send) {
            (Some(d), Some(s)) => self.last_end.saturating_sub(s) as f64 / d.max(1) as f64,
            _ => 0.0,
        };
        by_n.max(by_t)
    }

    fn fire(&mut self, rule: EarlyStopRule, detail: String) {
        if self.fired.is_none() {
            self.fired = Some(EarlyStop { rule, detail });
            self.stop.raise();
        }
    }

    /// Look `k`: every SLO judged on the level so far, without its start-up, at the
    /// look's confidence; the level stops once all pass or one fails. A level that has not
    /// settled is not judged.
    fn look(&mut self, confidence: f64, summary: &Summary) {
        self.looks += 1;
        let at = confidence_at(confidence, self.looks);
        let t = self.settling.truncation();
        if t.is_some_and(|t| !t.settled) {
            return;
        }
        let left_out = t.map_or(0, |t| self.settling.start_up(t, true).requests);
        let without = (left_out > 0)
            .then(|| self.settling.without(left_out, &self.slos))
            .flatten();
        let (summary, goodput_met) = match &without {
            Some((recorder, met)) => (recorder.current(), *met),
            None => (summary, self.goodput.met()),
        };
        let so_far = [Repeat {
            summary,
            goodput_met,
        }];
        let decided = self
            .slos
            .0
            .iter()
            .map(|s| assess(s, &so_far, at).verdict)
            .fold(Verdict::Pass, worst);
        if decided == Verdict::Inconclusive {
            return;
        }
        let left_out = match left_out {
            0 => String::new(),
            n => format!("; the first {n} left out as start-up"),
        };
        let detail = format!(
            "{decided} after {} requests (look {}, {:.2}% intervals{left_out})",
            self.measured,
            self.looks,
            at * 100.0
        );
        self.decided_start_up = t;
        self.fire(EarlyStopRule::Decided, detail);
    }

    fn measure(&mut self, r: &RequestRecord, summary: &Summary) {
        self.measured += 1;
        if let Some(e) = self.early_stopping
            && e.sequential
            && self.fired.is_none()
            && self.measured == look_size(self.first_look, self.looks + 1)
        {
            self.look(e.confidence, summary);
        }
        if let Some(s) = r.send_us {
            self.first_send = Some(self.first_send.map_or(s, |f| f.min(s)));
        }
        self.last_end = self.last_end.max(r.end_us.unwrap_or(0));
        if !r.is_ok() {
            return;
        }
        for (i, slo) in self.slos.0.iter().enumerate() {
            if let Slo::Latency {
                metric, limit_us, ..
            } = slo
                && request_value(*metric, r).is_some_and(|v| v > *limit_us)
            {
                self.over[i] += 1;
            }
        }
        if let (Some(intended), Some(end)) = (r.intended_us, r.end_us) {
            self.trend.add(
                intended as f64 / 1e6,
                end.saturating_sub(intended) as f64 / 1e6,
            );
        }
        let Some(rules) = self.early_stopping else {
            return;
        };
        if self.fired.is_some() {
            return;
        }
        // A sequential level's looks already decide a failing level, with the risk
        // spent across them; the fixed-level rules would spend more.
        if !rules.sequential {
            self.certain(rules.confidence);
        }
        if self.measured.is_multiple_of(CHECK_EVERY) {
            self.saturation();
            if self.fired.is_none() && !rules.sequential {
                self.clear(summary);
            }
        }
    }

    /// Fires *certain* once an SLO has more completions over its limit than
    /// [`certain_after`] allows.
    fn certain(&mut self, confidence: f64) {
        let Some(n) = self.planned_requests else {
            return;
        };
        for (i, slo) in self.slos.0.iter().enumerate() {
            if let Some(allowed) = self.certain_after[i]
                && self.over[i] > allowed
            {
                let detail = format!(
                    "{} of the {n} requests already exceed the limit of {slo}: its {:.0}% \
                     interval will lie above the limit whatever the rest do (at most \
                     {allowed} may)",
                    self.over[i],
                    confidence * 100.0
                );
                self.fire(EarlyStopRule::Certain, detail);
                return;
            }
        }
    }

    fn clear(&mut self, summary: &Summary) {
        let ok = summary.counts.ok;
        if ok < 100 || self.progress() < 0.25 {
            return;
        }
        for slo in &self.slos.0 {
            let Slo::Latency {
                stat,
                metric,
                limit_us,
                ..
            } = slo
            else {
                continue;
            };
            let dist = summary.dist(*metric);
            let iv = match stat {
                Stat::Percentile(p) => quantile_interval(dist, p / 100.0, 0.99),
                Stat::Mean => mean_interval(dist, 0.99),
            };
            if let Some(iv) = iv
                && iv.lo > 1.25 * limit_us
            {
                let detail = format!(
                    "after {ok} requests the 99% interval of {} is {:.0}–{:.0} ms, over 1.25 × the limit of {slo}",
                    metric.key(),
                    iv.lo / 1e3,
                    iv.hi / 1e3
                );
                self.fire(EarlyStopRule::Clear, detail);
                return;
            }
        }
    }

    fn saturation(&mut self) {
        if !self.open || self.trend.n < 50 || self.progress() < 0.25 {
            return;
        }
        let Some(limit) = self
            .slos
            .0
            .iter()
            .filter_map(|s| match s {
                Slo::Latency { limit_us, .. } => Some(*limit_us / 1e6),
                _ => None,
            })
            .reduce(f64::min)
        else {
            return;
        };
        let (slope, now) = self.trend.fit();
        if slope > 0.05 && now > 2.0 * self.trend.first_mean() && now > limit {
            let detail = format!(
                "over-saturated: latency from the intended send time grows {slope:.2} s every second and is {now:.1} s now"
            );
            self.fire(EarlyStopRule::OverSaturated, detail);
        }
    }
}

/// Running least squares of latency against arrival time.
#[derive(Debug, Default)]
struct Trend {
    n: u64,
    sx: f64,
    sy: f64,
    sxx: f64,
    sxy: f64,
    last_x: f64,
    first: Vec<f64>,
}

impl Trend {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.sxy += x * y;
        self.last_x = self.last_x.max(x);
        if self.first.len() < 20 {
            self.first.push(y);
        }
    }

    /// Slope (s per s) and the fitted latency at the latest arrival.
    fn fit(&self) -> (f64, f64) {
        let n = self.n as f64;
        let den = n * self.sxx - self.sx * self.sx;
        if n < 2.0 || den <= 0.0 {
            return (0.0, self.sy / n.max(1.0));
        }
        let slope = (n * self.sxy - self.sx * self.sy) / den;
        let intercept = (self.sy - slope * self.sx) / n;
        (slope, intercept + slope * self.last_x)
    }

    fn first_mean(&self) -> f64 {
        self.first.iter().sum::<f64>() / self.first.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_core::{StopRule, Warmup};
    use headroom_testkit::record;
    use std::time::Duration;

    fn closed_plan(requests: u64) -> RunPlan {
        RunPlan {
            load: LoadPolicy::Closed { concurrency: 4 },
            stop: StopRule {
                requests: Some(requests),
                duration: None,
            },
            warmup: Warmup::None,
            seed: 0,
            grace: Duration::from_secs(1),
            conversation: None,
        }
    }

    /// Feeds `over` requests over the limit, then counts how many it took to fire.
    fn fires_after(requests: u64, over: u64) -> Option<u64> {
        let slos = SloSet(vec!["p95(e2e)<=1s".parse().unwrap()]);
        let on = Some(EarlyStopping {
            confidence: 0.95,
            sequential: false,
        });
        let mut w = Watch::new(&slos, &closed_plan(requests), on);
        for i in 0..over {
            w.observe(&record(i).e2e_us(2_000_000).build(), &Summary::default());
            if w.early_stop().is_some() {
                return Some(i + 1);
            }
        }
        None
    }

    #[test]
    fn certain_fires_once_the_levels_interval_must_lie_above_the_limit() {
        // The 95 % interval's low end is the l-th smallest of the n values.
        for n in [5, 100, 1000] {
            let (l, _) = quantile_ranks(n, 0.95, 0.95).unwrap();
            assert_eq!(fires_after(n, n), Some(n - l + 1), "{n}");
        }
        // 1,000 requests: more than the 51 a point estimate would take.
        let (l, _) = quantile_ranks(1000, 0.95, 0.95).unwrap();
        assert!(1000 - l + 1 > 51, "{l}");
        // Two of five over a P95 limit already settle it: were the true P95 within the
        // limit, that would happen 2.3 % of the time, under the 2.5 % a side may have.
        assert_eq!(fires_after(5, 5), Some(2));
        let slos = SloSet(vec!["p95(e2e)<=1s".parse().unwrap()]);
        let mut off = Watch::new(&slos, &closed_plan(100), None);
        for i in 0..100 {
            off.observe(&record(i).e2e_us(2_000_000).build(), &Summary::default());
        }
        assert!(
            off.early_stop().is_none(),
            "without early stopping it only counts"
        );
    }

    #[test]
    fn early_stop_rules_keep_their_names() {
        use EarlyStopRule::*;
        for (rule, name) in [
            (Certain, "certain"),
            (Clear, "clear"),
            (OverSaturated, "over_saturated"),
            (Decided, "decided"),
        ] {
            assert_eq!(rule.to_string(), name);
            assert_eq!(serde_json::to_value(rule).unwrap(), name);
            assert_eq!(
                serde_json::from_value::<EarlyStopRule>(name.into()).unwrap(),
                rule
            );
            assert_eq!(rule, name);
        }
    }
}
