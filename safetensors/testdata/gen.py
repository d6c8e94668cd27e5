#!/usr/bin/env python3
"""Writes the safetensors fixtures of package safetensors, byte by byte,
with nothing but the Python standard library: it shares no code with the Go
writer, so the Go reader is checked against an independent writer.

    python3 gen.py [OUTDIR]     # default: the directory of this script

python.safetensors      as the reference Python writer lays files out: JSON
                        keys sorted, data in another order, {"format": "pt"}
                        metadata, no checksum.
python_crc.safetensors  the same with latentflow's checksum, a CRC-32C
                        (Castagnoli) computed here bit by bit.
"""
import json
import os
import struct
import sys

# name -> (shape, values), in the order of their data in the buffer.
TENSORS = [
    ("w", [2, 3], [1.0, -2.0, 0.5, 3.25, -0.0, 1e-8]),
    ("e", [0, 4], []),
    ("b", [3], [0.1, 0.2, 0.3]),
    ("x", [4], [float("inf"), float("-inf"), float("nan"), 1e-45]),
    ("s", [], [42.0]),
]


def crc32c(data):
    """CRC-32C, reflected polynomial 0x82F63B78, init and xorout 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


def build(metadata):
    header, buf = {}, b""
    for name, shape, values in TENSORS:
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    meta = dict(metadata)
    if meta.pop("crc", False):
        meta["latentflow_crc32c"] = "%08x" % crc32c(buf)
    header["__metadata__"] = meta
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + buf


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(out, "python.safetensors"), "wb") as f:
        f.write(build({"format": "pt"}))
    with open(os.path.join(out, "python_crc.safetensors"), "wb") as f:
        f.write(build({"format": "pt", "crc": True}))


if __name__ == "__main__":
    main()
