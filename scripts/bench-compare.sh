#!/usr/bin/env bash
# Times one Gatys iteration (forward to conv5_1, losses, backward to the
# image) in Stylelab and in PyTorch (2 threads, oneDNN), alternating the two
# round by round so that both see the same machine load, and prints for each
# size the best and median seconds per iteration of each side, their ratios,
# peak memory, and the effective speed: direct-convolution GFLOP per second
# and its share of the machine's FP32 peak.
#
# Usage: scripts/bench-compare.sh [-rounds R] [-n N] [-sizes 256,512,1024]
#                                 [-convolution A] [-weights PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
n=3
sizes=256,512,1024
algorithm=
weights=${STYLELAB_WEIGHTS:-../shared/weights/vgg19-imagenet-tfjs-uint8}
while [ $# -gt 0 ]; do
  case "$1" in
    -rounds) rounds=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -sizes) sizes=$2; shift 2 ;;
    -convolution) algorithm=$2; shift 2 ;;
    -weights) weights=$2; shift 2 ;;
    *) echo "usage: $0 [-rounds R] [-n N] [-sizes S,S,...] [-convolution A] [-weights PATH]" >&2; exit 2 ;;
  esac
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/stylelab" ./cmd/stylelab
# A private weights cache, filled once here, so that every round loads the
# same converted weights whatever other processes do to the shared cache.
export STYLELAB_CACHE=$dir/cache
"$dir/stylelab" bench -child 32 -n 1 -weights "$weights" >/dev/null
results=$dir/results.jsonl
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= rounds; r++)); do
  for s in ${sizes//,/ }; do
    # Odd rounds start with Stylelab, even rounds with PyTorch.
    order="stylelab torch"
    if ((r % 2 == 0)); then order="torch stylelab"; fi
    for side in $order; do
      if [ "$side" = stylelab ]; then
        line=$("$dir/stylelab" bench -child "$s" -n "$n" -weights "$weights" ${algorithm:+-convolution "$algorithm"})
      else
        line=$(/usr/bin/python3 scripts/bench_torch.py --child "$s" -n "$n" --threads 2)
      fi
      echo "{\"side\": \"$side\", \"round\": $r, \"result\": $line}" >>"$results"
      echo "round $r, $s px, $side: $(echo "$line" | /usr/bin/python3 -c 'import json,sys; print("%.3f s/iteration" % json.load(sys.stdin)["seconds_per_iteration"])')" >&2
    done
  done
done
/usr/bin/python3 - "$results" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys

runs = [json.loads(l) for l in open(sys.argv[1])]

def flops(size):
    """Direct-convolution FLOPs of one iteration: every conv up to conv5_1,
    forward and input gradient (2 * 9 * Cin * Cout * H * W each)."""
    cfg = [(3, 64), (64, 64), "P", (64, 128), (128, 128), "P", (128, 256), (256, 256), (256, 256), (256, 256), "P",
           (256, 512), (512, 512), (512, 512), (512, 512), "P", (512, 512)]
    total, side = 0, size
    for c in cfg:
        if c == "P":
            side //= 2
        else:
            total += 2 * 2 * 9 * c[0] * c[1] * side * side
    return total

def peak():
    """The machine's FP32 peak in GFLOP/s and how it was derived. Assumes two
    FMA pipes per core (every AMD Zen and Intel core with AVX2 since Haswell;
    Xeons with two AVX-512 units), 512-bit on Intel CPUs with AVX-512F and
    256-bit otherwise (AMD's Zen 4 executes AVX-512 as two 256-bit halves),
    at the clock /proc/cpuinfo reports (a VM shows its base clock; turbo is
    not counted)."""
    info = open("/proc/cpuinfo").read()
    flags = set(next(l for l in info.splitlines() if l.startswith("flags")).split(":")[1].split())
    mhz = float(next(l for l in info.splitlines() if l.startswith("cpu MHz")).split(":")[1])
    intel = "GenuineIntel" in info
    cores = sum(1 for l in info.splitlines() if l.startswith("processor"))
    if "avx512f" in flags and intel:
        lanes, isa = 16, "AVX-512"
    elif "avx2" in flags and "fma" in flags:
        lanes, isa = 8, "AVX2+FMA" + (" (AVX-512 as 2x256 bits)" if "avx512f" in flags else "")
    else:
        lanes, isa = 4, "SSE"
    gflops = cores * 2 * lanes * 2 * mhz / 1000
    return gflops, f"{cores} cores x 2 FMA pipes x {lanes} lanes x 2 FLOP x {mhz / 1000:.2f} GHz ({isa})"

pk, how = peak()
sizes = sorted({r["result"]["size"] for r in runs})
print(f"{'size':>5} | {'stylelab s/it best  median':>26} | {'pytorch s/it best  median':>26} | {'ratio best median':>17} | "
      f"{'peak RSS stylelab pytorch':>25} | {'GFLOP/s (share of peak) stylelab  pytorch':>41}")
for s in sizes:
    t = {side: sorted(r["result"]["seconds_per_iteration"] for r in runs if r["side"] == side and r["result"]["size"] == s)
         for side in ("stylelab", "torch")}
    m = {side: max(r["result"]["peak_rss_bytes"] for r in runs if r["side"] == side and r["result"]["size"] == s)
         for side in ("stylelab", "torch")}
    if not t["stylelab"] or not t["torch"]:
        continue
    best = {k: v[0] for k, v in t.items()}
    med = {k: statistics.median(v) for k, v in t.items()}
    gf = {k: flops(s) / best[k] / 1e9 for k in best}
    print(f"{s:>5} | {best['stylelab']:>14.3f} {med['stylelab']:>11.3f} | {best['torch']:>14.3f} {med['torch']:>11.3f} | "
          f"{best['stylelab'] / best['torch']:>10.2f} {med['stylelab'] / med['torch']:>6.2f} | "
          f"{m['stylelab'] / 2**30:>12.2f} GiB {m['torch'] / 2**30:>6.2f} GiB | "
          f"{gf['stylelab']:>17.0f} ({100 * gf['stylelab'] / pk:3.0f}%) {gf['torch']:>9.0f} ({100 * gf['torch'] / pk:3.0f}%)")
first = next(r["result"] for r in runs if r["side"] == "stylelab")
torch = next(r["result"] for r in runs if r["side"] == "torch")
print(f"rounds: {max(r['round'] for r in runs)} per side, alternating; seconds per iteration are each process's mean over its timed iterations")
print(f"stylelab: {first.get('algorithm', '?')} convolution ({first.get('isa', '?')}); pytorch {torch['torch']}, {torch['threads']} threads")
print(f"GFLOP/s: direct-convolution FLOPs of the convolutions (forward and input gradient), {flops(512) / 1e9:.0f} GFLOP per iteration at 512 px, over the best time")
print(f"FP32 peak {pk:.0f} GFLOP/s = {how}")
print(f"load average (1, 5, 15 min): {sys.argv[2]} before, {sys.argv[3]} after, on {sum(1 for l in open('/proc/cpuinfo') if l.startswith('processor'))} cores")
PY
