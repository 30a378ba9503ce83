"""nbgrader's real workflow: generate, autograde a solved and an unsolved copy, feedback, export."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import release
from tests.helpers import ROOT

DEMO = ROOT / "tests" / "demo"
REAL = release.assignments(ROOT)
CASES = [(DEMO, "a00_demo")] + [(ROOT, a) for a in REAL]

pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    flags = [f"--CourseDirectory.root={course}", "--CourseDirectory.source_directory=source",
             "--CourseDirectory.release_directory=release",
             f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, *flags], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.parametrize("origin,assignment", CASES, ids=[a for _, a in CASES])
def test_nbgrader_workflow(tmp_path, origin, assignment):
    course = tmp_path / "course"
    shutil.copytree(origin / "solutions" / assignment, course / "source" / assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    released = course / "release" / assignment / f"{assignment}.ipynb"
    solved = course / "source" / assignment / f"{assignment}.ipynb"
    for student, notebook in [("solver", solved), ("starter", released)]:
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        shutil.copy(notebook, target / notebook.name)
        (target / "timestamp.txt").write_text("2026-11-22 12:00:00.000000 UTC")
    nbgrader(course, "autograde", assignment, "--create", "--force")
    nbgrader(course, "generate_feedback", assignment, "--force")
    assert (course / "feedback" / "solver" / assignment / f"{assignment}.html").exists()
    nbgrader(course, "export", "--to", str(tmp_path / "grades.csv"))
    with open(tmp_path / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    solver, starter = rows["solver"], rows["starter"]
    assert float(solver["max_score"]) > 0
    manual = float(solver["max_score"]) - float(solver["score"])
    # manually graded written answers stay ungraded (0) until an instructor grades them
    assert float(solver["score"]) > 0 and manual == pytest.approx(_manual_points(solved))
    assert float(starter["score"]) == 0


def _manual_points(notebook: Path) -> float:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("solution") and c.metadata.get("nbgrader", {}).get("grade"))
