#!/bin/sh
# geth v1.10.0-v1.10.17 need cgo (go-duktape): chainsoak falls back to a static cgo build, which needs a C
# compiler and the static C library. Install Debian's gcc and libc6-dev when missing (as root, or through
# sudo); otherwise say what to do in one line.
set -e
command -v gcc >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/libc.a -o -f /usr/lib/aarch64-linux-gnu/libc.a -o -f /usr/lib/libc.a ] && exit 0
echo "gcc or the static C library not found: installing Debian's gcc and libc6-dev (for geth v1.10's cgo build)" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && apt-get install -y -qq gcc libc6-dev >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq gcc libc6-dev >/dev/null
else
  echo "cannot install gcc and libc6-dev without root: run 'apt-get install -y gcc libc6-dev' first" >&2
  exit 1
fi
