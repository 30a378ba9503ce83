"""One infinite loop costs one function's points and seconds, once; the grading's time limit is
a promise; nothing a grading started outlives its grader, however the grader ends."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import confine, release, sandbox
from autograder.grade import grade
from autograder.limits import Limits
from tests.helpers import MODES, ROOT, by_exercise, checks_module, namespace, score, solution_path

ASSIGNMENTS = release.assignments(ROOT)
pytestmark = pytest.mark.slow  # sealed gradings with time-outs: part of the full suite
DEMO = ROOT / "tests" / "demo"
HANG = dict(call_timeout=5, cell_timeout=10, total_timeout=240)
BODIES = {"loop": "while True:\n    pass", "sleep": "import time\ntime.sleep(3600)",
          "raise": "raise RuntimeError('stopped here')"}


def first_graded_function(nb: dict) -> tuple[int, int, str]:
    """(cell, line, qualified name) of the first line of the first graded body in a notebook."""
    for c, cell in enumerate(nb["cells"]):
        lines = "".join(cell["source"]).splitlines()
        for i, line in enumerate(lines):
            if "### BEGIN SOLUTION" in line:
                indent = len(line) - len(line.lstrip())
                names = []
                for above in reversed(lines[:i]):
                    match = re.match(r"(\s*)(?:def|class) (\w+)", above)
                    if match and len(match.group(1)) < indent:
                        names.insert(0, match.group(2))
                        indent = len(match.group(1))
                return c, i, ".".join(names)
    raise AssertionError("no graded body found")


def with_body(source: Path, body: str, out: Path) -> tuple[Path, str]:
    """The notebook with `body` put at the start of its first graded function; and its name."""
    nb = json.loads(source.read_text())
    c, i, name = first_graded_function(nb)
    lines = "".join(nb["cells"][c]["source"]).splitlines()
    indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
    lines[i + 1:i + 1] = [indent + line for line in body.splitlines()]
    nb["cells"][c]["source"] = "\n".join(lines)
    out.write_text(json.dumps(nb))
    return out, name


def with_cell(source: Path, code: str, out: Path) -> Path:
    """The notebook with a code cell `code` right after its first code cell."""
    nb = nbformat.read(source, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(code))
    nbformat.write(nb, out)
    return out


def lost(result: dict, full: dict) -> set[str]:
    got = by_exercise(result)
    return {e for e in full if got.get(e, 0) < full[e]}


@pytest.fixture(scope="module")
def full_points() -> dict:
    """{assignment: {exercise: its points}}, from the checks' marks."""
    out = {}
    for assignment in ASSIGNMENTS:
        points: dict = {}
        for fn in vars(checks_module(assignment)).values():
            if hasattr(fn, "graded"):
                points[fn.graded.exercise] = points.get(fn.graded.exercise, 0) + fn.graded.points
        out[assignment] = points
    return out


# A busy loop in every chapter; a blocking sleep (interrupted the same way whatever the chapter) in one.
HANGS = [(a, "loop") for a in ASSIGNMENTS] + [(ASSIGNMENTS[0], "sleep")]


@pytest.mark.parametrize("assignment,kind", HANGS)
def test_a_hang_in_the_first_graded_function_costs_only_what_uses_it(tmp_path, assignment, kind, full_points):
    hung, name = with_body(solution_path(assignment), BODIES[kind], tmp_path / f"{assignment}.ipynb")
    start = time.monotonic()
    result = grade(hung, assignment, Limits(sandbox=MODES[0], **HANG))
    seconds = time.monotonic() - start
    assert seconds < 180, f"grading took {seconds:.0f} s"
    # The oracle: the same function raising at once loses exactly the exercises that use it.
    raising, _ = with_body(solution_path(assignment), BODIES["raise"], tmp_path / "raising.ipynb")
    _, _, results = score(assignment, namespace(raising, exercises_only=True))
    want = {r.exercise for r in results if not r.passed}
    assert want and lost(result, full_points[assignment]) == want, (by_exercise(result), want)
    for test in result["tests"]:
        if test["status"] != "passed":
            assert f"`{name}`" in test["output"], f"{test['name']} does not name `{name}`: {test['output']}"


# A cell's time limit works alike in every notebook: the first and the newest chapter are tried.
@pytest.mark.parametrize("assignment", sorted({ASSIGNMENTS[0], ASSIGNMENTS[-1]}))
def test_a_loop_at_a_cells_top_level_costs_nothing_else(tmp_path, assignment, full_points):
    looped = with_cell(solution_path(assignment), "while True:\n    pass", tmp_path / f"{assignment}.ipynb")
    start = time.monotonic()
    result = grade(looped, assignment, Limits(sandbox=MODES[0], **HANG))
    assert time.monotonic() - start < 180
    assert result["score"] == sum(full_points[assignment].values()), by_exercise(result)
    assert "Cell 3 of your notebook: it ran longer than 10 s" in result["output"], result["output"][:800]


def test_the_time_limit_of_a_grading_is_kept(tmp_path, monkeypatch):
    """A submission built to use up the grading's time: slow cells, and functions that take
    just under the call limit. The result comes back at the limit, and says what did not run."""
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))
    source = DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb"
    slow = with_cell(source, "import time\ntime.sleep(4)", tmp_path / "one.ipynb")
    for _ in range(2):
        slow = with_cell(slow, "import time\ntime.sleep(4)", slow)
    nb = nbformat.read(slow, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\ndef add(a, b):\n    time.sleep(4.5)\n    return a + b"))
    nbformat.write(nb, slow)
    limit = 15
    start = time.monotonic()
    result = grade(slow, "a00_demo", Limits(sandbox=MODES[0], call_timeout=5, cell_timeout=6, total_timeout=limit))
    seconds = time.monotonic() - start
    assert seconds < limit + 5, f"the grading took {seconds:.1f} s with a limit of {limit} s"
    not_run = [t for t in result["tests"] if "not run: the whole grading ran out of time" in t["output"]]
    assert not_run, [t["output"] for t in result["tests"]]
    assert f"stopped at its time limit of {limit} s" in result["output"]


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` now (through each process's parent in /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (a zombie runs no code)."""
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return state.split()[1] not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("mode", MODES)
def test_nothing_outlives_a_killed_grader(tmp_path, mode):
    source = DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb"
    looped = with_cell(source, "while True:\n    pass", tmp_path / "a00_demo.ipynb")
    env = dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks"))
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(looped), "--sandbox", mode,
                               "--cell-timeout", "120", "--quiet"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            family = _descendants(grader.pid)
            workers = [p for p in family if b"autograder.worker" in _cmdline(p)]
            if workers:
                break
            time.sleep(0.2)
        assert workers, "the worker did not start"
        time.sleep(4)  # the worker is now in the looping cell
        family = _descendants(grader.pid)
        assert any(_running(p) for p in family)
        workers = [p for p in family if b"autograder.worker" in _cmdline(p)]
        found = [_home_and_uid(p) for p in workers]  # the worker itself runs as a uid of its own when sealed
        scratch, uid = max(found, key=lambda f: f[1] is not None)
        # what the grading has made, seen while it runs (once it is killed, any grading may sweep it)
        assert scratch.name.startswith(f"autograder-{grader.pid}-") and scratch.is_dir(), scratch
        groups = [parent / f"autograder-{uid}" for parent, _, _ in confine._cgroup_parents()] if uid else []
        stages = [p for base in sandbox.STAGE_BASES for p in Path(base).glob(f"autograder-stage-{grader.pid}-*")]
        assert (mode == "off") == (uid is None), (mode, uid)
        assert (mode == "off" or any(g.is_dir() for g in groups)) and (mode != "strict" or stages), (groups, stages)
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    time.sleep(5)
    alive = [p for p in family if _running(p)]
    assert not alive, f"processes of the killed grading still run: {[(p, _cmdline(p)[:80]) for p in alive]}"
    # What the killed grader could not remove, the next grading does.
    sandbox.sweep_left_behind(mode)
    left = [p for p in (scratch, *groups, *stages) if p.exists()]
    assert not left, f"the next grading left the killed one's folders and cgroups: {left}"


def _home_and_uid(worker: int) -> tuple[Path, int | None]:
    """A worker's scratch folder (its HOME) and its uid (None when it runs as the grader's own)."""
    env = dict(item.split(b"=", 1) for item in Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
               if b"=" in item)
    uid = int(next(line for line in Path(f"/proc/{worker}/status").read_text().splitlines()
                   if line.startswith("Uid:")).split()[1])
    return Path(env[b"HOME"].decode()), (uid if uid != os.getuid() else None)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
