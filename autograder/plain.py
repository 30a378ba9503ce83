"""Plain data, and the one walker that every conversion of it goes through.

Plain data is None, bool, int, float and str; lists, tuples and dicts of plain data; numpy
arrays whose dtype kind is one of ARRAY_KINDS; and the markers of `autograder.student`
(HandleRef, Tensor, Generator). It is what crosses between a check and the learner's code.

`walk(value, leaf)` rebuilds a nested value with `leaf` applied to everything that is not a
list, tuple or dict, and refuses to go deeper than MAX_DEPTH. Each conversion is a walk:
- `to_plain` (the learner's side): what a learner's function returned, as plain data; objects
  that are not plain stay there, registered in `Objects`, and travel as HandleRefs;
- `from_plain` (the learner's side): a check's arguments as the learner's code receives them;
- `wrap` / `unwrap` (the check's side): HandleRefs to Handles and back;
- `autograder.wire` encodes and decodes messages with the same walk.
"""

from __future__ import annotations

import sys

import numpy as np

from autograder.student import Generator, Handle, HandleRef, Tensor

SCALARS = (type(None), bool, int, float, str)
ARRAY_KINDS = "biufcU"
MAX_DEPTH = 32


class TooDeep(ValueError):
    """A value nested deeper than MAX_DEPTH."""


def native(value):
    """(kind, items) of a Python list, tuple or dict (items of a dict are (key, value) pairs)."""
    t = type(value)
    if t is list or t is tuple:
        return t, value
    if t is dict:
        return dict, value.items()
    return None


def rebuild(kind, items):
    """The Python container `kind` holding `items`."""
    return dict(items) if kind is dict else kind(items)


def walk(value, leaf, *, unpack=native, build=rebuild, depth: int = 0):
    """`value` rebuilt with `leaf` applied to every item that `unpack` does not open."""
    if depth > MAX_DEPTH:
        raise TooDeep(f"the value is nested more than {MAX_DEPTH} levels deep")
    opened = unpack(value)
    if opened is None:
        return leaf(value)
    kind, items = opened
    go = lambda v: walk(v, leaf, unpack=unpack, build=build, depth=depth + 1)  # noqa: E731
    if kind is dict:
        return build(dict, [(go(k), go(v)) for k, v in items])
    return build(kind, [go(v) for v in items])


def is_plain_array(value) -> bool:
    return type(value) is np.ndarray and value.dtype.kind in ARRAY_KINDS


# the learner's side


class Objects:
    """The learner's objects that checks hold handles to, by id."""

    def __init__(self, start: int = 0):
        self.by_id: dict[int, object] = {}
        self.last_id = start  # ids differ between workers, so a stale handle never resolves

    def add(self, obj) -> HandleRef:
        self.last_id += 1
        self.by_id[self.last_id] = obj
        return HandleRef(self.last_id, type_name(obj))

    def get(self, ref: HandleRef):
        if ref.id not in self.by_id:
            raise LookupError(f"the object behind {ref} is gone (the worker was restarted)")
        return self.by_id[ref.id]


def type_name(obj) -> str:
    """The name a report uses for the type of a learner's object."""
    t = type(obj)
    return t.__name__ if t.__module__ in ("builtins", "__main__") else f"{t.__module__}.{t.__name__}"


def to_plain(value, objects: Objects):
    """What the learner's code returned, as plain data: torch tensors become arrays, numpy
    scalars become numbers, objects that are not plain become HandleRefs."""
    def leaf(v):
        if type(v) in SCALARS:
            return v
        if isinstance(v, np.generic) and v.dtype.kind in "biufcUS":
            return v.item()
        if isinstance(v, np.ndarray) and v.dtype.kind in ARRAY_KINDS:
            return np.array(np.ndarray.view(v, np.ndarray), copy=True)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(v, torch.Tensor):
            x = v.detach().cpu().resolve_conj().resolve_neg()
            if x.dtype in (torch.bfloat16, torch.float16):
                x = x.float()
            return np.array(x.numpy(), copy=True)
        return objects.add(v)

    return walk(value, leaf)


def from_plain(value, objects: Objects, grads: list | None = None):
    """A check's argument as the learner's code receives it: fresh copies, tensors and
    generators made here, handles resolved; tensors that require grad are appended to `grads`."""
    def leaf(v):
        t = type(v)
        if t in SCALARS:
            return v
        if isinstance(v, np.ndarray):
            return v.copy()
        if isinstance(v, np.generic):
            return v.item()
        if t is HandleRef:
            return objects.get(v)
        if t is Tensor:
            import torch

            x = torch.tensor(np.array(v.array, copy=True))
            if v.requires_grad:
                x = (x if x.is_floating_point() else x.float()).requires_grad_(True)
                if grads is not None:
                    grads.append(x)
            return x
        if t is Generator:
            import torch

            return torch.Generator().manual_seed(v.seed)
        raise TypeError(f"a check passed an argument of type {t.__name__}, which is not plain data")

    return walk(value, leaf)


# the check's side


def wrap(value, student):
    """HandleRefs inside plain data as Handles bound to `student`."""
    return walk(value, lambda v: Handle(student, v) if type(v) is HandleRef else v)


def unwrap(value):
    """Handles inside a check's arguments as HandleRefs."""
    return walk(value, lambda v: v.ref if type(v) is Handle else v)
