"""The book builds strictly: every page executes, and a page that raises fails the build."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

JB = str(Path(sys.executable).parent / "jupyter-book")
STRICT = ["-W", "-n", "--keep-going"]

pytestmark = pytest.mark.slow


def build(source: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([JB, "build", str(source), "--path-output", str(out), *STRICT],
                          capture_output=True, text=True, env=env, timeout=1500)


def test_the_whole_book_builds_strictly():
    proc = build(ROOT, ROOT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    html = ROOT / "_build" / "html"
    assert (html / "index.html").exists()
    for page in ROOT.joinpath("_toc.yml").read_text().split():
        if page.startswith("book/"):
            assert (html / f"{page}.html").exists(), f"{page} was not built"
    for answers in ("solutions", "exercises", "autograder", "tests"):
        assert not (html / answers).exists(), f"{answers}/ must not be published"


def test_a_page_with_a_failing_cell_fails_the_build(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (book / "intro.md").write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n"
        "# A broken page\n\n```{code-cell} ipython3\nraise RuntimeError('this cell fails')\n```\n")
    proc = build(book, tmp_path)
    assert proc.returncode != 0, "a page whose cell raises must fail the strict build"
