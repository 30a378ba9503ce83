"""Run an assignment's pytest checks against a `student` handle and collect their results."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from autograder.api import CheckInfo, StudentError

CHECKS_DIR = Path(__file__).parent / "checks"
INI = Path(__file__).parent / "pytest.ini"


@dataclass
class CheckResult:
    """The outcome of one check: plain data for reports."""

    name: str
    exercise: str
    max_score: float
    hidden: bool
    score: float = 0.0
    passed: bool = False
    message: str = ""
    error_kind: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def checks_file(assignment: str) -> Path:
    """The check file of `assignment`: autograder/checks/, then AUTOGRADER_CHECKS_PATH folders."""
    if not assignment.replace("_", "").isalnum():
        raise ValueError(f"{assignment!r} is not an assignment name like a01_word2vec")
    extra = [Path(p) for p in os.environ.get("AUTOGRADER_CHECKS_PATH", "").split(os.pathsep) if p]
    for folder in [CHECKS_DIR, *extra]:
        path = folder / f"{assignment}.py"
        if path.exists():
            return path
    raise FileNotFoundError(f"there are no checks for an assignment called {assignment!r}")


def load_checks(assignment: str):
    """Import the check module of `assignment` (and with it what the checks need), unrun."""
    import importlib.util

    path = checks_file(assignment)
    spec = importlib.util.spec_from_file_location(f"_loaded_checks_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def known_assignments() -> list[str]:
    """Names of the assignments that have checks."""
    extra = [Path(p) for p in os.environ.get("AUTOGRADER_CHECKS_PATH", "").split(os.pathsep) if p]
    names = {p.stem for d in [CHECKS_DIR, *extra] if d.exists() for p in d.glob("a[0-9][0-9]_*.py")}
    return sorted(names)


MAX_MESSAGE = 3000


def _message(excinfo) -> tuple[str, str]:
    """A learner-facing sentence for a failed check (capped), and the learner's error type if any."""
    text, kind = _explain(excinfo.value)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " [...]"
    return text, kind


def _explain(exc) -> tuple[str, str]:
    if isinstance(exc, StudentError):
        return str(exc), exc.kind
    if isinstance(exc, AssertionError):
        text = str(exc).strip() or "a check failed without a message (please report this)"
        return text, ""
    return f"the check could not run: {type(exc).__name__}: {exc}", "CheckError"


class _Plugin:
    """pytest plugin: hands out the student, selects checks and records outcomes."""

    def __init__(self, student, exercise, include_hidden):
        self.student_obj, self.exercise, self.include_hidden = student, exercise, include_hidden
        self.results: dict[str, CheckResult] = {}
        self.selected: list[str] = []

    @pytest.fixture(scope="session")
    def student(self):
        return self.student_obj

    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            info: CheckInfo | None = getattr(getattr(item, "function", None), "graded", None)
            wanted = (info is not None and (self.exercise is None or info.exercise == self.exercise)
                      and (self.include_hidden or not info.hidden))
            (keep if wanted else drop).append(item)
            if wanted:
                self.results[item.nodeid] = CheckResult(item.name, info.exercise, info.points, info.hidden)
                self.selected.append(item.nodeid)
        items[:] = keep
        if drop:
            config.hook.pytest_deselected(items=drop)

    def pytest_runtest_setup(self, item):
        self.student_obj.set_timeout(item.function.graded.timeout)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        if call.when == "call":
            result.seconds = round(call.duration, 3)
        if report.failed and not result.message:
            result.message, result.error_kind = _message(call.excinfo)
        if call.when == "call" and report.passed:
            result.passed, result.score = True, result.max_score
        if report.failed:
            result.passed, result.score = False, 0.0


def run_checks(assignment: str, student, exercise: str | None = None,
               include_hidden: bool = True) -> list[CheckResult]:
    """Run the checks of `assignment` (one `exercise`, or all) against `student`."""
    path = checks_file(assignment)
    plugin = _Plugin(student, exercise, include_hidden)
    args = [str(path), "-c", str(INI), "--rootdir", str(path.parent), "-p", "no:randomly"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[plugin])
    if code not in (0, 1, 5) or (code == 5 and exercise is None):
        raise RuntimeError(f"the checks of {assignment} could not be collected (pytest exit {code}):\n"
                           + sink.getvalue()[-3000:])
    results = [plugin.results[nodeid] for nodeid in plugin.selected]
    for r in results:
        if not r.passed and not r.message:
            r.message = "the check did not run"
    return results
