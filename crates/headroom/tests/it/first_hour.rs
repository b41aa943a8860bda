//! What a new user met in their first hour (fresh clone, README only, then the headline
//! commands and a dozen mistakes), each pinned so it stays fixed.

use crate::{ENGINE, headroom, run_in, stderr, stdout};
use headroom_results::{Manifest, read_json};

#[test]
fn every_bad_value_is_a_usage_error_whichever_command_gets_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<Vec<&str>> = Vec::new();
    for bad in [
        &["--rate", "0"][..],
        &["--concurrency", "0"],
        &["--duration", "30"],
        &["--requests", "0"],
        &["--threads", "0"],
    ] {
        let mut run = vec!["run"];
        run.extend(bad);
        cases.push(run);
        let mut predict = ENGINE.to_vec();
        predict.extend(bad);
        cases.push(predict);
    }
    for bad in [
        &["--rate", "0"][..],
        &["--concurrency", "0"],
        &["--repeats", "0"],
    ] {
        let mut sweep = ENGINE.to_vec();
        sweep.push("sweep");
        sweep.extend(bad);
        cases.push(sweep);
    }
    cases.push(vec!["capacity", "--slo", "p95(e2e)<=1s", "--start", "0"]);
    cases.push(vec![
        "capacity",
        "--slo",
        "p95(e2e)<=1s",
        "--confidence",
        "2",
    ]);
    cases.push(vec!["compare", "a", "b", "--fail-if", "p95(e2e) > +10"]);
    cases.push(vec!["compare", "a", "b", "--price", "a=free"]);
    for args in cases {
        let o = headroom()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    assert!(
        !dir.path().join("results").exists(),
        "a usage error writes nothing"
    );
}

#[test]
fn a_missing_dataset_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = headroom()
        .current_dir(dir.path())
        .args(["run", "--dataset", "jsonl:nope.jsonl"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert!(e.contains("nope.jsonl"), "{e}");
}

#[test]
fn predict_takes_every_workload_flag_before_or_after_its_plan() {
    let dir = tempfile::tempdir().unwrap();
    // A `run` command line pasted into `predict`.
    let mut args = ENGINE.to_vec();
    args.extend([
        "--ignore-eos",
        "-c",
        "4",
        "-n",
        "8",
        "--output-tokens",
        "50",
        "--out",
        "one",
    ]);
    let o = headroom()
        .current_dir(dir.path())
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Manifest = read_json(&dir.path().join("one/manifest.json")).unwrap();
    assert!(m.scenario.workload.ignore_eos);
    // Flags before `sweep` apply to the sweep (they were parsed and ignored before).
    let mut args = ENGINE.to_vec();
    args.extend([
        "--input-tokens",
        "300",
        "--out",
        "sw",
        "sweep",
        "--concurrency",
        "2",
        "-n",
        "4",
    ]);
    let o = headroom()
        .current_dir(dir.path())
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Manifest = read_json(&dir.path().join("sw/c2/manifest.json")).unwrap();
    assert_eq!(
        m.scenario.workload.input_tokens,
        headroom_core::LengthSpec::Fixed(300)
    );
}

#[tokio::test]
async fn a_report_of_an_embedded_simulator_run_names_it_not_its_dead_port() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(dir.path(), &["run", "-c", "2", "-n", "4", "--out", "r"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(dir.path(), &["report", "r"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let first = stdout(&o).lines().next().unwrap_or_default().to_string();
    assert!(first.contains("embedded simulator"), "{first}");
    assert!(!first.contains("127.0.0.1"), "{first}");
}

#[test]
fn a_reader_that_closes_stderr_early_does_not_crash_the_run() {
    // `headroom … 2>&1 | head -1`: the pipe closes after the first log line, and later
    // log lines must not panic (exit 101); the run still ends as it should.
    let dir = tempfile::tempdir().unwrap();
    let mut args = ENGINE.to_vec();
    args.extend(["-n", "20", "--out", "r"]);
    let mut child = headroom()
        .current_dir(dir.path())
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(dir.path().join("r/summary.json").exists());
}
