"""The sealed grader against honest, broken and hostile submissions of the demo assignment.

Each bad submission is the demo solution with one change; the expected score says what the
attack may cost (only the exercise it touches) or must not change (the honest score).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import nbfile
from autograder.grade import grade
from autograder.sealed import Limits, SealedStudent, Session
from tests.helpers import MODES, ROOT, STRICT, by_exercise

DEMO = ROOT / "tests" / "demo"
SOLUTION = DEMO / "solutions" / "a00_demo" / "a00_demo.ipynb"
RELEASE = DEMO / "exercises" / "a00_demo" / "a00_demo.ipynb"
CHECKS = DEMO / "checks" / "a00_demo.py"
FULL = 6.0
FAST = dict(call_timeout=3, cell_timeout=4, memory_bytes=1 << 30, output_bytes=64 << 10, total_timeout=120)


@pytest.fixture(autouse=True)
def demo_checks(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CHECKS_PATH", str(DEMO / "checks"))


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux") or not shutil.which("unshare"),
                    reason="the strict seal needs root on Linux")
def test_strict_seal_is_available_as_root():
    from autograder.sandbox import probe

    assert STRICT and probe("strict"), "as root on Linux the strict seal should start (else its tests skip)"


def submission(tmp_path: Path, replace: dict[str, str] | None = None, add: list[str] = (),
               drop_tests: bool = False, name: str = "a00_demo.ipynb") -> Path:
    """The demo solution with cells whose grade_id is a key replaced, new cells added first."""
    nb = json.loads(SOLUTION.read_text())
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if replace and gid in replace:
            cell["source"] = replace[gid]
    if drop_tests:
        nb["cells"] = [c for c in nb["cells"] if not nbfile.is_test_cell(c)]
    setup = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
    for src in reversed(add):
        cell = copy.deepcopy(nb["cells"][setup])
        cell["source"], cell["metadata"] = src, {}
        nb["cells"].insert(setup + 1, cell)
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def run(path: Path, mode: str, **limits) -> dict:
    return grade(path, "a00_demo", Limits(sandbox=mode, **{**FAST, **limits}))



ADD_LOOPS = 'def add(a, b):\n    while True:\n        pass'
BAD = {
    "syntax error in one cell": ({"add": "def add(a, b)\n    return a + b"}, [], 4),
    "missing function": ({"scale_rows": "# deleted"}, [], 4),
    "wrong return type": ({"scale_rows": "def scale_rows(x, w):\n    return (x * w[:, None]).tolist()"}, [], 4),
    "wrong shape": ({"scale_rows": "def scale_rows(x, w):\n    return (x * w[:, None]).T"}, [], 4),
    "exception": ({"add": "def add(a, b):\n    raise ValueError('no')"}, [], 4),
    "infinite loop in one function": ({"add": ADD_LOOPS}, [], 4),
    "infinite loop at top level": ({}, ["while True:\n    pass"], FULL),
    "sys.exit in a function": ({"add": "import sys\ndef add(a, b):\n    sys.exit(3)"}, [], 4),
    "sys.exit at top level": ({}, ["import sys\nsys.exit(0)"], FULL),
    "os._exit in a function": ({"add": "import os\ndef add(a, b):\n    os._exit(0)"}, [], 4),
    "os._exit at top level": ({}, ["import os\nos._exit(1)"], FULL),
    "memory bomb in a function": (
        {"scale_rows": "def scale_rows(x, w):\n    return bytearray(10**11)"}, [], 4),
    "memory bomb at top level": ({}, ["chunks = []\nwhile True:\n    chunks.append(bytearray(10**8))"], FULL),
    "flood of output": ({}, ["import sys\nfor _ in range(200_000):\n    print('x' * 200)\n"
                             "    sys.stderr.write('y' * 200)"], FULL),
    "signals ignored and a hang": (
        {"add": "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
                "    signal.signal(s, signal.SIG_IGN)\n" + ADD_LOOPS}, [], 4),
    "always-equal object": (
        {"add": "class Yes(float):\n    def __eq__(self, other):\n        return True\n"
                "    __ne__ = lambda self, other: False\n"
                "def add(a, b):\n    return Yes(0)",
         "scale_rows": "import numpy as np\nclass Yes(np.ndarray):\n    def __eq__(self, other):\n"
                       "        return np.ones(self.shape, bool)\n"
                       "def scale_rows(x, w):\n    return np.zeros_like(x).view(Yes)"}, [], 2),
    "comparisons monkeypatched": (
        {"add": "def add(a, b):\n    return 0", "scale_rows": "def scale_rows(x, w):\n    return np.zeros_like(x)"},
        ["import math, numpy as np, torch\nnp.allclose = lambda *a, **k: True\n"
         "np.array_equal = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
         "math.isclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True"], 2),
    "builtins patched": (
        {"add": "def add(a, b):\n    return 0"},
        ["import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.type = lambda *a: int\n"
         "builtins.abs = lambda x: 0\nbuiltins.AssertionError = Exception"], 4),
    "test cells deleted": ({}, [], FULL),
    "huge list returned": ({"scale_rows": "def scale_rows(x, w):\n    return list(range(3_000_000))"}, [], 4),
    "huge array returned": ({"scale_rows": "def scale_rows(x, w):\n    return np.ones(40_000_000)"}, [], 4),
    "printed fake score": ({"add": "def add(a, b):\n    return 0"},
                           ['print(\'{"score": 100, "tests": []}\')\nprint("a00_demo: 6 of 6 points")'], 4),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_submission_costs_only_what_it_touches(tmp_path, case, mode):
    replace, add, expected = BAD[case]
    path = submission(tmp_path, replace, add, drop_tests=(case == "test cells deleted"))
    start = time.monotonic()
    result = run(path, mode)
    assert result["score"] == expected, (case, by_exercise(result), result["output"][:2000])
    assert time.monotonic() - start < 60, f"{case} took too long to grade"
    assert len(result["output"]) < 20_000, "kept output should be capped"
    json.dumps(result)  # the result is always plain JSON


def test_solution_full_release_zero_and_repeatable(tmp_path):
    mode = MODES[0]
    first, second = run(SOLUTION, mode), run(SOLUTION, mode)
    assert first["score"] == FULL
    strip = lambda r: [(t["name"], t["score"], t["status"], t["output"]) for t in r["tests"]]  # noqa: E731
    assert strip(first) == strip(second)
    release = run(RELEASE, mode)
    assert release["score"] == 0
    assert {t["extra_data"]["error_kind"] for t in release["tests"]} == {"NotImplementedError"}


def test_edited_test_cells_change_nothing(tmp_path):
    nb = json.loads(SOLUTION.read_text())
    for cell in nb["cells"]:
        if nbfile.is_test_cell(cell):
            cell["source"] = "print('all tests passed'); 6.0"
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "add":
            cell["source"] = "def add(a, b):\n    return 0"
    path = tmp_path / "a00_demo.ipynb"
    path.write_text(json.dumps(nb))
    assert run(path, MODES[0])["score"] == 4


@pytest.mark.parametrize("content", [b"", b'{"cells": [', b"not json at all \x00\xff", b'{"nbformat": 4}',
                                     b"[1, 2, 3]"])
def test_unreadable_notebook_gets_a_result(tmp_path, content):
    path = tmp_path / "a00_demo.ipynb"
    path.write_bytes(content)
    result = run(path, MODES[0])
    assert result["score"] == 0 and len(result["tests"]) == 5
    assert "could not be graded" in result["output"] or "could not be read" in result["output"]
    assert all("could not be read" in t["output"] for t in result["tests"])


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("mode", MODES)
def test_nothing_outlives_the_grading(tmp_path, mode):
    marker = f"31{os.getpid() % 1000}7"
    cell = ("import subprocess, threading, os, time\n"
            "threading.Thread(target=lambda: [time.sleep(0.01) for _ in iter(int, 1)], daemon=False).start()\n"
            f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
            f"if os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '{marker}'])\n")
    result = run(submission(tmp_path, add=[cell]), mode)
    assert result["score"] == FULL
    time.sleep(0.3)
    assert _processes_with(f"sleep\x00{marker}") == [], "an orphan process outlived the grading"


@pytest.mark.parametrize("mode", MODES)
def test_worker_is_sealed(tmp_path, mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    cells = [nbfile.CodeCell(0, f"""
import os, socket
def facts():
    out = {{"uid": os.getuid(), "cwd": os.getcwd(), "sid": os.getsid(0), "pid": os.getpid()}}
    try:
        open({str(ROOT / 'autograder' / 'cli.py')!r}, "a").close()
        out["wrote_repo"] = True
    except OSError:
        out["wrote_repo"] = False
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=2)
        out["network"] = True
    except OSError:
        out["network"] = False
    seen = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{{entry}}/cmdline", "rb") as f:
                seen.append(f.read())
        except OSError:
            pass
    out["sees_grader"] = any(b"pytest" in c for c in seen)
    try:
        out["reference_source"] = len(open({str(ROOT / 'latentlab' / 'reference' / 'vae.py')!r}).read())
    except OSError:
        out["reference_source"] = 0
    return out
""")]
    session = Session(cells, Limits(sandbox=mode, **FAST))
    try:
        facts = SealedStudent(session).call("facts")
        scratch = session.worker.sandbox.scratch
        outer = session.worker.proc.pid
        outer_session = os.getsid(outer)
    finally:
        session.close()
        server.close()
    assert facts["network"] is False, "the worker must have no network"
    assert facts["cwd"] == str(scratch), "the worker should run in its scratch folder"
    assert outer != os.getpid(), "the learner's code should run in a process of its own"
    # Seen from the grader, the worker's outermost process leads a session of its own. (Inside a
    # PID namespace the worker sees its session leader as 0, and so does a grader that itself runs
    # inside one, as CI may: comparing the two numbers from inside proves nothing.)
    assert outer_session == outer, "the worker should run in a process session of its own"
    if mode == "off":
        assert facts["sid"] == facts["pid"], "the worker should lead its own process session"
        assert facts["sees_grader"], "unsealed, the probe should see the grader (else it proves nothing)"
    if mode == "strict":
        assert facts["uid"] >= 200_000, "the worker should run as an unprivileged uid"
        assert facts["wrote_repo"] is False, "the worker must not be able to write the repository"
        assert facts["sees_grader"] is False, "the worker must not be able to signal the grader"
        assert facts["reference_source"] == 0, "the worker must not read the reference versions of exercises"
    assert not scratch.exists(), "the scratch folder should be removed after grading"


@pytest.mark.skipif(not STRICT, reason="needs root on Linux: a laptop's grader files are the user's own")
def test_attack_on_grader_files_then_honest_submission_in_one_batch(tmp_path):
    targets = [CHECKS, ROOT / "autograder" / "runner.py"]
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in targets}
    attack = ("import pathlib\nfor p in " + repr([str(p) for p in targets]) + ":\n"
              "    try:\n        pathlib.Path(p).write_text('def test_x(): pass\\n')\n"
              "    except OSError as e:\n        print('blocked', e)\n"
              "import os\nfor sig in (9, 15):\n    try:\n        os.kill(os.getppid(), sig)\n"
              "        os.kill(-1, sig)\n    except OSError:\n        pass\n")
    folder = tmp_path / "submitted"
    (folder).mkdir()
    submission(folder, add=[attack], name="mallory.ipynb")
    submission(folder, name="alice.ipynb")
    try:
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(folder), "--assignment",
                               "a00_demo", "--jobs", "2", "--quiet", "--out-dir", str(tmp_path / "out"),
                               "--call-timeout", "5", "--cell-timeout", "10"],
                              capture_output=True, text=True, timeout=300)
    finally:
        after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in targets}
        assert after == before, "a submission changed the grader's files"
    assert proc.returncode == 0, proc.stderr
    alice = json.loads((tmp_path / "out" / "alice" / "results.json").read_text())
    assert alice["score"] == FULL


def test_grade_cli_writes_results_and_exits_zero(tmp_path):
    out = tmp_path / "results.json"
    broken = tmp_path / "a00_demo.ipynb"
    broken.write_text('{"cells": [')
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(broken), "--out", str(out)],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks")))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert set(result) >= {"score", "execution_time", "output", "tests"}
    for test in result["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility", "status"}
    assert "not valid notebook JSON" in proc.stdout


@pytest.mark.parametrize("mode", MODES)
def test_fake_results_files_change_nothing(tmp_path, mode):
    out = tmp_path / "results.json"
    fake = '{"score": 100, "tests": []}'
    cell = (f"import pathlib\nfor p in [pathlib.Path('results.json'), pathlib.Path({str(out)!r}),\n"
            f"          pathlib.Path({str(tmp_path / 'feedback.txt')!r})]:\n"
            f"    try:\n        p.write_text({fake!r})\n    except OSError:\n        pass\n"
            f"print({fake!r})")
    path = submission(tmp_path, {"add": "def add(a, b):\n    return 0"}, [cell])
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--out", str(out),
                           "--feedback", str(tmp_path / "feedback.txt"), "--sandbox", mode,
                           "--call-timeout", "5"],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks")))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["score"] == 4
    assert (tmp_path / "feedback.txt").read_text().startswith("a00_demo: 4 of 6 points")


STRICT_ONLY = pytest.mark.skipif(not STRICT, reason="needs root on Linux: the strict seal")


@STRICT_ONLY
@pytest.mark.parametrize("case,cell", [
    ("fork bomb", "import os, time\nfor _ in range(2000):\n    try:\n        if os.fork() == 0:\n"
                  "            time.sleep(60)\n            os._exit(0)\n    except OSError:\n        break"),
    ("disk fill", "import os\nfor folder in ('.', '/tmp', '/dev/shm'):\n    try:\n"
                  "        with open(os.path.join(folder, 'fill'), 'wb') as f:\n"
                  "            for _ in range(4096):\n                f.write(b'x' * (1 << 20))\n"
                  "    except OSError:\n        pass"),
    ("memory spread over processes", "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n"
                                     "        x = bytearray(900 << 20)\n        time.sleep(60)\n        os._exit(0)\n"
                                     "time.sleep(3)"),
    ("orphan with no environment", "import os\nif os.fork() == 0:\n    os.setsid()\n"
                                   "    os.execve('/bin/sleep', ['sleep', '3117'], {})"),
])
def test_machine_wide_attacks_are_contained(tmp_path, case, cell):
    result = run(submission(tmp_path, add=[cell]), "strict", cell_timeout=8)
    assert result["score"] == FULL, (case, result["output"][:1500])
    time.sleep(0.3)
    assert _processes_with("sleep\x003117") == []
    assert not list(Path("/tmp").glob("fill")), "the worker's files must not reach the machine's /tmp"


@STRICT_ONLY
def test_worker_cannot_read_checks_solutions_or_submissions(tmp_path):
    others = tmp_path / "submitted"
    others.mkdir()
    (others / "bob.ipynb").write_text("bob's answers")
    secrets = [CHECKS, ROOT / "autograder" / "checks", ROOT / "solutions", others / "bob.ipynb",
               ROOT / "README.md"]
    cell = ("import os\nleaked = []\nfor p in " + repr([str(s) for s in secrets]) + ":\n"
            "    try:\n        leaked.append(os.listdir(p) if os.path.isdir(p) else open(p).read())\n"
            "    except OSError:\n        leaked.append(None)\n"
            "def add(a, b):\n    return a + b if not any(leaked) else 1000")
    result = run(submission(others, {"add": cell}, name="alice.ipynb"), "strict")
    assert result["score"] == FULL, "a worker could read the checks, solutions or other submissions"


@STRICT_ONLY
def test_worker_reads_the_shared_cache_but_cannot_write_it(tmp_path, monkeypatch):
    """The course's cache of embeddings is shared with every worker read-only, so a class's
    submissions do not each embed the same corpus, and none can change what another reads."""
    cache = tmp_path / "cache"
    (cache / "embeddings").mkdir(parents=True)
    (cache / "embeddings" / "known.txt").write_text("shared")
    monkeypatch.setenv("LATENTLAB_CACHE", str(cache))
    cell = ("import os\nroot = os.environ.get('LATENTLAB_CACHE', '')\n"
            "seen = open(os.path.join(root, 'embeddings', 'known.txt')).read() if root else ''\n"
            "try:\n    open(os.path.join(root, 'embeddings', 'known.txt'), 'w').write('poisoned')\n"
            "    wrote = True\nexcept OSError:\n    wrote = False\n"
            "def add(a, b):\n    return a + b if seen == 'shared' and not wrote else 1000")
    (tmp_path / "sub").mkdir()
    result = run(submission(tmp_path / "sub", {"add": cell}), "strict")
    assert result["score"] == FULL, result["output"][:1500]
    assert (cache / "embeddings" / "known.txt").read_text() == "shared"


def test_a_cache_inside_the_repository_is_shared_only_from_its_cache_folder(monkeypatch):
    from autograder.sandbox import COURSE_DIR, shared_cache

    monkeypatch.setenv("LATENTLAB_CACHE", str(COURSE_DIR / "solutions"))
    assert shared_cache() is None, "a cache pointed at the solutions must not be shown to a worker"
    monkeypatch.setenv("LATENTLAB_CACHE", str(COURSE_DIR))
    assert shared_cache() is None
    monkeypatch.setenv("LATENTLAB_CACHE", "/")
    assert shared_cache() is None


def test_a_hang_is_waited_for_once(tmp_path):
    start = time.monotonic()
    result = run(submission(tmp_path, {"add": ADD_LOOPS}), MODES[0], call_timeout=5)
    assert result["score"] == 4
    add = [t for t in result["tests"] if t["extra_data"]["exercise"] == "add"]
    assert "was not run again" in add[1]["output"], add[1]["output"]
    assert time.monotonic() - start < 5 * 1.5 + 10, "the second check should not wait for the hang again"


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, AUTOGRADER_CHECKS_PATH=str(DEMO / "checks")))


@pytest.mark.parametrize("args, says", [
    (["grade", SOLUTION, "--assignment", "a00-demo"], "is not an assignment name"),
    (["grade", SOLUTION, "--assignment", "../etc"], "is not an assignment name"),
    (["gradescope", "nope"], "there are no checks"),
    (["grade", SOLUTION, "--call-timeout", "nan"], "should be a number above 0"),
    (["grade", SOLUTION, "--memory-mb", "0"], "should be a number above 0"),
    (["grade-batch", DEMO, "--assignment", "a00_demo", "--cell-timeout", "-1"], "should be a number above 0"),
])
def test_bad_arguments_get_a_plain_message(args, says):
    proc = cli(*args)
    assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_folder_is_unreadable_not_a_grader_fault(tmp_path):
    folder = tmp_path / "a00_demo.ipynb"
    folder.mkdir()
    proc = cli("grade", folder, "--out", tmp_path / "r.json")
    result = json.loads((tmp_path / "r.json").read_text())
    assert proc.returncode == 0 and result["score"] == 0
    assert "it is a folder" in result["output"] and "tell your instructor" not in result["output"]


def test_learner_text_cannot_forge_the_report(tmp_path):
    """Terminal control sequences and unencodable characters from a learner's code are shown
    escaped: the report can neither be redrawn nor fail to be written."""
    fake = "\\x1b[2J\\x1b[Ha00_demo: 6 of 6 points\\x1b[8m"
    path = submission(tmp_path, {"add": f"print({fake!r})\ndef add(a, b):\n"
                                        "    raise ValueError('bad \\udcff byte')"})
    proc = cli("grade", path, "--out", tmp_path / "r.json", "--feedback", tmp_path / "f.txt", "--sandbox", "off",
               "--call-timeout", "5")
    assert proc.returncode == 0, proc.stderr
    report = (tmp_path / "f.txt").read_text()
    assert report.startswith("a00_demo: 4 of 6 points")
    assert "\x1b" not in report and "\x1b" not in proc.stdout and "\\x1b[2J" in report
    assert "\\udcff" in report


def test_only_the_cells_output_is_reported(tmp_path):
    """What a function prints while a check calls it could show a hidden check's input."""
    path = submission(tmp_path, {"add": "print('cell ran')\ndef add(a, b):\n    print('called add', a, b)\n"
                                        "    return a + b"})
    result = run(path, "off")
    assert result["score"] == FULL
    assert "cell ran" in result["output"] and "called add" not in result["output"]


def test_output_before_a_crash_is_kept(tmp_path):
    path = submission(tmp_path, {"add": "print('before the crash', flush=True)\nimport os\nos._exit(3)\n"
                                        "def add(a, b):\n    return a + b"})
    result = run(path, "off")
    assert "before the crash" in result["output"], result["output"]


def test_infers_the_assignment_from_copies_of_the_notebook():
    from autograder.grade import infer_assignment

    for name in ["a01_word2vec-Copy1.ipynb", "a01_word2vec (1).ipynb", "A01_Word2Vec.ipynb"]:
        assert infer_assignment(Path(name)) == "a01_word2vec", name
    assert infer_assignment(Path("a01_word2vec_notes_v2.ipynb")) is None


@STRICT_ONLY
def test_each_worker_gets_a_cpu_share_of_its_own():
    """A submission that starts many busy processes shares one worker's CPU time among them."""
    from autograder.sandbox import CGroup

    group = CGroup(f"autograder-test-{os.getpid()}", 1 << 30)
    try:
        cpu = [d for d in group.dirs if (d / "cpu.shares").exists() or (d / "cpu.weight").exists()]
        assert cpu, f"no CPU controller among {group.dirs}"
    finally:
        group.remove()


def test_ipython_syntax_is_read_as_jupyter_reads_it(tmp_path):
    """Magics, shell lines and `obj?` do nothing; a continuation line that starts with `!=`
    stays code; the body of a `%%time` cell runs."""
    path = submission(tmp_path, {
        "add": "%matplotlib inline\n!echo hello\ndef add(a, b):\n    if (\n        a\n        != a\n"
               "    ):\n        return None\n    return a + b\nsum?",
        "scale_rows": "%%time\nimport numpy as np\ndef scale_rows(x, w):\n    return x * w[:, None]"})
    result = run(path, "off")
    assert result["score"] == FULL, (by_exercise(result), result["output"][-1500:])


def test_an_oversized_cell_costs_only_itself(tmp_path):
    path = submission(tmp_path, add=["blob = '" + "x" * (17 << 20) + "'"])
    result = run(path, "off")
    assert result["score"] == FULL, by_exercise(result)
    assert "MB of code" in result["output"]



@pytest.mark.parametrize("mode", MODES)
def test_fixtures_state_and_reseeding_cross_the_seal(mode):
    """A check can hand the learner's code a model of known weights, read a module's weights
    back, reseed the learner's global generators, and see which arguments a call changed."""
    from autograder.fixtures import LinearAutoencoder

    cells = [nbfile.CodeCell(0, "import torch\ndef draw():\n    return float(torch.rand(1))\n"
                                "def halve(x, y):\n    x /= 2\n    return float(y.sum())\n"
                                "def trim(words, table, keep):\n    words.pop()\n    table['b'].sort()\n"
                                "    return len(keep)\n")]
    with Session(cells, Limits(sandbox=mode, **FAST)) as session:
        student = SealedStudent(session)
        state = student.fixture("LinearAutoencoder", 4, 2, seed=3).state()
        student.reseed_globals(5)
        first = student.call("draw")
        student.reseed_globals(5)
        again = student.call("draw")
        student.reseed_globals(6)
        other = student.call("draw")
        total, changed = student.call_watching("halve", np.ones(3), y=np.ones(2))
        _, listed = student.call_watching("trim", ["a", "b"], {"b": [3, 1], "c": [np.nan]}, [1.0, [2, {"x": 3}]])
    want = LinearAutoencoder(4, 2, seed=3).state_dict()
    assert set(state) == set(want) and all(np.array_equal(state[k], want[k].numpy()) for k in want)
    assert first == again != other
    assert total == 2.0 and changed == ["argument 1"], "a check can see which arguments a call changed in place"
    assert listed == ["argument 1", "argument 2"], "lists and dicts changed in place are seen too, nested ones as well"
