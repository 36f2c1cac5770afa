#!/usr/bin/env bash
# mypy on the engine (deploy_studio.core). The folders are mapped into the deploy_studio package
# by pyproject's package-dir, which mypy cannot follow through the editable install's import
# hook, so it reads them through a tree of symlinks with the installed names.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "${BIN:-$root/.venv/bin}" && pwd)"
tree="$root/.venv/typecheck-src"
mkdir -p "$tree/deploy_studio"
ln -sfn "$root/core" "$tree/deploy_studio/core"
ln -sfn "$root/resources" "$tree/deploy_studio/resources"
cd "$tree"
exec "$bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.venv/.mypy_cache" -p deploy_studio.core
