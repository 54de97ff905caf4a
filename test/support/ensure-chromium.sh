#!/bin/sh
# The HTML report test opens reports in a real headless browser: Debian's chromium. Install it when it
# is missing (as root, or through sudo); otherwise say what to do in one line.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
echo "chromium not found: installing Debian's chromium (for the HTML report test)" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
else
  echo "cannot install chromium without root: run 'apt-get install -y chromium' first" >&2
  exit 1
fi
