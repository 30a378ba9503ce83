"""check() in a notebook: visible checks for self-study, all under nbgrader, nothing on stderr."""

import sys

import pytest

from autograder import check
from tests.helpers import ROOT, namespace

DEMO = ROOT / "tests" / "demo"


@pytest.fixture
def ns(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return namespace(DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb")


def test_self_study_runs_visible_checks_and_returns_points(ns, capfd):
    result = check("a00_demo", "add", namespace=ns)
    assert result == 1.0 and repr(result) == "1.0", "nbgrader reads the points from the plain-text value"
    out, err = capfd.readouterr()
    assert out == "" and err == "", "the report is the cell's value, shown once, not printed"
    report = result._repr_html_()
    assert "a00_demo · add: 1 of 1 visible point; 1 more point in hidden checks when graded" in report
    assert "PASS" in report and "1.0" not in report


def test_nbgrader_runs_every_check(ns, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    result = check("a00_demo", "add", namespace=ns)
    assert result == 2.0 and "2 of 2 points" in str(result) and "hidden" in str(result)


def test_failures_explain_and_nothing_reaches_stderr(ns, capfd):
    def noisy_add(a, b):
        print("progress...", file=sys.stderr)
        return a - b

    ns["add"] = noisy_add
    result = check("a00_demo", "add", namespace=ns)
    assert result == 0.0
    out, err = capfd.readouterr()
    assert "FAIL" in str(result) and "add(2, 3) should be 5; got -1" in str(result)
    assert err == "", "nbgrader gives 0 to a test cell that writes to stderr"


def test_caller_namespace_is_found_without_passing_it(monkeypatch, capfd):
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    code = "def add(a, b):\n    return a + b\nresult = check('a00_demo', 'add')\n"
    scope = {"check": check, "__name__": "__main__"}
    exec(code, scope)  # noqa: S102 - as a notebook cell would
    assert scope["result"] == 1.0


def test_unknown_exercise_and_assignment_are_explained(ns, capfd):
    unknown_exercise = check("a00_demo", "no_such_exercise", namespace=ns)
    unknown_assignment = check("a99_nothing", "add", namespace=ns)
    assert unknown_exercise == 0.0 and unknown_assignment == 0.0
    assert "no checks for an exercise called 'no_such_exercise'" in str(unknown_exercise)
    assert "could not run" in str(unknown_assignment) and capfd.readouterr().err == ""
