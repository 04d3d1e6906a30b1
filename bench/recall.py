#!/usr/bin/env python3
"""Recall of a tool's output against the planted logins of `gen mixed --truth`.

usage: recall.py TRUTH.jsonl plainsight|dsniff|tshark OUTPUT

Prints "found/planted" (and, for plainsight, how many outcomes were right and how many
findings matched nothing planted) on one line.

- plainsight: JSON Lines from `scan --format jsonl --reveal`; a planted login is found
  when a finding has its protocol, client endpoint, user name and secret.
- dsniff: `dsniff -n -p FILE` output; found when a block's header names the client
  endpoint and the block shows the secret (dsniff prints what it decoded, so base64 it
  did not decode is a miss).
- tshark: `tshark -q -z credentials -r FILE` output; tshark prints user names only, so
  found when the planted user name appears in its table.
"""
import json
import sys


def load_truth(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def key(ep):
    return (ep["ip"], ep["port"])


def plainsight(truth, path):
    findings = []
    with open(path) as f:
        for line in f:
            if line.strip():
                findings.append(json.loads(line))
    index = {}
    for i, f in enumerate(findings):
        k = (f.get("protocol"), key(f["client"]), f.get("username"), f.get("secret"))
        index.setdefault(k, []).append(i)
    found = outcomes = 0
    used = set()
    missed = []
    for t in truth:
        k = (t["protocol"], key(t["client"]), t["username"], t["secret"])
        hits = index.get(k, [])
        if hits:
            found += 1
            used.update(hits)
            if any(findings[i].get("outcome") == t["outcome"] for i in hits):
                outcomes += 1
        else:
            missed.append(t)
    extra = len(findings) - len(used)
    for t in missed[:5]:
        print("missed:", json.dumps(t), file=sys.stderr)
    return f"{found}/{len(truth)} outcomes_right={outcomes} unexpected={extra}"


def dsniff(truth, path):
    text = open(path, encoding="latin-1").read()
    blocks = [b for b in text.split("-----------------") if b.strip()]
    by_client = {}
    for b in blocks:
        lines = b.strip().splitlines()
        if not lines:
            continue
        parts = lines[0].split()
        # "MM/DD/YY HH:MM:SS tcp 10.0.0.5.52000 -> 10.0.0.21.21 (ftp)"
        if len(parts) >= 6:
            by_client.setdefault(parts[3], []).append("\n".join(lines[1:]))
    found = 0
    missed = {}
    for t in truth:
        c = f'{t["client"]["ip"]}.{t["client"]["port"]}'
        if any(t["secret"] in body for body in by_client.get(c, [])):
            found += 1
        else:
            k = (t["protocol"], "IPv6" if ":" in t["client"]["ip"] else "IPv4")
            missed[k] = missed.get(k, 0) + 1
    for (proto, ip), n in sorted(missed.items()):
        print(f"missed: {proto} over {ip}: {n}", file=sys.stderr)
    return f"{found}/{len(truth)}"


def tshark(truth, path):
    text = open(path, encoding="utf-8", errors="replace").read()
    users = set()
    for line in text.splitlines():
        users.update(line.split())
    found = sum(1 for t in truth if t["username"] and t["username"] in users)
    return f"{found}/{len(truth)}"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    truth = load_truth(sys.argv[1])
    tool = {"plainsight": plainsight, "dsniff": dsniff, "tshark": tshark}[sys.argv[2]]
    print(tool(truth, sys.argv[3]))


main()
