"""Grade a folder of submissions: find them, grade each in a grader process of its own, and
write the gradebook, every student's feedback and each check's pass rate.

Layouts: nbgrader's `submitted/<student>/<aid>/<aid>.ipynb`, a flat folder of
`<student>.ipynb`, or `<student>/<anything>.ipynb`. One process per submission, so that no
submission can touch another's grade; its result is `graded-<aid>/<student>/results.json`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from autograder import report
from autograder.grade import failed_result
from autograder.limits import Limits
from autograder.report import spreadsheet_safe

GRADER_MARGIN = 60  # seconds a grader process may take beyond its grading's time limit


@dataclass
class Found:
    """What discovery found: {student: notebook}, warnings, {student: why it gets 0}."""

    submissions: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    zeros: dict[str, str] = field(default_factory=dict)


def _student_files(folder: Path):
    """(relative parts, path) of every file under `folder`, and of every symbolic link to a
    folder (which is not followed); hidden files and folders (.ipynb_checkpoints) are left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        linked = [d for d in dirs if (Path(root) / d).is_symlink()]
        for name in sorted([*files, *linked]):
            if not name.startswith("."):
                path = Path(root) / name
                yield path.relative_to(folder).parts, path


def find_submissions(folder: Path, assignment: str, reserved=()) -> Found:
    """The submissions under `folder`, one per student.

    Within one student's folder the notebook named <aid>.ipynb wins; other notebooks there are
    reported, never silently graded in its place. A notebook that is a symbolic link is not
    followed (it could point at anything the grader may read): its student gets 0 and a reason.
    Students whose names make the same safe folder name get distinct ones (`name-2`), and no
    folder takes a name in `reserved` (the gradebook's).
    """
    candidates: dict[str, list[Path]] = {}
    refused: dict[str, str] = {}
    found = Found()
    for rel, path in _student_files(folder):
        shown = "/".join(rel)
        if path.is_dir():
            found.warnings.append(f"skipped {shown}: a symbolic link to a folder is not followed")
            continue
        if path.suffix.lower() != ".ipynb":
            if ".ipynb" in path.name.lower():
                found.warnings.append(f"skipped {shown}: not named *.ipynb")
            continue
        if len(rel) == 3 and rel[1] == assignment:
            student = rel[0]  # nbgrader: <student>/<aid>/<aid>.ipynb
        elif len(rel) == 1:
            student = path.stem  # flat: <student>.ipynb
        elif len(rel) == 2:
            student = rel[0]  # <student>/<anything>.ipynb
        else:
            found.warnings.append(f"skipped {shown}: not in a layout grade-batch reads "
                                  f"(<student>/{assignment}/{assignment}.ipynb or <student>.ipynb)")
            continue
        if path.is_symlink():
            refused.setdefault(student, f"{shown} is a symbolic link, which the grader does not follow; "
                                        "submit the notebook itself")
            continue
        candidates.setdefault(student, []).append(path)
    taken = {name.lower() for name in reserved}
    for student in sorted(set(candidates) | set(refused)):
        safe = base = re.sub(r"[^A-Za-z0-9_.@+-]", "_", student).strip(".") or "student"
        n = 1
        while safe.lower() in taken:
            n += 1
            safe = f"{base}-{n}"
        taken.add(safe.lower())
        if safe != student:
            found.warnings.append(f"{student!r} is listed as {safe!r}")
        paths = candidates.get(student)
        if not paths:
            found.zeros[safe] = refused[student]
            continue
        chosen = next((p for p in paths if p.name == f"{assignment}.ipynb"), paths[0])
        for other in paths:
            if other != chosen:
                found.warnings.append(f"{safe}: graded {chosen.relative_to(folder)}, not "
                                      f"{other.relative_to(folder)}")
        found.submissions[safe] = chosen
    return found


def grade_one(student: str, notebook: Path, assignment: str, limits: Limits, out_dir: Path,
              hide: list[str], jobs: int) -> dict | None:
    """Grade one submission in its own grader process (`python -m autograder grade`).

    Returns its result, or None when the grader process gave none (error.txt says why).
    """
    folder = out_dir / student
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    results.unlink(missing_ok=True)
    (folder / "error.txt").unlink(missing_ok=True)  # from an earlier run
    cmd = [sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", assignment,
           "--out", str(results), "--feedback", str(folder / "feedback.txt"), "--quiet", *limits.to_argv()]
    for path in hide:
        cmd += ["--hide", path]
    env = dict(os.environ)
    if jobs > 1:  # one core per submission: parallel gradings should not fight over threads
        env.update(AUTOGRADER_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    budget = limits.total_timeout + GRADER_MARGIN
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=budget)
        why = f"the grader process exited with code {proc.returncode}: {stderr.decode(errors='replace')[-500:]}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the grader, and with it its worker
        proc.communicate()
        why = f"grading took longer than {budget:g} s"
    try:
        result = json.loads(results.read_text())
        if not isinstance(result, dict) or "tests" not in result:
            raise ValueError
        return result
    except (OSError, ValueError):
        (folder / "error.txt").write_text(why + "\n")
        return None


def grade_all(found: Found, assignment: str, limits: Limits, out_dir: Path, hide: list[str],
              jobs: int = 1, progress=None) -> dict[str, dict]:
    """Every student's result ({student: results.json dict}), zeros with a reason included."""
    results: dict[str, dict | None] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, s, nb, assignment, limits, out_dir, hide, jobs): s
                   for s, nb in found.submissions.items()}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if progress is not None:
                progress()
    for student, why in found.zeros.items():
        results[student] = None
        (out_dir / student).mkdir(parents=True, exist_ok=True)
        (out_dir / student / "error.txt").write_text(why + "\n")
    for student, result in results.items():  # graders that gave no result, here in one thread
        if result is None:
            why = (out_dir / student / "error.txt").read_text().strip()
            result = results[student] = failed_result(found.submissions.get(student, Path(student)),
                                                      assignment, f"Could not be graded: {why}.")
            write_json(out_dir / student / "results.json", result)
            (out_dir / student / "feedback.txt").write_text(report.feedback(result))
    return results


def check_names(results: dict[str, dict]) -> list[str]:
    """The names of the checks, in the order the results list them."""
    names: list[str] = []
    for result in results.values():
        for test in result["tests"]:
            if test["name"] not in names:
                names.append(test["name"])
    return names


def write_gradebook(results: dict[str, dict], path: Path, hand_points: float = 0.0) -> None:
    """The CSV gradebook: student, score, max_score, one column per check, and the points still
    to be graded by hand (the written answers)."""
    names = check_names(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", *map(spreadsheet_safe, names), "to_grade_by_hand"])
        for student in sorted(results):
            r = results[student]
            by_name = {t["name"]: t["score"] for t in r["tests"]}
            max_score = r.get("extra_data", {}).get("max_score", sum(t["max_score"] for t in r["tests"]))
            writer.writerow([spreadsheet_safe(student), f"{r['score']:g}", f"{max_score:g}",
                             *[f"{by_name[c]:g}" if c in by_name else "" for c in names], f"{hand_points:g}"])


def pass_rates(results: dict[str, dict]) -> dict[str, float]:
    """Each check's share of submissions that passed it."""
    return {name: sum(1 for r in results.values() for t in r["tests"]
                      if t["name"] == name and t["status"] == "passed") / max(len(results), 1)
            for name in check_names(results)}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
