#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz targets, from the project's own fixtures.

Run from the fuzz/ directory: python3 make_seeds.py
"""
import os
import struct

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def packets(path):
    """(linktype, frame bytes) of a classic little-endian pcap."""
    d = open(path, "rb").read()
    magic = d[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return []
    linktype = struct.unpack("<I", d[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(d):
        _, _, caplen, _ = struct.unpack("<IIII", d[off:off + 16])
        out.append((linktype, d[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


for name in ["telnet-linemode.pcap", "pop3-sasl.pcap", "ip-fragments.pcap", "multi-link.pcapng", "ftp-reordered.pcap"]:
    write("capture", name, open(os.path.join(FIX, name), "rb").read())

# decode: first byte picks the link type (index into the target's table), 0xa5 separates packets.
link_index = {1: 0, 101: 1, 0: 4, 113: 6, 276: 7}
for name in ["ftp-ipv6.pcap", "vlan-qinq.pcap", "linux-sll.pcap", "null-loopback.pcap", "ip-fragments.pcap"]:
    ps = packets(os.path.join(FIX, name))
    if not ps:
        continue
    lt = link_index.get(ps[0][0], 0)
    frames = [p for _, p in ps if b"\xa5" not in p][:6]
    write("decode", name, bytes([lt]) + b"\xa5".join(frames))


def conversation(records):
    """The dissector targets' format: control byte (direction bit 0, length << 1), bytes."""
    out = b""
    for to_client, data in records:
        while data:
            piece, data = data[:127], data[127:]
            out += bytes([(len(piece) << 1) | (1 if to_client else 0)]) + piece
    return out


S, C = True, False
write("dissect_ftp", "login", conversation([
    (S, b"220 hi\r\n"), (C, b"USER bob\r\n"), (S, b"331 pw\r\n"), (C, b"PASS secret\r\n"),
    (S, b"530 no\r\n"), (C, b"USER anonymous\r\nPASS x@y\r\n"), (S, b"331 ok\r\n230-a\r\n230 in\r\n"),
    (C, b"AUTH TLS\r\n"), (S, b"234 go\r\n")]))
write("dissect_pop3", "login", conversation([
    (S, b"+OK ready <1.2@host>\r\n"), (C, b"CAPA\r\n"), (S, b"+OK\r\nSASL PLAIN\r\n.\r\n"),
    (C, b"USER bob\r\n"), (S, b"+OK\r\n"), (C, b"PASS pw\r\n"), (S, b"-ERR no\r\n"),
    (C, b"APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n"), (S, b"-ERR\r\n"),
    (C, b"AUTH PLAIN AGJvYgBwdw==\r\n"), (S, b"-ERR\r\n"), (C, b"AUTH LOGIN\r\n"),
    (S, b"+ VXNlcm5hbWU6\r\n"), (C, b"Ym9i\r\n"), (S, b"+ UGFzc3dvcmQ6\r\n"), (C, b"cHc=\r\n"),
    (S, b"+OK\r\n")]))
write("dissect_telnet", "login", conversation([
    (S, b"\xff\xfd\x18\xff\xfb\x01login: "), (C, b"\xff\xfb\x18r"), (C, b"o"), (C, b"o"), (C, b"t\r\0"),
    (S, b"\r\nPassword: "), (C, b"to\x7fo"), (C, b"r\r\n"), (S, b"\r\nLogin incorrect\r\nlogin: "),
    (C, b"\xff\xfa\x27\x00\x00USER\x01bob\xff\xf0"), (S, b"Password: "), (C, b"pw\r\n"),
    (S, b"\r\nLast login: x\r\n$ "), (C, b"passwd\r\n"), (S, b"New password: "), (C, b"n3w\r\n"),
    (S, b"passwd: updated successfully\r\n$ ")]))

# reassembly: isn byte, then records (kind, 3-byte offset + 0x800000, length/4, cut).
def rec(kind, off, length4, cut=0):
    o = off + 0x800000
    return bytes([kind, (o >> 16) & 0xff, (o >> 8) & 0xff, o & 0xff, length4, cut])

write("reassembly", "in-order", bytes([0]) + rec(0, 0, 4) + rec(0, 16, 4) + rec(2, 40, 0) + rec(3, 0, 0))
write("reassembly", "reordered", bytes([2]) + rec(0, 32, 8) + rec(0, 0, 4) + rec(0, 16, 4, 3) + rec(0, 8, 6) + rec(2, 80, 0))
write("reassembly", "wrap-fin", bytes([254]) + rec(0x40, 0, 10) + rec(0x80, 8, 2))

# defrag: records of id, offset (8-byte units, 2 bytes), length, flags (bit 0 more, bit 1 garbage).
write("defrag", "three", bytes([1, 0, 2, 24, 1, 1, 0, 0, 16, 1, 1, 0, 5, 8, 0]))
write("defrag", "overlap", bytes([2, 0, 0, 40, 1, 2, 0, 2, 40, 3, 2, 0, 4, 16, 0]))
