"""Run one request on the learner's side and turn what comes back into plain data.

Used in two places with the same rules: in the notebook (the learner's namespace is this
process, `autograder.local`) and in the sealed worker (the learner's namespace is the
worker's, `autograder.worker`). A request is the dict `Student._invoke` builds; the reply is
{"value": plain data} or {"error": an error record}.
"""

from __future__ import annotations

import traceback

from autograder import plain, refusal


class Interrupted(BaseException):
    """Raised in the sealed worker's main thread to stop the learner's code when its time is
    up (a BaseException, so that an `except Exception` of theirs does not swallow it)."""


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
    bases = ",".join(c.__name__ for c in type(exc).__mro__[1:] if c.__module__ == "builtins")
    return {"what": what, "kind": kind, "message": message[:2000], "trace": trace[-4000:], "bases": bases[:500]}


def _snapshot(args: tuple, kwargs: dict) -> list:
    """(label, argument, a copy of it) for every array, tensor, list or dict argument, to see what
    a call changed."""
    import copy

    labelled = [(f"argument {i + 1}", a) for i, a in enumerate(args)] + [(f"`{k}`", v) for k, v in kwargs.items()]
    out = []
    for label, value in labelled:
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            out.append((label, value, value.copy() if hasattr(value, "copy") else value.clone()))
        elif isinstance(value, list | dict):
            out.append((label, value, copy.deepcopy(value)))
    return out


def _same(value, copy) -> bool:
    """Whether an argument still equals the copy taken before the call, element by element."""
    import numpy as np

    if isinstance(value, list | tuple):
        return (type(value) is type(copy) and len(value) == len(copy)
                and all(_same(a, b) for a, b in zip(value, copy, strict=True)))
    if isinstance(value, dict):
        return isinstance(copy, dict) and value.keys() == copy.keys() and all(_same(value[k], copy[k]) for k in value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        if type(value) is not type(copy):
            return False
        if not isinstance(value, np.ndarray):
            value, copy = value.detach().cpu().numpy(), copy.detach().cpu().numpy()
        return value.shape == copy.shape and np.array_equal(value, copy, equal_nan=value.dtype.kind in "fc")
    try:
        return bool(value == copy) or (value != value and copy != copy)  # NaN equals its copy
    except Exception:  # noqa: BLE001 - an object that cannot be compared is taken as unchanged
        return True


def _reseed(seed: int) -> None:
    import random
    import sys

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def _harness_error(what: str, kind: str, message: str) -> dict:
    return {"error": {"what": what, "kind": kind, "message": message, "trace": ""}}


def execute(namespace: dict, objects: plain.Objects, request: dict, refuse_reference: bool = True) -> dict:
    """Run one request against the learner's `namespace`.

    request["mode"] is "call" (a function or class of the notebook), "method" (of the object
    behind request["target"]), "getattr" (an attribute of it), "grad" (call, then
    back-propagate from the sum of the output, or of its first item), "state" (the tensors of
    a torch module's state_dict), "fixture" (make one of the grader's own objects,
    `autograder.fixtures.<name>`, on the learner's side) or "reseed" (seed the global random
    generators of torch, numpy and random with args[0], to disturb what code relies on them).
    """
    mode, target, name = request["mode"], request["target"], request["name"]
    what = name if target is None else f"{target.type_name}.{name}"
    try:
        if mode == "reseed":
            return {"value": _reseed(int(request["args"][0]))}
        if mode == "state":
            state = objects.get(target).state_dict()
            return {"value": plain.to_plain({str(k): v for k, v in state.items()}, objects)}
        if mode == "fixture":
            from autograder import fixtures

            fn = getattr(fixtures, name)
        elif target is None:
            if name not in namespace:
                return _harness_error(name, "Missing", f"define `{name}` in a code cell of the notebook")
            fn = namespace[name]
            why = refusal.refused_object(name, fn) if refuse_reference else None
            if why:
                return _harness_error(name, "NotYourOwn", why)
        else:
            obj = objects.get(target)
            fn = getattr(obj, name)
            if mode == "getattr":
                return {"value": plain.to_plain(fn, objects)}
        grads: list = []
        args = plain.from_plain(tuple(request["args"]), objects, grads)
        kwargs = plain.from_plain(dict(request["kwargs"]), objects, grads)
        before = _snapshot(args, kwargs) if request.get("watch") else None
        out = fn(*args, **kwargs)
        if mode == "grad":
            head = out[0] if isinstance(out, tuple) else out
            head.sum().backward()
            out = (out, [g.grad for g in grads])
        reply = {"value": plain.to_plain(out, objects)}
        if before is not None:
            reply["changed"] = [label for label, value, copy in before if not _same(value, copy)]
        return reply
    except Interrupted:
        raise
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything, SystemExit too
        return {"error": error_record(what, exc)}
