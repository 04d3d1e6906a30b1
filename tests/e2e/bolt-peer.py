#!/usr/bin/python3
"""A Neo4j 5 server as far as a Bolt driver's login and Cypher need, for tests/e2e/real-bolt.sh.

    bolt-peer.py --listen HOST:PORT[,max=MAJOR.MINOR][,manifest] ... --user NAME:PASSWORD ...

Debian ships no Neo4j: this answers the real Neo4j Python driver (neo4j on PyPI) as a Neo4j 5
server does, with the standard library alone. Every listener runs in this one process.

- The handshake: the magic 60 60 B0 17, then four version proposals of four bytes each,
  00 RANGE MINOR MAJOR (MAJOR.MINOR and the RANGE minor versions below it). The first
  proposal (in the client's order) that holds a version this server speaks (4.4, 5.0-5.8) at
  or below the listener's `max` (5.8 by default) wins, with its highest such version; the
  answer is 00 00 MINOR MAJOR, or 00 00 00 00 and a close when nothing fits. With
  `manifest`, a client offering the manifest handshake (00 00 01 FF) gets it instead, as
  Neo4j 2025 answers: 00 00 01 FF, a varint count of version ranges, the ranges, a varint of
  capabilities; the client then sends the version it chose and its capabilities (a varint).
- Messages travel in chunks: a big-endian 16-bit size and that many bytes, 00 00 ending the
  message (00 00 alone is a no-op). Each message is a PackStream structure: B0+n fields,
  a tag byte, then the fields.
- Bolt 5.1 and later: HELLO {user_agent, ...} without credentials, then LOGON {scheme,
  principal, credentials}. Before 5.1: the same keys inside HELLO. The scheme `basic` with a
  user and password given on the command line logs in (SUCCESS); anything else gets FAILURE
  Neo.ClientError.Security.Unauthorized "The client is unauthorized due to authentication
  failure." and the connection is closed, as Neo4j does.
- After a login: RUN (auto-commit, or in BEGIN ... COMMIT/ROLLBACK), PULL, DISCARD, RESET,
  GOODBYE, LOGOFF, TELEMETRY, ROUTE. Every statement succeeds with an empty result (the
  administration commands ALTER USER, CREATE USER, ALTER CURRENT USER ... SET PASSWORD are
  counted as system updates), except that the user `reader` may run none: FAILURE
  Neo.ClientError.Security.Forbidden "Permission denied.". After a FAILURE everything but
  RESET and GOODBYE is IGNORED, as Neo4j does. Parameters are logged, never interpreted.
- From Bolt 5.7 on, a FAILURE carries a GQL status: {gql_status, description, message,
  neo4j_code, diagnostic_record} (`neo4j_code` is the older `code`); before, {code, message}.

Each step is logged to stderr (credentials masked).
"""

import argparse
import base64
import itertools
import os
import re
import socket
import struct
import sys
import threading

MAGIC = b"\x60\x60\xb0\x17"
# The versions this server speaks, best first: Neo4j 5 speaks Bolt 4.4 and 5.x.
SPOKEN = [(5, minor) for minor in range(8, -1, -1)] + [(4, 4)]
AGENT = "Neo4j/5.26.0"

# Message tags. From the client:
HELLO, GOODBYE, RESET, RUN, BEGIN, COMMIT, ROLLBACK = 0x01, 0x02, 0x0F, 0x10, 0x11, 0x12, 0x13
DISCARD, PULL, TELEMETRY, ROUTE, LOGON, LOGOFF = 0x2F, 0x3F, 0x54, 0x66, 0x6A, 0x6B
# From the server:
SUCCESS, RECORD, IGNORED, FAILURE = 0x70, 0x71, 0x7E, 0x7F
NAMES = {HELLO: "HELLO", GOODBYE: "GOODBYE", RESET: "RESET", RUN: "RUN", BEGIN: "BEGIN",
         COMMIT: "COMMIT", ROLLBACK: "ROLLBACK", DISCARD: "DISCARD", PULL: "PULL",
         TELEMETRY: "TELEMETRY", ROUTE: "ROUTE", LOGON: "LOGON", LOGOFF: "LOGOFF",
         SUCCESS: "SUCCESS", RECORD: "RECORD", IGNORED: "IGNORED", FAILURE: "FAILURE"}

UNAUTHORIZED = ("Neo.ClientError.Security.Unauthorized",
                "The client is unauthorized due to authentication failure.",
                # Self-hosted Neo4j has no GQL status of its own for this yet: 50N42.
                "50N42", "error: general processing exception - unexpected error. "
                "The client is unauthorized due to authentication failure.")
FORBIDDEN = ("Neo.ClientError.Security.Forbidden", "Permission denied.",
             "42NFF", "error: syntax error or access rule violation - permission/access "
             "denied. Access denied, see the security logs for details.")
INVALID = ("Neo.ClientError.Request.Invalid", "Message not understood in this state.",
           "50N42", "error: general processing exception - unexpected error. "
           "Message not understood in this state.")

ADMIN = re.compile(r"^\s*(ALTER\s+CURRENT\s+USER|ALTER\s+USER|CREATE\s+(OR\s+REPLACE\s+)?USER)\b",
                   re.IGNORECASE)


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


# --- PackStream ---------------------------------------------------------------------------

class Structure:
    """A PackStream structure: a tag and its fields (a message, or a node, a date...)."""

    def __init__(self, tag, fields):
        self.tag, self.fields = tag, fields

    def __repr__(self):
        return "Structure(0x%02X, %r)" % (self.tag, self.fields)


def pack(value):
    """PackStream encoding of None, bool, int, float, str, bytes, list, dict, Structure."""
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        if -16 <= value <= 127:
            return struct.pack(">b", value)          # TINY_INT: the byte itself
        for marker, fmt in ((0xC8, ">b"), (0xC9, ">h"), (0xCA, ">i"), (0xCB, ">q")):
            try:
                return bytes([marker]) + struct.pack(fmt, value)
            except struct.error:
                continue
        raise ValueError("integer out of range: %d" % value)
    if isinstance(value, float):
        return b"\xc1" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return size_header(len(data), 0x80, 0xD0) + data
    if isinstance(value, (bytes, bytearray)):
        return size_header(len(value), None, 0xCC) + bytes(value)
    if isinstance(value, (list, tuple)):
        return size_header(len(value), 0x90, 0xD4) + b"".join(pack(v) for v in value)
    if isinstance(value, dict):
        return size_header(len(value), 0xA0, 0xD8) + b"".join(
            pack(k) + pack(v) for k, v in value.items())
    if isinstance(value, Structure):
        return bytes([0xB0 + len(value.fields), value.tag]) + b"".join(
            pack(v) for v in value.fields)
    raise TypeError("cannot pack %r" % (value,))


def size_header(n, tiny, marker8):
    """A size: TINY (marker | n, n < 16) if the type has one, else marker8/16/32 + n."""
    if tiny is not None and n < 16:
        return bytes([tiny + n])
    if n < 0x100:
        return bytes([marker8, n])
    if n < 0x10000:
        return bytes([marker8 + 1]) + struct.pack(">H", n)
    return bytes([marker8 + 2]) + struct.pack(">I", n)


class Unpacker:
    """Reads PackStream values from one message's bytes."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("PackStream value runs past the message")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def number(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self):
        m = self.take(1)[0]
        high = m & 0xF0
        if m < 0x80:
            return m                                   # TINY_INT 0..127
        if m >= 0xF0:
            return m - 0x100                           # TINY_INT -16..-1
        if high == 0x80:
            return self.take(m & 0x0F).decode("utf-8")
        if high == 0x90:
            return [self.value() for _ in range(m & 0x0F)]
        if high == 0xA0:
            return self.entries(m & 0x0F)
        if high == 0xB0:
            tag = self.take(1)[0]
            return Structure(tag, [self.value() for _ in range(m & 0x0F)])
        if m == 0xC0:
            return None
        if m == 0xC1:
            return self.number(">d")
        if m in (0xC2, 0xC3):
            return m == 0xC3
        ints = {0xC8: ">b", 0xC9: ">h", 0xCA: ">i", 0xCB: ">q"}
        if m in ints:
            return self.number(ints[m])
        sizes = {0: ">B", 1: ">H", 2: ">I"}
        if 0xCC <= m <= 0xCE:
            return bytes(self.take(self.number(sizes[m - 0xCC])))
        if 0xD0 <= m <= 0xD2:
            return self.take(self.number(sizes[m - 0xD0])).decode("utf-8")
        if 0xD4 <= m <= 0xD6:
            return [self.value() for _ in range(self.number(sizes[m - 0xD4]))]
        if 0xD8 <= m <= 0xDA:
            return self.entries(self.number(sizes[m - 0xD8]))
        raise ValueError("unknown PackStream marker 0x%02X" % m)

    def entries(self, n):
        out = {}
        for _ in range(n):
            key = self.value()
            out[key] = self.value()
        return out


# --- One connection -----------------------------------------------------------------------

class Closed(Exception):
    """The client went away (or the server closes the connection)."""


class Connection:
    ids = itertools.count(1)

    def __init__(self, sock, peer, listener, users):
        self.sock, self.listener, self.users = sock, listener, users
        self.id = "bolt-%d" % next(Connection.ids)
        self.tag = "[%s %s %s:%d]" % (listener["port"], self.id, peer[0], peer[1])
        self.inbuf = bytearray()       # bytes read from the socket, not yet used
        self.outbuf = bytearray()      # chunked responses not yet sent
        self.version = None
        self.user = None
        self.state = "CONNECTED"
        self.failed_from = None        # the state a RESET after a FAILURE goes back to
        self.admin = False             # whether the last statement was an administration command

    def log(self, *parts):
        log(self.tag, *parts)

    # Reading and writing.

    def read(self, n):
        while len(self.inbuf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise Closed("the client closed the connection")
            self.inbuf += data
        out = bytes(self.inbuf[:n])
        del self.inbuf[:n]
        return out

    def flush(self):
        if self.outbuf:
            self.sock.sendall(self.outbuf)
            self.outbuf.clear()

    def read_message(self):
        """One message's bytes, its chunks joined; no-op chunks (00 00 alone) skipped."""
        data = bytearray()
        while True:
            size = struct.unpack(">H", self.read(2))[0]
            if size == 0:
                if data:
                    return bytes(data)
                continue
            data += self.read(size)

    def send(self, tag, *fields):
        """Queues a message, chunked (at most 65535 bytes a chunk) and ended by 00 00.
        Responses go out together once every message already received is answered, as
        a server flushes after a batch: HELLO and LOGON sent together are answered together."""
        self.log("S:", NAMES.get(tag, "0x%02X" % tag), *(repr(f) for f in fields))
        body = pack(Structure(tag, list(fields)))
        for i in range(0, len(body), 0xFFFF):
            piece = body[i:i + 0xFFFF]
            self.outbuf += struct.pack(">H", len(piece)) + piece
        self.outbuf += b"\x00\x00"

    def fail(self, error):
        code, message, gql_status, description = error
        if self.version >= (5, 7):
            # Bolt 5.7: GQL errors; the Neo4j status code moves to `neo4j_code`.
            meta = {"gql_status": gql_status, "description": description, "message": message,
                    "neo4j_code": code,
                    "diagnostic_record": {"OPERATION": "", "OPERATION_CODE": "0",
                                          "CURRENT_SCHEMA": "/", "_classification": "CLIENT_ERROR"}}
        else:
            meta = {"code": code, "message": message}
        self.send(FAILURE, meta)
        if self.state != "FAILED":
            self.failed_from = self.state
        self.state = "FAILED"

    # The handshake.

    def handshake(self):
        if self.read(4) != MAGIC:
            raise Closed("no Bolt magic: not a Bolt client")
        raw = self.read(16)
        proposals = [(raw[i + 3], raw[i + 2], raw[i + 1]) for i in range(0, 16, 4)]
        self.log("C: handshake", raw.hex(" "), "=",
                 ", ".join("%d.%d (range %d)" % p for p in proposals if p != (0, 0, 0)))
        allowed = [v for v in SPOKEN if v <= self.listener["max"]]
        if self.listener["manifest"] and (0xFF, 1, 0) in proposals:
            return self.manifest(allowed)
        for major, minor, span in proposals:
            fits = [v for v in allowed if v[0] == major and minor - span <= v[1] <= minor]
            if fits:
                self.version = fits[0]
                break
        if self.version is None:
            self.log("S: handshake 00 00 00 00 (no common version)")
            self.sock.sendall(b"\x00\x00\x00\x00")
            raise Closed("no common version")
        self.log("S: handshake: Bolt %d.%d" % self.version)
        self.sock.sendall(bytes([0, 0, self.version[1], self.version[0]]))

    def manifest(self, allowed):
        """The manifest handshake (v1): our ranges, then the client's choice."""
        ranges = []
        for major in sorted({v[0] for v in allowed}, reverse=True):
            minors = [v[1] for v in allowed if v[0] == major]
            ranges.append(bytes([0, max(minors) - min(minors), max(minors), major]))
        answer = b"\x00\x00\x01\xff" + bytes([len(ranges)]) + b"".join(ranges) + b"\x00"
        self.log("S: manifest handshake", answer.hex(" "))
        self.sock.sendall(answer)
        chosen = self.read(4)
        capabilities = self.read(1)
        while capabilities[-1] & 0x80:
            capabilities += self.read(1)
        self.version = (chosen[3], chosen[2])
        self.log("C: manifest choice", chosen.hex(" "), capabilities.hex(" "),
                 "= Bolt %d.%d" % self.version)
        if self.version not in allowed:
            raise Closed("the client chose a version not offered")

    # Authentication.

    def check_auth(self, auth):
        """Whether auth (HELLO's or LOGON's map) names a user with the right password."""
        shown = {k: ("***" if k == "credentials" else v) for k, v in auth.items()}
        scheme, principal = auth.get("scheme"), auth.get("principal")
        right = (scheme == "basic" and principal in self.users
                 and auth.get("credentials") == self.users[principal])
        self.log("auth", shown, "->", "right" if right else "WRONG")
        if right:
            self.user = principal
        return right

    def welcome(self, extra):
        meta = {"server": AGENT, "connection_id": self.id,
                "hints": {"connection.recv_timeout_seconds": 120}}
        if "utc" in (extra.get("patch_bolt") or []) and self.version < (5, 0):
            meta["patch_bolt"] = ["utc"]
        return meta

    # Statements.

    def run(self, query, parameters, extra):
        """RUN: FAILURE for the user reader, else SUCCESS with no fields."""
        self.log("query by %s: %r parameters %r extra %r" % (self.user, query, parameters, extra))
        self.admin = bool(ADMIN.match(query))
        if self.user == "reader":
            self.fail(FORBIDDEN)
            return False
        meta = {"t_first": 1, "fields": []}
        if self.state == "TX_READY":
            meta["qid"] = 0
        self.send(SUCCESS, meta)
        return True

    def summary(self, in_tx):
        meta = {}
        if not in_tx:
            meta["bookmark"] = self.bookmark()
        if self.admin:
            meta["stats"] = {"system-updates": 1}
        meta.update({"type": "s" if self.admin else "rw", "t_last": 0,
                     "db": "system" if self.admin else "neo4j"})
        return meta

    @staticmethod
    def bookmark():
        return "FB:kcwQ" + base64.b64encode(os.urandom(16)).decode().rstrip("=") + "kA=="

    def route(self, fields):
        here = "%s:%s" % (self.listener["host"], self.listener["port"])
        db = fields[2].get("db") if isinstance(fields[2], dict) else fields[2]
        self.send(SUCCESS, {"rt": {"ttl": 300, "db": db or "neo4j", "servers": [
            {"addresses": [here], "role": "WRITE"},
            {"addresses": [here], "role": "READ"},
            {"addresses": [here], "role": "ROUTE"}]}})

    # The message loop.

    def serve(self):
        self.handshake()
        while True:
            msg = Unpacker(self.read_message()).value()
            if not isinstance(msg, Structure):
                raise Closed("a message that is not a structure: %r" % (msg,))
            self.handle(msg.tag, msg.fields)
            if not self.inbuf:
                self.flush()

    def handle(self, tag, fields):
        name = NAMES.get(tag, "0x%02X" % tag)
        shown = [{k: ("***" if k == "credentials" else v) for k, v in f.items()}
                 if isinstance(f, dict) else f for f in fields]
        self.log("C:", name, *(repr(f) for f in shown), "in", self.state)
        state, new_login = self.state, self.version >= (5, 1)

        if tag == GOODBYE:
            raise Closed("GOODBYE")
        if state == "FAILED":
            if tag == RESET:
                self.state = "READY" if self.failed_from not in ("CONNECTED", "AUTHENTICATION") \
                    else self.failed_from
                self.send(SUCCESS, {})
            else:
                self.send(IGNORED)
            return
        if tag == RESET and state not in ("CONNECTED", "AUTHENTICATION"):
            self.state = "READY"
            self.send(SUCCESS, {})
        elif tag == HELLO and state == "CONNECTED":
            if new_login:
                self.send(SUCCESS, self.welcome(fields[0]))
                self.state = "AUTHENTICATION"
            elif self.check_auth(fields[0]):
                self.send(SUCCESS, self.welcome(fields[0]))
                self.state = "READY"
            else:
                self.fail(UNAUTHORIZED)
                self.flush()
                raise Closed("authentication failed")
        elif tag == LOGON and new_login and state == "AUTHENTICATION":
            if self.check_auth(fields[0]):
                self.send(SUCCESS, {})
                self.state = "READY"
            else:
                self.fail(UNAUTHORIZED)
                self.flush()
                raise Closed("authentication failed")
        elif tag == LOGOFF and new_login and state == "READY":
            self.user = None
            self.send(SUCCESS, {})
            self.state = "AUTHENTICATION"
        elif tag == TELEMETRY and state in ("READY", "TX_READY"):
            self.send(SUCCESS, {})
        elif tag == ROUTE and state == "READY":
            self.route(fields)
        elif tag == RUN and state in ("READY", "TX_READY"):
            if self.run(*fields[:3]):
                self.state = "STREAMING" if state == "READY" else "TX_STREAMING"
        elif tag in (PULL, DISCARD) and state in ("STREAMING", "TX_STREAMING"):
            in_tx = state == "TX_STREAMING"
            self.send(SUCCESS, self.summary(in_tx))
            self.state = "TX_READY" if in_tx else "READY"
        elif tag == BEGIN and state == "READY":
            self.admin = False
            self.send(SUCCESS, {})
            self.state = "TX_READY"
        elif tag == COMMIT and state == "TX_READY":
            self.send(SUCCESS, {"bookmark": self.bookmark()})
            self.state = "READY"
        elif tag == ROLLBACK and state == "TX_READY":
            self.send(SUCCESS, {})
            self.state = "READY"
        else:
            self.fail(INVALID)


def handle_client(sock, peer, listener, users):
    conn = Connection(sock, peer, listener, users)
    conn.log("connected")
    try:
        conn.serve()
    except Closed as why:
        conn.log("closing:", why)
    except (OSError, ValueError, IndexError, TypeError, AttributeError) as exc:
        conn.log("closing on error:", repr(exc))
    finally:
        try:
            conn.flush()
        except OSError:
            pass
        sock.close()


def listen(listener, users):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((listener["host"], listener["port"]))
    srv.listen(16)
    log("listening on %s:%d, Bolt up to %d.%d%s" % (
        listener["host"], listener["port"], *listener["max"],
        ", manifest handshake" if listener["manifest"] else ""))

    def accept_loop():
        while True:
            sock, peer = srv.accept()
            threading.Thread(target=handle_client, args=(sock, peer, listener, users),
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()


def parse_listener(text):
    where, *options = text.split(",")
    host, port = where.rsplit(":", 1)
    listener = {"host": host, "port": int(port), "max": SPOKEN[0], "manifest": False}
    for opt in options:
        if opt.startswith("max="):
            major, minor = opt[4:].split(".")
            listener["max"] = (int(major), int(minor))
        elif opt == "manifest":
            listener["manifest"] = True
        else:
            raise argparse.ArgumentTypeError("unknown listener option %r" % opt)
    return listener


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", action="append", required=True, type=parse_listener,
                    metavar="HOST:PORT[,max=M.N][,manifest]")
    ap.add_argument("--user", action="append", required=True, metavar="NAME:PASSWORD")
    args = ap.parse_args()
    users = dict(u.split(":", 1) for u in args.user)
    for listener in args.listen:
        listen(listener, users)
    threading.Event().wait()


if __name__ == "__main__":
    main()
