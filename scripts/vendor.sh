#!/usr/bin/env bash
# Refresh the vendored browser libraries from the npm registry.
#
# Versions are pinned below; bump them deliberately, run this script, and
# review the diff (including app/static/vendor/VERSIONS.txt).
#
# Each tarball is fetched with `npm pack`, its sha512 is checked against the
# dist.integrity the registry reports, and only the files the app needs are
# copied, together with the licence files.
set -euo pipefail

HTMX_VERSION=2.0.11            # htmx.org, 2.0.x line
SOCKETIO_VERSION=4.8.4         # socket.io-client, 4.8.x line
CHARTJS_VERSION=4.6.1          # chart.js, 4.x line
AXE_VERSION=4.14.1             # axe-core, 4.x line (browser accessibility tests only)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATIC_VENDOR="app/static/vendor"
E2E_VENDOR="tests/e2e/vendor"
VERSIONS_FILE="$STATIC_VENDOR/VERSIONS.txt"

die() { echo "vendor.sh: ERROR: $*" >&2; exit 1; }

for tool in npm node tar sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not found on PATH"
done

# Guard against an accidental jump to another release line.
check_series() { # name version regex
    [[ "$2" =~ $3 ]] || die "$1 version '$2' is outside the expected series ($3)"
}
check_series htmx.org         "$HTMX_VERSION"     '^2\.0\.[0-9]+$'
check_series socket.io-client "$SOCKETIO_VERSION" '^4\.8\.[0-9]+$'
check_series chart.js         "$CHARTJS_VERSION"  '^4\.[0-9]+\.[0-9]+$'
check_series axe-core         "$AXE_VERSION"      '^4\.[0-9]+\.[0-9]+$'

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"

PACKAGE_LINES=()   # "pkg@ver  integrity"
COPIED_FILES=()    # repo-relative paths, in copy order

# fetch PKG VERSION: download, verify and unpack; sets FETCHED_DIR to package/
fetch() {
    local pkg="$1" ver="$2"
    local dir="$WORK/$pkg@$ver"
    mkdir -p "$dir"

    local expected
    expected="$(npm view "$pkg@$ver" dist.integrity)" \
        || die "npm view $pkg@$ver dist.integrity failed"
    expected="${expected//[[:space:]]/}"
    [[ "$expected" == sha512-* ]] \
        || die "$pkg@$ver: registry reported no sha512 integrity (got '$expected')"

    local tgz
    tgz="$(cd "$dir" && npm pack "$pkg@$ver" --silent)" || die "npm pack $pkg@$ver failed"
    tgz="$(printf '%s\n' "$tgz" | tail -n 1)"
    [[ -s "$dir/$tgz" ]] || die "$pkg@$ver: tarball '$tgz' missing or empty"

    local actual
    actual="sha512-$(node -e '
        const fs = require("fs"), crypto = require("crypto");
        process.stdout.write(crypto.createHash("sha512")
            .update(fs.readFileSync(process.argv[1])).digest("base64"));
    ' "$dir/$tgz")"

    if [[ "$actual" != "$expected" ]]; then
        {
            echo "vendor.sh: INTEGRITY MISMATCH for $pkg@$ver"
            echo "  registry: $expected"
            echo "  tarball:  $actual"
        } >&2
        exit 1
    fi

    tar -xzf "$dir/$tgz" -C "$dir"
    [[ -d "$dir/package" ]] || die "$pkg@$ver: tarball has no package/ directory"

    local packed_ver
    packed_ver="$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")"
    [[ "$packed_ver" == "$ver" ]] \
        || die "$pkg@$ver: tarball package.json says version '$packed_ver'"

    PACKAGE_LINES+=("$pkg@$ver  $expected")
    FETCHED_DIR="$dir/package"
}

# put SRC DEST: copy one file, refusing empty sources
put() {
    local src="$1" dest="$2"
    [[ -s "$src" ]] || die "expected file missing or empty: ${src#"$WORK"/}"
    mkdir -p "$(dirname "$dest")"
    cp "$src" "$dest"
    COPIED_FILES+=("$dest")
}

# Download and verify everything before touching the tree, so a failed check
# never leaves a half-refreshed set of files.
fetch htmx.org         "$HTMX_VERSION";     HTMX_DIR="$FETCHED_DIR"
fetch socket.io-client "$SOCKETIO_VERSION"; SOCKETIO_DIR="$FETCHED_DIR"
fetch chart.js         "$CHARTJS_VERSION";  CHARTJS_DIR="$FETCHED_DIR"
fetch axe-core         "$AXE_VERSION";      AXE_DIR="$FETCHED_DIR"

# Chart.js: prefer the minified UMD build, fall back to the plain one.
if [[ -s "$CHARTJS_DIR/dist/chart.umd.min.js" ]]; then
    chart_src="$CHARTJS_DIR/dist/chart.umd.min.js"
else
    echo "vendor.sh: chart.js@$CHARTJS_VERSION has no dist/chart.umd.min.js; using dist/chart.umd.js" >&2
    chart_src="$CHARTJS_DIR/dist/chart.umd.js"
fi

for required in \
    "$HTMX_DIR/dist/htmx.min.js" "$HTMX_DIR/LICENSE" \
    "$SOCKETIO_DIR/dist/socket.io.min.js" "$SOCKETIO_DIR/LICENSE" \
    "$chart_src" "$CHARTJS_DIR/LICENSE.md" \
    "$AXE_DIR/axe.min.js" "$AXE_DIR/LICENSE"; do
    [[ -s "$required" ]] || die "expected file missing or empty: ${required#"$WORK"/}"
done

# --- htmx -------------------------------------------------------------------
rm -rf "$STATIC_VENDOR/htmx"
put "$HTMX_DIR/dist/htmx.min.js" "$STATIC_VENDOR/htmx/htmx.min.js"
put "$HTMX_DIR/LICENSE"          "$STATIC_VENDOR/htmx/LICENSE"

# --- socket.io client -------------------------------------------------------
rm -rf "$STATIC_VENDOR/socket.io"
put "$SOCKETIO_DIR/dist/socket.io.min.js" "$STATIC_VENDOR/socket.io/socket.io.min.js"
put "$SOCKETIO_DIR/LICENSE"               "$STATIC_VENDOR/socket.io/LICENSE"

# --- Chart.js ---------------------------------------------------------------
rm -rf "$STATIC_VENDOR/chart.js"
put "$chart_src"                 "$STATIC_VENDOR/chart.js/chart.umd.min.js"
put "$CHARTJS_DIR/LICENSE.md"    "$STATIC_VENDOR/chart.js/LICENSE.md"

# --- axe-core (accessibility tests only, never served by the app) ----------
rm -f "$E2E_VENDOR/axe.min.js" "$E2E_VENDOR/LICENSE" "$E2E_VENDOR/LICENSE-3RD-PARTY.txt"
put "$AXE_DIR/axe.min.js" "$E2E_VENDOR/axe.min.js"
put "$AXE_DIR/LICENSE"    "$E2E_VENDOR/LICENSE"
if [[ -f "$AXE_DIR/LICENSE-3RD-PARTY.txt" ]]; then
    put "$AXE_DIR/LICENSE-3RD-PARTY.txt" "$E2E_VENDOR/LICENSE-3RD-PARTY.txt"
fi

# --- VERSIONS.txt -----------------------------------------------------------
tmp_versions="$WORK/VERSIONS.txt"
{
    echo "# Vendored third-party files. Regenerate with: bash scripts/vendor.sh"
    echo "# Verify the copies with:"
    echo "#   grep -E '^[0-9a-f]{64}  ' $VERSIONS_FILE | sha256sum -c"
    echo
    echo "# package@version  npm dist.integrity (checked against the tarball)"
    printf '%s\n' "${PACKAGE_LINES[@]}"
    echo
    echo "# sha256  file (relative to the repository root)"
    sha256sum "${COPIED_FILES[@]}"
} > "$tmp_versions"
mkdir -p "$(dirname "$VERSIONS_FILE")"
mv "$tmp_versions" "$VERSIONS_FILE"

echo "Vendored:"
printf '  %s\n' "${PACKAGE_LINES[@]%%  *}"
echo "Wrote $VERSIONS_FILE"
