#!/usr/bin/env python3
"""Tries a word list on the exchanges plainsight found that no cracker reads.

    plainsight scan --reveal --format jsonl CAPTURE > findings.jsonl
    scripts/offline-crack.py findings.jsonl WORDLIST

Three kinds of challenge-response have no hashcat or John the Ripper format for what
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

- Oracle's O5LOGON as 12c and later servers run it (`details.pbkdf2_csk_salt` present;
  John's `o5logon` reads only 11g servers' exchanges): the `challenge` is AUTH_VFR_DATA,
  the `secret` the server's AUTH_SESSKEY, the client's and AUTH_PASSWORD joined by `*`,
  all hex. Per word, with AES-CBC under a zero IV (n = 32 bytes for a 12c verifier,
  24 for an 11g one):

      12c: K = SHA512(PBKDF2-HMAC-SHA512(word, salt + "AUTH_PBKDF2_SPEEDY_KEY",
                                         vgen_count, 64) + salt)[:32]
      11g: K = SHA1(word + salt) + 4 zero bytes
      A, B = AES-decrypt(K, server key), AES-decrypt(K, client key)
      S    = PBKDF2-HMAC-SHA512(upper hex of B[:n] + A[:n], csk_salt, sder_count, n)
      AES-decrypt(S, AUTH_PASSWORD) = 16 random bytes + word + PKCS#7 padding

  It matches the password the client typed (a refused login's too). Needs
  python3-cryptography for AES.

It prints `<protocol> <client> <user> <word>` for each exchange a word matches (exit
status 0 when at least one did, 1 otherwise). Slow (Python, one core), but a weak
password falls quickly. Words are tried as UTF-8 bytes, without SASLprep (ASCII passwords
are unaffected). Standard library only, but for Oracle's AES. `-` reads the findings
from standard input.
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


def aes_cbc_decrypt(key, data):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    d = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    return d.update(data) + d.finalize()


def o5logon_tester(f):
    details = f.get("details") or {}
    try:
        server, client, password = (bytes.fromhex(x) for x in f["secret"].split("*"))
        salt = bytes.fromhex(f["challenge"])
        csk_salt = bytes.fromhex(details["pbkdf2_csk_salt"])
        sder = int(details["pbkdf2_sder_count"])
        twelve = details.get("verifier", "").startswith("12c")
        vgen = int(details["pbkdf2_vgen_count"]) if twelve else 0
    except (KeyError, ValueError):
        return None
    if len(password) < 32 or len(password) % 16 or len(server) % 16 or len(client) % 16:
        return None

    def test(word):
        if twelve:
            speedy = hashlib.pbkdf2_hmac("sha512", word, salt + b"AUTH_PBKDF2_SPEEDY_KEY",
                                         vgen, 64)
            key = hashlib.sha512(speedy + salt).digest()[:32]
        else:
            key = hashlib.sha1(word + salt).digest() + bytes(4)
        n = len(key)
        a, b = aes_cbc_decrypt(key, server), aes_cbc_decrypt(key, client)
        combo = (b[:n] + a[:n]).hex().upper().encode()
        session = hashlib.pbkdf2_hmac("sha512", combo, csk_salt, sder, n)
        plain = aes_cbc_decrypt(session, password)
        pad = plain[-1]
        return 1 <= pad <= 16 and plain[16:len(plain) - pad] == word \
            and plain[len(plain) - pad:] == bytes([pad]) * pad
    return test


def tester(f):
    """A function of a word telling whether it made the finding's exchange, or None."""
    mechanism = str(f.get("mechanism", ""))
    details = f.get("details") or {}
    if "secret" not in f or "challenge" not in f:
        if f.get("secret_redacted") and ("SCRAM-SHA-" in mechanism
                                         or mechanism == "caching_sha2_password"
                                         or mechanism.startswith("O5LOGON")):
            print("a finding without its secret: scan with --reveal", file=sys.stderr)
        return None
    if f.get("protocol") == "mysql" and mechanism == "caching_sha2_password" \
            and f.get("kind") == "challenge-response":
        nonce, want = bytes.fromhex(f["challenge"]), bytes.fromhex(f["secret"])
        return lambda word: hmac.compare_digest(caching_sha2(word, nonce), want)
    # (An `O5LOGON (new password)` finding decrypts with the login's password once found.)
    if f.get("protocol") == "oracle" and mechanism == "O5LOGON" \
            and "pbkdf2_csk_salt" in details:
        return o5logon_tester(f)
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
