#!/usr/bin/env bash
# Install the offline verification tools of the generated Android/iOS/Web projects.
#
#   Debian: chromium (Web), aapt + android-framework-res (Android resources), a JRE (kotlinc)
#   npm into $REPO/.tools: playwright-core, onnxruntime-web, @litertjs/core (LiteRT.js),
#        kotlin-compiler (a full kotlinc)
#   pip (into the project's Python, when missing): pbxproj, openstep-parser, tree-sitter,
#        tree-sitter-kotlin, tree-sitter-swift
#
# Idempotent and quick when everything is present. Runs as root in CI (uses sudo otherwise).
# Only Debian, npm and PyPI are contacted. Override the npm folder with DEPLOY_STUDIO_TOOLS.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${DEPLOY_STUDIO_TOOLS:-$REPO/.tools}"

# Versions the templates are tested with (keep in step with mobile-templates/*/manifest.toml).
PLAYWRIGHT_CORE_VERSION="1.65.1"
ONNXRUNTIME_WEB_VERSION="1.30.0"
LITERTJS_CORE_VERSION="2.5.3"
KOTLIN_COMPILER_VERSION="2.0.21"
APT_PACKAGES=(chromium aapt android-framework-res default-jre-headless fonts-dejavu-core)
PIP_PACKAGES=(pbxproj openstep-parser tree-sitter tree-sitter-kotlin tree-sitter-swift)

log() { printf '[install-verify-tools] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

# --- Debian packages -------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# --- npm packages into $TOOLS ------------------------------------------------------------
npm_version() {  # installed version of an npm package in $TOOLS, or nothing
  local pj="$TOOLS/node_modules/$1/package.json"
  [ -f "$pj" ] && node -e "process.stdout.write(require(process.argv[1]).version)" "$pj" || true
}
if ! command -v npm >/dev/null 2>&1; then
  log "npm missing: apt-get install nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
wanted=(
  "playwright-core@$PLAYWRIGHT_CORE_VERSION"
  "onnxruntime-web@$ONNXRUNTIME_WEB_VERSION"
  "@litertjs/core@$LITERTJS_CORE_VERSION"
  "kotlin-compiler@$KOTLIN_COMPILER_VERSION"
)
todo=()
for spec in "${wanted[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  [ "$(npm_version "$name")" = "$version" ] || todo+=("$spec")
done
if [ "${#todo[@]}" -gt 0 ]; then
  log "npm install ${todo[*]} into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private": true, "name": "deploy-studio-verify-tools"}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error --save-exact "${todo[@]}")
else
  log "npm packages present in $TOOLS"
fi
chmod +x "$TOOLS/node_modules/kotlin-compiler/bin/"* 2>/dev/null || true

# --- Python packages -----------------------------------------------------------------------
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PY="$REPO/.venv/bin/python"; else PY="python3"; fi
fi
if ! "$PY" -c "import pbxproj, openstep_parser, tree_sitter, tree_sitter_kotlin, tree_sitter_swift" 2>/dev/null; then
  log "pip install ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q "${PIP_PACKAGES[@]}"
else
  log "Python packages present"
fi

log "ready: chromium=$(command -v chromium || echo missing) aapt=$(command -v aapt || echo missing) kotlinc=$TOOLS/node_modules/kotlin-compiler/bin/kotlinc"
