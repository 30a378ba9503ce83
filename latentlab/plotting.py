"""Figures, tables and progress shared by the book pages: small matplotlib and Markdown helpers."""

from __future__ import annotations

import math
import os
import time

import numpy as np

BOOK_BUILD = "LATENTLAB_BOOK_BUILD"  # set by `make book`: pages are executed for the built site


class _Summary:
    """A progress "bar" for a built page: one line, printed when the work is done."""

    def __init__(self, iterable=None, total=None, desc=""):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.n, self.start = 0, time.perf_counter()

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1
        self.close()

    def update(self, n=1):
        self.n += n

    def close(self):
        if self.start is not None:
            print(f"{self.desc}: {self.n:,} steps in {time.perf_counter() - self.start:.1f} s")
            self.start = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def progress(iterable=None, total=None, desc=""):
    """A progress bar over `iterable` (or `total` steps, updated by hand): live for a reader
    in Jupyter or a terminal, a single summary line in the built book."""
    if os.environ.get(BOOK_BUILD):
        return _Summary(iterable, total, desc)
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc)


def show_images(ax, images, ncols, title=""):
    """Draw images (n, 64) on `ax` as a grid of 8x8 tiles, dark strokes on white."""
    images = np.asarray(images, dtype=np.float64).reshape(-1, 8, 8)
    nrows = math.ceil(len(images) / ncols)
    grid = np.full((nrows * 9 - 1, ncols * 9 - 1), 0.12)  # faint lines between tiles
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        grid[r * 9:r * 9 + 8, c * 9:c * 9 + 8] = img
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def grouped_bars(ax, labels, series, ylabel, title, width=0.8):
    """Bars of several named series side by side per label: `series` maps name -> (n_labels,)."""
    x = np.arange(len(labels))
    bar_width = width / len(series)
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * bar_width
        ax.bar(x + offset, np.asarray(values, dtype=float), bar_width, label=name)
    ax.set_xticks(x, labels, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return ax


def _away(direction):
    """Text alignment (ha, va) that keeps a label on the side a 2-D `direction` points to."""
    dx, dy = direction
    if abs(dx) > abs(dy):
        return ("left" if dx > 0 else "right"), "center"
    return "center", ("bottom" if dy > 0 else "top")


def arrows_2d(ax, z_from, z_to, labels_from, labels_to, title):
    """Arrows from each row of `z_from` (n, 2) to the row of `z_to` (n, 2), both ends labelled."""
    z_from, z_to = np.asarray(z_from), np.asarray(z_to)
    for start, end, name_from, name_to in zip(z_from, z_to, labels_from, labels_to, strict=True):
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": "tab:gray", "lw": 1.2})
        ha, va = _away(start - end)
        ax.text(*start, name_from, color="tab:blue", ha=ha, va=va, fontsize=9)
        ha, va = _away(end - start)
        ax.text(*end, name_to, color="tab:red", ha=ha, va=va, fontsize=9)
    z = np.vstack([z_from, z_to])
    pad = 0.15 * (z.max(axis=0) - z.min(axis=0))
    ax.set_xlim(z[:, 0].min() - pad[0], z[:, 0].max() + pad[0])
    ax.set_ylim(z[:, 1].min() - pad[1], z[:, 1].max() + pad[1])
    ax.set_title(title)
    return ax


def markdown_table(header, rows, digits=3):
    """A Markdown table (str): `header` (n_cols,) over `rows` (n_rows, n_cols), floats rounded."""
    def cell(value):
        if isinstance(value, float | np.floating):
            return f"{value:.{digits}f}"
        if isinstance(value, int | np.integer):
            return f"{value:,}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
