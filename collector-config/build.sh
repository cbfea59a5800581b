#!/usr/bin/env bash
# Build the otelcol-product-events collector distribution with the OpenTelemetry Collector
# Builder (ocb), from Go modules only (Go module proxy; no Docker, no release downloads).
#
# Usage:  collector-config/build.sh            (from any directory)
#
# - stdout: the ABSOLUTE path of the binary, as the last (only) line. Progress goes to stderr.
# - The binary is cached under
#     ${OTEL_PRODUCT_EVENTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-product-events}
#   keyed by a hash of builder-config.yaml and this script. A second run with unchanged inputs
#   prints the cached path without invoking go.
# - Go's own module and build caches (GOMODCACHE, GOCACHE) are used as configured, so a rebuild
#   after a manifest change is incremental.
# - OTEL_PRODUCT_EVENTS_REBUILD=1 forces a rebuild.
set -euo pipefail

OCB_VERSION="v0.157.0" # must match the core beta version in builder-config.yaml
DIST_NAME="otelcol-product-events"

# Everything below writes progress to stderr; fd 3 is the real stdout for the final path.
exec 3>&1 1>&2

log() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: ERROR: %s\n' "$*" >&2; exit 1; }

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
manifest="${script_dir}/builder-config.yaml"
[[ -f "$manifest" ]] || die "manifest not found: $manifest"

cache_root="${OTEL_PRODUCT_EVENTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-product-events}"
mkdir -p -- "$cache_root"
cache_root="$(cd -- "$cache_root" && pwd -P)"

hash_inputs() {
  if command -v sha256sum >/dev/null 2>&1; then
    cat -- "$manifest" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16
  else
    cat -- "$manifest" "${BASH_SOURCE[0]}" | shasum -a 256 | cut -c1-16
  fi
}
key="$(uname -s)-$(uname -m)-$(hash_inputs)"
bin_dir="${cache_root}/bin/${key}"
binary="${bin_dir}/${DIST_NAME}"

if [[ -x "$binary" && "${OTEL_PRODUCT_EVENTS_REBUILD:-0}" != "1" ]]; then
  log "cached: $binary"
  printf '%s\n' "$binary" >&3
  exit 0
fi

command -v go >/dev/null 2>&1 \
  || die "'go' not found on PATH. Install Go >= 1.26 (e.g. from your package manager or go.dev) and retry."
export GOTOOLCHAIN=local # never download another toolchain; fail loudly instead
export CGO_ENABLED=0

# One build at a time per cache dir (parallel test runs may call this concurrently).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${cache_root}/.build.lock"
  log "waiting for build lock ${cache_root}/.build.lock"
  flock 9
  if [[ -x "$binary" && "${OTEL_PRODUCT_EVENTS_REBUILD:-0}" != "1" ]]; then
    log "built by a concurrent run: $binary"
    printf '%s\n' "$binary" >&3
    exit 0
  fi
fi

start=$SECONDS
log "go: $(go version)"

gobin="${cache_root}/tools/builder-${OCB_VERSION}"
ocb="${gobin}/builder"
if [[ ! -x "$ocb" ]]; then
  log "installing ocb go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION} into ${gobin}"
  GOBIN="$gobin" go install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}" \
    || die "go install of ocb ${OCB_VERSION} failed (is the Go module proxy reachable?)"
fi

work_dir="${cache_root}/work/${key}"
rm -rf -- "$work_dir"
mkdir -p -- "$work_dir"
log "building ${DIST_NAME} in ${work_dir} (cold builds take several minutes)"
(
  cd -- "$work_dir"
  "$ocb" --config "$manifest" --skip-strict-versioning=false
) || die "ocb failed; see the output above (manifest: $manifest)"

built="${work_dir}/_build/${DIST_NAME}"
[[ -x "$built" ]] || die "ocb finished but ${built} is missing"
mkdir -p -- "$bin_dir"
cp -- "$built" "${binary}.tmp.$$"
mv -f -- "${binary}.tmp.$$" "$binary"
# Keep the generated sources (go.mod, components.go) for inspection; drop the big copy.
rm -f -- "$built"
# Prune binaries and sources of other manifests (about 60 MB each), keeping the 3 newest:
# several checkouts (branches, worktrees) share this cache, and pruning the build another one
# still uses would make the two rebuild each other's binary in turn.
prune_keep_newest() { # dir keep: remove all but the `keep` newest entries of dir
  local dir="$1" keep="$2" old
  [[ -d "$dir" ]] || return 0
  while IFS= read -r old; do
    case "$old" in
      "$bin_dir" | "$work_dir" | "$gobin") ;;
      *) rm -rf -- "$old" ;;
    esac
  done < <(ls -1dt -- "$dir"/* 2>/dev/null | tail -n +"$((keep + 1))")
}
touch -- "$bin_dir" "$work_dir" "$gobin"
prune_keep_newest "${cache_root}/bin" 3
prune_keep_newest "${cache_root}/work" 3
prune_keep_newest "${cache_root}/tools" 3
log "built in $((SECONDS - start))s: $binary"
printf '%s\n' "$binary" >&3
