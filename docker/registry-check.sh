#!/usr/bin/env bash
# The registry test, after docker/build-images.sh in CI: each app image goes the way CD sends it, through
# cmdr. `cmdr images build` (a second build, as CD runs it), `cmdr images push` to a
# real OCI registry started here (distribution's `registry`, scripts/registry.sh), then the local copy is
# deleted, the image is pulled back by the digest cmdr recorded, `cmdr deploy --dry-run` must pin that
# digest, and the pulled image runs as the charts run it (read-only root file system, no capabilities,
# user 10001): migrations from the artist-api image, then each app until /health/ready answers.
# Prints each image's compressed size as the registry stores it (what a node pulls).
# Usage: bash docker/registry-check.sh [app ...]   (default: every project of projects.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER=vfs
B=(buildah --storage-driver vfs)
cache=${SINGLE_IMAGES_CACHE:-$HOME/.cache/single-images}
mkdir -p "$cache"
database_server=${DATABASE_URL:-postgres://single:single@127.0.0.1:5432/single}
check_db=single_registry_check
check_url="${database_server%/*}/$check_db"
log() { echo "[registry] $*" >&2; }
# shellcheck source=docker/image-run.sh
source docker/image-run.sh

apps=("$@")
if ((${#apps[@]} == 0)); then
  mapfile -t apps < <(sed -n '/^projects:/,/^[^ #]/s/^  - name: //p' projects.yaml)
fi
cmdr() { node --conditions=source apps/cmdr/src/main.ts "$@"; }

registry_bin=$(bash scripts/registry.sh)
work=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
address=127.0.0.1:$port
cat >"$work/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $work/data } }
http: { addr: "$address" }
YAML
"$registry_bin" serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  kill "$registry_pid" 2>/dev/null || true
  psql -q "$database_server" -c "DROP DATABASE IF EXISTS $check_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -fsS "http://$address/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://$address/v2/" >/dev/null || { log "✗ the registry did not start"; cat "$work/registry.log" >&2; exit 1; }
log "registry $address (distribution $("$registry_bin" --version | awk '{print $3}'))"

tag=ci-$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)-$$
base=$address/single
export CMDR_IMAGES_FILE=$work/images.json
cmdr images build "${apps[@]}" --tag "$tag" --registry "$base"
cmdr images push "${apps[@]}" --tag "$tag" --registry "$base" --insecure-registry

passed=0
failed=0
app_port=23100
psql -q "$database_server" -c "DROP DATABASE IF EXISTS $check_db WITH (FORCE)" -c "CREATE DATABASE $check_db" >/dev/null
migrated=false
for app in "${apps[@]}"; do
  digest=$(node -e 'const r=require(process.argv[1]);console.log(r[process.argv[2]][process.argv[3]].digest)' \
    "$CMDR_IMAGES_FILE" "$tag" "$app")
  pinned=$base/$app@$digest
  # The registry's own sizes: what a node pulls (compressed layers and config).
  pulled_mb=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$address/v2/single/$app/manifests/$digest" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(Math.round((m.config.size+m.layers.reduce((a,l)=>a+l.size,0))/1e6))})')
  # Only the pulled copy may answer: the built image's tag goes first.
  "${B[@]}" rmi --force "$base/$app:$tag" >/dev/null
  "${B[@]}" pull --quiet --tls-verify=false "$pinned" >/dev/null
  rendered=$(cmdr --json deploy "$app" --env staging --tag "$tag" --dry-run |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].image))')
  ctr=$("${B[@]}" from --pull=never --name "registry-$app-$$" "$pinned")
  rootfs=$("${B[@]}" mount "$ctr")
  mapfile -t image_env < <("${B[@]}" inspect --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$pinned" | sed '/^$/d')
  mapfile -t cmd < <("${B[@]}" inspect --format '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$pinned" | sed '/^$/d')
  workdir=$("${B[@]}" inspect --format '{{.OCIv1.Config.WorkingDir}}' "$pinned")
  ok=true
  if [[ $rendered != "$pinned" ]]; then
    log "✗ $app: cmdr deploy rendered $rendered, not the pushed $pinned"; ok=false
  fi
  if ! $migrated && $ok && [[ -d $rootfs/app/packages/db ]]; then
    # Migrations first, from the pulled image (artist-api's chart runs them as a hook; the dashboard's image
    # has no database package).
    if run_restricted "$rootfs" /app/packages/db "${image_env[@]}" DATABASE_URL="$check_url" -- \
      node --conditions=source scripts/migrate.ts deploy >"$cache/registry-migrate.log" 2>&1; then
      migrated=true
    else
      log "✗ migrations from the pulled $app image failed"; tail -20 "$cache/registry-migrate.log" >&2; ok=false
    fi
  fi
  if $ok; then
    app_port=$((app_port + 1))
    start_app "$rootfs" "$workdir" "$app_port" "$check_url" "${cmd[@]}" -- "${image_env[@]}" \
      >"$cache/registry-run-$app.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    if ! wait_healthy "$app_port" "$pid"; then
      log "✗ $app pulled by digest did not become healthy"; tail -20 "$cache/registry-run-$app.log" >&2; ok=false
    elif ! restricted=$(assert_restricted "$pid"); then
      log "✗ $app pulled by digest: $restricted"; ok=false
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  "${B[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${B[@]}" rm "$ctr" >/dev/null
  "${B[@]}" rmi --force "$pinned" >/dev/null 2>&1 || true
  if $ok; then
    log "✓ $app: pushed, pulled by digest ${digest:0:19}…, $pulled_mb MB as pulled; deploy pins it; healthy with a read-only root and no capabilities"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "registry: $passed passed, $failed failed"
((failed == 0))
