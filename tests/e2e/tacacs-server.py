#!/usr/bin/env python3
"""A small TACACS+ authentication server (RFC 8907) for plainsight's end-to-end test: the
real client is Authen::TacacsPlus (Debian's libauthen-tacacsplus-perl); this side only
has to answer it. PAP, CHAP and ASCII logins against one account.

usage: tacacs-server.py PORT KEY USER PASSWORD READY_FILE
Serves connections on 127.0.0.1:PORT one after another until killed; writes READY_FILE
once listening.
"""
import hashlib
import socket
import struct
import sys

PORT, KEY, USER, PASSWORD, READY = sys.argv[1:6]
KEY, USER, PASSWORD = KEY.encode(), USER.encode(), PASSWORD.encode()


def pad(session, version, seq, n):
    out, prev = b"", b""
    while len(out) < n:
        prev = hashlib.md5(session + KEY + bytes([version, seq]) + prev).digest()
        out += prev
    return out[:n]


def crypt(header, body):
    session, version, seq = header[4:8], header[0], header[2]
    return bytes(a ^ b for a, b in zip(body, pad(session, version, seq, len(body))))


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        part = conn.recv(n - len(data))
        if not part:
            raise EOFError
        data += part
    return data


def send_reply(conn, header, status, msg=b""):
    version, session, seq = header[0], header[4:8], header[2] + 1
    body = struct.pack("!BBHH", status, 0, len(msg), 0) + msg
    h = bytes([version, 1, seq, 0]) + session + struct.pack("!I", len(body))
    conn.sendall(h + crypt(h, body))


def serve(conn):
    user = None
    authen_type = None
    while True:
        header = recv_exact(conn, 12)
        body = crypt(header, recv_exact(conn, struct.unpack("!I", header[8:12])[0]))
        seq = header[2]
        if seq == 1:
            _action, _priv, authen_type, _svc, ul, pl, rl, dl = body[:8]
            rest = body[8:]
            user = rest[:ul] or None
            data = rest[ul + pl + rl:ul + pl + rl + dl]
            if authen_type == 2:  # PAP
                ok = user == USER and data == PASSWORD
                send_reply(conn, header, 1 if ok else 2)
                return
            if authen_type == 3:  # CHAP: id, challenge, MD5(id + password + challenge)
                ident, challenge, response = data[:1], data[1:-16], data[-16:]
                ok = user == USER and hashlib.md5(ident + PASSWORD + challenge).digest() == response
                send_reply(conn, header, 1 if ok else 2)
                return
            if user is None:
                send_reply(conn, header, 4, b"Username: ")  # GETUSER
            else:
                send_reply(conn, header, 5, b"Password: ")  # GETPASS
            continue
        ul, dl, _flags = struct.unpack("!HHB", body[:5])
        msg = body[5:5 + ul]
        if user is None:
            user = msg
            send_reply(conn, header, 5, b"Password: ")
            continue
        send_reply(conn, header, 1 if (user == USER and msg == PASSWORD) else 2)
        return


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(PORT)))
s.listen(4)
open(READY, "w").write("ready\n")
while True:
    conn, _ = s.accept()
    try:
        serve(conn)
    except (EOFError, ConnectionError, ValueError):
        pass
    finally:
        conn.close()
