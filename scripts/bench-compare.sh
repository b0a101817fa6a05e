#!/usr/bin/env bash
# Runs `stylelab bench` and the same iteration in PyTorch (2 threads) one
# after the other on this machine, and prints seconds per iteration, peak
# memory and the ratio. Usage: scripts/bench-compare.sh [-n N] [-weights PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
n=5
weights=${STYLELAB_WEIGHTS:-../shared/weights/vgg19-imagenet-tfjs-uint8}
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    -weights) weights=$2; shift 2 ;;
    *) echo "usage: $0 [-n N] [-weights PATH]" >&2; exit 2 ;;
  esac
done
bin=$(mktemp -d)/stylelab
go build -o "$bin" ./cmd/stylelab
go_json=$("$bin" bench -json -n "$n" -weights "$weights")
torch_json=$(/usr/bin/python3 scripts/bench_torch.py -n "$n" 256 512)
/usr/bin/python3 - "$go_json" "$torch_json" <<'PY'
import json, sys
go = {d["size"]: d for d in map(json.loads, sys.argv[1].splitlines())}
pt = {d["size"]: d for d in map(json.loads, sys.argv[2].splitlines())}
print(f"{'size':>5} {'stylelab s/it':>14} {'pytorch s/it':>13} {'ratio':>6} {'stylelab RSS':>13} {'pytorch RSS':>12}")
for s in sorted(go):
    g, p = go[s], pt.get(s)
    if not p:
        continue
    print(f"{s:>5} {g['seconds_per_iteration']:>14.3f} {p['seconds_per_iteration']:>13.3f} "
          f"{g['seconds_per_iteration']/p['seconds_per_iteration']:>6.2f} "
          f"{g['peak_rss_bytes']/2**30:>10.2f} GiB {p['peak_rss_bytes']/2**30:>8.2f} GiB")
print(f"pytorch {next(iter(pt.values()))['torch']}, {next(iter(pt.values()))['threads']} threads")
PY
