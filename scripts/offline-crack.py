#!/usr/bin/env python3
"""Tries a word list on the exchanges plainsight found that no cracker reads.

    plainsight scan --reveal --format jsonl CAPTURE > findings.jsonl
    scripts/offline-crack.py findings.jsonl WORDLIST

Two kinds of challenge-response have no hashcat or John the Ripper format for what
crosses the network (their modes read the servers' stored keys):

- SCRAM (RFC 5802 / RFC 7677; a mechanism ending in SCRAM-SHA-1, SCRAM-SHA-256 or
  SCRAM-SHA-512): the finding's `challenge` is the AuthMessage, its `secret` the client's
  proof (base64), `details` the hash, salt and iteration count. Per word:

      SaltedPassword = PBKDF2-HMAC-H(word, salt, iterations)
      ClientKey      = HMAC-H(SaltedPassword, "Client Key")
      ClientProof    = ClientKey XOR HMAC-H(H(ClientKey), AuthMessage)

  MongoDB's SCRAM-SHA-1 (`details.password_input`) hands PBKDF2 hex(MD5(user:mongo:word))
  instead of the word.
- MySQL's caching_sha2_password (MySQL 8's default): the `challenge` is the 20-byte nonce
  in hex, the `secret` the scramble in hex. Per word:

      scramble = SHA256(word) XOR SHA256(SHA256(SHA256(word)) + nonce)

It prints `<protocol> <client> <user> <word>` for each exchange a word matches (exit
status 0 when at least one did, 1 otherwise). Slow (Python, one core), but a weak
password falls quickly. Words are tried as UTF-8 bytes, without SASLprep (ASCII passwords
are unaffected). Standard library only. `-` reads the findings from standard input.
"""

import base64
import hashlib
import hmac
import json
import sys

HASHES = {"SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


def b64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def scram_proof(algorithm, word, salt, iterations, auth_message):
    salted = hashlib.pbkdf2_hmac(algorithm, word, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", algorithm).digest()
    stored_key = hashlib.new(algorithm, client_key).digest()
    signature = hmac.new(stored_key, auth_message, algorithm).digest()
    return bytes(a ^ b for a, b in zip(client_key, signature))


def caching_sha2(word, nonce):
    stage1 = hashlib.sha256(word).digest()
    stage2 = hashlib.sha256(stage1).digest()
    mask = hashlib.sha256(stage2 + nonce).digest()
    return bytes(a ^ b for a, b in zip(stage1, mask))


def tester(f):
    """A function of a word telling whether it made the finding's exchange, or None."""
    mechanism = str(f.get("mechanism", ""))
    details = f.get("details") or {}
    if "secret" not in f or "challenge" not in f:
        if f.get("secret_redacted") and ("SCRAM-SHA-" in mechanism
                                         or mechanism == "caching_sha2_password"):
            print("a finding without its secret: scan with --reveal", file=sys.stderr)
        return None
    if f.get("protocol") == "mysql" and mechanism == "caching_sha2_password" \
            and f.get("kind") == "challenge-response":
        nonce, want = bytes.fromhex(f["challenge"]), bytes.fromhex(f["secret"])
        return lambda word: hmac.compare_digest(caching_sha2(word, nonce), want)
    if mechanism.split(" ")[-1].startswith("SCRAM-SHA-") and details.get("hash") in HASHES:
        algorithm = HASHES[details["hash"]]
        salt, iterations = b64(details["salt"]), int(details["iterations"])
        auth_message = f["challenge"].encode("utf-8")
        want = b64(f["secret"])
        user = f.get("username", "").encode("utf-8")
        mongo = details.get("password_input", "").startswith("hex(MD5(user:mongo:")

        def test(word):
            if mongo:
                word = hashlib.md5(user + b":mongo:" + word).hexdigest().encode()
            return hmac.compare_digest(
                scram_proof(algorithm, word, salt, iterations, auth_message), want)
        return test
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source = sys.stdin if argv[1] == "-" else open(argv[1], encoding="utf-8")
    found = []
    with source:
        for line in source:
            try:
                f = json.loads(line)
            except ValueError:
                continue
            test = tester(f)
            if test:
                found.append((f, test))
    with open(argv[2], "rb") as w:
        words = [line.rstrip(b"\r\n") for line in w]
    cracked = 0
    for f, test in found:
        client = "%s:%s" % (f["client"].get("ip"), f["client"].get("port"))
        for word in words:
            if test(word):
                print(f["protocol"], client, f.get("username", ""),
                      word.decode("utf-8", "replace"))
                cracked += 1
                break
    return 0 if cracked else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
