#!/usr/bin/env bash
# Set up crmind in .venv and build the demo store from the bundled UCI Online Retail data.
# Usage: scripts/demo.sh
set -euo pipefail
source "$(dirname "$0")/venv.sh"
.venv/bin/crmind demo
