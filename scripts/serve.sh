#!/bin/sh
# Launch the gallery on http://localhost:8866/ with preheated kernels (see docs/serving.md).
# Uses the project's virtual environment when there is one. Options: scripts/serve.sh --help
here="$(cd "$(dirname "$0")/.." && pwd)"
py="$here/.venv/bin/python"
[ -x "$py" ] || py="python3"
exec "$py" "$here/scripts/serve.py" "$@"
