//! `sweep` and `capacity` as users run them: in virtual time through `predict`, against a
//! real HTTP server, interrupted and resumed.

use crate::{fast_sim, headroom, run_in, stderr, stdout};
use headroom_results::read_json;
use headroom_results::{CapacityDoc, PlanStatus as Status, SweepDoc};
use headroom_testkit::spawn_sim;
use std::path::Path;
use std::time::{Duration, Instant};

fn capacity_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = crate::ENGINE.to_vec();
    // 20 requests per user: enough for levels 5 users apart to be decided.
    v.extend(["capacity", "--slo", "p95(e2e)<=3.81s", "-n", "20x"]);
    v.extend(extra);
    v
}

#[tokio::test]
async fn seed_000s_search_in_virtual_time_states_the_capacity_and_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let args = capacity_args(&[
        "--start",
        "15",
        "--step",
        "5",
        "--repeats",
        "3",
        "--out",
        "l20",
    ]);
    let o = run_in(dir.path(), &args).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let doc: CapacityDoc = read_json(&dir.path().join("l20/capacity.json")).unwrap();
    assert_eq!(doc.header.status, Status::Complete);
    let max = doc.found.max_pass.expect("a capacity");
    let fail = doc.found.first_fail.expect("a failing level");
    assert_eq!(fail, max + 5.0);
    // Linear from 15 in steps of 5, three runs per level, each in its own directory.
    let levels: Vec<f64> = doc.levels.iter().map(|l| l.level).collect();
    let expected: Vec<f64> = (0..levels.len()).map(|i| 15.0 + 5.0 * i as f64).collect();
    assert_eq!(levels, expected);
    for l in &doc.levels {
        // Three runs per level, unless a run shows the level clearly failing: then the
        // level stops there and fails.
        let stopped = l.repeats.iter().any(|r| r.early_stop.is_some());
        assert!(l.repeats.len() == 3 || (stopped && !l.passed), "{l:?}");
        for r in &l.repeats {
            assert!(
                dir.path()
                    .join("l20")
                    .join(&r.dir)
                    .join("summary.json")
                    .exists()
            );
            assert!(r.row.goodput_per_s.is_some());
        }
    }
    assert!(
        out.contains(&format!(
            "Answer: max {} concurrent at p95(e2e)<=3.81s",
            max as u64
        )),
        "{out}"
    );
    assert!(
        out.contains("Envelope (one row per level and run)"),
        "{out}"
    );
    assert!(out.contains("PASS") && out.contains("FAIL"), "{out}");
    // The adaptive search agrees, in fewer levels: bisecting to single users, it reaches
    // levels too close to the limit for these budgets to decide, so its answer is a range
    // (exit 3) that overlaps the linear one.
    let args = capacity_args(&["--search", "adaptive", "--start", "8", "--out", "adaptive"]);
    let o = run_in(dir.path(), &args).await;
    let a: CapacityDoc = read_json(&dir.path().join("adaptive/capacity.json")).unwrap();
    let low = a.found.max_pass.expect("a level passed");
    let high = a.found.range().map_or(low, |r| r.1);
    let expected = if a.undecided() { 3 } else { 0 };
    assert_eq!(o.status.code(), Some(expected), "{}", stderr(&o));
    assert!(
        low < fail && high >= max && a.found.first_fail.is_some_and(|f| f <= fail),
        "adaptive {low}..{high}, linear {max}..{fail}"
    );
}

#[tokio::test]
async fn an_interrupted_search_resumes_from_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let args = capacity_args(&["--search", "adaptive", "--repeats", "2", "--out", "s"]);
    let o = run_in(dir.path(), &args).await;
    let finished = o.status.code();
    assert!(matches!(finished, Some(0 | 3)), "{}", stderr(&o));
    let root = dir.path().join("s");
    let full: CapacityDoc = read_json(&root.join("capacity.json")).unwrap();
    // As if killed during the fourth level: its runs have no watch.json yet and the
    // levels after it do not exist.
    let order: Vec<String> = full
        .levels
        .iter()
        .flat_map(|l| l.repeats.iter().map(|r| r.dir.clone()))
        .collect();
    assert!(order.len() >= 8, "{order:?}");
    std::fs::remove_file(root.join(&order[6]).join("watch.json")).unwrap();
    for d in &order[7..] {
        std::fs::remove_dir_all(root.join(d)).unwrap();
    }
    let o = run_in(dir.path(), &["capacity", "--resume", "s"]).await;
    assert_eq!(o.status.code(), finished, "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("measured before, reusing").count(), 6, "{err}");
    assert!(err.contains("was interrupted; keeping it as"), "{err}");
    assert!(root.join(format!("{}.interrupted", order[6])).exists());
    let resumed: CapacityDoc = read_json(&root.join("capacity.json")).unwrap();
    assert_eq!(resumed.found, full.found);
    assert_eq!(resumed.levels.len(), full.levels.len());
    assert_eq!(resumed.header.command, full.header.command);
    // Other flags with --resume are refused: the settings are the saved ones.
    let o = run_in(dir.path(), &["capacity", "--resume", "s", "--repeats", "5"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("give it alone"), "{}", stderr(&o));
}

#[tokio::test]
async fn a_sequential_search_resumes_to_the_same_answer_and_start_ups() {
    // Sequential levels (no fixed size) leave out their start-up; a resumed search reads
    // it back with each finished level and measures the interrupted one again the same.
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = crate::ENGINE.to_vec();
    args.extend(["capacity", "--slo", "p95(e2e)<=3.81s", "--out", "q"]);
    let o = run_in(dir.path(), &args).await;
    let finished = o.status.code();
    assert!(matches!(finished, Some(0 | 3)), "{}", stderr(&o));
    let root = dir.path().join("q");
    let full: CapacityDoc = read_json(&root.join("capacity.json")).unwrap();
    let last = &full.levels.last().unwrap().repeats[0];
    assert!(
        full.levels.iter().any(|l| l.repeats[0].start_up.is_some()),
        "some level left out its start-up"
    );
    std::fs::remove_file(root.join(&last.dir).join("watch.json")).unwrap();
    let o = run_in(dir.path(), &["capacity", "--resume", "q"]).await;
    assert_eq!(o.status.code(), finished, "{}", stderr(&o));
    let resumed: CapacityDoc = read_json(&root.join("capacity.json")).unwrap();
    assert_eq!(resumed.found, full.found);
    let start_ups = |d: &CapacityDoc| -> Vec<_> {
        let mut v: Vec<_> = d
            .levels
            .iter()
            .map(|l| (l.level, l.repeats[0].start_up))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    assert_eq!(start_ups(&resumed), start_ups(&full));
}

#[tokio::test]
async fn bad_slos_are_usage_errors_that_point_at_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["capacity", "--slo", "p95(e2f)<=3s"]).await;
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown metric") && err.contains('^'), "{err}");
    let o = run_in(dir.path(), &["capacity", "--slo", "p95(e2e)<=3.81"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unit"), "{}", stderr(&o));
    let o = run_in(dir.path(), &["capacity"]).await;
    assert_eq!(o.status.code(), Some(2), "--slo is required");
}

#[tokio::test]
async fn when_no_level_passes_the_exit_is_1_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = crate::ENGINE.to_vec();
    args.extend([
        "capacity",
        "--slo",
        "p95(ttft)<=1ms",
        "-n",
        "100",
        "--out",
        "x",
    ]);
    let o = run_in(dir.path(), &args).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no level met"), "{}", stderr(&o));
    let doc: CapacityDoc = read_json(&dir.path().join("x/capacity.json")).unwrap();
    assert_eq!(doc.found.max_pass, None);
    assert_eq!(doc.found.first_fail, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_against_a_server_marks_the_knee_and_keeps_every_level() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            "--url",
            &sim.url,
            "--concurrency",
            "1,2,4",
            "-n",
            "5x",
            "--output-tokens",
            "20",
            "--slo",
            "p95(e2e)<=10s",
            "--out",
            "sw",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: SweepDoc = read_json(&dir.path().join("sw/sweep.json")).unwrap();
    assert_eq!(doc.levels.len(), 3);
    for (l, c) in doc.rows().iter().zip([1u64, 2, 4]) {
        assert_eq!(l.level, c as f64);
        // 5 per user, at least 100 only applies without -n.
        assert_eq!(l.merged.ok, 5 * c);
        assert!(dir.path().join(format!("sw/c{c}/requests.jsonl")).exists());
    }
    assert!(doc.marks.knee.is_some() && doc.marks.max_throughput.is_some());
    let out = stdout(&o);
    assert!(out.contains("knee (recommended)"), "{out}");
    assert!(out.contains("Maximum throughput:"), "{out}");
}

#[tokio::test]
async fn an_auto_sweep_in_virtual_time_finds_the_peak_then_fills_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = crate::ENGINE.to_vec();
    args.extend(["sweep", "--auto", "-n", "5x", "--out", "auto"]);
    let o = run_in(dir.path(), &args).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: SweepDoc = read_json(&dir.path().join("auto/sweep.json")).unwrap();
    let levels: Vec<f64> = doc.rows().iter().map(|l| l.level).collect();
    assert_eq!(&levels[..4], [1.0, 2.0, 4.0, 8.0]);
    // Doubling stopped once throughput stopped growing; levels were added between.
    assert!(
        levels
            .iter()
            .any(|l| l.fract() == 0.0 && !(l.log2().fract() == 0.0)),
        "{levels:?}"
    );
    let peak = doc.marks.max_throughput.unwrap();
    assert!(levels.iter().any(|l| *l > peak), "{levels:?}");
}

/// Waits (bounded) until `path` exists.
async fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_sweep_keeps_the_levels_done_and_resume_finishes_it() {
    let mut cfg = fast_sim();
    cfg.timing.itl = Duration::from_millis(5);
    let sim = spawn_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let child = headroom()
        .current_dir(dir.path())
        .args([
            "sweep",
            "--url",
            &sim.url,
            "--concurrency",
            "1,2",
            "-n",
            "4x",
            "--output-tokens",
            "100",
            "--grace",
            "100ms",
            "--out",
            "sw",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt during the second level.
    wait_for(&dir.path().join("sw/c2/manifest.json")).await;
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let doc: SweepDoc = read_json(&dir.path().join("sw/sweep.json")).unwrap();
    assert_eq!(doc.header.status, Status::Interrupted);
    assert_eq!(doc.levels.len(), 1);
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));

    let o = run_in(dir.path(), &["sweep", "--resume", "sw"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: SweepDoc = read_json(&dir.path().join("sw/sweep.json")).unwrap();
    assert_eq!(doc.header.status, Status::Complete);
    assert_eq!(doc.levels.len(), 2);
    assert_eq!(doc.levels[1].merged.ok, 8);
    assert!(dir.path().join("sw/c2.interrupted").exists());
}

#[tokio::test]
async fn inconclusive_levels_make_the_answer_a_range_with_its_own_exit_status() {
    // Fixed levels of 100 requests on the simulated A10: P95 sits near 2.5 s from 9 to
    // 11 users, where 100 requests cannot tell which side it is on.
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "predict",
        "capacity",
        "--slo",
        "p95(e2e)<=2.5s",
        "--start",
        "10",
        "-n",
        "100",
        "--out",
        "near",
    ];
    let o = run_in(dir.path(), &args).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let doc: CapacityDoc = read_json(&dir.path().join("near/capacity.json")).unwrap();
    let (low, high) = doc.found.range().expect("a range");
    let low = low.expect("a level passed");
    assert!(low < high && doc.found.first_fail.is_some_and(|f| f > high));
    let out = stdout(&o);
    let answer = out.lines().nth(1).unwrap_or_default();
    assert!(
        answer.starts_with(&format!("Answer: between {low} and {high} concurrent")),
        "{out}"
    );
    assert!(
        !out.contains("even") && out.contains("INCONCLUSIVE"),
        "{out}"
    );
    // Each inconclusive level is named with its interval, and the advice points the right
    // way: more requests, not a lower start.
    assert!(
        out.contains(&format!("  inconclusive: {high} concurrent")),
        "{out}"
    );
    let err = stderr(&o);
    assert!(
        err.contains("more requests per level would decide them"),
        "{err}"
    );
    assert!(!err.contains("lower --start"), "{err}");
}

#[tokio::test]
async fn a_budget_too_small_to_pass_a_percentile_is_said_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "predict",
        "capacity",
        "--slo",
        "p95(e2e)<=1.5s",
        "--search",
        "adaptive",
        "--start",
        "4",
        "--max",
        "16",
        "--requests-per-level",
        "5x",
        "--out",
        "small",
    ];
    let o = run_in(dir.path(), &args).await;
    let err = stderr(&o);
    let warning = err
        .find("p95(e2e)<=1.5s needs at least 72 requests per level")
        .unwrap_or_else(|| panic!("no budget warning: {err}"));
    let first_level = err
        .find("c4:")
        .unwrap_or_else(|| panic!("no level ran: {err}"));
    assert!(warning < first_level, "{err}");
    assert!(
        err.contains("levels below 15 concurrent can only be INCONCLUSIVE or FAIL"),
        "{err}"
    );
}

#[tokio::test]
async fn sequential_levels_send_until_decided_and_answer_exactly() {
    // The same question with no fixed level size: each level stops at the first look
    // where its verdict is decided, so levels near the limit get the requests they need
    // and far ones only 100.
    let dir = tempfile::tempdir().unwrap();
    let args = |out: &'static str| {
        vec![
            "predict",
            "capacity",
            "--slo",
            "p95(e2e)<=2.5s",
            "--start",
            "10",
            "--out",
            out,
        ]
    };
    let o = run_in(dir.path(), &args("seq")).await;
    let doc: CapacityDoc = read_json(&dir.path().join("seq/capacity.json")).unwrap();
    let expected = if doc.undecided() { 3 } else { 0 };
    assert_eq!(o.status.code(), Some(expected), "{}", stderr(&o));
    // The answer is exact, or a range one user wide: only a level within about 1 % of
    // the limit (the simulated A10 at 13 users has a steady P95 of 2.48 s) may run its
    // budget out undecided.
    let low = doc.found.max_pass.expect("a level passed");
    let high = doc.found.range().map_or(low, |r| r.1);
    assert!(high - low <= 1.0, "{:?}", doc.found);
    assert_eq!(doc.found.first_fail, Some(high + 1.0), "{:?}", doc.found);
    let mut sizes = Vec::new();
    for l in &doc.levels {
        assert_eq!(l.repeats.len(), 1);
        let r = &l.repeats[0];
        if let Some(e) = &r.early_stop {
            assert!(!e.fails(), "{e:?}");
        } else {
            assert_eq!(l.verdict, headroom_metrics::slo::Verdict::Inconclusive);
        }
        // Its numbers leave out its start-up (MSER-5), which it reports.
        let start_up = r.start_up.map_or(0, |u| {
            assert!(u.applied, "{u:?}");
            u.requests
        });
        sizes.push((l.level, r.row.ok + start_up));
    }
    assert!(
        doc.levels.iter().any(|l| l.repeats[0].start_up.is_some()),
        "the batch filling up is found at some level"
    );
    // Far from the limit: decided at the first look (100 requests, or twenty per user);
    // near it: more, within the 2,000 budget.
    let first_look = |users: f64| (20.0 * users).max(100.0) as u64;
    assert!(
        sizes.iter().any(|(users, n)| *n == first_look(*users)),
        "{sizes:?}"
    );
    assert!(sizes.iter().all(|(_, n)| *n <= 2_000), "{sizes:?}");
    // A budget too small to decide levels near the limit leaves a range instead.
    let mut small = args("small");
    small.extend(["--max-requests-per-level", "150"]);
    let o = run_in(dir.path(), &small).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("would decide them (--max-requests-per-level)"),
        "{}",
        stderr(&o)
    );
    let small: CapacityDoc = read_json(&dir.path().join("small/capacity.json")).unwrap();
    assert!(small.found.inconclusive.len() > doc.found.inconclusive.len());
    // A budget with a fixed level size is a contradiction.
    let mut both = args("both");
    both.extend(["-n", "100", "--max-requests-per-level", "500"]);
    let o = run_in(dir.path(), &both).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("give one or the other"),
        "{}",
        stderr(&o)
    );
}
