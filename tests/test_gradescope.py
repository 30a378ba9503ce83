"""The Gradescope bundle: unzip it, run its run_autograder here, read results/results.json."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

from autograder.gradescope import build
from tests.helpers import ROOT

DEMO = ROOT / "tests" / "demo"


def run_bundle(tmp_path, notebook, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    zip_path = build("a00_demo", tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        z.extractall(root)
    assert {"setup.sh", "run_autograder", "source/requirements.txt",
            "source/autograder/checks/a00_demo.py"} <= set(names)
    assert not any(n.startswith(("source/solutions", "source/tests", "source/exercises")) for n in names)
    runtime = (root / "source" / "requirements.txt").read_text()
    assert "torch==" in runtime and "pytest==" in runtime and "jupyter-book" not in runtime
    (root / "submission").mkdir()
    if notebook is not None:
        shutil.copy(notebook, root / "submission" / "my_work.ipynb")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("AUTOGRADER_CHECKS_PATH")  # the bundle must carry its own checks
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_bundle_grades_a_submission(tmp_path, monkeypatch):
    result = run_bundle(tmp_path, monkeypatch=monkeypatch, notebook=DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb")
    assert result["score"] == 6
    assert {t["visibility"] for t in result["tests"]} == {"visible", "after_due_date"}


def test_bundle_with_no_notebook_still_writes_a_result(tmp_path, monkeypatch):
    result = run_bundle(tmp_path, None, monkeypatch)
    assert result["score"] == 0 and "could not be graded" in result["output"]
