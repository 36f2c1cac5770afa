#!/usr/bin/env bash
# A Swift compiler on Linux for the iOS templates' type-check (tests/e2e/test_swift_typecheck.py).
#
# Debian 13 (trixie) packages Swift as `swiftlang` (swiftc + swift-corelibs-foundation); this
# machine may be older, so the compiler lives in a minimal trixie chroot built from Debian's own
# packages with debootstrap. Created once and cached; running the script again only checks it.
#
#   bash scripts/swift_toolchain.sh        # build (first time) and print the wrapper's path
#
# Where: $DEPLOY_STUDIO_SWIFT_ROOT, default ${XDG_CACHE_HOME:-~/.cache}/deploy-studio/swift-trixie
# (the chroot in rootfs/, the wrapper in bin/swiftc). Needs root (debootstrap, chroot, mount):
# CI and the development machine run as root. The last line printed is the wrapper's path.
#
# The wrapper `bin/swiftc ARGS...` runs the chroot's swiftc in the current directory: that
# directory is bind-mounted at the same path inside the chroot (in a private mount namespace,
# so nothing stays mounted), so relative and absolute paths under it work unchanged. Every
# path given to swiftc must be under the current directory.
set -euo pipefail

ROOT="${DEPLOY_STUDIO_SWIFT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/deploy-studio/swift-trixie}"
RFS="$ROOT/rootfs"
WRAPPER="$ROOT/bin/swiftc"
MIRROR="${DEPLOY_STUDIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# swiftlang 6.0.3 and the C library headers its Glibc, Dispatch and Foundation modules import
# (libc6-dev is only recommended: without it `import Foundation` fails, sys/param.h not found).
PACKAGES="swiftlang libc6-dev"
say() { echo "swift_toolchain: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "needs root (debootstrap and chroot); run it as root, e.g. sudo bash $0"
    exit 1
fi

start=$(date +%s)
if [ -f "$ROOT/.ready" ] && [ -x "$WRAPPER" ] && [ -e "$RFS/usr/bin/swiftc" ] &&
    [ "$(cat "$RFS/.packages-installed" 2>/dev/null)" = "$PACKAGES" ]; then
    say "already built in $ROOT ($(cat "$ROOT/.ready"))"
    echo "$WRAPPER"
    exit 0
fi

mkdir -p "$ROOT/bin"
if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap on the host (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -f "$RFS/.debootstrap-done" ]; then
    # A half-made chroot from an interrupted run is removed and made again.
    if [ -d "$RFS" ]; then
        say "removing the unfinished chroot $RFS"
        rm -rf --one-file-system "$RFS"
    fi
    say "debootstrap --variant=minbase trixie $RFS $MIRROR (a few minutes)"
    debootstrap --variant=minbase trixie "$RFS" "$MIRROR" >"$ROOT/debootstrap.log" 2>&1 || {
        say "debootstrap failed; the end of $ROOT/debootstrap.log:"
        tail -20 "$ROOT/debootstrap.log" >&2
        exit 1
    }
    touch "$RFS/.debootstrap-done"
fi

if [ "$(cat "$RFS/.packages-installed" 2>/dev/null)" != "$PACKAGES" ]; then
    say "apt-get install $PACKAGES inside the chroot (a few minutes)"
    cp /etc/resolv.conf "$RFS/etc/resolv.conf" 2>/dev/null || true
    # unshare -m: /proc is mounted in a private namespace and disappears with it.
    unshare -m --propagation private chroot "$RFS" /bin/sh -c '
        set -e
        mount -t proc proc /proc
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $0
        apt-get clean
        rm -rf /var/lib/apt/lists/*
    ' "$PACKAGES" >"$ROOT/apt.log" 2>&1 || {
        say "installing swiftlang failed; the end of $ROOT/apt.log:"
        tail -20 "$ROOT/apt.log" >&2
        exit 1
    }
    echo "$PACKAGES" >"$RFS/.packages-installed"
fi

cat >"$WRAPPER" <<EOF
#!/usr/bin/env bash
# Runs the Debian 13 chroot's swiftc ($RFS) in the current directory, bind-mounted at the
# same path inside the chroot. Made by scripts/swift_toolchain.sh.
set -euo pipefail
RFS="$RFS"
EOF
cat >>"$WRAPPER" <<'EOF'
here="$(pwd -P)"
case "$here" in /) echo "swiftc wrapper: run it in a project folder, not /" >&2; exit 2 ;; esac
exec unshare -m --propagation private /bin/sh -c '
    set -e
    rfs="$1"; here="$2"; shift 2
    mkdir -p "$rfs$here" "$rfs/proc" "$rfs/tmp"
    mount --bind "$here" "$rfs$here"
    mount -t proc proc "$rfs/proc"
    exec chroot "$rfs" /bin/sh -c "cd \"\$0\" && exec /usr/bin/swiftc \"\$@\"" "$here" "$@"
' sh "$RFS" "$here" "$@"
EOF
chmod +x "$WRAPPER"

# Checked on a real file: `import Foundation` needs the chroot's C headers.
check=$(mktemp -d)
printf 'import Foundation\nprint(URL(fileURLWithPath: "/").path, CGRect.zero)\n' >"$check/check.swift"
if ! out=$(cd "$check" && "$WRAPPER" -typecheck check.swift 2>&1); then
    rm -rf "$check"
    say "the chroot's swiftc does not type-check 'import Foundation':"
    echo "$out" | grep -v 'libc not found' | head -20 >&2
    exit 1
fi
version=$(cd "$check" && "$WRAPPER" --version 2>/dev/null)
version=${version%%$'\n'*}
rm -rf "$check"
size=$(du -sh --one-file-system "$RFS" | cut -f1)
echo "$version; chroot $size; built in $(($(date +%s) - start)) s" >"$ROOT/.ready"
say "ready: $version, chroot $size, $(($(date +%s) - start)) s"
echo "$WRAPPER"
