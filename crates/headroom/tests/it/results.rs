//! Runs against the simulator and what they leave on disk.

use crate::{fast_sim, run_in, stderr, stdout};
use headroom_core::{ErrorKind, Phase};
use headroom_metrics::Summary;
use headroom_results::{Manifest, RunStatus, read_journal, read_json};
use headroom_testkit::spawn_sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_leaves_a_complete_results_directory() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--url",
            &sim.url,
            "--concurrency",
            "4",
            "--requests",
            "30",
            "--warmup",
            "6",
            "--input-tokens",
            "50",
            "--output-tokens",
            "12",
            "--label",
            "gpu=L20",
            "--label",
            "team=infra",
            "--out",
            "out",
            "--api-key",
            "sk-secret",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let m: Manifest = read_json(&out.join("manifest.json")).unwrap();
    assert_eq!(m.status, RunStatus::Complete);
    assert_eq!(m.labels["gpu"], "L20");
    assert_eq!(m.scenario.target.model, "headroom-sim");
    assert!(m.scenario.target.api_key);
    assert!(
        !m.command.iter().any(|a| a.contains("sk-secret")),
        "{:?}",
        m.command
    );
    assert!(!m.target.embedded_simulator);
    assert!(m.ended_at.is_some());
    let j = read_journal(&out.join("requests.jsonl")).unwrap();
    assert!(j.damaged.is_empty());
    assert_eq!(j.records.len(), 36);
    assert_eq!(
        j.records
            .iter()
            .filter(|r| r.phase == Phase::Warmup)
            .count(),
        6
    );
    let s: Summary = read_json(&out.join("summary.json")).unwrap();
    assert_eq!(s.counts.ok, 30);
    assert_eq!(s.counts.warmup, 6);
    assert_eq!(s.tokens.output, 30 * 12);
    // The summary can be rebuilt from the journal and the telemetry alone.
    let mut r = headroom_metrics::Recorder::new();
    for rec in &j.records {
        r.add(rec);
    }
    let mut rebuilt = r.finish(m.epoch_unix_us);
    let telemetry = headroom_results::read_telemetry(&out.join("telemetry.jsonl")).unwrap();
    let window = (
        rebuilt.windows.start().unwrap(),
        rebuilt.windows.end().unwrap(),
    );
    let f =
        headroom_telemetry::WindowFigures::over_run(&telemetry.records, window, m.epoch_unix_us);
    (rebuilt.server, rebuilt.gpu, rebuilt.host) = (f.server, f.gpu, f.host);
    assert!(
        rebuilt.server.is_some(),
        "the embedded simulator's /metrics was scraped"
    );
    assert_eq!(rebuilt, s);
    // stdout is the report, stderr the log.
    let table = stdout(&o);
    assert!(
        table.contains("Time to first token (ms)") && table.contains("Requests: 30 ok, 0 failed"),
        "{table}"
    );
    assert!(!table.contains("INFO"));
    assert!(stderr(&o).contains("results in out"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_csv_formats_print_data_only() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run", "--url", &sim.url, "-n", "5", "--format", "json", "-q",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["requests"]["ok"], 5);
    assert!(v["metrics"]["ttft"]["p99"].as_f64().unwrap() > 0.0);
    let o = run_in(
        dir.path(),
        &["run", "--url", &sim.url, "-n", "5", "--format", "csv", "-q"],
    )
    .await;
    assert!(o.status.success());
    let csv = stdout(&o);
    assert!(
        csv.starts_with("Metric,unit,avg,min,max,p99,p95,p90,p75,p50"),
        "{csv}"
    );
    // Numbers as a person or a spreadsheet wants them: no float noise past 4 decimals.
    let numbers = csv.lines().flat_map(|l| l.split(','));
    for cell in numbers.filter(|c| c.starts_with(|c: char| c.is_ascii_digit())) {
        if let Some((_, decimals)) = cell.split_once('.') {
            assert!(
                decimals.len() <= 4 && cell.parse::<f64>().is_ok(),
                "{cell} in {csv}"
            );
        }
    }
    assert!(
        stderr(&o).is_empty(),
        "-q keeps stderr quiet: {}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_with_a_cap_records_intended_times_and_lag() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--url",
            &sim.url,
            "--rate",
            "200",
            "--arrival",
            "gamma",
            "--burstiness",
            "0.5",
            "--max-concurrency",
            "8",
            "--requests",
            "60",
            "--output-tokens",
            "4",
            "--out",
            "o",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let j = read_journal(&dir.path().join("o/requests.jsonl")).unwrap();
    assert_eq!(j.records.len(), 60);
    assert!(
        j.records
            .iter()
            .all(|r| r.intended_us.is_some() && r.lag_us().is_some())
    );
    assert!(stdout(&o).contains("Scheduling lag (ms)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_url_the_embedded_simulator_answers_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["run", "-n", "10", "--output-tokens", "5"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("started the embedded simulator at http://127.0.0.1:"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("embedded simulator"));
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("results"))
        .unwrap()
        .collect();
    assert_eq!(runs.len(), 1, "default results/<timestamp>");
    let m: Manifest = read_json(&runs[0].as_ref().unwrap().path().join("manifest.json")).unwrap();
    assert!(m.target.embedded_simulator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_request_fails_the_exit_is_non_zero_and_the_records_are_kept() {
    let mut cfg = fast_sim();
    cfg.faults.specs = vec!["http-503=1".parse().unwrap()];
    let sim = spawn_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &["run", "--url", &sim.url, "-n", "8", "--out", "o"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("every one of the 8 measured requests failed (http_status 8)"),
        "{e}"
    );
    let j = read_journal(&dir.path().join("o/requests.jsonl")).unwrap();
    assert_eq!(j.records.len(), 8);
    assert!(j.records.iter().all(
        |r| r.outcome.error_kind() == Some(ErrorKind::HttpStatus) && r.http_status == Some(503)
    ));
    assert!(stdout(&o).contains("8 failed (100.0 %: http_status 8)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_run_is_never_overwritten() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--url", &sim.url, "-n", "3", "--out", "same"];
    assert!(run_in(dir.path(), &args).await.status.success());
    let o = run_in(dir.path(), &args).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already holds a run"), "{}", stderr(&o));
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_run_with_a_message_and_keeps_the_manifest() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    std::fs::create_dir(&out).unwrap();
    // Every write to /dev/full fails with ENOSPC, like a full disk.
    std::os::unix::fs::symlink("/dev/full", out.join("requests.jsonl")).unwrap();
    let o = run_in(
        dir.path(),
        &["run", "--url", &sim.url, "-n", "50", "--out", "o"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("could not be written") && e.contains("No space left on device"),
        "{e}"
    );
    let m: Manifest = read_json(&out.join("manifest.json")).unwrap();
    assert_eq!(m.status, RunStatus::Failed);
    assert!(m.status_message.unwrap().contains("No space left"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_releases_every_request_at_once_and_reports_the_total_time() {
    // A first token after 300 ms: every send of the burst comes before any end.
    let mut cfg = fast_sim();
    cfg.timing.ttft = std::time::Duration::from_millis(300);
    let sim = spawn_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "run",
            "--url",
            &sim.url,
            "--burst",
            "12",
            "--output-tokens",
            "8",
            "--out",
            "b",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("burst of 12 (released together)"), "{text}");
    assert!(text.contains("Burst: all 12 requests done"), "{text}");
    let m: Manifest = read_json(&dir.path().join("b/manifest.json")).unwrap();
    assert_eq!(
        m.scenario.plan.load,
        headroom_core::LoadPolicy::Closed { concurrency: 12 }
    );
    assert_eq!(m.scenario.plan.stop.requests, Some(12));
    // Every request was sent before any ended: they were released together.
    let j = read_journal(&dir.path().join("b/requests.jsonl")).unwrap();
    let last_send = j.records.iter().filter_map(|r| r.send_us).max().unwrap();
    let first_end = j.records.iter().filter_map(|r| r.end_us).min().unwrap();
    assert!(last_send < first_end, "{last_send} {first_end}");
    // A burst is the whole load: a stop rule beside it is a usage error.
    let o = run_in(
        dir.path(),
        &["run", "--url", &sim.url, "--burst", "4", "-n", "10"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
