#!/usr/bin/env bash
# Executes the notebooks in place with the Stylelab kernel, so that they carry
# their outputs: notebooks/run.sh [NOTEBOOK ...] (default: all of them).
# STYLELAB_QUICK=1 shrinks every run; STYLELAB_DB chooses the store (default:
# a fresh one in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
go build -o "$tmp/stylelab" ../cmd/stylelab
"$tmp/stylelab" kernel install -prefix "$tmp/jupyter" >/dev/null
export JUPYTER_PATH="$tmp/jupyter/share/jupyter"
export STYLELAB_DB=${STYLELAB_DB:-$tmp/runs.db}
[ $# -gt 0 ] || set -- [0-9]*.ipynb
for nb in "$@"; do
  start=$(date +%s)
  /usr/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 "$nb"
  echo "$nb: $(( $(date +%s) - start )) s"
done
