"""Read a submitted notebook and pick out the code a grader runs: every code cell but tests."""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
CHECK_CALL = re.compile(r"^\s*(from\s+autograder\b.*|import\s+autograder\b.*|check\(.*\))\s*$")


class UnreadableNotebook(ValueError):
    """The file is not a notebook a grader can read; the message says why, plainly."""


@dataclass(frozen=True)
class CodeCell:
    """A code cell to run: its position among all cells and its source as plain Python."""

    index: int
    source: str


def read(path: Path) -> dict:
    """The notebook at `path` as a dict, or UnreadableNotebook with a plain explanation."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableNotebook(f"the file could not be opened ({exc.strerror})") from None
    if path.is_dir():
        raise UnreadableNotebook("it is a folder, not a notebook file")
    if size == 0:
        raise UnreadableNotebook("the file is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise UnreadableNotebook(f"the file is {size / 2**20:.0f} MiB, larger than a notebook can be here")
    try:
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableNotebook("the file is not text (is it a notebook?)") from None
    except json.JSONDecodeError as exc:
        raise UnreadableNotebook(f"the file is not valid notebook JSON (line {exc.lineno}: "
                                 f"{exc.msg}); was it saved completely?") from None
    except RecursionError:
        raise UnreadableNotebook("the file's JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. a number with more digits than Python converts
        raise UnreadableNotebook(f"the file's JSON could not be read ({exc})") from None
    except OSError as exc:
        raise UnreadableNotebook(f"the file could not be read ({exc.strerror})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    return nb


def _text(source) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def is_test_cell(cell: dict) -> bool:
    """A cell of the assignment's own checks: an nbgrader test cell, or one that only calls check()."""
    meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    nbg = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
    if nbg.get("grade") is True and nbg.get("solution") is not True:
        return True
    lines = [ln for ln in _text(cell.get("source")).splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(CHECK_CALL.match(ln) for ln in lines) and any("check(" in ln for ln in lines)


@functools.lru_cache(maxsize=1)
def _ipython_reader():
    """IPython's own cell transformer, made once per process."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _plain_python(source: str) -> str:
    """The cell as plain Python, the way IPython itself reads it: `%magic`, `!shell` and `obj?`
    become calls on `get_ipython()` (which `ipython_stub` answers), and continuation lines
    such as `!= a` stay as they are."""
    try:
        return _ipython_reader().transform_cell(source)
    except Exception:  # noqa: BLE001 - a cell IPython cannot read fails when it runs, as in Jupyter
        return source


class IPythonStub:
    """What `get_ipython()` gives graded code: magics do nothing, except that the body of a
    `%%time`-like cell magic still runs; shell commands are not run."""

    RUNS_BODY = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        return None

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        if name in self.RUNS_BODY:
            exec(compile(body, f"<%%{name}>", "exec"), self.namespace)  # noqa: S102 - the learner's own cell
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def ipython_stub(namespace: dict) -> dict:
    """`namespace` with a `get_ipython` for cells that `code_cells` turned into plain Python."""
    shell = IPythonStub(namespace)
    namespace["get_ipython"] = lambda: shell
    return namespace


def code_cells(nb: dict) -> list[CodeCell]:
    """The code cells a grader runs, in order: all but test cells, as plain Python."""
    cells = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        source = _text(cell.get("source"))
        if source.strip():
            cells.append(CodeCell(i, _plain_python(source)))
    return cells


# Heavy libraries a worker may import before the submission's cells, while the grader loads
# its checks; only those the notebook imports itself, so nothing it would not have run.
PREIMPORTABLE = {"numpy", "scipy", "torch", "sklearn", "gensim", "matplotlib", "latentlab",
                 "sentence_transformers", "transformers", "umap", "pandas"}


def preimports(cells: list[CodeCell]) -> list[str]:
    """The PREIMPORTABLE libraries the cells import at their top level, in order."""
    found: list[str] = []
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            for name in names:
                root = name.split(".")[0]
                if root in PREIMPORTABLE and root not in found:
                    found.append(root)
    return found
