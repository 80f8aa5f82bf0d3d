#!/usr/bin/env bash
# Debian's Chromium for the dashboard's browser tests (apps/dashboard/src/browser, playwright-core drives it
# headless at /usr/bin/chromium): installed from apt when missing. Playwright's own browser downloads are
# not used: its download site is out of reach here, and Debian's build is what CI and developers share.
set -euo pipefail
binary=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x "$binary" ]]; then
  sudo=
  [[ $(id -u) == 0 ]] || sudo=sudo
  echo "chromium.sh: installing Debian's chromium (once)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
"$binary" --version
