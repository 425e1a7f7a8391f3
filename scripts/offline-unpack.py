#!/usr/bin/env python3
"""Unpacks the parts that scripts/offline-bundle.sh wrote (one xz tarball, split) from .offline/ or the folder given."""
import glob
import io
import lzma
import os
import sys
import tarfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".offline")
parts = sorted(glob.glob(os.path.join(folder, "part-*.tar.xz")))
if not parts:
    sys.exit(f"no part-*.tar.xz in {folder}: run scripts/offline-bundle.sh where npm install worked")


class Joined(io.RawIOBase):
    """The parts read back to back as one stream."""

    def __init__(self, paths):
        self.files = [open(p, "rb") for p in paths]

    def readable(self):
        return True

    def readinto(self, buf):
        while self.files:
            n = self.files[0].readinto(buf)
            if n:
                return n
            self.files.pop(0).close()
        return 0


with lzma.open(io.BufferedReader(Joined(parts), 1 << 20)) as xz, tarfile.open(fileobj=xz, mode="r|") as tar:
    # "tar" filter: keep modes (executables) but refuse paths outside root
    tar.extractall(root, **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
print(f"unpacked {len(parts)} part(s) into {root}")
