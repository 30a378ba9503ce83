"""Time the sealed grader against `nbgrader autograde` on the same submission, and batch speed-up.

Prints figures; it asserts nothing (budgets live in the README, not in timed tests).
    python bench/grading.py [aNN_slug]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import release  # noqa: E402

ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           HF_HUB_OFFLINE="1", MPLBACKEND="Agg")


def timed(cmd, cwd) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    assignment = sys.argv[1] if len(sys.argv) > 1 else release.assignments(ROOT)[0]
    solution = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sealed = timed([sys.executable, "-m", "autograder", "grade", str(solution), "--assignment",
                        assignment, "--out", str(tmp / "r.json"), "--quiet"], ROOT)
        course = tmp / "course"
        shutil.copytree(ROOT / "solutions" / assignment, course / "source" / assignment)
        flags = [f"--CourseDirectory.root={course}", "--CourseDirectory.source_directory=source",
                 "--CourseDirectory.release_directory=release",
                 f"--CourseDirectory.db_url=sqlite:///{course / 'gb.db'}"]
        timed([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", *flags], course)
        sub = course / "submitted" / "bench" / assignment
        sub.mkdir(parents=True)
        shutil.copy(solution, sub / solution.name)
        nbg = timed([sys.executable, "-m", "nbgrader", "autograde", assignment, "--create", "--force", *flags],
                    course)
        print(f"{assignment}: sealed grade {sealed:.1f} s, nbgrader autograde {nbg:.1f} s, "
              f"ratio sealed/nbgrader {sealed / nbg:.2f}")

        batch = tmp / "batch"
        batch.mkdir()
        for i in range(8):
            shutil.copy(solution, batch / f"student{i}.ipynb")
        times = {}
        for jobs in (1, 2):
            times[jobs] = timed([sys.executable, "-m", "autograder", "grade-batch", str(batch), "--assignment",
                                 assignment, "--jobs", str(jobs), "--quiet", "--out-dir",
                                 str(tmp / f"out{jobs}")], ROOT)
        print(f"batch of 8: --jobs 1 {times[1]:.1f} s, --jobs 2 {times[2]:.1f} s, "
              f"speed-up {times[1] / times[2]:.2f}x")


if __name__ == "__main__":
    main()
