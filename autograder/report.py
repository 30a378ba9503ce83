"""What a grading reports: results.json's test entries and one readable text for people.

The same text formatter serves `check()` in a notebook and the feedback of `grade`, so a
learner reads their results in one shape wherever they were graded.
"""

from __future__ import annotations

import re

from autograder.runner import CheckResult

VISIBILITY = {False: "visible", True: "after_due_date"}
MESSAGE_LINES = 12
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` from a learner's code made safe to print and to save: terminal control
    characters (which could redraw a report) become visible escapes, and so do lone
    surrogates (which UTF-8 cannot write)."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def spreadsheet_safe(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def points(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def entry(r: CheckResult) -> dict:
    """One check's entry in Gradescope's results.json."""
    label = r.name.removeprefix("test_").replace("_", " ")
    return {"name": f"{r.exercise}: {label}", "score": r.score, "max_score": r.max_score,
            "output": "passed" if r.passed else printable(r.message), "visibility": VISIBILITY[r.hidden],
            "status": "passed" if r.passed else "failed",
            "extra_data": {"exercise": r.exercise, "check": r.name, "error_kind": r.error_kind,
                           "seconds": r.seconds}}


def text(title: str, entries: list[dict], hidden_not_run: float = 0.0, notes=()) -> str:
    """The readable report: the score, then each check (grouped by exercise when there are
    several), failures with their reasons, then `notes`."""
    got = sum(t["score"] for t in entries)
    total = sum(t["max_score"] for t in entries)
    if hidden_not_run:
        unit = points(total).split(" ", 1)[1]
        more = "point" if hidden_not_run == 1 else "points"
        head = (f"{title}: {got:g} of {total:g} visible {unit}; {hidden_not_run:g} more {more} in hidden "
                "checks when graded")
    else:
        head = f"{title}: {got:g} of {points(total)}"
    lines = [head]
    groups: dict[str, list[dict]] = {}
    for t in entries:
        groups.setdefault(t["extra_data"]["exercise"], []).append(t)
    for exercise, tests in groups.items():
        if len(groups) > 1:
            lines += ["", f"{exercise}: {sum(t['score'] for t in tests):g} of "
                          f"{sum(t['max_score'] for t in tests):g}"]
        for t in tests:
            mark = "PASS" if t["status"] == "passed" else "FAIL"
            hidden = ", hidden" if t["visibility"] != "visible" else ""
            lines.append(f"  {mark}  {t['name'].split(': ', 1)[-1]} ({points(t['max_score'])}{hidden})")
            if t["status"] != "passed":
                lines.extend("        " + ln for ln in t["output"].splitlines()[:MESSAGE_LINES])
    notes = [n for n in notes if n.strip()]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def feedback(result: dict) -> str:
    """The readable report of one results.json: its tests, then the rest of its output."""
    title = result.get("extra_data", {}).get("assignment", "")
    rest = result.get("output", "").splitlines()[1:]
    return text(title, result["tests"], notes=rest)
