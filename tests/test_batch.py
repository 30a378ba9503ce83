"""grade-batch: nbgrader's submitted/ layout and a flat folder, gradebook, feedback, pass rates."""

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.batch import find_submissions
from tests.browser import Reader, need_chromium, problems
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
    assert len(rows[0]) == 3 + 5 + 1, "one column per check, and the points graded by hand"
    assert {r["to_grade_by_hand"] for r in rows} == {"1"}
    for student in scores:
        assert (tmp_path / "out" / student / "results.json").exists()
        assert (tmp_path / "out" / student / "feedback.txt").read_text().startswith("a00_demo:")
    assert "Pass rate of each check" in stdout and "33.3%" in stdout
    report = (tmp_path / "out" / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3 and "carol" in report and "http" not in report
    with open(tmp_path / "out" / "written.csv") as f:
        answers = {r["student"]: r for r in csv.DictReader(f)}
    assert set(answers) == {"alice", "bob", "carol"} and answers["alice"]["score"] == ""
    assert "broadcasts" in answers["alice"]["answer"] and answers["bob"]["answer"] == "YOUR ANSWER HERE"
    written = (tmp_path / "out" / "written.html").read_text()
    assert "q_broadcast" in written and "(no answer)" in written  # carol's notebook cannot be read


def put(folder, rel, source=SOLUTION):
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


def test_nbgrader_layout_is_read_at_its_exact_depth(tmp_path):
    """A notebook nested inside another student's folder neither replaces that student's work
    nor makes up a student."""
    folder = tmp_path / "submitted"
    bob = put(folder, "bob/a00_demo/a00_demo.ipynb", RELEASE)
    put(folder, "bob/a00_demo/zoe/a00_demo/a00_demo.ipynb", RELEASE)
    put(folder, "bob/a00_demo/ghost/a00_demo/a00_demo.ipynb")
    zoe = put(folder, "zoe/a00_demo/a00_demo.ipynb")
    f = find_submissions(folder, "a00_demo")
    found, warnings, zeros = f.submissions, f.warnings, f.zeros
    assert found == {"bob": bob, "zoe": zoe} and not zeros
    assert sum("not in a layout grade-batch reads" in w for w in warnings) == 2, warnings


def test_symbolic_links_are_not_followed(tmp_path):
    folder = tmp_path / "submitted"
    (folder / "eve" / "a00_demo").mkdir(parents=True)
    (folder / "eve" / "a00_demo" / "a00_demo.ipynb").symlink_to(SOLUTION)
    (folder / "trudy.ipynb").symlink_to(SOLUTION)
    (tmp_path / "elsewhere" / "a00_demo").mkdir(parents=True)
    (folder / "carol").symlink_to(tmp_path / "elsewhere")
    f = find_submissions(folder, "a00_demo")
    found, warnings, zeros = f.submissions, f.warnings, f.zeros
    assert not found and set(zeros) == {"eve", "trudy"}
    assert all("symbolic link" in why for why in zeros.values())
    assert any("carol" in w and "symbolic link" in w for w in warnings), warnings
    _, rows = batch(folder, tmp_path / "out")
    assert {r["student"]: float(r["score"]) for r in rows} == {"eve": 0.0, "trudy": 0.0}
    assert "symbolic link" in (tmp_path / "out" / "eve" / "feedback.txt").read_text()


def test_every_student_gets_a_row_whatever_the_name(tmp_path):
    folder = tmp_path / "submitted"
    for name in ["José", "Josè", "grades.csv", "=1+1", "+cmd", "@A1", "plain"]:
        put(folder, f"{name}.ipynb", RELEASE)
    put(folder, "upper.IPYNB", RELEASE)
    put(folder, "renamed.ipynb.txt", RELEASE)
    f = find_submissions(folder, "a00_demo", reserved=["grades.csv"])
    found, warnings, zeros = f.submissions, f.warnings, f.zeros
    assert len(found) == 8 and not zeros
    assert {"Jos_", "Jos_-2", "grades.csv-2", "upper"} <= set(found)
    assert any("renamed.ipynb.txt" in w for w in warnings), warnings
    _, rows = batch(folder, tmp_path / "out", "--jobs", "2")
    students = [r["student"] for r in rows]
    assert len(students) == 8
    assert not any(s.startswith(("=", "+", "-", "@")) for s in students), students
    assert "'+cmd" in students and "'@A1" in students and "_1+1" in students


def test_a_stale_error_is_removed_when_a_regrade_succeeds(tmp_path):
    folder = tmp_path / "submitted"
    put(folder, "alice.ipynb")
    stale = tmp_path / "out" / "alice" / "error.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("grading took longer than 10 s\n")
    _, rows = batch(folder, tmp_path / "out")
    assert float(rows[0]["score"]) == 6.0 and not stale.exists()


def test_the_class_report_reads_well_in_a_browser(tmp_path):
    """report.html and written.html open offline in Chromium, with every figure drawn, and the
    report lists the submission that timed out."""
    need_chromium()
    folder = tmp_path / "submitted"
    put(folder, "alice.ipynb")
    put(folder, "bob.ipynb", RELEASE)
    looping = json.loads(SOLUTION.read_text())
    for cell in looping["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "add":
            cell["source"] = "def add(a, b):\n    while True:\n        pass"
    (folder / "mallory.ipynb").write_text(json.dumps(looping))
    batch(folder, tmp_path / "out", "--jobs", "2")
    with Reader(tmp_path / "out", screenshots=tmp_path / "shots") as reader:
        for page in ("report.html", "written.html"):
            seen = reader.look(page)
            assert not problems(seen), f"{page}: {problems(seen)}"
    report = (tmp_path / "out" / "report.html").read_text()
    assert "mallory" in report and "timed out" in report
