#!/bin/sh
# The load-generator bench (npm run bench, bench 8) puts chainsoak's generator beside wrk: Debian's package
# `wrk` (4.1.0, Apache-2.0). Install it when missing. Benches are not CI: .ci/run does not call this.
set -e
command -v wrk >/dev/null 2>&1 && exit 0
exec sh "$(dirname "$0")/apt-install.sh" 'wrk not found; for the load-generator bench' wrk
