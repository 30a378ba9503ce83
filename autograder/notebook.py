"""`check(assignment, exercise)`: run an exercise's checks in place, from a notebook cell."""

from __future__ import annotations

import contextlib
import html
import inspect
import io
import os

from autograder import report
from autograder.local import LocalStudent
from autograder.runner import run_checks


class Points(float):
    """The points a check cell earned, with its report.

    nbgrader reads a test cell's value as partial credit from its plain-text form, so that stays
    the number; Jupyter shows the report instead of the bare number.
    """

    report: str = ""

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.report)}</pre>"

    def __str__(self) -> str:
        return self.report


def _points(value: float, text: str) -> Points:
    out = Points(value)
    out.report = text
    return out


def check(assignment: str, exercise: str | None = None, namespace: dict | None = None) -> Points:
    """Run the checks of one exercise (or all) against this notebook's code.

    Self-study runs the visible checks; under nbgrader's autograde (NBGRADER_EXECUTION set)
    it runs every check. Nothing is written to stderr (nbgrader would give the cell 0). Returns
    the points earned, which nbgrader reads as partial credit and Jupyter shows as the report.
    """
    if namespace is None:
        namespace = inspect.stack()[1].frame.f_globals
    everything = bool(os.environ.get("NBGRADER_EXECUTION"))
    sink = io.StringIO()
    with contextlib.redirect_stderr(sink):
        try:
            results = run_checks(assignment, LocalStudent(namespace), exercise, include_hidden=everything)
        except Exception as exc:  # noqa: BLE001 - a setup problem is reported, never raised to stderr
            return _points(0.0, f"{assignment}: the checks could not run: {type(exc).__name__}: {exc}")
    if not results:
        return _points(0.0, f"{assignment}: there are no checks for an exercise called {exercise!r}")
    title = f"{assignment} · {exercise or 'all exercises'}"
    text = report.text(title, [report.entry(r) for r in results], hidden_not_run=results.hidden_not_run)
    return _points(float(sum(r.score for r in results)), text)
