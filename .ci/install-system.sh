#!/bin/sh
# System packages the test run needs: Debian's Chromium for the browser tests (Playwright drives
# it at /usr/bin/chromium; never `playwright install`). Idempotent: does nothing when present.
set -eu
if [ -x /usr/bin/chromium ]; then
    /usr/bin/chromium --version 2>/dev/null || true
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version 2>/dev/null || true
