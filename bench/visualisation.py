"""Time the maps of the visualisation chapter (book/05_visualisation.md) against the number of
digits: PCA, t-SNE (500 iterations) and UMAP (200 epochs), as `latentlab.maps` runs them for the
page, on one thread; and what UMAP's compilation costs a new process, with numba's cache warm and
cold.

Prints figures; it asserts nothing (budgets live in the README, not in timed tests).
    python bench/visualisation.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from latentlab.maps import digits_sample, pca_map, tsne_map, umap_map  # noqa: E402

SIZES = (500, 1000, 1797)
FIRST_FIT = ("import time; start = time.perf_counter(); import numpy as np; "
             "from latentlab.maps import umap_map; umap_map(np.random.default_rng(0).normal(size=(100, 5))); "
             "print(time.perf_counter() - start)")


def first_fit(cache_dir: str) -> float:
    """Seconds for a new process to import UMAP and fit 100 points, with numba's cache in cache_dir."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", FIRST_FIT], env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"the first UMAP fit failed:\n{proc.stderr[-2000:]}")
    return float(proc.stdout.split()[-1])


def timed(fn, x, repeats: int) -> float:
    """Median wall-clock seconds of fn(x, seed=0) over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x, seed=0)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per map and size (the median is shown)")
    repeats = parser.parse_args().repeats

    warm_dir = os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
    first_fit(warm_dir)  # fills the cache if it was empty
    warm = first_fit(warm_dir)
    with tempfile.TemporaryDirectory() as cold_dir:
        cold = first_fit(cold_dir)
    print(f"UMAP in a new process (import and a first fit of 100 points): {warm:.1f} s with numba's cache "
          f"warm, {cold:.1f} s cold (the cache is {warm_dir})")

    umap_map(digits_sample(100, seed=0)[0], seed=0)  # this process compiles (or loads) once, untimed
    rows = {}
    for n in SIZES:
        x, _ = digits_sample(n, seed=0)
        rows[n] = {name: timed(fn, x, repeats) for name, fn in
                   (("PCA", pca_map), ("t-SNE", tsne_map), ("UMAP", umap_map))}
    print(f"\nseconds per map of n digits, one thread, median of {repeats}:")
    print(f"{'n':>6} {'PCA':>7} {'t-SNE':>7} {'UMAP':>7}")
    for n, row in rows.items():
        print(f"{n:>6,} {row['PCA']:>7.2f} {row['t-SNE']:>7.2f} {row['UMAP']:>7.2f}")
    low, high = SIZES[0], SIZES[-1]
    for name in ("t-SNE", "UMAP"):
        exponent = math.log(rows[high][name] / rows[low][name]) / math.log(high / low)
        print(f"{name}: {rows[high][name] / rows[low][name]:.1f}x the time for {high / low:.1f}x the points "
              f"(time grows like n^{exponent:.2f} between {low:,} and {high:,})")


if __name__ == "__main__":
    main()
