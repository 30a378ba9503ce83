"""Command line: grade one notebook, a folder of submissions, or build a Gradescope bundle.

    python -m autograder grade NOTEBOOK [--assignment aNN_slug] [--out results.json]
    python -m autograder grade-batch DIR --assignment aNN_slug [--jobs N] [--csv grades.csv]
    python -m autograder gradescope aNN_slug [--out autograder.zip]

This module parses and dispatches; the work is in `grade`, `batch` and `gradescope`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.limits import Limits, add_flags, positive


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
    from autograder.batch import write_json
    from autograder.grade import failed_result, grade, infer_assignment
    from autograder.report import feedback

    notebook = Path(args.notebook)
    assignment = args.assignment or infer_assignment(notebook)
    if assignment is None:
        print(f"Cannot tell which assignment {notebook.name} belongs to; pass --assignment aNN_slug.",
              file=sys.stderr)
        return 2
    if not _known(assignment):
        return 2
    limits = Limits.from_args(args)
    written = [Path(p).resolve().parent for p in (args.out, args.feedback) if p]
    limits.hide = tuple(str(p) for p in [_submissions_folder(notebook, assignment), *written,
                                         *map(Path, args.hide)])
    try:
        result = grade(notebook, assignment, limits)
    except Exception as exc:  # noqa: BLE001 - a grader fault still gives the learner a result
        result = failed_result(notebook, assignment, f"The grader failed ({type(exc).__name__}: {exc}); "
                                                     "please tell your instructor.")
    if args.out:
        write_json(Path(args.out), result)
    if args.feedback:
        Path(args.feedback).write_text(feedback(result))
    if not args.quiet:
        print(feedback(result), end="")
    return 0


def cmd_grade_batch(args) -> int:
    from tqdm import tqdm

    from autograder import batch, classreport, written
    from autograder.sandbox import best_level

    folder = Path(args.dir)
    if not _known(args.assignment):
        return 2
    out_dir = Path(args.out_dir or (folder.parent / f"graded-{args.assignment}")).resolve()
    csv_path = Path(args.csv or out_dir / "grades.csv").resolve()
    found = batch.find_submissions(folder, args.assignment,
                                   reserved=[csv_path.name] if csv_path.parent == out_dir else [])
    for line in found.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not found.submissions and not found.zeros:
        print(f"No notebooks found under {folder}.", file=sys.stderr)
        return 2
    limits = Limits.from_args(args)
    level = "off" if limits.sandbox == "off" else best_level()
    if level != "strict":
        print(f"warning: the sandbox level here is {level!r}: learners' code is not fully sealed from the "
              "grader (run as root on Linux for the strict seal; see the README)", file=sys.stderr)
    with tqdm(total=len(found.submissions), desc=f"grading {args.assignment}", unit="notebook",
              disable=args.quiet) as bar:
        results = batch.grade_all(found, args.assignment, limits, out_dir,
                                  hide=[str(folder.resolve()), str(out_dir)], jobs=args.jobs, progress=bar.update)
    hand = written.write(found.submissions, args.assignment, out_dir)
    batch.write_gradebook(results, csv_path, hand_points=hand)
    rates = batch.pass_rates(results)
    classreport.write(results, rates, args.assignment, out_dir / "report.html", hand_points=hand)
    if not args.quiet:
        print(f"\nGraded {len(results)} submissions of {args.assignment}; gradebook: {csv_path}")
        print(f"Class report: {out_dir / 'report.html'}")
        if hand:
            print(f"Written answers ({hand:g} points per student, graded by hand): {out_dir / 'written.html'}")
        print("Pass rate of each check across the class:")
        for name, rate in rates.items():
            print(f"  {rate:6.1%}  {name}")
    return 0


def cmd_gradescope(args) -> int:
    from autograder.gradescope import build

    if not _known(args.assignment):
        return 2
    out = build(args.assignment, Path(args.out or f"{args.assignment}-autograder.zip"), args.total_timeout)
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
    add_flags(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("grade-batch", help="grade a folder of submissions in parallel")
    p.add_argument("dir")
    p.add_argument("--assignment", required=True)
    p.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--csv", help="gradebook path (default: OUT_DIR/grades.csv)")
    p.add_argument("--out-dir", help="per-student results.json and feedback.txt "
                                     "(default: graded-<assignment> beside DIR)")
    p.add_argument("--quiet", action="store_true")
    add_flags(p)
    p.set_defaults(func=cmd_grade_batch)

    p = sub.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
    p.add_argument("assignment")
    p.add_argument("--out", help="zip path (default: <assignment>-autograder.zip)")
    p.add_argument("--total-timeout", type=positive(float), default=Limits.total_timeout,
                   help="seconds one grading may take; keep it under the assignment's autograder timeout "
                        f"set on Gradescope (default {Limits.total_timeout:g})")
    p.set_defaults(func=cmd_gradescope)

    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a report never fails on a character it cannot encode
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    return args.func(args)
