//! `headroom profile`: genai-perf's `profile` command line, flag for flag.

use clap::Args;
use headroom_core::ApiFlavor;
use headroom_jobs::genai_perf::{
    parse_endpoint_type, parse_export_file, parse_service_kind, parse_url, refuse_backend,
};
use std::path::PathBuf;

/// `headroom profile`: genai-perf's `profile` command line, flag for flag. Flags genai-perf
/// has and headroom does not are usage errors, never silently ignored.
#[derive(Debug, Args)]
#[command(after_long_help = PROFILE_HELP)]
pub struct ProfileArgs {
    /// Model to benchmark (genai-perf takes several for LoRA adapters; headroom measures one).
    #[arg(short, long, required = true, num_args = 1.., value_name = "MODEL", help_heading = "Endpoint")]
    pub model: Vec<String>,
    /// Server URL; http:// is added when there is no scheme, as genai-perf does.
    #[arg(short, long, default_value = "localhost:8000", value_parser = parse_url, help_heading = "Endpoint")]
    pub url: String,
    /// Only openai: headroom speaks the OpenAI API.
    #[arg(long, value_name = "openai", value_parser = parse_service_kind, help_heading = "Endpoint")]
    pub service_kind: Option<String>,
    /// genai-perf's backend of the triton service kind; refused with what to use instead.
    #[arg(long, hide = true, value_parser = refuse_backend, help_heading = "Endpoint")]
    pub backend: Option<String>,
    /// chat (/v1/chat/completions) or completions (/v1/completions).
    #[arg(long, required = true, value_name = "chat|completions", value_parser = parse_endpoint_type, help_heading = "Endpoint")]
    pub endpoint_type: ApiFlavor,
    /// A custom path instead of the OpenAI default, e.g. proxy/v1/chat/completions; it must
    /// end in v1/chat/completions or v1/completions (matching --endpoint-type).
    #[arg(long, value_name = "PATH", help_heading = "Endpoint")]
    pub endpoint: Option<String>,
    /// Stream responses (SSE). Without it requests are not streamed, as in genai-perf: no
    /// TTFT or inter-token latency then.
    #[arg(long, help_heading = "Endpoint")]
    pub streaming: bool,
    /// Extra HTTP header, NAME:VALUE (repeatable).
    #[arg(
        short = 'H',
        long = "header",
        value_name = "NAME:VALUE",
        help_heading = "Endpoint"
    )]
    pub headers: Vec<String>,
    /// Distinct prompts, each sent once unless --request-count or --measurement-interval
    /// says otherwise.
    #[arg(
        long,
        visible_alias = "num-dataset-entries",
        default_value_t = 100,
        value_name = "N",
        help_heading = "Input"
    )]
    pub num_prompts: u64,
    /// Mean prompt length in tokens.
    #[arg(
        long,
        visible_alias = "isl",
        default_value_t = 550,
        value_name = "N",
        help_heading = "Input"
    )]
    pub synthetic_input_tokens_mean: u32,
    /// Standard deviation of the prompt length.
    #[arg(long, default_value_t = 0.0, value_name = "N", help_heading = "Input")]
    pub synthetic_input_tokens_stddev: f64,
    /// Mean output length (max_tokens) [default: headroom's 100 ± 10; genai-perf then
    /// leaves max_tokens unset, headroom always sets it].
    #[arg(long, visible_alias = "osl", value_name = "N", help_heading = "Input")]
    pub output_tokens_mean: Option<u32>,
    /// Standard deviation of the output length.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "N",
        requires = "output_tokens_mean",
        help_heading = "Input"
    )]
    pub output_tokens_stddev: f64,
    /// Force every output to its full length: sends ignore_eos and min_tokens (vLLM,
    /// SGLang, TensorRT-LLM), like headroom run --ignore-eos.
    #[arg(long, requires = "output_tokens_mean", help_heading = "Input")]
    pub output_tokens_mean_deterministic: bool,
    /// Seed for the prompts and lengths.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub random_seed: u64,
    /// Measured requests (0: each prompt once, or --measurement-interval).
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub request_count: u64,
    /// Requests sent before measuring, excluded from every metric.
    #[arg(long, default_value_t = 0, value_name = "N", help_heading = "Input")]
    pub warmup_request_count: u64,
    /// Merged into every request body, NAME:VALUE (VALUE as JSON when it parses, else a
    /// string) or a JSON object (repeatable), e.g. ignore_eos:true.
    #[arg(long, value_name = "NAME:VALUE", help_heading = "Input")]
    pub extra_inputs: Vec<String>,
    /// Closed loop: requests in flight [default: 1, as in genai-perf].
    #[arg(
        long,
        conflicts_with = "request_rate",
        value_name = "N",
        help_heading = "Profiling"
    )]
    pub concurrency: Option<u32>,
    /// Open loop: requests per second, evenly spaced (perf_analyzer's constant distribution).
    #[arg(long, value_name = "R", help_heading = "Profiling")]
    pub request_rate: Option<f64>,
    /// Send for this many milliseconds instead of once per prompt (unless --request-count).
    #[arg(short = 'p', long, value_name = "MS", help_heading = "Profiling")]
    pub measurement_interval: Option<u64>,
    /// genai-perf's output directory; `artifacts` becomes
    /// artifacts/<MODEL>-openai-<TYPE>-concurrency<N> (or -request_rate<R>), as in genai-perf.
    #[arg(
        long,
        default_value = "artifacts",
        value_name = "DIR",
        help_heading = "Output"
    )]
    pub artifact_dir: PathBuf,
    /// A file name in the artifact directory; the statistics go to <STEM>_genai_perf.json
    /// and <STEM>_genai_perf.csv beside it.
    #[arg(long, default_value = "profile_export.json", value_name = "FILE", value_parser = parse_export_file, help_heading = "Output")]
    pub profile_export_file: PathBuf,
    /// Accepted; headroom's plots are in its HTML report (`headroom report`).
    #[arg(long, help_heading = "Output")]
    pub generate_plots: bool,
    /// headroom's results directory (manifest.json, requests.jsonl, summary.json)
    /// [default: <artifact dir>/headroom/<UTC timestamp>].
    #[arg(short, long, value_name = "DIR", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Tokenizer for prompts and counts: a Hugging Face id in the local cache, a
    /// tokenizer.json, a model directory, cl100k_base or o200k_base [default: genai-perf's
    /// hf-internal-testing/llama-tokenizer when cached, else cl100k_base]. Never downloads.
    #[arg(long, value_name = "NAME|PATH|ORG/MODEL", help_heading = "Other")]
    pub tokenizer: Option<String>,
    /// genai-perf passes what follows `--` to perf_analyzer; headroom accepts -H/--header
    /// there (and -v, which it ignores).
    #[arg(last = true, value_name = "PERF_ANALYZER_ARGS")]
    pub passthrough: Vec<String>,
}

const PROFILE_HELP: &str = "Examples:
  headroom profile -m openai/gpt-oss-20b --url http://127.0.0.1:8000 --service-kind openai \\
      --endpoint-type completions --num-prompts 100 --synthetic-input-tokens-mean 200 \\
      --synthetic-input-tokens-stddev 20 --output-tokens-mean 100 --output-tokens-stddev 10 \\
      --concurrency 20 --tokenizer hf-internal-testing/llama-tokenizer
      A genai-perf command line, with only the program name changed.

What it writes:
  <artifact dir>/profile_export_genai_perf.json and .csv: genai-perf's statistics files
      (request_latency, time_to_first_token, inter_token_latency, ... in ms or tokens;
      request_throughput, output_token_throughput), replaced by each run, as genai-perf does.
  <artifact dir>/headroom/<UTC timestamp>/ (or -o DIR): headroom's results directory, as
      for `headroom run`, one per run, never overwritten. There is no profile_export.json
      (perf_analyzer's raw export): requests.jsonl holds every request instead.

Where headroom differs from genai-perf:
  - It measures a fixed amount of work: --request-count requests, else --measurement-interval
    milliseconds of sending, else each of the --num-prompts prompts once; genai-perf repeats
    measurement windows until they are stable.
  - inter_token_latency is genai-perf's per-request (latency - TTFT) / (output tokens - 1);
    percentiles are nearest-rank, not interpolated. Token counts are the server's usage when
    it reports it, else the tokenizer's.
  - Without --url it measures localhost:8000, like genai-perf (not headroom's simulator).
  - Auth: -H 'Authorization: Bearer KEY' (before or after `--`).

Exit status: 0 completed, 1 on a fatal error or when every measured request failed, 2 on a
usage error, 130 when interrupted.";
