#!/usr/bin/python3
"""An XMPP client over WebSocket (RFC 7395) for tests/e2e/real-xmpp.sh: connects to
ws://HOST:PORT/xmpp-websocket with the `xmpp` subprotocol, opens a stream with
<open/>, reads the features, authenticates with SASL PLAIN as USER@DOMAIN with PASSWORD,
and exits 0 when the server answers <success/>, 1 on <failure/> (2 on anything else).
Each stanza is one WebSocket text message, as web clients (Converse.js, Strophe.js) send
them. Uses python3-websocket (websocket-client).

    xmpp-ws-client.py HOST PORT DOMAIN USER PASSWORD
"""

import base64
import re
import sys

import websocket

FRAMING = "urn:ietf:params:xml:ns:xmpp-framing"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"


def main(host, port, domain, user, password):
    ws = websocket.create_connection(f"ws://{host}:{port}/xmpp-websocket",
                                     subprotocols=["xmpp"], timeout=10)
    if ws.getsubprotocol() != "xmpp":
        print(f"subprotocol {ws.getsubprotocol()!r}", file=sys.stderr)
        return 2
    ws.send(f"<open xmlns='{FRAMING}' to='{domain}' version='1.0'/>")
    # The server's <open/>, then its features (PLAIN among the mechanisms).
    features = ""
    while "</stream:features>" not in features and "<mechanisms" not in features:
        features += ws.recv()
    if "PLAIN" not in features:
        print(f"no PLAIN in {features!r}", file=sys.stderr)
        return 2
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    ws.send(f"<auth xmlns='{SASL}' mechanism='PLAIN'>{token}</auth>")
    answer = ws.recv()
    ws.send(f"<close xmlns='{FRAMING}'/>")
    try:
        ws.recv()
    except Exception:
        pass
    ws.close()
    if re.search(r"<success\b", answer):
        return 0
    if re.search(r"<failure\b", answer):
        return 1
    print(f"answer {answer!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
