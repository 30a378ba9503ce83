"""The sealed `student` handle: the submission runs in a separate, limited worker process.

The worker is started fresh (a new interpreter, never a fork), in its own process session,
in a scratch folder. Where the grader runs as root on Linux it is sealed harder: its own
unprivileged uid (it cannot write the repository or signal the grader), its own network
namespace with no interfaces, its own PID namespace (everything it starts dies with it) and
its own mount namespace. Elsewhere (a laptop) the same code runs with the softer fallback.
Every call has a time limit; the worker is always ended with SIGKILL.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder import wire
from autograder.api import Handle, Student, StudentError
from autograder.local import raise_error, unwrap, wrap

UID_BASE = 200_000


@dataclass
class Limits:
    """The worker's limits; flags of `python -m autograder grade` override them."""

    call_timeout: float = 60.0
    cell_timeout: float = 120.0
    memory_bytes: int = 4 << 30
    output_bytes: int = 1 << 20
    startup_timeout: float = 60.0
    total_timeout: float = 900.0
    sandbox: str = "auto"  # "auto": the strongest available; "strict": fail without it; "off"


class WorkerTimeout(Exception):
    """The worker did not answer within its time limit (it has been killed)."""


class WorkerDied(Exception):
    """The worker process ended (crash, os._exit, memory limit, signal)."""


def _readable_by_others(path: Path) -> bool:
    return bool(os.stat(path).st_mode & 0o001)


def _hidden_ancestors(paths) -> dict[Path, Path]:
    """For each path an unprivileged user cannot reach: {closed folder: child to expose}."""
    closed: dict[Path, Path] = {}
    for path in paths:
        path = Path(path).resolve()
        for parent in reversed(path.parents):
            if parent == Path("/"):
                continue
            if not _readable_by_others(parent):
                child = path if parent == path else Path(parent, path.relative_to(parent).parts[0])
                closed.setdefault(parent, child)
                break
    return closed


def _needed_paths() -> list[Path]:
    import numpy

    return [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent,
            Path(__file__).resolve().parent.parent, Path(numpy.__file__).resolve().parent.parent]


_STRICT_OK: bool | None = None


def strict_sandbox_available() -> bool:
    """Whether this machine can run the worker under its own uid and namespaces."""
    global _STRICT_OK
    if _STRICT_OK is None:
        _STRICT_OK = (sys.platform.startswith("linux") and os.geteuid() == 0
                      and all(shutil.which(t) for t in ("unshare", "setpriv", "mount")))
        if _STRICT_OK:
            box = Sandbox(strict=True)
            try:
                proc = subprocess.run(box.command([sys.executable, "-c", "import numpy"]),
                                      cwd=box.scratch, env=box.env(), capture_output=True,
                                      timeout=60)
                _STRICT_OK = proc.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                _STRICT_OK = False
            finally:
                box.cleanup()
    return _STRICT_OK


_counter = 0


class Sandbox:
    """Where and as whom one worker runs: scratch folder, uid, namespaces."""

    def __init__(self, strict: bool):
        global _counter
        _counter += 1
        self.strict = strict
        self.scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
        self.stage = Path(tempfile.mkdtemp(prefix="autograder-stage-"))
        self.token = f"{os.getpid()}-{_counter}-{time.monotonic_ns()}"
        self.uid = UID_BASE + (os.getpid() % 100_000) * 16 + _counter % 16
        if strict:
            os.chown(self.scratch, self.uid, self.uid)
        os.chmod(self.scratch, 0o700)

    def env(self) -> dict:
        keep = ("PATH", "LANG", "LC_ALL", "TZ")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update(HOME=str(self.scratch), TMPDIR=str(self.scratch), MPLBACKEND="Agg",
                   MPLCONFIGDIR=str(self.scratch / ".mpl"), NUMBA_CACHE_DIR=str(self.scratch / ".numba"),
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",
                   AUTOGRADER_WORKER=self.token, PYTHONPATH=str(Path(__file__).resolve().parent.parent),
                   OMP_NUM_THREADS=os.environ.get("AUTOGRADER_THREADS", "2"),
                   MKL_NUM_THREADS=os.environ.get("AUTOGRADER_THREADS", "2"))
        if not self.strict:
            env["AUTOGRADER_SOCKETS"] = "refuse"
        return env

    def command(self, argv: list[str]) -> list[str]:
        """`argv` wrapped in namespaces and an unprivileged uid (strict), or as it is."""
        if not self.strict:
            return argv
        lines = ["set -e"]
        for i, (closed, child) in enumerate(_hidden_ancestors(_needed_paths()).items()):
            keep = self.stage / str(i)
            lines += [f"mkdir -p '{keep}'", f"mount --bind '{child}' '{keep}'",
                      f"mount -t tmpfs -o mode=755,size=1m latentlab '{closed}'",
                      f"mkdir -p '{child}'", f"mount --bind '{keep}' '{child}'"]
        lines.append(f'exec setpriv --reuid={self.uid} --regid={self.uid} --clear-groups '
                     '--no-new-privs -- "$@"')
        return ["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--fork",
                "--kill-child", "--", "/bin/sh", "-c", "\n".join(lines), "worker", *argv]

    def kill_all(self) -> None:
        """SIGKILL every process this worker started, wherever it went."""
        for _ in range(5):
            found = False
            for pid in _pids():
                if pid == os.getpid():
                    continue
                if (self.strict and _uid_of(pid) == self.uid) or self._carries_token(pid):
                    found = True
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            if not found:
                return
            time.sleep(0.05)

    def _carries_token(self, pid: int) -> bool:
        try:
            return f"AUTOGRADER_WORKER={self.token}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False

    def cleanup(self) -> None:
        self.kill_all()
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.stage, ignore_errors=True)


def _pids() -> list[int]:
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []


def _uid_of(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class Worker:
    """One worker process and its two pipes; `request` sends a message and waits for the reply."""

    def __init__(self, limits: Limits, strict: bool, id_base: int):
        self.limits = limits
        self.sandbox = Sandbox(strict)
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        argv = [sys.executable, "-m", "autograder.worker", str(to_r), str(from_w), str(id_base),
                str(limits.memory_bytes)]
        self.output = bytearray()
        self.dropped = 0
        self.proc = subprocess.Popen(
            self.sandbox.command(argv), pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.sandbox.scratch,
            env=self.sandbox.env(), start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._next_id = 0
        try:
            hello = self._receive(time.monotonic() + limits.startup_timeout)
            if not hello.get("ready"):
                raise wire.ProtocolError("no greeting")
        except (EOFError, OSError, wire.ProtocolError, WorkerTimeout):
            self.kill()
            said = bytes(self.output).decode("utf-8", "replace").strip()[-1000:]
            raise WorkerDied(f"the Python process for your code could not start. {said}") from None

    def _drain(self) -> None:
        """Keep the first `output_bytes` of the worker's output; read and drop the rest."""
        stream = self.proc.stdout
        while True:
            chunk = stream.read1(1 << 16)
            if not chunk:
                return
            room = self.limits.output_bytes - len(self.output)
            self.output += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def request(self, message: dict, timeout: float) -> dict:
        """Send `message`; the reply, or WorkerTimeout / WorkerDied (the worker is then dead)."""
        self._next_id += 1
        message["id"] = self._next_id
        deadline = time.monotonic() + timeout
        try:
            self._send(wire.dumps(message), deadline)
            reply = self._receive(deadline)
        except WorkerTimeout:
            self.kill()
            raise
        except (EOFError, OSError, wire.ProtocolError) as exc:
            self.kill()
            raise WorkerDied(self._death(exc)) from None
        if reply.get("id") != self._next_id:
            self.kill()
            raise WorkerDied("it answered out of turn")
        return reply

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self._to_w], [], left)[1]:
                raise WorkerTimeout()
            view = view[os.write(self._to_w, view[:1 << 16]):]

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._from_r], [], [], wait)[0]:
                raise WorkerTimeout()
            chunk = os.read(self._from_r, min(left, 1 << 20))
            if not chunk:
                raise EOFError()
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float) -> dict:
        (size,) = wire._LEN.unpack(self._read(8, deadline))
        if size > wire.MAX_MESSAGE:
            raise wire.ProtocolError(f"a reply of {size} bytes is too large")
        return wire.loads(self._read(size, deadline))

    def _death(self, exc) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if isinstance(exc, wire.ProtocolError):
            return f"it sent a malformed reply ({exc})"
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = " (the memory limit?)" if -code in (signal.SIGKILL, signal.SIGSEGV) else ""
            return f"the process was ended by {name}{hint}"
        if code is not None and code != 0:
            return f"the process exited with code {code} (os._exit or a crash)"
        return "the process exited (os._exit(0), or the memory limit)"

    def kill(self) -> None:
        """End the worker and everything it started, with SIGKILL."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        self.sandbox.kill_all()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._to_w, self._from_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_w = self._from_r = -1
        self._reader.join(timeout=2)
        self.sandbox.cleanup()

    @property
    def alive(self) -> bool:
        return self._to_w >= 0 and self.proc.poll() is None


@dataclass
class CellOutcome:
    """What happened to one code cell of the submission."""

    index: int
    status: str  # "ok", "error", "timeout", "died"
    message: str = ""


@dataclass
class Session:
    """The submission's worker over a whole grading: started lazily, restarted after a crash.

    A restart replays the cells that finished before (not the ones that hung or crashed),
    so one broken exercise costs its own checks and nothing else.
    """

    cells: list
    limits: Limits = field(default_factory=Limits)
    outcomes: dict = field(default_factory=dict)
    worker: Worker | None = None
    generation: int = 0
    started_at: float = field(default_factory=time.monotonic)
    mode: str = ""

    def _strict(self) -> bool:
        if self.limits.sandbox == "off":
            return False
        ok = strict_sandbox_available()
        if self.limits.sandbox == "strict" and not ok:
            raise RuntimeError("the strict sandbox is not available on this machine")
        return ok

    def ensure(self) -> Worker:
        """A live worker that has run the submission's cells; started or restarted as needed."""
        if self.worker is not None and self.worker.alive:
            return self.worker
        strict = self._strict()
        self.mode = "strict" if strict else "fallback"
        while True:  # each pass marks one more cell as hanging or crashing, so this ends
            if self.worker is not None:
                self.worker.kill()
            self.generation += 1
            self.worker = Worker(self.limits, strict, id_base=self.generation * 10_000_000)
            for cell in self.cells:
                previous = self.outcomes.get(cell.index)
                if previous is not None and previous.status in ("timeout", "died"):
                    continue
                outcome = self._run_cell(cell)
                if previous is None or outcome.status in ("timeout", "died"):
                    self.outcomes[cell.index] = outcome
                if outcome.status in ("timeout", "died"):
                    break
            else:
                return self.worker

    def _run_cell(self, cell) -> CellOutcome:
        try:
            reply = self.worker.request({"op": "cell", "source": cell.source, "index": cell.index},
                                        self.limits.cell_timeout)
        except WorkerTimeout:
            return CellOutcome(cell.index, "timeout", f"it ran longer than {self.limits.cell_timeout:g} s and was stopped")
        except WorkerDied as exc:
            return CellOutcome(cell.index, "died", str(exc))
        if "error" in reply:
            err = reply["error"]
            return CellOutcome(cell.index, "error", f"{err.get('kind')}: {err.get('message', '')}")
        return CellOutcome(cell.index, "ok")

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()

    def output(self) -> str:
        if self.worker is None:
            return ""
        text = bytes(self.worker.output).decode("utf-8", "replace")
        if self.worker.dropped:
            text += f"\n[... {self.worker.dropped} more bytes of output were dropped]"
        return text


class SealedStudent(Student):
    """The checks' handle on a submission that runs in a sealed worker process."""

    def __init__(self, session: Session):
        self.session = session
        self.timeout: float | None = None

    def set_timeout(self, seconds):
        self.timeout = seconds

    def _invoke(self, mode, target, name, args, kwargs):
        what = name if target is None else f"{target.type_name}.{name}"
        elapsed = time.monotonic() - self.session.started_at
        if elapsed > self.session.limits.total_timeout:
            raise StudentError(what, "Timeout", "the whole grading ran out of time")
        try:
            worker = self.session.ensure()
        except WorkerDied as exc:
            raise StudentError(what, "WorkerDied", f"your code could not be started again: {exc}") from None
        limit = self.timeout or self.session.limits.call_timeout
        message = {"op": "call", "mode": mode, "target": unwrap(target), "name": name,
                   "args": unwrap(tuple(args)), "kwargs": unwrap(dict(kwargs))}
        try:
            reply = worker.request(message, limit)
        except WorkerTimeout:
            raise StudentError(what, "Timeout", f"it ran longer than {limit:g} s and was stopped") from None
        except WorkerDied as exc:
            raise StudentError(what, "WorkerDied", str(exc)) from None
        if "error" in reply:
            raise_error(reply["error"])
        return wrap(reply.get("value"), self)


__all__ = ["Limits", "Session", "SealedStudent", "Handle", "strict_sandbox_available"]
