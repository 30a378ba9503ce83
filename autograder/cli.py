"""Command line: grade one notebook, a folder of submissions, or build a Gradescope bundle.

    python -m autograder grade NOTEBOOK [--assignment aNN_slug] [--out results.json]
    python -m autograder grade-batch DIR --assignment aNN_slug [--jobs N] [--csv grades.csv]
    python -m autograder gradescope aNN_slug [--out autograder.zip]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.sealed import Limits


def _limit_flags(parser: argparse.ArgumentParser) -> None:
    d = Limits()
    parser.add_argument("--call-timeout", type=float, default=d.call_timeout,
                        help=f"seconds one call of the learner's code may take (default {d.call_timeout:g})")
    parser.add_argument("--cell-timeout", type=float, default=d.cell_timeout,
                        help=f"seconds one notebook cell may take (default {d.cell_timeout:g})")
    parser.add_argument("--memory-mb", type=int, default=d.memory_bytes >> 20,
                        help=f"memory cap of the worker in MiB (default {d.memory_bytes >> 20})")
    parser.add_argument("--output-kb", type=int, default=d.output_bytes >> 10,
                        help=f"output of the learner's code kept, in KiB (default {d.output_bytes >> 10})")
    parser.add_argument("--total-timeout", type=float, default=d.total_timeout,
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


def cmd_grade(args) -> int:
    from autograder.grade import failed_result, feedback, grade, infer_assignment

    notebook = Path(args.notebook)
    assignment = args.assignment or infer_assignment(notebook)
    if assignment is None:
        print(f"Cannot tell which assignment {notebook.name} belongs to; pass --assignment aNN_slug.",
              file=sys.stderr)
        return 2
    try:
        result = grade(notebook, assignment, _limits(args))
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
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


def _find_submissions(folder: Path, assignment: str) -> dict[str, Path]:
    """{student: notebook} from nbgrader's submitted/<student>/<aid>/ or a flat folder."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder).parts
        if len(rel) >= 3 and rel[-2] == assignment:
            student = rel[-3]  # nbgrader: <student>/<aid>/<aid>.ipynb
        elif len(rel) == 1:
            student = path.stem  # flat: <student>.ipynb
        elif len(rel) == 2:
            student = rel[0]  # <student>/<anything>.ipynb
        else:
            continue
        student = re.sub(r"[^A-Za-z0-9_.@+-]", "_", student)
        if student in found:
            continue
        found[student] = path
    return found


def _grade_one(student: str, notebook: Path, args, out_dir: Path) -> dict:
    """Grade one submission in its own grader process, so no submission can touch another."""
    from autograder.grade import failed_result

    folder = out_dir / student
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    results.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", args.assignment,
           "--out", str(results), "--feedback", str(folder / "feedback.txt"), "--quiet", *_forward(args)]
    env = dict(os.environ)
    if args.jobs > 1:  # one core per submission: parallel gradings should not fight over threads
        env.update(AUTOGRADER_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1")
    budget = args.total_timeout + args.cell_timeout + 120
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget, env=env,
                              stdin=subprocess.DEVNULL)
        why = f"the grader process exited with code {proc.returncode}: {proc.stderr.strip()[-500:]}"
    except subprocess.TimeoutExpired:
        why = f"grading took longer than {budget:g} s"
    try:
        result = json.loads(results.read_text())
        if not isinstance(result, dict) or "tests" not in result:
            raise ValueError
    except (OSError, ValueError):
        result = failed_result(notebook, args.assignment, f"Could not be graded: {why}.")
        _write_json(results, result)
        from autograder.grade import feedback

        (folder / "feedback.txt").write_text(feedback(result))
    return result


def cmd_grade_batch(args) -> int:
    from tqdm import tqdm

    from autograder.runner import checks_file

    folder = Path(args.dir)
    try:
        checks_file(args.assignment)
    except (FileNotFoundError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    submissions = _find_submissions(folder, args.assignment)
    if not submissions:
        print(f"No notebooks found under {folder}.", file=sys.stderr)
        return 2
    out_dir = Path(args.out_dir or (folder.parent / f"graded-{args.assignment}"))
    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(_grade_one, s, nb, args, out_dir): s for s, nb in submissions.items()}
        with tqdm(total=len(futures), desc=f"grading {args.assignment}", unit="notebook",
                  disable=args.quiet) as bar:
            for future in futures:
                results[futures[future]] = future.result()
                bar.update()
    checks = []
    for result in results.values():
        for test in result["tests"]:
            if test["name"] not in checks:
                checks.append(test["name"])
    csv_path = Path(args.csv or out_dir / "grades.csv")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", *checks])
        for student in sorted(results):
            r = results[student]
            by_name = {t["name"]: t["score"] for t in r["tests"]}
            max_score = r.get("extra_data", {}).get("max_score", sum(t["max_score"] for t in r["tests"]))
            writer.writerow([student, f"{r['score']:g}", f"{max_score:g}",
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
    return args.func(args)
