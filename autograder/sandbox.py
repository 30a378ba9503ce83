"""Where and as whom a sealed worker runs, from the strongest seal the machine allows.

- "strict" (root on Linux with namespaces): a uid of its own, no network, its own PID
  namespace (everything it starts dies with it) and mount namespace, in which the course
  repository, the checks, the submissions and the grader's output are hidden, /proc, /tmp,
  /dev/shm and the scratch folder are private and size-limited, and a cgroup caps the
  memory and the number of processes of the whole worker tree.
- "uid" (root without namespaces, e.g. in some containers): a uid of its own and the cgroup.
- "off" (anyone else, e.g. a laptop): a process session and scratch folder of its own,
  resource limits, sockets refused from Python. The learner runs as the grader's own user.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.confine import (
    MAX_PROCESSES,
    CGroup,
    allocate_uid,
    kill_uid,
    live_uid_of,
    pids,
    sweep_stale_cgroups,
)
from autograder.refusal import reference_dir

PRIVATE_TMP = "256m"
PACKAGE_DIR = Path(__file__).resolve().parent
COURSE_DIR = PACKAGE_DIR.parent
LEVELS = ("strict", "uid", "off")


def _others_can_enter(path: Path) -> bool:
    return bool(os.stat(path).st_mode & 0o001)


def _closed_ancestors(paths) -> list[Path]:
    """Folders an unprivileged user cannot enter on the way to `paths` (e.g. /root)."""
    closed = []
    for path in paths:
        for parent in reversed(Path(path).resolve().parents):
            if parent != Path("/") and not _others_can_enter(parent):
                closed.append(parent)
                break
    return closed


def _under(path: Path, folders) -> bool:
    return any(f == path or f in path.parents for f in folders)


def _outermost(paths) -> list[Path]:
    """The paths that are not inside another of them, shortest first."""
    ordered = sorted(set(paths), key=lambda p: len(p.parts))
    out: list[Path] = []
    for path in ordered:
        if not _under(path, out):
            out.append(path)
    return out


PRIVATE = {Path("/tmp"): f"mode=1777,size={PRIVATE_TMP}", Path("/dev/shm"): "mode=1777,size=64m"}


STAGE_BASES = ("/run", "/var/tmp", "/var/lib", "/opt", "/mnt")
# A worker's scratch and staging folders carry the grader's pid, so that a later grading can tell
# the ones whose grader was killed before it could remove them.
LEFT_BEHIND = re.compile(r"autograder-(?:stage-)?(\d+)-[a-z0-9_]+")


def _stage_base(hidden) -> str:
    """A root-writable folder outside every hidden one, for the namespace's staging mounts."""
    for base in STAGE_BASES:
        path = Path(base)
        if path.is_dir() and os.access(path, os.W_OK) and not _under(path, hidden):
            return base
    raise RuntimeError("no folder outside the hidden ones to stage the worker's mounts in")


def _needed_paths() -> list[Path]:
    """What the worker must see: the interpreter, its packages, autograder and latentlab."""
    import numpy

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent,
             Path(numpy.__file__).resolve().parent.parent, PACKAGE_DIR, COURSE_DIR / "latentlab"]
    return sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts))


def shared_cache(hide=()) -> Path | None:
    """The course's cache of computed results (the retrieval chapter's embeddings), which a worker
    may read, so that 300 submissions do not each embed the same corpus, but never write. None
    when there is none, or when it holds or lies in anything the worker must not see (inside the
    repository, only its .cache folder may be shared)."""
    from latentlab.data import cache_dir

    path = cache_dir().resolve()
    secret = [COURSE_DIR, *_checks_dirs(), *(Path(h).resolve() for h in hide)]
    if not path.is_dir() or any(_under(s, [path]) for s in secret):
        return None
    if _under(path, [COURSE_DIR]) and not _under(path, [COURSE_DIR / ".cache"]):
        return None
    if any(_under(path, [s]) for s in secret[1:]):
        return None
    return path


def _checks_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("AUTOGRADER_CHECKS_PATH", "").split(os.pathsep) if p]
    return [d.resolve() for d in [PACKAGE_DIR / "checks", *extra] if d.is_dir()]


def probe(level: str) -> bool:
    """Whether a worker can start at `level` on this machine."""
    if level == "off":
        return True
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    if level == "strict" and not (shutil.which("unshare") and shutil.which("mount")):
        return False
    box = Sandbox(level, memory_bytes=1 << 30)
    try:
        proc = subprocess.run(box.command([sys.executable, "-c", "import numpy, autograder.worker"]),
                              cwd=box.scratch, env=box.env(), capture_output=True, timeout=60)
        return proc.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        box.cleanup()


_BEST: str | None = None


def best_level() -> str:
    """The strongest level this machine allows (probed once per process)."""
    global _BEST
    if _BEST is None:
        _BEST = next(level for level in LEVELS if probe(level))
    return _BEST


def sweep_left_behind(level: str) -> None:
    """Remove what killed gradings left: the scratch and staging folders of graders that no
    longer run and (as root) the cgroups of uids that no grading holds. Nothing of theirs runs
    any more, since every process of a worker dies with its grader."""
    for base in {tempfile.gettempdir(), *STAGE_BASES}:
        try:
            found = list(Path(base).glob("autograder-*"))
        except OSError:
            continue
        for path in found:
            match = LEFT_BEHIND.fullmatch(path.name)
            if match and int(match[1]) != os.getpid() and live_uid_of(int(match[1])) is None:
                shutil.rmtree(path, ignore_errors=True)
    if level != "off":
        sweep_stale_cgroups()


_SWEPT = False


class Sandbox:
    """One worker's scratch folder, uid, cgroup and command line at a given level."""

    def __init__(self, level: str, memory_bytes: int, hide=()):
        global _SWEPT
        if not _SWEPT:  # once per grader
            _SWEPT = True
            sweep_left_behind(level)
        self.level = level
        self.scratch = Path(tempfile.mkdtemp(prefix=f"autograder-{os.getpid()}-"))
        self._stages: list[Path] = []
        self.token = f"{os.getpid()}-{time.monotonic_ns()}"
        system = [Path(p) for p in ("/usr", "/bin", "/lib", "/etc", "/sbin", "/dev", "/proc")]
        self.hide = [p for p in (Path(h).resolve() for h in hide)
                     if p.is_dir() and not any(s == p or p in s.parents for s in system)]
        self.uid, self._lock = allocate_uid() if level != "off" else (None, None)
        self.cgroup = CGroup(f"autograder-{self.uid}", memory_bytes) if level != "off" else None
        if self.uid is not None:
            os.chown(self.scratch, self.uid, self.uid)
        os.chmod(self.scratch, 0o700)

    def env(self) -> dict:
        threads = os.environ.get("AUTOGRADER_THREADS", "2")
        env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TZ") if k in os.environ}
        env.update(HOME=str(self.scratch), TMPDIR=str(self.scratch), MPLBACKEND="Agg",
                   MPLCONFIGDIR=str(self.scratch / ".mpl"), NUMBA_CACHE_DIR=str(self.scratch / ".numba"),
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",
                   PYTHONPATH=str(COURSE_DIR), AUTOGRADER_WORKER=self.token,
                   OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
        cache = shared_cache(self.hide)
        if cache is not None:
            env["LATENTLAB_CACHE"] = str(cache)  # read-only under the strict seal, else not the worker's
        if self.level == "off":
            env["AUTOGRADER_SOCKETS"] = "refuse"
        else:
            env["AUTOGRADER_NPROC"] = str(MAX_PROCESSES)
        return env

    def _hidden(self) -> list[Path]:
        """Folders covered by an empty (or private) tmpfs in the worker's mount namespace."""
        return _outermost({COURSE_DIR, *self.hide, *_closed_ancestors(_needed_paths()), *PRIVATE})

    def _mount_script(self) -> list[str]:
        """Shell lines, run as root inside the new mount namespace, that hide what the worker
        must not read and expose only what it needs."""
        q = shlex.quote
        needed, hidden = _needed_paths(), self._hidden()
        cache = shared_cache(self.hide)
        readable = [*needed, cache] if cache is not None else needed
        stage = Path(tempfile.mkdtemp(prefix=f"autograder-stage-{os.getpid()}-", dir=_stage_base(hidden)))
        self._stages.append(stage)
        lines = ["set -e"]
        for i, path in enumerate(readable):  # keep a handle on what the worker needs, then hide
            lines += [f"mkdir -p {q(str(stage / str(i)))}", f"mount --bind {q(str(path))} {q(str(stage / str(i)))}"]
        for path in hidden:
            options = PRIVATE.get(path, "mode=755,size=1m")
            lines.append(f"mount -t tmpfs -o {options} hidden {q(str(path))}")
        for i, path in enumerate(readable):
            lines += [f"mkdir -p {q(str(path))}", f"mount --bind {q(str(stage / str(i)))} {q(str(path))}"]
        if cache is not None:
            lines.append(f"mount -o remount,bind,ro {q(str(cache))}")
        for path in _checks_dirs():
            if _under(path, needed) or not _under(path, hidden):
                lines.append(f"mount -t tmpfs -o mode=755,size=1m hidden {q(str(path))}")
        if reference_dir().is_dir():  # the course's reference answers read as an empty folder
            lines.append(f"mount -t tmpfs -o mode=755,size=1m hidden {q(str(reference_dir()))}")
        lines += [f"mkdir -p {q(str(self.scratch))}",
                  f"mount -t tmpfs -o mode=700,size={PRIVATE_TMP},uid={self.uid},gid={self.uid} scratch "
                  f"{q(str(self.scratch))}",
                  f"cd {q(str(self.scratch))}"]
        return lines

    def command(self, argv: list[str]) -> list[str]:
        """`argv` wrapped in the cgroup, namespaces and uid of this level."""
        if self.level == "off":
            return argv
        # --pdeathsig: SIGKILL when the parent ends (set after the uid changes, which clears it)
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--no-new-privs",
                "--pdeathsig", "KILL", "--"]
        prefix = self.cgroup.enter_prefix() if self.cgroup else []
        if self.level == "uid":
            return [*prefix, *drop, *argv]
        script = "\n".join([*self._mount_script(), 'exec ' + " ".join(drop) + ' "$@"'])
        # unshare itself dies with the grader; its child, the worker, dies with unshare (--kill-child
        # and the worker's own parent-death signal), and with it the whole PID namespace
        return [*prefix, "setpriv", "--pdeathsig", "KILL", "--", "unshare", "--net", "--mount", "--propagation",
                "private", "--pid", "--fork", "--kill-child", "--mount-proc", "--", "/bin/sh", "-c", script,
                "worker", *argv]

    def kill_all(self) -> None:
        """SIGKILL every process this worker started, wherever it went."""
        if self.uid is not None:
            kill_uid(self.uid)
        marker = f"AUTOGRADER_WORKER={self.token}".encode()
        for pid in pids():
            if pid == os.getpid():
                continue
            try:
                if marker in Path(f"/proc/{pid}/environ").read_bytes():
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def cleanup(self) -> None:
        self.kill_all()
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.scratch, ignore_errors=True)
        for stage in self._stages:
            shutil.rmtree(stage, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
