#!/usr/bin/env bash
# Set up everything the test suite needs and run it: ruff, mypy and pytest over the whole suite.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
source "$(dirname "$0")/system_packages.sh"
source "$(dirname "$0")/venv.sh" dev
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
