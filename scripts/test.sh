#!/usr/bin/env bash
# The whole test suite. The browser test drives Debian's Chromium through chromedriver and
# the editor test runs the Neovim plugin in headless Neovim, so this installs `chromium`,
# `chromium-driver` and `neovim` first when they are missing (apt-get, with sudo when not
# root), then runs `cargo test`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing ${missing[*]} for the browser and editor tests" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

exec cargo test "$@"
