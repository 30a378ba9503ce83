"""Checks of a04_interpolation: straight and spherical paths between codes, the prior's
log-density along a path, how evenly a path moves, each frame's nearest real example, attribute
vectors, and a path read out through its nearest items.

Oracles: scipy's `geometric_slerp` (on unit vectors), `multivariate_normal.logpdf` and
`spatial.distance`; scikit-learn's `NearestNeighbors` (Euclidean, and cosine) and
`NearestCentroid` (class means); closed forms on tiny inputs (exact endpoints, equal angles between
frames at evenly spaced times, norms interpolated linearly, a line continued past its ends).
`nearest_along_path` calls the learner's `slerp`, and says so when it fails.

The module is longer than most: 23 checks of 7 exercises, and most of its lines are hints, each
tied to the symptom of one mistake the chapter's mistake table (and a learner's trial) showed.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import distance, geometric_slerp
from scipy.stats import multivariate_normal
from sklearn.neighbors import NearestCentroid, NearestNeighbors

from autograder.api import (
    call_unchanged,
    expect_array,
    expect_close,
    expect_error,
    expect_tuple,
    expect_type,
    graded,
    learner_errors_fail,
    near,
    show,
)
from latentlab import data

# An endpoint whose unit vector u has u @ u = 1.0000000000000002 in float64: arccos gives NaN
# unless the cosine is clipped to [-1, 1].
SELF_DOT_ABOVE_ONE = np.array([0.903, 0.094, -0.743, -0.922])


# lerp


def _lerp(student, z0, z1, ts, what: str = "") -> np.ndarray:
    what = what or f"lerp(z0, z1, ts) for z0, z1 ({len(z0)},) and {len(ts)} times"
    return expect_array(student.call("lerp", z0, z1, np.asarray(ts, dtype=np.float64)), what,
                        shape=(len(ts), len(z0)), dtype=np.float64)


def _line(z0, z1, ts) -> np.ndarray:
    """Oracle: z0 + t (z1 - z0), row by row in plain Python floats."""
    return np.array([[a + t * (b - a) for a, b in zip(z0, z1, strict=True)] for t in ts])


def _lerp_hints(z0, z1, ts):
    swapped = _line(z1, z0, ts)
    return [(lambda g, w: near(g, swapped), "Yours goes from z1 to z0: at t = 0 the path is at z0, so z0 "
             "gets the weight 1 - t.")]


@graded("lerp", points=1)
@learner_errors_fail("lerp(z0, z1, ts) for times in [0, 1]")
def test_lerp_matches_the_line_at_random_times(student):
    rng = np.random.default_rng(40)
    z0, z1 = rng.normal(size=(2, 5)) * 3.0
    ts = np.concatenate([[0.0, 1.0], rng.uniform(0.0, 1.0, size=6)])
    got = _lerp(student, z0, z1, ts)
    expect_close(got[:2], np.stack([z0, z1]), "lerp at t = 0 and t = 1: exactly z0 and z1", atol=1e-12,
                 hints=_lerp_hints(z0, z1, ts[:2]))
    expect_close(got, _line(z0, z1, ts), "lerp(z0, z1, ts) at 8 times in [0, 1]: the point a fraction t "
                 "of the way from z0 to z1, z0 + t (z1 - z0)", atol=1e-12, hints=_lerp_hints(z0, z1, ts))


@graded("lerp", points=1)
@learner_errors_fail("lerp(z0, z1, ts) for times outside [0, 1]")
def test_lerp_continues_the_line_past_the_endpoints(student):
    z0, z1 = np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.0, -1.5])
    ts = np.array([-1.0, -0.25, 1.5, 3.0])
    got = _lerp(student, z0, z1, ts)
    expect_close(got, _line(z0, z1, ts), "lerp at t = -1, -0.25, 1.5 and 3: the line through z0 and z1 "
                 "continued past its endpoints", atol=1e-12, hints=_lerp_hints(z0, z1, ts) + [
                     (lambda g, w: near(g, _line(z0, z1, np.clip(ts, 0, 1))), "Yours stops at the "
                      "endpoints: times outside [0, 1] should not be clipped.")])


@graded("lerp", points=1, hidden=True)
@learner_errors_fail("lerp(z0, z1, ts) for float64 and float32 codes")
def test_lerp_in_float64_and_leaves_its_inputs(student):
    rng = np.random.default_rng(41)
    z0, z1 = rng.normal(size=(2, 16)) * 10
    ts = np.linspace(0.0, 1.0, 11)
    call_unchanged(student, "lerp", "lerp(z0, z1, ts)", z0, z1, ts)
    z0, z1 = z0.astype(np.float32), z1.astype(np.float32)
    got = _lerp(student, z0, z1, ts, "lerp(z0, z1, ts) for float32 z0, z1 (16,) and 11 times")
    expect_close(got, _line(z0.astype(np.float64), z1.astype(np.float64), ts), "lerp of float32 codes, "
                 "computed in float64", rtol=1e-12, atol=1e-12, hints=_lerp_hints(z0, z1, ts))


# slerp


def _slerp(student, z0, z1, ts, what: str = "") -> np.ndarray:
    what = what or f"slerp(z0, z1, ts) for z0, z1 ({len(z0)},) and {len(ts)} times"
    got = expect_array(student.call("slerp", z0, z1, np.asarray(ts, dtype=np.float64)), what,
                       shape=(len(ts), len(z0)), dtype=np.float64)
    if np.isnan(got).any():
        raise AssertionError(f"{what}: expected finite numbers, got NaN in rows "
                             f"{np.flatnonzero(np.isnan(got).any(axis=1)).tolist()}. Is the cosine clipped "
                             "to [-1, 1] before arccos, and is a zero angle (or a zero endpoint) handled by "
                             "lerp instead of dividing by sin(0) or by a zero norm?")
    return got


def _great_circle(z0, z1, ts) -> np.ndarray:
    """Oracle: the contract's slerp, scipy's great circle between the unit vectors times the
    linearly interpolated norm."""
    r0, r1 = np.linalg.norm(z0), np.linalg.norm(z1)
    unit = geometric_slerp(z0 / r0, z1 / r1, np.asarray(ts, dtype=np.float64))
    return unit * ((1 - np.asarray(ts)) * r0 + np.asarray(ts) * r1)[:, None]


def _slerp_hints(z0, z1, ts):
    ts = np.asarray(ts, dtype=np.float64)
    r0, r1 = np.linalg.norm(z0), np.linalg.norm(z1)
    u0, u1 = z0 / r0, z1 / r1
    omega = np.arccos(np.clip(u0 @ u1, -1, 1))
    t = ts[:, None]
    swapped = (np.sin(t * omega) * u0 + np.sin((1 - t) * omega) * u1) / np.sin(omega)
    radius = ((1 - t) * r0 + t * r1)
    raw = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    return [
        (lambda g, w: near(g, _great_circle(z1, z0, ts)), "Yours goes from z1 to z0: at t = 0 the path is "
         "at z0."),
        (lambda g, w: near(g, swapped * radius), "Your sine weights are swapped: z0's weight is "
         "sin((1 - t) omega) / sin(omega), which is 1 at t = 0."),
        (lambda g, w: near(g, raw), "Yours applies the sine weights to z0 and z1 themselves, so the norm "
         "bulges between them: apply them to the unit vectors, and scale by the interpolated norm."),
        (lambda g, w: near(g, _line(z0, z1, ts)), "Yours is the straight path: lerp is only for "
         "(nearly) parallel endpoints."),
        (lambda g, w: near(np.linalg.norm(g, axis=1), 1.0) and not near(radius, 1.0), "Your points all "
         "have norm 1: the norm is interpolated linearly from |z0| to |z1|."),
        (lambda g, w: near(g / np.linalg.norm(g, axis=1, keepdims=True),
                            w / np.linalg.norm(w, axis=1, keepdims=True)), "Your points have the right "
         "directions and the wrong norms: the norm at time t is (1 - t) |z0| + t |z1|."),
    ]


@graded("slerp", points=2)
@learner_errors_fail("slerp(z0, z1, ts) for unit vectors")
def test_slerp_matches_scipy_on_unit_vectors(student):
    rng = np.random.default_rng(50)
    z0, z1 = rng.normal(size=(2, 6))
    z0, z1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    ts = np.concatenate([[0.0, 1.0], np.sort(rng.uniform(size=7))])
    got = _slerp(student, z0, z1, ts)
    expect_close(got, geometric_slerp(z0, z1, ts), "slerp of two unit vectors (6,) at 9 times: "
                 "scipy.spatial.geometric_slerp", rtol=0, atol=1e-8, hints=_slerp_hints(z0, z1, ts))


@graded("slerp", points=1)
@learner_errors_fail("slerp(z0, z1, ts) for endpoints of different norms")
def test_slerp_exact_endpoints_and_equal_angles(student):
    rng = np.random.default_rng(51)
    z0, z1 = rng.normal(size=(2, 8)) * np.array([[0.5], [4.0]])
    ts = np.linspace(0.0, 1.0, 9)
    got = _slerp(student, z0, z1, ts)
    expect_close(got[[0, -1]], np.stack([z0, z1]), "slerp at t = 0 and t = 1: exactly z0 and z1", atol=1e-9,
                 hints=_slerp_hints(z0, z1, ts[[0, -1]]))
    unit = got / np.linalg.norm(got, axis=1, keepdims=True)
    angles = np.arccos(np.clip((unit[:-1] * unit[1:]).sum(axis=1), -1, 1))
    omega = np.arccos(np.clip(z0 @ z1 / np.linalg.norm(z0) / np.linalg.norm(z1), -1, 1))
    raw = (np.sin((1 - ts[:, None]) * omega) * z0 + np.sin(ts[:, None] * omega) * z1) / np.sin(omega)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    raw_angles = np.arccos(np.clip((raw[:-1] * raw[1:]).sum(axis=1), -1, 1))
    expect_close(angles, np.full(8, omega / 8), "equal steps in t turn the direction by equal angles: the "
                 "angles between consecutive frames at 9 evenly spaced times, each 1/8 of the angle "
                 f"between z0 and z1 ({omega:.4f} rad)", atol=1e-7, hints=[
                     (lambda g, w: near(g, raw_angles), "Yours applies the sine weights to z0 and z1 "
                      "themselves: with endpoints of different norms the longer one pulls the direction "
                      "towards it. Apply them to the unit vectors, and scale by the interpolated norm."),
                     (lambda g, w: g.max() - g.min() > 1e-3, "Your steps are unequal: is the angle "
                      "omega computed from the unit vectors' cosine, and are the weights sines of "
                      "(1 - t) omega and t omega?")])


@graded("slerp", points=1)
@learner_errors_fail("slerp(z0, z1, ts) for endpoints of norms 1 and 5")
def test_slerp_interpolates_the_norm_linearly(student):
    rng = np.random.default_rng(52)
    z0, z1 = rng.normal(size=(2, 5))
    z0, z1 = z0 / np.linalg.norm(z0), 5.0 * z1 / np.linalg.norm(z1)
    ts = np.linspace(0.0, 1.0, 11)
    got = _slerp(student, z0, z1, ts)
    norms = np.linalg.norm(got, axis=1)
    expect_close(norms, 1.0 + 4.0 * ts, "the norms along slerp from |z0| = 1 to |z1| = 5 at 11 evenly "
                 "spaced times: (1 - t) |z0| + t |z1|, growing steadily", rtol=1e-8,
                 hints=_slerp_hints(z0, z1, ts)[2:5])


@graded("slerp", points=1)
@learner_errors_fail("slerp(z0, z1, ts) for endpoints of different norms")
def test_slerp_directions_follow_the_great_circle(student):
    rng = np.random.default_rng(53)
    z0, z1 = rng.normal(size=(2, 4)) * np.array([[7.0], [0.3]])
    ts = np.linspace(0.0, 1.0, 6)
    got = _slerp(student, z0, z1, ts)
    unit = got / np.linalg.norm(got, axis=1, keepdims=True)
    want = geometric_slerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), ts)
    expect_close(unit, want, "the directions of slerp between z0 of norm about 7 and z1 of norm about 0.3: "
                 "scipy.spatial.geometric_slerp between their unit vectors", atol=1e-8, hints=[
                     (lambda g, w: True, "Is the angle computed from the cosine of the unit vectors, "
                      "z0 @ z1 / (|z0| |z1|), and are the sine weights applied to the unit vectors?")])


@graded("slerp", points=1, depends=("lerp",))
@learner_errors_fail("slerp(z0, z1, ts) for (nearly) parallel endpoints and a zero endpoint")
def test_slerp_is_lerp_for_parallel_or_zero_endpoints(student):
    ts = np.linspace(0.0, 1.0, 5)
    z = SELF_DOT_ABOVE_ONE
    tiny = np.array([1.0, 0.0, 0.0, 0.0]), np.array([1.0, 4e-7, 0.0, 0.0]) * 3.0
    cases = [("identical endpoints z0 = z1", z, z.copy()),
             ("parallel endpoints z1 = 2 z0", z, 2.0 * z),
             ("endpoints 4e-7 rad apart", *tiny),
             ("a zero endpoint z0 = 0", np.zeros(4), z)]
    for name, z0, z1 in cases:
        got = _slerp(student, z0, z1, ts, f"slerp(z0, z1, ts) for {name}")
        expect_close(got, _line(z0, z1, ts), f"slerp for {name}: lerp(z0, z1, ts), the contract's limit",
                     atol=1e-9)


@graded("slerp", points=1, hidden=True)
@learner_errors_fail("slerp(z0, z1, ts) for opposite endpoints")
def test_slerp_refuses_opposite_endpoints(student):
    ts = np.linspace(0.0, 1.0, 5)
    z = np.array([1.0, 2.0, -0.5])
    nearly = -np.array([1.0, 2.0 + 1e-8, -0.5]) * 0.1  # within 1e-6 rad of pi
    for name, z1 in (("z1 = -3 z0", -3.0 * z), ("z1 within 1e-6 rad of -z0", nearly)):
        expect_error("ValueError", f"slerp(z0, z1, ts) for opposite endpoints, {name}: no single great "
                     "circle joins them", student.call, "slerp", z, z1, ts)


@graded("slerp", points=1, hidden=True)
@learner_errors_fail("slerp(z0, z1, ts) for float32 codes in 64 dimensions")
def test_slerp_of_float32_codes_in_64_dimensions(student):
    rng = np.random.default_rng(54)
    z0, z1 = rng.normal(size=(2, 64)) * np.array([[1.0], [3.0]])
    ts = np.linspace(0.0, 1.0, 17)
    call_unchanged(student, "slerp", "slerp(z0, z1, ts)", z0, z1, ts)
    z0, z1 = z0.astype(np.float32), z1.astype(np.float32)
    got = _slerp(student, z0, z1, ts, "slerp(z0, z1, ts) for float32 z0, z1 (64,)")
    z0, z1 = z0.astype(np.float64), z1.astype(np.float64)
    expect_close(got, _great_circle(z0, z1, ts), "slerp of two float32 samples of N(0, I_64) of different "
                 "scales: the great circle between their directions, norm interpolated linearly", atol=1e-8,
                 hints=_slerp_hints(z0, z1, ts))


# log_prior


def _log_prior(student, z, scale=None) -> np.ndarray:
    args = () if scale is None else (scale,)
    what = f"log_prior(z{'' if scale is None else f', scale={scale}'}) for z {z.shape}"
    return expect_array(student.call("log_prior", z, *args), what, shape=(len(z),), dtype=np.float64)


def _oracle_log_prior(z, scale=1.0) -> np.ndarray:
    d = z.shape[1]
    return np.atleast_1d(multivariate_normal(np.zeros(d), scale**2 * np.eye(d)).logpdf(z))


def _log_prior_hints(z, scale=1.0):
    d = z.shape[1]
    want = _oracle_log_prior(z, scale)
    sq = (z**2).sum(axis=1)
    hints = [
        (lambda g, w: near(g, want + 0.5 * d * np.log(2 * np.pi)), "Yours misses the normalising "
         "term -d/2 log(2 pi)."),
        (lambda g, w: near(g, -0.5 * sq / scale**2), "Yours is only the exponent: the normalising "
         "constant -d log(scale) - d/2 log(2 pi) is part of the log-density."),
        (lambda g, w: np.isinf(g).any(), "A density computed first and then logged underflows to 0 "
         "(log gives -inf): work with the log-density directly."),
    ]
    if scale != 1.0:  # these slips change nothing when scale is 1
        hints += [(lambda g, w: near(g, _oracle_log_prior(z, np.sqrt(scale))), "Yours treats scale as the "
                   "variance; it is the standard deviation, so the variance is scale**2."),
                  (lambda g, w: near(g, want + d * np.log(scale)), "Yours misses the term -d log(scale) of "
                   "the normalising constant.")]
    return hints + [(lambda g, w: near(g, w, rtol=1e-5), "Yours agrees to about 7 significant digits only: "
                     "is it computed in float32? Convert z to float64 first.")]


@graded("log_prior", points=1)
@learner_errors_fail("log_prior(z) for points in 1, 3 and 16 dimensions")
def test_log_prior_matches_scipy(student):
    rng = np.random.default_rng(60)
    for d in (1, 3, 16):
        z = rng.normal(size=(6, d)) * 1.5
        got = _log_prior(student, z)
        expect_close(got, _oracle_log_prior(z), f"log_prior(z) for 6 points in {d} dimensions: "
                     "scipy.stats.multivariate_normal(0, I).logpdf", rtol=1e-10, hints=_log_prior_hints(z))


@graded("log_prior", points=1)
@learner_errors_fail("log_prior(z, scale) for scales 0.5 and 2.5")
def test_log_prior_with_a_scale(student):
    rng = np.random.default_rng(61)
    z = rng.normal(size=(5, 4)) * 2.0
    for scale in (0.5, 2.5):
        expect_close(_log_prior(student, z, scale), _oracle_log_prior(z, scale), f"log_prior(z, scale={scale}) "
                     f"for 5 points in 4 dimensions: scipy's logpdf of N(0, {scale}**2 I)", rtol=1e-10,
                     hints=_log_prior_hints(z, scale))


@graded("log_prior", points=1)
@learner_errors_fail("log_prior(z) for points far from the origin")
def test_log_prior_far_from_the_origin(student):
    rng = np.random.default_rng(62)
    z = rng.normal(size=(4, 8))
    z = z / np.linalg.norm(z, axis=1, keepdims=True) * np.array([[50.0], [200.0], [600.0], [1000.0]])
    expect_close(_log_prior(student, z), _oracle_log_prior(z), "log_prior(z) for points at norms 50 to "
                 "1000, finite and accurate: scipy's logpdf", rtol=1e-10, hints=_log_prior_hints(z))


@graded("log_prior", points=1, hidden=True)
@learner_errors_fail("log_prior(z, scale=3.0) for 200 float32 points in 2 dimensions")
def test_log_prior_of_many_float32_points(student):
    z = (np.random.default_rng(63).normal(size=(200, 2)) * 3.0).astype(np.float32)
    got = _log_prior(student, z, 3.0)
    z64 = z.astype(np.float64)
    expect_close(got, _oracle_log_prior(z64, 3.0), "log_prior(z, scale=3.0) for 200 float32 points in 2 "
                 "dimensions: one log-density per row, scipy's", rtol=1e-10, hints=_log_prior_hints(z64, 3.0))


# path_smoothness


def _smoothness(student, frames, what: str):
    steps, ratio = expect_tuple(student.call("path_smoothness", frames), what, 2, ("steps", "ratio"))
    steps = expect_array(steps, f"steps of {what}", shape=(len(frames) - 1,), dtype=np.float64)
    return steps, float(expect_type(ratio, (float, int), f"ratio of {what}, a Python float"))


def _oracle_steps(frames) -> np.ndarray:
    return np.array([distance.euclidean(a, b) for a, b in zip(frames[:-1], frames[1:], strict=True)])


def _step_hints(frames):
    want = _oracle_steps(frames)
    return [(lambda g, w: near(g, want**2), "Yours are squared distances: a step is the Euclidean "
             "distance, the square root of the sum of squares."),
            (lambda g, w: near(g, np.abs(np.diff(frames, axis=0)).sum(axis=1)), "Yours are Manhattan "
             "distances (sums of absolute differences); a step is Euclidean.")]


def _ratio_hints(steps):
    return [(lambda g, w: near(g, steps.max() / steps.min()), "Yours is the largest step over the "
             "smallest; the contract divides by the mean step."),
            (lambda g, w: near(g, steps.mean() / steps.max()), "Yours is the mean over the largest "
             "step, upside down.")]


@graded("path_smoothness", points=1)
@learner_errors_fail("path_smoothness(frames) for 7 frames of 10 numbers")
def test_steps_match_scipy(student):
    frames = np.random.default_rng(70).normal(size=(7, 10))
    steps, ratio = _smoothness(student, frames, "path_smoothness(frames) for frames (7, 10)")
    want = _oracle_steps(frames)
    expect_close(steps, want, "steps of path_smoothness for frames (7, 10): scipy's Euclidean distances "
                 "between consecutive frames", rtol=1e-10, hints=_step_hints(frames))
    expect_close(ratio, want.max() / want.mean(), "ratio of path_smoothness: the largest step over the "
                 "mean step", rtol=1e-10, hints=_ratio_hints(want))


@graded("path_smoothness", points=1)
@learner_errors_fail("path_smoothness(frames) for a path that jumps")
def test_ratio_of_a_path_that_jumps(student):
    frames = np.array([[0.0, 0.0], [0.6, 0.8], [1.2, 1.6], [1.8, 2.4], [6.0, 8.0]])  # steps 1, 1, 1, 7
    steps, ratio = _smoothness(student, frames, "path_smoothness(frames) for 5 frames on a line")
    expect_close(steps, [1.0, 1.0, 1.0, 7.0], "steps of a path on a line with steps of length 1, 1, 1 "
                 "and 7", rtol=1e-10, hints=_step_hints(frames))
    expect_close(ratio, 2.8, "ratio of a path with steps 1, 1, 1 and 7: the largest step 7 over the mean "
                 "step 2.5", rtol=1e-10, hints=_ratio_hints(np.array([1.0, 1.0, 1.0, 7.0])))


@graded("path_smoothness", points=1)
@learner_errors_fail("path_smoothness(frames) for paths that stand still")
def test_a_path_that_stands_still(student):
    still = np.tile(np.array([[0.5, -1.0, 2.0]]), (4, 1))
    steps, ratio = _smoothness(student, still, "path_smoothness(frames) for 4 equal frames")
    expect_close(steps, np.zeros(3), "steps of a path that never moves: all 0", atol=0)
    expect_close(ratio, 1.0, "ratio of a path that never moves: 1.0, as the contract says (not NaN from "
                 "0 / 0)", atol=1e-12)
    frames = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])  # steps 0, 0, 5
    _, ratio = _smoothness(student, frames, "path_smoothness(frames) for a path that sits still, then jumps")
    expect_close(ratio, 3.0, "ratio of a path with steps 0, 0 and 5: 5 over the mean step 5/3",
                 rtol=1e-10, hints=[(lambda g, w: np.isinf(g), "Yours divides by the smallest step, 0.")])


@graded("path_smoothness", points=1, hidden=True)
@learner_errors_fail("path_smoothness(frames) for two frames and for an even path")
def test_two_frames_and_an_even_path(student):
    frames = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    steps, ratio = _smoothness(student, frames, "path_smoothness(frames) for 2 float32 frames")
    expect_close(steps, [3.0], "the one step of a path of two frames 3 apart", rtol=1e-10)
    expect_close(ratio, 1.0, "ratio of a path of one step: 1.0", rtol=1e-12)
    ts = np.linspace(0.0, 1.0, 9)
    even = _line(np.array([1.0, -2.0, 3.0, 0.5]), np.array([-4.0, 0.0, 1.0, 2.0]), ts)
    steps, ratio = _smoothness(student, even, "path_smoothness(frames) for 9 evenly spaced frames of a line")
    expect_close(steps, _oracle_steps(even), "steps of 9 evenly spaced frames of a line: scipy's distances",
                 rtol=1e-10, hints=_step_hints(even))
    expect_close(ratio, 1.0, "ratio of a path that moves by equal steps: 1.0", rtol=1e-10)


# nearest_real


def _nearest_real(student, frames, reference, what: str):
    out = expect_tuple(student.call("nearest_real", frames, reference), what, 2, ("distances", "indices"))
    dist = expect_array(out[0], f"distances of {what}", shape=(len(frames),), dtype=np.float64)
    idx = expect_array(out[1], f"indices of {what}", shape=(len(frames),), dtype_kind="iu", dtype=np.int64)
    return dist, idx


def _oracle_nearest(frames, reference):
    dist, idx = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(frames)
    return dist[:, 0], idx[:, 0]


_FEW_DIGITS = (lambda g, w: near(g, w, rtol=1e-3, atol=2e-2), "Yours agree to 3 or 4 digits only: "
               "|a|^2 + |b|^2 - 2 a.b in float32 loses the digits of small distances; compute in float64.")


def _expect_nearest(student, frames, reference, what: str):
    dist, idx = _nearest_real(student, frames, reference, what)
    want_dist, want_idx = _oracle_nearest(frames, reference)
    farthest = np.linalg.norm(frames[:, None] - reference[None], axis=2).argmax(axis=1)
    expect_close(idx, want_idx, f"indices of {what}: scikit-learn's NearestNeighbors, the lowest index on "
                 "a tie", atol=0, hints=[(lambda g, w: np.array_equal(g, farthest), "Yours are the "
                                          "farthest rows: the nearest has the smallest distance.")])
    expect_close(dist, want_dist, f"distances of {what}: scikit-learn's NearestNeighbors", rtol=1e-9,
                 atol=1e-6, hints=[(lambda g, w: near(g, w**2), "Yours are squared distances: take the "
                                    "square root."),
                                   _FEW_DIGITS,
                                   (lambda g, w: np.isnan(g).any(), "NaN comes from the square root of a "
                                    "small negative number: |a|^2 + |b|^2 - 2 a.b rounds below 0 for equal "
                                    "points; clip it at 0 or compute the differences directly.")])


@graded("nearest_real", points=2)
@learner_errors_fail("nearest_real(frames, reference) for 6 frames and 30 reference rows")
def test_nearest_real_matches_sklearn(student):
    rng = np.random.default_rng(80)
    frames, reference = rng.normal(size=(6, 8)), rng.normal(size=(30, 8))
    _expect_nearest(student, frames, reference, "nearest_real(frames, reference) for frames (6, 8) and "
                    "reference (30, 8)")


@graded("nearest_real", points=1)
@learner_errors_fail("nearest_real(frames, reference) for frames that are rows of reference")
def test_frames_that_are_real_examples_are_at_distance_zero(student):
    rng = np.random.default_rng(81)
    reference = rng.uniform(5.0, 15.0, size=(12, 8))
    frames = reference[[3, 0, 7, 11, 5, 9, 2, 8]]
    dist, idx = _nearest_real(student, frames, reference, "nearest_real(frames, reference) for 8 frames "
                              "that are rows of reference")
    expect_close(dist, np.zeros(8), "distances of frames that are rows of reference: 0.0, never NaN", atol=1e-5,
                 hints=[(lambda g, w: 0 < g.max() < 0.05, "Yours are small but not 0: |a|^2 + |b|^2 - 2 a.b loses "
                         "the digits of small distances, in float32 most of all; compute in float64, or from "
                         "the differences directly."),
                        (lambda g, w: np.isnan(g).any(), "NaN comes from the square root of a small negative "
                         "number: |a|^2 + |b|^2 - 2 a.b rounds below 0 for equal points; clip it at 0 or "
                         "compute the differences directly.")])
    expect_close(idx, [3, 0, 7, 11, 5, 9, 2, 8], "indices of frames that are rows of reference: those rows",
                 atol=0)


@graded("nearest_real", points=1)
@learner_errors_fail("nearest_real(frames, reference) for a reference with rows that occur twice")
def test_ties_go_to_the_lowest_index(student):
    rng = np.random.default_rng(82)
    rows = rng.normal(size=(10, 5))
    reference = np.concatenate([rows, rows[[4, 1, 7]]])  # rows 10, 11, 12 repeat rows 4, 1, 7
    frames = rows[[4, 1, 7, 0]] + 0.01 * rng.normal(size=(4, 5))
    dist, idx = _nearest_real(student, frames, reference, "nearest_real(frames, reference) for a "
                              "reference whose rows 10, 11, 12 repeat rows 4, 1, 7")
    expect_close(idx, [4, 1, 7, 0], "indices when two rows are equally close: the lowest index", atol=0,
                 hints=[(lambda g, w: np.array_equal(g[:3], [10, 11, 12]), "Yours are the last of equal "
                         "rows: np.argmin returns the first minimum; a reversed search or a `<=` keeps "
                         "the last.")])
    expect_close(dist, _oracle_nearest(frames, reference)[0], "distances with duplicated reference rows: "
                 "scikit-learn's", rtol=1e-9, hints=[_FEW_DIGITS])
    rows = rng.normal(size=(200, 5))  # a sort may keep equal entries in order for a few rows, not for many
    frames = rows[rng.permutation(200)[:40]] + 0.01 * rng.normal(size=(40, 5))
    _, idx = _nearest_real(student, frames, np.concatenate([rows, rows]), "nearest_real(frames, reference) "
                           "for 40 frames and a reference of 200 rows, each twice (row 200 + i repeats row i)")
    expect_close(idx, _oracle_nearest(frames, rows)[1], "indices when every row occurs twice: the first copy, "
                 "below 200", atol=0, hints=[(lambda g, w: (g >= 200).any() and np.array_equal(g % 200, w),
                                              "Some of yours are second copies: a sort that is not stable (such as "
                                              "np.argsort's default) may put either copy first; np.argmin "
                                              "returns the first minimum.")])


@graded("nearest_real", points=1, hidden=True)
@learner_errors_fail("nearest_real(frames, x_train) for a path between two digits")
def test_nearest_real_on_digits(student):
    x_train, x_test, _, _ = data.digits()
    frames = _line(x_test[0].astype(np.float64), x_test[5].astype(np.float64), np.linspace(0, 1, 9))
    student.reseed_globals(3)
    reference = np.array(x_train, dtype=np.float64)
    call_unchanged(student, "nearest_real", "nearest_real(frames, reference)", frames, reference)
    dist, idx = _nearest_real(student, frames, np.array(x_train), "nearest_real(frames, x_train) for 9 "
                              "frames and the float32 training digits")
    want_dist, want_idx = _oracle_nearest(frames, x_train.astype(np.float64))
    expect_close(idx, want_idx, "indices of the nearest training digits to 9 frames of a cross-fade: "
                 "scikit-learn's NearestNeighbors", atol=0)
    expect_close(dist, want_dist, "distances of the nearest training digits (float32) to 9 frames of a "
                 "cross-fade: scikit-learn's, in float64", rtol=1e-6, atol=1e-6)


# attribute_vector


def _attribute(student, z, labels, source, target, what: str) -> np.ndarray:
    got = expect_array(student.call("attribute_vector", z, labels, source, target), what, shape=(z.shape[1],),
                       dtype=np.float64)
    return got


def _oracle_attribute(z, labels, source, target) -> np.ndarray:
    keep = (labels == source) | (labels == target)
    centroids = NearestCentroid().fit(z[keep], labels[keep])
    means = dict(zip(centroids.classes_.tolist(), centroids.centroids_, strict=True))
    return means[target] - means[source]


def _attribute_hints(z, labels, source, target):
    want = _oracle_attribute(z, labels, source, target)
    sums = z[labels == target].sum(axis=0) - z[labels == source].sum(axis=0)
    return [(lambda g, w: near(g, -want), "Yours points the wrong way, from target to source: it is "
             "target's mean minus source's."),
            (lambda g, w: near(g, sums), "Yours is a difference of sums; the contract asks for the "
             "difference of the class means."),
            (lambda g, w: near(g, z[labels == target].mean(axis=0) - z.mean(axis=0)), "Yours starts "
             "from the mean of all codes, not of the source class.")]


@graded("attribute_vector", points=1)
@learner_errors_fail("attribute_vector(z, labels, source, target) for int labels")
def test_attribute_vector_matches_class_means(student):
    rng = np.random.default_rng(90)
    labels = rng.integers(0, 4, size=40)
    z = rng.normal(size=(40, 5)) + 3.0 * rng.normal(size=(4, 5))[labels]
    for source, target in ((1, 3), (2, 0)):
        got = _attribute(student, z, labels, source, target, f"attribute_vector(z, labels, {source}, {target})")
        expect_close(got, _oracle_attribute(z, labels, source, target), f"attribute_vector(z, labels, "
                     f"{source}, {target}) for 40 codes of 4 classes: the mean code of class {target} minus "
                     f"that of class {source} (scikit-learn's NearestCentroid)", rtol=1e-10, atol=1e-12,
                     hints=_attribute_hints(z, labels, source, target))


@graded("attribute_vector", points=1)
@learner_errors_fail("attribute_vector(z, labels, source, target) for string labels")
def test_attribute_vector_with_string_labels(student):
    rng = np.random.default_rng(91)
    labels = np.array(["smile"] * 3 + ["neutral"] * 9 + ["glasses"] * 5)
    z = rng.normal(size=(17, 3)) + np.repeat(rng.normal(size=(3, 3)) * 4, [3, 9, 5], axis=0)
    got = _attribute(student, z, labels, "neutral", "smile", 'attribute_vector(z, labels, "neutral", "smile")')
    expect_close(got, _oracle_attribute(z, labels, "neutral", "smile"), 'attribute_vector(z, labels, "neutral", '
                 '"smile") for 3 smiling, 9 neutral and 5 other codes: the smiling mean minus the neutral '
                 "mean", rtol=1e-10, atol=1e-12, hints=_attribute_hints(z, labels, "neutral", "smile"))


@graded("attribute_vector", points=1)
@learner_errors_fail("attribute_vector(z, labels, source, target) for labels no code has")
def test_attribute_vector_refuses_a_missing_label(student):
    z = np.arange(12.0).reshape(6, 2)
    labels = np.array([0, 0, 1, 1, 2, 2])
    for source, target, which in ((5, 1, "source"), (0, 7, "target")):
        expect_error("ValueError", f"attribute_vector(z, labels, {source}, {target}) for labels 0, 1, 2: "
                     f"no code is labelled {which} {source if which == 'source' else target}", student.call,
                     "attribute_vector", z, labels, source, target)


@graded("attribute_vector", points=1, hidden=True)
@learner_errors_fail("attribute_vector(z, labels, 1, 7) for float32 codes of the digits")
def test_attribute_vector_moves_one_mean_onto_the_other(student):
    _, x_test, _, y_test = data.digits()
    z = np.array(x_test[:, :10])  # (450, 10) float32
    got = expect_array(call_unchanged(student, "attribute_vector", "attribute_vector(z, labels, 1, 7)", z,
                                  np.array(y_test), 1, 7), "attribute_vector(z, labels, 1, 7) for float32 codes",
                       shape=(10,), dtype=np.float64)
    z64 = z.astype(np.float64)
    expect_close(z64[y_test == 1].mean(axis=0) + got, z64[y_test == 7].mean(axis=0), "the mean code of the "
                 "1s plus attribute_vector(z, labels, 1, 7): the mean code of the 7s", rtol=1e-9, atol=1e-9,
                 hints=_attribute_hints(z64, y_test, 1, 7))


# nearest_along_path


def _oracle_along(z0, z1, items, n_steps, exclude=()):
    ts = np.linspace(0.0, 1.0, n_steps)
    path = geometric_slerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), ts)
    _, first = np.unique(items, axis=0, return_index=True)  # the first copy of each distinct row
    keep = np.setdiff1d(first, list(exclude))  # sorted
    _, idx = NearestNeighbors(n_neighbors=1, metric="cosine", algorithm="brute").fit(items[keep]).kneighbors(path)
    return keep[idx[:, 0]]


def _readout(path, items, exclude, cosine: bool = True) -> np.ndarray:
    """The row of items of largest cosine (or dot product) with each point of path, excluded rows
    never, the lowest index on ties: a second oracle, for hints."""
    scores = path @ (items / np.linalg.norm(items, axis=1, keepdims=True) if cosine else items).T
    scores[:, list(exclude)] = -np.inf
    return np.argmax(scores, axis=1)


def _expect_along(student, z0, z1, items, n_steps, exclude, prop, hints=()):
    what = f"nearest_along_path(z0, z1, items, {n_steps}, exclude={list(exclude)}) for items {items.shape}"
    got = expect_array(student.call("nearest_along_path", z0, z1, items, n_steps, exclude=list(exclude)), what,
                       shape=(n_steps,), dtype_kind="iu", dtype=np.int64)
    want = _oracle_along(z0, z1, items, n_steps, exclude)
    ts = np.linspace(0.0, 1.0, n_steps)
    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    kept = np.setdiff1d(np.arange(len(items)), list(exclude))  # what np.delete would leave, renumbered
    extra = [(lambda g, w: np.array_equal(g, _oracle_along(z0, z1, items, n_steps)) and list(exclude),
              "Yours returns excluded rows: rows in `exclude` are never read out."),
             (lambda g, w: np.array_equal(g, _oracle_along(z0, z1, items, n_steps + 1, exclude)[:-1]),
              "Yours stops short of t = 1: the n_steps times run from 0 to 1, both ends included."),
             (lambda g, w: np.array_equal(g, _readout(geometric_slerp(u0, u1, ts), items, exclude, cosine=False)),
              "Yours ranks items by dot product: cosine similarity divides by the items' norms."),
             (lambda g, w: np.array_equal(g, _readout(_line(u0, u1, ts), items, exclude)), "Yours follows the "
              "straight line between the unit vectors: the path is the great circle, slerp."),
             (lambda g, w: len(kept) < len(items) and g.max() < len(kept) and np.array_equal(kept[g.astype(np.int64)], w),
              "Yours are indices into items with the excluded rows removed, so every later row is renumbered: "
              "return indices of items itself (leave the excluded rows in, and never pick them)."),
             (lambda g, w: bool(set(g.tolist()) & set(exclude)), "Yours reads out an excluded row: an excluded "
              "row must lose to every other row, even one of negative cosine.")]
    expect_close(got, want, f"{what}: {prop}", atol=0, hints=list(hints) + extra)
    return got


@graded("nearest_along_path", points=2, depends=("slerp",))
@learner_errors_fail("nearest_along_path(z0, z1, items, n_steps, exclude)")
def test_nearest_along_path_matches_sklearn_cosine(student):
    rng = np.random.default_rng(100)
    items = rng.normal(size=(60, 3))
    z0, z1 = items[4] * 2.0, items[17] * 0.5
    _expect_along(student, z0, z1, items, 9, (4, 17), "scikit-learn's NearestNeighbors(metric=\"cosine\") "
                  "at 9 points of the great circle between the unit vectors of z0 and z1")


@graded("nearest_along_path", points=1, depends=("slerp",))
@learner_errors_fail("nearest_along_path(z0, z1, items, n_steps) for items of very different norms")
def test_items_of_different_norms_are_ranked_by_cosine(student):
    rng = np.random.default_rng(101)
    items = rng.normal(size=(40, 4)) * np.exp(rng.uniform(-4.0, 4.0, size=(40, 1)))  # norms 0.02 to 50
    z0, z1 = rng.normal(size=(2, 4))
    _expect_along(student, z0, z1, items, 8, (), "scikit-learn's NearestNeighbors(metric=\"cosine\") on items "
                  "whose norms range from 0.02 to 50 (their norms carry no meaning)")


@graded("nearest_along_path", points=1, depends=("slerp",))
@learner_errors_fail("nearest_along_path(z0, z1, items, n_steps, exclude) for z0 and z1 taken from items")
def test_excluded_rows_are_never_read_out(student):
    rng = np.random.default_rng(102)
    items = rng.normal(size=(30, 5))
    got = _expect_along(student, items[2], items[9], items, 6, (2, 9), "the nearest rows other than "
                        "2 and 9, the rows z0 and z1 came from (scikit-learn's cosine neighbours)")
    if {2, 9} & set(got.tolist()):
        raise AssertionError("excluded rows are never read out: expected no 2 or 9, got "
                             f"{got.tolist()}")
    items = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -0.2], [-0.3, -1.0], [-1.0, -1.0]])
    _expect_along(student, items[0], items[1], items, 5, (0, 1), "from row 0 to row 1 with both excluded, "
                  "every other row has a negative cosine with the path and one of them is still read out")


@graded("nearest_along_path", points=1, hidden=True, depends=("slerp",))
@learner_errors_fail("nearest_along_path(z0, z1, items, n_steps) with n_steps = 2 and the last step")
def test_both_ends_of_the_path_are_read_out(student):
    rng = np.random.default_rng(103)
    items = rng.normal(size=(25, 4))
    z0, z1 = items[3] + 0.05 * rng.normal(size=4), items[20] + 0.05 * rng.normal(size=4)
    _expect_along(student, z0, z1, items, 2, (), "n_steps = 2 reads out t = 0 and t = 1: the nearest rows to "
                  "z0 and to z1", hints=[(lambda g, w: g[-1] != 20 and g[0] == 3, "Your last step is not at "
                                          "z1: t = 1 is included.")])
    _expect_along(student, z0, z1, items, 5, (), "the last of 5 steps is at t = 1, read out as the row "
                  "nearest z1")


@graded("nearest_along_path", points=1, hidden=True, depends=("slerp",))
@learner_errors_fail("nearest_along_path(z0, z1, items, n_steps) for items that occur twice")
def test_duplicate_items_go_to_the_lowest_index(student):
    rng = np.random.default_rng(104)
    rows = rng.normal(size=(150, 3))
    items = np.concatenate([rows, rows])  # row 150 + i repeats row i
    student.reseed_globals(5)
    z0, z1 = rng.normal(size=(2, 3))
    got = _expect_along(student, z0, z1, items, 7, (), "the lowest index of items that occur twice "
                        "(scikit-learn's cosine neighbours among the first copies)", hints=[
                            (lambda g, w: (g >= 150).any() and np.array_equal(g % 150, w), "Yours picks the "
                             "second of equal items: np.argmax returns the first maximum; a reversed search, a "
                             "`>=` or a sort that is not stable may not.")])
    if (got >= 150).any():
        raise AssertionError(f"ties go to the lowest index: expected indices below 150, got {show(got)}")
