"""Run one call on the learner's side and turn what comes back into plain data.

Used in two places with the same rules: in the notebook (the learner's namespace is this
process) and in the sealed worker (the learner's namespace is the worker's). Plain data is
None, bool, int, float, str, lists, tuples and dicts of these, and numpy arrays of numbers,
booleans or strings; torch tensors become numpy arrays; anything else stays on the learner's
side and comes back as a `HandleRef`.
"""

from __future__ import annotations

import sys
import traceback

import numpy as np

from autograder.api import Generator, HandleRef, Tensor

SCALARS = (type(None), bool, int, float, str)
MAX_DEPTH = 32


class Objects:
    """The learner's objects that checks hold handles to, by id."""

    def __init__(self, start: int = 0):
        self.by_id: dict[int, object] = {}
        self.last_id = start  # ids differ between workers, so a stale handle never resolves

    def add(self, obj) -> HandleRef:
        self.last_id += 1
        self.by_id[self.last_id] = obj
        return HandleRef(self.last_id, _type_name(obj))

    def get(self, ref: HandleRef):
        if ref.id not in self.by_id:
            raise LookupError(f"the object behind {ref} is gone (the worker was restarted)")
        return self.by_id[ref.id]


def _type_name(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ in ("builtins", "__main__") else f"{t.__module__}.{t.__name__}"


def to_plain(value, objects: Objects, depth: int = 0):
    """`value` as plain data; objects that are not plain become HandleRefs."""
    if depth > MAX_DEPTH:
        raise ValueError("the returned value is nested too deeply")
    t = type(value)
    if t in SCALARS:
        return value
    if t is list or t is tuple:
        items = [to_plain(v, objects, depth + 1) for v in value]
        return items if t is list else tuple(items)
    if t is dict:
        return {to_plain(k, objects, depth + 1): to_plain(v, objects, depth + 1) for k, v in value.items()}
    if isinstance(value, np.generic) and value.dtype.kind in "biufcUS":
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufcU":
        return np.array(np.ndarray.view(value, np.ndarray), copy=True)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        x = value.detach().cpu().resolve_conj().resolve_neg()
        if x.dtype in (torch.bfloat16, torch.float16):
            x = x.float()
        return np.array(x.numpy(), copy=True)
    return objects.add(value)


def from_plain(value, objects: Objects, grads: list | None = None, depth: int = 0):
    """Turn a check's argument into what the learner's code receives (fresh copies)."""
    if depth > MAX_DEPTH:
        raise ValueError("an argument is nested too deeply")
    t = type(value)
    if t in SCALARS:
        return value
    if t is list or t is tuple:
        items = [from_plain(v, objects, grads, depth + 1) for v in value]
        return items if t is list else tuple(items)
    if t is dict:
        return {k: from_plain(v, objects, grads, depth + 1) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.item()
    if t is HandleRef:
        return objects.get(value)
    if t is Tensor:
        import torch

        x = torch.tensor(np.array(value.array, copy=True))
        if value.requires_grad:
            x = x.float().requires_grad_(True) if not x.is_floating_point() else x.requires_grad_(True)
            if grads is not None:
                grads.append(x)
        return x
    if t is Generator:
        import torch

        return torch.Generator().manual_seed(value.seed)
    raise TypeError(f"a check passed an argument of type {t.__name__}, which is not plain data")


def error_record(what: str, exc: BaseException) -> dict:
    """A plain description of an exception the learner's code raised."""
    kind = type(exc).__name__
    if isinstance(exc, SystemExit):
        message = f"it called sys.exit({exc.code!r})"
    else:
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 - a learner's __str__ may raise anything
            message = "(its message could not be printed)"
    try:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
    except BaseException:  # noqa: BLE001
        trace = ""
    return {"what": what, "kind": kind, "message": message[:2000], "trace": trace[-4000:]}


def execute(namespace: dict, objects: Objects, mode: str, target, name: str, args, kwargs) -> dict:
    """Run one request; returns {"value": plain} or {"error": error_record}.

    mode is "call" (a function or class of the notebook), "method" (of a handle's object),
    "getattr" (an attribute of a handle's object) or "grad" (call, then back-propagate).
    """
    what = name if target is None else f"{target.type_name}.{name}"
    try:
        if target is None:
            if name not in namespace:
                return {"error": {"what": name, "kind": "Missing", "trace": "",
                                  "message": f"define `{name}` in a code cell of the notebook"}}
            fn = namespace[name]
            home = getattr(fn, "__module__", None)
            if isinstance(home, str) and (home == "latentlab" or home.startswith("latentlab.")):
                return {"error": {"what": name, "kind": "NotYourOwn", "trace": "", "message": (
                    f"`{name}` is the course's own {home}.{name}, imported rather than written: "
                    "the exercise is to write it yourself, in a code cell of the notebook")}}
        else:
            obj = objects.get(target)
            fn = getattr(obj, name)
            if mode == "getattr":
                return {"value": to_plain(fn, objects)}
        grads: list = []
        call_args = from_plain(tuple(args), objects, grads)
        call_kwargs = from_plain(dict(kwargs), objects, grads)
        out = fn(*call_args, **call_kwargs)
        if mode == "grad":
            head = out[0] if isinstance(out, tuple) else out
            head.sum().backward()
            out = (out, [g.grad for g in grads])
        return {"value": to_plain(out, objects)}
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
        return {"error": error_record(what, exc)}
