"""`check(assignment, exercise)`: run an exercise's checks in place, from a notebook cell."""

from __future__ import annotations

import contextlib
import inspect
import io
import os

from autograder.local import LocalStudent
from autograder.runner import CheckResult, run_checks


def _points(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def summary(results: list[CheckResult], title: str) -> str:
    """Readable lines: what passed, what failed and why."""
    earned = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    lines = [f"{title}: {earned:g} of {_points(total)}"]
    for r in results:
        mark = "PASS" if r.passed else "FAIL"
        label = r.name.removeprefix("test_").replace("_", " ")
        hidden = ", hidden" if r.hidden else ""
        lines.append(f"  {mark}  {label} ({_points(r.max_score)}{hidden})")
        if not r.passed:
            lines.extend("        " + line for line in r.message.splitlines()[:12])
    return "\n".join(lines)


def check(assignment: str, exercise: str | None = None, namespace: dict | None = None) -> float:
    """Run the checks of one exercise (or all) against this notebook's code; print a summary.

    Self-study runs the visible checks; under nbgrader's autograde (NBGRADER_EXECUTION set)
    it runs every check. Nothing is written to stderr. Returns the points earned, which
    nbgrader reads from the cell's value as partial credit.
    """
    if namespace is None:
        namespace = inspect.stack()[1].frame.f_globals
    everything = bool(os.environ.get("NBGRADER_EXECUTION"))
    sink = io.StringIO()
    with contextlib.redirect_stderr(sink):
        try:
            results = run_checks(assignment, LocalStudent(namespace), exercise, include_hidden=everything)
        except Exception as exc:  # noqa: BLE001 - a setup problem is reported, never raised to stderr
            print(f"{assignment}: the checks could not run: {type(exc).__name__}: {exc}")
            return 0.0
    if not results:
        print(f"{assignment}: there are no checks for an exercise called {exercise!r}")
        return 0.0
    print(summary(results, f"{assignment} · {exercise or 'all exercises'}"))
    return float(sum(r.score for r in results))
