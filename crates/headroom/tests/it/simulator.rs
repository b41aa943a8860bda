//! The simulator as users run it: `headroom sim`, `headroom predict`, `headroom catalog`.

use crate::{headroom, run_in, stderr, stdout};
use headroom_metrics::{Metric, Summary};
use headroom_results::{Manifest, read_json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `headroom sim` on a free port, killed on drop.
struct SimProcess {
    child: Child,
    url: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(args: &[&str]) -> SimProcess {
    let mut child = headroom()
        .args(["sim", "--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        assert!(Instant::now() < deadline, "headroom sim did not start");
        let line = lines.next().expect("headroom sim exited").unwrap();
        if let Some(i) = line.find("http://127.0.0.1:") {
            let rest = &line[i..];
            break rest[..rest.find("/v1").unwrap()].to_string();
        }
    };
    // Keep draining stderr so the simulator never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    SimProcess { child, url }
}

fn summary(dir: &std::path::Path) -> Summary {
    read_json(&dir.join("summary.json")).unwrap()
}

fn near(what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want,
        "{what}: {got:.3} vs {want:.3} (more than {:.0} % apart)",
        rel * 100.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_and_a_real_http_run_against_the_simulator_agree() {
    let sim = start_sim(&["--gpu", "a10", "--model", "qwen3-8b-awq"]);
    let dir = tempfile::tempdir().unwrap();
    let workload = [
        "-c",
        "8",
        "-n",
        "32",
        "--input-tokens",
        "150..250",
        "--output-tokens",
        "20..40",
        "--seed",
        "5",
        // The first wave's TTFT includes connection setup and, on a loaded CI machine,
        // the two processes' start-up; compare steady state.
        "--warmup",
        "8",
        "-q",
    ];
    let http = run_in(
        dir.path(),
        &[&["run", "--url", &sim.url, "--out", "http"][..], &workload].concat(),
    )
    .await;
    assert!(http.status.success(), "{}", stderr(&http));
    let pred = run_in(
        dir.path(),
        &[
            &[
                "predict",
                "--gpu",
                "a10",
                "--model",
                "qwen3-8b-awq",
                "--out",
                "pred",
            ][..],
            &workload,
        ]
        .concat(),
    )
    .await;
    assert!(pred.status.success(), "{}", stderr(&pred));
    let (h, p) = (
        summary(&dir.path().join("http")),
        summary(&dir.path().join("pred")),
    );
    assert_eq!(h.counts.ok, 32);
    assert_eq!(p.counts.ok, 32);
    // Same seed, same requests: identical token totals.
    assert_eq!(h.tokens.output, p.tokens.output);
    assert_eq!(h.tokens.input, p.tokens.input);
    near(
        "output tok/s",
        h.throughput().output_tokens_per_s,
        p.throughput().output_tokens_per_s,
        0.05,
    );
    near(
        "median E2E",
        h.stats(Metric::E2e).p50,
        p.stats(Metric::E2e).p50,
        0.05,
    );
    // TTFT too: the prediction models the network round trip that makes a closed-loop
    // request miss the step that has just started.
    near(
        "median TTFT",
        h.stats(Metric::Ttft).p50,
        p.stats(Metric::Ttft).p50,
        0.10,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predict_writes_the_results_directory_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "predict",
            "--gpu",
            "l20",
            "--model",
            "qwen3-8b-awq",
            "-c",
            "20",
            "-n",
            "200",
            "--out",
            "p",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("predicted in virtual time") && table.contains("Requests: 200 ok"),
        "{table}"
    );
    let m: Manifest = read_json(&dir.path().join("p/manifest.json")).unwrap();
    assert!(m.target.virtual_time);
    assert_eq!(m.scenario.target.model, "Qwen/Qwen3-8B-AWQ");
    assert!(m.target.simulator.unwrap().contains("L20"));
    // The full spec is recorded: the prediction can be repeated from the manifest alone.
    let spec = m.target.simulator_spec.unwrap();
    assert_eq!(spec["gpu"]["name"], "L20");
    assert_eq!(spec["model"]["hf_id"], "Qwen/Qwen3-8B-AWQ");
    assert_eq!(spec["settings"]["max_num_seqs"], 256);
    assert_eq!(spec["constants"]["network_rtt_us"], 300.0);
    let j = headroom_results::read_journal(&dir.path().join("p/requests.jsonl")).unwrap();
    assert_eq!(j.records.len(), 200);
}

#[test]
fn vllm_flags_reach_the_engine_and_impossible_settings_are_refused() {
    let o = headroom()
        .args([
            "catalog",
            "--gpu",
            "a10",
            "--model",
            "qwen3-8b-awq",
            "--max-num-seqs",
            "7",
            "--max-model-len",
            "8192",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("max_num_seqs 7") && out.contains("max_model_len 8192"),
        "{out}"
    );
    assert!(
        out.contains("KV cache") && out.contains("step_overhead_us"),
        "{out}"
    );
    for (args, want) in [
        (vec!["predict", "--gpu", "a11"], "did you mean"),
        (
            vec!["predict", "--gpu", "rtx5070", "--model", "llama-3.1-8b"],
            "--tensor-parallel-size",
        ),
        (
            vec!["predict", "--gpu", "l4", "--model", "qwen3-8b"],
            "--max-model-len",
        ),
        (
            vec!["predict", "--perf", "warp_speed=9"],
            "unknown constant",
        ),
        (
            vec!["sim", "--gpu-memory-utilization", "1.5"],
            "gpu_memory_utilization must be in (0, 1]",
        ),
    ] {
        // Settings that cannot work are usage errors.
        let o = headroom().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn catalog_lists_gpus_and_models_and_prints_its_toml() {
    let o = headroom().arg("catalog").output().unwrap();
    let out = stdout(&o);
    for want in [
        "A10G",
        "H200",
        "qwen3-8b-awq",
        "openai/gpt-oss-20b",
        "Engine defaults",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    let o = headroom().args(["catalog", "--toml"]).output().unwrap();
    assert!(stdout(&o).contains("[[gpu]]"));
}

#[tokio::test]
async fn seed_001s_flags_the_model_does_not_cover_are_accepted_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "predict",
            "--gpu",
            "rtx5070",
            "--model",
            "qwen2.5-7b-instruct-awq",
            "--max-model-len",
            "8192",
            "--async-scheduling",
            "--kv-cache-dtype",
            "fp8",
            "--num-scheduler-steps",
            "10",
            "--kv_offloading_backend",
            "native",
            "--kv_offloading_size",
            "64",
            "--attention-backend",
            "FLASHINFER",
            "-c",
            "4",
            "-n",
            "20",
            "--out",
            "p",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for flag in [
        "--num-scheduler-steps 10",
        "--kv-offloading-size 64 GB",
        "--attention-backend FLASHINFER",
    ] {
        assert_eq!(err.matches(flag).count(), 1, "said once: {flag}\n{err}");
    }
    assert_eq!(err.matches("not modelled").count(), 3, "{err}");
    assert!(
        !err.contains("--async-scheduling:"),
        "async scheduling is modelled: {err}"
    );
}
