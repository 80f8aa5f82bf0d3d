#!/usr/bin/env bash
# Prints the path of a Traefik binary of the version production runs (projects.yaml pins chart 37.3.0 with
# image tag v3.6.12), building it once from the Go module proxy: no other download site is reachable here, so
# there is no release archive to fetch. The edge test (apps/cmdr/src/charts/edge-rate-limit.int.test.ts) runs
# it with our rate-limit middleware and forwarded-headers settings.
#
# Traefik's go.mod has replace directives, so `go install module@version` refuses it: build the module's
# source tree as the main module instead. First build: ~12 CPU-minutes; later runs reuse the cached binary.
set -euo pipefail
version=v3.6.12
cache=${TRAEFIK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/single/traefik}
binary=$cache/$version/traefik

if [[ ! -x "$binary" ]]; then
  command -v go >/dev/null || { echo "traefik.sh: Go is needed to build Traefik $version" >&2; exit 1; }
  source_dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "github.com/traefik/traefik/v3@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$source_dir" ]] || { echo "traefik.sh: could not download Traefik $version" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$source_dir" "$work/src" && chmod -R u+w "$work/src"
  mkdir -p "$(dirname "$binary")"
  echo "traefik.sh: building Traefik $version from the Go module proxy (once)" >&2
  (cd "$work/src" && go build -trimpath -ldflags "-s -w" -o "$binary.partial" ./cmd/traefik)
  mv "$binary.partial" "$binary"
fi
echo "$binary"
