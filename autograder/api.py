"""What a check file uses: `@graded`, the `student` handle's argument markers, `StudentError`.

A check is a plain pytest function that takes a `student` handle and asserts on plain data
(numbers, strings, lists, tuples, dicts, numpy arrays) that came back through it:

    @graded("normalize_rows", points=1)
    def test_rows_have_unit_length(student):
        x_hat = student.call("normalize_rows", np.ones((3, 2)))
        ...

`student.call(name, *args, **kwargs)` calls a learner's function, `student.new(name, ...)`
makes an instance that stays with the learner's code and returns a `Handle`, and
`student.grad(name, ...)` calls a function and back-propagates from the sum of its output.
Arguments are plain data too; `tensor(x)` arrives as a torch tensor and `generator(seed)`
as a seeded `torch.Generator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CheckInfo:
    """What `@graded` attaches to a check: its exercise, points, visibility and time limit."""

    exercise: str
    points: float
    hidden: bool = False
    timeout: float | None = None


def graded(exercise: str, points: float = 1, *, hidden: bool = False, timeout: float | None = None):
    """Mark a pytest function as a check of `exercise` worth `points`."""
    if points <= 0:
        raise ValueError("a check must be worth more than 0 points")

    def mark(fn):
        fn.graded = CheckInfo(exercise, float(points), hidden, timeout)
        return fn

    return mark


class StudentError(Exception):
    """The learner's code raised, timed out or stopped the worker while a check used it.

    `kind` is the name of the exception type (for example "NotImplementedError"), or
    "Timeout" / "WorkerDied" / "NotPlainData" / "Missing" / "NotYourOwn" (an exercise imported
    from the course's own package) for what the harness itself detected.
    """

    def __init__(self, what: str, kind: str, message: str = "", trace: str = ""):
        super().__init__(what, kind, message)
        self.what, self.kind, self.message, self.trace = what, kind, message, trace

    def __str__(self) -> str:
        if self.kind == "NotImplementedError":
            return f"`{self.what}` is not implemented yet (it raised NotImplementedError)"
        if self.kind == "Timeout":
            return f"`{self.what}` did not finish in time: {self.message}"
        if self.kind == "WorkerDied":
            return f"`{self.what}` stopped the Python process that ran your code: {self.message}"
        if self.kind == "NotPlainData":
            return f"`{self.what}` returned a value the grader cannot take: {self.message}"
        if self.kind == "Missing":
            return f"`{self.what}` is not defined in your notebook: {self.message}"
        if self.kind == "NotYourOwn":
            return f"`{self.what}` was not graded: {self.message}"
        detail = f": {self.message}" if self.message else ""
        return f"`{self.what}` raised {self.kind}{detail}"


@dataclass(frozen=True)
class Tensor:
    """An argument that reaches the learner's code as `torch.tensor(array)`."""

    array: np.ndarray
    requires_grad: bool = False


def tensor(x, requires_grad: bool = False) -> Tensor:
    """Mark `x` (array-like) to arrive as a float or integer torch tensor."""
    return Tensor(np.asarray(x), bool(requires_grad))


@dataclass(frozen=True)
class Generator:
    """An argument that reaches the learner's code as `torch.Generator().manual_seed(seed)`."""

    seed: int


def generator(seed: int) -> Generator:
    """Mark a seeded torch.Generator argument."""
    return Generator(int(seed))


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

    student: object = field(repr=False)
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

    def __repr__(self) -> str:
        return f"<handle to a {self.ref.type_name} object>"


class Student:
    """The learner's code as a check sees it; `_invoke` is what each setting implements."""

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

    def _invoke(self, mode: str, target, name: str, args: tuple, kwargs: dict):
        raise NotImplementedError

    def set_timeout(self, seconds: float | None) -> None:
        """Time limit of the next calls (None: the setting's default)."""


def expect_array(value, what: str, shape=None, dtype_kind: str | None = "f") -> np.ndarray:
    """Assert that `value` is a numpy array (of a shape and dtype kind) and return it."""
    if isinstance(value, Handle):
        raise AssertionError(f"{what} should be a numpy array, but it returned a {value.type_name}")
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what} should be a numpy array, but it returned a {type(value).__name__}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{what} should have shape {tuple(shape)}, but it has shape {value.shape}")
    if dtype_kind is not None and value.dtype.kind not in dtype_kind:
        kinds = {"f": "floating-point", "i": "integer", "b": "boolean", "u": "unsigned integer"}
        want = " or ".join(kinds.get(k, k) for k in dtype_kind)
        raise AssertionError(f"{what} should hold {want} numbers, but its dtype is {value.dtype}")
    return value


def expect_type(value, types, what: str):
    """Assert that `value` is plain data of one of `types` (exact types) and return it."""
    types = types if isinstance(types, tuple) else (types,)
    if type(value) not in types:
        names = " or ".join(t.__name__ for t in types)
        got = value.type_name if isinstance(value, Handle) else type(value).__name__
        raise AssertionError(f"{what} should be a {names}, but it returned a {got}")
    return value


def expect_error(kinds, what: str, call, *args, **kwargs) -> StudentError:
    """Assert that `call(*args, **kwargs)` makes the learner's code raise one of `kinds`.

    A NotImplementedError passes through unchanged, so an unfinished exercise reads as
    "not implemented" rather than as a wrong exception.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    try:
        call(*args, **kwargs)
    except StudentError as err:
        if err.kind in ("NotImplementedError", "Timeout", "WorkerDied", "Missing", "NotYourOwn"):
            raise
        if err.kind not in kinds:
            raise AssertionError(f"{what} should raise {' or '.join(kinds)}, but it raised {err.kind}: "
                                 f"{err.message}") from None
        return err
    raise AssertionError(f"{what} should raise {' or '.join(kinds)}, but it returned normally")
