# Sourced by demo.sh and test.sh: create .venv if needed and install crmind with the given extras.
# Usage: source scripts/venv.sh [EXTRAS]   e.g. source scripts/venv.sh dev
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${1:+[$1]}"
