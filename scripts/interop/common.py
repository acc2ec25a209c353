"""Payloads shared by the interop peers: the same bytes on both sides, built fast."""

# Every frame length encoding (7-bit, 16-bit, 64-bit) and its boundaries, up to 1 MiB.
SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20]

_BYTES = bytes(range(256))
_TEXT = "ascii é€ 𝄞 text "


def binary(size: int, seed: int) -> bytes:
    """`size` bytes that differ from position to position and from seed to seed."""
    start = seed % 256
    return (_BYTES * (size // 256 + 2))[start : start + size]


def text(size: int, seed: int) -> str:
    """A string of exactly `size` UTF-8 bytes mixing 1- to 4-byte characters."""
    unit = _TEXT[seed % len(_TEXT) :] + _TEXT[: seed % len(_TEXT)]
    out = (unit * (size // len(unit.encode()) + 1))
    # Trim to `size` bytes on a character boundary, then pad with ASCII.
    encoded = out.encode()[:size]
    trimmed = encoded.decode("utf-8", errors="ignore")
    return trimmed + "x" * (size - len(trimmed.encode()))
