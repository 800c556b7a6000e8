#!/usr/bin/env bash
# Makes sure redis-server is there for the tests of the queue on Redis Streams, which start a real one: `npm test`
# runs this first. Installs Debian's package when it is missing (as root, or through sudo without a password), does
# nothing when it is present, and otherwise stops with what to do, rather than let those tests fail one by one. The
# queue needs Redis 6.2 or later (XAUTOCLAIM). REDIS_SERVER names the binary, as for the tests.
set -euo pipefail

binary="${REDIS_SERVER:-redis-server}"

version_ok() {
  local version major minor
  version="$("$binary" --version | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p')"
  major="${version%%.*}"
  minor="$(echo "$version" | cut -d. -f2)"
  if [ -z "$major" ] || [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 2 ]; }; then
    echo "$binary ${version:-of unknown version} is too old for the Redis queue, which needs 6.2 or later:" >&2
    echo "install a newer one (Debian 12, Ubuntu 24.04, or packages.redis.io) and run this again." >&2
    return 1
  fi
  echo "redis-server $version is installed."
}

if command -v "$binary" >/dev/null 2>&1; then
  version_ok
  exit
fi

if [ -n "${REDIS_SERVER:-}" ]; then
  echo "REDIS_SERVER is $REDIS_SERVER, which is not a program: set it to a redis-server binary, or unset it." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing, and without apt-get this script cannot install it: install Redis 6.2 or later" >&2
  echo "with the system's package manager, or set REDIS_SERVER to a redis-server binary." >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  # Never waits for a password: in CI there is nobody to type it.
  if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
    echo "redis-server is missing; installing it needs root, and sudo is not available without a password. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y redis-server" >&2
    echo "or set REDIS_SERVER to a redis-server binary (6.2 or later)." >&2
    exit 1
  fi
  sudo=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends redis-server
version_ok
