"""Time sealed grading of hostile submissions against the plain solution.

For each assignment: the solution; the solution with an infinite loop put into its first
graded function; and with one put into its last. Prints figures; asserts nothing.

    python bench/hostile.py [aNN_slug ...] [--call-timeout S] [--cell-timeout S] [--total-timeout S]
                            [--grader DIR]

`--grader DIR` grades with the autograder of another checkout (an older commit, say), so that
a change can be measured before and after on the same submissions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import release  # noqa: E402


def graded_bodies(nb: dict) -> list[tuple[int, int]]:
    """(cell, line) of every `### BEGIN SOLUTION` marker, in order."""
    return [(c, i) for c, cell in enumerate(nb["cells"])
            for i, line in enumerate("".join(cell["source"]).splitlines()) if "### BEGIN SOLUTION" in line]


def looped(solution: Path, which: int, out: Path) -> Path:
    """The solution with `while True: pass` at the start of graded body number `which`."""
    nb = json.loads(solution.read_text())
    c, i = graded_bodies(nb)[which]
    lines = "".join(nb["cells"][c]["source"]).splitlines()
    indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
    lines[i + 1:i + 1] = [indent + "while True:", indent + "    pass"]
    nb["cells"][c]["source"] = "\n".join(lines)
    out.write_text(json.dumps(nb))
    return out


def grade(notebook: Path, assignment: str, limits: list[str], grader: Path, out: Path) -> tuple[float, float, float]:
    """(seconds, score, max score) of one sealed grading by the grader in `grader`, its
    results written to `out`."""
    env = dict(os.environ, PYTHONPATH=str(grader), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", assignment,
                    "--out", str(out), "--quiet", *limits], cwd=grader, env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
    seconds = time.perf_counter() - start
    try:
        result = json.loads(out.read_text())
        return seconds, result["score"], sum(t["max_score"] for t in result["tests"])
    except (OSError, ValueError, KeyError):
        return seconds, float("nan"), float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--grader", type=Path, default=ROOT)
    for flag in ("--call-timeout", "--cell-timeout", "--total-timeout"):
        parser.add_argument(flag)
    args = parser.parse_args()
    limits = [item for flag in ("call_timeout", "cell_timeout", "total_timeout") if getattr(args, flag)
              for item in (f"--{flag.replace('_', '-')}", getattr(args, flag))]
    print(f"grader: {args.grader}; limits: {' '.join(limits) or 'the defaults'}")
    print(f"{'assignment':<18} {'submission':<26} {'seconds':>8} {'score':>12}")
    for assignment in args.assignments or release.assignments(ROOT):
        solution = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
        n = len(graded_bodies(json.loads(solution.read_text())))
        with tempfile.TemporaryDirectory() as tmp:
            cases = [("solution", solution),
                     ("loop in the first function", looped(solution, 0, Path(tmp) / "first.ipynb")),
                     ("loop in the last function", looped(solution, n - 1, Path(tmp) / "last.ipynb"))]
            for name, notebook in cases:
                seconds, got, total = grade(notebook, assignment, limits, args.grader, Path(tmp) / "results.json")
                print(f"{assignment:<18} {name:<26} {seconds:8.1f} {got:>5g} of {total:<4g}", flush=True)


if __name__ == "__main__":
    main()
