"""Interop peer: a Python `websockets` server for the sansws-tokio client.

Usage: ws_server.py [PORT]   (0 or none: a free port)

Listens on 127.0.0.1 and prints "PORT <n>" once ready. Paths:
  /echo         echoes every message
  /subprotocol  sends the negotiated subprotocol as a text message, then echoes
  /close        sends "closing", then closes with 4001 "server says bye"
It pings every client every 100 ms and drops one whose pong takes over 500 ms. It exits when
its standard input ends (the test that started it is gone) or after 60 s at most.
"""

import sys
import threading

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
    for message in ws:
        ws.send(message)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with serve(
        handler,
        "127.0.0.1",
        port,
        max_size=None,
        select_subprotocol=select_subprotocol,
        ping_interval=0.1,
        ping_timeout=0.5,
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
