#!/usr/bin/env bash
# Prints the path of a `registry` binary (distribution/distribution, the reference OCI registry), building it
# once from the Go module proxy: no other download site is reachable here. The image registry test
# (apps/cmdr/src/images/registry.int.test.ts) starts it on a free port with its own storage folder, pushes
# an app image to it with `cmdr images push`, and pulls it back by digest.
#
# `go install module@version` refuses modules with replace directives, so the module's source tree is
# built as the main module (as scripts/traefik.sh does). First build: a few CPU-minutes; later runs reuse it.
set -euo pipefail
version=v3.1.2
cache=${REGISTRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/single/registry}
binary=$cache/$version/registry

if [[ ! -x "$binary" ]]; then
  command -v go >/dev/null || { echo "registry.sh: Go is needed to build the registry $version" >&2; exit 1; }
  source_dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/distribution/distribution/v3@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$source_dir" ]] || { echo "registry.sh: could not download distribution $version" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$source_dir" "$work/src" && chmod -R u+w "$work/src"
  mkdir -p "$(dirname "$binary")"
  echo "registry.sh: building the registry $version from the Go module proxy (once)" >&2
  (cd "$work/src" && go build -trimpath -ldflags "-s -w" -o "$binary.partial" ./cmd/registry)
  mv "$binary.partial" "$binary"
fi
echo "$binary"
