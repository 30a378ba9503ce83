"""The sealed worker: runs a submission's code cells and answers calls, plain data only.

Started by `autograder.sealed` as `python -m autograder.worker IN_FD OUT_FD ID_BASE MEMORY`
with its output going to a pipe the grader reads. It holds the learner's namespace; the
checks stay in the grader's process and reach it only through `autograder.wire` messages.
"""

from __future__ import annotations

import os
import resource
import sys


def _limit(memory_bytes: int) -> None:
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


def _no_network() -> None:
    """Where the grader could not give the worker its own network namespace: refuse sockets."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError("the network is not available while grading")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse


class _RefuseReferences:
    """A module finder that refuses the course package's reference versions of exercises."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.names:
            raise ImportError(f"{fullname} holds the course's reference versions of exercises; graded "
                              "code has to be your own, so it cannot be imported here", name=fullname)
        return None


def main(argv: list[str]) -> int:
    in_fd, out_fd, id_base, memory = int(argv[0]), int(argv[1]), int(argv[2]), int(argv[3])
    os.set_inheritable(in_fd, False)
    os.set_inheritable(out_fd, False)
    _limit(memory)
    if os.environ.get("AUTOGRADER_SOCKETS") == "refuse":
        _no_network()
    sys.meta_path.insert(0, _RefuseReferences(filter(None, os.environ.get(
        "AUTOGRADER_REFERENCE_MODULES", "").split(","))))

    from autograder import nbfile, wire
    from autograder.calls import Objects, error_record, execute

    namespace: dict = nbfile.ipython_stub({"__name__": "__main__", "__builtins__": __builtins__})
    objects = Objects(start=id_base)

    main_pid = os.getpid()

    def forked_child() -> None:
        """A process the learner forked must never speak the protocol: close it off."""
        for fd in (in_fd, out_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    os.register_at_fork(after_in_child=forked_child)

    def send(message: dict) -> None:
        if os.getpid() != main_pid:  # a forked copy of this loop (however it was forked)
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        wire.write_all(out_fd, wire.dumps(message))

    for name in filter(None, os.environ.get("AUTOGRADER_PREIMPORT", "").split(",")):
        try:  # libraries the notebook imports anyway, loaded while the grader loads its checks
            __import__(name)
        except Exception:  # noqa: BLE001 - the learner's own import will meet it and report it
            pass
    send({"ready": True, "pid": os.getpid()})
    while True:
        (size,) = wire._LEN.unpack(wire.read_exact(in_fd, 8))
        request = wire.loads(wire.read_exact(in_fd, size))
        op, rid = request.get("op"), request.get("id")
        if op == "cell":
            try:
                code = compile(request["source"], f"<cell {request['index']}>", "exec")
                exec(code, namespace)  # noqa: S102 - running the submission is the point
                reply = {"ok": True}
            except BaseException as exc:  # noqa: BLE001 - SystemExit too: record it, go on
                reply = {"error": error_record(f"cell {request['index']}", exc)}
        elif op == "call":
            reply = execute(namespace, objects, request["mode"], request["target"], request["name"],
                            request["args"], request["kwargs"])
        else:
            os._exit(0)
        reply["id"] = rid
        try:
            send(reply)
        except (TypeError, ValueError) as exc:
            send({"id": rid, "error": {"what": str(request.get("name", "the cell")), "kind": "NotPlainData", "trace": "",
                                       "message": str(exc)}})


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (EOFError, BrokenPipeError):
        pass
    os._exit(0)
