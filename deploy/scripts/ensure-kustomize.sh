#!/usr/bin/env bash
# Makes sure the deploy tests (test/deploy) can render the Kustomize manifests offline. They use, in
# this order: `kubectl kustomize` (kubectl embeds Kustomize), `kustomize` on PATH, or
# .cache/bin/kustomize. When none of these exists, this script builds Kustomize into .cache/bin with
# `go install` (Go >= 1.22; modules from the Go module proxy). A second run reuses the binary.
#
#   deploy/scripts/ensure-kustomize.sh            # from anywhere inside the repository
#   KUSTOMIZE_GOBIN=/tmp/bin deploy/scripts/ensure-kustomize.sh   # build into another folder
set -euo pipefail
cd "$(dirname "$0")/../.."

version=v5.5.0
gobin="${KUSTOMIZE_GOBIN:-$PWD/.cache/bin}"

if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
  echo "kustomize: using kubectl kustomize ($(command -v kubectl))"
  exit 0
fi
if command -v kustomize >/dev/null 2>&1; then
  echo "kustomize: using $(command -v kustomize) ($(kustomize version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
# `go install` builds report their version as "(devel)": a stamp file beside the binary records it.
if [ -x "$gobin/kustomize" ] && [ "$(cat "$gobin/kustomize.version" 2>/dev/null)" = "$version" ]; then
  echo "kustomize: using $gobin/kustomize ($version)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-kustomize: neither kubectl nor kustomize is on PATH and Go is missing;" \
    "install kubectl, kustomize $version, or Go >= 1.22" >&2
  exit 2
fi

echo "kustomize: building sigs.k8s.io/kustomize/kustomize/v5@$version into $gobin (go install, about a minute)"
mkdir -p "$gobin"
GOBIN="$gobin" CGO_ENABLED=0 go install "sigs.k8s.io/kustomize/kustomize/v5@$version"
echo "$version" >"$gobin/kustomize.version"
echo "kustomize: built $gobin/kustomize ($version)"
