#!/usr/bin/env bash
# Debian packages the window needs offscreen (Qt's xcb/EGL/font libraries). Idempotent; skips
# quietly when not root or when apt-get is missing (then install them with your package manager).
set -euo pipefail
PKGS="libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: install these system packages for the window:$missing" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
