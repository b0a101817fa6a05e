#!/usr/bin/env bash
# Installs the Debian packages Stylelab builds and tests with: OpenBLAS for
# the kernels, Python with PyTorch and Pillow for the cross-format tests,
# SQLite's shell, Jupyter for the kernel and notebook tests, Chromium (with
# a font) for the web page's browser tests, and the services of a cluster
# (PostgreSQL for a shared store, Slurm with munge), which the tests start
# on private ports in temporary folders.
# Packages already present are skipped, so a second run is quick.
set -euo pipefail
pkgs=(libopenblas-dev sqlite3 python3-torch python3-pil
  jupyter-client jupyter-console jupyter-nbconvert python3-nbconvert python3-nbclient
  python3-ipykernel python3-jupyter-kernel-test chromium fonts-dejavu-core
  postgresql slurm-wlm munge)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
