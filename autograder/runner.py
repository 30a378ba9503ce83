"""Run an assignment's pytest checks against a `student` handle and collect their results."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.api import CheckInfo, StudentError

CHECKS_DIR = Path(__file__).parent / "checks"
INI = Path(__file__).parent / "pytest.ini"


class Results(list):
    """CheckResults in file order, and the points of hidden checks that were not run."""

    hidden_not_run: float = 0.0


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
    name = f"_loaded_checks_{assignment}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import does: dataclasses and pickling look the module up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def known_assignments() -> list[str]:
    """Names of the assignments that have checks."""
    extra = [Path(p) for p in os.environ.get("AUTOGRADER_CHECKS_PATH", "").split(os.pathsep) if p]
    names = {p.stem for d in [CHECKS_DIR, *extra] if d.exists() for p in d.glob("a[0-9][0-9]_*.py")}
    return sorted(names)


MAX_MESSAGE = 3000


def _message(excinfo) -> tuple[str, str]:
    """A learner-facing sentence for a failed check (capped), and the learner's error type if any."""
    exc = excinfo.value
    if isinstance(exc, StudentError):
        text, kind = str(exc), exc.kind
    elif isinstance(exc, AssertionError):
        text, kind = str(exc).strip() or "a check failed without a message (please report this)", ""
    else:
        text, kind = f"the check could not run: {type(exc).__name__}: {exc}", "CheckError"
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " [...]"
    return text, kind


class _Plugin:
    """pytest plugin: hands out the student, selects checks and records outcomes."""

    def __init__(self, student, exercise, include_hidden):
        self.student_obj, self.exercise, self.include_hidden = student, exercise, include_hidden
        self.results: dict[str, CheckResult] = {}
        self.infos: dict[str, CheckInfo] = {}
        self.own: set[str] = set()  # the checks whose results are returned
        self.hidden_not_run = 0.0  # points of the selected exercises' hidden checks, when left out

    @pytest.fixture(scope="session")
    def student(self):
        return self.student_obj

    def pytest_collection_modifyitems(self, session, config, items):
        graded = [(item, getattr(getattr(item, "function", None), "graded", None)) for item in items]
        graded = [(item, info) for item, info in graded if isinstance(info, CheckInfo)]
        own = [(item, info) for item, info in graded if (self.exercise in (None, info.exercise))
               and (self.include_hidden or not info.hidden)]
        needed = {d for _, info in own for d in info.depends} - {self.exercise}
        deps = [(item, info) for item, info in graded if self.exercise is not None
                and info.exercise in needed and not info.hidden]
        self.own = {item.nodeid for item, _ in own}
        self.hidden_not_run = sum(info.points for _, info in graded if info.hidden and not self.include_hidden
                                  and self.exercise in (None, info.exercise))
        keep = [item for item, _ in graded if item.nodeid in self.own | {i.nodeid for i, _ in deps}]
        for item in keep:
            info = item.function.graded
            self.results[item.nodeid] = CheckResult(item.name, info.exercise, info.points, info.hidden)
            self.infos[item.nodeid] = info
        drop = [item for item in items if item not in keep]
        items[:] = keep
        if drop:
            config.hook.pytest_deselected(items=drop)

    def pytest_runtest_setup(self, item):
        info = item.function.graded
        if self.student_obj.out_of_time():
            raise StudentError(info.exercise, "Timeout", "not run: the whole grading ran out of time")
        self.student_obj.set_timeout(info.timeout)

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


def _blame(results: list[CheckResult], infos: list[CheckInfo]) -> None:
    """A failed check that also calls other exercises names those that fail their own checks."""
    failing = {r.exercise for r in results if not r.passed}
    for r, info in zip(results, infos, strict=True):
        suspects = [d for d in info.depends if d in failing and d != r.exercise]
        if not r.passed and suspects and r.error_kind != "NotImplementedError":
            names = " and ".join(f"`{d}`" for d in suspects)
            r.message += (f"\n(This check also uses {names}, which {'fails' if len(suspects) == 1 else 'fail'} "
                          "its own checks: the cause may be there.)")


def run_checks(assignment: str, student, exercise: str | None = None,
               include_hidden: bool = True) -> Results:
    """Run the checks of `assignment` (one `exercise`, or all) against `student`.

    For one exercise, the visible checks of the exercises its checks depend on run too, so
    that a failure can name its likely cause; only the exercise's own results are returned.
    """
    path = checks_file(assignment)
    plugin = _Plugin(student, exercise, include_hidden)
    args = [str(path), "-c", str(INI), "--rootdir", str(path.parent), "-p", "no:randomly"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[plugin])
    if code not in (0, 1, 5) or (code == 5 and exercise is None):
        raise RuntimeError(f"the checks of {assignment} could not be collected (pytest exit {code}):\n"
                           + sink.getvalue()[-3000:])
    ran = list(plugin.results.values())
    for r in ran:
        if not r.passed and not r.message:
            r.message = "the check did not run"
    _blame(ran, list(plugin.infos.values()))
    results = Results(plugin.results[nodeid] for nodeid in plugin.results if nodeid in plugin.own)
    results.hidden_not_run = plugin.hidden_not_run
    return results
