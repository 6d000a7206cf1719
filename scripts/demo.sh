#!/usr/bin/env bash
# Set up crmind in .venv and build the demo store from the bundled UCI Online Retail data.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/crmind demo
