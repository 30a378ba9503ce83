"""Every assignment, graded sealed: the solution gets full marks, the release gets 0 with
every failure a NotImplementedError, and grading twice gives the same result."""

import importlib

import nbformat
import pytest

import latentlab.autoencoders as latentlab_autoencoders
import latentlab.data as latentlab_data
import latentlab.vae as latentlab_vae
from autograder import nbfile, release
from autograder.grade import grade
from autograder.sealed import Limits
from tests.helpers import (
    MODES,
    ROOT,
    by_exercise,
    checks_module,
    exercise_namespace,
    release_path,
    score,
    solution_path,
)

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


def _reference_twins():
    """(assignment, exercise, module): exercises of which latentlab holds a reference version."""
    twins = []
    for assignment in ASSIGNMENTS:
        checks = checks_module(assignment)
        exercises = {f.graded.exercise for f in vars(checks).values() if hasattr(f, "graded")}
        for name in sorted(exercises):
            for module in (latentlab_data, latentlab_autoencoders, latentlab_vae):
                if hasattr(module, name):
                    twins.append((assignment, name, module.__name__))
    return twins


TWINS = _reference_twins()


def test_some_exercises_have_reference_twins():
    """The next test guards something: the course package does hold some exercises' answers."""
    assert {(a, e) for a, e, _ in TWINS} >= {("a03_vae", "negative_elbo"), ("a02_autoencoders", "Autoencoder")}


@pytest.mark.parametrize("assignment, exercise, module", TWINS)
def test_an_exercise_imported_from_latentlab_earns_nothing(assignment, exercise, module):
    learner = exercise_namespace(assignment)
    learner[exercise] = getattr(importlib.import_module(module), exercise)
    got, total, results = score(assignment, learner, exercise)
    assert total > 0 and got == 0, f"{module}.{exercise} earned {got} of {total} points"
    for r in results:
        assert r.error_kind == "NotYourOwn" and "imported rather than written" in r.message, (r.name, r.message)


@pytest.mark.parametrize("mode", MODES)
def test_sealed_grader_refuses_wrapped_references(tmp_path, mode):
    """Wrapping a reference version in a function of one's own does not get past the sealed
    grader either: the course's reference modules cannot be imported there."""
    nb = nbfile.read(release_path("a03_vae"))
    nb["cells"].append(nbformat.v4.new_code_cell(
        "import latentlab.vae as ref\n"
        "def negative_elbo(*args, **kwargs):\n    return ref.negative_elbo(*args, **kwargs)"))
    path = tmp_path / "a03_vae.ipynb"
    nbformat.write(nbformat.from_dict(nb), path)
    result = grade(path, "a03_vae", Limits(sandbox=mode))
    assert result["score"] == 0, by_exercise(result)
    assert "cannot be imported here" in result["output"], result["output"][-1500:]
