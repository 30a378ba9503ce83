"""Written answers, gathered for the person who grades them by hand.

An assignment's written questions are nbgrader's manually graded cells (solution and grade
both set). `grade-batch` reads each submission's answers as text (nothing is run), and writes
them question by question, student by student, into `written.html` and `written.csv`, with
an empty score column for the teaching assistant.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from pathlib import Path

from autograder import nbfile
from autograder.report import spreadsheet_safe


@dataclass(frozen=True)
class Question:
    """A written question: its nbgrader id, its points and its text (the cell before it)."""

    id: str
    points: float
    text: str


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    return meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}


def _source(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)


def questions(assignment: str) -> list[Question]:
    """The written questions of `assignment`, from its release notebook (the course's own text,
    in the course the assignment's checks belong to)."""
    from autograder.runner import checks_file

    path = checks_file(assignment).parent.parent / "exercises" / assignment / f"{assignment}.ipynb"
    try:
        cells = nbfile.read(path)["cells"]
    except nbfile.UnreadableNotebook:
        return []
    found = []
    for i, cell in enumerate(cells):
        meta = _meta(cell)
        if meta.get("solution") is True and meta.get("grade") is True:
            prompt = _source(cells[i - 1]) if i > 0 else ""
            found.append(Question(str(meta.get("grade_id", f"cell {i + 1}")), float(meta.get("points", 0)),
                                  prompt.strip()))
    return found


def answers(notebook: Path, wanted: list[Question]) -> dict[str, str]:
    """{question id: the submission's answer} (empty when it has no such cell or cannot be read)."""
    try:
        cells = nbfile.read(notebook)["cells"]
    except nbfile.UnreadableNotebook:
        return {}
    by_id = {str(_meta(c).get("grade_id")): _source(c).strip() for c in cells if isinstance(c, dict)}
    return {q.id: by_id.get(q.id, "") for q in wanted}


def write(submissions: dict[str, Path], assignment: str, out_dir: Path) -> float:
    """Write written.html and written.csv for the submissions; returns the points per student
    that are graded by hand."""
    wanted = questions(assignment)
    if not wanted:
        return 0.0
    by_student = {student: answers(path, wanted) for student, path in sorted(submissions.items())}
    with open(out_dir / "written.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["question", "student", "answer", "max_points", "score"])
        for q in wanted:
            for student, given in by_student.items():
                writer.writerow([q.id, spreadsheet_safe(student), spreadsheet_safe(given.get(q.id, "")), f"{q.points:g}", ""])
    parts = [f"<h1>{html.escape(assignment)}: written answers</h1>",
             f"<p>{len(by_student)} submissions, {len(wanted)} questions. Grade question by question; "
             "record the scores in <code>written.csv</code>'s empty column (or in nbgrader's formgrader).</p>"]
    for q in wanted:
        parts.append(f"<h2>{html.escape(q.id)} ({q.points:g} points)</h2>"
                     f"<blockquote><pre>{html.escape(q.text)}</pre></blockquote>")
        for student, given in by_student.items():
            text = given.get(q.id, "") or "(no answer)"
            parts.append(f"<h3>{html.escape(student)}</h3><pre class=\"answer\">{html.escape(text)}</pre>"
                         "<p>score: ____ / " + f"{q.points:g}</p>")
    style = ("body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
             "pre{white-space:pre-wrap;overflow-wrap:anywhere}pre.answer{background:#f6f6f6;padding:.6rem}")
    (out_dir / "written.html").write_text(
        f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(assignment)}: written "
        f"answers</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    return sum(q.points for q in wanted)
