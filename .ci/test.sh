#!/usr/bin/env bash
# Sets up everything the tests need (venv, Debian's Chromium) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
if [ -f .ci/install-system.sh ]; then
  bash .ci/install-system.sh
fi
export PLAYGROUND_DEVICE=${PLAYGROUND_DEVICE:-cpu}
.venv/bin/python -m pytest "$@"
