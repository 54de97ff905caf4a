#!/bin/sh
# The load-generator bench (npm run bench, bench 8) puts chainsoak's generator beside wrk: Debian's package
# `wrk` (4.1.0, Apache-2.0). Install it when missing (as root, or through sudo); otherwise say what to do in
# one line. Benches are not CI: .ci/run does not call this.
set -e
command -v wrk >/dev/null 2>&1 && exit 0
echo "wrk not found: installing Debian's wrk (for the load-generator bench)" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null
else
  echo "cannot install wrk without root: run 'apt-get install -y wrk' first" >&2
  exit 1
fi
