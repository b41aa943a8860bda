//! genai-perf's `profile` as a job: its flags mean what they mean in genai-perf, headroom
//! measures (the same pipeline and results directory as `headroom run`), and genai-perf's
//! statistics files (`profile_export_genai_perf.json` and `.csv`) are written into its
//! artifact directory, named as genai-perf names it.

use crate::error::JobError;
use crate::job::{Recorded, RunJob, Tool, record};
use crate::place::Place;
use crate::settings::{LoadOptions, SettingsError, TargetOptions, parse_header};
use crate::sink::Progress;
use crate::workload::{Workload, WorkloadOptions};
use headroom_capacity::StopSignal;
use headroom_core::{ApiFlavor, ArrivalKind, RunPlan, Warmup};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// genai-perf's default tokenizer, used when it is in the local cache.
pub const GENAI_PERF_TOKENIZER: &str = "hf-internal-testing/llama-tokenizer";

fn usage(msg: impl Into<String>) -> SettingsError {
    SettingsError::new(msg)
}

/// genai-perf's `profile` flags, as given.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// `-m/--model` (genai-perf takes several for LoRA adapters; headroom measures one).
    pub model: Vec<String>,
    /// `--url`, with a scheme.
    pub url: String,
    /// `--endpoint-type`.
    pub endpoint_type: ApiFlavor,
    /// `--endpoint`: a custom path.
    pub endpoint: Option<String>,
    /// `--streaming`.
    pub streaming: bool,
    /// `-H/--header NAME:VALUE`.
    pub headers: Vec<String>,
    /// `--num-prompts`.
    pub num_prompts: u64,
    /// `--synthetic-input-tokens-mean`.
    pub synthetic_input_tokens_mean: u32,
    /// `--synthetic-input-tokens-stddev`.
    pub synthetic_input_tokens_stddev: f64,
    /// `--output-tokens-mean`.
    pub output_tokens_mean: Option<u32>,
    /// `--output-tokens-stddev`.
    pub output_tokens_stddev: f64,
    /// `--output-tokens-mean-deterministic`.
    pub output_tokens_mean_deterministic: bool,
    /// `--random-seed`.
    pub random_seed: u64,
    /// `--request-count` (0: none).
    pub request_count: u64,
    /// `--warmup-request-count`.
    pub warmup_request_count: u64,
    /// `--extra-inputs`.
    pub extra_inputs: Vec<String>,
    /// `--concurrency`.
    pub concurrency: Option<u32>,
    /// `--request-rate`.
    pub request_rate: Option<f64>,
    /// `--measurement-interval`, ms.
    pub measurement_interval: Option<u64>,
    /// `--artifact-dir`.
    pub artifact_dir: PathBuf,
    /// `--profile-export-file`.
    pub profile_export_file: PathBuf,
    /// `--generate-plots`.
    pub generate_plots: bool,
    /// `-o/--out`: headroom's results directory.
    pub out: Option<PathBuf>,
    /// `--tokenizer`.
    pub tokenizer: Option<String>,
    /// What follows `--` (perf_analyzer's arguments).
    pub passthrough: Vec<String>,
    /// `-v`: recorded in `input_config`.
    pub verbose: bool,
}

/// A profile's checked settings.
#[derive(Debug)]
pub struct Profile {
    /// The server and how to talk to it.
    pub target: TargetOptions,
    /// The prompts.
    pub workload: Workload,
    /// The load.
    pub plan: RunPlan,
    /// headroom's results directory.
    pub out: PathBuf,
    /// Where genai-perf's files go.
    pub artifact_dir: PathBuf,
    /// `profile_export` of `profile_export.json`.
    pub export_stem: String,
    /// `--generate-plots`.
    pub generate_plots: bool,
    /// The flags as genai-perf records them in its JSON's `input_config`.
    pub input_config: Vec<(&'static str, Value)>,
}

/// A profile measured and its genai-perf files written.
#[derive(Debug)]
pub struct Profiled {
    /// The run.
    pub run: Recorded,
    /// `<stem>_genai_perf.json`.
    pub json: PathBuf,
    /// `<stem>_genai_perf.csv`.
    pub csv: PathBuf,
}

/// Measures `p` as `headroom run` does, then writes genai-perf's statistics files.
pub async fn profile(
    p: &Profile,
    tool: &Tool,
    progress: &mut dyn Progress,
    interrupt: &StopSignal,
) -> Result<Profiled, JobError> {
    let place = Place::connect(&p.target, &p.workload, p.plan.seed).await?;
    let labels = BTreeMap::new();
    let job = RunJob {
        plan: p.plan.clone(),
        source: p.workload.source.clone(),
        workload: &p.workload.spec,
        out: Some(p.out.clone()),
        labels: &labels,
        watch: None,
        announce: true,
        tool,
    };
    let run = record(&place, job, progress, interrupt).await?;
    drop(place);
    std::fs::create_dir_all(&p.artifact_dir).map_err(|e| JobError::write(&p.artifact_dir, e))?;
    let json = p
        .artifact_dir
        .join(format!("{}_genai_perf.json", p.export_stem));
    let csv = p
        .artifact_dir
        .join(format!("{}_genai_perf.csv", p.export_stem));
    let text = headroom_report::genai_perf::json(&run.summary, &p.input_config) + "\n";
    std::fs::write(&json, text).map_err(|e| JobError::write(&json, e))?;
    std::fs::write(&csv, headroom_report::genai_perf::csv(&run.summary))
        .map_err(|e| JobError::write(&csv, e))?;
    Ok(Profiled { run, json, csv })
}

/// The flags genai-perf's client sends as it sends them: the endpoint, headers (also
/// after `--`), `--extra-inputs` and streaming.
fn target(a: &ProfileOptions, model: &str) -> Result<TargetOptions, SettingsError> {
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
fn tokenizer(a: &ProfileOptions) -> Option<String> {
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
fn workload(a: &ProfileOptions, tokenizer: Option<String>) -> WorkloadOptions {
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
fn load(a: &ProfileOptions, concurrency: Option<u32>) -> Result<LoadOptions, SettingsError> {
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

impl Profile {
    /// Checks the genai-perf flags and resolves them into headroom's settings.
    pub fn new(a: &ProfileOptions) -> Result<Self, SettingsError> {
        let [model] = <[String; 1]>::try_from(a.model.clone()).map_err(|m| {
            usage(format!(
                "-m/--model: headroom measures one model per run, got {} ({}); run once per model",
                m.len(),
                m.join(", ")
            ))
        })?;
        let target = target(a, &model)?;
        let tokenizer = tokenizer(a);
        let workload = Workload::build(&workload(a, tokenizer.clone()), a.random_seed)?;
        let concurrency = match (a.concurrency, a.request_rate) {
            (None, None) => Some(1),
            (c, _) => c,
        };
        let plan = load(a, concurrency)?.plan(&workload)?;
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
            a,
            &model,
            &target,
            &InputPaths {
                artifact_dir: &artifact_dir,
                out: &out,
                tokenizer: tokenizer.unwrap_or_else(|| "cl100k_base".into()),
                concurrency,
                verbose: a.verbose,
            },
        );
        Ok(Profile {
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
    a: &ProfileOptions,
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

/// genai-perf's `--url`: `host:port` means `http://host:port`.
pub fn parse_url(s: &str) -> Result<String, SettingsError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(usage(
            "expected a URL such as localhost:8000 or http://host:8000",
        ));
    }
    Ok(if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    })
}

/// genai-perf's `--backend` (tensorrtllm, vllm) picks the model's backend behind Triton's
/// own protocol; over the OpenAI API it has no meaning. Say so, and what to use.
pub fn refuse_backend(s: &str) -> Result<String, SettingsError> {
    Err(usage(format!(
        "--backend {s} picks a backend of genai-perf's triton service kind; headroom measures \
         the OpenAI API, where the backend makes no difference: drop --backend and keep \
         --service-kind openai --endpoint-type chat|completions, with --url pointing at the \
         server's OpenAI-compatible port"
    )))
}

/// genai-perf's `--service-kind`: only `openai` here.
pub fn parse_service_kind(s: &str) -> Result<String, SettingsError> {
    match s {
        "openai" => Ok(s.to_string()),
        "triton" | "tensorrtllm_engine" => Err(usage(format!(
            "headroom speaks the OpenAI API, not {s}'s protocol: point --url at an \
             OpenAI-compatible server (vLLM, SGLang, TGI, Triton's or TensorRT-LLM's OpenAI \
             frontend) and use --service-kind openai --endpoint-type chat|completions"
        ))),
        _ => Err(usage("expected openai (headroom speaks the OpenAI API)")),
    }
}

/// genai-perf's `--endpoint-type`: the two text-generation endpoints.
pub fn parse_endpoint_type(s: &str) -> Result<ApiFlavor, SettingsError> {
    match s {
        "chat" => Ok(ApiFlavor::Chat),
        "completions" => Ok(ApiFlavor::Completions),
        "embeddings"
        | "rankings"
        | "image_retrieval"
        | "nvclip"
        | "vision"
        | "multimodal"
        | "generate"
        | "huggingface_generate"
        | "kserve"
        | "template"
        | "dynamic_grpc" => Err(usage(format!(
            "headroom measures text generation over the OpenAI API: chat or completions \
                 ({s} is not supported)"
        ))),
        _ => Err(usage("expected chat or completions")),
    }
}

/// genai-perf's `--profile-export-file`: a file name; directories go in --artifact-dir.
pub fn parse_export_file(s: &str) -> Result<PathBuf, SettingsError> {
    let p = PathBuf::from(s);
    if p.file_name().is_none() || p.parent().is_some_and(|d| !d.as_os_str().is_empty()) {
        return Err(usage(
            "expected a file name such as profile_export.json; put directories in --artifact-dir",
        ));
    }
    Ok(p)
}

/// The URL for a custom `--endpoint`: genai-perf appends it to `--url`. headroom derives
/// `/v1/models` from the same base, so the path must end in the endpoint type's own path.
fn endpoint_url(url: &str, endpoint: &str, api: ApiFlavor) -> Result<String, SettingsError> {
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
fn passthrough_headers(args: &[String]) -> Result<Vec<String>, SettingsError> {
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
fn extra_inputs(raw: &[String]) -> Result<Map<String, Value>, SettingsError> {
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
