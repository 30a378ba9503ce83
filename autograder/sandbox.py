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

import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UID_BASE = 200_000
UID_SPAN = 100_000
MAX_PROCESSES = 128
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


def _stage_base(hidden) -> str:
    """A root-writable folder outside every hidden one, for the namespace's staging mounts."""
    for base in ("/run", "/var/tmp", "/var/lib", "/opt", "/mnt"):
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


# The course package's reference versions of exercises (the book's pages use them): graded
# code may not import them, and at the strict level it cannot read their files either.
REFERENCE_MODULES = ("latentlab.vae", "latentlab.autoencoders")


def _reference_files() -> list[Path]:
    """The source and byte-code files of REFERENCE_MODULES."""
    files = []
    for module in REFERENCE_MODULES:
        stem = module.rsplit(".", 1)[1]
        folder = COURSE_DIR / "latentlab"
        files += [folder / f"{stem}.py", *sorted((folder / "__pycache__").glob(f"{stem}.*.pyc"))]
    return [f for f in files if f.is_file()]


def _checks_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("AUTOGRADER_CHECKS_PATH", "").split(os.pathsep) if p]
    return [d.resolve() for d in [PACKAGE_DIR / "checks", *extra] if d.is_dir()]


def _uid_lock_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "autograder-uids"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def allocate_uid() -> tuple[int, int]:
    """A uid no other grading on this machine holds (under a lock file), and the lock's fd."""
    folder = _uid_lock_dir()
    start = (os.getpid() * 7919 + time.monotonic_ns()) % UID_SPAN
    for i in range(UID_SPAN):
        uid = UID_BASE + (start + i) % UID_SPAN
        fd = os.open(folder / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
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


class CGroup:
    """A cgroup (v1 or v2, where this process may create one) capping memory and processes,
    and giving each worker an equal share of the CPU (a worker that starts many busy processes
    shares one worker's time among them, and cannot starve a neighbour's grading)."""

    def __init__(self, name: str, memory_bytes: int):
        self.dirs: list[Path] = []
        own = {}
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                for c in controllers.split(",") if controllers else ["unified"]:
                    own[c] = path
        except (OSError, ValueError):
            return
        root = Path("/sys/fs/cgroup")
        if (root / "cgroup.controllers").exists() and "unified" in own:  # v2
            self._make(root / own["unified"].lstrip("/") / name,
                       {"memory.max": memory_bytes, "pids.max": MAX_PROCESSES}, {"cpu.weight": 100})
        else:  # v1
            for controller, limits in (("memory", {"memory.limit_in_bytes": memory_bytes}),
                                       ("pids", {"pids.max": MAX_PROCESSES}),
                                       ("cpu", {"cpu.shares": 1024})):
                if controller in own:
                    self._make(root / controller / own[controller].lstrip("/") / name, limits)

    def _make(self, folder: Path, limits: dict, optional: dict | None = None) -> None:
        try:
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


class Sandbox:
    """One worker's scratch folder, uid, cgroup and command line at a given level."""

    def __init__(self, level: str, memory_bytes: int, hide=()):
        self.level = level
        self.scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
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
                   AUTOGRADER_REFERENCE_MODULES=",".join(REFERENCE_MODULES),
                   OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
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
        stage = Path(tempfile.mkdtemp(prefix="autograder-stage-", dir=_stage_base(hidden)))
        self._stages.append(stage)
        lines = ["set -e"]
        for i, path in enumerate(needed):  # keep a handle on what the worker needs, then hide
            lines += [f"mkdir -p {q(str(stage / str(i)))}", f"mount --bind {q(str(path))} {q(str(stage / str(i)))}"]
        for path in hidden:
            options = PRIVATE.get(path, "mode=755,size=1m")
            lines.append(f"mount -t tmpfs -o {options} hidden {q(str(path))}")
        for i, path in enumerate(needed):
            lines += [f"mkdir -p {q(str(path))}", f"mount --bind {q(str(stage / str(i)))} {q(str(path))}"]
        for path in _checks_dirs():
            if _under(path, needed) or not _under(path, hidden):
                lines.append(f"mount -t tmpfs -o mode=755,size=1m hidden {q(str(path))}")
        for path in _reference_files():
            lines.append(f"mount --bind /dev/null {q(str(path))}")
        lines += [f"mkdir -p {q(str(self.scratch))}",
                  f"mount -t tmpfs -o mode=700,size={PRIVATE_TMP},uid={self.uid},gid={self.uid} scratch "
                  f"{q(str(self.scratch))}",
                  f"cd {q(str(self.scratch))}"]
        return lines

    def command(self, argv: list[str]) -> list[str]:
        """`argv` wrapped in the cgroup, namespaces and uid of this level."""
        if self.level == "off":
            return argv
        drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--no-new-privs", "--"]
        prefix = self.cgroup.enter_prefix() if self.cgroup else []
        if self.level == "uid":
            return [*prefix, *drop, *argv]
        script = "\n".join([*self._mount_script(), 'exec ' + " ".join(drop) + ' "$@"'])
        return [*prefix, "unshare", "--net", "--mount", "--propagation", "private", "--pid", "--fork",
                "--kill-child", "--mount-proc", "--", "/bin/sh", "-c", script, "worker", *argv]

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
