"""grade-batch: nbgrader's submitted/ layout and a flat folder, gradebook, feedback, pass rates."""

import csv
import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT

DEMO = ROOT / "tests" / "demo"
SOLUTION = DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb"
RELEASE = DEMO / "exercises" / "a00_demo" / "a00_demo.ipynb"


def batch(folder, out, *extra):
    env = dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks"))
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(folder), "--assignment",
                           "a00_demo", "--out-dir", str(out), "--call-timeout", "5", *extra],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    with open(out / "grades.csv") as f:
        return proc.stdout, list(csv.DictReader(f))


@pytest.mark.parametrize("layout", ["nbgrader", "flat"])
def test_batch_layouts(tmp_path, layout):
    folder = tmp_path / "submitted"
    notebooks = {"alice": SOLUTION, "bob": RELEASE}
    for student, nb in notebooks.items():
        if layout == "nbgrader":
            target = folder / student / "a00_demo" / "a00_demo.ipynb"
        else:
            target = folder / f"{student}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, target)
    (folder / ("carol.ipynb" if layout == "flat" else "carol/a00_demo/a00_demo.ipynb")).parent.mkdir(
        parents=True, exist_ok=True)
    (folder / ("carol.ipynb" if layout == "flat" else "carol/a00_demo/a00_demo.ipynb")).write_text("{trunc")
    stdout, rows = batch(folder, tmp_path / "out", "--jobs", "2")
    scores = {r["student"]: float(r["score"]) for r in rows}
    assert scores == {"alice": 6.0, "bob": 0.0, "carol": 0.0}
    assert len(rows[0]) == 3 + 5, "one column per check"
    for student in scores:
        assert (tmp_path / "out" / student / "results.json").exists()
        assert (tmp_path / "out" / student / "feedback.txt").read_text().startswith("a00_demo:")
    assert "Pass rate of each check" in stdout and "33.3%" in stdout
