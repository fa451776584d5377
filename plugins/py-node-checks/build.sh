#!/usr/bin/env bash
# Builds py_node_checks.wasm (or $1) from app.py against the repository's WIT package.
# componentize-py comes from $COMPONENTIZE_PY, else PATH (scripts/setup.sh pins it in the venv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"${COMPONENTIZE_PY:-componentize-py}" -d "$here/../../wit" -w preflight \
    componentize -p "$here" app -o "${1:-$here/py_node_checks.wasm}"
