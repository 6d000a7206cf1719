#!/usr/bin/env bash
# Sourced by test.sh: Debian packages the test suite needs beyond Python.
# - chromium + chromium-driver: the web dashboard's browser tests (Playwright drives /usr/bin/chromium)
# - fonts-noto-cjk: Chinese text in the dashboard's screenshots
# Java 17 (for PySpark) is expected on the machine already.
# Skipped when everything is present, or when apt-get cannot be run (not root); the browser tests then fail
# with a message naming the missing package.
set -euo pipefail
_crmind_missing=()
[ -x /usr/bin/chromium ] || _crmind_missing+=(chromium chromium-driver)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || _crmind_missing+=(fonts-noto-cjk)
if [ "${#_crmind_missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null; then
        echo "== apt-get install ${_crmind_missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${_crmind_missing[@]}" > /dev/null
    else
        echo "warning: missing Debian packages ${_crmind_missing[*]} (run as root to install them)" >&2
    fi
fi
