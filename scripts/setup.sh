#!/usr/bin/env bash
# Installs what building SilverLedger needs on Debian/Ubuntu: liblz4 (with its
# pkg-config file) and pkg-config itself; with --benchmarks, also SQLite's
# headers (libsqlite3-dev), which the benchmark package's GRDB comparison
# links. Does nothing when they are present.
set -euo pipefail
packages=()
if ! command -v pkg-config >/dev/null 2>&1; then packages+=(pkg-config); fi
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists liblz4; }; then packages+=(liblz4-dev); fi
if [ "${1:-}" = "--benchmarks" ] && ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists sqlite3; }; then
    packages+=(libsqlite3-dev)
fi
if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi
echo "setup: installing ${packages[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
pkg-config --exists liblz4
if [ "${1:-}" = "--benchmarks" ]; then pkg-config --exists sqlite3; fi
