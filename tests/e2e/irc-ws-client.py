#!/usr/bin/python3
"""An IRC client over WebSocket for tests/e2e/real-irc-ws.sh, as web IRC clients (KiwiIRC,
The Lounge, gamja) connect: ws://HOST:PORT/ with the SUBPROTOCOL given (InspIRCd 3's
`text.inspircd.org` or `binary.inspircd.org`), one IRC line per message without its
CRLF: PASS, NICK, USER. Exits 0 when the server welcomes it (001), 1 when it closes the
link with ERROR (a wrong connection password), 2 otherwise. Uses python3-websocket.

    irc-ws-client.py HOST PORT SUBPROTOCOL NICK PASSWORD
"""

import sys

import websocket


def main(host, port, subprotocol, nick, password):
    ws = websocket.create_connection(f"ws://{host}:{port}/", subprotocols=[subprotocol],
                                     origin="http://webirc.example.test", timeout=10)
    binary = subprotocol.startswith("binary.")
    send = (lambda line: ws.send_binary(line.encode())) if binary else ws.send
    send(f"PASS :{password}")
    send(f"NICK {nick}")
    send(f"USER {nick} 0 * :plainsight web client")
    rc = 2
    for _ in range(20):
        try:
            message = ws.recv()
        except Exception:
            break
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        if message.startswith("PING"):
            send("PONG" + message[4:])
        elif " 001 " in message:
            send("QUIT :bye")
            rc = 0
            break
        elif message.startswith("ERROR"):
            rc = 1
            break
    ws.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
