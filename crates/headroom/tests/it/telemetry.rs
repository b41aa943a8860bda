//! The server's own metrics, scraped beside a run: what they say, and a scrape that fails.

use crate::{fast_sim, run_in, stderr};
use headroom_metrics::Summary;
use headroom_results::{read_json, read_telemetry};
use headroom_testkit::spawn_sim;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A simulator slow enough (40 ms TTFT, 5 ms per token: about 0.14 s per request) that a
/// short run spans several 100 ms scrapes.
fn timed_sim() -> headroom_sim::SimConfig {
    let mut cfg = fast_sim();
    cfg.timing.ttft = std::time::Duration::from_millis(40);
    cfg.timing.itl = std::time::Duration::from_millis(5);
    cfg
}

/// A short streamed run against `url` with `extra` flags, into `dir/out`.
async fn short_run(dir: &std::path::Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--url",
        url,
        "-c",
        "4",
        "-n",
        "24",
        "--output-tokens",
        "20",
        "--scrape-interval",
        "100ms",
        "--out",
        "out",
    ];
    args.extend(extra);
    run_in(dir, &args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_view_sits_beside_the_clients() {
    let sim = spawn_sim(timed_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = short_run(dir.path(), &sim.url, &[]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let summary: Summary = read_json(&out.join("summary.json")).unwrap();
    let server = summary
        .server
        .as_ref()
        .expect("the simulator's /metrics was scraped");
    assert_eq!(server.engine, headroom_telemetry::Engine::Vllm);
    assert!(
        server.scrapes >= 3,
        "a baseline, at least one during, one after: {}",
        server.scrapes
    );
    assert_eq!(server.failed_scrapes, 0);
    // Every measured request, as the server counted it.
    let ttft = server.ttft.as_ref().unwrap();
    assert_eq!(ttft.count, 24.0);
    assert_eq!(server.generation_tokens, Some(summary.tokens.output as f64));
    // The client's median TTFT lies in the bucket that holds the server's.
    let client = summary.stats(headroom_metrics::Metric::Ttft).p50 / 1e3;
    let (lo, hi) = ttft.buckets.bucket_of(ttft.p50_ms.unwrap() / 1e3);
    assert!(
        lo <= client && client <= hi,
        "client {client} s, server bucket {lo}–{hi} s"
    );
    let running = server.running.unwrap();
    assert!(running.max >= 1.0 && running.max <= 4.0, "{running:?}");
    // telemetry.jsonl: a line per scrape (and per host reading), on the records' clock
    // (the baseline before 0).
    let lines = read_telemetry(&out.join("telemetry.jsonl")).unwrap();
    assert!(lines.damaged.is_empty());
    let scrapes: Vec<_> = lines.records.iter().filter(|s| s.is_server()).collect();
    assert_eq!(scrapes.len() as u64, server.scrapes);
    assert!(scrapes[0].t_us <= 0, "{}", scrapes[0].t_us);
    assert!(lines.records.windows(2).all(|w| w[0].t_us <= w[1].t_us));
    assert!(summary.host.is_some(), "the host is read beside the server");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("Server (vLLM /metrics"), "{text}");
    assert!(text.contains("Generated tokens: server"), "{text}");
    // A killed run (no summary.json): the report rebuilds the server's view too.
    std::fs::remove_file(out.join("summary.json")).unwrap();
    let o = run_in(dir.path(), &["report", "out"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Server (vLLM /metrics"), "{md}");
    // `off` scrapes nothing.
    let off = tempfile::tempdir().unwrap();
    let o = short_run(off.path(), &sim.url, &["--metrics-url", "off"]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!off.path().join("out/telemetry.jsonl").exists());
    let summary: Summary = read_json(&off.path().join("out/summary.json")).unwrap();
    assert!(summary.server.is_none());
}

/// Reads a request on `conn` and answers it with `body` (text), closing the connection.
async fn answer(mut conn: tokio::net::TcpStream, body: &str) {
    let mut buf = [0u8; 4096];
    let _ = conn.read(&mut buf).await;
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(reply.as_bytes()).await;
}

/// Serves one scrape, then goes away: every later scrape is refused.
async fn metrics_that_die_after_one_scrape() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let body = "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running 0\n";
        answer(conn, body).await;
        // The listener drops here: the port refuses from now on.
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_endpoint_that_dies_mid_run_leaves_a_complete_run_and_one_warning() {
    let sim = spawn_sim(timed_sim()).await;
    let metrics = metrics_that_die_after_one_scrape().await;
    let dir = tempfile::tempdir().unwrap();
    let o = short_run(dir.path(), &sim.url, &["--metrics-url", &metrics]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("could not scrape the server's metrics").count(),
        1,
        "{err}"
    );
    let out = dir.path().join("out");
    let summary: Summary = read_json(&out.join("summary.json")).unwrap();
    assert_eq!(summary.counts.ok, 24, "the run itself is whole");
    let server = summary.server.unwrap();
    assert!(server.failed_scrapes >= 1 && server.failed_scrapes < server.scrapes);
    let lines = read_telemetry(&out.join("telemetry.jsonl")).unwrap();
    assert!(lines.records.iter().any(|s| s.error.is_some()));
    assert!(
        lines.records[0].server.is_some(),
        "the first scrape was served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_queue_and_cache_grow_with_load_in_a_sweep() {
    // A fast engine (OPT-125M on an H200) that batches at most 4: at 16 users, 12 wait.
    let engine = headroom_sim::EngineOptions {
        gpu: Some("h200".into()),
        model: Some("opt-125m".into()),
        max_num_seqs: Some(4),
        ..headroom_sim::EngineOptions::default()
    };
    let sim = spawn_sim(headroom_sim::SimConfig::engine(engine.spec(0).unwrap())).await;
    let dcgm = format!("dcgm:{}", dcgm_exporter().await);
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "sweep",
            "--gpu-telemetry",
            &dcgm,
            "--url",
            &sim.url,
            "--concurrency",
            "1,16",
            "-n",
            "48",
            "--input-tokens",
            "500",
            "--output-tokens",
            "32",
            "--scrape-interval",
            "100ms",
            "--out",
            "sw",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: headroom_results::SweepDoc = read_json(&dir.path().join("sw/sweep.json")).unwrap();
    let server = |level: f64| {
        let l = doc.levels.iter().find(|l| l.level == level).unwrap();
        l.merged.server.unwrap()
    };
    let (one, sixteen) = (server(1.0), server(16.0));
    assert_eq!(one.waiting_max, Some(0.0), "one user never waits: {one:?}");
    assert!(sixteen.waiting_max.unwrap() >= 8.0, "{sixteen:?}");
    assert!(
        sixteen.running_mean.unwrap() <= 4.0,
        "the batch holds 4: {sixteen:?}"
    );
    assert!(
        sixteen.kv_mean.unwrap() > one.kv_mean.unwrap(),
        "{one:?} {sixteen:?}"
    );
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(table.contains("Server queue (mean/max)"), "{table}");
    // The fullest of the exporter's two GPUs: 40,100 MiB.
    assert!(
        table.contains("VRAM peak (GiB)") && table.contains("39.2"),
        "{table}"
    );
    let md = std::fs::read_to_string(dir.path().join("sw/report.md")).unwrap();
    assert!(md.contains("Server queue (mean/max)"));
    assert!(
        dir.path()
            .join("sw/plots/server-queue-vs-load.svg")
            .exists()
    );
}

/// A DCGM exporter for two GPUs whose power rises 10 W every scrape.
async fn dcgm_exporter() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut scrape = 0u32;
        while let Ok((conn, _)) = listener.accept().await {
            scrape += 1;
            let mut body = String::new();
            for gpu in 0..2 {
                let l = format!("gpu=\"{gpu}\",UUID=\"GPU-{gpu}\",modelName=\"NVIDIA L20\"");
                body.push_str(&format!(
                    "DCGM_FI_DEV_FB_USED{{{l}}} {}\nDCGM_FI_DEV_FB_FREE{{{l}}} 1000\n\
                     DCGM_FI_DEV_GPU_UTIL{{{l}}} 90\nDCGM_FI_DEV_POWER_USAGE{{{l}}} {}\n",
                    40_000 + gpu * 100,
                    200 + 10 * scrape
                ));
            }
            answer(conn, &body).await;
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dcgm_exporter_fills_the_gpu_lines_and_the_energy_per_token() {
    let sim = spawn_sim(timed_sim()).await;
    let dcgm = format!("dcgm:{}", dcgm_exporter().await);
    let dir = tempfile::tempdir().unwrap();
    let o = short_run(dir.path(), &sim.url, &["--gpu-telemetry", &dcgm]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let summary: Summary = read_json(&out.join("summary.json")).unwrap();
    let gpu = summary.gpu.as_ref().expect("the exporter was read");
    assert_eq!(gpu.gpus.len(), 2);
    let g1 = &gpu.gpus[1];
    assert_eq!(g1.memory_used_max_bytes, Some(40_100.0 * 1024.0 * 1024.0));
    assert_eq!(g1.memory_total_bytes, Some(41_100.0 * 1024.0 * 1024.0));
    assert!((g1.utilization_mean.unwrap() - 0.9).abs() < 1e-9);
    assert!(gpu.energy_j().unwrap() > 0.0);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.contains("GPU 1 (NVIDIA L20): memory peak 39.2 of 40.1 GiB"),
        "{text}"
    );
    assert!(text.contains("J per output token"), "{text}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("VRAM Usage: 39.2 GiB of 40.1 GiB (peak)"),
        "{md}"
    );
    assert!(md.contains("GPU Utilization: 90% (mean)"), "{md}");
    for chart in [
        "gpu-utilization-over-time",
        "gpu-memory-over-time",
        "gpu-power-over-time",
    ] {
        assert!(out.join(format!("plots/{chart}.svg")).exists(), "{chart}");
    }
}

#[tokio::test]
async fn asking_for_nvml_where_there_is_none_is_a_usage_error() {
    let sim = spawn_sim(fast_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let o = short_run(dir.path(), &sim.url, &["--gpu-telemetry", "nvml"]).await;
    if o.status.success() {
        return; // This machine has NVML: the run read it.
    }
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("NVML is not available on this machine"),
        "{}",
        stderr(&o)
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing was sent or written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_pid_samples_the_servers_processes_and_a_wrong_one_is_refused() {
    // The simulator runs inside this test process: its pid is the server's.
    let sim = spawn_sim(timed_sim()).await;
    let pid = std::process::id().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = short_run(dir.path(), &sim.url, &["--server-pid", &pid]).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: Summary = read_json(&dir.path().join("out/summary.json")).unwrap();
    let host = summary.host.expect("the host was sampled");
    assert!(
        host.memory_used_max_bytes > 0.0 && host.memory_used_max_bytes < host.memory_total_bytes
    );
    assert!(host.server_rss_max_bytes.unwrap() > 1e6, "{host:?}");
    assert!(host.server_cpu_cores.is_some(), "{host:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("server processes: resident peak"));
    let o = short_run(dir.path(), &sim.url, &["--server-pid", "4294967294"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no such process"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_sets_the_servers_side_by_side() {
    let sim = spawn_sim(timed_sim()).await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [&a, &b] {
        let o = short_run(d.path(), &sim.url, &[]).await;
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (pa, pb) = (a.path().join("out"), b.path().join("out"));
    let o = run_in(
        a.path(),
        &[
            "compare",
            pa.to_str().unwrap(),
            pb.to_str().unwrap(),
            "--out",
            "cmp",
        ],
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("Server and GPU"), "{text}");
    assert!(text.contains("Server TTFT p95 (ms)"), "{text}");
    assert!(text.contains("Requests waiting (mean / max)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_capacity_level_shows_the_queue_behind_it() {
    let engine = headroom_sim::EngineOptions {
        gpu: Some("h200".into()),
        model: Some("opt-125m".into()),
        max_num_seqs: Some(2),
        ..headroom_sim::EngineOptions::default()
    };
    let sim = spawn_sim(headroom_sim::SimConfig::engine(engine.spec(0).unwrap())).await;
    let dir = tempfile::tempdir().unwrap();
    let o = run_in(
        dir.path(),
        &[
            "capacity",
            "--url",
            &sim.url,
            "--slo",
            "p95(ttft)<=30ms",
            "--search",
            "linear",
            "--start",
            "1",
            "--step",
            "15",
            "-n",
            "40",
            "--input-tokens",
            "500",
            "--output-tokens",
            "32",
            "--scrape-interval",
            "100ms",
            "--out",
            "cap",
        ],
    )
    .await;
    let doc: headroom_results::CapacityDoc =
        read_json(&dir.path().join("cap/capacity.json")).unwrap();
    let failed = doc
        .levels
        .iter()
        .find(|l| l.level == 16.0)
        .expect("16 was measured");
    assert_eq!(
        failed.verdict,
        headroom_metrics::slo::Verdict::Fail,
        "{}",
        stderr(&o)
    );
    let queue = failed.merged.server.unwrap().waiting_max.unwrap();
    assert!(queue >= 8.0, "16 users on a batch of 2 queue: {queue}");
    let md = std::fs::read_to_string(dir.path().join("cap/report.md")).unwrap();
    let levels = md.split("## Levels").nth(1).unwrap();
    assert!(levels.contains("Server queue (mean/max)"), "{levels}");
}
