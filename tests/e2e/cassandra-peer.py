#!/usr/bin/env python3
"""Both ends of Cassandra logins for tests/e2e/real-cassandra.sh.

    cassandra-peer.py server HOST PORT USER PASSWORD
    cassandra-peer.py client HOST PORT PROTOCOL_VERSION COMPRESSION USER PASSWORD [QUERY...]

Debian ships the DataStax Python driver but no Cassandra: `client` is the real driver's
connection set-up (`cassandra.io.asyncorereactor.AsyncoreConnection.factory` with a
`PlainTextAuthenticator`: OPTIONS, STARTUP, AUTH_RESPONSE), in protocol v4 or v5, with
LZ4 compression (python3-lz4) or without; it prints SUCCESS, or FAILURE and the error.
`server` answers as Cassandra's PasswordAuthenticator does: SUPPORTED (offering lz4),
AUTHENTICATE, then AUTH_SUCCESS or ERROR 0x0100 "Provided username ... and/or password
are incorrect"; LZ4 frame bodies are decompressed, and from v5 on every frame after
AUTHENTICATE travels in segments (encoded and checked with the driver's own segment
codec, CRC-24 and CRC-32 included). After a login, `client` sends each QUERY with the
driver's own QueryMessage and prints OK, or ERROR and the driver's exception for it; `server`
answers a QUERY with RESULT (Void), or, for one naming the role `cassandra` (`ROLE
cassandra`, `USER cassandra`), ERROR 0x2100 (unauthorized), as Cassandra answers a role
without the permission.
"""

import io
import re
import socket
import struct
import sys
import threading

OPTIONS, STARTUP, AUTH_RESPONSE, QUERY = 0x05, 0x01, 0x0F, 0x07
ERROR, AUTHENTICATE, SUPPORTED, AUTH_SUCCESS, RESULT = 0x00, 0x03, 0x06, 0x10, 0x08


def serve(host, port, user, password):
    import lz4.block
    from cassandra.connection import locally_supported_compressions
    from cassandra.segment import SegmentCodec

    def string(s):
        b = s.encode()
        return struct.pack(">H", len(b)) + b

    def frame(version, stream, opcode, body):
        return struct.pack(">BBhBi", 0x80 | version, 0, stream, opcode, len(body)) + body

    def handle(conn):
        f = conn.makefile("rb")
        lz4_on, segments, codec = False, False, None
        with conn:
            while True:
                if segments:
                    # One segment holding whole frames.
                    head_len = codec.header_length_with_crc
                    head = f.read(head_len)
                    if len(head) < head_len:
                        return
                    header = codec.decode_header(io.BytesIO(head))
                    rest = f.read(header.payload_length + 4)
                    payload = codec.decode(io.BytesIO(rest), header).payload
                    frames = []
                    while payload:
                        v, flags, stream, opcode, length = struct.unpack(">BBhBi", payload[:9])
                        frames.append((v, flags, stream, opcode, payload[9:9 + length]))
                        payload = payload[9 + length:]
                else:
                    head = f.read(9)
                    if len(head) < 9:
                        return
                    v, flags, stream, opcode, length = struct.unpack(">BBhBi", head)
                    body = f.read(length)
                    if flags & 1:
                        body = lz4.block.decompress(body[4:], uncompressed_size=struct.unpack(">I", body[:4])[0])
                    frames = [(v, flags, stream, opcode, body)]
                for v, flags, stream, opcode, body in frames:
                    if opcode == OPTIONS:
                        multimap = struct.pack(">H", 2) + string("CQL_VERSION") + \
                            struct.pack(">H", 1) + string("3.4.5") + string("COMPRESSION") + \
                            struct.pack(">H", 1) + string("lz4")
                        out = frame(v, stream, SUPPORTED, multimap)
                    elif opcode == STARTUP:
                        lz4_on = b"lz4" in body
                        out = frame(v, stream, AUTHENTICATE,
                                    string("org.apache.cassandra.auth.PasswordAuthenticator"))
                    elif opcode == AUTH_RESPONSE:
                        token = body[4:4 + struct.unpack(">i", body[:4])[0]]
                        _, u, p = token.split(b"\0", 2)
                        if u.decode() == user and p.decode() == password:
                            out = frame(v, stream, AUTH_SUCCESS, struct.pack(">i", -1))
                        else:
                            msg = "Provided username %s and/or password are incorrect" % u.decode()
                            out = frame(v, stream, ERROR, struct.pack(">i", 0x0100) + string(msg))
                    elif opcode == QUERY:
                        q = body[4:4 + struct.unpack(">i", body[:4])[0]].decode()
                        if re.search(r"(ROLE|USER)\s+cassandra\b", q, re.IGNORECASE):
                            msg = "User %s has no ALTER permission on <role cassandra> or any of " \
                                "its parents" % user
                            out = frame(v, stream, ERROR, struct.pack(">i", 0x2100) + string(msg))
                        else:
                            out = frame(v, stream, RESULT, struct.pack(">i", 1))
                    else:
                        out = frame(v, stream, ERROR, struct.pack(">i", 0x000A) + string("unsupported"))
                    if segments:
                        buf = io.BytesIO()
                        codec.encode(buf, out)
                        out = buf.getvalue()
                    conn.sendall(out)
                    if opcode == STARTUP and v >= 5:
                        segments = True
                        codec = SegmentCodec(*locally_supported_compressions["lz4"]) if lz4_on \
                            else SegmentCodec()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(host, port, version, compression, user, password, queries):
    from cassandra import AuthenticationFailed, ConsistencyLevel
    from cassandra.protocol import ErrorMessage, QueryMessage
    from cassandra.auth import PlainTextAuthenticator
    from cassandra.connection import DefaultEndPoint
    from cassandra.io.asyncorereactor import AsyncoreConnection

    AsyncoreConnection.initialize_reactor()
    try:
        conn = AsyncoreConnection.factory(
            DefaultEndPoint(host, port), 10,
            authenticator=PlainTextAuthenticator(user, password),
            protocol_version=version, compression=compression)
        print("SUCCESS", "lz4" if conn.compressor else "none")
        for q in queries:
            try:
                r = conn.wait_for_response(QueryMessage(q, ConsistencyLevel.ONE), timeout=10)
                print("ERROR %s" % type(r.to_exception()).__name__ if isinstance(r, ErrorMessage)
                      else "OK")
            except Exception as e:  # the driver raises the server's error as its exception
                print("ERROR %s" % type(e).__name__)
        conn.close()
    except AuthenticationFailed as e:
        print("FAILURE", e)


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"]:
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1:2] == ["client"]:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "lz4",
               sys.argv[6], sys.argv[7], sys.argv[8:])
    else:
        sys.exit(__doc__)
