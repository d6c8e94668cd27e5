#!/usr/bin/python3
"""Writes the .npy fixtures of package data's tests with NumPy.

Run from this directory: /usr/bin/python3 make_fixtures.py
(Debian: apt-get install python3-numpy). The valid files hold values the
test recomputes: f4-2x3.npy is arange(6)*0.5 - 1 as float32, f8-5.npy the
float64 values below, f4-2x3x4.npy arange(24) as float32, f4-scalar.npy the
0-d float32 3.25, f4-0x3.npy an empty (0, 3) float32 array, f4-v2.npy the
2x3 array again in format version 2.0. The integer files (u1-*, i4-*, i8-*)
and the float labels f8-labels.npy hold the values listed below, which
TestReadNPYIntegerFixtures and TestReadNPYLabels repeat. The invalid-*.npy
files are broken on purpose, each in one way (see the comments below and
TestReadNPYErrors).
"""
import io
import numpy as np

f4 = (np.arange(6, dtype=np.float32) * np.float32(0.5) - np.float32(1)).reshape(2, 3)
np.save("f4-2x3.npy", f4)
np.save("f8-5.npy", np.array([0.1, -2.5, 1e10, 3.0e-8, -0.0], dtype="<f8"))
np.save("f4-2x3x4.npy", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
np.save("f4-scalar.npy", np.array(3.25, dtype=np.float32))
np.save("f4-0x3.npy", np.zeros((0, 3), dtype=np.float32))
with open("f4-v2.npy", "wb") as f:
    np.lib.format.write_array(f, f4, version=(2, 0))

# Integer arrays ('|u1', '<i4', '<i8') and labels.
np.save("u1-2x3.npy", np.array([[0, 1, 127], [128, 254, 255]], dtype=np.uint8))
np.save("u1-4.npy", np.array([0, 1, 2, 255], dtype=np.uint8))
np.save("i4-6.npy", np.array([5, 4, 3, 2, 1, 0], dtype="<i4"))
np.save("i8-6.npy", np.array([3, 0, 9, 1, 1, 7], dtype="<i8"))
# the extremes ReadNPY converts to float32 exactly: +-2^24
np.save("i8-2x3.npy", np.array([[-2**24, -1, 0], [1, 255, 2**24]], dtype="<i8"))
np.save("i8-big.npy", np.array([0, 2**24 + 1], dtype="<i8"))  # 2^24+1 is not exact in float32
np.save("i8-neg.npy", np.array([1, -1], dtype="<i8"))  # a negative label
np.save("f8-labels.npy", np.array([0.0, 2.0, 1.0, 9.0], dtype="<f8"))


def saved(a):
    b = io.BytesIO()
    np.save(b, a)
    return bytearray(b.getvalue())


good = saved(f4)  # 128-byte header (v1.0), then 24 bytes of data

b = bytearray(good); b[1:6] = b"NUMPZ"
open("invalid-magic.npy", "wb").write(b)  # bad magic

b = bytearray(good); b[6] = 9
open("invalid-version.npy", "wb").write(b)  # format version 9.0

open("invalid-fortran.npy", "wb").write(saved(np.asfortranarray(np.ones((2, 3), dtype=np.float32))))

open("invalid-dtype.npy", "wb").write(saved(np.arange(6, dtype="<c8")))  # complex64, '<c8'

open("invalid-structured.npy", "wb").write(saved(np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")])))

open("invalid-fortran-i8.npy", "wb").write(saved(np.asfortranarray(np.arange(6, dtype="<i8").reshape(2, 3))))

open("invalid-bigendian.npy", "wb").write(saved(np.arange(6, dtype=">f4")))  # '>f4'

b = bytearray(good); b[8:10] = (60000).to_bytes(2, "little")
open("invalid-header-length.npy", "wb").write(b)  # header longer than the file

open("invalid-truncated.npy", "wb").write(good[:-5])  # data 5 bytes short

open("invalid-trailing.npy", "wb").write(good + b"\0\0\0\0")  # 4 bytes too many

b = bytearray(good); i = b.index(b"'shape'"); b[i:i + 7] = b"'shope'"
open("invalid-header-key.npy", "wb").write(b)  # no 'shape' key

open("invalid-short.npy", "wb").write(good[:5])  # shorter than the magic
