#!/usr/bin/env bash
# Create .venv and install Deploy Studio with everything its tests need (idempotent).
# torch comes from this machine's local wheel cache with plain pip (uv/poetry would download 3 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.14.1 torchvision==0.29.1
.venv/bin/pip install -q -e ".[dev,litert,ray]"
bash scripts/install-system-deps.sh
if [ -f scripts/install-verify-tools.sh ]; then
  bash scripts/install-verify-tools.sh
fi
echo "setup done: .venv ready"
