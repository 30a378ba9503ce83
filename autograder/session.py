"""A submission's worker over a whole grading: started early, restarted after a crash, and
never past the grading's time limit.

`with Session(cells, limits) as session:` runs the submission's code cells in a worker and
keeps it running for the checks. A restart replays the cells that finished before (not the
ones that hung or crashed). When a cell or a call runs out of time, the learner's function
that was running is marked as hanging: in every later cell and call, in this worker and in
any restarted one, it raises at once instead of running, so one infinite loop costs the
checks that reach it, once, and not one time limit per check.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from autograder import nbfile, wire
from autograder.limits import Limits
from autograder.process import Worker, WorkerDied, WorkerTimeout
from autograder.sandbox import LEVELS, probe


@dataclass
class CellOutcome:
    """What happened to one code cell of the submission."""

    index: int
    status: str  # "ok", "error", "timeout", "died"
    message: str = ""


def hanging_function(stack) -> str | None:
    """The innermost function of the learner's that a hang was in, from a worker's stack
    report; None when the hang was in a cell's top level (or in nothing the grader can name)."""
    for frame in stack:
        name = str(frame.get("function", "")) if isinstance(frame, dict) else ""
        if name and "<" not in name:  # not <module>, <lambda> or <locals>: a name a cell defines
            return name
    return None


@dataclass
class Session:
    """The worker of one grading and what is known about the submission's cells."""

    cells: list
    limits: Limits = field(default_factory=Limits)
    outcomes: dict = field(default_factory=dict)
    hung: dict = field(default_factory=dict)  # learner function -> why it is not run again
    worker: Worker | None = None
    generation: int = 0
    started_at: float = field(default_factory=time.monotonic)
    mode: str = ""
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ready: bool = False  # the live worker has run the cells
    _closed: bool = False
    _printed: list = field(default_factory=list)  # what each run of the cells printed

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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

    def remaining(self) -> float:
        """Seconds left of the whole grading's time limit."""
        return self.limits.total_timeout - (time.monotonic() - self.started_at)

    def ensure(self) -> Worker:
        """A live worker that has run the submission's cells; started or restarted as needed."""
        with self._lock:
            if self.worker is not None and self.worker.alive and self._ready:
                return self.worker
            while True:  # each pass marks one more cell as hanging or crashing, so this ends
                if self._closed:
                    raise WorkerDied("the grading is over")
                if self.worker is None or not self.worker.alive:
                    if self.worker is not None:
                        self.worker.kill()
                    if self.remaining() <= 0:
                        raise WorkerDied("the whole grading ran out of time")
                    self._new_worker()
                if self._run_cells():
                    self._ready = True
                    return self.worker

    def _run_cells(self) -> bool:
        """Run every cell not known to hang or crash; False if the worker was lost on the way."""
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
                if not worker.alive:
                    return False
            return True
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
                                     preimport=nbfile.preimports(self.cells),
                                     startup_timeout=max(1.0, min(self.limits.startup_timeout, self.remaining())))
            except WorkerDied:
                if level == levels[-1] or probe(level):  # a passing failure: never seal less for it
                    raise
                continue
            self.mode = level
            return

    def _run_cell(self, cell) -> CellOutcome:
        limit = min(self.limits.cell_timeout, self.remaining())
        if limit <= 0:
            return CellOutcome(cell.index, "timeout", "the whole grading ran out of time before it ran")
        if len(cell.source.encode("utf-8", "surrogatepass")) > wire.MAX_HEADER // 2:
            return CellOutcome(cell.index, "error", f"the cell holds {len(cell.source) >> 20} MB of code, more "
                                                    "than a notebook cell may; keep data in files, not in code")
        try:
            reply = self.request({"op": "cell", "source": cell.source, "index": cell.index}, limit)
        except WorkerTimeout as exc:
            where = self.mark_hung(exc.stack, f"cell {cell.index + 1}", limit)
            return CellOutcome(cell.index, "timeout", f"it ran longer than {limit:.0f} s and was stopped{where}")
        except WorkerDied as exc:
            return CellOutcome(cell.index, "died", str(exc))
        if "error" in reply:
            err = reply["error"]
            return CellOutcome(cell.index, "error", f"{err.get('kind')}: {err.get('message', '')}")
        return CellOutcome(cell.index, "ok")

    def request(self, message: dict, limit: float) -> dict:
        """Send a request to the live worker, with the learner functions known to hang."""
        message["hung"] = dict(self.hung)
        return self.worker.request(message, limit)

    def mark_hung(self, stack, where: str, limit: float) -> str:
        """Remember the learner's function a hang was in; returns a phrase saying where it was."""
        name = hanging_function(stack)
        if name is None:
            return ""
        self.hung.setdefault(name, f"`{name}` ran past its time limit ({limit:.0f} s) in {where}, so it "
                                   "was not run again")
        return f" while running `{name}`"

    def close(self) -> None:
        """End the grading's worker now, even while another thread is using it."""
        self._closed = True
        if self.worker is not None:
            self.worker.kill()

    def output(self) -> str:
        """What the submission's cells printed while they ran (each run, when a crash made the
        grader run them again); not what checks made its functions print, which could show a
        hidden check's inputs."""
        runs = []
        for raw, dropped in self._printed:
            text = raw.decode("utf-8", "replace")
            if dropped:
                text += f"\n[... {dropped} more bytes of output were dropped]"
            runs.append(text)
        return "\n[the cells ran again, after the Python process running them was restarted]\n".join(
            r for r in runs if r.strip())
