"""The `student` handle in the notebook: the learner's own namespace, in this process."""

from __future__ import annotations

from autograder import plain
from autograder.calls import execute
from autograder.student import Student


class LocalStudent(Student):
    """Calls go straight to the notebook's namespace; results are copied to plain data.

    There is no time limit here: a self-study learner sees a hang and can interrupt it.
    `refuse_reference=False` lets the project's own tests grade the course's reference answers.
    """

    def __init__(self, namespace: dict, refuse_reference: bool = True):
        self.namespace = namespace
        self.objects = plain.Objects()
        self.refuse_reference = refuse_reference

    def _request(self, request: dict) -> dict:
        return execute(self.namespace, self.objects, request, self.refuse_reference)
