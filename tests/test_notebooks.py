"""One source per assignment: releases match a fresh generation; notebooks are clean."""

import json
import subprocess

import nbformat
import pytest

from autograder import nbfile, release
from tests.helpers import ROOT, checks_module

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
def test_notebook_structure_matches_the_checks(monkeypatch, course, assignment):
    """Each checked exercise has one solution cell and one test cell `check(aid, exercise)`
    worth the points of all its checks, and at least one visible check; a chapter has 5 to 8
    exercises and 1 or 2 manually graded written answers worth 2 points each."""
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    infos = [fn.graded for fn in vars(checks_module(assignment)).values() if hasattr(fn, "graded")]
    points: dict[str, float] = {}
    for info in infos:
        points[info.exercise] = points.get(info.exercise, 0) + info.points
    nb = nbfile.read(course / "solutions" / assignment / f"{assignment}.ipynb")
    cells = [(c, c.get("metadata", {}).get("nbgrader", {})) for c in nb["cells"]]
    solutions = {m["grade_id"] for c, m in cells if c["cell_type"] == "code" and m.get("solution")}
    tests = {m["grade_id"]: (m.get("points"), "".join(c["source"]).strip()) for c, m in cells
             if nbfile.is_test_cell(c)}
    written = [m for c, m in cells if c["cell_type"] == "markdown" and m.get("solution") and m.get("grade")]
    for exercise, total in points.items():
        assert exercise in solutions, f"{exercise} has checks but no solution cell"
        assert tests.get(f"check_{exercise}") == (total, f'check("{assignment}", "{exercise}")'), (
            f"the test cell of {exercise} should be check({assignment!r}, {exercise!r}) worth {total}")
        assert any(not i.hidden for i in infos if i.exercise == exercise), f"{exercise} has no visible check"
    assert set(tests) == {f"check_{e}" for e in points}, "a test cell has no checks"
    if course == ROOT:
        assert 5 <= len(points) <= 8, f"a chapter has 5 to 8 graded exercises, not {len(points)}"
        assert 1 <= len(written) <= 2 and all(m["points"] == 2 and not m["locked"] for m in written)
