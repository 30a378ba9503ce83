"""The sealed worker's wire format: plain data only, decoded without running anything.

A message is an 8-byte length, a JSON header, then the raw bytes of each numpy array it
carries (each behind its own 8-byte length). Tuples, dicts with any plain keys, arrays and
handle references are tagged objects in the JSON. Decoding never unpickles and never builds
anything but plain data, so a hostile worker can send at worst wrong values.
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

from autograder.api import Generator, HandleRef, Tensor

MAX_MESSAGE = 256 << 20  # 256 MiB: a larger reply is treated as a broken worker
MAX_HEADER = 16 << 20  # 16 MiB of JSON: lists and dicts beyond this become Python objects by the GB
ARRAY_KINDS = "biufcU"
_LEN = struct.Struct("<Q")


class ProtocolError(RuntimeError):
    """The other side sent something that is not a well-formed message."""


def _encode(value, blobs: list, depth: int = 0):
    if depth > 64:
        raise ValueError("value nested too deeply")
    t = type(value)
    if t is float and not math.isfinite(value):
        return {"$float": repr(value)}
    if t in (type(None), bool, int, float, str):
        return value
    if t is list:
        return [_encode(v, blobs, depth + 1) for v in value]
    if t is tuple:
        return {"$tuple": [_encode(v, blobs, depth + 1) for v in value]}
    if t is dict:
        return {"$dict": [[_encode(k, blobs, depth + 1), _encode(v, blobs, depth + 1)] for k, v in value.items()]}
    if t is np.ndarray and value.dtype.kind in ARRAY_KINDS:
        blobs.append(np.ascontiguousarray(value).tobytes())
        return {"$nd": len(blobs) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if t is HandleRef:
        return {"$handle": value.id, "type": value.type_name}
    if t is Tensor:
        return {"$tensor": _encode(value.array, blobs, depth + 1), "grad": value.requires_grad}
    if t is Generator:
        return {"$generator": value.seed}
    raise TypeError(f"{t.__name__} is not plain data")


def _decode(value, blobs: list, depth: int = 0):
    if depth > 64:
        raise ProtocolError("message nested too deeply")
    t = type(value)
    if t in (type(None), bool, int, float, str):
        return value
    if t is list:
        return [_decode(v, blobs, depth + 1) for v in value]
    if t is not dict or len(value) == 0:
        raise ProtocolError("malformed value")
    if "$float" in value:
        return float(value["$float"]) if value["$float"] in ("nan", "inf", "-inf") else math.nan
    if "$tuple" in value:
        return tuple(_decode(v, blobs, depth + 1) for v in _list(value["$tuple"]))
    if "$dict" in value:
        out = {}
        for pair in _list(value["$dict"]):
            k, v = _list(pair)
            k = _decode(k, blobs, depth + 1)
            if type(k) in (list, dict) or isinstance(k, np.ndarray):
                raise ProtocolError("unhashable dict key")
            out[k] = _decode(v, blobs, depth + 1)
        return out
    if "$nd" in value:
        dtype = np.dtype(str(value["dtype"]))
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject:
            raise ProtocolError(f"array dtype {dtype} is not allowed")
        shape = tuple(int(s) for s in _list(value["shape"]))
        raw = blobs[int(value["$nd"])]
        if any(s < 0 for s in shape) or math.prod(shape) * dtype.itemsize != len(raw):
            raise ProtocolError("array shape does not match its bytes")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "$handle" in value:
        return HandleRef(int(value["$handle"]), str(value["type"])[:200])
    if "$tensor" in value:
        return Tensor(_decode(value["$tensor"], blobs, depth + 1), bool(value["grad"]))
    if "$generator" in value:
        return Generator(int(value["$generator"]))
    raise ProtocolError("unknown tagged value")


def _list(v) -> list:
    if type(v) is not list:
        raise ProtocolError("malformed value")
    return v


def dumps(message: dict) -> bytes:
    """Encode a message (a dict of plain data) as bytes."""
    blobs: list[bytes] = []
    header = json.dumps(_encode(message, blobs), allow_nan=False).encode()
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
        message = _decode(header, blobs)
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, struct.error, OverflowError) as exc:
        raise ProtocolError(f"malformed message ({type(exc).__name__})") from None
    if type(message) is not dict:
        raise ProtocolError("a message must be a dict")
    return message


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly n bytes from a blocking fd; EOFError if it closes first."""
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    """Write all of data to a blocking fd."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
