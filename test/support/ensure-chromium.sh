#!/bin/sh
# The HTML report test opens reports in a real headless browser: Debian's chromium. Install it when it
# is missing.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
exec sh "$(dirname "$0")/apt-install.sh" 'chromium not found; for the HTML report test' chromium
