#!/usr/bin/python3
"""A peer that answers Oracle Net (TNS) and TTC as an Oracle Database 19c server does, far
enough for python-oracledb's thin client to log in with O5LOGON, run a statement and log
off; for tests/e2e/real-oracle.sh (Debian ships no Oracle server; the client is the real
python-oracledb). Written from the protocol, not from any server's code.

    oracle-peer.py --listen IP:PORT[,version=N][,resend] ... \
                   --user NAME:PASSWORD:12c|11g ... [--service NAME ...]

Per connection (one thread each), in the order a real listener and server process go:

  CONNECT      the connect descriptor follows in a DATA packet when it is longer than
               230 bytes; SERVICE_NAME must be a --service, else REFUSE (ORA-12514).
               With "resend" the first CONNECT is answered RESEND, and the client sends
               it again on the same socket, as real listeners sometimes ask.
  ACCEPT       TNS version min(client's, N) (default 318). From 315 every later packet
               header carries a 4-byte length. At 318 the service options say "can
               receive attention" and the client checks out-of-band breaks: one urgent
               TCP byte ("!") then a MARKER packet (reset), which the server swallows.
  ANO          the client's 0xDEADBEEF negotiation (supervisor, authentication,
               encryption, data integrity): all four answered "none".
  TTC 1, 2     protocol (banner, charsets, compile/runtime capabilities) and data types.
  AUTH 0x76    phase one: AUTH_SESSKEY (the server's half, AES-CBC under the verifier
               key), AUTH_VFR_DATA (salt; verifier type in the pair's flags),
               AUTH_PBKDF2_CSK_SALT, _VGEN_COUNT, _SDER_COUNT, AUTH_GLOBALLY_UNIQUE_DBID.
               An unknown user gets a made-up 12c verifier (no user enumeration).
  AUTH 0x73    phase two: the client's AUTH_SESSKEY half is decrypted, the combined key
               derived (PBKDF2-SHA512 over the hex of both halves), AUTH_PASSWORD
               decrypted and compared (AUTH_NEWPASSWORD, if sent, becomes the password).
               Right: AUTH_SESSION_ID, AUTH_VERSION_NO, AUTH_SVR_RESPONSE and friends.
               Wrong or unknown user: ORA-01017; the connection stays open, as Oracle's.
  OALL8 0x5e   any statement succeeds, but one naming SYSTEM gets ORA-01031.
  LOGOFF 0x09  acknowledged; a DATA packet with the EOF flag (0x0040) ends the session.

Verifiers: 12c (0x4815): key = SHA-512(PBKDF2-SHA512(password, salt ||
"AUTH_PBKDF2_SPEEDY_KEY", VGEN_COUNT, 64) || salt)[:32], AES-256, 32-byte session key
halves. 11g (0xB152): key = SHA-1(password || salt) || 4 zero bytes, AES-192; the server's
half is 40 random bytes and 8 bytes of 0x08 padding (48 bytes, as real 11g servers send).
Every step is logged to stderr. Runs until killed.
"""

import argparse
import hashlib
import itertools
import os
import re
import select
import socket
import struct
import sys
import threading
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# TNS packet types
CONNECT, ACCEPT, REFUSE, DATA, RESEND, MARKER, CONTROL = 1, 2, 4, 6, 11, 12, 14
DATA_EOF = 0x0040  # DATA packet flag: the client's last packet
SDU = 8192
# TTC message types
MSG_PROTOCOL, MSG_DATA_TYPES, MSG_FUNCTION, MSG_ERROR, MSG_PARAMETER, MSG_PIGGYBACK = \
    1, 2, 3, 4, 8, 17
# TTC function codes
FN_AUTH_ONE, FN_AUTH_TWO, FN_EXECUTE, FN_LOGOFF, FN_CLOSE_CURSORS = 0x76, 0x73, 0x5E, 0x09, 0x69
VERIFIER_12C, VERIFIER_11G = 0x4815, 0xB152
VGEN_COUNT, SDER_COUNT = 4096, 3
FIELD_VERSION = 12  # TTC field version of 19.1, what the server offers
VERSION_NO = (19 << 24) | (3 << 16)  # 19.3.0.0.0 in the 18c+ packing
DBID = os.urandom(16).hex().upper()  # AUTH_GLOBALLY_UNIQUE_DBID
SERVER_TO_CLIENT = b"SERVER_TO_CLIENT"

LOCK = threading.Lock()
SESSION_IDS = itertools.count(57)


def log(tag, text):
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} oracle-peer {tag} {text}\n")
    sys.stderr.flush()


# --- AES-CBC with a zero IV, no padding (callers pad) -------------------------------------

def aes_encrypt(key, data):
    e = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return e.update(data) + e.finalize()


def aes_decrypt(key, data):
    d = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    return d.update(data) + d.finalize()


def unpad(plain):
    """Removes PKCS#7 padding; None if there is none (a wrong key gives garbage)."""
    n = plain[-1] if plain else 0
    if not 1 <= n <= 16 or plain[-n:] != bytes([n]) * n:
        return None
    return plain[:-n]


# --- users and their verifiers -----------------------------------------------------------

class User:
    """What the server keeps: the verifier (salt and the key derived from the password).
    The password itself is kept only to compare against the decrypted AUTH_PASSWORD."""

    def __init__(self, name, password, kind, known=True):
        self.name, self.kind, self.known = name, kind, known
        self.set_password(password)

    def set_password(self, password):
        self.password = password.encode()
        if self.kind == "11g":
            self.salt = os.urandom(10)
            self.key = hashlib.sha1(self.password + self.salt).digest() + bytes(4)
        else:
            self.salt = os.urandom(16)
            speedy = hashlib.pbkdf2_hmac("sha512", self.password,
                                         self.salt + b"AUTH_PBKDF2_SPEEDY_KEY", VGEN_COUNT, 64)
            self.speedy = speedy
            self.key = hashlib.sha512(speedy + self.salt).digest()[:32]

    @property
    def verifier_type(self):
        return VERIFIER_11G if self.kind == "11g" else VERIFIER_12C


USERS = {}


# --- TTC encoding ------------------------------------------------------------------------
# Integers (ub2/ub4/ub8) go as a length byte and that many big-endian bytes (0 is one
# zero byte). Byte strings ("CLR") go as a length byte and the bytes, or, above 252 bytes,
# 0xFE then chunks (each a ub4 length and its bytes) ending with a zero ub4.

def ub(n):
    if n == 0:
        return b"\0"
    size = 1 if n <= 0xFF else 2 if n <= 0xFFFF else 4 if n <= 0xFFFFFFFF else 8
    return bytes([size]) + n.to_bytes(size, "big")


def clr(data):
    if not data:
        return b"\0"
    if len(data) <= 252:
        return bytes([len(data)]) + data
    out = b"\xfe"
    for i in range(0, len(data), 32767):
        out += ub(len(data[i:i + 32767])) + data[i:i + 32767]
    return out + ub(0)


def key_value(key, value, flags=0):
    """A key/value pair as both sides write them: ub4 key length, the key as CLR (the
    length twice), ub4 value length, the value as CLR if not empty, ub4 flags."""
    k, v = key.encode(), value.encode()
    return ub(len(k)) + clr(k) + ub(len(v)) + (clr(v) if v else b"") + ub(flags)


def parameters(pairs):
    """TTC message 8 (return parameters) as the AUTH calls answer: ub2 count, pairs."""
    out = bytes([MSG_PARAMETER]) + ub(len(pairs))
    for pair in pairs:
        out += key_value(*pair)
    return out


def end_of_call(error=0, text="", cursor=0, call_status=0, seq=0):
    """TTC message 4: the end of a call, an error if `error` is not 0. Field by field as
    python-oracledb reads it (ub = variable integer, b = one raw byte)."""
    m = bytes([MSG_ERROR])
    m += ub(call_status) + ub(seq)         # ub4 end of call status, ub2 end-to-end seq#
    m += ub(0)                             # ub4 current row number
    m += ub(error & 0xFFFF)                # ub2 error number
    m += ub(0) + ub(0)                     # ub2 array element error (twice)
    m += ub(cursor) + ub(0)                # ub2 cursor id, ub2 error position
    m += b"\0\0"                           # b SQL type, b fatal
    m += ub(0) + ub(0)                     # ub2 flags, ub2 user cursor options
    m += b"\0\0"                           # b UPI parameter, b warning flag
    m += ub(0) + ub(0) + b"\0"              # rowid: ub4 rba, ub2 partition, b,
    m += ub(0) + ub(0)                     #   ub4 block, ub2 slot
    m += ub(0)                             # ub4 OS error
    m += b"\0\0"                           # b statement number, b call number
    m += ub(0) + ub(0)                     # ub2 padding, ub4 success iterations
    m += ub(0)                             # ub4 length of oerrdd (logical rowid)
    m += ub(0) + ub(0) + ub(0)             # ub2 batch error codes, offsets, messages
    m += ub(error) + ub(0)                 # ub4 error number (extended), ub8 row count
    if error:
        m += clr(text.encode())            # "ORA-nnnnn: ...\n"
    return m


class Reader:
    """Reads TTC fields from a client's message."""

    def __init__(self, data, at=0):
        self.d, self.i = data, at

    def raw(self, n):
        if self.i + n > len(self.d):
            raise ValueError(f"message ends at {len(self.d)}, wanted {n} bytes at {self.i}")
        self.i += n
        return self.d[self.i - n:self.i]

    def u8(self):
        return self.raw(1)[0]

    def ub(self):
        n = self.u8() & 0x7F
        return int.from_bytes(self.raw(n), "big") if n else 0

    def clr(self):
        n = self.u8()
        if n in (0, 0xFF):
            return b""
        if n != 0xFE:
            return self.raw(n)
        out = b""
        while True:
            size = self.ub()
            if size == 0:
                return out
            out += self.raw(size)

    def key_value(self):
        self.ub()
        key = self.clr().decode()
        value = self.clr().decode() if self.ub() else ""
        return key, value, self.ub()


# --- TNS packets -------------------------------------------------------------------------

class Tns:
    """One TCP connection's TNS packets. Header: length, then type, flags and a zero
    header checksum; the length is 2 bytes and a zero packet checksum follows until the
    ACCEPT has settled on version 315 or later, then it is 4 bytes."""

    def __init__(self, sock, tag):
        self.sock, self.tag, self.buf, self.large = sock, tag, b"", False

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        head = self._read(8)
        length = struct.unpack(">I" if self.large else ">H", head[:4 if self.large else 2])[0]
        if length < 8:
            raise ValueError(f"packet length {length}")
        return head[4], head[5], self._read(length - 8)

    def send(self, ptype, body, flags=0):
        n = 8 + len(body)
        head = struct.pack(">I", n) if self.large else struct.pack(">HH", n, 0)
        self.sock.sendall(head + bytes([ptype, flags]) + b"\0\0" + body)

    def send_data(self, payload):
        self.send(DATA, b"\0\0" + payload)  # data flags 0

    def recv_message(self):
        """The next client request: DATA packets joined (one the SDU long means more
        follow), or a MARKER. Returns (packet type, data flags, payload)."""
        ptype, _, body = self.recv()
        if ptype != DATA:
            return ptype, 0, body
        flags, payload = struct.unpack(">H", body[:2])[0], body[2:]
        while len(body) + 8 == SDU:
            ptype, _, body = self.recv()
            payload += body[2:]
        return DATA, flags, payload


# --- the connection ----------------------------------------------------------------------

def parse_listen(spec):
    addr, *opts = spec.split(",")
    host, port = addr.rsplit(":", 1)
    cfg = {"host": host, "port": int(port), "version": 318, "resend": False}
    for opt in opts:
        if opt == "resend":
            cfg["resend"] = True
        elif opt.startswith("version="):
            cfg["version"] = int(opt[8:])
        else:
            raise SystemExit(f"unknown listener option {opt!r}")
    return cfg


class Session:
    def __init__(self, sock, cfg, services, tag):
        self.tns = Tns(sock, tag)
        self.sock, self.cfg, self.services, self.tag = sock, cfg, services, tag
        self.oob_check = False
        self.field_version = FIELD_VERSION
        self.auth = None     # phase-one state
        self.user = None     # logged-in user
        self.cursors = itertools.count(1)

    def log(self, text):
        log(self.tag, text)

    # -- Oracle Net: CONNECT, RESEND, REFUSE, ACCEPT --

    def connect(self):
        resend = self.cfg["resend"]
        while True:
            ptype, _, body = self.tns.recv()
            if ptype != CONNECT:
                raise ValueError(f"expected CONNECT, got packet type {ptype}")
            (version, low, options, sdu, tdu, _, _, _, cd_len, cd_off) = \
                struct.unpack(">10H", body[:20])
            flags2 = struct.unpack(">I", body[62:66])[0] if len(body) >= 66 else 0
            data = body[cd_off - 8:cd_off - 8 + cd_len]
            if cd_len and not data:  # descriptor longer than 230 bytes: next DATA packet
                dtype, _, dbody = self.tns.recv()
                data = dbody[2:] if dtype == DATA else b""
            self.log(f"CONNECT version {version} (lowest {low}), service options "
                     f"{options:#06x}, SDU {sdu}, connect flags 2 {flags2:#x}, "
                     f"descriptor {len(data)} bytes: {data.decode(errors='replace')}")
            if resend:
                resend = False
                self.tns.send(RESEND, b"")
                self.log("RESEND: the client is to send its CONNECT again")
                continue
            break
        m = re.search(rb"\(SERVICE_NAME=([^)]*)\)", data, re.I)
        service = m.group(1).decode() if m else ""
        if service.upper() not in self.services:
            text = (b"(DESCRIPTION=(TMP=)(VSNNUM=%d)(ERR=12514)"
                    b"(ERROR_STACK=(ERROR=(CODE=12514)(EMFI=4))))" % VERSION_NO)
            self.tns.send(REFUSE, b"\x22\x00" + struct.pack(">H", len(text)) + text)
            self.log(f"REFUSE: service {service!r} unknown (ORA-12514)")
            return False
        version = min(version, self.cfg["version"])
        can_attention = bool(options & 0x0400)
        self.oob_check = version >= 318 and can_attention
        accept_options = 0x0801 | (0x0400 if can_attention else 0)
        # version, options, SDU, TDU, 1 in the server's byte order, accept data length
        # and offset (set below), connect flags 0 and 1 ("NA services enabled")
        head = struct.pack(">HHHHHHH", version, accept_options, min(sdu, SDU), 0xFFFF,
                           0x0100, 0, 0) + b"\x04\x04"
        if version >= 315:  # then reserved bytes, 32-bit SDU and TDU
            head += bytes(8) + struct.pack(">II", SDU, 0xFFFF)
            # and from 318 accept flags (4 bytes, 1: check out-of-band breaks)
            head += b"\0" if version < 318 else b"\0" + struct.pack(">I", int(self.oob_check))
        head = head[:12] + struct.pack(">H", 8 + len(head)) + head[14:]  # offset to data
        self.tns.send(ACCEPT, head)
        self.tns.large = version >= 315
        self.log(f"ACCEPT version {version}, service options {accept_options:#06x}"
                 f"{', out-of-band check expected' if self.oob_check else ''}; "
                 f"{'4' if self.tns.large else '2'}-byte packet lengths from now on")
        return True

    def urgent_byte(self):
        """At 318 the client's first act after the ACCEPT is one urgent TCP byte. It is
        read out of band before any normal read: Linux forgets the urgent mark once a
        normal read has passed it."""
        _, _, pending = select.select([], [], [self.sock], 10)
        try:
            urgent = self.sock.recv(1, socket.MSG_OOB) if pending else None
        except OSError:
            urgent = None
        self.log(f"urgent (out-of-band) byte {urgent!r}: "
                 f"{'breaks can go out of band' if urgent else 'none came'}")

    def marker(self, body):
        kind = body[2] if len(body) >= 3 else -1
        check = "ends the out-of-band check; " if self.oob_check else ""
        self.log(f"MARKER type {kind} ({'reset, ' if kind == 2 else ''}{check}"
                 "nothing to answer)")
        self.oob_check = False

    # -- the advanced negotiation (ANO), answered "nothing to negotiate" --

    def ano(self, payload):
        count = struct.unpack(">H", payload[10:12])[0]
        at, names = 13, []
        for _ in range(count):
            service, subs = struct.unpack(">HH", payload[at:at + 4])
            names.append(service)
            at += 8
            for _ in range(subs):
                at += 4 + struct.unpack(">H", payload[at:at + 2])[0]
        self.log(f"ANO: client offers services {names}; answering all four: none active")
        version = struct.pack(">HHI", 4, 5, 0x13000000)  # sub-packet: version 19.0.0.0

        def service(number, subs):
            return struct.pack(">HHI", number, len(subs), 0) + b"".join(subs)

        array = b"\xde\xad\xbe\xef" + struct.pack(">HI", 3, 4) + struct.pack(">4H", 4, 1, 2, 3)
        body = (service(4, [version, struct.pack(">HHH", 2, 6, 0x001F),
                            struct.pack(">HH", len(array), 1) + array])
                + service(1, [version, struct.pack(">HHH", 2, 6, 0xFBFF)])
                + service(2, [version, struct.pack(">HHB", 1, 1, 0)])
                + service(3, [version, struct.pack(">HHB", 1, 1, 0)]))
        header = b"\xde\xad\xbe\xef" + struct.pack(">HIHB", 13 + len(body), 0x13000000, 4, 0)
        self.tns.send_data(header + body)

    # -- TTC protocol and data types negotiation --

    def protocol(self, payload):
        driver = payload[3:].split(b"\0")[0].decode(errors="replace")
        self.log(f"TTC protocol: client {driver!r} wants version {payload[1]}")
        # Compile-time capabilities modelled on a 19c server's: field version 12 (19.1),
        # logon types O5LOGON, O5LOGON_NP, O7LOGON, O8LOGON_LONG_IDENTIFIER (0x6A).
        caps = bytearray(45)
        for i, v in {0: 6, 1: 1, 4: 0x6A, 5: 1, 6: 1, 7: FIELD_VERSION, 8: 1, 15: 0x29,
                     16: 0x90, 17: 3, 18: 7, 19: 3, 21: 1, 23: 0x03, 26: 0x04, 27: 1,
                     31: 0x10, 34: 12, 37: 0xB0, 40: 0x04}.items():
            caps[i] = v
        runtime = bytes([2, 1, 0, 0, 0, 0, 5])
        # The format descriptor: opaque here but for the national character set id
        # (AL16UTF16, 2000) at 6 + fdo[5] + fdo[6] + 3.
        fdo = bytes([4, 1, 2, 4, 8, 0, 0, 0, 0, 0x07, 0xD0, 0, 0, 0, 0, 0])
        answer = (bytes([MSG_PROTOCOL, 6, 0]) + b"x86_64/Linux 2.4.xx\0"
                  + struct.pack("<HBH", 873, 1, 0)  # AL32UTF8 (LE), flags, no elements
                  + struct.pack(">H", len(fdo)) + fdo + clr(bytes(caps)) + clr(runtime))
        self.tns.send_data(answer)

    def data_types(self, payload):
        # 02, in and out charset (LE), flags, compile caps (length byte), runtime caps
        # (length byte), then 8 bytes a data type, ending with a zero type.
        n1 = payload[6]
        client_caps = payload[7:7 + n1]
        n2 = payload[7 + n1]
        types = payload[8 + n1 + n2:]
        if len(client_caps) > 7:
            self.field_version = min(FIELD_VERSION, client_caps[7])
        self.log(f"TTC data types: {len(types) // 8} types, TTC field version "
                 f"{self.field_version}; echoed")
        self.tns.send_data(bytes([MSG_DATA_TYPES]) + types)

    # -- functions --

    def function(self, payload):
        r = Reader(payload)
        while payload[r.i] == MSG_PIGGYBACK:  # piggybacked calls go first
            r.u8()
            code, _ = r.u8(), r.u8()
            if code != FN_CLOSE_CURSORS:
                self.log(f"piggyback function {code:#x} not understood; answered OK")
                return self.tns.send_data(end_of_call())
            r.u8()
            ids = [r.ub() for _ in range(r.ub())]
            self.log(f"piggyback: close cursors {ids}")
        if r.u8() != MSG_FUNCTION:
            raise ValueError(f"not a function message: {payload[:4].hex()}")
        code, seq = r.u8(), r.u8()
        handler = {FN_AUTH_ONE: self.auth_one, FN_AUTH_TWO: self.auth_two,
                   FN_EXECUTE: self.execute, FN_LOGOFF: self.logoff}.get(code)
        if handler is None:
            self.log(f"function {code:#x} (seq {seq}): answered OK")
            return self.tns.send_data(end_of_call())
        handler(r, seq)

    def auth_header(self, r):
        """The AUTH calls' fields: pointer (1 if a user name follows), ub4 user name
        length, ub4 mode, pointer, ub4 number of pairs, two pointers, the user name (raw,
        no length byte), then the pairs."""
        has_user, user_len, mode = r.u8(), r.ub(), r.ub()
        r.u8()
        count = r.ub()
        r.u8(), r.u8()
        user = r.raw(user_len).decode() if has_user else ""
        pairs = {}
        for _ in range(count):
            key, value, _ = r.key_value()
            pairs[key] = value
        return user, mode, pairs

    def auth_one(self, r, seq):
        name, mode, pairs = self.auth_header(r)
        self.log(f"AUTH phase one (seq {seq}): user {name!r}, mode {mode:#x}, "
                 f"{', '.join(f'{k}={v}' for k, v in pairs.items())}")
        with LOCK:
            user = USERS.get(name.lower())
        if user is None:  # an unknown user gets a verifier all the same
            user = User(name, os.urandom(12).hex(), "12c", known=False)
        part_a = os.urandom(32) if user.kind == "12c" else os.urandom(40) + b"\x08" * 8
        self.auth = {"user": user, "key": user.key, "kind": user.kind, "part_a": part_a,
                     "csk_salt": os.urandom(16), "password": user.password,
                     "speedy": getattr(user, "speedy", None)}
        sesskey = aes_encrypt(user.key, part_a).hex().upper()
        self.tns.send_data(parameters([
            ("AUTH_SESSKEY", sesskey),
            ("AUTH_VFR_DATA", user.salt.hex().upper(), user.verifier_type),
            ("AUTH_PBKDF2_CSK_SALT", self.auth["csk_salt"].hex().upper()),
            ("AUTH_PBKDF2_VGEN_COUNT", str(VGEN_COUNT)),
            ("AUTH_PBKDF2_SDER_COUNT", str(SDER_COUNT)),
            ("AUTH_GLOBALLY_UNIQUE_DBID", DBID),
        ]) + end_of_call())
        self.log(f"  -> AUTH_SESSKEY {sesskey}, AUTH_VFR_DATA {user.salt.hex().upper()} "
                 f"(verifier {user.verifier_type:#06x})")

    def auth_two(self, r, seq):
        name, mode, pairs = self.auth_header(r)
        self.log(f"AUTH phase two (seq {seq}): user {name!r}, mode {mode:#x}, keys "
                 f"{', '.join(pairs)}")
        a = self.auth
        ok, new = False, None
        if a and "AUTH_SESSKEY" in pairs and "AUTH_PASSWORD" in pairs:
            keylen = 24 if a["kind"] == "11g" else 32
            part_b = aes_decrypt(a["key"], bytes.fromhex(pairs["AUTH_SESSKEY"]))
            combo = part_b[:keylen] + a["part_a"][:keylen]
            session_key = hashlib.pbkdf2_hmac("sha512", combo.hex().upper().encode(),
                                              a["csk_salt"], SDER_COUNT, keylen)
            password = unpad(aes_decrypt(session_key, bytes.fromhex(pairs["AUTH_PASSWORD"])))
            # 16 random bytes, then the password
            ok = password is not None and password[16:] == a["password"] and a["user"].known
            self.log(f"  AUTH_PASSWORD decrypts to {password[16:] if password else None!r}: "
                     f"{'right' if ok else 'wrong'}")
            if ok and a["speedy"] is not None and "AUTH_PBKDF2_SPEEDY_KEY" in pairs:
                # 16 random bytes and the PBKDF2 key the verifier came from
                speedy = aes_decrypt(session_key,
                                     bytes.fromhex(pairs["AUTH_PBKDF2_SPEEDY_KEY"]))[16:80]
                self.log(f"  AUTH_PBKDF2_SPEEDY_KEY "
                         f"{'matches' if speedy == a['speedy'] else 'DIFFERS'}")
            if ok and "AUTH_NEWPASSWORD" in pairs:
                new = unpad(aes_decrypt(session_key, bytes.fromhex(pairs["AUTH_NEWPASSWORD"])))
                new = new[16:] if new else None
        if not ok:
            self.log("  -> ORA-01017")
            return self.tns.send_data(end_of_call(
                1017, "ORA-01017: invalid username/password; logon denied\n"))
        user = a["user"]
        if new is not None:
            with LOCK:
                user.set_password(new.decode())
            self.log(f"  AUTH_NEWPASSWORD {new!r}: the user's password is changed")
        self.user, self.auth = user, None
        session_id = next(SESSION_IDS)
        response = aes_encrypt(session_key, os.urandom(16) + SERVER_TO_CLIENT).hex().upper()
        service = sorted(self.services)[0]
        self.tns.send_data(parameters([
            ("AUTH_VERSION_STRING", "- Production"),
            ("AUTH_VERSION_SQL", "19"),
            ("AUTH_XACTION_TRAITS", "3"),
            ("AUTH_VERSION_NO", str(VERSION_NO)),
            ("AUTH_VERSION_STATUS", "0"),
            ("AUTH_CAPABILITY_TABLE", ""),
            ("AUTH_DBNAME", service),
            ("AUTH_INSTANCENAME", "ORCLCDB"),
            ("AUTH_INSTANCE_NO", "1"),
            ("AUTH_USER_ID", str(100 + len(user.name))),
            ("AUTH_SESSION_ID", str(session_id)),
            ("AUTH_SERIAL_NUM", str(40000 + session_id)),
            ("AUTH_SERVER_PID", str(os.getpid())),
            ("AUTH_SC_SERVICE_NAME", service.lower()),
            ("AUTH_NLS_LXCCHARSET", "AL32UTF8"),
            ("AUTH_MAX_IDEN_LENGTH", "128"),
            ("AUTH_SVR_RESPONSE", response),
        ]) + end_of_call())
        self.log(f"  -> logged in as {user.name}, session {session_id}")

    def execute(self, r, seq):
        fv = self.field_version
        options, cursor = r.ub(), r.ub()
        has_sql, sql_len = r.u8(), r.ub()
        r.u8(), r.ub()                   # pointer, al8i4 length (13)
        r.u8(), r.u8()                   # pointers al8o4, al8o4l
        r.ub(), r.ub(), r.ub()           # prefetch size, prefetch rows, max long size
        r.u8(), r.ub()                   # binds
        for _ in range(5):
            r.u8()                       # al8app, al8txn, al8txl, al8kv, al8kvl
        r.u8(), r.ub()                   # defines
        r.ub()                           # registration id
        r.u8(), r.u8(), r.u8(), r.ub()   # al8objlist, al8objlen, al8blv, al8blvl
        r.u8(), r.ub(), r.ub()           # al8dnam, al8dnaml, al8regid_msb
        r.u8(), r.ub(), r.u8()           # DML row counts
        if fv >= 8:                      # 12.2: SQL signature and SQL id
            r.u8(), r.ub(), r.u8(), r.ub(), r.u8()
            if fv >= 9:                  # chunk ids
                r.u8(), r.ub()
        sql = r.raw(sql_len).decode(errors="replace") if has_sql else ""
        cursor = cursor or next(self.cursors)
        self.log(f"OALL8 (seq {seq}) options {options:#x}, cursor {cursor}: {sql}")
        if self.user is None:
            self.log("  -> ORA-01012 (not logged on)")
            return self.tns.send_data(end_of_call(1012, "ORA-01012: not logged on\n"))
        if re.search(r"\bSYSTEM\b", sql, re.I):
            self.log("  -> ORA-01031")
            return self.tns.send_data(end_of_call(
                1031, "ORA-01031: insufficient privileges\n", cursor=cursor))
        self.log("  -> done")
        self.tns.send_data(end_of_call(cursor=cursor))

    def logoff(self, r, seq):
        self.log(f"LOGOFF (seq {seq}) of {self.user.name if self.user else None}")
        self.user = None
        self.tns.send_data(end_of_call())

    # -- the loop --

    def run(self):
        if not self.connect():
            return
        if self.oob_check:
            self.urgent_byte()
        while True:
            ptype, flags, payload = self.tns.recv_message()
            if ptype == MARKER:
                self.marker(payload)
            elif ptype != DATA:
                self.log(f"packet type {ptype} ignored")
            elif flags & DATA_EOF:
                self.log("DATA with EOF: the client is done")
                return
            elif payload[:4] == b"\xde\xad\xbe\xef":
                self.ano(payload)
            elif payload[:1] == bytes([MSG_PROTOCOL]):
                self.protocol(payload)
            elif payload[:1] == bytes([MSG_DATA_TYPES]):
                self.data_types(payload)
            elif payload[:1] in (bytes([MSG_FUNCTION]), bytes([MSG_PIGGYBACK])):
                self.function(payload)
            else:
                self.log(f"unknown message {payload[:8].hex()}; ignored")


def serve(sock, peer, cfg, services, number):
    tag = f"[{cfg['port']}#{number} {peer[0]}:{peer[1]}]"
    log(tag, "connection")
    try:
        Session(sock, cfg, services, tag).run()
    except EOFError:
        log(tag, "the client closed the connection")
    except Exception as e:  # a bug or a client we do not follow: log it, drop the line
        log(tag, f"error: {e!r}")
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        log(tag, "closed")


def listen(cfg, services, counter):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((cfg["host"], cfg["port"]))
    srv.listen(16)
    log(f"[{cfg['port']}]", f"listening on {cfg['host']}:{cfg['port']}, TNS version "
        f"{cfg['version']}{', RESEND first' if cfg['resend'] else ''}")
    while True:
        sock, peer = srv.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(sock, peer, cfg, services, next(counter)),
                         daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen", action="append", required=True,
                    help="IP:PORT[,version=N][,resend]")
    ap.add_argument("--user", action="append", default=[], help="NAME:PASSWORD:12c|11g")
    ap.add_argument("--service", action="append", default=[], help="service name")
    args = ap.parse_args()
    for spec in args.user:
        name, rest = spec.split(":", 1)
        password, kind = rest.rsplit(":", 1)
        if kind not in ("12c", "11g"):
            raise SystemExit(f"verifier type {kind!r}: 12c or 11g")
        USERS[name.lower()] = User(name, password, kind)
        log("[users]", f"{name} ({kind} verifier)")
    services = {s.upper() for s in args.service} or {"ORCLPDB1"}
    counter = itertools.count(1)
    threads = [threading.Thread(target=listen, args=(parse_listen(s), services, counter),
                                daemon=True) for s in args.listen]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
