"""The visualisation chapter (book/05_visualisation.md): its interactive maps ship inside the
built page and draw offline, and the maps it computes are two-dimensional and seeded, so that the
page, the exercise's demos and a reproduction of its tables get the same numbers."""

import re

import numpy as np
import pytest

from latentlab import maps
from tests.browser import problems

PAGE = "book/05_visualisation"


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_the_built_page_carries_its_interactive_maps_and_plotly_once(built_book):
    page = (built_book / f"{PAGE}.html").read_text()
    figures = re.findall(r'<div id="[^"]+" class="plotly-graph-div"', page)
    assert len(figures) == 2, f"expected the words' and the sentences' interactive maps, found {len(figures)}"
    assert page.count("plotly.js v") == 1 and "Plotly.newPlot" in page, \
        "plotly.js must be written into the page once, before its figures"
    sources = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", page)
    remote = [src for src in sources if re.match(r"^(https?:)?//", src)]
    assert not remote, f"the page loads scripts from elsewhere: {remote}"


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_the_interactive_maps_draw_offline(reader):
    """The browser blocks every request that leaves the machine: plotly must draw from the page."""
    seen = reader.look(f"{PAGE}.html", screenshot=False)
    assert not problems(seen), problems(seen)
    assert seen["interactive figures"] == 2, seen


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_the_browser_check_sees_an_interactive_figure_that_does_not_draw(reader, built_book):
    """A plotly figure whose script never ran is reported, not counted."""
    probe = built_book / "book" / "plotly_probe.html"
    probe.write_text('<html><body><div id="f" class="plotly-graph-div"></div></body></html>')
    try:
        seen = reader.look("book/plotly_probe.html", screenshot=False)
    finally:
        probe.unlink()
    assert seen["interactive figures"] == 0 and seen["interactive figures not drawn"] == ["f"], seen


def test_maps_are_two_dimensional_and_seeded():
    x = np.random.default_rng(0).normal(size=(60, 8))
    for name, fn in maps.MAPS.items():
        kwargs = {"perplexity": 10.0} if name == "t-SNE" else {"n_neighbors": 5} if name == "UMAP" else {}
        first, again = fn(x, seed=1, **kwargs), fn(x, seed=1, **kwargs)
        assert first.shape == (60, 2) and first.dtype == np.float64, name
        assert np.array_equal(first, again), f"{name}: the same seed must give the same map"
    # UMAP's seed drives its optimisation; from PCA's layout, t-SNE does not depend on the seed.
    assert not np.array_equal(maps.umap_map(x, seed=1, n_neighbors=5), maps.umap_map(x, seed=2, n_neighbors=5))
    assert np.array_equal(maps.tsne_map(x, seed=1, perplexity=10.0), maps.tsne_map(x, seed=2, perplexity=10.0))


def test_umap_keeps_its_compiled_functions_across_processes():
    """numba's cache is on for the functions a seeded fit compiles (about 10 s in each new process)."""
    from numba.core.caching import FunctionCache

    maps._umap_class()
    for module, names in maps._UMAP_COMPILED.items():
        for name in names:
            function = getattr(__import__(module, fromlist=[name]), name)
            assert isinstance(function._cache, FunctionCache), f"{module}.{name} is not cached"


def test_digits_sample_draws_distinct_digits_by_seed():
    x, y = maps.digits_sample(100, seed=3)
    assert x.shape == (100, 64) and y.shape == (100,) and x.dtype == np.float64
    assert len(np.unique(x, axis=0)) >= 99, "drawn without replacement (two digits may share pixels)"
    again, _ = maps.digits_sample(100, seed=3)
    other, _ = maps.digits_sample(100, seed=4)
    assert np.array_equal(x, again) and not np.array_equal(x, other)


def test_the_solution_reproduces_the_pages_trustworthiness_table():
    """The page's trustworthiness table (digits; PCA, t-SNE and UMAP; k = 5 and 10; three seeds)
    is scikit-learn's; the learner-facing solution gives the same numbers. Digit pixels are
    multiples of 1/16, so many distances tie, and the two may rank equals differently: they agree
    to 1e-4 on the page's digits, and exactly once a jitter of 1e-7 breaks the ties."""
    from sklearn.manifold import trustworthiness as sk_trustworthiness

    from tests.helpers import exercise_namespace

    trustworthiness = exercise_namespace("a05_visualisation")["trustworthiness"]
    for seed in (0, 1, 2):
        x, _ = maps.digits_sample(300, seed=seed)
        jittered = x + 1e-7 * np.random.default_rng(seed).normal(size=x.shape)
        for name, m in maps.three_maps(x, seed=seed).items():
            for k in (5, 10):
                got, want = trustworthiness(x, m, k), sk_trustworthiness(x, m, n_neighbors=k)
                assert abs(got - want) < 1e-4, f"{name}, seed {seed}, k = {k}: {got} against {want}"
                got, want = trustworthiness(jittered, m, k), sk_trustworthiness(jittered, m, n_neighbors=k)
                assert abs(got - want) < 1e-12, f"{name}, seed {seed}, k = {k}, no ties: {got} against {want}"
