"""Interop peer: a Python `websockets` client checking permessage-deflate against a sansws
echo server.

Usage: ws_deflate_client.py ws://127.0.0.1:PORT/ [--no-compression]

Offers permessage-deflate as `websockets` does by default (or nothing with
--no-compression), prints the server's answer as "EXTENSIONS <Sec-WebSocket-Extensions>"
(empty when it sent none), checks that compression is on (or off) as asked, echoes small
messages and 1 MiB of compressible text and binary, then closes with 1000. Prints "ok" and
exits 0 on success; any failure exits non-zero with the reason on stderr.
"""

import argparse
import sys

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.sync.client import connect

from common import binary, text


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"interop deflate client: {what}")


def json_lines(size: int) -> str:
    """`size` bytes of JSON-like records: repeated keys, varying values."""
    out = []
    length = 0
    i = 0
    while length < size:
        line = f'{{"id":{i},"user":"user{i % 37}","tags":["a{i % 11}","b"],"score":{i * 7919 % 1000}}}\n'
        out.append(line)
        length += len(line)
        i += 1
    return "".join(out)[:size]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--no-compression", action="store_true")
    args = parser.parse_args()

    with connect(
        args.url,
        compression=None if args.no_compression else "deflate",
        max_size=None,
        open_timeout=5,
        close_timeout=5,
        ping_interval=None,
    ) as ws:
        answer = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        print(f"EXTENSIONS {answer}", flush=True)
        deflating = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
        if args.no_compression:
            check(not deflating, f"compression on though not offered: {answer!r}")
        else:
            check(len(deflating) == 1, f"compression not negotiated: {answer!r}")

        messages = [
            "",
            "ten bytes!",
            text(100, 1),
            binary(100, 2),
            json_lines(1 << 20),
            # Long runs: a megabyte that deflates to a few kilobytes.
            (b"compressible " * 80660)[: 1 << 20],
            "after the large ones",
        ]
        for message in messages:
            ws.send(message)
            echo = ws.recv(timeout=20)
            check(type(echo) is type(message), f"{type(message).__name__} of {len(message)} came back as {type(echo).__name__}")
            check(echo == message, f"{type(message).__name__} echo of {len(message)} differs")

        ws.close(1000)
        check(ws.close_code == 1000, f"close code from server {ws.close_code!r}")
    print("ok", flush=True)


if __name__ == "__main__":
    main()
