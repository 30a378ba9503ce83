"""One source per assignment: releases match a fresh generation; notebooks are clean."""

import ast
import json
import subprocess

import nbformat
import pytest

from autograder import nbfile, release
from autograder.runner import checks_file
from tests.helpers import ROOT

DEMO = ROOT / "tests" / "demo"
COURSES = [(ROOT, a) for a in release.assignments(ROOT)] + [(DEMO, "a00_demo")]
IDS = [a for _, a in COURSES]
VOLATILE = {"checksum"}


def signature(path):
    """What must match between a committed release and a fresh one: types, sources, nbgrader."""
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, {k: v for k, v in c.metadata.get("nbgrader", {}).items()
                                     if k not in VOLATILE}) for c in nb.cells]


def tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout
    return [ROOT / p for p in out.split()]


def problems(path) -> list[str]:
    """Hygiene problems of one notebook: outputs, execution counts, kernelspec."""
    nb = json.loads(path.read_text())
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("outputs"):
            found.append(f"cell {i} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i} has an execution count")
        if "id" not in cell:
            found.append(f"cell {i} has no stable id")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not python3")
    return found


@pytest.mark.parametrize("course,assignment", COURSES, ids=IDS)
def test_release_matches_a_fresh_generation(tmp_path, course, assignment):
    fresh = release.generate(assignment, tmp_path, course)
    committed = course / "exercises" / assignment
    names = sorted(p.name for p in committed.glob("*.ipynb"))
    assert names == sorted(p.name for p in fresh.glob("*.ipynb")), "release files differ"
    for name in names:
        assert signature(committed / name) == signature(fresh / name), (
            f"exercises/{assignment}/{name} differs from a fresh generation: run `make exercises`")


def test_release_check_catches_a_hand_edit(tmp_path):
    fresh = release.generate("a00_demo", tmp_path, DEMO) / "a00_demo.ipynb"
    nb = nbformat.read(fresh, as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("raise NotImplementedError()", "return a + b")
    edited = tmp_path / "edited.ipynb"
    nbformat.write(nb, edited)
    assert signature(edited) != signature(fresh)


def test_committed_notebooks_are_clean():
    notebooks = tracked_notebooks()
    assert notebooks, "no notebooks are tracked"
    dirty = {str(p.relative_to(ROOT)): problems(p) for p in notebooks if problems(p)}
    assert not dirty, f"notebooks with outputs or a wrong kernelspec: {dirty}"


def test_hygiene_check_catches_outputs(tmp_path):
    nb = json.loads((DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb").read_text())
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb["cells"][1]["execution_count"] = 3
    nb["metadata"]["kernelspec"]["name"] = "conda-env"
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(nb))
    assert len(problems(path)) == 3


@pytest.mark.parametrize("course,assignment", COURSES, ids=IDS)
def test_test_cell_points_equal_check_points(monkeypatch, course, assignment):
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    nb = nbfile.read(course / "solutions" / assignment / f"{assignment}.ipynb")
    cell_points, solution_ids = {}, set()
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"])
        if meta.get("solution") and cell["cell_type"] == "code":
            solution_ids.add(meta["grade_id"])
        if nbfile.is_test_cell(cell):
            call = ast.parse(source.strip()).body[-1].value
            assert [a.value for a in call.args][0] == assignment
            cell_points[call.args[1].value] = meta["points"]
    tree = ast.parse(checks_file(assignment).read_text())
    check_points = {}
    for fn in tree.body:
        for dec in getattr(fn, "decorator_list", []):
            if isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "graded":
                exercise = dec.args[0].value
                points = next((k.value.value for k in dec.keywords if k.arg == "points"), 1)
                check_points[exercise] = check_points.get(exercise, 0) + points
    assert cell_points == check_points, "a test cell's points must equal the points of its checks"
    assert set(check_points) <= solution_ids, "every checked exercise needs a solution cell of that name"
