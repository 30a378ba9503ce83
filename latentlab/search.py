"""Helpers of the retrieval chapter that are not exercises: the lexical tokenizer shared by the
page and the exercise, and the search runs the page measures."""

from __future__ import annotations

import re

TERM_RE = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """Lower-case search terms of `text`: maximal runs of the letters a-z and the digits 0-9."""
    return TERM_RE.findall(str(text).lower())
