#!/usr/bin/env python3
"""A MySQL 8 server's login, for tests/e2e/real-mysql8.sh: caching_sha2_password.

    mysql8-peer.py HOST PORT USER PASSWORD

Debian ships MariaDB, whose server has no caching_sha2_password; its client library does
(libmariadb's plugin). This peer greets as MySQL 8.0 does (HandshakeV10 naming
caching_sha2_password, a 20-byte nonce), checks the client's scramble the way the server
checks it against its cache (SHA256(password) XOR SHA256(SHA256(SHA256(password)) +
nonce)), and answers fast authentication (AuthMoreData 0x03, then OK) or ERR 1045
"Access denied"; then OK to COM_PING and the like until COM_QUIT.
"""

import hashlib
import os
import socket
import struct
import sys
import threading


# An OK packet: no rows, no insert id, SERVER_STATUS_AUTOCOMMIT, no warnings.
OK = b"\x00\x00\x00\x02\x00\x00\x00"


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def read_packet(f):
    head = f.read(4)
    if len(head) < 4:
        return None, None
    length = int.from_bytes(head[:3], "little")
    return head[3], f.read(length)


def scramble(password, nonce):
    stage1 = hashlib.sha256(password).digest()
    stage2 = hashlib.sha256(stage1).digest()
    mask = hashlib.sha256(stage2 + nonce).digest()
    return bytes(a ^ b for a, b in zip(stage1, mask))


def handle(conn, user, password):
    f = conn.makefile("rb")
    with conn:
        nonce = bytes(b % 94 + 33 for b in os.urandom(20))
        caps = 0x00FFF7FF & ~0x0800  # every capability but CLIENT_SSL
        greeting = (b"\x0a" + b"8.0.36\0" + struct.pack("<I", 7) + nonce[:8] + b"\0"
                    + struct.pack("<H", caps & 0xFFFF) + b"\xff" + struct.pack("<H", 2)
                    + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10
                    + nonce[8:] + b"\0" + b"caching_sha2_password\0")
        conn.sendall(packet(0, greeting))
        seq, body = read_packet(f)
        if body is None:
            return
        rest = body[32:]
        end = rest.index(b"\0")
        name, rest = rest[:end], rest[end + 1:]
        # The auth data's length: one byte (CLIENT_SECURE_CONNECTION), or the short form of
        # a length-encoded integer (CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA): the same for 32.
        n, rest = rest[0], rest[1:]
        auth = rest[:n]
        if name.decode() == user and auth == scramble(password.encode(), nonce):
            conn.sendall(packet(seq + 1, b"\x01\x03") + packet(seq + 2, OK))
        else:
            msg = "Access denied for user '%s'@'%s' (using password: YES)" % (
                name.decode(), "10.242.0.2")
            conn.sendall(packet(seq + 1, b"\xff" + struct.pack("<H", 1045) + b"#28000"
                                + msg.encode()))
            return
        while True:
            seq, body = read_packet(f)
            if not body or body[0] == 0x01:  # COM_QUIT
                return
            conn.sendall(packet(seq + 1, OK))


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, user, password), daemon=True).start()


if __name__ == "__main__":
    main()
