//! Ctrl-C and kill: partial results are on disk and say so.

use crate::{fast_sim, headroom};
use headroom_core::ErrorKind;
use headroom_results::{Manifest, RunStatus, read_journal, read_json};
use headroom_testkit::spawn_sim;
use std::path::Path;
use std::time::{Duration, Instant};

/// Waits (bounded) until the journal has at least `n` lines.
async fn wait_for_lines(path: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = std::fs::read_to_string(path).map_or(0, |s| s.lines().count());
        if lines >= n {
            return;
        }
        assert!(Instant::now() < deadline, "the run never wrote {n} records");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_after_the_grace_writes_everything_and_exits_130() {
    let mut cfg = fast_sim();
    cfg.timing.itl = Duration::from_millis(20);
    let sim = spawn_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    // 200 tokens at 20 ms: each request takes 4 s, far longer than the 300 ms grace.
    let child = headroom()
        .current_dir(dir.path())
        .args([
            "run",
            "--url",
            &sim.url,
            "-c",
            "4",
            "-n",
            "1000",
            "--output-tokens",
            "200",
        ])
        .args(["--grace", "300ms", "--out", "o", "--timeout", "30s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is sending (the manifest exists), then interrupt.
    let manifest = dir.path().join("o/manifest.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !manifest.exists() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(child.id(), "-INT");
    let o = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("interrupted") && err.contains("partial"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("PARTIAL RESULTS"));
    let m: Manifest = read_json(&manifest).unwrap();
    assert_eq!(m.status, RunStatus::Interrupted);
    let j = read_journal(&dir.path().join("o/requests.jsonl")).unwrap();
    assert_eq!(j.records.len(), 4, "the 4 in flight are recorded");
    assert!(
        j.records
            .iter()
            .all(|r| r.outcome.error_kind() == Some(ErrorKind::Cancelled)
                && !r.content_us.is_empty())
    );
    assert!(dir.path().join("o/summary.json").exists());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_leaves_a_readable_journal() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = headroom()
        .current_dir(dir.path())
        .args([
            "run",
            "--url",
            &sim.url,
            "-c",
            "8",
            "-n",
            "1000000",
            "--output-tokens",
            "5",
            "--out",
            "o",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.path().join("o/requests.jsonl");
    wait_for_lines(&journal, 50).await;
    signal(child.id(), "-KILL");
    let _ = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    let j = read_journal(&journal).unwrap();
    assert!(j.records.len() >= 50);
    assert!(
        j.damaged.len() <= 1,
        "at most a torn last line: {:?}",
        j.damaged
    );
    let m: Manifest = read_json(&dir.path().join("o/manifest.json")).unwrap();
    assert_eq!(
        m.status,
        RunStatus::Running,
        "killed without a chance to say otherwise"
    );
    assert!(m.epoch_unix_us > 0);
}
