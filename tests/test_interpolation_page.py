"""The soap-bubble number that book/04_interpolation.md glues as `midpoint_ratio_64`."""

import math

import pytest

from latentlab.metrics import midpoint_norm_ratio


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_midpoint_of_a_linear_path_has_norm_sqrt_half_of_its_ends(seed):
    ratio = midpoint_norm_ratio(64, n_pairs=2000, seed=seed)
    assert abs(ratio / math.sqrt(0.5) - 1) < 0.01, (
        f"midpoint norm over endpoint norm for d = 64: expected within 1 % of sqrt(1/2) = "
        f"{math.sqrt(0.5):.4f}, got {ratio:.4f}")
