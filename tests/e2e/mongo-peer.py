#!/usr/bin/env python3
"""Both ends of MongoDB logins for tests/e2e/real-mongodb.sh.

    mongo-peer.py server HOST PORT USERS.json
    mongo-peer.py client HOST PORT MECHANISM USER PASSWORD SOURCE [COMMAND NAME PWD]...

Debian ships MongoDB's drivers but no MongoDB server: `client` is the real driver
(PyMongo, `python3-pymongo`), logging in with the mechanism named and running `ping`; it
prints SUCCESS, or FAILURE and the server's message; then it runs each `createUser` or
`updateUser` COMMAND for user NAME with password PWD on `admin` and prints OK, or ERROR
and the code. `server` answers as a MongoDB 4.4
server does what a driver sends to log in: the handshake (`isMaster`/`hello` in OP_QUERY,
with `saslSupportedMechs` and a `speculativeAuthenticate` first step), `saslStart` /
`saslContinue` for SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802: it checks the client's proof
against the password in USERS.json, the way mongod checks its stored keys, and proves
itself with the ServerSignature), `PLAIN`, `getnonce` / `authenticate` (MONGODB-CR), and
answers `ok: 1` to any other command. Wrong passwords get mongod's
`{ok: 0, errmsg: "Authentication failed.", code: 18}`; `createUser`/`updateUser` of the
user `root` gets mongod's `{ok: 0, code: 13, codeName: "Unauthorized"}` (a user without
the privilege), any other `ok: 1`. Replies are OP_REPLY to OP_QUERY
and OP_MSG to OP_MSG, as mongod's.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def serve(host, port, users):
    import bson
    from bson.binary import Binary

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)

    def recv_exact(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def scram_keys(mechanism, user, salt, iterations):
        password = users[user].encode()
        if mechanism == "SCRAM-SHA-1":
            algorithm = "sha1"
            password = md5_hex(user.encode() + b":mongo:" + password).encode()
        else:
            algorithm = "sha256"
        salted = hashlib.pbkdf2_hmac(algorithm, password, salt, iterations)
        client_key = hmac.new(salted, b"Client Key", algorithm).digest()
        server_key = hmac.new(salted, b"Server Key", algorithm).digest()
        return algorithm, hashlib.new(algorithm, client_key).digest(), server_key

    def handle(conn):
        state = {}
        failed = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18,
                  "codeName": "AuthenticationFailed"}

        def sasl_start(cmd):
            mechanism = cmd["mechanism"]
            payload = bytes(cmd["payload"])
            if mechanism == "PLAIN":
                _, user, password = payload.split(b"\0", 2)
                good = users.get(user.decode()) == password.decode()
                return {"conversationId": 1, "done": True, "payload": Binary(b""),
                        "ok": 1.0} if good else failed
            bare = payload.split(b",", 2)[2]
            fields = dict(f.split(b"=", 1) for f in bare.split(b","))
            user = fields[b"n"].replace(b"=2C", b",").replace(b"=3D", b"=").decode()
            if user not in users:
                return failed
            salt, iterations = b"plainsight-salt!", 10000 if mechanism == "SCRAM-SHA-1" else 15000
            nonce = fields[b"r"] + base64.b64encode(os.urandom(18))
            first = b"r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt), iterations)
            state.update(mechanism=mechanism, user=user, bare=bare, first=first,
                         salt=salt, iterations=iterations,
                         skip=bool((cmd.get("options") or {}).get("skipEmptyExchange")))
            return {"conversationId": 1, "done": False, "payload": Binary(first), "ok": 1.0}

        def sasl_continue(cmd):
            payload = bytes(cmd["payload"])
            if not payload:
                return {"conversationId": 1, "done": True, "payload": Binary(b""), "ok": 1.0}
            without, proof = payload.rsplit(b",p=", 1)
            algorithm, stored, server_key = scram_keys(
                state["mechanism"], state["user"], state["salt"], state["iterations"])
            auth = b",".join((state["bare"], state["first"], without))
            signature = hmac.new(stored, auth, algorithm).digest()
            client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
            if hashlib.new(algorithm, client_key).digest() != stored:
                return failed
            verifier = b"v=" + base64.b64encode(hmac.new(server_key, auth, algorithm).digest())
            return {"conversationId": 1, "done": state["skip"], "payload": Binary(verifier),
                    "ok": 1.0}

        def command(cmd):
            name = next(iter(cmd))
            if name in ("isMaster", "ismaster", "hello"):
                reply = {"ismaster": True, "maxBsonObjectSize": 16777216,
                         "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000,
                         "logicalSessionTimeoutMinutes": 30, "connectionId": 1,
                         "minWireVersion": 0, "maxWireVersion": 9, "readOnly": False}
                if "saslSupportedMechs" in cmd:
                    reply["saslSupportedMechs"] = ["SCRAM-SHA-1", "SCRAM-SHA-256"]
                spec = cmd.get("speculativeAuthenticate")
                if spec and "saslStart" in spec:
                    answer = sasl_start(spec)
                    if answer.get("ok"):
                        reply["speculativeAuthenticate"] = answer
                reply["ok"] = 1.0
                return reply
            if name == "saslStart":
                return sasl_start(cmd)
            if name == "saslContinue":
                return sasl_continue(cmd)
            if name == "getnonce":
                state["nonce"] = os.urandom(8).hex()
                return {"nonce": state["nonce"], "ok": 1.0}
            if name == "authenticate":
                user = cmd["user"]
                want = md5_hex((state.get("nonce", "") + user + md5_hex(
                    (user + ":mongo:" + users.get(user, "\0")).encode())).encode())
                return {"dbname": "admin", "user": user, "ok": 1.0} if cmd["key"] == want else failed
            if name in ("createUser", "updateUser") and cmd[name] == "root":
                return {"ok": 0.0, "errmsg": "not authorized on admin to execute command "
                        "{ %s: \"root\" }" % name, "code": 13, "codeName": "Unauthorized"}
            return {"ok": 1.0}

        with conn:
            while True:
                head = recv_exact(conn, 16)
                if head is None:
                    return
                length, request_id, _, opcode = struct.unpack("<iiii", head)
                body = recv_exact(conn, length - 16)
                if body is None:
                    return
                if opcode == OP_QUERY:
                    end = body.index(b"\0", 4)
                    query = bson.BSON(body[end + 9:]).decode()
                    reply = bson.BSON.encode(command(query))
                    out = struct.pack("<iqii", 8, 0, 0, 1) + reply
                    opcode_out = OP_REPLY
                elif opcode == OP_MSG:
                    cmd = bson.BSON(body[5:]).decode()
                    out = struct.pack("<I", 0) + b"\0" + bson.BSON.encode(command(cmd))
                    opcode_out = OP_MSG
                else:
                    return
                conn.sendall(struct.pack("<iiii", 16 + len(out), request_id + 1000, request_id,
                                         opcode_out) + out)

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(host, port, mechanism, user, password, source, commands):
    import pymongo
    from pymongo.errors import OperationFailure

    c = pymongo.MongoClient(host, port, username=user, password=password,
                            authSource=source, authMechanism=mechanism,
                            serverSelectionTimeoutMS=10000, connect=False,
                            retryReads=False, retryWrites=False)
    try:
        c.admin.command("ping")
        print("SUCCESS")
    except OperationFailure as e:
        print("FAILURE", e)
        c.close()
        return
    for command, name, pwd in zip(commands[::3], commands[1::3], commands[2::3]):
        try:
            c.admin.command(command, name, pwd=pwd, roles=["read"])
            print("OK")
        except OperationFailure as e:
            print("ERROR", e.code)
    c.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["server"]:
        with open(sys.argv[4]) as f:
            serve(sys.argv[2], int(sys.argv[3]), json.load(f))
    elif sys.argv[1:2] == ["client"]:
        client(sys.argv[2], int(sys.argv[3]), *sys.argv[4:8], sys.argv[8:])
    else:
        sys.exit(__doc__)
