"""The course's reference answers, and the one rule that keeps them out of graded code.

`latentlab/reference/` holds working versions of graded exercises, for the book's pages.
Graded code may not use them: everything under that folder, as a module or as a file, is
refused, wherever the learner's code runs.

- `refused_object(obj)` (calls): an exercise that is one of the reference objects earns nothing;
- `RefuseImports` (the sealed worker): the reference modules cannot be imported;
- `reference_dir()` (the strict sandbox): the folder is covered by an empty one, so its
  files cannot be read either;
- the Gradescope bundle leaves the folder out.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = "latentlab.reference"
COURSE_DIR = Path(__file__).resolve().parent.parent


def reference_dir() -> Path:
    """The folder of the reference package (derived from PACKAGE)."""
    return COURSE_DIR.joinpath(*PACKAGE.split("."))


def is_reference_module(name) -> bool:
    """Whether the module called `name` belongs to the reference package."""
    return isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + "."))


def refused_object(name: str, obj) -> str | None:
    """Why the learner's `name` may not be graded (it is a reference answer), or None."""
    home = getattr(obj, "__module__", None)
    if not is_reference_module(home):
        return None
    return (f"`{name}` is the course's own {home}.{getattr(obj, '__name__', name)}, imported rather than "
            "written: the exercise is to write it yourself, in a code cell of the notebook")


class RefuseImports:
    """A module finder (first on sys.meta_path) that refuses the reference package."""

    def find_spec(self, fullname, path=None, target=None):
        if is_reference_module(fullname):
            raise ImportError(f"{fullname} holds the course's reference versions of exercises; graded "
                              "code has to be your own, so it cannot be imported here", name=fullname)
        return None
