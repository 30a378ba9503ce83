"""The `student` handle a check receives, the markers of its arguments, and `StudentError`.

A check never holds the learner's objects. `Student.call`, `.new` and `.grad` send plain
data to the learner's side (`autograder.plain`) and get plain data or a `Handle` back. Each
setting implements one method, `_request`, that runs a request where the learner's code
lives and returns its reply: `{"value": plain}` or `{"error": record}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# What the harness itself detected, as opposed to an exception the learner's code raised.
HARNESS_KINDS = ("NotImplementedError", "Timeout", "WorkerDied", "NotPlainData", "Missing", "NotYourOwn",
                 "Unreadable", "Hung")


class StudentError(Exception):
    """The learner's code raised, timed out or stopped the worker while a check used it.

    `kind` is the name of the exception type (for example "NotImplementedError"), or one of
    HARNESS_KINDS for what the harness detected: "Timeout", "Hung" (timed out in an earlier
    check and not run again), "WorkerDied", "NotPlainData", "Missing", "NotYourOwn" (an
    exercise imported from the course's reference answers) or "Unreadable".
    """

    def __init__(self, what: str, kind: str, message: str = "", trace: str = "", bases: str = ""):
        super().__init__(what, kind, message)
        self.what, self.kind, self.message, self.trace = what, kind, message, trace
        self.bases = tuple(b for b in bases.split(",") if b)  # the names of its exception classes

    def is_a(self, kinds) -> bool:
        """Whether the exception is of one of the types named in `kinds`, a subclass included."""
        return self.kind in kinds or bool(set(self.bases) & set(kinds))

    @property
    def raised(self) -> bool:
        """Whether the learner's code raised an exception of its own (not the harness's verdict)."""
        return self.kind not in HARNESS_KINDS

    def __str__(self) -> str:
        detail = f": {self.message}" if self.message else ""
        return {
            "NotImplementedError": f"`{self.what}` is not implemented yet (it raised NotImplementedError)",
            "Timeout": f"`{self.what}` did not finish in time: {self.message}",
            "Hung": f"`{self.what}` stopped: {self.message}",
            "WorkerDied": f"`{self.what}` stopped the Python process that ran your code: {self.message}",
            "NotPlainData": f"`{self.what}` returned a value the grader cannot take: {self.message}",
            "Missing": f"`{self.what}` is not defined in your notebook: {self.message}",
            "NotYourOwn": f"`{self.what}` was not graded: {self.message}",
            "Unreadable": f"`{self.what}` was not graded: {self.message}",
        }.get(self.kind, f"`{self.what}` raised {self.kind}{detail}")


def raise_error(record) -> None:
    """Raise the StudentError an error record (a plain dict) describes."""
    if not isinstance(record, dict):
        record = {"what": "?", "kind": "NotPlainData", "message": "the reply was not an error record"}
    raise StudentError(*(str(record.get(key, "")) for key in ("what", "kind", "message", "trace", "bases")))


@dataclass(frozen=True)
class Tensor:
    """An argument that reaches the learner's code as `torch.tensor(array)`."""

    array: np.ndarray
    requires_grad: bool = False


@dataclass(frozen=True)
class Generator:
    """An argument that reaches the learner's code as `torch.Generator().manual_seed(seed)`."""

    seed: int


@dataclass(frozen=True)
class HandleRef:
    """Plain-data name of an object that stays with the learner's code."""

    id: int
    type_name: str


@dataclass(eq=False)
class Handle:
    """An object that lives with the learner's code; reach it only through its methods.

    `h.call("encode", x)` calls a method, `h.get("latent_dim")` reads an attribute, and `h`
    may be passed back as an argument. A handle equals nothing but itself.
    """

    student: Student = field(repr=False)
    ref: HandleRef

    @property
    def type_name(self) -> str:
        return self.ref.type_name

    def call(self, method: str, *args, **kwargs):
        """Call `method` on the learner's object; returns plain data or a Handle."""
        return self.student._invoke("method", self.ref, method, args, kwargs)

    def grad(self, method: str, *args, **kwargs):
        """Call `method`, back-propagate from the sum of its output: (output, grads)."""
        return self.student._invoke("grad", self.ref, method, args, kwargs)

    def get(self, attribute: str):
        """Read an attribute of the learner's object as plain data or a Handle."""
        return self.student._invoke("getattr", self.ref, attribute, (), {})

    def call_watching(self, method: str, *args, **kwargs):
        """Call `method` and say which array or tensor arguments it changed in place:
        (value, [labels such as "argument 1"])."""
        return self.student._invoke("method", self.ref, method, args, kwargs, watch=True)

    def state(self) -> dict:
        """The tensors of a torch module's state_dict, as {name: array}."""
        return self.student._invoke("state", self.ref, "state_dict", (), {})

    def __repr__(self) -> str:
        return f"<handle to a {self.ref.type_name} object>"


class Student:
    """The learner's code as a check sees it; `_request` is what each setting implements."""

    def call(self, name: str, *args, **kwargs):
        """Call the learner's function `name`; returns plain data or a Handle."""
        return self._invoke("call", None, name, args, kwargs)

    def new(self, name: str, *args, **kwargs) -> Handle:
        """Make an instance of the learner's class `name`; returns a Handle to it."""
        out = self._invoke("call", None, name, args, kwargs)
        if not isinstance(out, Handle):
            raise StudentError(name, "TypeError", f"calling it gave plain data ({type(out).__name__})")
        return out

    def grad(self, name: str, *args, **kwargs):
        """Call `name` with `tensor(..., requires_grad=True)` arguments, back-propagate from
        the sum of its output (or of its first output, if it returns a tuple) and return
        `(output, grads)`, with one gradient array (or None) per such argument, in order."""
        return self._invoke("grad", None, name, args, kwargs)

    def fixture(self, name: str, *args, **kwargs) -> Handle:
        """Make the grader's own object `autograder.fixtures.<name>(*args, **kwargs)` on the
        learner's side, to pass to the learner's code (a model of known weights, say)."""
        out = self._invoke("fixture", None, name, args, kwargs)
        if not isinstance(out, Handle):
            raise StudentError(name, "NotPlainData", "a fixture should be an object")
        return out

    def reseed_globals(self, seed: int) -> None:
        """Seed the learner's global generators (torch, numpy, random): a check does this on
        purpose between two steps, so that a result that depends on them shows it."""
        self._invoke("reseed", None, "reseed_globals", (int(seed),), {})

    def set_timeout(self, seconds: float | None) -> None:
        """Time limit of the next calls (None: the setting's default)."""

    def out_of_time(self) -> bool:
        """Whether the grading's whole time limit has passed (checks are then not run)."""
        return False

    def call_watching(self, name: str, *args, **kwargs):
        """Call the learner's function `name` and say which array or tensor arguments it changed
        in place: (value, [labels such as "argument 1" or "`x`"])."""
        return self._invoke("call", None, name, args, kwargs, watch=True)

    def _invoke(self, mode: str, target: HandleRef | None, name: str, args: tuple, kwargs: dict,
                watch: bool = False):
        from autograder import plain

        what = name if target is None else f"{target.type_name}.{name}"
        request = {"mode": mode, "target": target, "name": name, "what": what,
                   "args": plain.unwrap(tuple(args)), "kwargs": plain.unwrap(dict(kwargs))}
        if watch:
            request["watch"] = True
        reply = self._request(request)
        if "error" in reply:
            raise_error(reply["error"])
        value = plain.wrap(reply.get("value"), self)
        if watch:
            changed = reply.get("changed")
            return value, [str(c) for c in changed] if isinstance(changed, list) else []
        return value

    def _request(self, request: dict) -> dict:
        """Run `request` ({"mode", "target", "name", "what", "args", "kwargs"}) where the
        learner's code lives; returns {"value": plain data} or {"error": record}."""
        raise NotImplementedError
