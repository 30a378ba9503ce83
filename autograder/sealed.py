"""The sealed `student` handle: the checks' view of a submission that runs in a worker.

Every request goes to the session's worker with a time limit (the check's own, or the
default call limit, never past the grading's limit). A request that runs out of time marks
the learner's function it was in as hanging (`Session.mark_hung`); when the worker cannot
say, the function the check called is marked instead. Either way it is not waited for again.
"""

from __future__ import annotations

from autograder.limits import Limits
from autograder.process import WorkerDied, WorkerTimeout
from autograder.sandbox import best_level
from autograder.session import Session
from autograder.student import Student

__all__ = ["Limits", "Session", "SealedStudent", "strict_sandbox_available"]


class SealedStudent(Student):
    """The checks' handle on a submission that runs in a sealed worker process."""

    def __init__(self, session: Session):
        self.session = session
        self.timeout: float | None = None
        self.hung: dict[str, str] = {}  # what a check called that timed out, when no function was named

    def set_timeout(self, seconds):
        self.timeout = seconds

    def out_of_time(self) -> bool:
        return self.session.remaining() <= 0

    def _request(self, request: dict) -> dict:
        what = request["what"]
        if what in self.hung:
            return _error(what, "Hung", self.hung[what])
        if self.out_of_time():
            return _error(what, "Timeout", "not run: the whole grading ran out of time")
        try:
            self.session.ensure()
        except WorkerDied as exc:
            return _error(what, "WorkerDied", f"your code could not be started again: {exc}")
        limit = min(self.timeout or self.session.limits.call_timeout, self.session.remaining())
        try:
            return self.session.request({"op": "call", **request}, limit)
        except WorkerTimeout as exc:
            where = self.session.mark_hung(exc.stack, f"a check of `{what}`", limit)
            if not where:
                self.hung[what] = f"it ran past its time limit ({limit:.0f} s) in an earlier check, so it was not run again"
            return _error(what, "Timeout", f"it ran longer than {limit:.0f} s and was stopped{where}")
        except WorkerDied as exc:
            return _error(what, "WorkerDied", str(exc))


def _error(what: str, kind: str, message: str) -> dict:
    return {"error": {"what": what, "kind": kind, "message": message, "trace": ""}}


def strict_sandbox_available() -> bool:
    """Whether workers here run at the strict level (own uid and namespaces)."""
    return best_level() == "strict"
