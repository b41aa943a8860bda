//! `headroom profile`: genai-perf's `profile` command line, measured by headroom's
//! pipeline. The flags resolve into the same settings as `headroom run`'s, the run writes
//! the same results directory, and genai-perf's console table and statistics files
//! (`profile_export_genai_perf.json` and `.csv`) are written from headroom's summary.

use super::{interrupt_on_ctrl_c, print, progress_wanted, tool};
use crate::cli::ProfileArgs;
use crate::progress::Bar;
use anyhow::Context as _;
use headroom_core::{ApiFlavor, ArrivalKind, RunPlan, Warmup};
use headroom_jobs::job::{RunJob, record};
use headroom_jobs::settings::parse_header;
use headroom_jobs::{LoadOptions, Place, SettingsError, TargetOptions, Workload, WorkloadOptions};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// genai-perf's default tokenizer, used when it is in the local cache.
const GENAI_PERF_TOKENIZER: &str = "hf-internal-testing/llama-tokenizer";

/// The console table's title (genai-perf's reads `NVIDIA GenAI-Perf | LLM Metrics`).
const TITLE: &str = "headroom profile | LLM Metrics";

/// A mistake in the command line found after clap parsed it: exit status 2, like clap's.
fn usage(msg: impl Into<String>) -> anyhow::Error {
    SettingsError::new(msg).into()
}

/// Validated settings of one profile.
#[derive(Debug)]
struct ProfileSettings {
    target: TargetOptions,
    workload: Workload,
    plan: RunPlan,
    /// headroom's results directory.
    out: PathBuf,
    /// Where genai-perf's files go.
    artifact_dir: PathBuf,
    /// `profile_export` of `profile_export.json`.
    export_stem: String,
    generate_plots: bool,
    /// The flags as genai-perf records them in its JSON's `input_config`.
    input_config: Vec<(&'static str, Value)>,
}

pub fn execute(a: ProfileArgs, quiet: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let settings = ProfileSettings::resolve(a, verbose)?;
    let bar = Bar::new(progress_wanted(false, quiet));
    super::runtime(None)?.block_on(profile(settings, bar))
}

/// The flags genai-perf's client sends as it sends them: the endpoint, headers (also
/// after `--`), `--extra-inputs` and streaming.
fn target(a: &ProfileArgs, model: &str) -> anyhow::Result<TargetOptions> {
    let api = a.endpoint_type;
    let url = match &a.endpoint {
        None => a.url.clone(),
        Some(ep) => endpoint_url(&a.url, ep, api)?,
    };
    let headers = a
        .headers
        .iter()
        .chain(passthrough_headers(&a.passthrough)?.iter())
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let mut extra = extra_inputs(&a.extra_inputs)?;
    let mut stream = a.streaming;
    // genai-perf documents `--extra-inputs stream:true`; the client must know it too.
    if let Some(v) = extra.remove("stream") {
        stream = v
            .as_bool()
            .ok_or_else(|| usage(format!("--extra-inputs stream:{v}: expected true or false")))?;
    }
    if !stream {
        tracing::info!(
            "not streaming (as genai-perf without --streaming): no time to first token or inter-token latency; add --streaming for them"
        );
    }
    let t = TargetOptions {
        url: Some(url),
        api,
        model: Some(model.to_string()),
        headers,
        extra_body: (!extra.is_empty()).then_some(extra),
        stream,
        ignore_eos: a.output_tokens_mean_deterministic,
        ..TargetOptions::default()
    };
    t.client()?;
    Ok(t)
}

/// genai-perf's tokenizer: the one given, else genai-perf's default when it is cached,
/// else headroom's built-in default.
fn tokenizer(a: &ProfileArgs) -> Option<String> {
    match &a.tokenizer {
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
    }
}

/// genai-perf's synthetic prompts: `--num-prompts` of them, lengths from the mean and
/// standard deviation flags.
fn workload(a: &ProfileArgs, tokenizer: Option<String>) -> WorkloadOptions {
    if a.output_tokens_mean.is_none() {
        tracing::info!(
            "no --output-tokens-mean: genai-perf would leave max_tokens unset; headroom asks for 100 ± 10 tokens"
        );
    }
    WorkloadOptions {
        tokenizer,
        num_prompts: Some(a.num_prompts),
        synthetic_input_tokens: Some((
            a.synthetic_input_tokens_mean,
            a.synthetic_input_tokens_stddev,
        )),
        output_tokens_mean: a.output_tokens_mean.map(|m| (m, a.output_tokens_stddev)),
        ignore_eos: a.output_tokens_mean_deterministic,
        ..WorkloadOptions::default()
    }
}

/// genai-perf's load: closed loop at `--concurrency` (1 by default) or constant arrivals
/// at `--request-rate`; `--request-count` requests, else `--measurement-interval`, else
/// each prompt once.
fn load(a: &ProfileArgs, concurrency: Option<u32>) -> anyhow::Result<LoadOptions> {
    let (requests, duration) = match (a.request_count, a.measurement_interval) {
        (n, _) if n > 0 => (Some(n), None),
        (_, Some(0)) => return Err(usage("--measurement-interval must be at least 1 ms")),
        (_, Some(ms)) => (None, Some(Duration::from_millis(ms))),
        // Each prompt of the pool once (the pool's size is the default stop rule).
        _ => (None, None),
    };
    Ok(LoadOptions {
        concurrency,
        rate: a.request_rate,
        arrival: ArrivalKind::Constant,
        requests,
        duration,
        warmup: match a.warmup_request_count {
            0 => Warmup::None,
            n => Warmup::Requests(n),
        },
        seed: a.random_seed,
        ..LoadOptions::default()
    })
}

impl ProfileSettings {
    /// Checks the genai-perf flags and resolves them into headroom's settings.
    fn resolve(a: ProfileArgs, verbose: bool) -> anyhow::Result<Self> {
        let [model] = <[String; 1]>::try_from(a.model.clone()).map_err(|m| {
            usage(format!(
                "-m/--model: headroom measures one model per run, got {} ({}); run once per model",
                m.len(),
                m.join(", ")
            ))
        })?;
        let target = target(&a, &model)?;
        let tokenizer = tokenizer(&a);
        let workload = Workload::build(&workload(&a, tokenizer.clone()), a.random_seed)?;
        let concurrency = match (a.concurrency, a.request_rate) {
            (None, None) => Some(1),
            (c, _) => c,
        };
        let plan = load(&a, concurrency)?.plan(&workload)?;
        let artifact_dir = artifact_dir(
            &a.artifact_dir,
            &model,
            a.endpoint_type,
            concurrency,
            a.request_rate,
        );
        let out = match &a.out {
            Some(o) => o.clone(),
            None => headroom_results::dir::fresh_dir(
                &artifact_dir.join("headroom"),
                &headroom_results::dir::run_id(std::time::SystemTime::now()),
            ),
        };
        let export_stem = a.profile_export_file.file_stem().map_or_else(
            || "profile_export".into(),
            |s| s.to_string_lossy().into_owned(),
        );
        let input_config = input_config(
            &a,
            &model,
            &target,
            &InputPaths {
                artifact_dir: &artifact_dir,
                out: &out,
                tokenizer: tokenizer.unwrap_or_else(|| "cl100k_base".into()),
                concurrency,
                verbose,
            },
        );
        Ok(ProfileSettings {
            target,
            workload,
            plan,
            out,
            artifact_dir,
            export_stem,
            generate_plots: a.generate_plots,
            input_config,
        })
    }
}

/// What `input_config` records besides the flags.
struct InputPaths<'a> {
    artifact_dir: &'a Path,
    out: &'a Path,
    tokenizer: String,
    concurrency: Option<u32>,
    verbose: bool,
}

/// The flags as genai-perf records them in its JSON's `input_config`.
fn input_config(
    a: &ProfileArgs,
    model: &str,
    target: &TargetOptions,
    p: &InputPaths<'_>,
) -> Vec<(&'static str, Value)> {
    vec![
        ("subcommand", "profile".into()),
        ("model", Value::from(vec![model.to_string()])),
        ("endpoint", a.endpoint.clone().into()),
        ("endpoint_type", a.endpoint_type.to_string().into()),
        ("service_kind", "openai".into()),
        ("streaming", target.stream.into()),
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
        ("concurrency", p.concurrency.into()),
        ("measurement_interval", a.measurement_interval.into()),
        ("request_rate", a.request_rate.into()),
        ("artifact_dir", p.artifact_dir.display().to_string().into()),
        ("generate_plots", a.generate_plots.into()),
        (
            "profile_export_file",
            p.artifact_dir
                .join(&a.profile_export_file)
                .display()
                .to_string()
                .into(),
        ),
        ("tokenizer", p.tokenizer.clone().into()),
        ("verbose", p.verbose.into()),
        ("formatted_model_name", model.to_string().into()),
        (
            "extra_inputs",
            Value::Object(target.extra_body.clone().unwrap_or_default()),
        ),
        ("headroom_results_dir", p.out.display().to_string().into()),
    ]
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

/// Measures the server as `headroom run` does, then writes genai-perf's files and table.
async fn profile(p: ProfileSettings, mut bar: Bar) -> anyhow::Result<ExitCode> {
    let place = Place::connect(&p.target, &p.workload, p.plan.seed).await?;
    let interrupt = interrupt_on_ctrl_c(p.plan.grace);
    let labels = BTreeMap::new();
    let job = RunJob {
        plan: p.plan.clone(),
        source: p.workload.source.clone(),
        workload: &p.workload.spec,
        out: Some(p.out.clone()),
        labels: &labels,
        watch: None,
        announce: true,
        tool: &tool(),
    };
    let m = record(&place, job, &mut bar, &interrupt).await?;
    drop(place);
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
    print(&report)?;
    tracing::info!(
        "genai-perf's files: {} and {}",
        json_path.display(),
        csv_path.display()
    );
    if p.generate_plots {
        // genai-perf's plots, as headroom draws them: plots/*.svg|png beside report.html.
        headroom_jobs::reports::write_reports_after(&m.dir);
    }
    super::run::conclude(&m)
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
