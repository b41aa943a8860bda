#!/usr/bin/env bash
# What a confident capacity answer costs, in simulated GPU time: the capacity plan's fixed
# levels (three 10-minute runs per level from 15 users in steps of 5) against sequential
# levels on the same steps and the default adaptive search, for p95(e2e)<=3.81s with
# Qwen3-8B-AWQ on a simulated A10 and L20, all in virtual time.
#
#   cargo build --release -p headroom && crates/headroom-bench/capacity-cost.sh
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
BIN=${HEADROOM:-target/release/headroom}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p headroom" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SLO='p95(e2e)<=3.81s'
printf '%-4s %-34s %6s %5s %9s %10s  %s\n' gpu plan levels runs requests "GPU time" answer
for gpu in a10 l20; do
  engine=(predict --gpu "$gpu" --model qwen3-8b-awq --max-model-len 8192)
  for plan in "fixed 3x10m, step 5" "sequential, step 5" "sequential, adaptive"; do
    case $plan in
      fixed*) args=(--start 15 --step 5 --repeats 3 --duration 10m) ;;
      "sequential, step 5") args=(--start 15 --step 5) ;;
      *) args=() ;;
    esac
    out="$WORK/$gpu-${plan//[^a-z0-9]/}"
    "$BIN" "${engine[@]}" capacity --slo "$SLO" "${args[@]}" --out "$out" -q >/dev/null 2>&1 || true
    python3 - "$out/capacity.json" "$gpu" "$plan" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
runs = [r for l in d["levels"] for r in l["repeats"]]
f = d["found"]
answer = f"max {f.get('max_pass')}" if not f.get("inconclusive") else \
    f"{f.get('max_pass')}..{f['inconclusive'][-1]}"
print(f"{sys.argv[2]:<4} {sys.argv[3]:<34} {len(d['levels']):>6} {len(runs):>5} "
      f"{sum(r['ok'] for r in runs):>9} {sum(r['duration_s'] for r in runs):>9.0f}s  {answer}")
PY
  done
done
