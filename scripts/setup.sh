#!/usr/bin/env bash
# Set up pix2pix_hub in ./.venv on a fresh machine: the CPU build of torch first (so nothing pulls a multi-GB
# CUDA build), then the package with its dev and onnx extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# The machine-wide pip config may list local package folders that do not exist; its warnings are noise here.
quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet .venv/bin/python -m pip install -q --upgrade pip
quiet .venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
quiet .venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -c "import pix2pix_hub, torch; print('pix2pix_hub', pix2pix_hub.__version__, '| torch', torch.__version__)"
