#!/usr/bin/env bash
# The whole test gate, as the README's test command and CI run it: install, provision servers, build,
# lint, type-check, then unit, integration and restart tests. Ends with `tests: N passed, N failed`,
# counted from vitest's JSON report. Run through `npm test` so that Node 24 and pnpm are provisioned.
set -uo pipefail
cd "$(dirname "$0")/.."
report=.vitest-report.json
rm -f "$report"

step() {
  local name=$1
  shift
  echo "── $name"
  local started=$SECONDS
  if ! "$@"; then
    echo "✗ $name failed (after $((SECONDS - started)) s)" >&2
    echo "tests: 0 passed, 1 failed"
    exit 1
  fi
  echo "✓ $name ($((SECONDS - started)) s)"
}

frozen=--frozen-lockfile
step "install" pnpm install "$frozen" --reporter=append-only
step "servers (PostgreSQL, Redis, RabbitMQ, Kafka)" bash scripts/infra.sh up
step "build" pnpm exec turbo run build --output-logs=errors-only
# The edge test runs the Traefik production pins; a fresh machine builds it once from the Go module proxy.
step "edge proxy (Traefik, scripts/traefik.sh)" bash scripts/traefik.sh
# The dashboard's browser tests drive Debian's headless Chromium; a fresh machine installs it once.
step "browser (Chromium, scripts/chromium.sh)" bash scripts/chromium.sh
# The image registry test (cmdr images push, pull by digest) runs distribution's registry, built once the same way.
step "image registry (distribution, scripts/registry.sh)" bash scripts/registry.sh
# It builds and pushes with buildah, before the image step: a fresh machine installs it once.
step "image builder (buildah, scripts/buildah.sh)" bash scripts/buildah.sh
step "lint + format" pnpm exec biome ci .
step "type-check" pnpm exec turbo run check-types --output-logs=errors-only

echo "── tests"
pnpm exec vitest run --reporter=default --reporter=json --outputFile="$report"
vitest_status=$?

# Every app image built with buildah, migrated and started, its health endpoints checked (no Docker
# engine here). SKIP_IMAGES=1 leaves this out of a local run; CI always runs it.
images_log=
if [[ "${SKIP_IMAGES:-}" != 1 || "${CI:-}" == true ]]; then
  echo "── images (docker/build-images.sh)"
  images_log=.images-report.log
  started=$SECONDS
  bash docker/build-images.sh 2>&1 | tee "$images_log"
  # The same images through cmdr as CD sends them: pushed to a local registry, pulled back by digest, run.
  bash docker/registry-check.sh 2>&1 | tee -a "$images_log"
  echo "images took $((SECONDS - started)) s"
fi
node scripts/test-summary.mjs "$report" "$vitest_status" $images_log
