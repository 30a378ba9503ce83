"""Generate each release notebook from its solution with nbgrader (`make exercises`).

`solutions/aNN_slug/aNN_slug.ipynb` is the one source; `exercises/aNN_slug/` is written from
it by `nbgrader generate_assignment` and normalised (no outputs, python3 kernelspec), so the
committed copy can be compared with a fresh generation.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def assignments(course: Path = ROOT) -> list[str]:
    """The assignment folders under `course/solutions`, in order."""
    return sorted(p.name for p in (course / "solutions").glob("a[0-9][0-9]_*") if p.is_dir())


def normalise(nb) -> None:
    """Strip outputs and execution counts and set the course's notebook metadata, in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}


def generate(assignment: str, out_dir: Path, course: Path = ROOT) -> Path:
    """Run nbgrader to write the release of `assignment` into `out_dir/assignment/`."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "release"
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.root={course}", "--CourseDirectory.source_directory=solutions",
               f"--CourseDirectory.release_directory={stage}",
               f"--CourseDirectory.db_url=sqlite:///{Path(tmp) / 'gradebook.db'}"]
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not (stage / assignment).exists():
            raise RuntimeError(f"nbgrader could not generate {assignment}:\n{proc.stdout}\n{proc.stderr}")
        target = Path(out_dir) / assignment
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path in (stage / assignment).glob("*.ipynb"):  # a release is its notebooks, nothing stray
            shutil.copy(path, target / path.name)
    for path in target.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        normalise(nb)
        nbformat.write(nb, path)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="names like a01_word2vec (default: all)")
    parser.add_argument("--course", type=Path, default=ROOT, help="course folder (default: this repository)")
    args = parser.parse_args(argv)
    args.course = args.course.resolve()
    for name in args.assignments or assignments(args.course):
        print("generated", generate(name, args.course / "exercises", args.course).relative_to(args.course))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
