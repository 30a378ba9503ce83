"""The sealed worker's wire format and its framing, for both ends: plain data only, decoded
without running anything.

A message is a dict of named fields. On the wire it is an 8-byte length, then a JSON header
(the fields, with tuples, dicts with any plain keys, non-finite floats, arrays and markers as
tagged objects), then the raw bytes of each numpy array it carries, each behind its own
8-byte length. Decoding never unpickles and builds nothing but plain data, so a hostile
worker can send at worst wrong values. Both ends encode and decode with `autograder.plain`'s
walker, so the depth cap and the array dtypes are the same everywhere.

`send` and `receive` block, or give up at a deadline (`time.monotonic()` seconds) with
`Timeout`; a closed channel is `EOFError`, a malformed message `ProtocolError`.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time

import numpy as np

from autograder import plain
from autograder.student import Generator, HandleRef, Tensor

MAX_MESSAGE = 256 << 20  # 256 MiB: a larger message is treated as a broken peer
MAX_HEADER = 16 << 20  # 16 MiB of JSON: lists and dicts beyond this become Python objects by the GB
_LEN = struct.Struct("<Q")


class ProtocolError(RuntimeError):
    """The other side sent something that is not a well-formed message."""


class Timeout(Exception):
    """The deadline passed before a whole message was sent or received."""


# encoding


def _encode(value, blobs: list):
    def leaf(v):
        t = type(v)
        if t is float and not math.isfinite(v):
            return {"$float": repr(v)}
        if t in plain.SCALARS:
            return v
        if plain.is_plain_array(v):
            blobs.append(np.ascontiguousarray(v).tobytes())
            return {"$nd": len(blobs) - 1, "dtype": v.dtype.str, "shape": list(v.shape)}
        if t is HandleRef:
            return {"$handle": v.id, "type": v.type_name}
        if t is Tensor:
            return {"$tensor": _encode(v.array, blobs), "grad": v.requires_grad}
        if t is Generator:
            return {"$generator": v.seed}
        raise TypeError(f"{t.__name__} is not plain data")

    def build(kind, items):
        if kind is dict:
            return {"$dict": [[k, v] for k, v in items]}
        return {"$tuple": list(items)} if kind is tuple else list(items)

    return plain.walk(value, leaf, build=build)


def _decode(value, blobs: list):
    def unpack(v):
        if type(v) is list:
            return list, v
        if type(v) is dict and "$tuple" in v:
            return tuple, _list(v["$tuple"])
        if type(v) is dict and "$dict" in v:
            return dict, [_pair(p) for p in _list(v["$dict"])]
        return None

    def build(kind, items):
        if kind is dict:
            for k, _ in items:
                if type(k) in (list, dict) or isinstance(k, np.ndarray):
                    raise ProtocolError("unhashable dict key")
        return plain.rebuild(kind, items)

    def leaf(v):
        t = type(v)
        if t in plain.SCALARS:
            return v
        if t is not dict or len(v) == 0:
            raise ProtocolError("malformed value")
        if "$float" in v:
            return float(v["$float"]) if v["$float"] in ("nan", "inf", "-inf") else math.nan
        if "$nd" in v:
            dtype = np.dtype(str(v["dtype"]))
            if dtype.kind not in plain.ARRAY_KINDS or dtype.hasobject:
                raise ProtocolError(f"array dtype {dtype} is not allowed")
            shape = tuple(int(s) for s in _list(v["shape"]))
            raw = blobs[int(v["$nd"])]
            if any(s < 0 for s in shape) or math.prod(shape) * dtype.itemsize != len(raw):
                raise ProtocolError("array shape does not match its bytes")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "$handle" in v:
            return HandleRef(int(v["$handle"]), str(v["type"])[:200])
        if "$tensor" in v:
            return Tensor(_decode(v["$tensor"], blobs), bool(v["grad"]))
        if "$generator" in v:
            return Generator(int(v["$generator"]))
        raise ProtocolError("unknown tagged value")

    return plain.walk(value, leaf, unpack=unpack, build=build)


def _list(v) -> list:
    if type(v) is not list:
        raise ProtocolError("malformed value")
    return v


def _pair(v) -> tuple:
    v = _list(v)
    if len(v) != 2:
        raise ProtocolError("malformed dict entry")
    return v[0], v[1]


def dumps(message: dict) -> bytes:
    """A message (a dict of named plain-data fields) as bytes, its length first."""
    blobs: list[bytes] = []
    fields = {str(k): _encode(v, blobs) for k, v in message.items()}
    header = json.dumps(fields, allow_nan=False).encode()
    if len(header) > MAX_HEADER:
        raise ValueError(f"the value holds {len(header) >> 20} MB of lists, tuples or dicts; "
                         "return a numpy array instead")
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(blobs))]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    body = b"".join(parts)
    return _LEN.pack(len(body)) + body


def loads(body: bytes) -> dict:
    """Decode the body of a message (after its length); ProtocolError if malformed."""
    try:
        (n,) = _LEN.unpack_from(body, 0)
        if n > MAX_HEADER:
            raise ProtocolError("the message's header is too large")
        header = json.loads(body[8:8 + n])
        pos = 8 + n
        (count,) = _LEN.unpack_from(body, pos)
        pos += 8
        blobs = []
        for _ in range(count):
            (size,) = _LEN.unpack_from(body, pos)
            blobs.append(body[pos + 8:pos + 8 + size])
            if len(blobs[-1]) != size:
                raise ProtocolError("truncated array")
            pos += 8 + size
        if type(header) is not dict:
            raise ProtocolError("a message must be a dict of fields")
        return {key: _decode(value, blobs) for key, value in header.items()}
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, struct.error, OverflowError) as exc:
        raise ProtocolError(f"malformed message ({type(exc).__name__})") from None


# framing


def _wait(fd: int, deadline: float | None, write: bool) -> None:
    if deadline is None:
        return
    left = deadline - time.monotonic()
    ready = select.select([], [fd], [], left) if write and left > 0 else (
        select.select([fd], [], [], left) if left > 0 else ([], [], []))
    if not (ready[1] if write else ready[0]):
        raise Timeout()


def _read(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, left = [], n
    while left:
        _wait(fd, deadline, write=False)
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send(fd: int, message: dict, deadline: float | None = None) -> None:
    """Write `message` to `fd`; Timeout if `deadline` passes first (ValueError / TypeError if
    it is not plain data, before anything is written)."""
    view = memoryview(dumps(message))
    while view:
        _wait(fd, deadline, write=True)
        view = view[os.write(fd, view[:1 << 16]):]


def receive(fd: int, deadline: float | None = None) -> dict:
    """Read one message from `fd`; Timeout, EOFError or ProtocolError."""
    (size,) = _LEN.unpack(_read(fd, 8, deadline))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"a message of {size} bytes is too large")
    return loads(_read(fd, size, deadline))
