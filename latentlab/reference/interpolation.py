"""Reference versions of assignment a04_interpolation: linear and spherical paths between two
codes, the prior's log-density along a path, a path's smoothness, each frame's nearest real
example, attribute vectors from labelled codes, and nearest items along a path by cosine.

Every function takes and returns numpy arrays (float64 unless stated), so the book's pages can
use them on codes from any model.
"""

from __future__ import annotations

import math

import numpy as np

PARALLEL = 1e-6  # radians: below this angle slerp is lerp
ANTIPARALLEL = 1e-6  # radians: within this of pi the great circle is not unique


def lerp(z0, z1, ts):
    """The straight path: row i is (1 - ts[i]) * z0 + ts[i] * z1, (len(ts), d)."""
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)
    return (1.0 - t) * z0 + t * z1


def angle(z0, z1):
    """The angle in radians between two nonzero vectors (d,), from their unit vectors' cosine."""
    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    return float(np.arccos(np.clip(u0 @ u1, -1.0, 1.0)))


def slerp(z0, z1, ts):
    """The great circle between the directions of z0 and z1 (d,), norms interpolated linearly:
    (len(ts), d). Nearly parallel endpoints (or a zero one) give lerp's path; nearly antiparallel
    ones raise ValueError, since no single great circle joins them."""
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    r0, r1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if r0 == 0.0 or r1 == 0.0:
        return lerp(z0, z1, ts)
    omega = angle(z0, z1)
    if omega < PARALLEL:
        return lerp(z0, z1, ts)
    if math.pi - omega < ANTIPARALLEL:
        raise ValueError("slerp: the endpoints point in opposite directions, so no single great "
                         "circle joins them")
    t = np.asarray(ts, dtype=np.float64)[:, None]  # (m, 1)
    direction = (np.sin((1.0 - t) * omega) * (z0 / r0) + np.sin(t * omega) * (z1 / r1)) / np.sin(omega)
    return ((1.0 - t) * r0 + t * r1) * direction


def log_prior(z, scale=1.0):
    """log N(z_i; 0, scale^2 I_d) for each row of z (m, d): (m,) nats."""
    z = np.asarray(z, dtype=np.float64)
    d = z.shape[1]
    return -0.5 * (z**2).sum(axis=1) / scale**2 - d * math.log(scale) - 0.5 * d * math.log(2 * math.pi)


def path_smoothness(frames):
    """(steps, ratio): the Euclidean distances (m - 1,) between consecutive frames (m, D), and
    their max over their mean (1.0 when every step is 0)."""
    frames = np.asarray(frames, dtype=np.float64)
    steps = np.linalg.norm(np.diff(frames, axis=0), axis=1)
    mean = steps.mean()
    return steps, float(steps.max() / mean) if mean > 0 else 1.0


def nearest_real(frames, reference):
    """(distances, indices): each frame's (m, D) Euclidean distance to its nearest row of
    reference (n, D), and that row's index, the lowest one on a tie."""
    from scipy.spatial.distance import cdist

    dist = cdist(np.asarray(frames, dtype=np.float64), np.asarray(reference, dtype=np.float64))  # (m, n)
    idx = dist.argmin(axis=1)  # the first of equal minima
    return dist[np.arange(len(dist)), idx], idx.astype(np.int64)


def attribute_vector(z, labels, source, target):
    """The mean code of label `target` minus the mean code of label `source`: (d,)."""
    z, labels = np.asarray(z, dtype=np.float64), np.asarray(labels)
    for label in (source, target):
        if not np.any(labels == label):
            raise ValueError(f"attribute_vector: no code has the label {label!r}")
    return z[labels == target].mean(axis=0) - z[labels == source].mean(axis=0)


def nearest_along_path(z0, z1, items, n_steps, exclude=()):
    """For each of n_steps points of slerp between the unit vectors of z0 and z1 (t from 0 to 1,
    both included), the index of the row of items (n, d) with the largest cosine to it, never
    one in `exclude`, the lowest index on a tie: int64 (n_steps,)."""
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    path = slerp(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1), np.linspace(0.0, 1.0, n_steps))
    items = np.asarray(items, dtype=np.float64)
    cos = (path / np.linalg.norm(path, axis=1, keepdims=True)) @ (
        items / np.linalg.norm(items, axis=1, keepdims=True)).T  # (n_steps, n)
    cos[:, list(exclude)] = -np.inf
    return np.argmax(cos, axis=1).astype(np.int64)
