"""Helpers for the project's tests: run a solution's code, mutated or not, against its checks.

Every chapter's test module has the same shape: two tables and one class.
- `MISTAKES`, a list of `Mistake(name, exercise, replacements, check)`: a plausible bug written
  into the solution, the exercise it is in, and the check that must catch it;
- `ODD_RETURNS`, a list of `OddReturn(case, check, fakes)`: degenerate but plain answers
  (fakes replacing some of the solution's functions), each failing `check` by an assertion;
- `ALTERNATIVES`, a list of `Alternative(name, replacements)`: correct solutions in another
  style (vectorised against looped, another order of operations), each getting full marks;
- `class TestChapter(ChapterTests)` naming the assignment and the tables; the tests are
  `ChapterTests`' (conftest.py parametrises them over the tables).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from autograder import nbfile
from autograder.api import StudentError
from autograder.local import LocalStudent
from autograder.runner import checks_file, run_checks
from autograder.sealed import strict_sandbox_available

ROOT = Path(__file__).resolve().parent.parent
STRICT = strict_sandbox_available()  # root on Linux: the tests of sealed grading run both levels
MODES = ["strict", "off"] if STRICT else ["off"]


@dataclass(frozen=True)
class Mistake:
    """A plausible bug, written into the solution as source replacements, and the check of its
    own exercise that must catch it by a failed assertion.

    `also` lists other exercises that may lose points too because they call the buggy one
    (where the design cannot avoid it); their failed checks must then name this exercise.
    """

    name: str
    exercise: str
    replacements: dict = field(hash=False)
    check: str
    also: tuple = ()

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Alternative:
    """A correct solution written in another style (source replacements): full marks."""

    name: str
    replacements: dict = field(hash=False)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class OddReturn:
    """Degenerate but plain answers (`fakes`: name -> stand-in) that `check` must fail by an
    assertion with a message; with the same names left unimplemented, it must report that."""

    case: str
    check: str
    fakes: dict = field(hash=False)

    def __str__(self) -> str:
        return self.case


def solution_path(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def namespace(path: Path, replacements: dict[str, str] | None = None, exercises_only: bool = False) -> dict:
    """Run a notebook's code cells (not its test cells) here; each replacement must apply.

    With `exercises_only`, only the cells nbgrader knows (setup and solution cells) run, not
    the ungraded demo cells, so a mutant of a notebook that trains models for the reader is quick.
    """
    nb = nbfile.read(path)
    if exercises_only:
        nb = dict(nb, cells=[c for c in nb["cells"] if "nbgrader" in c.get("metadata", {})])
    cells = [c.source for c in nbfile.code_cells(nb)]
    for old, new in (replacements or {}).items():
        hits = [i for i, src in enumerate(cells) if old in src]
        assert len(hits) == 1, f"the mutation {old!r} should match exactly one cell, matched {len(hits)}"
        cells[hits[0]] = cells[hits[0]].replace(old, new)
    ns: dict = nbfile.ipython_stub({"__name__": "__main__"})
    for src in cells:
        exec(compile(src, str(path), "exec"), ns)  # noqa: S102 - our own notebooks
        _close_figures()  # as Jupyter's inline backend does after each cell
    return ns


def _close_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@functools.lru_cache(maxsize=None)
def solution_namespace(assignment: str) -> dict:
    """The solution's namespace, run once per test session."""
    return namespace(solution_path(assignment))


def exercise_namespace(assignment: str, replacements: dict[str, str] | None = None) -> dict:
    """The solution's setup and exercise cells only, with source replacements."""
    return namespace(solution_path(assignment), replacements, exercises_only=True)


def checks_module(assignment: str):
    """The checks module of `assignment`, imported once (its oracle caches are shared)."""
    name = f"_checks_{assignment}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, checks_file(assignment))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def check_names(assignment: str) -> set[str]:
    """The names of every graded check of `assignment`."""
    module = checks_module(assignment)
    return {name for name, fn in vars(module).items() if hasattr(fn, "graded")}


def score(assignment: str, ns: dict, exercise: str | None = None, refuse_reference: bool = True):
    """All checks (hidden too) of `assignment` against `ns`: (points, max_points, results)."""
    results = run_checks(assignment, LocalStudent(ns, refuse_reference), exercise, include_hidden=True)
    return sum(r.score for r in results), sum(r.max_score for r in results), results


def assert_full_marks(assignment: str, ns: dict | None = None, within_seconds: float | None = None,
                      refuse_reference: bool = True) -> None:
    """A namespace (the solution's by default) passes every check, hidden ones too, within a
    time budget when one is given."""
    ns = solution_namespace(assignment) if ns is None else ns
    got, total, results = score(assignment, ns, refuse_reference=refuse_reference)
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert got == total > 0 and not failed, "every check should pass:\n" + "\n".join(failed)
    seconds = sum(r.seconds for r in results)
    assert within_seconds is None or seconds < within_seconds, (
        f"the checks took {seconds:.1f} s (budget {within_seconds} s)")


def assert_failed_by_assertions(failed, mistake: str) -> None:
    """Each failed check failed by an assertion with a message, not by an error."""
    for r in failed:
        assert r.message.strip(), f"{mistake}: {r.name} failed without a message"
        assert r.error_kind == "", (
            f"{mistake}: {r.name} failed by an error ({r.error_kind}: {r.message}), not by an assertion")


def assert_mistake_caught(assignment: str, mistake: Mistake, blame_once: bool = False) -> None:
    """The mutated solution fails `mistake.check` (a check of `mistake.exercise`) by an
    assertion, and every check of that exercise that fails does so by an assertion.

    With `blame_once`, every exercise is graded: checks of other exercises may fail only in
    `mistake.also`, and then by a message that names the mistake's exercise as the likely cause.
    """
    ns = exercise_namespace(assignment, mistake.replacements)
    _, _, results = score(assignment, ns, None if blame_once else mistake.exercise)
    own = [r for r in results if r.exercise == mistake.exercise]
    failed = {r.name: r for r in own if not r.passed}
    assert mistake.check in {r.name for r in own}, f"{mistake.check} is not a check of {mistake.exercise}"
    assert mistake.check in failed, (
        f"{mistake} should fail {mistake.check}; the checks of {mistake.exercise} that failed: {sorted(failed)}")
    assert_failed_by_assertions(failed.values(), mistake.name)
    for r in results:
        if r.exercise != mistake.exercise and not r.passed:
            assert r.exercise in mistake.also, (
                f"{mistake} is in {mistake.exercise}, but it also cost {r.name} of {r.exercise}: {r.message[:300]}")
            assert f"`{mistake.exercise}`" in r.message, (
                f"{mistake}: {r.name} of {r.exercise} failed without naming `{mistake.exercise}`: {r.message[:300]}")


def assert_every_check_catches_a_mistake(assignment: str, mistakes) -> None:
    """Every graded check of the chapter is the expected failure of at least one mistake."""
    caught = {m.check for m in mistakes}
    missing = check_names(assignment) - caught
    assert not missing, f"checks that no listed mistake makes fail: {sorted(missing)}"


def assert_caught_in_whole_notebook(assignment: str, mistake: Mistake, blame_once: bool = True) -> None:
    """The mutated solution, run whole (demo cells too, as a learner runs it), loses the points
    of `mistake.check` by an assertion, and (with `blame_once`) no points in any other exercise."""
    _, _, results = score(assignment, namespace(solution_path(assignment), mistake.replacements))
    failed = [r for r in results if not r.passed]
    assert mistake.check in {r.name for r in failed}, f"{mistake} should fail {mistake.check}"
    assert_failed_by_assertions(failed, mistake.name)
    elsewhere = sorted(r.name for r in failed if r.exercise != mistake.exercise)
    assert not (blame_once and elsewhere), f"{mistake} is in {mistake.exercise}, but it also failed {elsewhere}"


def returns(value):
    """A stand-in for a learner's function that returns `value` whatever it is given."""
    return lambda *args, **kwargs: value


def not_implemented(*args, **kwargs):
    """A stand-in for an exercise left as released."""
    raise NotImplementedError


def assert_check_fails_with_message(assignment: str, check_name: str, learner: dict, case: str) -> None:
    """Check `check_name` fails by a failed assertion with a message, not by an error, for the
    learner namespace `learner`."""
    with pytest.raises(AssertionError) as failure:
        getattr(checks_module(assignment), check_name)(LocalStudent(learner))
    assert str(failure.value).strip(), f"{check_name} failed without a message for: {case}"


def assert_not_implemented_reported(assignment: str, check_name: str, learner: dict) -> None:
    """A NotImplementedError from the learner's code reaches the report as such."""
    with pytest.raises(StudentError) as failure:
        getattr(checks_module(assignment), check_name)(LocalStudent(learner))
    assert failure.value.kind == "NotImplementedError"


def by_exercise(result: dict) -> dict[str, float]:
    """Points of a results.json, per exercise."""
    out: dict[str, float] = {}
    for t in result["tests"]:
        out[t["extra_data"]["exercise"]] = out.get(t["extra_data"]["exercise"], 0) + t["score"]
    return out


class ChapterTests:
    """The tests every chapter runs; a subclass sets `assignment`, `mistakes` and `odd_returns`."""

    assignment: str = ""
    mistakes: list[Mistake] = []
    odd_returns: list[OddReturn] = []
    alternatives: list[Alternative] = []
    full_marks_seconds: float | None = None  # the checks' time budget against the solution
    whole_notebook_mistake: int = 0  # which mistake also runs against the whole notebook
    blame_once: bool = True  # a mistake costs points in its own exercise only (see Mistake.also)

    def test_solution_gets_full_marks(self):
        assert_full_marks(self.assignment, within_seconds=self.full_marks_seconds)

    def test_another_correct_style_gets_full_marks(self, alternative: Alternative):
        assert_full_marks(self.assignment, exercise_namespace(self.assignment, alternative.replacements))

    def test_mistake_is_caught(self, mistake: Mistake):
        assert_mistake_caught(self.assignment, mistake, blame_once=self.blame_once)

    def test_every_check_catches_a_mistake(self):
        assert_every_check_catches_a_mistake(self.assignment, self.mistakes)

    def test_mistake_costs_points_in_the_whole_notebook(self):
        assert_caught_in_whole_notebook(self.assignment, self.mistakes[self.whole_notebook_mistake],
                                        blame_once=self.blame_once)

    def test_odd_return_fails_with_a_message(self, odd: OddReturn):
        learner = {**exercise_namespace(self.assignment), **odd.fakes}
        assert_check_fails_with_message(self.assignment, odd.check, learner, odd.case)

    def test_not_implemented_reaches_the_report(self, odd: OddReturn):
        learner = {**exercise_namespace(self.assignment), **dict.fromkeys(odd.fakes, not_implemented)}
        assert_not_implemented_reported(self.assignment, odd.check, learner)


def uncached_embeddings(monkeypatch, warm_up, page_embeddings, fill: float = 0.0) -> set:
    """The (texts, max_tokens) a page embeds that `warm_up` does not: data.embed is replaced by a
    recorder returning constant vectors, `warm_up` runs, then the page's embedding calls do."""
    from latentlab import data

    calls = []

    def record(texts, max_tokens=256, batch_size=32):
        calls.append((tuple(texts), max_tokens))
        return np.full((len(texts), 384), fill, dtype=np.float32)

    monkeypatch.setattr(data, "embed", record)
    warm_up()
    warmed, calls[:] = set(calls), []
    page_embeddings()
    return set(calls) - warmed
