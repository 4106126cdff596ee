"""Reads a RobustNode checkpoint with the Python standard library and PyTorch, as a user would.

usage: read_checkpoint.py CHECKPOINT OUT.json

The checkpoint is an envelope ("RNODECKP", int32 version, int64 payload length L, payload, SHA-256) around a
safetensors file. safetensors is not installed on Debian, so its header is parsed with json and struct: u64 header
length N, N bytes of JSON, then the tensors' bytes at their data offsets. Writes the metadata and every tensor
(dtype, shape, values as a flat list) as JSON.
"""
import hashlib
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def main():
    path, out = sys.argv[1], sys.argv[2]
    blob = open(path, "rb").read()
    assert blob[:8] == b"RNODECKP", "not a RobustNode checkpoint"
    version, length = struct.unpack_from("<iq", blob, 8)
    assert hashlib.sha256(blob[:-32]).digest() == blob[-32:], "checksum mismatch"
    payload = blob[20:20 + length]
    (n,) = struct.unpack_from("<Q", payload, 0)
    header = json.loads(payload[8:8 + n].decode("utf-8"))
    data = payload[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": [float(v) for v in t.flatten().tolist()]}
    json.dump({"version": version, "metadata": header["__metadata__"], "tensors": tensors}, open(out, "w"))


if __name__ == "__main__":
    main()
