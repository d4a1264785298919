#!/usr/bin/env bash
# Installs what building SilverLedger needs on Debian/Ubuntu: liblz4 (with its
# pkg-config file) and pkg-config itself. Does nothing when they are present.
set -euo pipefail
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists liblz4; then
    exit 0
fi
echo "setup: installing liblz4-dev and pkg-config" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq liblz4-dev pkg-config >/dev/null
pkg-config --exists liblz4
