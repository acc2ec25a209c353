"""Interop peer: a Python `websockets` client against a sansws echo server.

Usage: ws_client.py ws://127.0.0.1:PORT/

Offers the `chat` subprotocol, sends text and binary messages of every frame length
encoding (up to 1 MiB), a fragmented message and a ping, checks every echo, stays idle
across the server's keepalive pings, then closes with 1000 "bye". Prints "ok" and exits 0
on success; any failure exits non-zero with the reason on stderr.
"""

import sys
import time

from websockets.sync.client import connect

from common import SIZES, binary, text


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"interop client: {what}")


def main() -> None:
    url = sys.argv[1]
    with connect(
        url,
        subprotocols=["chat"],
        max_size=None,
        open_timeout=5,
        close_timeout=5,
        # Our own keepalive stays out of the way: the server's pings are what is tested.
        ping_interval=None,
    ) as ws:
        check(ws.subprotocol == "chat", f"negotiated subprotocol {ws.subprotocol!r}")
        for seed, size in enumerate(SIZES):
            for message in (text(size, seed), binary(size, seed)):
                ws.send(message)
                echo = ws.recv(timeout=10)
                check(type(echo) is type(message), f"{type(message).__name__} of {size} came back as {type(echo).__name__}")
                check(echo == message, f"{type(message).__name__} echo of {size} bytes differs")

        # A message in three fragments comes back as one.
        ws.send(["frag", "men", "ted"])
        check(ws.recv(timeout=10) == "fragmented", "fragmented echo")

        # Our ping is answered.
        check(ws.ping(b"from python").wait(5), "no pong to our ping")

        # Idle across several of the server's keepalive intervals: the library answers its
        # pings in the background, and the server must keep the connection open.
        time.sleep(0.6)
        ws.send("after idle")
        check(ws.recv(timeout=10) == "after idle", "echo after idle time")

        ws.close(1000, "bye")
        check(ws.close_code == 1000, f"close code from server {ws.close_code!r}")
    print("ok", flush=True)


if __name__ == "__main__":
    main()
