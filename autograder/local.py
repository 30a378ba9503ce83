"""The `student` handle in the notebook: the learner's own namespace, in this process."""

from __future__ import annotations

from autograder.api import Handle, HandleRef, Student, StudentError
from autograder.calls import Objects, execute


def wrap(value, student):
    """Turn HandleRefs inside plain data into Handles bound to `student`."""
    t = type(value)
    if t is HandleRef:
        return Handle(student, value)
    if t is list or t is tuple:
        items = [wrap(v, student) for v in value]
        return items if t is list else tuple(items)
    if t is dict:
        return {k: wrap(v, student) for k, v in value.items()}
    return value


def unwrap(value):
    """Turn Handles inside a check's arguments into HandleRefs."""
    t = type(value)
    if t is Handle:
        return value.ref
    if t is list or t is tuple:
        items = [unwrap(v) for v in value]
        return items if t is list else tuple(items)
    if t is dict:
        return {k: unwrap(v) for k, v in value.items()}
    return value


def raise_error(err: dict):
    """Raise the StudentError an error record describes."""
    if not isinstance(err, dict):
        err = {"what": "?", "kind": "BadReply", "message": "the reply was not an error record"}
    raise StudentError(*(str(err.get(key, "")) for key in ("what", "kind", "message", "trace")))


class LocalStudent(Student):
    """Calls go straight to the notebook's namespace; results are copied to plain data.

    There is no time limit here: a self-study learner sees a hang and can interrupt it.
    """

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.objects = Objects()

    def _invoke(self, mode, target, name, args, kwargs):
        reply = execute(self.namespace, self.objects, mode, unwrap(target), name,
                        unwrap(args), unwrap(kwargs))
        if "error" in reply:
            raise_error(reply["error"])
        return wrap(reply["value"], self)
