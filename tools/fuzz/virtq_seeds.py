#!/usr/bin/python3
"""virtq_seeds.py OUTDIR - write the seeds of fuzz_virtq (tools/fuzz/fuzz_virtq.c).

A fuzzer finds a valid virtio-blk ring by chance only slowly: a chain needs a
16-byte readable header, sector-multiple data and a 1-byte writable status,
all inside RAM, and the avail ring must point at it.  These seeds are rings
a driver would write (ring at page 1 of the 16 KiB fake RAM, 128 entries,
headers after the avail ring, data and status bytes in page 0 and page 3)
and, each one step away from them, the broken rings the device must refuse.
Each seed is the 16-byte harness header followed by RAM from 0x1000 on.
"""
import os
import struct
import sys

RING = 0x1000
SIZE = 128
AVAIL = RING + 16 * SIZE
HDRS = 0x1a00  # free space between the avail ring and the used ring (0x2000)
CAP = 1000


class Ring:
    def __init__(self):
        self.ram = bytearray(0x1000)  # RAM[0x1000, 0x2000): what the input covers
        self.idx = 0
        self.nhdr = 0

    def put(self, gpa, fmt, *v):
        struct.pack_into("<" + fmt, self.ram, gpa - RING, *v)

    def desc(self, i, addr, length, flags, nxt=0):
        self.put(RING + 16 * i, "QIHH", addr, length, flags, nxt)

    def kick(self, head):
        self.put(AVAIL + 4 + 2 * (self.idx % SIZE), "H", head)
        self.idx += 1
        self.put(AVAIL + 2, "H", self.idx)

    def request(self, d0, typ, sector, data, dw, status):
        """Header, data buffers [(gpa, len)], status byte at descriptors d0..; kicked."""
        hdr = HDRS + 16 * self.nhdr
        self.nhdr += 1
        self.put(hdr, "IIQ", typ, 0, sector)
        self.desc(d0, hdr, 16, 1, d0 + 1)
        for k, (gpa, n) in enumerate(data):
            self.desc(d0 + 1 + k, gpa, n, 1 | (2 if dw else 0), d0 + 2 + k)
        self.desc(d0 + 1 + len(data), status, 1, 2)
        self.kick(d0)

    def seed(self, qlog=7, pfn=1, rounds=0, flags=0, step=0, cap=CAP):
        end = max(i + 1 for i, b in enumerate(self.ram) if b) if any(self.ram) else 0
        return struct.pack("<BBBBHHQ", qlog, pfn, rounds, flags, step, 0, cap) + self.ram[:end]


def one(typ=0, sector=0, data=((0x3000, 512),), dw=True):
    r = Ring()
    r.request(0, typ, sector, list(data), dw, 0x0f00)
    return r


def main(out):
    os.makedirs(out, exist_ok=True)
    seeds = {}
    seeds["read"] = one().seed()
    seeds["read-qsize8"] = one().seed(qlog=3)
    seeds["write-4seg-last-sectors"] = one(1, CAP - 4, [(0x3000 + 512 * k, 512) for k in range(4)], False).seed()
    r = Ring()
    r.request(0, 0, 8, [(0x3000, 4096)], True, 0x0f00)
    r.request(3, 1, 16, [(0x0000, 1024)], False, 0x0f01)
    r.request(6, 4, 0, [], False, 0x0f02)
    r.request(8, 8, 0, [(0x0e00, 20)], True, 0x0f03)
    seeds["read-write-flush-getid"] = r.seed()
    seeds["read-write-flush-getid-reverse-ioerr"] = r.seed(flags=3)
    seeds["two-rounds-reset"] = one().seed(rounds=1, flags=4, step=1)
    seeds["rounds-keep-step"] = one().seed(rounds=3, flags=8, step=1)
    r = Ring()
    for k in range(42):  # 126 of the 128 descriptors
        r.request(3 * k, k % 2, 8 * k, [(0x3000 + 64 * k, 512)], k % 2 == 0, 0x0f00 + k)
    seeds["42-requests"] = r.seed()
    seeds["42-requests-keep-new-ring"] = r.seed(rounds=1, flags=8 | 16)
    # Broken, one thing each.
    r = one(); r.desc(1, 0x3000, 512, 3, 0); seeds["loop"] = r.seed()
    r = one(); r.desc(1, 0x3000, 512, 3, 200); seeds["next-out-of-range"] = r.seed()
    r = one(); r.desc(1, 0x3000, 512, 7, 2); seeds["indirect"] = r.seed()
    r = one(); r.desc(1, 0x3f00, 512, 3, 2); seeds["buffer-past-ram"] = r.seed()
    r = one(); r.desc(1, 0x3000, 0, 3, 2); seeds["zero-length"] = r.seed()
    r = one(); r.desc(2, 0x0f00, 1, 0); seeds["status-readable"] = r.seed()
    r = one(); r.desc(0, HDRS, 8, 1, 1); seeds["short-header"] = r.seed()
    r = one(); r.put(AVAIL + 4, "H", 128); seeds["head-out-of-range"] = r.seed()
    r = one(); r.put(AVAIL + 2, "H", 200); seeds["avail-idx-too-far"] = r.seed()
    seeds["write-wrong-direction"] = one(1).seed()
    seeds["len-not-sector-multiple"] = one(data=[(0x3000, 500)]).seed()
    seeds["sector-past-end"] = one(sector=CAP).seed()
    seeds["sector-wraps"] = one(sector=2**64 - 1).seed()
    seeds["type-unsupported"] = one(typ=3).seed()
    seeds["33-segments"] = one(data=[(0x3000, 512)] * 33).seed()
    seeds["ring-past-ram"] = one().seed(pfn=3)
    for name, b in seeds.items():
        with open(os.path.join(out, "seed-virtq-" + name), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main(sys.argv[1])
