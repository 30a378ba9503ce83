"""The sealed worker: runs a submission's code cells and answers calls, plain data only.

Started by `autograder.process` as `python -m autograder.worker IN_FD OUT_FD ID_BASE MEMORY`,
with its output going to a pipe the grader reads. It holds the learner's namespace; the
checks stay in the grader's process and reach it only through `autograder.wire` messages.

Two threads. The main thread runs the learner's code, one request at a time. The listener
reads every message from the grader and hands requests to the main thread; it also
- interrupts the main thread when the grader asks (a request ran out of time), and reports
  where in the learner's code it was;
- enforces each request's time limit itself, a little after the grader would, so that a
  grader that is gone or stuck cannot leave the worker running;
- ends the worker, and every process it started, the moment the grader's end of the pipe
  closes (the grader ended, however it ended).
The kernel's parent-death signal covers the case where neither thread can run.
"""

from __future__ import annotations

import os
import queue
import select
import signal
import sys
import threading
import time

from autograder import confine
from autograder.calls import Interrupted

SELF_LIMIT_GRACE = 10.0  # seconds past a request's limit before the worker stops it itself
SELF_KILL_GRACE = 5.0  # and then before it ends itself, if the learner's code will not stop


def end_everything() -> None:
    """End this worker and every process it started, now."""
    try:
        if os.environ.get("AUTOGRADER_NPROC"):  # a uid of its own: every process of it is ours
            os.kill(-1, signal.SIGKILL)
        else:  # the grader's own uid: only the processes that carry this worker's mark
            marker = f"AUTOGRADER_WORKER={os.environ.get('AUTOGRADER_WORKER', '-')}".encode()
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if int(pid) != os.getpid() and marker in open(f"/proc/{pid}/environ", "rb").read():
                        os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
    except OSError:
        pass
    os._exit(0)


class Hung(Exception):
    """Raised instead of running a learner function that ran past its limit before."""


def _stub(reason: str):
    def hung(*args, **kwargs):
        raise Hung(reason)

    hung.autograder_hung = True
    return hung


def patch_hung(namespace: dict, hung: dict) -> None:
    """Replace each learner function named in `hung` (a qualified name such as `f` or
    `VAE.forward`) by one that raises `Hung` at once."""
    for qualname, reason in hung.items():
        *path, name = str(qualname).split(".")
        owner = namespace
        try:
            for part in path:
                owner = owner[part] if owner is namespace else getattr(owner, part)
            current = owner.get(name) if owner is namespace else getattr(owner, name, None)
            if current is not None and not getattr(current, "autograder_hung", False):
                if owner is namespace:
                    namespace[name] = _stub(str(reason))
                else:
                    setattr(owner, name, _stub(str(reason)))
        except Exception:  # noqa: BLE001 - not defined (yet), or an object that refuses attributes
            continue


def learner_stack(frame) -> list[dict]:
    """Where in the learner's cells `frame` is, innermost first: {"cell", "function", "line"}."""
    out = []
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<cell ") or name.startswith("<%%"):
            cell = int(name[6:-1]) if name.startswith("<cell ") and name[6:-1].isdigit() else -1
            out.append({"cell": cell, "function": frame.f_code.co_qualname, "line": frame.f_lineno})
        frame = frame.f_back
    return out[:20]


class Channel:
    """The worker's side of the pipes, its inbox, and the state of the request it runs."""

    def __init__(self, in_fd: int, out_fd: int):
        self.in_fd, self.out_fd = in_fd, out_fd
        self.inbox: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.rid = None  # the request the main thread is running
        self.started = self.limit = 0.0
        self.stop_requested = False
        self.stack: list = []
        self.main = threading.main_thread().ident
        self.pid = os.getpid()

    def send(self, message: dict) -> None:
        from autograder import wire

        if os.getpid() != self.pid:  # a forked copy of the learner's process never speaks
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        wire.send(self.out_fd, message)

    def interrupt(self, rid) -> None:
        """Stop the main thread's request `rid` where it is, remembering where that was."""
        with self.lock:
            if self.rid is None or self.rid != rid or self.stop_requested:
                return
            self.stack = learner_stack(sys._current_frames().get(self.main))
            self.stop_requested = True
            signal.pthread_kill(self.main, signal.SIGUSR1)

    def on_signal(self, signum, frame) -> None:
        if self.stop_requested and self.rid is not None:
            raise Interrupted()

    def listen(self) -> None:
        """The listener thread's loop (see the module's docstring)."""
        from autograder import wire

        try:
            while True:
                ready, _, _ = select.select([self.in_fd], [], [], 0.5)
                if ready:
                    message = wire.receive(self.in_fd)
                    if message.get("op") == "interrupt":
                        self.interrupt(message.get("id"))
                    elif message.get("op") in ("cell", "call"):
                        self.inbox.put(message)
                    else:
                        break
                self._enforce_limit()
        except BaseException:  # noqa: BLE001 - the grader is gone, or sent garbage
            pass
        end_everything()

    def _enforce_limit(self) -> None:
        rid, late = self.rid, time.monotonic() - self.started - self.limit
        if rid is not None and late > SELF_LIMIT_GRACE:
            self.interrupt(rid)
            if late > SELF_LIMIT_GRACE + SELF_KILL_GRACE:
                end_everything()


def main(argv: list[str]) -> int:
    in_fd, out_fd, id_base, memory = int(argv[0]), int(argv[1]), int(argv[2]), int(argv[3])
    os.set_inheritable(in_fd, False)
    os.set_inheritable(out_fd, False)
    confine.die_with_parent()
    confine.limit_resources(memory)
    if os.environ.get("AUTOGRADER_SOCKETS") == "refuse":
        confine.refuse_sockets()
    from autograder.refusal import RefuseImports

    sys.meta_path.insert(0, RefuseImports())
    from autograder import nbfile
    from autograder.calls import error_record, execute
    from autograder.plain import Objects

    namespace: dict = nbfile.ipython_stub({"__name__": "__main__", "__builtins__": __builtins__})
    objects = Objects(start=id_base)
    channel = Channel(in_fd, out_fd)

    def forked_child() -> None:
        """A process the learner forked must never speak the protocol: close it off."""
        for fd in (in_fd, out_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    os.register_at_fork(after_in_child=forked_child)
    signal.signal(signal.SIGUSR1, channel.on_signal)
    for name in filter(None, os.environ.get("AUTOGRADER_PREIMPORT", "").split(",")):
        try:  # libraries the notebook imports anyway, loaded while the grader loads its checks
            __import__(name)
        except Exception:  # noqa: BLE001 - the learner's own import will meet it and report it
            pass
    channel.send({"ready": True})
    threading.Thread(target=channel.listen, daemon=True, name="autograder-listener").start()
    while True:
        request = channel.inbox.get()
        rid = request.get("id")
        try:
            try:
                patch_hung(namespace, request.get("hung") or {})
                with channel.lock:
                    channel.rid, channel.started = rid, time.monotonic()
                    channel.limit, channel.stop_requested = float(request.get("limit", 60)), False
                if request["op"] == "cell":
                    try:
                        code = compile(request["source"], f"<cell {request['index']}>", "exec")
                        exec(code, namespace)  # noqa: S102 - running the submission is the point
                        reply = {"ok": True}
                    except Interrupted:
                        raise
                    except BaseException as exc:  # noqa: BLE001 - SystemExit too: record it, go on
                        reply = {"error": error_record(f"cell {request['index']}", exc)}
                else:
                    reply = execute(namespace, objects, request)
            finally:
                with channel.lock:
                    channel.rid = None
        except Interrupted:
            with channel.lock:
                channel.rid = None
            reply = {"interrupted": True, "stack": channel.stack}
        reply["id"] = rid
        try:
            channel.send(reply)
        except (TypeError, ValueError) as exc:
            channel.send({"id": rid, "error": {"what": str(request.get("name", "the cell")), "kind": "NotPlainData",
                                               "trace": "", "message": str(exc)}})


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (EOFError, BrokenPipeError):
        pass
    os._exit(0)
