#!/usr/bin/env bash
# The whole test suite. The browser test drives Debian's Chromium through chromedriver, so
# this installs `chromium` and `chromium-driver` first when they are missing (apt-get, with
# sudo when not root), then runs `cargo test`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromedriver >/dev/null 2>&1 || ! { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then
    echo "scripts/test.sh: installing chromium and chromium-driver for the browser test" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

exec cargo test "$@"
