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


def unpack(tmp_path, assignment="a01_word2vec"):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build(assignment, tmp_path / "autograder.zip")) as z:
        z.extractall(root)
    return root


def test_runtime_requirements_drop_build_tools_but_keep_runtime_dependencies(tmp_path):
    pins = {line.split("==")[0].lower(): line
            for line in (unpack(tmp_path) / "source" / "requirements.txt").read_text().split()}
    assert not {"jupyter-book", "nbgrader", "sphinx", "jupyterlab", "notebook", "ruff"} & set(pins)
    assert not any(name.startswith(("sphinx", "myst-")) for name in pins)
    assert {"torch", "sentence-transformers", "gensim", "nbformat", "pytest", "jupyterlab_widgets"} <= set(pins)
    assert all("==" in line for line in pins.values()), "every runtime package is pinned"


def test_setup_script_installs_the_pins_in_one_command(tmp_path):
    """setup.sh, run here against this venv with pip kept offline and dry: every pin it asks for
    is one the tests ran with, and it runs from its root."""
    root = unpack(tmp_path)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable,
               PIP_NO_INDEX="1", PIP_DRY_RUN="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run(["bash", str(root / "setup.sh")], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Would install" not in proc.stdout, "a pin differs from what the tests ran with:\n" + proc.stdout[-2000:]
    assert "torch==2.13.0" in proc.stdout and "sentence-transformers==" in proc.stdout
    assert "cherche==2.2.1" in proc.stdout, "the data-only packages are installed too, without their dependencies"


def test_setup_script_refuses_another_python_with_a_plain_message(tmp_path):
    root = unpack(tmp_path)
    fake = tmp_path / "python3.10"
    fake.write_text('#!/bin/sh\n[ "$1" = "--version" ] && echo "Python 3.10.12"\n'
                    '[ "$1" = "-c" ] && exit 1\nexit 0\n')
    fake.chmod(0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(fake))
    proc = subprocess.run(["bash", str(root / "setup.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "pinned for Python 3.11" in proc.stderr and "Python 3.10.12" in proc.stderr


def test_bundle_keeps_each_grading_under_the_time_limit_it_was_built_with(tmp_path):
    for seconds, flag in [(None, "--total-timeout 300"), (500.0, "--total-timeout 500")]:
        zip_path = build("a01_word2vec", tmp_path / "bundle.zip", *([seconds] if seconds else []))
        with zipfile.ZipFile(zip_path) as z:
            assert flag in z.read("run_autograder").decode()
            assert not any("latentlab/reference" in n for n in z.namelist()), "reference answers are never shipped"
