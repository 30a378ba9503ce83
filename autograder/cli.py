"""Command line: grade one notebook, a folder of submissions, or build a Gradescope bundle.

    python -m autograder grade NOTEBOOK [--assignment aNN_slug] [--out results.json]
    python -m autograder grade-batch DIR --assignment aNN_slug [--jobs N] [--csv grades.csv]
    python -m autograder gradescope aNN_slug [--out autograder.zip]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder.sealed import Limits


def _positive(kind):
    """An argparse type: a finite number above 0 of `kind` (float or int)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text} should be a number above 0")
        return value
    return parse


def _limit_flags(parser: argparse.ArgumentParser) -> None:
    d = Limits()
    seconds, count = _positive(float), _positive(int)
    parser.add_argument("--call-timeout", type=seconds, default=d.call_timeout,
                        help=f"seconds one call of the learner's code may take (default {d.call_timeout:g})")
    parser.add_argument("--cell-timeout", type=seconds, default=d.cell_timeout,
                        help=f"seconds one notebook cell may take (default {d.cell_timeout:g})")
    parser.add_argument("--memory-mb", type=count, default=d.memory_bytes >> 20,
                        help=f"memory cap of the worker in MiB (default {d.memory_bytes >> 20})")
    parser.add_argument("--output-kb", type=count, default=d.output_bytes >> 10,
                        help=f"output of the learner's code kept, in KiB (default {d.output_bytes >> 10})")
    parser.add_argument("--total-timeout", type=seconds, default=d.total_timeout,
                        help=f"seconds for a whole grading before the rest fails (default {d.total_timeout:g})")
    parser.add_argument("--sandbox", choices=["auto", "strict", "off"], default=d.sandbox,
                        help="auto: strongest available (own uid and namespaces as root); "
                             "strict: fail without it; off: plain subprocess")


def _limits(args) -> Limits:
    return Limits(call_timeout=args.call_timeout, cell_timeout=args.cell_timeout,
                  memory_bytes=args.memory_mb << 20, output_bytes=args.output_kb << 10,
                  total_timeout=args.total_timeout, sandbox=args.sandbox)


def _forward(args) -> list[str]:
    return ["--call-timeout", str(args.call_timeout), "--cell-timeout", str(args.cell_timeout),
            "--memory-mb", str(args.memory_mb), "--output-kb", str(args.output_kb),
            "--total-timeout", str(args.total_timeout), "--sandbox", args.sandbox]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def _known(assignment: str) -> bool:
    """Whether `assignment` has checks; if not, says so on stderr."""
    from autograder.runner import checks_file

    try:
        checks_file(assignment)
        return True
    except (FileNotFoundError, ValueError) as exc:
        print(f"{exc}.", file=sys.stderr)
        return False


def _submissions_folder(notebook: Path, assignment: str) -> Path:
    """The folder to hide from the learner's code: nbgrader's submitted/ (every student's
    work) for submitted/<student>/<aid>/<aid>.ipynb, else the notebook's own folder."""
    parents = notebook.resolve().parents
    if parents[0].name == assignment and len(parents) > 3 and parents[2].name in ("submitted", "autograded"):
        return parents[2]
    return parents[0]


def cmd_grade(args) -> int:
    from autograder.grade import failed_result, feedback, grade, infer_assignment

    notebook = Path(args.notebook)
    assignment = args.assignment or infer_assignment(notebook)
    if assignment is None:
        print(f"Cannot tell which assignment {notebook.name} belongs to; pass --assignment aNN_slug.",
              file=sys.stderr)
        return 2
    if not _known(assignment):
        return 2
    limits = _limits(args)
    written = [Path(p).resolve().parent for p in (args.out, args.feedback) if p]
    limits.hide = tuple(str(p) for p in [_submissions_folder(notebook, assignment), *written,
                                         *map(Path, args.hide)])
    try:
        result = grade(notebook, assignment, limits)
    except Exception as exc:  # noqa: BLE001 - a grader fault still gives the learner a result
        result = failed_result(notebook, assignment, f"The grader failed ({type(exc).__name__}: {exc}); "
                                                     "please tell your instructor.")
    if args.out:
        _write_json(Path(args.out), result)
    if args.feedback:
        Path(args.feedback).write_text(feedback(result))
    if not args.quiet:
        print(feedback(result), end="")
    return 0


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


def _find_submissions(folder: Path, assignment: str, reserved=()) -> tuple[dict, list[str], dict]:
    """({student: notebook}, warnings, {student: why it gets 0}) from nbgrader's
    submitted/<student>/<aid>/<aid>.ipynb, a flat folder of <student>.ipynb, or <student>/*.ipynb.

    Within one student's folder the notebook named <aid>.ipynb wins; other notebooks there are
    reported, never silently graded in its place. A notebook that is a symbolic link is not
    followed (it could point at anything the grader may read): its student gets 0 and a reason.
    Students whose names make the same safe folder name get distinct ones (`name-2`).
    """
    candidates: dict[str, list[Path]] = {}
    refused: dict[str, str] = {}
    warnings: list[str] = []
    for rel, path in _student_files(folder):
        shown = "/".join(rel)
        if path.is_dir():
            warnings.append(f"skipped {shown}: a symbolic link to a folder is not followed")
            continue
        if path.suffix.lower() != ".ipynb":
            if ".ipynb" in path.name.lower():
                warnings.append(f"skipped {shown}: not named *.ipynb")
            continue
        if len(rel) == 3 and rel[1] == assignment:
            student = rel[0]  # nbgrader: <student>/<aid>/<aid>.ipynb
        elif len(rel) == 1:
            student = path.stem  # flat: <student>.ipynb
        elif len(rel) == 2:
            student = rel[0]  # <student>/<anything>.ipynb
        else:
            warnings.append(f"skipped {shown}: not in a layout grade-batch reads "
                            f"(<student>/{assignment}/{assignment}.ipynb or <student>.ipynb)")
            continue
        if path.is_symlink():
            refused.setdefault(student, f"{shown} is a symbolic link, which the grader does not follow; "
                                        "submit the notebook itself")
            continue
        candidates.setdefault(student, []).append(path)
    taken = {name.lower() for name in reserved}
    found: dict[str, Path] = {}
    zeros: dict[str, str] = {}
    for student in sorted(set(candidates) | set(refused)):
        safe = base = re.sub(r"[^A-Za-z0-9_.@+-]", "_", student).strip(".") or "student"
        n = 1
        while safe.lower() in taken:
            n += 1
            safe = f"{base}-{n}"
        taken.add(safe.lower())
        if safe != student:
            warnings.append(f"{student!r} is listed as {safe!r}")
        paths = candidates.get(student)
        if not paths:
            zeros[safe] = refused[student]
            continue
        chosen = next((p for p in paths if p.name == f"{assignment}.ipynb"), paths[0])
        for other in paths:
            if other != chosen:
                warnings.append(f"{safe}: graded {chosen.relative_to(folder)}, not {other.relative_to(folder)}")
        found[safe] = chosen
    return found, warnings, zeros


def _cell(value: str) -> str:
    """A gradebook cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _grade_one(student: str, notebook: Path, args, out_dir: Path, hide: list[str]) -> dict | None:
    """Grade one submission in its own grader process, so no submission can touch another.

    Returns its result, or None when the grader process gave none (the caller writes a zero).
    """
    folder = out_dir / student
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    results.unlink(missing_ok=True)
    (folder / "error.txt").unlink(missing_ok=True)  # from an earlier run
    cmd = [sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", args.assignment,
           "--out", str(results), "--feedback", str(folder / "feedback.txt"), "--quiet", *_forward(args)]
    for path in hide:
        cmd += ["--hide", path]
    env = dict(os.environ)
    if args.jobs > 1:  # one core per submission: parallel gradings should not fight over threads
        env.update(AUTOGRADER_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1")
    budget = args.total_timeout + args.cell_timeout + 120
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=budget)
        why = f"the grader process exited with code {proc.returncode}: {stderr.decode(errors='replace')[-500:]}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the grader and its worker, which share its session
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


def cmd_grade_batch(args) -> int:
    from tqdm import tqdm

    from autograder.grade import failed_result, feedback
    from autograder.sealed import best_level

    folder = Path(args.dir)
    if not _known(args.assignment):
        return 2
    out_dir = Path(args.out_dir or (folder.parent / f"graded-{args.assignment}")).resolve()
    csv_path = Path(args.csv or out_dir / "grades.csv").resolve()
    reserved = [csv_path.name] if csv_path.parent == out_dir else []
    submissions, warnings, zeros = _find_submissions(folder, args.assignment, reserved)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not submissions and not zeros:
        print(f"No notebooks found under {folder}.", file=sys.stderr)
        return 2
    level = "off" if args.sandbox == "off" else best_level()
    if level != "strict":
        print(f"warning: the sandbox level here is {level!r}: learners' code is not fully sealed from the "
              "grader (run as root on Linux for the strict seal; see the README)", file=sys.stderr)
    hide = [str(folder.resolve()), str(out_dir)]
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(_grade_one, s, nb, args, out_dir, hide): s for s, nb in submissions.items()}
        with tqdm(total=len(futures), desc=f"grading {args.assignment}", unit="notebook",
                  disable=args.quiet) as bar:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
    for student, why in zeros.items():
        results[student] = None
        (out_dir / student).mkdir(parents=True, exist_ok=True)
        (out_dir / student / "error.txt").write_text(why + "\n")
    for student, result in results.items():  # graders that gave no result, here in one thread
        if result is None:
            why = (out_dir / student / "error.txt").read_text().strip()
            result = results[student] = failed_result(submissions.get(student, Path(student)),
                                                      args.assignment, f"Could not be graded: {why}.")
            _write_json(out_dir / student / "results.json", result)
            (out_dir / student / "feedback.txt").write_text(feedback(result))
    checks = []
    for result in results.values():
        for test in result["tests"]:
            if test["name"] not in checks:
                checks.append(test["name"])
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", *map(_cell, checks)])
        for student in sorted(results):
            r = results[student]
            by_name = {t["name"]: t["score"] for t in r["tests"]}
            max_score = r.get("extra_data", {}).get("max_score", sum(t["max_score"] for t in r["tests"]))
            writer.writerow([_cell(student), f"{r['score']:g}", f"{max_score:g}",
                             *[f"{by_name[c]:g}" if c in by_name else "" for c in checks]])
    if not args.quiet:
        print(f"\nGraded {len(results)} submissions of {args.assignment}; gradebook: {csv_path}")
        print("Pass rate of each check across the class:")
        for name in checks:
            passed = sum(1 for r in results.values() for t in r["tests"] if t["name"] == name and t["status"] == "passed")
            print(f"  {passed / len(results):6.1%}  {name}")
    return 0


def cmd_gradescope(args) -> int:
    from autograder.gradescope import build

    if not _known(args.assignment):
        return 2
    out = build(args.assignment, Path(args.out or f"{args.assignment}-autograder.zip"))
    print(f"wrote {out}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("grade", help="grade one notebook (sealed) and print a report")
    p.add_argument("notebook")
    p.add_argument("--assignment", help="aNN_slug (default: inferred from the notebook's name)")
    p.add_argument("--out", help="write Gradescope's results.json here")
    p.add_argument("--feedback", help="write the readable report here")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.add_argument("--hide", action="append", default=[], metavar="DIR",
                   help="a folder the learner's code must not see (repeatable; the notebook's own "
                        "folder and the output folders are always hidden)")
    _limit_flags(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("grade-batch", help="grade a folder of submissions in parallel")
    p.add_argument("dir")
    p.add_argument("--assignment", required=True)
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--csv", help="gradebook path (default: OUT_DIR/grades.csv)")
    p.add_argument("--out-dir", help="per-student results.json and feedback.txt "
                                     "(default: graded-<assignment> beside DIR)")
    p.add_argument("--quiet", action="store_true")
    _limit_flags(p)
    p.set_defaults(func=cmd_grade_batch)

    p = sub.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
    p.add_argument("assignment")
    p.add_argument("--out", help="zip path (default: <assignment>-autograder.zip)")
    p.set_defaults(func=cmd_gradescope)

    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a report never fails on a character it cannot encode
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    return args.func(args)
