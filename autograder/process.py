"""One sealed worker process, from its start to its end, seen from the grader.

The worker is a fresh interpreter (`python -m autograder.worker`, never a fork) in its own
process session and scratch folder, wrapped in its sandbox (`autograder.sandbox`). The
grader talks to it over two pipes (`autograder.wire`); what it prints goes to a third, of
which the first `output_bytes` are kept.

A request that runs past its time limit is interrupted first: the worker is asked to stop
the learner's code where it is, and says in which of the learner's functions it was. Only
when it does not answer within a grace period is it killed (SIGKILL, with everything it
started). Every process is started from one long-lived thread, so that the kernel's
parent-death signal, which the worker chain sets, fires when the grader ends, not when a
short-lived thread does.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from autograder import wire
from autograder.limits import Limits
from autograder.sandbox import Sandbox

INTERRUPT_GRACE = 3.0  # seconds the worker has to stop the learner's code once asked
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autograder-spawner")


class WorkerTimeout(Exception):
    """A request ran past its time limit. `stack` lists where in the learner's code it was
    (innermost first: {"cell", "function", "line"}), when the worker could say; `alive` says
    whether the worker survived the interruption."""

    def __init__(self, stack=(), alive=False):
        super().__init__("timeout")
        self.stack, self.alive = list(stack), alive


class WorkerDied(Exception):
    """The worker process ended (crash, os._exit, memory limit, signal)."""


class Worker:
    """One worker process; `request` sends a message and waits for its reply."""

    def __init__(self, limits: Limits, level: str, id_base: int, preimport=(), startup_timeout=None):
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
        self.proc = _SPAWNER.submit(
            subprocess.Popen, self.sandbox.command(argv), pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.sandbox.scratch, env=env,
            start_new_session=True).result()
        os.close(to_r)
        os.close(from_w)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._next_id = 0
        try:
            hello = wire.receive(self._from_r, time.monotonic() + (startup_timeout or limits.startup_timeout))
            if not hello.get("ready"):
                raise wire.ProtocolError("no greeting")
        except (EOFError, OSError, wire.ProtocolError, wire.Timeout):
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
        """Send `message` (it carries its time limit to the worker) and return the reply.

        WorkerTimeout when it runs past `timeout` (the worker is alive if the interruption
        worked, else killed); WorkerDied when the worker ends or misbehaves (it is then dead).
        """
        self._next_id += 1
        rid = message["id"] = self._next_id
        message["limit"] = float(timeout)
        deadline = time.monotonic() + timeout
        try:
            wire.send(self._to_w, message, deadline)
            return self._reply(rid, deadline)
        except wire.Timeout:
            return self._interrupt(rid)
        except (EOFError, OSError, wire.ProtocolError) as exc:
            self.kill()
            raise WorkerDied(self._death(exc)) from None

    def _reply(self, rid: int, deadline: float) -> dict:
        reply = wire.receive(self._from_r, deadline)
        if reply.get("id") != rid:
            raise wire.ProtocolError("it answered out of turn")
        return reply

    def _interrupt(self, rid: int) -> dict:
        """Ask the worker to stop the request that ran out of time, and say where it was."""
        try:
            wire.send(self._to_w, {"op": "interrupt", "id": rid}, time.monotonic() + 1)
            reply = self._reply(rid, time.monotonic() + INTERRUPT_GRACE)
        except (wire.Timeout, EOFError, OSError, wire.ProtocolError):
            self.kill()
            raise WorkerTimeout() from None
        if reply.get("interrupted"):
            raise WorkerTimeout(reply.get("stack") or (), alive=True)
        return reply  # it finished just as the limit passed

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
