#!/usr/bin/python3
"""A peer that answers TDS 7.4 as Microsoft SQL Server does, for tests/e2e/real-mssql.sh
(Debian ships no SQL Server; the client is FreeTDS's real tsql).

    mssql-peer.py IP PORT MODE USER PASSWORD [CERT KEY]

MODE `clear`: its PRELOGIN answer says ENCRYPT_NOT_SUP, and the LOGIN7 comes in the
clear. MODE `login`: it answers ENCRYPT_OFF to a client at ENCRYPT_OFF, as SQL Server
without forced encryption does: the TLS handshake runs inside PRELOGIN packets (TLS 1.2,
the certificate CERT and key KEY), the LOGIN7 comes in TLS records, and everything after
it is in the clear. A LOGIN7 with USER and PASSWORD gets ENVCHANGE, LOGINACK and DONE;
any other gets ERROR 18456 "Login failed for user". Each SQL batch gets a DONE, or, for
every line naming the login `sa` (`LOGIN sa`, `'sa'`), ERROR 15151 "Cannot alter the
login 'sa'..." with that line's number, as SQL Server refuses a login without
permission. Each RPC request (a procedure called by name, sp_executesql...) gets its
RETURNSTATUS and a final DONEPROC, or, when it names `bob` anywhere, ERROR 15025 "The
server principal 'bob' already exists." first, as sp_addlogin raises it. Prints "login
accepted|refused", "batch <lines> errors <n>" and "rpc errors <n>" as it goes.
One thread per connection; runs until killed.
"""

import re
import socket
import ssl
import struct
import sys
import threading

import tds_wire
from tds_wire import read_message, recv_exact

SQL_BATCH, RPC, RESPONSE, LOGIN7, PRELOGIN = 0x01, 0x03, 0x04, 0x10, 0x12
ENCRYPT_OFF, ENCRYPT_NOT_SUP = 0x00, 0x02


def utf16(s):
    return s.encode("utf-16-le")


def b_varchar(s):
    return bytes([len(s)]) + utf16(s)


def us_varchar(s):
    return struct.pack("<H", len(s)) + utf16(s)


def prelogin_options(p):
    """{option: data} of a PRELOGIN payload."""
    out, at = {}, 0
    while at < len(p) and p[at] != 0xFF:
        token, offset, length = struct.unpack(">BHH", p[at:at + 5])
        out[token] = p[offset:offset + length]
        at += 5
    return out


def prelogin_answer(encryption):
    options = [(0x00, bytes([16, 0, 0x10, 0x5E, 0, 0])), (0x01, bytes([encryption]))]
    head_len = 5 * len(options) + 1
    head, data = b"", b""
    for token, value in options:
        head += struct.pack(">BHH", token, head_len + len(data), len(value))
        data += value
    return head + b"\xff" + data


def login7_fields(p):
    """User name, password (de-obfuscated) and database of a LOGIN7 payload."""
    def field(at):
        offset, chars = struct.unpack("<HH", p[at:at + 4])
        return p[offset:offset + 2 * chars]
    password = bytes(((b ^ 0xA5) << 4 | (b ^ 0xA5) >> 4) & 0xFF for b in field(44))
    decode = lambda b: b.decode("utf-16-le", "replace")
    return decode(field(40)), decode(password), decode(field(68))


def envchange_database(name):
    body = b"\x01" + b_varchar(name) + b_varchar("master")
    return b"\xe3" + struct.pack("<H", len(body)) + body


def loginack():
    body = b"\x01" + struct.pack(">I", 0x74000004) + b_varchar("Microsoft SQL Server") \
        + bytes([16, 0, 0x10, 0x5E])
    return b"\xad" + struct.pack("<H", len(body)) + body


def error(number, klass, text, line):
    body = (struct.pack("<iBB", number, 1, klass) + us_varchar(text) + b_varchar("PEER")
            + b_varchar("") + struct.pack("<I", line))
    return b"\xaa" + struct.pack("<H", len(body)) + body


def done(status=0):
    return b"\xfd" + struct.pack("<HHQ", status, 0, 0)


def rpc_answer(refused):
    reply = b""
    if refused:
        reply += error(15025, 16, "The server principal 'bob' already exists.", 1)
    return reply + b"\x79" + struct.pack("<i", 1 if refused else 0) \
        + b"\xfe" + struct.pack("<HHQ", 2 if refused else 0, 0, 0)


def tls_login(conn, cert, key):
    """The TLS handshake inside PRELOGIN packets, then the LOGIN7 from TLS records."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            data = outgoing.read()
            if data:
                conn.sendall(tds_wire.packets(PRELOGIN, data, 4096))
            kind, payload = read_message(conn)
            if kind is None:
                return None
            incoming.write(payload)
    data = outgoing.read()
    if data:
        conn.sendall(tds_wire.packets(PRELOGIN, data, 4096))
    # The LOGIN7 packet, in TLS records straight on the connection.
    plain = b""
    while len(plain) < 8 or len(plain) < struct.unpack(">H", plain[2:4])[0]:
        head = recv_exact(conn, 5)
        if head is None:
            return None
        body = recv_exact(conn, struct.unpack(">H", head[3:5])[0])
        if body is None:
            return None
        incoming.write(head + body)
        try:
            plain += tls.read(65536)
        except ssl.SSLWantReadError:
            pass
    return plain[8:]


def serve(conn, mode, user, password, cert, key):
    with conn:
        kind, payload = read_message(conn)
        if kind != PRELOGIN or payload is None:
            return
        client = prelogin_options(payload).get(0x01, b"\x02")[:1]
        login_only = mode == "login" and client == bytes([ENCRYPT_OFF])
        conn.sendall(tds_wire.packets(RESPONSE, prelogin_answer(ENCRYPT_OFF if login_only else ENCRYPT_NOT_SUP), 4096))
        if login_only:
            login = tls_login(conn, cert, key)
        else:
            kind, login = read_message(conn)
            if kind != LOGIN7:
                return
        if login is None:
            return
        name, secret, database = login7_fields(login)
        ok = name == user and secret == password
        if ok:
            reply = envchange_database(database or "master") + loginack() + done()
        else:
            reply = error(18456, 14, f"Login failed for user '{name}'.", 1) + done(2)
        conn.sendall(tds_wire.packets(RESPONSE, reply, 4096))
        print("login", "accepted" if ok else "refused", flush=True)
        if not ok:
            return
        while True:
            kind, payload = read_message(conn)
            if kind is None:
                return
            if kind == RPC:
                refused = "bob".encode("utf-16-le") in payload
                conn.sendall(tds_wire.packets(RESPONSE, rpc_answer(refused), 4096))
                print("rpc errors", int(refused), flush=True)
                continue
            if kind != SQL_BATCH:
                conn.sendall(tds_wire.packets(RESPONSE, done(), 4096))
                continue
            total = struct.unpack("<I", payload[:4])[0] if len(payload) >= 4 else 0
            text = payload[total if 10 <= total <= len(payload) else 0:].decode("utf-16-le", "replace")
            reply, errors = b"", 0
            for number, line in enumerate(text.split("\n"), 1):
                if re.search(r"(LOGIN\s+\[?sa\]?(\s|$))|('sa')", line, re.IGNORECASE):
                    reply += error(15151, 16, "Cannot alter the login 'sa', because it does not "
                                   "exist or you do not have permission.", number)
                    errors += 1
            conn.sendall(tds_wire.packets(RESPONSE, reply + done(2 if errors else 0), 4096))
            print("batch", len(text.split("\n")), "errors", errors, flush=True)


def main():
    ip, port, mode, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    cert, key = (sys.argv[6], sys.argv[7]) if len(sys.argv) > 7 else (None, None)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode, user, password, cert, key),
                         daemon=True).start()


if __name__ == "__main__":
    main()
