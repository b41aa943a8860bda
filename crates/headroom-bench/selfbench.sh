#!/usr/bin/env bash
# End-to-end self-benchmark: headroom against its own simulator over loopback, client and
# server in separate processes, every figure read from headroom's own results files.
#
#   cargo build --release -p headroom && crates/headroom-bench/selfbench.sh
#
# Scenarios (targets from issue 2, on a 2-core machine):
#   1. throughput  sim with zero delays (1 thread); client on ONE worker thread, 64 streams,
#                  1000-token responses          -> >= 100,000 streamed tokens/s
#   2. open loop   500 requests/s, Poisson        -> scheduling lag p99 < 1 ms
#   3. memory      1000 concurrent 5 s streams vs 1 stream -> < 64 KB per in-flight stream
#   4. accuracy    256 streams, TTFT 50 ms, 10 ms/token (25.6k chunks/s) -> TTFT p99 error,
#                  with the first wave (256 simultaneous connects) measured and excluded
# and for the simulator (issue 3):
#   5. engine front  engine-paced HTTP front, 256 streams, a simulated GPU with no fixed
#                    costs (sim and client on one thread each) -> sustained streamed tokens/s
#   6. virtual time  `headroom predict`, 10 simulated minutes at concurrency 200 -> wall time
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
BIN=${HEADROOM:-target/release/headroom}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p headroom" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_sim NAME ARGS... : starts `headroom sim` on a free port, sets URL
start_sim() {
  local name=$1; shift
  "$BIN" sim --port 0 "$@" 2>"$WORK/$name.sim.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/$name.sim.log" | head -1 || true)
    [ -n "$URL" ] && return 0
    sleep 0.05
  done
  echo "simulator $name did not start" >&2; cat "$WORK/$name.sim.log" >&2; exit 1
}

# run NAME ARGS... : a headroom run into $WORK/NAME
run() {
  local name=$1; shift
  "$BIN" run --url "$URL" --out "$WORK/$name" --format json -q "$@" >"$WORK/$name.json"
}

# field DIR PYTHON-EXPR : evaluates an expression over s (summary) and m (manifest)
field() {
  python3 -c "import json,sys; s=json.load(open('$1/summary.json')); m=json.load(open('$1/manifest.json')); print($2)"
}

echo "headroom self-benchmark ($(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo

# 1. Throughput with the client on one core.
start_sim fast --ttft 0ms --itl 0ms --threads 1
run tput --threads 1 -c 64 -n 3000 --input-tokens 20 --output-tokens 1000
T1=$WORK/tput
TOKS=$(field "$T1" "round(s['throughput']['output_tokens_per_s'])")
CPU=$(field "$T1" "round(m['generator']['cpu_user_s']+m['generator']['cpu_system_s'],2)")
WALL=$(field "$T1" "round(s['throughput']['window_s'],2)")
CPM=$(field "$T1" "round((m['generator']['cpu_user_s']+m['generator']['cpu_system_s'])/(s['tokens']['output']/1e6),2)")
echo "1. throughput: $TOKS output tokens/s over ${WALL}s; client CPU ${CPU}s (one worker thread) = $CPM CPU-s per million tokens"

# 2. Open-loop scheduling lag at 500 requests/s.
start_sim lag --ttft 20ms --itl 5ms
run lag --rate 500 --arrival poisson --duration 20s --input-tokens 20 --output-tokens 20
L=$WORK/lag
LAG=$(field "$L" "s['metrics']['scheduling_lag']")
echo "2. open loop 500 req/s: scheduling lag (ms) $(python3 -c "d=$LAG; print('p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%d requests)' % (d['p50'], d['p99'], d['p999'], d['max'], d['count']))")"

# 3. Memory per in-flight stream.
start_sim mem --ttft 0ms --itl 50ms --threads 1
run mem1 -c 1 -n 20 --input-tokens 200 --output-tokens 100
run mem1000 -c 1000 -n 2000 --input-tokens 200 --output-tokens 100
R1=$(field "$WORK/mem1" "m['generator']['peak_rss_bytes']")
R1000=$(field "$WORK/mem1000" "m['generator']['peak_rss_bytes']")
PER=$(( (R1000 - R1) / 1000 ))
echo "3. memory: peak RSS $((R1/1024)) KiB at 1 stream, $((R1000/1024)) KiB at 1000 streams = $((PER/1024)) KiB per in-flight stream"

# 4. TTFT accuracy at 256 streams.
start_sim acc --ttft 50ms --itl 10ms --threads 1   # its own core: measure the client, not contention
run acc -c 256 -n 2560 --input-tokens 200 --output-tokens 100
run accw -c 256 -n 2560 --warmup 256 --input-tokens 200 --output-tokens 100
ACC="'TTFT p50 %.2f ms, p99 %.2f ms; ITL p99 %.2f ms; %d chunks/s' % (s['metrics']['ttft']['p50'], s['metrics']['ttft']['p99'], s['metrics']['itl_per_token']['p99'], s['throughput']['output_tokens_per_s'])"
echo "4. 256 streams, true TTFT 50 ms, true ITL 10 ms:"
echo "   all requests:            $(field "$WORK/acc" "$ACC")"
echo "   first wave as warmup:    $(field "$WORK/accw" "$ACC")"

# 5. The engine-paced HTTP front's own capacity.
start_sim front --gpu h200 --model opt-125m --threads 1 \
  --perf step_overhead_us=0 --perf request_overhead_us=0 --perf layer_overhead_us=0
run front --threads 1 -c 256 -n 2560 --input-tokens 20 --output-tokens 500
echo "5. engine-mode HTTP front: $(field "$WORK/front" "'%d streamed tokens/s, %.2f ms per step at 256 streams' % (s['throughput']['output_tokens_per_s'], s['metrics']['itl_per_token']['p50'])")"

# 6. Virtual time.
T0=$(date +%s.%N)
"$BIN" predict -c 200 -d 10m --input-tokens 200:20 --output-tokens 100:10 --out "$WORK/predict" -q >/dev/null
T1=$(date +%s.%N)
echo "6. predict, 10 simulated minutes at concurrency 200: $(python3 -c "print('%.2f s wall' % ($T1 - $T0))") for $(wc -l <"$WORK/predict/requests.jsonl") requests (results directory included)"
echo
echo "results kept in $WORK"
