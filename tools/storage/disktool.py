#!/usr/bin/env python3
"""disktool.py - disk images for tools/storage-test.sh, and the checks on them.

  mkdata IMG SECTORS          raw data disk; every sector holds "DATADISK",
                              its LBA and a fill byte, so any stray write
                              shows up in a checksum
  mkgpt IMG ESP SECTORS       GPT disk: the FAT image ESP as an EFI System
                              partition at LBA 2048, a Linux data partition
                              right after it, the rest data pattern
  esp-range IMG               print "LBA+SECTORS" of the GPT disk's ESP
  sum IMG [LBA+N ...]         sha256 of the image with the given ranges
                              left out (the bytes the hv may write)
  range-sum IMG LBA+N         sha256 of just that range
  verify IMG LBA+N ...        every sector of the ranges carries the hv's
                              self-test pattern header ("FORMICA!", its own
                              LBA, one seed for all); prints the seed
  vdisk IMG NAME FIRST+N LBA+N ...
                              the extents, end to end, are a guest's
                              virtual disk: its sectors FIRST..FIRST+N-1
                              carry guest-tests/vblk.asm's pattern for the
                              guest NAME, every other sector of the extents
                              still holds mkdata's
Only the standard library: it runs wherever python3 does.
"""
import hashlib
import struct
import sys
import uuid
import zlib

SECTOR = 512
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
LINUX_TYPE = uuid.UUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")


def data_sector(lba):
    head = b"DATADISK" + struct.pack("<Q", lba)
    return head + bytes([(lba * 7 + 1) & 0xFF]) * (SECTOR - len(head))


def write_data(f, first, count):
    f.seek(first * SECTOR)
    chunk = 2048
    for base in range(first, first + count, chunk):
        n = min(chunk, first + count - base)
        f.write(b"".join(data_sector(base + i) for i in range(n)))


def mkdata(img, sectors):
    with open(img, "wb") as f:
        f.truncate(sectors * SECTOR)
        write_data(f, 0, sectors)


def parse_range(s):
    a, b = s.split("+")
    return int(a, 0), int(b, 0)


def gpt_entries(esp_first, esp_last, data_first, data_last):
    ents = bytearray(128 * 128)
    for i, (t, first, last, name) in enumerate(
        [
            (ESP_TYPE, esp_first, esp_last, "EFI system"),
            (LINUX_TYPE, data_first, data_last, "formica data"),
        ]
    ):
        e = t.bytes_le + uuid.uuid4().bytes_le + struct.pack("<QQQ", first, last, 0)
        e += name.encode("utf-16-le").ljust(72, b"\0")
        ents[i * 128 : (i + 1) * 128] = e
    return bytes(ents)


def gpt_header(my, alt, first_usable, last_usable, entries_lba, entries, disk_guid):
    h = struct.pack(
        "<8sIIIIQQQQ16sQIII",
        b"EFI PART",
        0x00010000,
        92,
        0,
        0,
        my,
        alt,
        first_usable,
        last_usable,
        disk_guid,
        entries_lba,
        128,
        128,
        zlib.crc32(entries),
    )
    crc = zlib.crc32(h)
    h = h[:16] + struct.pack("<I", crc) + h[20:]
    return h.ljust(SECTOR, b"\0")


def mkgpt(img, esp, sectors):
    with open(esp, "rb") as f:
        fat = f.read()
    esp_first = 2048
    esp_sectors = (len(fat) + SECTOR - 1) // SECTOR
    esp_last = esp_first + esp_sectors - 1
    data_first = esp_last + 1 + 2048
    data_last = sectors - 34 - 4096
    if data_last <= data_first:
        sys.exit("mkgpt: disk too small")
    entries = gpt_entries(esp_first, esp_last, data_first, data_last)
    guid = uuid.uuid4().bytes_le
    with open(img, "wb") as f:
        f.truncate(sectors * SECTOR)
        write_data(f, 0, sectors)
        # protective MBR
        mbr = bytearray(SECTOR)
        mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\x02\0", 0xEE, b"\xff\xff\xff", 1,
                                   min(sectors - 1, 0xFFFFFFFF))
        mbr[510:512] = b"\x55\xaa"
        f.seek(0)
        f.write(mbr)
        f.seek(1 * SECTOR)
        f.write(gpt_header(1, sectors - 1, 34, sectors - 34, 2, entries, guid))
        f.write(entries)
        f.seek((sectors - 33) * SECTOR)
        f.write(entries)
        f.write(gpt_header(sectors - 1, 1, 34, sectors - 34, sectors - 33, entries, guid))
        f.seek(esp_first * SECTOR)
        f.write(fat.ljust(esp_sectors * SECTOR, b"\0"))


def esp_range(img):
    with open(img, "rb") as f:
        f.seek(SECTOR)
        h = f.read(SECTOR)
        (elba,) = struct.unpack_from("<Q", h, 72)
        f.seek(elba * SECTOR)
        e = f.read(128)
    first, last = struct.unpack_from("<QQ", e, 32)
    return first, last - first + 1


def digest(img, skip):
    skip = sorted(skip)
    h = hashlib.sha256()
    with open(img, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        pos = 0
        for lba, n in skip + [(end // SECTOR, 0)]:
            start = lba * SECTOR
            f.seek(pos)
            while pos < start:
                b = f.read(min(1 << 20, start - pos))
                if not b:
                    break
                h.update(b)
                pos += len(b)
            pos = max(pos, (lba + n) * SECTOR)
    return h.hexdigest()


def range_digest(img, lba, n):
    h = hashlib.sha256()
    with open(img, "rb") as f:
        f.seek(lba * SECTOR)
        h.update(f.read(n * SECTOR))
    return h.hexdigest()


def sectors(f, ranges):
    """Every sector of the ranges, in order: (its LBA, its bytes)."""
    for lba, n in ranges:
        f.seek(lba * SECTOR)
        for i in range(n):
            yield lba + i, f.read(SECTOR)


def verify(img, ranges):
    seed = None
    bad = 0
    total = 0
    with open(img, "rb") as f:
        for lba, s in sectors(f, ranges):
            total += 1
            magic, got_lba, got_seed = struct.unpack_from("<8sQQ", s)
            if seed is None:
                seed = got_seed
            if magic != b"FORMICA!" or got_lba != lba or got_seed != seed:
                if bad < 5:
                    print(f"verify: LBA {lba}: magic {magic!r} lba {got_lba} "
                          f"seed {got_seed:#x}")
                bad += 1
    print(f"verify: {total - bad}/{total} sectors carry the pattern, seed {seed or 0:#x}")
    return bad == 0


def vblk_sector(name, sector):
    """guest-tests/vblk.asm: qword k = NAME ^ (sector << 32 | k), NAME the
    first 8 bytes of the guest's GET_ID answer (its name, NUL-padded)."""
    seed = struct.unpack("<Q", name.encode()[:8].ljust(8, b"\0"))[0]
    return b"".join(struct.pack("<Q", seed ^ (sector << 32 | k)) for k in range(SECTOR // 8))


def vdisk_verify(img, name, written, ranges):
    first, n = written
    bad = 0
    total = 0
    with open(img, "rb") as f:
        for vsec, (lba, got) in enumerate(sectors(f, ranges)):
            total += 1
            inside = first <= vsec < first + n
            if got != (vblk_sector(name, vsec) if inside else data_sector(lba)):
                if bad < 5:
                    print(f"vdisk: {name} sector {vsec} (LBA {lba}): not the "
                          f"{'written pattern' if inside else 'original data'}")
                bad += 1
    print(f"vdisk: {name}: {total - bad}/{total} sectors as expected ({n} written)")
    return bad == 0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, img = argv[1], argv[2]
    if cmd == "mkdata":
        mkdata(img, int(argv[3], 0))
    elif cmd == "mkgpt":
        mkgpt(img, argv[3], int(argv[4], 0))
    elif cmd == "esp-range":
        a, n = esp_range(img)
        print(f"{a}+{n}")
    elif cmd == "sum":
        print(digest(img, [parse_range(r) for r in argv[3:]]))
    elif cmd == "range-sum":
        print(range_digest(img, *parse_range(argv[3])))
    elif cmd == "verify":
        sys.exit(0 if verify(img, [parse_range(r) for r in argv[3:]]) else 1)
    elif cmd == "vdisk":
        ok = vdisk_verify(img, argv[3], parse_range(argv[4]), [parse_range(r) for r in argv[5:]])
        sys.exit(0 if ok else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
