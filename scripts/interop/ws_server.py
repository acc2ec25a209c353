"""Interop peer: a Python `websockets` server for the sansws-tokio client.

Usage: ws_server.py [PORT] [--small-deflate]   (PORT 0 or none: a free port)

Listens on 127.0.0.1 and prints "PORT <n>" once ready. Paths:
  /echo         echoes every message
  /subprotocol  sends the negotiated subprotocol as a text message, then echoes
  /extensions   sends its Sec-WebSocket-Extensions answer (or "") as a text message, then echoes
  /close        sends "closing", then closes with 4001 "server says bye"
It pings every client every 100 ms and drops one whose pong takes over 500 ms. It exits when
its standard input ends (the test that started it is gone) or after 60 s at most.
It accepts permessage-deflate as `websockets` does by default. With --small-deflate it
imposes 9-bit windows and no context takeover on both sides instead, and keeps the default
keepalive (20 s): a client built without optimizations may take longer than 500 ms to
compress a large message, and cannot answer a ping meanwhile.
"""

import argparse
import sys
import threading

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.sync.server import serve


def select_subprotocol(connection, offered):
    return "chat" if "chat" in offered else None


def handler(ws) -> None:
    path = ws.request.path
    if path == "/close":
        ws.send("closing")
        ws.close(4001, "server says bye")
        return
    if path == "/subprotocol":
        ws.send(ws.subprotocol or "")
    if path == "/extensions":
        ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
    for message in ws:
        ws.send(message)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", nargs="?", type=int, default=0)
    parser.add_argument("--small-deflate", action="store_true")
    args = parser.parse_args()
    settings = dict(ping_interval=0.1, ping_timeout=0.5)
    if args.small_deflate:
        settings = dict(
            compression=None,
            extensions=[
                ServerPerMessageDeflateFactory(
                    server_no_context_takeover=True,
                    client_no_context_takeover=True,
                    server_max_window_bits=9,
                    client_max_window_bits=9,
                )
            ],
        )
    with serve(
        handler,
        "127.0.0.1",
        args.port,
        max_size=None,
        select_subprotocol=select_subprotocol,
        **settings,
    ) as server:
        def stop_when_stdin_ends() -> None:
            sys.stdin.read()
            server.shutdown()

        threading.Thread(target=stop_when_stdin_ends, daemon=True).start()
        deadline = threading.Timer(60, server.shutdown)
        deadline.daemon = True
        deadline.start()
        print(f"PORT {server.socket.getsockname()[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
