//! `headroom profile`: genai-perf's `profile` command line, measured by headroom's
//! pipeline. The flags resolve into the same [`RunSettings`] as `headroom run`, the run
//! writes the same results directory, and genai-perf's console table and statistics files
//! (`profile_export_genai_perf.json` and `.csv`) are written from headroom's summary.

use super::pipeline::Common;
use super::run::RunSettings;
use crate::cli::{Format, LoadArgs, OutputArgs, ProfileArgs, WorkloadArgs};
use anyhow::Context as _;
use headroom_client::ClientConfig;
use headroom_core::{ApiFlavor, ArrivalKind, Warmup};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// genai-perf's default tokenizer, used when it is in the local cache.
const GENAI_PERF_TOKENIZER: &str = "hf-internal-testing/llama-tokenizer";

/// The console table's title (genai-perf's reads `NVIDIA GenAI-Perf | LLM Metrics`).
const TITLE: &str = "headroom profile | LLM Metrics";

/// A mistake in the command line found after clap parsed it: exit status 2, like clap's.
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(msg.into()))
}

/// Validated settings of one profile.
#[derive(Debug)]
pub struct ProfileSettings {
    run: RunSettings,
    /// Where genai-perf's files go.
    artifact_dir: PathBuf,
    /// `profile_export` of `profile_export.json`.
    export_stem: String,
    generate_plots: bool,
    /// The flags as genai-perf records them in its JSON's `input_config`.
    input_config: Vec<(&'static str, Value)>,
}

pub fn execute(a: ProfileArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let settings = match ProfileSettings::resolve(a, quiet, verbose) {
        Ok(s) => s,
        Err(e) if e.is::<Usage>() => {
            tracing::error!("{e:#}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e),
    };
    let rt = super::runtime(settings.run.common.threads)?;
    rt.block_on(profile(settings))
}

impl ProfileSettings {
    /// Checks the genai-perf flags and resolves them into headroom's settings.
    pub fn resolve(a: ProfileArgs, quiet: bool, verbose: bool) -> anyhow::Result<Self> {
        let [model] = <[String; 1]>::try_from(a.model.clone()).map_err(|m| {
            usage(format!(
                "-m/--model: headroom measures one model per run, got {} ({}); run once per model",
                m.len(),
                m.join(", ")
            ))
        })?;
        let api = a.endpoint_type;
        let url = match &a.endpoint {
            None => a.url.clone(),
            Some(ep) => endpoint_url(&a.url, ep, api)?,
        };
        headroom_client::Endpoints::resolve(&url, api).map_err(|e| usage(e.to_string()))?;

        let mut raw_headers = a.headers.clone();
        raw_headers.extend(passthrough_headers(&a.passthrough)?);
        let headers = super::run::headers(&raw_headers).map_err(|e| usage(format!("{e:#}")))?;
        let mut extra = extra_inputs(&a.extra_inputs)?;
        let mut streaming = a.streaming;
        // genai-perf documents `--extra-inputs stream:true`; the client must know it too.
        if let Some(v) = extra.remove("stream") {
            streaming = v.as_bool().ok_or_else(|| {
                usage(format!("--extra-inputs stream:{v}: expected true or false"))
            })?;
        }
        if !streaming {
            tracing::info!(
                "not streaming (as genai-perf without --streaming): no time to first token or inter-token latency; add --streaming for them"
            );
        }
        if a.output_tokens_mean.is_none() {
            tracing::info!(
                "no --output-tokens-mean: genai-perf would leave max_tokens unset; headroom asks for 100 ± 10 tokens"
            );
        }

        let tokenizer = match &a.tokenizer {
            Some(t) => Some(t.clone()),
            None if headroom_workload::Tokenizer::resolve(GENAI_PERF_TOKENIZER).is_ok() => {
                Some(GENAI_PERF_TOKENIZER.to_string())
            }
            None => {
                tracing::info!(
                    "genai-perf's default tokenizer {GENAI_PERF_TOKENIZER} is not in the local Hugging Face cache; counting with cl100k_base (give --tokenizer to choose)"
                );
                None
            }
        };
        let tokenizer_given = tokenizer.clone().unwrap_or_else(|| "cl100k_base".into());
        let concurrency = match (a.concurrency, a.request_rate) {
            (None, None) => Some(1),
            (c, _) => c,
        };
        let artifact_dir = artifact_dir(&a.artifact_dir, &model, api, concurrency, a.request_rate);
        let out = match &a.out {
            Some(o) => o.clone(),
            None => fresh_dir(&artifact_dir.join("headroom")),
        };
        let (requests, duration) = match (a.request_count, a.measurement_interval) {
            (n, _) if n > 0 => (Some(n), None),
            (_, Some(ms)) => {
                if ms == 0 {
                    return Err(usage("--measurement-interval must be at least 1 ms"));
                }
                (None, Some(Duration::from_millis(ms)))
            }
            // Each prompt of the pool once (the pool's size is the default stop rule).
            _ => (None, None),
        };
        let workload = WorkloadArgs {
            input_tokens: None,
            output_tokens: None,
            long_context: None,
            tokenizer,
            dataset: None,
            dataset_sampling: "shuffle".into(),
            filter_input_tokens: None,
            filter_output_tokens: None,
            num_prompts: Some(a.num_prompts),
            prefix_tokens: None,
            prefix_groups: None,
            conversation_turns: None,
            think_time: None,
            trace: None,
            trace_speedup: 1.0,
            synthetic_input_tokens_mean: Some(a.synthetic_input_tokens_mean),
            synthetic_input_tokens_stddev: a.synthetic_input_tokens_stddev,
            output_tokens_mean: a.output_tokens_mean,
            output_tokens_stddev: a.output_tokens_stddev,
        };
        let load = LoadArgs {
            concurrency,
            rate: a.request_rate,
            arrival: ArrivalKind::Constant,
            burstiness: 1.0,
            max_concurrency: None,
            requests,
            duration,
            warmup: match a.warmup_request_count {
                0 => Warmup::None,
                n => Warmup::Requests(n),
            },
            seed: a.random_seed,
            grace: Duration::from_secs(5),
            threads: None,
        };
        let output = OutputArgs {
            out: Some(out.clone()),
            labels: Vec::new(),
            format: Format::Table,
            no_progress: false,
            no_report: true,
        };
        let ignore_eos = a.output_tokens_mean_deterministic;
        let common = Common::resolve(workload, load, output, quiet, ignore_eos)?;

        let mut client = ClientConfig::new(url.clone());
        client.api = api;
        client.stream = streaming;
        client.headers = headers;
        client.extra_body = (!extra.is_empty()).then(|| extra.clone());
        client.ignore_eos = ignore_eos;
        // A whole response arrives at once: silence until then is no stall.
        if !streaming {
            client.stall_timeout = client.timeout;
        }

        let export_stem = a.profile_export_file.file_stem().map_or_else(
            || "profile_export".into(),
            |s| s.to_string_lossy().into_owned(),
        );
        let input_config = vec![
            ("subcommand", "profile".into()),
            ("model", Value::from(vec![model.clone()])),
            ("endpoint", a.endpoint.clone().into()),
            ("endpoint_type", api.to_string().into()),
            ("service_kind", "openai".into()),
            ("streaming", streaming.into()),
            ("u", a.url.clone().into()),
            ("num_dataset_entries", a.num_prompts.into()),
            (
                "output_tokens_mean",
                a.output_tokens_mean.map_or(Value::from(-1), Value::from),
            ),
            (
                "output_tokens_mean_deterministic",
                a.output_tokens_mean_deterministic.into(),
            ),
            ("output_tokens_stddev", a.output_tokens_stddev.into()),
            ("random_seed", a.random_seed.into()),
            ("request_count", a.request_count.into()),
            (
                "synthetic_input_tokens_mean",
                a.synthetic_input_tokens_mean.into(),
            ),
            (
                "synthetic_input_tokens_stddev",
                a.synthetic_input_tokens_stddev.into(),
            ),
            ("warmup_request_count", a.warmup_request_count.into()),
            ("concurrency", concurrency.into()),
            ("measurement_interval", a.measurement_interval.into()),
            ("request_rate", a.request_rate.into()),
            ("artifact_dir", artifact_dir.display().to_string().into()),
            ("generate_plots", a.generate_plots.into()),
            (
                "profile_export_file",
                artifact_dir
                    .join(&a.profile_export_file)
                    .display()
                    .to_string()
                    .into(),
            ),
            ("tokenizer", tokenizer_given.into()),
            ("verbose", verbose.into()),
            ("formatted_model_name", model.clone().into()),
            ("extra_inputs", Value::Object(extra)),
            ("headroom_results_dir", out.display().to_string().into()),
        ];
        Ok(ProfileSettings {
            run: RunSettings {
                url: Some(url),
                client,
                model: Some(model),
                common,
            },
            artifact_dir,
            export_stem,
            generate_plots: a.generate_plots,
            input_config,
        })
    }
}

/// The URL for a custom `--endpoint`: genai-perf appends it to `--url`. headroom derives
/// `/v1/models` from the same base, so the path must end in the endpoint type's own path.
fn endpoint_url(url: &str, endpoint: &str, api: ApiFlavor) -> anyhow::Result<String> {
    let ep = endpoint.trim().trim_matches('/');
    let want = format!("v1/{}", api.path());
    if ep != want && !ep.ends_with(&format!("/{want}")) {
        return Err(usage(format!(
            "--endpoint {endpoint:?}: headroom sends --endpoint-type {api} requests to <base>/{want} \
             (and asks <base>/v1/models about the server); give a path ending in {want}, or put \
             the base path in --url"
        )));
    }
    Ok(format!("{}/{ep}", url.trim_end_matches('/')))
}

/// Headers among the arguments after `--` (genai-perf hands them to perf_analyzer).
fn passthrough_headers(args: &[String]) -> anyhow::Result<Vec<String>> {
    let mut headers = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-H" | "--header" => match it.next() {
                Some(h) => headers.push(h.clone()),
                None => return Err(usage(format!("{arg} after `--` needs a NAME:VALUE"))),
            },
            "-v" | "--verbose" => {
                tracing::info!("perf_analyzer's {arg} after `--` has no use in headroom; ignored");
            }
            a => {
                if let Some(h) = a.strip_prefix("--header=") {
                    headers.push(h.to_string());
                } else if let Some(h) = a.strip_prefix("-H").filter(|h| !h.is_empty()) {
                    headers.push(h.to_string());
                } else {
                    return Err(usage(format!(
                        "perf_analyzer option {a:?} after `--` is not supported: headroom accepts only -H/--header NAME:VALUE there"
                    )));
                }
            }
        }
    }
    Ok(headers)
}

/// genai-perf's `--extra-inputs`: `NAME:VALUE` pairs (the value as JSON when it parses,
/// `True`/`False` as booleans, else a string) or JSON objects, merged in order. A name
/// given twice as a pair is an error, as in genai-perf.
fn extra_inputs(raw: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut out = Map::new();
    for s in raw {
        let t = s.trim();
        if t.starts_with('{') && t.ends_with('}') {
            match serde_json::from_str::<Value>(t) {
                Ok(Value::Object(m)) => out.extend(m),
                _ => {
                    return Err(usage(format!(
                        "--extra-inputs {s:?} is not a valid JSON object"
                    )));
                }
            }
            continue;
        }
        let Some((name, value)) = t
            .split_once(':')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        else {
            return Err(usage(format!(
                "--extra-inputs {s:?}: expected NAME:VALUE (e.g. ignore_eos:true) or a JSON object"
            )));
        };
        let value = match value {
            v if v.eq_ignore_ascii_case("true") => Value::Bool(true),
            v if v.eq_ignore_ascii_case("false") => Value::Bool(false),
            v => serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string())),
        };
        if out.insert(name.to_string(), value).is_some() {
            return Err(usage(format!("--extra-inputs names {name:?} twice")));
        }
    }
    Ok(out)
}

/// genai-perf's artifact directory: the default `artifacts` gains a subdirectory named
/// after the model (`/` → `_`), the endpoint type and the load; any other is used as is.
fn artifact_dir(
    dir: &Path,
    model: &str,
    api: ApiFlavor,
    concurrency: Option<u32>,
    rate: Option<f64>,
) -> PathBuf {
    if dir != Path::new("artifacts") {
        return dir.to_path_buf();
    }
    let mut name = format!("{}-openai-{api}", model.replace('/', "_"));
    match (concurrency, rate) {
        (Some(c), _) => name.push_str(&format!("-concurrency{c}")),
        // Python's float repr, as genai-perf formats it: 8 → "8.0".
        (None, Some(r)) => name.push_str(&format!("-request_rate{r:?}")),
        (None, None) => {}
    }
    dir.join(name)
}

/// `base/<UTC timestamp>`, with a suffix when that exists already.
fn fresh_dir(base: &Path) -> PathBuf {
    let id = headroom_results::dir::run_id(std::time::SystemTime::now());
    headroom_results::dir::fresh_dir(base, &id)
}

async fn profile(p: ProfileSettings) -> anyhow::Result<ExitCode> {
    let c = super::run::connect(&p.run).await?;
    let m = super::pipeline::record(
        &c.driver(&p.run.common),
        c.job(&p.run.common),
        &headroom_metrics::slo::SloSet::default(),
        false,
        super::pipeline::ctrl_c(p.run.common.plan.grace),
    )
    .await?;
    drop(c);
    std::fs::create_dir_all(&p.artifact_dir)
        .with_context(|| format!("cannot create {}", p.artifact_dir.display()))?;
    let json_path = p
        .artifact_dir
        .join(format!("{}_genai_perf.json", p.export_stem));
    let csv_path = p
        .artifact_dir
        .join(format!("{}_genai_perf.csv", p.export_stem));
    let json = headroom_report::genai_perf::json(&m.summary, &p.input_config);
    std::fs::write(&json_path, json + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    std::fs::write(&csv_path, headroom_report::genai_perf::csv(&m.summary))
        .with_context(|| format!("cannot write {}", csv_path.display()))?;
    let mut report = String::new();
    if m.interrupted() {
        report.push_str("PARTIAL RESULTS: interrupted by Ctrl-C\n");
    }
    report.push_str(&headroom_report::genai_perf::table(&m.summary, TITLE));
    super::pipeline::print_report(&report)?;
    tracing::info!(
        "genai-perf's files: {} and {}",
        json_path.display(),
        csv_path.display()
    );
    if p.generate_plots {
        // genai-perf's plots, as headroom draws them: plots/*.svg|png beside report.html.
        super::report::after(&m.dir);
    }
    m.conclude()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_dirs_are_named_as_genai_perf_names_them() {
        let d = |dir: &str, c, r| {
            artifact_dir(
                Path::new(dir),
                "openai/gpt-oss-20b",
                ApiFlavor::Completions,
                c,
                r,
            )
        };
        assert_eq!(
            d("artifacts", Some(20), None),
            Path::new("artifacts/openai_gpt-oss-20b-openai-completions-concurrency20")
        );
        assert_eq!(
            d("artifacts", None, Some(8.0)),
            Path::new("artifacts/openai_gpt-oss-20b-openai-completions-request_rate8.0")
        );
        assert_eq!(d("out/c20", Some(20), None), Path::new("out/c20"));
    }

    #[test]
    fn extra_inputs_are_typed_like_genai_perfs() {
        let m = extra_inputs(
            &[
                "ignore_eos:True",
                "min_tokens:100",
                "temperature:0.5",
                "stop:</s>",
                "url:http://x",
                r#"{"top_k": 5}"#,
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(m["ignore_eos"], true);
        assert_eq!(m["min_tokens"], 100);
        assert_eq!(m["temperature"], 0.5);
        assert_eq!(m["stop"], "</s>");
        assert_eq!(m["url"], "http://x");
        assert_eq!(m["top_k"], 5);
        for bad in ["novalue", ":x", "a:", "{oops}"] {
            assert!(extra_inputs(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(extra_inputs(&["a:1".into(), "a:2".into()]).is_err());
    }

    #[test]
    fn custom_endpoints_must_end_in_the_endpoint_types_path() {
        let u = |ep| endpoint_url("http://h:8000/", ep, ApiFlavor::Chat);
        assert_eq!(
            u("v1/chat/completions").unwrap(),
            "http://h:8000/v1/chat/completions"
        );
        assert_eq!(
            u("/proxy/v1/chat/completions").unwrap(),
            "http://h:8000/proxy/v1/chat/completions"
        );
        assert!(u("v1/completions").is_err());
        assert!(u("v2/generate").is_err());
    }

    #[test]
    fn passthrough_takes_headers_only() {
        let args = ["-H", "Authorization: Bearer k", "--header=X-A: 1", "-v"].map(String::from);
        assert_eq!(
            passthrough_headers(&args).unwrap(),
            ["Authorization: Bearer k", "X-A: 1"]
        );
        assert!(passthrough_headers(&["--max-threads=200".into()]).is_err());
        assert!(passthrough_headers(&["-H".into()]).is_err());
    }
}
