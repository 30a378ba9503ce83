"""What a check file uses: `@graded`, argument markers, and the `expect_*` helpers.

A check is a plain pytest function that takes a `student` handle and asserts on plain data
(numbers, strings, lists, tuples, dicts, numpy arrays) that came back through it:

    @graded("normalize_rows", points=1)
    def test_rows_have_unit_length(student):
        x_unit = expect_array(student.call("normalize_rows", np.ones((3, 2))),
                              "normalize_rows(x) for x of shape (3, 2)", shape=(3, 2))
        expect_close(np.linalg.norm(x_unit, axis=1), 1.0, "unit rows: the length of every row")

`student.call(name, *args, **kwargs)` calls a learner's function, `student.new(name, ...)`
makes an instance that stays with the learner's code and returns a `Handle`, and
`student.grad(name, ...)` calls a function and back-propagates from the sum of its output.
Arguments are plain data too; `tensor(x)` arrives as a torch tensor and `generator(seed)`
as a seeded `torch.Generator`.

Every message has one shape: "<property>: <what was expected>, got <what came back>", then a
hint at the likely mistake, given only when the symptom points to it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from autograder.student import Generator, Handle, Student, StudentError, Tensor

__all__ = ["graded", "tensor", "generator", "Handle", "Student", "StudentError", "describe", "show",
           "expect_array", "expect_type", "expect_scalar", "expect_tuple", "expect_close",
           "expect_error", "learner_errors_fail", "near", "call_unchanged"]


@dataclass(frozen=True)
class CheckInfo:
    """What `@graded` attaches to a check: its exercise, points, visibility, time limit, and the
    exercises whose functions it also calls (a failure there is named as a possible cause)."""

    exercise: str
    points: float
    hidden: bool = False
    timeout: float | None = None
    depends: tuple[str, ...] = ()


def graded(exercise: str, points: float = 1, *, hidden: bool = False, timeout: float | None = None,
           depends: tuple[str, ...] | list[str] = ()):
    """Mark a pytest function as a check of `exercise` worth `points`."""
    if points <= 0:
        raise ValueError("a check must be worth more than 0 points")

    def mark(fn):
        fn.graded = CheckInfo(exercise, float(points), hidden, timeout, tuple(depends))
        return fn

    return mark


def tensor(x, requires_grad: bool = False) -> Tensor:
    """Mark `x` (array-like) to arrive as a float or integer torch tensor."""
    return Tensor(np.asarray(x), bool(requires_grad))


def generator(seed: int) -> Generator:
    """Mark a seeded torch.Generator argument."""
    return Generator(int(seed))


# describing what came back


def describe(value) -> str:
    """A short phrase for what the learner's code returned: "a list of 3 items", ..."""
    if isinstance(value, Handle):
        return f"a {value.type_name} object"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    if value is None:
        return "None"
    return f"a {type(value).__name__} ({value!r:.60})"


def show(values, digits: int = 4, limit: int = 8) -> str:
    """Numbers for a message, to `digits` significant digits: `[0.5, -1.25]` (at most `limit`
    numbers in a row, and at most 3 rows of a matrix)."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.{digits}g}"
    count = limit if a.ndim == 1 else 3
    items = [show(v, digits, limit) for v in a[:count]]
    return "[" + ", ".join(items) + (", ..." if len(a) > count else "") + "]"


# validators: each returns the value in a usable form, or fails with a message


_KINDS = {"f": "floating-point", "i": "integer", "b": "boolean", "u": "unsigned integer", "U": "text"}


def expect_array(value, what: str, shape=None, dtype_kind: str | None = "f", dtype=None) -> np.ndarray:
    """`value` as a numpy array (of `shape`, of a dtype kind in `dtype_kind`, and of exactly
    `dtype` when one is given)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what}: expected a numpy array (or a torch tensor), got {describe(value)}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got shape {value.shape}")
    if dtype_kind is not None and value.dtype.kind not in dtype_kind:
        want = " or ".join(_KINDS.get(k, k) for k in dtype_kind)
        raise AssertionError(f"{what}: expected {want} numbers, got dtype {value.dtype}")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise AssertionError(f"{what}: expected dtype {np.dtype(dtype)}, got dtype {value.dtype}")
    return value


def expect_type(value, types, what: str):
    """`value`, if it is plain data of one of `types` (exact types)."""
    types = types if isinstance(types, tuple) else (types,)
    if type(value) not in types:
        names = " or ".join(t.__name__ for t in types)
        article = "an" if names[:1] in "aeiou" else "a"
        raise AssertionError(f"{what}: expected {article} {names}, got {describe(value)}")
    return value


def expect_scalar(value, what: str) -> float:
    """`value` as a float: a Python int or float, or a numeric array holding one number (a
    0-d tensor comes back as one)."""
    if type(value) in (int, float):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
        if value.size == 1:
            return float(value.reshape(()))
        raise AssertionError(f"{what}: expected a single number, got {describe(value)} (is a reduction "
                             "over the batch missing?)")
    raise AssertionError(f"{what}: expected a single number, got {describe(value)}")


def expect_tuple(value, what: str, n: int, names=None) -> tuple:
    """`value` as a tuple of `n` items (a list of n is accepted), e.g. (loss, recon, kl)."""
    if type(value) not in (tuple, list) or len(value) != n:
        want = f"a tuple of {n}" + (f" ({', '.join(names)})" if names else "")
        raise AssertionError(f"{what}: expected {want}, got {describe(value)}")
    return tuple(value)


def expect_close(got, want, prop: str, *, rtol: float = 1e-5, atol: float = 1e-8, digits: int = 4,
                 hints=()) -> None:
    """Assert that `got` equals `want` within tolerances (numbers or arrays of one shape).

    `hints` is a sequence of (symptom, text): symptom(got, want) -> bool; the first that holds
    adds its text to the message, so a hint names a cause only when the numbers point to it.
    """
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        raise AssertionError(f"{prop}: expected shape {w.shape}, got shape {g.shape}")
    if np.allclose(g, w, rtol=rtol, atol=atol) and np.array_equal(np.isnan(g), np.isnan(w)):
        return
    where = ""
    if g.ndim:
        gap = np.where(np.isnan(g) != np.isnan(w), np.inf, np.abs(np.nan_to_num(g - w, nan=0.0)))
        i = np.unravel_index(int(np.argmax(gap)), g.shape)
        at = tuple(int(j) for j in i) if g.ndim > 1 else int(i[0])
        where = f" (largest difference at index {at}: expected {show(w[i], digits + 4)}, got {show(g[i], digits + 4)})"
    hint = next((text for symptom, text in hints if _holds(symptom, g, w)), "")
    low = isinstance(got, np.ndarray) and got.dtype.kind == "f" and got.dtype.itemsize < 8
    if not hint and low and np.allclose(g, w, rtol=1e-5, atol=1e-6):
        hint = (f"Your numbers are {got.dtype}, whose few significant digits are not enough here: compute and "
                "return them in float64")
    while show(g, digits) == show(w, digits) and digits < 12:  # show the digits where they differ
        digits += 2
    raise AssertionError(f"{prop}: expected {show(w, digits)}, got {show(g, digits)}{where}"
                         + (f". {hint}" if hint else ""))


def call_unchanged(student, name: str, what: str, *args):
    """The value of the learner's `name(*args)`, failing the check if the call changed an
    argument in place; `what` names the call in the message."""
    value, changed = student.call_watching(name, *args)
    if changed:
        raise AssertionError(f"the inputs are left unchanged: expected {what} to leave its arguments as they "
                             f"were, got {', '.join(changed)} changed in place (work on a copy)")
    return value


def near(got, want, rtol: float = 1e-6, atol: float = 1e-12) -> bool:
    """Whether `got` equals `want` (same shape) within tolerances: a symptom test for hints."""
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=rtol, atol=atol))


def _holds(symptom, got, want) -> bool:
    try:
        return bool(symptom(got, want))
    except Exception:  # noqa: BLE001 - a hint that cannot be evaluated is not given
        return False


def expect_error(kinds, what: str, call, *args, **kwargs) -> StudentError:
    """Assert that `call(*args, **kwargs)` makes the learner's code raise one of `kinds` (or a
    subclass of one, such as scikit-learn's InvalidParameterError, a ValueError).

    What the harness detected (not implemented, a time-out, a crash) passes through as it is,
    so an unfinished or hanging exercise is reported as that, not as a wrong exception.
    """
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    want = " or ".join(kinds)
    try:
        got = call(*args, **kwargs)
    except StudentError as err:
        if not err.raised:
            raise
        if not err.is_a(kinds):
            raise AssertionError(f"{what}: expected {want}, got {err.kind}: {err.message}"[:600]) from None
        return err
    raise AssertionError(f"{what}: expected {want}, got a normal return of {describe(got)}")


@contextlib.contextmanager
def learner_errors_fail(prop: str):
    """Within this block, an exception the learner's code raises fails the check with a message
    naming `prop`, the property it breaks (a time-out or a crash is reported as it is). As a
    decorator, `@learner_errors_fail(prop)` does the same for a whole check."""
    try:
        yield
    except StudentError as err:
        if not err.raised:
            raise
        raise AssertionError(f"{prop}: expected a result, got {err.kind} from `{err.what}`: "
                             f"{err.message}"[:800]) from None
