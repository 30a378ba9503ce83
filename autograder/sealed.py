"""The sealed `student` handle: the submission runs in a separate, limited worker process.

The worker is started fresh (a new interpreter, never a fork), in its own process session,
in a scratch folder. Where the grader runs as root on Linux it is sealed harder: its own
unprivileged uid (it cannot write the repository or signal the grader), its own network
namespace with no interfaces, its own PID namespace (everything it starts dies with it) and
its own mount namespace. Elsewhere (a laptop) the same code runs with the softer fallback.
Every call has a time limit; the worker is always ended with SIGKILL.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass, field

from autograder import nbfile, wire
from autograder.api import Student, StudentError
from autograder.local import raise_error, unwrap, wrap
from autograder.sandbox import LEVELS, Sandbox, best_level, probe


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
    hide: tuple = ()  # folders the worker must not see (the submissions, the grader's output)


class WorkerTimeout(Exception):
    """The worker did not answer within its time limit (it has been killed)."""


class WorkerDied(Exception):
    """The worker process ended (crash, os._exit, memory limit, signal)."""


class Worker:
    """One worker process and its two pipes; `request` sends a message and waits for the reply."""

    def __init__(self, limits: Limits, level: str, id_base: int, preimport=()):
        self.limits = limits
        self._kill_lock, self._killed = threading.Lock(), False
        self.sandbox = Sandbox(level, limits.memory_bytes, limits.hide)
        env = self.sandbox.env()
        env["AUTOGRADER_PREIMPORT"] = ",".join(preimport)
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        argv = [sys.executable, "-m", "autograder.worker", str(to_r), str(from_w), str(id_base),
                str(limits.memory_bytes)]
        self.output = bytearray()
        self.dropped = 0
        self.proc = subprocess.Popen(
            self.sandbox.command(argv), pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.sandbox.scratch,
            env=env, start_new_session=True)
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
        """End the worker and everything it started, with SIGKILL (once, from any thread)."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
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

    def settle_output(self, timeout: float = 0.5) -> None:
        """Wait until what the worker has written so far has reached `output`: its prints come
        down a pipe of their own, and may trail the reply they preceded."""
        deadline = time.monotonic() + timeout
        count = bytearray(4)
        while time.monotonic() < deadline:
            try:
                fcntl.ioctl(self.proc.stdout.fileno(), termios.FIONREAD, count)
            except (OSError, ValueError):
                break
            if not int.from_bytes(count, sys.byteorder):
                break
            time.sleep(0.005)
        time.sleep(0.01)  # the reader appends what it has just read

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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ready: bool = False  # the live worker has run the cells
    _closed: bool = False
    _printed: list = field(default_factory=list)  # what each run of the cells printed

    def _levels(self) -> tuple[str, ...]:
        """The sandbox levels to try, strongest first (the first that starts is kept)."""
        if self.mode:
            return (self.mode,)
        return {"off": ("off",), "strict": ("strict",)}.get(self.limits.sandbox, LEVELS)

    def start_in_background(self, go: threading.Event) -> None:
        """Start the worker now (it imports the notebook's libraries) and run the cells once
        `go` is set, when the grader has loaded its checks."""
        def warm_up():
            try:
                with self._lock:
                    self._new_worker()
                go.wait()
                self.ensure()
            except Exception:  # noqa: BLE001 - the first call meets the same problem and reports it
                go.wait()

        threading.Thread(target=warm_up, daemon=True).start()

    def ensure(self) -> Worker:
        """A live worker that has run the submission's cells; started or restarted as needed."""
        with self._lock:
            return self._ensure()

    def _ensure(self) -> Worker:
        if self.worker is not None and self.worker.alive and self._ready:
            return self.worker
        while True:  # each pass marks one more cell as hanging or crashing, so this ends
            if self._closed:
                if self.worker is not None:
                    self.worker.kill()
                raise WorkerDied("the grading is over")
            if self.worker is None or not self.worker.alive:
                if self.worker is not None:
                    self.worker.kill()
                if self.remaining() <= 0:
                    raise WorkerDied("the whole grading ran out of time")
                self._new_worker()
            self._ready = False
            worker, start = self.worker, len(self.worker.output)
            try:
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
                    self._ready = True
                    return self.worker
            finally:
                worker.settle_output()
                self._printed.append((bytes(worker.output[start:]), worker.dropped))

    def _new_worker(self) -> None:
        """Start a worker at the strongest level that starts here (probing costs nothing extra)."""
        levels = self._levels()
        for level in levels:
            self.generation += 1
            try:
                self.worker = Worker(self.limits, level, id_base=self.generation * 10_000_000,
                                     preimport=nbfile.preimports(self.cells))
            except WorkerDied:
                if level == levels[-1] or probe(level):  # a passing failure: never seal less for it
                    raise
                continue
            self.mode = level
            return

    def remaining(self) -> float:
        """Seconds left of the whole grading's time limit."""
        return self.limits.total_timeout - (time.monotonic() - self.started_at)

    def _run_cell(self, cell) -> CellOutcome:
        limit = min(self.limits.cell_timeout, self.remaining())
        if limit <= 0:
            return CellOutcome(cell.index, "timeout", "the whole grading ran out of time before it ran")
        if len(cell.source.encode("utf-8", "surrogatepass")) > wire.MAX_HEADER // 2:
            return CellOutcome(cell.index, "error", f"the cell holds {len(cell.source) >> 20} MB of code, more "
                                                    "than a notebook cell may; keep data in files, not in code")
        try:
            reply = self.worker.request({"op": "cell", "source": cell.source, "index": cell.index}, limit)
        except WorkerTimeout:
            return CellOutcome(cell.index, "timeout", f"it ran longer than {limit:.0f} s and was stopped")
        except WorkerDied as exc:
            return CellOutcome(cell.index, "died", str(exc))
        if "error" in reply:
            err = reply["error"]
            return CellOutcome(cell.index, "error", f"{err.get('kind')}: {err.get('message', '')}")
        return CellOutcome(cell.index, "ok")

    def close(self) -> None:
        """End the grading's worker now, even while another thread is using it."""
        self._closed = True
        if self.worker is not None:
            self.worker.kill()

    def output(self) -> str:
        """What the submission's cells printed while they ran (each run, when a crash or a
        hang made the grader run them again); not what checks made its functions print, which
        could show a hidden check's inputs."""
        runs = []
        for raw, dropped in self._printed:
            text = raw.decode("utf-8", "replace")
            if dropped:
                text += f"\n[... {dropped} more bytes of output were dropped]"
            runs.append(text)
        return "\n[the cells ran again, after the Python process running them was restarted]\n".join(
            r for r in runs if r.strip())


class SealedStudent(Student):
    """The checks' handle on a submission that runs in a sealed worker process."""

    def __init__(self, session: Session):
        self.session = session
        self.timeout: float | None = None
        self.hung: dict[str, str] = {}  # what timed out once is not waited for again

    def set_timeout(self, seconds):
        self.timeout = seconds

    def _invoke(self, mode, target, name, args, kwargs):
        what = name if target is None else f"{target.type_name}.{name}"
        if what in self.hung:
            raise StudentError(what, "Timeout", f"{self.hung[what]} in an earlier check, so it was not run again")
        if self.session.remaining() <= 0:
            raise StudentError(what, "Timeout", "the whole grading ran out of time")
        try:
            worker = self.session.ensure()
        except WorkerDied as exc:
            raise StudentError(what, "WorkerDied", f"your code could not be started again: {exc}") from None
        limit = min(self.timeout or self.session.limits.call_timeout, self.session.remaining())
        message = {"op": "call", "mode": mode, "target": unwrap(target), "name": name,
                   "args": unwrap(tuple(args)), "kwargs": unwrap(dict(kwargs))}
        try:
            reply = worker.request(message, limit)
        except WorkerTimeout:
            self.hung[what] = f"it ran longer than {limit:.0f} s and was stopped"
            raise StudentError(what, "Timeout", self.hung[what]) from None
        except WorkerDied as exc:
            raise StudentError(what, "WorkerDied", str(exc)) from None
        if "error" in reply:
            raise_error(reply["error"])
        return wrap(reply.get("value"), self)


def strict_sandbox_available() -> bool:
    """Whether workers here run at the strict level (own uid and namespaces)."""
    return best_level() == "strict"
