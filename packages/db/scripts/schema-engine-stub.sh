#!/bin/sh
# Stand-in for Prisma's Rust schema engine, whose download is blocked here. `prisma generate` only needs
# PRISMA_SCHEMA_ENGINE_BINARY to point at an existing file so that it skips the download; it never runs it.
# Migrations go through the Wasm schema engine instead: `pnpm --filter @single/db run migrate`.
if [ "$1" = "--version" ]; then
  echo "schema-engine-cli 0edf323efd1d98336f3f0a68684b56f689b900d3 (stub)"
  exit 0
fi
echo "schema-engine stub: use 'pnpm --filter @single/db run migrate' / 'migrate:create' (Wasm engine)" >&2
exit 1
