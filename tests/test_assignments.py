"""Every assignment, graded sealed: the solution gets full marks, the release gets 0 with
every failure a NotImplementedError, and grading twice gives the same result."""

import importlib
import pkgutil

import nbformat
import pytest

from autograder import nbfile, refusal, release
from autograder.grade import grade
from autograder.sealed import Limits
from tests.helpers import (
    MODES,
    ROOT,
    assert_full_marks,
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


def _reference_modules() -> dict[str, object]:
    """{assignment: latentlab.reference module} for the assignments that have reference answers,
    matched by the exercise names the module defines."""
    found = {}
    for info in pkgutil.iter_modules([str(refusal.reference_dir())]):
        module = importlib.import_module(f"{refusal.PACKAGE}.{info.name}")
        for assignment in ASSIGNMENTS:
            exercises = {f.graded.exercise for f in vars(checks_module(assignment)).values() if hasattr(f, "graded")}
            if exercises <= set(vars(module)):
                found[assignment] = module
    return found


REFERENCES = _reference_modules()


def test_reference_answers_exist_and_nothing_else_in_latentlab_answers_an_exercise():
    """The reference package holds whole assignments, and no other latentlab module defines an
    exercise's name (where the one refusal rule would not see it)."""
    assert {"a02_autoencoders", "a03_vae"} <= set(REFERENCES)
    exercises = {f.graded.exercise for a in ASSIGNMENTS for f in vars(checks_module(a)).values()
                 if hasattr(f, "graded")}
    for info in pkgutil.iter_modules([str(ROOT / "latentlab")]):
        module = importlib.import_module(f"latentlab.{info.name}")
        if not refusal.is_reference_module(module.__name__):
            assert not exercises & set(vars(module)), f"latentlab.{info.name} defines {exercises & set(vars(module))}"


@pytest.mark.parametrize("assignment", sorted(REFERENCES))
def test_reference_answers_get_full_marks(assignment):
    """The answers the pages use are right by the same checks the learners meet."""
    module = REFERENCES[assignment]
    exercises = {f.graded.exercise for f in vars(checks_module(assignment)).values() if hasattr(f, "graded")}
    assert_full_marks(assignment, {name: getattr(module, name) for name in exercises}, refuse_reference=False)


@pytest.mark.parametrize("assignment", sorted(REFERENCES))
def test_an_exercise_imported_from_the_reference_answers_earns_nothing(assignment):
    module = REFERENCES[assignment]
    learner = exercise_namespace(assignment)
    exercises = {f.graded.exercise for f in vars(checks_module(assignment)).values() if hasattr(f, "graded")}
    for exercise in sorted(exercises):
        got, total, results = score(assignment, {**learner, exercise: getattr(module, exercise)}, exercise)
        assert total > 0 and got == 0, f"{module.__name__}.{exercise} earned {got} of {total} points"
        for r in results:
            assert r.error_kind == "NotYourOwn" and "imported rather than written" in r.message, (r.name, r.message)


@pytest.mark.parametrize("mode", MODES)
def test_sealed_grader_refuses_wrapped_references(tmp_path, mode):
    """Wrapping a reference version in a function of one's own does not get past the sealed
    grader either: the course's reference modules cannot be imported there."""
    nb = nbfile.read(release_path("a03_vae"))
    nb["cells"].append(nbformat.v4.new_code_cell(
        "import latentlab.reference.vae as ref\n"
        "def negative_elbo(*args, **kwargs):\n    return ref.negative_elbo(*args, **kwargs)"))
    path = tmp_path / "a03_vae.ipynb"
    nbformat.write(nbformat.from_dict(nb), path)
    result = grade(path, "a03_vae", Limits(sandbox=mode))
    assert result["score"] == 0, by_exercise(result)
    assert "cannot be imported here" in result["output"], result["output"][-1500:]

