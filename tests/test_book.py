"""The book builds strictly: every page executes, a page that raises fails the build, and no
page shows the body of a graded function. The built book (`built_book`, built once per session)
and the browser that reads it (`reader`) are fixtures of conftest.py, shared with the pages' own
tests."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import release
from tests.browser import problems
from tests.helpers import ROOT, solution_path

JB = str(Path(sys.executable).parent / "jupyter-book")
STRICT = ["-W", "-n", "--keep-going"]
HTML = ROOT / "_build" / "html"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]


def build(source: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", LATENTLAB_BOOK_BUILD="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([JB, "build", str(source), "--path-output", str(out), *STRICT],
                          capture_output=True, text=True, env=env, timeout=1500)


def pages() -> list[str]:
    return [p for p in ROOT.joinpath("_toc.yml").read_text().split() if p.startswith("book/")]


def test_the_whole_book_builds_strictly(built_book):
    assert (built_book / "index.html").exists()
    for page in pages():
        assert (built_book / f"{page}.html").exists(), f"{page} was not built"
    for answers in ("solutions", "exercises", "autograder", "tests"):
        assert not (built_book / answers).exists(), f"{answers}/ must not be published"


# Lines a solution shares with any seeded page, which give nothing away.
IDIOMS = {"generator = torch.Generator().manual_seed(seed)"}


def test_each_chapter_page_offers_its_exercise_notebook(built_book):
    """A chapter page links a download of its release notebook, copied into the site as it is;
    no solution is ever published."""
    for assignment in release.assignments(ROOT):
        found = list((built_book / "_downloads").rglob(f"{assignment}.ipynb"))
        release_file = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
        assert len(found) == 1 and found[0].read_bytes() == release_file.read_bytes(), assignment
        page = (built_book / "book" / f"{assignment[1:]}.html").read_text()
        assert f"_downloads/{found[0].parent.name}/{assignment}.ipynb" in page, f"{assignment}: no download link"
    for notebook in (built_book / "_downloads").rglob("*.ipynb"):
        assert "### BEGIN SOLUTION" not in notebook.read_text(), f"{notebook.name} holds a solution"


def solution_lines(assignment: str) -> list[str]:
    """The distinctive lines of a solution's graded bodies: long enough to be an answer, not a
    comment or a common idiom, whitespace folded."""
    nb = json.loads(solution_path(assignment).read_text())
    lines, inside = [], False
    for cell in nb["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and cell["cell_type"] == "code":
                code = " ".join(line.split("#", 1)[0].split())
                if len(code) >= 24 and code not in IDIOMS:
                    lines.append(code)
    return lines


def page_text(path: Path) -> str:
    """What a reader sees of a built page: its text, tags removed, whitespace folded."""
    text = re.sub(r"<[^>]+>", "", path.read_text())
    return " ".join(html.unescape(text).split())


@pytest.mark.parametrize("assignment", release.assignments(ROOT))
def test_no_page_shows_a_graded_body(built_book, assignment):
    lines = solution_lines(assignment)
    assert len(lines) >= 5, f"{assignment}: too few solution lines found to look for"
    shown = {page: page_text(built_book / f"{page}.html") for page in pages()}
    found = [(page, line) for page, text in shown.items() for line in lines if line in text]
    assert not found, f"graded answers of {assignment} appear in the book: {found[:5]}"


def test_the_body_check_finds_a_printed_answer(tmp_path):
    """The test above would see an answer: a page that prints a solution line is caught."""
    line = solution_lines("a03_vae")[0]
    page = tmp_path / "page.html"
    page.write_text(f"<pre><span>{html.escape(line[:10])}</span>{html.escape(line[10:])}</pre>")
    assert line in page_text(page)


@pytest.mark.parametrize("page", pages())
def test_every_page_reads_well_offline_in_a_browser(reader, page):
    seen = reader.look(f"{page}.html")
    assert not problems(seen), f"{page}: {problems(seen)}"
    if page == "book/03_vae":
        assert seen["formulas"] > 20, "the VAE chapter is mostly formulas"


def test_the_browser_check_catches_a_remote_script(reader, built_book):
    """A page made to load a remote script fails the check above."""
    probe = built_book / "book" / "remote_probe.html"
    original = (built_book / "book" / "03_vae.html").read_text()
    probe.write_text(original.replace("</head>", '<script src="https://cdn.example.org/tex.js"></script></head>'))
    try:
        seen = reader.look("book/remote_probe.html", screenshot=False)
    finally:
        probe.unlink()
    assert seen["left the machine"] == ["https://cdn.example.org/tex.js"], seen


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
