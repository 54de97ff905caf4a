#!/bin/sh
# geth v1.10.0-v1.10.17 need cgo (go-duktape): chainsoak falls back to a static cgo build, which needs a C
# compiler and the static C library. Install Debian's gcc and libc6-dev when missing.
set -e
command -v gcc >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/libc.a -o -f /usr/lib/aarch64-linux-gnu/libc.a -o -f /usr/lib/libc.a ] && exit 0
exec sh "$(dirname "$0")/apt-install.sh" "gcc or the static C library not found; for geth v1.10's cgo build" gcc libc6-dev
