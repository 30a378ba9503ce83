"""Checks of the demo assignment a00_demo: small enough to grade in a second."""

import numpy as np

from autograder.api import expect_array, expect_error, expect_type, graded


@graded("add", points=1)
def test_add_small_numbers(student):
    got = expect_type(student.call("add", 2, 3), (int, float), "add(2, 3)")
    assert got == 5, f"add(2, 3) should be 5; got {got}"


@graded("add", points=1, hidden=True)
def test_add_negative_numbers(student):
    got = expect_type(student.call("add", -2, -7), (int, float), "add(-2, -7)")
    assert got == -9, f"add(-2, -7) should be -9; got {got}"


@graded("scale_rows", points=2)
def test_scale_rows_matches_numpy(student):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3))
    w = rng.normal(size=4)
    got = expect_array(student.call("scale_rows", x, w), "scale_rows(x, w)", shape=(4, 3))
    assert np.allclose(got, x * w[:, None]), "row i of scale_rows(x, w) should be x[i] * w[i]"


@graded("Counter", points=1)
def test_counter_counts(student):
    counter = student.new("Counter", start=10)
    for _ in range(3):
        counter.call("increment")
    got = expect_type(counter.get("value"), int, "Counter.value")
    assert got == 13, f"Counter(start=10) after 3 increments should hold 13; got {got}"


@graded("Counter", points=1, hidden=True)
def test_counter_rejects_bad_start(student):
    expect_error("TypeError", "Counter(start='ten')", student.new, "Counter", start="ten")
