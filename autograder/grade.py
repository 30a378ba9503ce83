"""Grade one notebook, sealed: Gradescope's results.json as a dict.

The result comes back within the grading's time limit (`Limits.total_timeout`) plus the
time to finish the check that was running: checks that the time limit leaves out are
reported as not run. A submission that cannot be read gets a result too, score 0 and why.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from autograder import nbfile, report
from autograder.limits import Limits
from autograder.runner import known_assignments, load_checks, run_checks
from autograder.sealed import SealedStudent, Session
from autograder.student import Student


class _Unreadable(Student):
    """A stand-in for a submission that could not be read: every call fails with why."""

    def __init__(self, why: str):
        self.why = why

    def _request(self, request: dict) -> dict:
        return {"error": {"what": request["what"], "kind": "Unreadable", "message": self.why, "trace": ""}}


def infer_assignment(path: Path) -> str | None:
    """The assignment a notebook belongs to, from its file name or folder (aNN_slug)."""
    names = known_assignments()
    for part in [Path(path).stem, *[p.name for p in Path(path).resolve().parents][:3]]:
        if part in names:
            return part
        # a copy's name: a01_word2vec-submission, a01_word2vec-Copy1, "a01_word2vec (1)"
        match = re.match(r"(a\d\d_[a-z0-9_]+?)(?:[-_. ](?:submission|solution|copy|\(\d+\)).*)?$", part,
                         re.IGNORECASE)
        if match and match.group(1).lower() in names:
            return match.group(1).lower()
    return None


def grade(notebook: Path, assignment: str, limits: Limits | None = None) -> dict:
    """Grade `notebook` against the checks of `assignment`; returns results.json as a dict."""
    limits = limits or Limits()
    start = time.monotonic()
    notes: list[str] = []
    session = None
    checks_loaded = threading.Event()
    try:
        session = Session(nbfile.code_cells(nbfile.read(notebook)), limits)
        session.start_in_background(checks_loaded)  # the worker starts; the cells wait
        student: Student = SealedStudent(session)
    except nbfile.UnreadableNotebook as exc:
        notes.append(f"Your submission could not be graded: {exc}.")
        student = _Unreadable(f"the submission could not be read: {exc}")
    try:
        load_checks(assignment)  # the checks are loaded before any of the submission's code runs
        checks_loaded.set()
        results = run_checks(assignment, student, include_hidden=True)
    finally:
        checks_loaded.set()
        if session is not None:
            session.close()
    if session is not None:
        for outcome in sorted(session.outcomes.values(), key=lambda o: o.index):
            if outcome.status != "ok":
                notes.append(f"Cell {outcome.index + 1} of your notebook: {outcome.message}")
        if session.remaining() <= 0:
            notes.append(f"The grading stopped at its time limit of {limits.total_timeout:g} s; the checks "
                         "it did not reach are marked as not run.")
    tests = [report.entry(r) for r in results]
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    lines = [f"{assignment}: {score:g} of {total:g} points", *notes]
    printed = session.output() if session is not None else ""
    if printed.strip():
        lines.append("What your notebook's cells printed when they ran (the first 4,000 characters):\n"
                     + printed[:4000])
    return {"score": score, "execution_time": round(time.monotonic() - start, 2),
            "output": report.printable("\n".join(lines)), "tests": tests,
            "extra_data": {"assignment": assignment, "max_score": total,
                           "sandbox": session.mode if session is not None else "",
                           "notebook": Path(notebook).name}}


def failed_result(notebook: Path, assignment: str, why: str) -> dict:
    """A result with score 0 on every check, for a grading that could not finish, saying why."""
    results = run_checks(assignment, _Unreadable(why), include_hidden=True)
    return {"score": 0.0, "execution_time": 0.0, "output": report.printable(f"{assignment}: 0 points\n{why}"),
            "tests": [report.entry(r) for r in results],
            "extra_data": {"assignment": assignment, "notebook": Path(notebook).name, "error": why,
                           "max_score": sum(r.max_score for r in results)}}
