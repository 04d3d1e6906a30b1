"""TDS packets on a socket, for the TDS peers of the end-to-end tests
(tests/e2e/sybase-peer.py, tests/e2e/mssql-peer.py): every TDS version frames its
messages alike — an 8-byte header (type, status with the end-of-message bit, big-endian
length, SPID, packet number, window) before each packet's data.
"""

import struct


def recv_exact(conn, n):
    """`n` bytes from `conn`, or None when it closes first."""
    data = b""
    while len(data) < n:
        part = conn.recv(n - len(data))
        if not part:
            return None
        data += part
    return data


def read_message(conn):
    """One message: packets up to the one with the end-of-message status bit; its type and
    data, or (None, None) when the connection closes first."""
    kind, payload = None, b""
    while True:
        head = recv_exact(conn, 8)
        if head is None:
            return None, None
        length = struct.unpack(">H", head[2:4])[0]
        body = recv_exact(conn, length - 8)
        if body is None:
            return None, None
        kind = head[0] if kind is None else kind
        payload += body
        if head[1] & 0x01:
            return kind, payload


def packets(kind, payload, size):
    """`payload` as packets of type `kind` of at most `size` bytes each."""
    out, number = b"", 1
    chunks = [payload[i:i + size - 8] for i in range(0, len(payload), size - 8)] or [b""]
    for i, chunk in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        out += struct.pack(">BBHHBB", kind, last, len(chunk) + 8, 0, number & 0xFF, 0) + chunk
        number += 1
    return out
