//! `headroom profile`: genai-perf command lines, run unchanged but for the program name,
//! against the simulator, and the genai-perf files they leave.

use crate::{headroom, stderr, stdout};
use headroom_core::{ApiFlavor, Outcome};
use headroom_results::{Manifest, read_journal, read_json};
use headroom_testkit::{SimHandle, spawn_sim};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

const MODEL: &str = "openai/gpt-oss-20b";
const LLAMA: &str = "hf-internal-testing/llama-tokenizer";

/// A Hugging Face cache holding `hf-internal-testing/llama-tokenizer` (a hand-made
/// word-level tokenizer under that name), or nothing when `with_llama` is false.
fn fake_hf_home(root: &Path, with_llama: bool) -> PathBuf {
    let home = root.join("hf");
    let hub = home.join("hub");
    std::fs::create_dir_all(&hub).unwrap();
    if with_llama {
        let repo = hub.join("models--hf-internal-testing--llama-tokenizer");
        let snap = repo.join("snapshots").join("d02ad6c");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs").join("main"), "d02ad6c\n").unwrap();
        crate::workload::word_level_tokenizer(&snap);
    }
    home
}

/// The simulator on exact timing (TTFT 5 ms, 1 ms a token), serving `MODEL` and counting
/// prompts with `tokenizer` as a real server would.
async fn sim(tokenizer: headroom_workload::Tokenizer) -> SimHandle {
    spawn_sim(headroom_sim::SimConfig {
        model: MODEL.into(),
        tokenizer: Arc::new(tokenizer),
        timing: headroom_sim::FixedTiming {
            ttft: Duration::from_millis(5),
            itl: Duration::from_millis(1),
            tokens_per_chunk: 1,
        },
        ..headroom_sim::SimConfig::default()
    })
    .await
}

/// Runs `headroom profile ARGS` in `cwd` with the Hugging Face cache at `hf_home` (and no
/// other cache visible).
async fn profile(cwd: &Path, hf_home: &Path, args: &[&str]) -> Output {
    let mut c = headroom();
    c.current_dir(cwd)
        .env("HF_HOME", hf_home)
        .env("HF_HUB_CACHE", hf_home.join("hub"))
        .env("XDG_CACHE_HOME", hf_home.join("xdg"))
        .env("HOME", hf_home.join("home"))
        .arg("profile")
        .args(args);
    tokio::task::spawn_blocking(move || c.output().expect("headroom runs"))
        .await
        .unwrap()
}

/// Seed 004's command line (a genai-perf workflow), verbatim but for `--url` and, when
/// given, `--artifact-dir`.
fn seed_004(url: &str) -> Vec<&str> {
    vec![
        "-m",
        "openai/gpt-oss-20b",
        "--url",
        url,
        "--service-kind",
        "openai",
        "--endpoint-type",
        "completions",
        "--num-prompts",
        "100",
        "--synthetic-input-tokens-mean",
        "200",
        "--synthetic-input-tokens-stddev",
        "20",
        "--output-tokens-mean",
        "100",
        "--output-tokens-stddev",
        "10",
        "--concurrency",
        "20",
        "--tokenizer",
        "hf-internal-testing/llama-tokenizer",
        "--generate-plots",
    ]
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

/// The one results directory under `<artifact dir>/headroom/`.
fn results_dirs(artifact_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(artifact_dir.join("headroom"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// genai-perf's statistics files parse and hold its keys; `streamed` decides whether TTFT
/// and inter-token latency are there.
fn check_genai_perf_files(artifact_dir: &Path, streamed: bool) -> serde_json::Value {
    let j = json(&artifact_dir.join("profile_export_genai_perf.json"));
    for key in [
        "request_latency",
        "output_sequence_length",
        "input_sequence_length",
    ] {
        for stat in [
            "avg", "min", "max", "p99", "p95", "p90", "p75", "p50", "p25", "std",
        ] {
            assert!(j[key][stat].is_number(), "{key}.{stat}: {j}");
        }
    }
    for key in ["request_throughput", "output_token_throughput"] {
        assert!(j[key]["avg"].as_f64().unwrap() > 0.0, "{key}: {j}");
    }
    assert_eq!(j["request_latency"]["unit"], "ms");
    assert_eq!(j["input_sequence_length"]["unit"], "tokens");
    assert_eq!(j["request_throughput"]["unit"], "requests/sec");
    assert_eq!(j["output_token_throughput"]["unit"], "tokens/sec");
    for key in ["time_to_first_token", "inter_token_latency"] {
        assert_eq!(j.get(key).is_some(), streamed, "{key}: {j}");
    }
    let csv = std::fs::read_to_string(artifact_dir.join("profile_export_genai_perf.csv")).unwrap();
    assert!(csv.ends_with("\r\n"), "CRLF, as Python's csv module writes");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], "Metric,avg,min,max,p99,p95,p90,p75,p50,p25");
    assert!(lines.iter().any(|l| l.starts_with("Request Latency (ms),")));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Input Sequence Length,"))
    );
    assert!(lines.contains(&"Metric,Value"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Request Throughput (per sec),"))
    );
    assert_eq!(
        lines
            .iter()
            .any(|l| l.starts_with("Time To First Token (ms),")),
        streamed
    );
    j
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_004_genai_perf_command_runs_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let hf = fake_hf_home(dir.path(), true);
    let tokenizer = headroom_workload::Tokenizer::resolve_in(LLAMA, &[hf.join("hub")]).unwrap();
    let sim = sim(tokenizer).await;
    let artifacts = dir.path().join("c20");
    let mut args = seed_004(&sim.url);
    args.extend(["--artifact-dir", artifacts.to_str().unwrap()]);
    let o = profile(dir.path(), &hf, &args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The console: genai-perf's table, not streamed (genai-perf streams only with --streaming).
    let out = stdout(&o);
    assert!(out.contains("headroom profile | LLM Metrics"), "{out}");
    for row in [
        "Request latency (ms)",
        "Output sequence length",
        "Input sequence length",
        "Output token throughput (per sec)",
        "Request throughput (per sec)",
    ] {
        assert!(out.contains(row), "{row}: {out}");
    }
    assert!(!out.contains("Time to first token"), "{out}");
    assert!(out.contains("Requests: 100 ok, 0 failed"), "{out}");
    let err = stderr(&o);
    assert!(err.contains("not streaming"), "{err}");

    // 100 requests (--num-prompts), to /v1/completions, not streamed.
    assert_eq!(
        sim.sim
            .stats()
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        100
    );
    let runs = results_dirs(&artifacts);
    assert_eq!(runs.len(), 1, "{runs:?}");
    // --generate-plots: the report and its plots (not streamed: latency, no TTFT).
    assert!(runs[0].join("report.html").is_file());
    assert!(runs[0].join("plots/e2e-histogram.png").is_file());
    assert!(!runs[0].join("plots/ttft-cdf.svg").exists());
    let m: Manifest = read_json(&runs[0].join("manifest.json")).unwrap();
    assert_eq!(m.scenario.target.api, ApiFlavor::Completions);
    assert_eq!(
        m.scenario.target.endpoint,
        format!("{}/v1/completions", sim.url)
    );
    assert!(!m.scenario.target.stream);
    assert_eq!(m.scenario.target.model, MODEL);
    assert!(
        m.scenario.workload.tokenizer.starts_with(LLAMA),
        "{}",
        m.scenario.workload.tokenizer
    );
    assert_eq!(m.scenario.workload.num_prompts, Some(100));
    let j = read_journal(&runs[0].join("requests.jsonl")).unwrap();
    assert_eq!(j.records.len(), 100);
    assert!(j.records.iter().all(|r| matches!(r.outcome, Outcome::Ok)));
    // Lengths as asked: prompts of 200 ± 20 tokens (the server, counting with the same
    // tokenizer, agrees), outputs of 100 ± 10.
    let mean = |v: Vec<u32>| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    let input = mean(j.records.iter().map(|r| r.input_tokens).collect());
    let requested: Vec<u32> = j
        .records
        .iter()
        .map(|r| r.requested_input_tokens.unwrap())
        .collect();
    assert!((190.0..210.0).contains(&mean(requested.clone())), "{input}");
    assert!((input - mean(requested)).abs() < 0.01, "{input}");
    let max_tokens = mean(j.records.iter().map(|r| r.max_tokens).collect());
    assert!((95.0..105.0).contains(&max_tokens), "{max_tokens}");

    // genai-perf's files, with its input_config.
    let g = check_genai_perf_files(&artifacts, false);
    assert!((g["input_sequence_length"]["avg"].as_f64().unwrap() - input).abs() < 0.01);
    let c = &g["input_config"];
    assert_eq!(c["model"][0], MODEL);
    assert_eq!(c["endpoint_type"], "completions");
    assert_eq!(c["service_kind"], "openai");
    assert_eq!(c["streaming"], false);
    assert_eq!(c["concurrency"], 20);
    assert_eq!(c["num_dataset_entries"], 100);
    assert_eq!(c["generate_plots"], true);
    assert_eq!(c["tokenizer"], LLAMA);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_artifact_dir_files_go_where_genai_perf_puts_them_and_reruns_work() {
    let dir = tempfile::tempdir().unwrap();
    let hf = fake_hf_home(dir.path(), true);
    let tokenizer = headroom_workload::Tokenizer::resolve_in(LLAMA, &[hf.join("hub")]).unwrap();
    let sim = sim(tokenizer).await;
    let artifacts = dir
        .path()
        .join("artifacts")
        .join("openai_gpt-oss-20b-openai-completions-concurrency20");
    // Twice, as scripts rerun: genai-perf's files are replaced, headroom's results kept.
    for run in 1..=2 {
        let o = profile(dir.path(), &hf, &seed_004(&sim.url)).await;
        assert_eq!(o.status.code(), Some(0), "run {run}: {}", stderr(&o));
        check_genai_perf_files(&artifacts, false);
        assert_eq!(results_dirs(&artifacts).len(), run);
    }
    let g = json(&artifacts.join("profile_export_genai_perf.json"));
    assert_eq!(
        g["input_config"]["artifact_dir"],
        "artifacts/openai_gpt-oss-20b-openai-completions-concurrency20"
    );
    assert!(
        g["input_config"]["headroom_results_dir"]
            .as_str()
            .unwrap()
            .starts_with("artifacts/openai_gpt-oss-20b-openai-completions-concurrency20/headroom/")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_gives_ttft_and_its_absence_none() {
    let dir = tempfile::tempdir().unwrap();
    // No tokenizer in the cache: genai-perf's default falls back to cl100k_base, which
    // the simulator counts with too.
    let hf = fake_hf_home(dir.path(), false);
    let sim = sim(headroom_workload::Tokenizer::default_builtin()).await;
    for streaming in [true, false] {
        let art = dir.path().join(format!("s{streaming}"));
        let mut args = vec![
            "-m",
            MODEL,
            "-u",
            // genai-perf's host:port form, without a scheme.
            sim.url.strip_prefix("http://").unwrap(),
            "--service-kind",
            "openai",
            "--endpoint-type",
            "chat",
            "--num-prompts",
            "6",
            "--isl",
            "20",
            "--osl",
            "5",
            "--output-tokens-mean-deterministic",
            "--concurrency",
            "2",
            "--warmup-request-count",
            "2",
            "--extra-inputs",
            "temperature:0",
            "--artifact-dir",
            art.to_str().unwrap(),
        ];
        if streaming {
            args.push("--streaming");
        }
        args.extend(["--", "-H", "Authorization: Bearer sk-secret"]);
        let o = profile(dir.path(), &hf, &args).await;
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.contains("Time to first token (ms)"), streaming, "{out}");
        assert_eq!(out.contains("Inter token latency (ms)"), streaming, "{out}");
        assert!(
            out.contains("Requests: 6 ok, 0 failed; 2 warmup requests excluded"),
            "{out}"
        );
        check_genai_perf_files(&art, streaming);
        let run = &results_dirs(&art)[0];
        let m: Manifest = read_json(&run.join("manifest.json")).unwrap();
        assert_eq!(m.scenario.target.api, ApiFlavor::Chat);
        assert_eq!(m.scenario.target.stream, streaming);
        assert_eq!(m.scenario.target.header_names, ["Authorization"]);
        assert!(!m.command.iter().any(|a| a.contains("sk-secret")));
        assert_eq!(
            m.scenario.target.extra_body.as_ref().unwrap()["temperature"],
            0
        );
        assert!(m.scenario.workload.ignore_eos);
        assert_eq!(m.scenario.workload.tokenizer, "cl100k_base");
        let j = read_journal(&run.join("requests.jsonl")).unwrap();
        assert_eq!(j.records.len(), 8);
        assert!(
            j.records
                .iter()
                .all(|r| r.input_tokens == 20 && r.output_tokens == 5)
        );
    }
}

#[test]
fn other_service_kinds_endpoint_types_and_unknown_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let hf = fake_hf_home(dir.path(), false);
    let url = headroom_testkit::refused_url();
    let base = ["profile", "-m", MODEL, "--url", &url];
    for (extra, want) in [
        (
            vec!["--service-kind", "triton", "--endpoint-type", "completions"],
            "headroom speaks the OpenAI API",
        ),
        // Not a dead end: what to use instead.
        (
            vec!["--backend", "vllm", "--endpoint-type", "chat"],
            "drop --backend and keep --service-kind openai",
        ),
        (
            vec![
                "--endpoint-type",
                "completions",
                "--stability-percentage",
                "5",
            ],
            "unexpected argument '--stability-percentage'",
        ),
        (
            vec!["--endpoint-type", "embeddings"],
            "chat or completions (embeddings is not supported)",
        ),
        (vec!["--service-kind", "openai"], "--endpoint-type"),
        (
            vec![
                "--endpoint-type",
                "chat",
                "--concurrency",
                "2",
                "--request-rate",
                "1",
            ],
            "cannot be used with",
        ),
        (
            vec!["--endpoint-type", "chat", "--output-tokens-stddev", "5"],
            "--output-tokens-mean",
        ),
        (
            vec!["--endpoint-type", "chat", "--endpoint", "v2/generate"],
            "ending in v1/chat/completions",
        ),
        (
            vec!["--endpoint-type", "chat", "--extra-inputs", "oops"],
            "expected NAME:VALUE",
        ),
        (
            vec!["--endpoint-type", "chat", "-m", "a", "-m", "b"],
            "one model per run",
        ),
        (
            vec!["--endpoint-type", "chat", "--", "--max-threads=4"],
            "only -H/--header",
        ),
    ] {
        let o = headroom()
            .current_dir(dir.path())
            .env("HF_HOME", &hf)
            .env("HOME", &hf)
            .args(base)
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(want), "{extra:?}: {e}");
    }
    assert!(
        !dir.path().join("artifacts").exists(),
        "nothing written for a usage error"
    );
}
