"""The course's autograder: pytest checks run against each learner's own code.

`check(assignment, exercise)` runs them in a notebook; `python -m autograder` grades sealed.
"""

from autograder.notebook import check

__all__ = ["check"]
