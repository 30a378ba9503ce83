"""Grade one notebook, sealed: Gradescope's results.json, plus a readable feedback text."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from autograder import nbfile
from autograder.api import Student, StudentError
from autograder.runner import CheckResult, known_assignments, load_checks, run_checks
from autograder.sealed import Limits, SealedStudent, Session

VISIBILITY = {False: "visible", True: "after_due_date"}


class _Unreadable(Student):
    """A stand-in for a submission that could not be read: every call fails with why."""

    def __init__(self, why: str):
        self.why = why

    def _invoke(self, mode, target, name, args, kwargs):
        raise StudentError(name, "Unreadable", self.why)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` from a learner's code made safe to print and to save: terminal control
    characters (which could redraw a report) become visible escapes, and so do lone
    surrogates (which UTF-8 cannot write)."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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


def _test_entry(r: CheckResult) -> dict:
    label = r.name.removeprefix("test_").replace("_", " ")
    return {"name": f"{r.exercise}: {label}", "score": r.score, "max_score": r.max_score,
            "output": "passed" if r.passed else printable(r.message), "visibility": VISIBILITY[r.hidden],
            "status": "passed" if r.passed else "failed",
            "extra_data": {"exercise": r.exercise, "check": r.name, "error_kind": r.error_kind}}


def grade(notebook: Path, assignment: str, limits: Limits | None = None) -> dict:
    """Grade `notebook` against the checks of `assignment`; returns results.json as a dict."""
    limits = limits or Limits()
    start = time.monotonic()
    notes: list[str] = []
    session = None
    checks_loaded = threading.Event()
    try:
        nb = nbfile.read(notebook)
        session = Session(nbfile.code_cells(nb), limits)
        session.start_in_background(checks_loaded)  # the worker starts; the cells wait
        student: Student = SealedStudent(session)
    except nbfile.UnreadableNotebook as exc:
        why = f"the submission could not be read: {exc}"
        notes.append(f"Your submission could not be graded: {exc}.")
        student = _Unreadable(why)
    try:
        load_checks(assignment)  # the checks are loaded before any of the submission's code runs
    except BaseException:
        if session is not None:
            session.close()
        raise
    finally:
        checks_loaded.set()
    try:
        results = run_checks(assignment, student, include_hidden=True)
    finally:
        if session is not None:
            session.close()
    if session is not None:
        for outcome in sorted(session.outcomes.values(), key=lambda o: o.index):
            if outcome.status != "ok":
                notes.append(f"Cell {outcome.index + 1} of your notebook: {outcome.message}")
    tests = [_test_entry(r) for r in results]
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    lines = [f"{assignment}: {score:g} of {total:g} points"]
    lines += notes
    printed = session.output() if session is not None else ""
    if printed.strip():
        lines.append("What your notebook's cells printed when they ran (the first 4,000 characters):\n"
                     + printed[:4000])
    return {"score": score, "execution_time": round(time.monotonic() - start, 2),
            "output": printable("\n".join(lines)), "tests": tests,
            "extra_data": {"assignment": assignment, "max_score": total,
                           "sandbox": session.mode if session is not None else "",
                           "notebook": Path(notebook).name}}


def feedback(result: dict) -> str:
    """A readable report of one result: the score, then each check, failures with reasons."""
    lines = [result["output"].splitlines()[0] if result.get("output") else "", ""]
    by_exercise: dict[str, list[dict]] = {}
    for test in result["tests"]:
        by_exercise.setdefault(test["extra_data"]["exercise"], []).append(test)
    for exercise, tests in by_exercise.items():
        got = sum(t["score"] for t in tests)
        of = sum(t["max_score"] for t in tests)
        lines.append(f"{exercise}: {got:g} of {of:g}")
        for t in tests:
            mark = "PASS" if t["status"] == "passed" else "FAIL"
            lines.append(f"  {mark}  {t['name'].split(': ', 1)[-1]} ({t['max_score']:g})")
            if t["status"] != "passed":
                lines.extend("        " + ln for ln in t["output"].splitlines()[:12])
    rest = result.get("output", "").splitlines()[1:]
    if rest:
        lines += ["", *rest]
    return "\n".join(lines) + "\n"


def failed_result(notebook: Path, assignment: str, why: str) -> dict:
    """A result with score 0 on every check, for a grading that could not finish, saying why."""
    results = run_checks(assignment, _Unreadable(why), include_hidden=True)
    return {"score": 0.0, "execution_time": 0.0, "output": printable(f"{assignment}: 0 points\n{why}"),
            "tests": [_test_entry(r) for r in results],
            "extra_data": {"assignment": assignment, "notebook": Path(notebook).name, "error": why,
                           "max_score": sum(r.max_score for r in results)}}
