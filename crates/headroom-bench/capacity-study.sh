#!/usr/bin/env bash
# How often a sequential capacity search is wrong, where the truth is known: many seeded
# searches (`p95(e2e)<=SLO`, adaptive, default budget) on a simulated GPU in virtual time,
# against the true capacity from 20,000-request steady-state runs of each level.
# A search is wrong when its answer excludes the true capacity: a capacity above it (a
# level passed that cannot carry the load), or one below it with no range reaching it.
#
#   cargo build --release -p headroom && crates/headroom-bench/capacity-study.sh [SEARCHES] [GPU] [SLO]
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
BIN=${HEADROOM:-target/release/headroom}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p headroom" >&2; exit 1; }
N=${1:-100}; GPU=${2:-l20}; SLO=${3:-3.81s}
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
engine=(predict --gpu "$GPU" --model qwen3-8b-awq --max-model-len 8192)
for seed in $(seq 1 "$N"); do
  "$BIN" "${engine[@]}" capacity --slo "p95(e2e)<=$SLO" --seed "$seed" --out "$WORK/s$seed" -q \
    >/dev/null 2>&1 || true
done
# The truth: the steady-state P95 of every level any search touched, on its own seed.
levels=$(python3 -c "
import json, glob
print(' '.join(sorted({str(int(l['level'])) for f in glob.glob('$WORK/s*/capacity.json')
                       for l in json.load(open(f))['levels']}, key=int)))")
for c in $levels; do
  "$BIN" "${engine[@]}" -c "$c" -n 20000 --warmup 200 --seed 999 --out "$WORK/t$c" -q >/dev/null 2>&1
done
python3 - "$WORK" "$SLO" "$levels" <<'PY'
import json, glob, sys
work, slo, levels = sys.argv[1], sys.argv[2], sys.argv[3].split()
limit = float(slo.rstrip("s")) * 1000
p95 = {int(c): json.load(open(f"{work}/t{c}/summary.json"))["metrics"]["e2e"]["p95"] for c in levels}
true_cap = max((c for c, v in p95.items() if v <= limit), default=None)
print(f"true steady-state P95 by level: " + ", ".join(f"{c}: {v/1000:.2f} s" for c, v in sorted(p95.items())))
print(f"true capacity: {true_cap}")
wrong = exact = ranges = 0
requests = []
for f in sorted(glob.glob(f"{work}/s*/capacity.json")):
    d = json.load(open(f))
    fd = d["found"]
    low = fd.get("max_pass") or 0
    high = (fd.get("inconclusive") or [low])[-1]
    requests.append(sum(r["ok"] for l in d["levels"] for r in l["repeats"]))
    if fd.get("inconclusive"):
        ranges += 1
    else:
        exact += 1
    if not (low <= true_cap <= high):
        wrong += 1
        tried = ", ".join(f"{int(l['level'])} {l['verdict']} ({l['slos'][0]['assessment']['estimate']/1000:.2f} s, "
                          f"{sum(r['ok'] for r in l['repeats'])} req)" for l in sorted(d["levels"], key=lambda l: l["level"]))
        print(f"  wrong: {f.split('/')[-2]}: {low}..{high}: {tried}")
n = len(requests)
print(f"searches: {n}; exact answers {exact}, ranges {ranges}; wrong (excluding the truth) {wrong} "
      f"({100*wrong/n:.1f} %); mean requests per search {sum(requests)/n:.0f}")
PY
