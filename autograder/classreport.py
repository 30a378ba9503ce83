"""The picture of a class's results for the instructor: `report.html` beside the gradebook.

One self-contained page (figures are inline PNG, no script, nothing remote), openable
offline: the score distribution, every check's pass rate (sorted, with its exercise), the
submissions that timed out, crashed or could not be graded (with why), and how long each
grading took.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from pathlib import Path

TROUBLE = {"Timeout": "timed out", "Hung": "timed out", "WorkerDied": "crashed", "Unreadable": "unreadable",
           "NotYourOwn": "refused (not their own)"}


def _figure(fig) -> str:
    """A matplotlib figure as an inline <img>, then closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _scores(results: dict[str, dict]) -> str:
    import matplotlib.pyplot as plt

    scores = [r["score"] for r in results.values()]
    top = max((r.get("extra_data", {}).get("max_score", 0) for r in results.values()), default=0) or 1
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(scores, bins=min(20, max(int(top), 1)), range=(0, top), color="tab:blue", edgecolor="white")
    ax.set_xlabel(f"score (points, of {top:g})")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution")
    return _figure(fig)


def _pass_rates(rates: dict[str, float]) -> str:
    import matplotlib.pyplot as plt

    ordered = sorted(rates.items(), key=lambda item: item[1])
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(ordered) + 1.2))
    ax.barh(range(len(ordered)), [100 * r for _, r in ordered], color="tab:green")
    ax.set_yticks(range(len(ordered)), [name for name, _ in ordered], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions that pass the check (%)")
    ax.set_title("Pass rate of each check, hardest first (exercise: check)")
    return _figure(fig)


def _times(results: dict[str, dict]) -> str:
    import matplotlib.pyplot as plt

    seconds = [r.get("execution_time", 0.0) for r in results.values()]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(seconds, bins=20, color="tab:orange", edgecolor="white")
    ax.set_xlabel("seconds to grade one submission")
    ax.set_ylabel("submissions")
    ax.set_title("Grading time")
    return _figure(fig)


def troubles(results: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(student, what happened, why) for every submission that timed out, crashed or was refused."""
    rows = []
    for student, r in sorted(results.items()):
        error = r.get("extra_data", {}).get("error")
        if error:
            rows.append((student, "not graded", error))
            continue
        kinds = {t["extra_data"].get("error_kind", "") for t in r["tests"]} & set(TROUBLE)
        for kind in sorted(kinds):
            first = next(t for t in r["tests"] if t["extra_data"].get("error_kind") == kind)
            rows.append((student, TROUBLE[kind], f"{first['name']}: {first['output'][:300]}"))
    return rows


def write(results: dict[str, dict], rates: dict[str, float], assignment: str, path: Path,
          hand_points: float = 0.0) -> None:
    """Write the class report of `results` ({student: results.json}) to `path`."""
    scores = [r["score"] for r in results.values()]
    top = max((r.get("extra_data", {}).get("max_score", 0) for r in results.values()), default=0)
    seconds = sorted(((r.get("execution_time", 0.0), s) for s, r in results.items()), reverse=True)
    rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(what)}</td><td>{html.escape(why)}</td></tr>"
                   for s, what, why in troubles(results)) or '<tr><td colspan="3">none</td></tr>'
    slowest = "".join(f"<tr><td>{html.escape(s)}</td><td>{t:.1f} s</td></tr>" for t, s in seconds[:10])
    summary = (f"{len(results)} submissions; autograded points: mean {statistics.fmean(scores):.1f}, median "
               f"{statistics.median(scores):g}, of {top:g}" if scores else "no submissions")
    if hand_points:
        summary += f"; {hand_points:g} more points per student are graded by hand (see written.html)"
    body = (f"<h1>{html.escape(assignment)}: class report</h1><p>{html.escape(summary)}.</p>"
            f"<h2>Scores</h2>{_scores(results)}"
            f"<h2>Checks</h2>{_pass_rates(rates)}"
            "<h2>Submissions that timed out, crashed or could not be graded</h2>"
            f"<table><tr><th>student</th><th>what happened</th><th>why</th></tr>{rows}</table>"
            f"<h2>Grading time</h2>{_times(results)}"
            f"<table><tr><th>slowest</th><th>time</th></tr>{slowest}</table>")
    style = ("body{font-family:sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem}"
             "img{max-width:100%}table{border-collapse:collapse;margin:1rem 0}"
             "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}")
    path.write_text(f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(assignment)}: "
                    f"class report</title><style>{style}</style></head><body>{body}</body></html>\n")
