#!/usr/bin/env bash
# Builds py_hostile.wasm (or $1); see ../py-node-checks/build.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"${COMPONENTIZE_PY:-componentize-py}" -d "$here/../../wit" -w preflight \
    componentize -p "$here" app -o "${1:-$here/py_hostile.wasm}"
