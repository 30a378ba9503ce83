"""Every assignment, graded sealed: the solution gets full marks, the release gets 0 with
every failure a NotImplementedError, and grading twice gives the same result."""

import pytest

from autograder import release
from autograder.grade import grade
from autograder.sealed import Limits
from tests.helpers import ROOT, release_path, solution_path

ASSIGNMENTS = release.assignments(ROOT)


def outcome(result):
    return [(t["name"], t["score"], t["status"], t["output"]) for t in result["tests"]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_gets_full_marks_twice_identically(assignment):
    first = grade(solution_path(assignment), assignment, Limits())
    max_score = first["extra_data"]["max_score"]
    failed = [f"{t['name']}: {t['output']}" for t in first["tests"] if t["status"] != "passed"]
    assert first["score"] == max_score > 0, failed
    assert first["execution_time"] <= 60, f"grading took {first['execution_time']} s (budget 60 s)"
    second = grade(solution_path(assignment), assignment, Limits())
    assert outcome(first) == outcome(second), "grading the same notebook twice must agree"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_gets_zero_from_not_implemented(assignment):
    result = grade(release_path(assignment), assignment, Limits())
    assert result["score"] == 0
    kinds = {t["extra_data"]["error_kind"] for t in result["tests"]}
    assert kinds == {"NotImplementedError"}, [
        f"{t['name']}: {t['output']}" for t in result["tests"]
        if t["extra_data"]["error_kind"] != "NotImplementedError"]
