#!/usr/bin/env bash
# Sourced by docker/build-images.sh and docker/registry-check.sh: how those checks run an image.

# docker/enter-root.py, found from this file (sourced from the repository root or elsewhere).
image_run_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Runs a command of an image the way the charts run its pods (capabilities drop ALL): a read-only root file
# system with a fresh tmpfs on /tmp (the charts' emptyDir), user and group 10001, no capabilities at all
# (effective, permitted, inheritable, ambient and bounding sets empty, no_new_privs), the image's working
# directory and only the given environment. `buildah run` cannot mount the root read-only, and crun refuses
# this host's hybrid cgroups, so: a private mount namespace, a read-only bind of the image's root, setpriv
# (no_new_privs, inheritable and ambient sets emptied), then docker/enter-root.py, one process that chroots,
# empties the bounding set while it is still root, switches to 10001 and execs the command (unshare's
# --root/--setuid could not: the bounding set can only be emptied before the switch, and the image has no
# setpriv to run after the chroot). Needs /usr/bin/python3 on the host (build-images.sh installs it).
# Usage: run_restricted <rootfs> <workdir> [NAME=value ...] -- <command ...>
run_restricted() {
  local rootfs=$1 workdir=$2
  shift 2
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local view
  view=$(mktemp -d "${cache:-/tmp}/root-XXXXXX")
  env -i "${envs[@]}" /usr/bin/unshare --mount --propagation private /bin/bash --norc --noprofile -c '
    set -e
    rootfs=$1 workdir=$2 view=$3 enter=$4
    shift 4
    /usr/bin/mount --bind "$rootfs" "$view"
    /usr/bin/mount -o remount,bind,ro "$view"
    /usr/bin/mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs "$view/tmp"
    /usr/bin/mount -t proc proc "$view/proc"
    /usr/bin/mount --rbind /dev "$view/dev"
    exec /usr/bin/setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all \
      /usr/bin/python3 -I -S "$enter" "$view" "$workdir" 10001:10001 "$@"
  ' run_restricted "$rootfs" "$workdir" "$view" "$image_run_dir/enter-root.py" "$@"
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

# Checks the process that run_restricted started under <pid> (the background job of start_app) runs as the
# charts run pods: uid and gid 10001, every capability set empty (the bounding set too) and no_new_privs.
# Prints its /proc status lines; fails naming what differs.
# Usage: assert_restricted <pid>
assert_restricted() {
  local parent=$1 stat line child=
  for stat in /proc/[0-9]*/stat; do
    line=$(<"$stat") 2>/dev/null || continue
    line=${line##*) } # after the command name, which may hold spaces: state, then the parent's pid
    if [[ ${line#* } == "$parent "* ]]; then child=${stat#/proc/} child=${child%/stat}; break; fi
  done
  if [[ -z $child ]]; then echo "no process under $parent"; return 1; fi
  local status set wrong=()
  status=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$child/status") || return 1
  echo "pid $child: $(tr '\t\n' ' ;' <<<"$status")"
  grep -Eq $'^Uid:\t10001\t10001\t10001\t10001$' <<<"$status" || wrong+=(uid)
  grep -Eq $'^Gid:\t10001\t10001\t10001\t10001$' <<<"$status" || wrong+=(gid)
  for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    grep -Eq "^$set:"$'\t''0+$' <<<"$status" || wrong+=("$set")
  done
  grep -Eq $'^NoNewPrivs:\t1$' <<<"$status" || wrong+=(NoNewPrivs)
  if ((${#wrong[@]})); then echo "not as the charts run pods: ${wrong[*]}"; return 1; fi
}
