"""Helpers for the project's tests: run a solution's code, mutated or not, against its checks."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import pytest

from autograder import nbfile
from autograder.api import StudentError
from autograder.local import LocalStudent
from autograder.runner import checks_file, run_checks
from autograder.sealed import strict_sandbox_available

ROOT = Path(__file__).resolve().parent.parent
STRICT = strict_sandbox_available()  # root on Linux: the tests of sealed grading run both levels
MODES = ["strict", "off"] if STRICT else ["off"]


def solution_path(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def namespace(path: Path, replacements: dict[str, str] | None = None, exercises_only: bool = False) -> dict:
    """Run a notebook's code cells (not its test cells) here; each replacement must apply.

    With `exercises_only`, only the cells nbgrader knows (setup and solution cells) run, not
    the ungraded demo cells, so a mutant of a notebook that trains models for the reader is quick.
    """
    nb = nbfile.read(path)
    if exercises_only:
        nb = dict(nb, cells=[c for c in nb["cells"] if "nbgrader" in c.get("metadata", {})])
    cells = [c.source for c in nbfile.code_cells(nb)]
    for old, new in (replacements or {}).items():
        hits = [i for i, src in enumerate(cells) if old in src]
        assert len(hits) == 1, f"the mutation {old!r} should match exactly one cell, matched {len(hits)}"
        cells[hits[0]] = cells[hits[0]].replace(old, new)
    ns: dict = nbfile.ipython_stub({"__name__": "__main__"})
    for src in cells:
        exec(compile(src, str(path), "exec"), ns)  # noqa: S102 - our own notebooks
        _close_figures()  # as Jupyter's inline backend does after each cell
    return ns


def _close_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@functools.lru_cache(maxsize=None)
def solution_namespace(assignment: str) -> dict:
    """The solution's namespace, run once per test session."""
    return namespace(solution_path(assignment))


def exercise_namespace(assignment: str, replacements: dict[str, str] | None = None) -> dict:
    """The solution's setup and exercise cells only, with source replacements."""
    return namespace(solution_path(assignment), replacements, exercises_only=True)


def checks_module(assignment: str):
    """The checks module of `assignment`, imported once (its oracle caches are shared)."""
    name = f"_checks_{assignment}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, checks_file(assignment))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def score(assignment: str, ns: dict, exercise: str | None = None):
    """All checks (hidden too) of `assignment` against `ns`: (points, max_points, results)."""
    results = run_checks(assignment, LocalStudent(ns), exercise, include_hidden=True)
    return sum(r.score for r in results), sum(r.max_score for r in results), results


def lost_points(assignment: str, replacements: dict[str, str], exercise: str | None = None):
    """Checks that fail when the solution is mutated: the results that did not pass."""
    _, _, results = score(assignment, namespace(solution_path(assignment), replacements), exercise)
    return [r for r in results if not r.passed]


def assert_lost_points(failed, mistake: str, exercise: str) -> None:
    """A mutated solution lost points in `exercise`, each by a failed assertion with a message."""
    assert failed, f"{mistake} should lose points in {exercise}, but every check passed"
    for r in failed:
        assert r.message.strip(), f"{mistake}: {r.name} failed without a message"
        assert r.error_kind == "", f"{mistake}: {r.name} failed by an error ({r.error_kind}: {r.message}), not an assertion"


def assert_full_marks(assignment: str, within_seconds: float | None = None) -> None:
    """The solution passes every check (hidden ones too), within a time budget when one is given."""
    got, total, results = score(assignment, solution_namespace(assignment))
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert got == total > 0 and not failed, "the solution should pass every check:\n" + "\n".join(failed)
    seconds = sum(r.seconds for r in results)
    assert within_seconds is None or seconds < within_seconds, (
        f"the checks took {seconds:.1f} s against the solution (budget {within_seconds} s)")


def returns(value):
    """A stand-in for a learner's function that returns `value` whatever it is given."""
    return lambda *args, **kwargs: value


def not_implemented(*args, **kwargs):
    """A stand-in for an exercise left as released."""
    raise NotImplementedError


def assert_check_fails_with_message(assignment: str, check_name: str, learner: dict, case: str) -> None:
    """Check `check_name` fails by a failed assertion with a message, not by an error, for the
    learner namespace `learner`."""
    with pytest.raises(AssertionError) as failure:
        getattr(checks_module(assignment), check_name)(LocalStudent(learner))
    assert str(failure.value).strip(), f"{check_name} failed without a message for: {case}"


def assert_not_implemented_reported(assignment: str, check_name: str, learner: dict) -> None:
    """A NotImplementedError from the learner's code reaches the report as such."""
    with pytest.raises(StudentError) as failure:
        getattr(checks_module(assignment), check_name)(LocalStudent(learner))
    assert failure.value.kind == "NotImplementedError"


def by_exercise(result: dict) -> dict[str, float]:
    """Points of a results.json, per exercise."""
    out: dict[str, float] = {}
    for t in result["tests"]:
        out[t["extra_data"]["exercise"]] = out.get(t["extra_data"]["exercise"], 0) + t["score"]
    return out
