"""The limits of one sealed grading, and their command-line flags, written once."""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, fields


@dataclass
class Limits:
    """The worker's limits; flags of `python -m autograder grade` override them."""

    call_timeout: float = 60.0
    cell_timeout: float = 120.0
    memory_bytes: int = 4 << 30
    output_bytes: int = 1 << 20
    startup_timeout: float = 60.0
    total_timeout: float = 300.0  # half of Gradescope's default limit of 10 minutes
    sandbox: str = "auto"  # "auto": the strongest available; "strict": fail without it; "off"
    hide: tuple = ()  # folders the worker must not see (the submissions, the grader's output)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Limits:
        """The limits the flags of `add_flags` gave."""
        values = {}
        for flag, name, _, scale, _ in _FLAGS:
            value = getattr(args, flag.removeprefix("--").replace("-", "_"))
            values[name] = value << scale if scale else value
        return cls(**values)

    def to_argv(self) -> list[str]:
        """The flags that give these limits to another grader process."""
        argv = []
        for flag, name, _, scale, _ in _FLAGS:
            value = getattr(self, name)
            argv += [flag, str(value >> scale if scale else value)]
        return argv


def positive(kind):
    """An argparse type: a finite number above 0 of `kind` (float or int)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text} should be a number above 0")
        return value
    return parse


# (flag, Limits field, argparse type, bit shift from the flag's unit to the field's, help)
_FLAGS = [
    ("--call-timeout", "call_timeout", positive(float), 0, "seconds one call of the learner's code may take"),
    ("--cell-timeout", "cell_timeout", positive(float), 0, "seconds one notebook cell may take"),
    ("--memory-mb", "memory_bytes", positive(int), 20, "memory cap of the worker in MiB"),
    ("--output-kb", "output_bytes", positive(int), 10, "output of the learner's code kept, in KiB"),
    ("--total-timeout", "total_timeout", positive(float), 0,
     "seconds for a whole grading; its result comes back within this"),
    ("--sandbox", "sandbox", None, 0, "auto: strongest available (own uid and namespaces as root); "
                                      "strict: fail without it; off: plain subprocess"),
]
assert {f[1] for f in _FLAGS} | {"startup_timeout", "hide"} == {f.name for f in fields(Limits)}


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The limit flags, with the defaults of `Limits`."""
    defaults = Limits()
    for flag, name, kind, scale, text in _FLAGS:
        default = getattr(defaults, name)
        default = default >> scale if scale else default
        if kind is None:
            parser.add_argument(flag, choices=["auto", "strict", "off"], default=default, help=text)
        else:
            parser.add_argument(flag, type=kind, default=default, help=f"{text} (default {default:g})")
