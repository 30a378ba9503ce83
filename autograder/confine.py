"""What confines a worker on the machine.

The grader's side: a uid of its own under a lock, a cgroup capping its memory, processes and
CPU share, and the killing of every process of a uid. The worker's side, before any learner
code runs: resource limits, death with its parent, and (unsealed) no sockets.
"""

from __future__ import annotations

import fcntl
import os
import resource
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

UID_BASE = 200_000
UID_SPAN = 100_000
MAX_PROCESSES = 128


def _uid_lock_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "autograder-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _lock_uid(uid: int) -> int | None:
    """The fd of `uid`'s lock file, locked; None when another grading holds it."""
    fd = os.open(_uid_lock_dir() / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def allocate_uid() -> tuple[int, int]:
    """A uid no other grading on this machine holds (under a lock file), and the lock's fd."""
    start = (os.getpid() * 7919 + time.monotonic_ns()) % UID_SPAN
    for i in range(UID_SPAN):
        uid = UID_BASE + (start + i) % UID_SPAN
        fd = _lock_uid(uid)
        if fd is not None:
            kill_uid(uid)  # anything a crashed grading left behind under this uid
            return uid, fd
    raise RuntimeError("no free uid for a grading worker")


def pids() -> list[int]:
    try:
        return [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []


def live_uid_of(pid: int) -> int | None:
    """The real uid of process `pid`; None when it is gone or a zombie (which runs no code, and
    which a PID namespace's init can stay for a second or more while the namespace is torn down)."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":" in line)
        if fields.get("State", "").split()[:1] in (["Z"], ["X"]):
            return None
        return int(fields["Uid"].split()[0])
    except (OSError, ValueError, IndexError, KeyError):
        return None


def kill_uid(uid: int) -> None:
    """SIGKILL every live process of `uid`, until none is left."""
    for _ in range(20):
        victims = [p for p in pids() if live_uid_of(p) == uid]
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _cgroup_parents(memory_bytes: int = 0) -> list[tuple[Path, dict, dict]]:
    """The folders this process may make cgroups in (v2, or each v1 controller it is in), with the
    limits a worker's cgroup gets there and the optional settings (only where delegated)."""
    own = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for c in controllers.split(",") if controllers else ["unified"]:
                own[c] = path
    except (OSError, ValueError):
        return []
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists() and "unified" in own:  # v2
        return [(root / own["unified"].lstrip("/"), {"memory.max": memory_bytes, "pids.max": MAX_PROCESSES},
                 {"cpu.weight": 100})]
    return [(root / controller / own[controller].lstrip("/"), limits, {})  # v1
            for controller, limits in (("memory", {"memory.limit_in_bytes": memory_bytes}),
                                       ("pids", {"pids.max": MAX_PROCESSES}), ("cpu", {"cpu.shares": 1024}))
            if controller in own]


def sweep_stale_cgroups() -> None:
    """Remove the cgroups of gradings that were killed before they could: those whose uid no
    grading holds (its lock is free). They are empty, since every process of a worker dies with
    its grader."""
    for parent, _, _ in _cgroup_parents():
        try:
            stale = [d for d in parent.glob("autograder-*") if d.name.split("-", 1)[1].isdigit()]
        except OSError:
            continue
        for group in stale:
            try:
                fd = _lock_uid(int(group.name.split("-", 1)[1]))
            except OSError:
                continue
            if fd is None:  # a running grading's
                continue
            try:
                group.rmdir()
            except OSError:
                pass
            finally:
                os.close(fd)


class CGroup:
    """A cgroup (v1 or v2, where this process may create one) capping memory and processes,
    and giving each worker an equal share of the CPU (a worker that starts many busy processes
    shares one worker's time among them, and cannot starve a neighbour's grading)."""

    def __init__(self, name: str, memory_bytes: int):
        self.dirs: list[Path] = []
        for parent, limits, optional in _cgroup_parents(memory_bytes):
            self._make(parent / name, limits, optional)

    def _make(self, folder: Path, limits: dict, optional: dict | None = None) -> None:
        try:
            try:
                folder.mkdir()
            except FileExistsError:  # left by a grading that was killed: its uid is ours now
                folder.rmdir()
                folder.mkdir()
            for key, value in limits.items():
                (folder / key).write_text(str(value))
            self.dirs.append(folder)
        except OSError:
            try:
                folder.rmdir()
            except OSError:
                pass
            return
        for key, value in (optional or {}).items():  # only where the parent delegates it
            try:
                (folder / key).write_text(str(value))
            except OSError:
                pass

    def enter_prefix(self) -> list[str]:
        """A command prefix that moves itself into the cgroup, then runs the rest."""
        if not self.dirs:
            return []
        moves = "; ".join(f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in self.dirs)
        return ["/bin/sh", "-c", f'{moves}; exec "$@"', "cgroup"]

    def remove(self) -> None:
        for folder in self.dirs:
            for _ in range(40):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
        self.dirs = []


# the worker's side


def limit_resources(memory_bytes: int) -> None:
    """Cap the worker's memory and file sizes before any learner code runs."""
    if memory_bytes > 0:
        for name in ("RLIMIT_AS", "RLIMIT_DATA"):
            if hasattr(resource, name):
                resource.setrlimit(getattr(resource, name), (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))
    nproc = int(os.environ.get("AUTOGRADER_NPROC", "0"))
    if nproc and os.getuid() != 0:  # counts the processes of this worker's own uid
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the process that started this one ends (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def refuse_sockets() -> None:
    """Where the grader could not give the worker its own network namespace: refuse sockets."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("the network is not available while grading")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
