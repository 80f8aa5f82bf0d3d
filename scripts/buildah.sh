#!/usr/bin/env bash
# Debian's buildah for the image registry test (apps/cmdr/src/images/registry.int.test.ts: `cmdr images push` of
# an image it builds, pulled back by digest), which runs with the other tests, before the image step that also
# needs it: installed from apt when missing. A brand-new machine has none (the final gate of stop 24 found it).
set -euo pipefail
if ! command -v buildah >/dev/null; then
  sudo=
  [[ $(id -u) == 0 ]] || sudo=sudo
  echo "buildah.sh: installing Debian's buildah (once)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq buildah >/dev/null
fi
buildah --version
