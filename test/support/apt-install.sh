#!/bin/sh
# apt-install.sh <why> <package>...: install Debian packages as root, or through sudo; otherwise say in one
# line what to run first. The ensure-*.sh scripts call it once they found something missing.
set -e
why=$1
shift
echo "installing Debian's $* ($why)" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null
else
  echo "cannot install $* without root: run 'apt-get install -y $*' first" >&2
  exit 1
fi
