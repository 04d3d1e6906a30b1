#!/usr/bin/python3
"""A peer that answers TDS 4.2 / 5.0 logins as Sybase Adaptive Server Enterprise does,
for tests/e2e/real-sybase.sh (Debian ships no Sybase or SAP ASE server; the client is
FreeTDS's real tsql).

    sybase-peer.py IP PORT USER PASSWORD

It reads the login record (packet type 0x02: host name, user name and password in
30-byte fields with a length byte after each, the TDS version at offset 458, the byte
order of integers the client asked for at offset 124) and answers with a LOGINACK token
whose status says success (TDS 5.0: 5, TDS 4.2: 1) or failure (TDS 5.0: an EED
"Login failed." 4002 then LOGINACK 6; TDS 4.2: an ERROR token alone), then DONE. Every
later request gets an empty DONE. One thread per connection; runs until killed.
"""

import socket
import struct
import sys
import threading

import tds_wire
from tds_wire import read_message

LOGIN, RESPONSE = 0x02, 0x04


def field(record, at):
    """A 30-byte field at `at` and its length byte after it."""
    n = min(record[at + 30], 30)
    return record[at:at + n]


class Order:
    def __init__(self, little):
        self.p = "<" if little else ">"

    def u16(self, v):
        return struct.pack(self.p + "H", v)

    def i32(self, v):
        return struct.pack(self.p + "i", v)


def envchange_database(o, name):
    n = name.encode()
    body = bytes([1, len(n)]) + n + bytes([len(n)]) + n
    return b"\xe3" + o.u16(len(body)) + body


def loginack(o, status, version):
    name = b"Adaptive Server Enterprise" if version[0] == 5 else b"SQL Server"
    body = bytes([status]) + version + bytes([len(name)]) + name + bytes([16, 0, 2, 0])
    return b"\xad" + o.u16(len(body)) + body


def eed(o, number, text):
    t, server = text.encode(), b"PEER_ASE"
    body = (o.i32(number) + bytes([1, 14]) + bytes([5]) + b"ZZZZZ" + bytes([0])
            + o.u16(0) + o.u16(len(t)) + t + bytes([len(server)]) + server + bytes([0])
            + o.u16(0))
    return b"\xe5" + o.u16(len(body)) + body


def error(o, number, text):
    t, server = text.encode(), b"PEER_SQL"
    body = (o.i32(number) + bytes([1, 14]) + o.u16(len(t)) + t
            + bytes([len(server)]) + server + bytes([0]) + o.u16(0))
    return b"\xaa" + o.u16(len(body)) + body


def done(o, status=0):
    return b"\xfd" + o.u16(status) + o.u16(0) + o.i32(0)


def serve(conn, user, password):
    with conn:
        kind, record = read_message(conn)
        if kind != LOGIN or record is None or len(record) < 462:
            return
        o = Order(record[124] == 3)  # lint2: 3 little-endian, 2 big-endian
        version = record[458:462]
        ok = field(record, 31) == user and field(record, 62) == password
        if version[0] == 5:
            reply = envchange_database(o, "master") if ok else eed(o, 4002, "Login failed.\n")
            reply += loginack(o, 5 if ok else 6, version) + done(o, 0 if ok else 2)
        elif ok:
            reply = envchange_database(o, "master") + loginack(o, 1, version) + done(o)
        else:
            reply = error(o, 4002, "Login failed.") + done(o, 2)
        conn.sendall(tds_wire.packets(RESPONSE, reply, 512))
        print("login", "accepted" if ok else "refused", flush=True)
        if not ok:
            return
        while True:
            kind, _ = read_message(conn)
            if kind is None:
                return
            conn.sendall(tds_wire.packets(RESPONSE, done(o), 512))


def main():
    ip, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, user.encode(), password.encode()),
                         daemon=True).start()


if __name__ == "__main__":
    main()
