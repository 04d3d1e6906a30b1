#!/usr/bin/env python3
"""Tries a word list on the SCRAM exchanges plainsight found (RFC 5802 / RFC 7677).

    plainsight scan --reveal --format jsonl CAPTURE > findings.jsonl
    scripts/scram-crack.py findings.jsonl WORDLIST

A SCRAM finding (mechanism ending in SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512) carries
the AuthMessage as `challenge`, the client's proof (base64) as `secret`, and the hash,
salt and iteration count in `details`. For each word the script computes what the client
computed:

    SaltedPassword = PBKDF2-HMAC-H(word, salt, iterations)
    ClientKey      = HMAC-H(SaltedPassword, "Client Key")
    ClientProof    = ClientKey XOR HMAC-H(H(ClientKey), AuthMessage)

and prints `<protocol> <client> <user> <word>` for each exchange whose proof matches
(exit status 0 when at least one did, 1 otherwise). No hashcat or John format reads a
network exchange; this is slow (Python, one core), but a weak password falls quickly.
Words are tried as UTF-8, without SASLprep (ASCII passwords are unaffected). MongoDB's
SCRAM-SHA-1 (`details.password_input`) hands PBKDF2 hex(MD5(user:mongo:word)) instead.
Standard library only. `-` reads the findings from standard input.
"""

import base64
import hashlib
import hmac
import json
import sys

HASHES = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


def exchanges(lines):
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            f = json.loads(line)
        except ValueError:
            continue
        if not str(f.get("mechanism", "")).split(" ")[-1].startswith("SCRAM-SHA-"):
            continue
        details = f.get("details") or {}
        if "secret" not in f or "challenge" not in f or details.get("hash") not in HASHES:
            if f.get("secret_redacted"):
                print("a SCRAM finding without its proof: scan with --reveal", file=sys.stderr)
            continue
        yield f, details


def proof(algorithm, word, salt, iterations, auth_message):
    salted = hashlib.pbkdf2_hmac(algorithm, word, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", algorithm).digest()
    stored_key = hashlib.new(algorithm, client_key).digest()
    signature = hmac.new(stored_key, auth_message, algorithm).digest()
    return bytes(a ^ b for a, b in zip(client_key, signature))


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = sys.stdin if argv[1] == "-" else open(argv[1], encoding="utf-8")
    with source:
        found = list(exchanges(source))
    with open(argv[2], "rb") as w:
        words = [line.rstrip(b"\r\n") for line in w]
    cracked = 0
    for f, details in found:
        algorithm = HASHES[details["hash"]]
        salt = base64.b64decode(details["salt"] + "=" * (-len(details["salt"]) % 4))
        iterations = int(details["iterations"])
        auth_message = f["challenge"].encode("utf-8")
        want = base64.b64decode(f["secret"] + "=" * (-len(f["secret"]) % 4))
        client = "%s:%s" % (f["client"].get("ip"), f["client"].get("port"))
        mongo = details.get("password_input", "").startswith("hex(MD5(user:mongo:")
        user = f.get("username", "").encode("utf-8")
        for word in words:
            guess = hashlib.md5(user + b":mongo:" + word).hexdigest().encode() if mongo else word
            if hmac.compare_digest(proof(algorithm, guess, salt, iterations, auth_message), want):
                print(f["protocol"], client, f.get("username", ""), word.decode("utf-8", "replace"))
                cracked += 1
                break
    return 0 if cracked else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
