"""Tests of assignment a04_interpolation: the solution earns every point, every listed mistake loses
points in its own exercise (and, for a slerp or lerp that a later exercise calls, there too, by a
message naming it), correct solutions in other styles earn every point, and degenerate answers
fail with a message.
"""

import numpy as np

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a04_interpolation"

# Source lines of the solution that the mistakes below rewrite.
LERP = "return (1.0 - t) * z0 + t * z1"
LERP_T = "t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)\n    return (1.0 - t) * z0"
OMEGA = "omega = np.arccos(np.clip(u0 @ u1, -1.0, 1.0))  # the angle between the directions"
DIRECTION = "direction = (np.sin((1.0 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)"
NORM = "return ((1.0 - t) * r0 + t * r1) * direction"
UNITS = "u0, u1 = z0 / r0, z1 / r1"
ZERO = "    if r0 == 0.0 or r1 == 0.0:\n        return lerp(z0, z1, ts)\n"
PARALLEL = "    if omega < 1e-6:\n        return lerp(z0, z1, ts)\n"
OPPOSITE = ("    if np.pi - omega < 1e-6:\n        raise ValueError(\"slerp: z0 and z1 point in opposite directions; "
            "the great circle is not unique\")\n")
LOG_PRIOR = "return -0.5 * (z**2).sum(axis=1) / scale**2 - d * np.log(scale) - 0.5 * d * np.log(2 * np.pi)"
LOG_Z = "z = np.asarray(z, dtype=np.float64)\n    d = z.shape[1]"
STEPS = "steps = np.sqrt(((frames[1:] - frames[:-1]) ** 2).sum(axis=1))  # (m - 1,)"
RATIO = "return steps, (float(steps.max() / mean) if mean > 0 else 1.0)"
FRAMES = "frames = np.asarray(frames, dtype=np.float64)\n    steps"
DIFF = "    diff = frames[:, None, :] - reference[None, :, :]  # (m, n, D)\n"
DIST = "dist = np.sqrt((diff**2).sum(axis=2))  # (m, n)"
ARGMIN = "indices = dist.argmin(axis=1)  # the first of equal minima"
REAL_RETURN = "return dist[np.arange(len(frames)), indices], indices.astype(np.int64)"
REAL_IN = ("frames = np.asarray(frames, dtype=np.float64)\n"
           "    reference = np.asarray(reference, dtype=np.float64)")
MEAN = "means[label] = rows.mean(axis=0)"
EMPTY = "        if len(rows) == 0:\n            raise ValueError(f\"no code is labelled {label!r}\")\n"
ATTRIBUTE = "return means[target] - means[source]"
LINSPACE = "np.linspace(0.0, 1.0, n_steps)"
UNIT_ITEMS = "unit_items = items / np.linalg.norm(items, axis=1, keepdims=True)  # (n, d)"
EXCLUDE = "    cos[:, list(exclude)] = -np.inf\n"
ARGMAX = "return np.argmax(cos, axis=1).astype(np.int64)"
ALONG = "nearest_along_path"

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
MISTAKES = [
    # lerp
    m("the endpoints swapped, (1 - t) z1 + t z0", "lerp", {LERP: "return (1.0 - t) * z1 + t * z0"},
      "test_lerp_matches_the_line_at_random_times", also=("slerp",)),
    m("the times clipped to [0, 1]", "lerp",
      {LERP_T: "t = np.clip(np.asarray(ts, dtype=np.float64), 0, 1)[:, None]\n    return (1.0 - t) * z0"},
      "test_lerp_continues_the_line_past_the_endpoints"),
    m("lerp returned in float32", "lerp", {LERP: "return ((1.0 - t) * z0 + t * z1).astype(np.float32)"},
      "test_lerp_matches_the_line_at_random_times", also=("slerp",)),
    m("the direction computed in place, z1 -= z0", "lerp", {LERP: "z1 -= z0\n    return z0 + t * z1"},
      "test_lerp_in_float64_and_leaves_its_inputs"),
    m("lerp of the first time only, broadcast", "lerp",
      {LERP: "return np.tile((1.0 - t[0]) * z0 + t[0] * z1, (len(t), 1))"},
      "test_lerp_matches_the_line_at_random_times", also=("slerp",)),
    # slerp
    m("slerp's endpoints swapped", "slerp",
      {DIRECTION: "direction = (np.sin((1.0 - t) * omega) * u1 + np.sin(t * omega) * u0) / np.sin(omega)",
       NORM: "return ((1.0 - t) * r1 + t * r0) * direction"},
      "test_slerp_matches_scipy_on_unit_vectors", also=(ALONG,)),
    m("the sine weights swapped", "slerp",
      {DIRECTION: "direction = (np.sin(t * omega) * u0 + np.sin((1.0 - t) * omega) * u1) / np.sin(omega)"},
      "test_slerp_matches_scipy_on_unit_vectors", also=(ALONG,)),
    m("the angle from the unnormalised vectors", "slerp",
      {OMEGA: "omega = np.arccos(np.clip(z0 @ z1, -1.0, 1.0))"},
      "test_slerp_directions_follow_the_great_circle"),
    m("the angle from unnormalised vectors, divided by one norm only", "slerp",
      {OMEGA: "omega = np.arccos(np.clip(z0 @ z1 / r0, -1.0, 1.0))"},
      "test_slerp_exact_endpoints_and_equal_angles"),
    m("the cosine not clipped (NaN for identical endpoints)", "slerp",
      {OMEGA: "omega = np.arccos(u0 @ u1)"},
      "test_slerp_is_lerp_for_parallel_or_zero_endpoints"),
    m("the norm not interpolated (a path on the unit sphere)", "slerp", {NORM: "return direction"},
      "test_slerp_interpolates_the_norm_linearly"),
    m("the norm of z0 all the way", "slerp", {NORM: "return r0 * direction"},
      "test_slerp_exact_endpoints_and_equal_angles"),
    m("the textbook slerp of the raw vectors (for unit vectors only)", "slerp",
      {DIRECTION + "\n    " + NORM: "return (np.sin((1.0 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)"},
      "test_slerp_directions_follow_the_great_circle"),
    m("no lerp fallback for parallel endpoints", "slerp", {PARALLEL: ""},
      "test_slerp_is_lerp_for_parallel_or_zero_endpoints"),
    m("a zero endpoint not handled", "slerp", {ZERO: ""}, "test_slerp_is_lerp_for_parallel_or_zero_endpoints"),
    m("opposite endpoints not refused", "slerp", {OPPOSITE: ""}, "test_slerp_refuses_opposite_endpoints"),
    m("opposite endpoints refused only when exactly opposite", "slerp",
      {"if np.pi - omega < 1e-6:": "if omega == np.pi and np.allclose(u0, -u1, rtol=0, atol=0):"},
      "test_slerp_refuses_opposite_endpoints"),
    m("slerp returned in float32", "slerp", {NORM: "return (((1.0 - t) * r0 + t * r1) * direction).astype(np.float32)"},
      "test_slerp_matches_scipy_on_unit_vectors", also=(ALONG,)),
    m("the endpoints normalised in place", "slerp",
      {UNITS: "z0 /= r0\n    z1 /= r1\n    u0, u1 = z0, z1"}, "test_slerp_of_float32_codes_in_64_dimensions"),
    m("the times not given a column axis", "slerp",
      {"    t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)\n    direction":
       "    t = np.asarray(ts, dtype=np.float64)\n    direction"},
      "test_slerp_matches_scipy_on_unit_vectors", also=(ALONG,)),
    # log_prior
    m("the -d/2 log(2 pi) term missing", "log_prior",
      {LOG_PRIOR: "return -0.5 * (z**2).sum(axis=1) / scale**2 - d * np.log(scale)"},
      "test_log_prior_matches_scipy"),
    m("the variance where the standard deviation belongs", "log_prior",
      {LOG_PRIOR: "return -0.5 * (z**2).sum(axis=1) / scale - 0.5 * d * np.log(scale) - 0.5 * d * np.log(2 * np.pi)"},
      "test_log_prior_with_a_scale"),
    m("the -d log(scale) term missing", "log_prior",
      {LOG_PRIOR: "return -0.5 * (z**2).sum(axis=1) / scale**2 - 0.5 * d * np.log(2 * np.pi)"},
      "test_log_prior_with_a_scale"),
    m("a density computed, then logged", "log_prior",
      {LOG_PRIOR: "return np.log(np.exp(-0.5 * (z**2).sum(axis=1) / scale**2) / (scale * np.sqrt(2 * np.pi)) ** d)"},
      "test_log_prior_far_from_the_origin"),
    m("the squares summed over the wrong axis", "log_prior",
      {"(z**2).sum(axis=1)": "(z**2).sum(axis=0)"}, "test_log_prior_matches_scipy"),
    m("a mean of the squares instead of their sum", "log_prior",
      {"(z**2).sum(axis=1)": "(z**2).mean(axis=1)"}, "test_log_prior_matches_scipy"),
    m("the log-density computed in float32", "log_prior",
      {LOG_Z: "z = np.asarray(z, dtype=np.float32)\n    d = z.shape[1]"}, "test_log_prior_of_many_float32_points"),
    # path_smoothness
    m("squared step lengths", "path_smoothness",
      {STEPS: "steps = ((frames[1:] - frames[:-1]) ** 2).sum(axis=1)"}, "test_steps_match_scipy"),
    m("steps summed over the wrong axis", "path_smoothness",
      {STEPS: "steps = np.sqrt(((frames[1:] - frames[:-1]) ** 2).sum(axis=0))"}, "test_steps_match_scipy"),
    m("Manhattan steps", "path_smoothness",
      {STEPS: "steps = np.abs(frames[1:] - frames[:-1]).sum(axis=1)"}, "test_steps_match_scipy"),
    m("the ratio of the largest step to the smallest", "path_smoothness",
      {RATIO: "return steps, (float(steps.max() / steps.min()) if mean > 0 else 1.0)"},
      "test_ratio_of_a_path_that_jumps"),
    m("0 / 0 for a path that never moves", "path_smoothness",
      {RATIO: "return steps, float(steps.max() / mean)"}, "test_a_path_that_stands_still"),
    m("the ratio returned as a 0-d array", "path_smoothness",
      {RATIO: "return steps, (np.array(steps.max() / mean) if mean > 0 else 1.0)"},
      "test_ratio_of_a_path_that_jumps"),
    m("the steps returned as a list", "path_smoothness",
      {RATIO: "return steps.tolist(), (float(steps.max() / mean) if mean > 0 else 1.0)"},
      "test_steps_match_scipy"),
    m("the steps in the frames' float32", "path_smoothness",
      {FRAMES: "frames = np.asarray(frames)\n    steps"}, "test_two_frames_and_an_even_path"),
    # nearest_real
    m("the farthest row (argmax of the distance)", "nearest_real",
      {ARGMIN: "indices = dist.argmax(axis=1)"}, "test_nearest_real_matches_sklearn"),
    m("squared distances", "nearest_real", {DIST: "dist = (diff**2).sum(axis=2)"},
      "test_nearest_real_matches_sklearn"),
    m("the expansion |a|^2 + |b|^2 - 2ab without clipping (sqrt of a negative)", "nearest_real",
      {DIFF: "", DIST: "dist = np.sqrt((frames**2).sum(1)[:, None] + (reference**2).sum(1)[None, :]"
       " - 2 * frames @ reference.T)"}, "test_frames_that_are_real_examples_are_at_distance_zero"),
    m("ties broken by the last index", "nearest_real",
      {ARGMIN: "indices = dist.shape[1] - 1 - dist[:, ::-1].argmin(axis=1)"}, "test_ties_go_to_the_lowest_index"),
    m("indices returned as floats", "nearest_real",
      {REAL_RETURN: "return dist[np.arange(len(frames)), indices], indices.astype(np.float64)"},
      "test_nearest_real_matches_sklearn"),
    m("distances in float32", "nearest_real",
      {REAL_IN: "frames = np.asarray(frames, dtype=np.float32)\n    reference = np.asarray(reference, dtype=np.float32)"},
      "test_nearest_real_on_digits"),
    m("the frames centred in place on the reference's mean", "nearest_real",
      {REAL_IN: "reference = np.asarray(reference, dtype=np.float64)\n    frames = np.asarray(frames)\n"
       "    frames -= reference.mean(axis=0)\n    reference = reference - reference.mean(axis=0)"},
      "test_nearest_real_on_digits"),
    m("the nearest row by np.argsort's default sort, not stable for ties", "nearest_real",
      {ARGMIN: "indices = np.argsort(dist, axis=1)[:, 0]"}, "test_ties_go_to_the_lowest_index"),
    m("the clipped expansion |a|^2 + |b|^2 - 2ab in float32", "nearest_real",
      {DIFF: "", DIST: "f32, r32 = frames.astype(np.float32), reference.astype(np.float32)\n"
       "    dist = np.sqrt(np.maximum((f32**2).sum(1)[:, None] + (r32**2).sum(1)[None, :] - 2 * f32 @ r32.T, 0))"
       ".astype(np.float64)"}, "test_frames_that_are_real_examples_are_at_distance_zero"),
    # attribute_vector
    m("the attribute vector with the wrong sign", "attribute_vector",
      {ATTRIBUTE: "return means[source] - means[target]"}, "test_attribute_vector_matches_class_means"),
    m("a missing label not refused", "attribute_vector", {EMPTY: ""}, "test_attribute_vector_refuses_a_missing_label"),
    m("class sums instead of class means", "attribute_vector", {MEAN: "means[label] = rows.sum(axis=0)"},
      "test_attribute_vector_with_string_labels"),
    m("class means over the wrong axis", "attribute_vector", {MEAN: "means[label] = rows.mean(axis=1)"},
      "test_attribute_vector_matches_class_means"),
    m("labels cast to int", "attribute_vector", {"np.asarray(labels)": "np.asarray(labels).astype(int)"},
      "test_attribute_vector_with_string_labels"),
    m("the attribute vector in the codes' float32", "attribute_vector",
      {"z, labels = np.asarray(z, dtype=np.float64)": "z, labels = np.asarray(z)"},
      "test_attribute_vector_moves_one_mean_onto_the_other"),
    m("the source mean taken over all codes", "attribute_vector",
      {ATTRIBUTE: "return means[target] - z.mean(axis=0)"}, "test_attribute_vector_with_string_labels"),
    # nearest_along_path
    m("t = 1 excluded from the path", ALONG, {LINSPACE: "np.linspace(0.0, 1.0, n_steps, endpoint=False)"},
      "test_both_ends_of_the_path_are_read_out"),
    m("n_steps taken as the number of intervals", ALONG, {LINSPACE: "np.linspace(0.0, 1.0, n_steps + 1)"},
      "test_both_ends_of_the_path_are_read_out"),
    m("exclude ignored (the query itself read out)", ALONG, {EXCLUDE: ""}, "test_excluded_rows_are_never_read_out"),
    m("cosine without normalising the items (a dot product)", ALONG, {UNIT_ITEMS: "unit_items = items"},
      "test_items_of_different_norms_are_ranked_by_cosine"),
    m("ties broken by the last index", ALONG,
      {ARGMAX: "return (cos.shape[1] - 1 - np.argmax(cos[:, ::-1], axis=1)).astype(np.int64)"},
      "test_duplicate_items_go_to_the_lowest_index"),
    m("the least similar item (argmin of the cosine)", ALONG, {ARGMAX: "return np.argmin(cos, axis=1).astype(np.int64)"},
      "test_nearest_along_path_matches_sklearn_cosine"),
    m("the indices returned as a list", ALONG, {ARGMAX: "return np.argmax(cos, axis=1).tolist()"},
      "test_nearest_along_path_matches_sklearn_cosine"),
    m("excluded rows dropped, indices counted in what is left", ALONG,
      {EXCLUDE + "    " + ARGMAX: "    keep = np.setdiff1d(np.arange(len(items)), list(exclude))\n"
       "    return np.argmax(cos[:, keep], axis=1).astype(np.int64)"},
      "test_nearest_along_path_matches_sklearn_cosine"),
    m("excluded rows given a cosine of 0 rather than never picked", ALONG,
      {EXCLUDE: "    cos[:, list(exclude)] = 0.0\n"}, "test_excluded_rows_are_never_read_out"),
    m("the straight line between the unit vectors instead of slerp", ALONG,
      {"path = slerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), np.linspace(0.0, 1.0, n_steps))":
       "path = lerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), np.linspace(0.0, 1.0, n_steps))"},
      "test_nearest_along_path_matches_sklearn_cosine"),
]


# Correct solutions in other styles: each must get full marks.
LERP_BODY = ("    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)\n"
             "    t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)\n    " + LERP)
SLERP_TAIL = ("    u0, u1 = z0 / r0, z1 / r1\n    " + OMEGA + "\n" + PARALLEL + OPPOSITE
              + "    t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)\n    " + DIRECTION + "\n    " + NORM)
ALTERNATIVES = [
    Alternative("lerp as z0 + t (z1 - z0); slerp by the angle 2 atan2(|u0 - u1|, |u0 + u1|) and a rotation in "
                "the plane of u0 and u1; log_prior from scipy.stats.norm; steps by np.diff; nearest rows by "
                "the clipped expansion; class means by masks; the path read out in a loop", {
                    LERP_BODY: ("    z0 = np.array(z0, dtype=np.float64)\n"
                                "    step = np.array(z1, dtype=np.float64) - z0\n"
                                "    return z0 + np.outer(np.asarray(ts, dtype=np.float64), step)"),
                    SLERP_TAIL: (
                        "    u0, u1 = z0 / r0, z1 / r1\n"
                        "    omega = 2.0 * np.arctan2(np.linalg.norm(u0 - u1), np.linalg.norm(u0 + u1))\n"
                        "    if omega < 1e-6:\n        return lerp(z0, z1, ts)\n"
                        "    if omega > np.pi - 1e-6:\n        raise ValueError('opposite directions')\n"
                        "    v = u1 - (u0 @ u1) * u0\n    v = v / np.linalg.norm(v)  # unit, orthogonal to u0\n"
                        "    rows = []\n"
                        "    for t in np.asarray(ts, dtype=np.float64):\n"
                        "        radius = r0 + t * (r1 - r0)\n"
                        "        rows.append(radius * (np.cos(t * omega) * u0 + np.sin(t * omega) * v))\n"
                        "    out = np.array(rows).reshape(len(ts), len(z0))\n"
                        "    out[np.asarray(ts) == 0.0] = z0\n    out[np.asarray(ts) == 1.0] = z1\n"
                        "    return out"),
                    LOG_Z + "\n    " + LOG_PRIOR: (
                        "from scipy.stats import norm\n"
                        "    return norm.logpdf(np.asarray(z, dtype=np.float64), scale=scale).sum(axis=1)"),
                    STEPS: "steps = np.linalg.norm(np.diff(frames, axis=0), axis=1)",
                    DIFF + "    " + DIST: (
                        "    sq = (frames**2).sum(1)[:, None] + (reference**2).sum(1)[None, :] - 2 * frames @ reference.T\n"
                        "    dist = np.sqrt(np.maximum(sq, 0.0))  # (m, n)"),
                    "    means = {}\n    for label in (source, target):\n        rows = z[labels == label]\n"
                    + EMPTY + "        " + MEAN + "\n    " + ATTRIBUTE: (
                        "    if not (labels == source).any() or not (labels == target).any():\n"
                        "        raise ValueError('a label no code has')\n"
                        "    return np.mean(z[labels == target], axis=0) - np.mean(z[labels == source], axis=0)"),
                    "    cos = unit_path @ unit_items.T  # (n_steps, n)\n" + EXCLUDE + "    " + ARGMAX: (
                        "    banned = set(int(i) for i in exclude)\n    out = []\n"
                        "    for p in unit_path:\n"
                        "        best, best_cos = -1, -np.inf\n"
                        "        for i, u in enumerate(unit_items):\n"
                        "            c = float(p @ u)\n"
                        "            if i not in banned and c > best_cos:\n"
                        "                best, best_cos = i, c\n"
                        "        out.append(best)\n"
                        "    return np.array(out, dtype=np.int64)"),
                }),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message, and the
# same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("a path as a list", "test_lerp_matches_the_line_at_random_times", {"lerp": returns([[0.0] * 5] * 8)}),
    OddReturn("a path of NaN", "test_slerp_matches_scipy_on_unit_vectors", {"slerp": returns(np.full((9, 6), np.nan))}),
    OddReturn("slerp returning its input", "test_slerp_is_lerp_for_parallel_or_zero_endpoints",
              {"slerp": lambda z0, z1, ts: np.tile(z0, (len(ts), 1))}),
    OddReturn("no exception for opposite endpoints", "test_slerp_refuses_opposite_endpoints",
              {"slerp": returns(np.zeros((5, 3)))}),
    OddReturn("a log-density of None", "test_log_prior_matches_scipy", {"log_prior": returns(None)}),
    OddReturn("steps without a ratio", "test_steps_match_scipy", {"path_smoothness": returns(np.ones(6))}),
    OddReturn("a ratio of NaN", "test_ratio_of_a_path_that_jumps",
              {"path_smoothness": returns((np.ones(4), float("nan")))}),
    OddReturn("nearest rows as lists", "test_nearest_real_matches_sklearn",
              {"nearest_real": returns(([0.0] * 6, [0] * 6))}),
    OddReturn("an attribute vector of zeros", "test_attribute_vector_matches_class_means",
              {"attribute_vector": returns(np.zeros(5))}),
    OddReturn("no exception for a missing label", "test_attribute_vector_refuses_a_missing_label",
              {"attribute_vector": returns(np.zeros(2))}),
    OddReturn("row 0 at every step", "test_nearest_along_path_matches_sklearn_cosine",
              {ALONG: returns(np.zeros(9, dtype=np.int64))}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 15
    whole_notebook_mistake = 1  # the times clipped: the first row costs slerp's points too
    blame_once = True
