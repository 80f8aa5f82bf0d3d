#!/usr/bin/env bash
# Sourced by docker/build-images.sh and docker/registry-check.sh: how those checks run an image.

# Runs a command of an image the way the charts run its pods: a read-only root file system with a fresh
# tmpfs on /tmp (the charts' emptyDir), user and group 10001, no capabilities (effective, permitted,
# inheritable and ambient sets empty, no_new_privs), the image's working directory and only the given
# environment. `buildah run` cannot mount the root read-only, and crun refuses this host's hybrid cgroups,
# so: a private mount namespace, a read-only bind of the image's root, setpriv, then unshare's chroot and
# setuid. The bounding set keeps only what that chroot and setuid need (setuid, setgid, sys_chroot): with
# no_new_privs and a non-root user nothing can raise a capability from it.
# Usage: run_restricted <rootfs> <workdir> [NAME=value ...] -- <command ...>
run_restricted() {
  local rootfs=$1 workdir=$2
  shift 2
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local view
  view=$(mktemp -d "${cache:-/tmp}/root-XXXXXX")
  env -i "${envs[@]}" /usr/bin/unshare --mount --propagation private /bin/bash -c '
    set -e
    rootfs=$1 workdir=$2 view=$3
    shift 3
    /usr/bin/mount --bind "$rootfs" "$view"
    /usr/bin/mount -o remount,bind,ro "$view"
    /usr/bin/mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs "$view/tmp"
    /usr/bin/mount -t proc proc "$view/proc"
    /usr/bin/mount --rbind /dev "$view/dev"
    exec /usr/bin/setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+sys_chroot,+setuid,+setgid \
      /usr/bin/unshare --root="$view" --wd="$workdir" --setgid=10001 --setuid=10001 "$@"
  ' run_restricted "$rootfs" "$workdir" "$view" "$@"
  local status=$?
  rmdir "$view" 2>/dev/null || true
  return $status
}

# Starts an app image's CMD (in the foreground: run it with &) with what every app needs to become ready
# against the local servers, after the image's own environment.
# Usage: start_app <rootfs> <workdir> <port> <database_url> <cmd ...> -- [image env NAME=value ...]
start_app() {
  local rootfs=$1 workdir=$2 port=$3 database_url=$4
  shift 4
  local cmd=()
  while [[ $1 != -- ]]; do cmd+=("$1"); shift; done
  shift
  run_restricted "$rootfs" "$workdir" "$@" \
    PORT="$port" HOST=127.0.0.1 DATABASE_URL="$database_url" \
    RABBITMQ_URL="${RABBITMQ_URL:-amqp://single:single@127.0.0.1:5672}" \
    REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9092}" \
    SHOPIFY_WEBHOOK_SECRETS=local-shopify-webhook-secret-not-for-production \
    DOWNLOAD_TOKEN_SECRETS=local-download-token-secret-not-for-production-0000 \
    FAN_HASH_SECRET=local-fan-hash-secret-not-for-production-00000000 \
    SESSION_SECRET=local-dashboard-session-secret-not-for-production \
    DD_TRACE_ENABLED=false DD_ENV=ci \
    -- "${cmd[@]}"
}

# Waits up to 60 s for /health/live and /health/ready to answer 200 on the port, while the process lives.
wait_healthy() {
  local port=$1 pid=$2
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 &&
      curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
