#!/usr/bin/env bash
# Set up pix2pix_hub in ./.venv on a fresh machine: the CPU build of torch first (so nothing pulls a multi-GB
# CUDA build), then the package with its dev and onnx extras, then onnxruntime-web for the in-browser page. Safe to
# run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# The machine-wide pip config may list local package folders that do not exist; its warnings are noise here.
quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet .venv/bin/python -m pip install -q --upgrade pip
quiet .venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
quiet .venv/bin/python -m pip install -q -e ".[dev]"
# onnxruntime-web for the in-browser page (spaces/web/), at the version package-lock.json pins; without npm the page
# cannot run, and its browser test skips saying why.
if command -v npm >/dev/null 2>&1; then
  (cd spaces/web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
else
  echo "warning: npm not found; the in-browser page (spaces/web/) needs onnxruntime-web: install npm, rerun this script"
fi
.venv/bin/python -c "import pix2pix_hub, torch; print('pix2pix_hub', pix2pix_hub.__version__, '| torch', torch.__version__)"
