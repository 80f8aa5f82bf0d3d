#!/usr/bin/env bash
# The zero-setup demo (README quick start): install, build, then every app in one process on embedded
# defaults (PGlite, in-memory broker/cache/events, GeoLite2 from npm, local audio and mailbox folders)
# and a release-day storm through the real HTTP endpoints. Run through `npm run demo` so that Node 24 and
# pnpm are provisioned. `npm run demo -- --ci` runs the storm headless, prints the summary as JSON, exits.
# DATABASE_URL, RABBITMQ_URL, REDIS_URL or KAFKA_BROKERS, when set, switch that port to the real server.
set -euo pipefail
cd "$(dirname "$0")/.."

quiet() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

interactive=true
for arg in "$@"; do [[ $arg == --ci ]] && interactive=false; done
say() { if $interactive; then echo "$@" >&2; fi; }

say "▸ installing (pnpm, frozen lockfile)…"
quiet pnpm install --frozen-lockfile --prefer-offline --reporter=append-only
say "▸ building…"
quiet pnpm exec turbo run build --filter=@single/demo... --output-logs=errors-only
# No Datadog agent on a newcomer's machine: the tracer loads (same code path) but sends nothing.
export DD_TRACE_ENABLED=${DD_TRACE_ENABLED:-false}
cd apps/demo
exec node --import @single/tracing/register dist/main.js "$@"
