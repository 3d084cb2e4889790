"""Pieces shared by the construct families of tests/fuzz/constructs.py and constructs_data.py:
the Case a family draws, and a Builder of random inputs and smooth expressions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .programs import Draw


SMOOTH = ["np.sin({e})", "np.tanh({e})", "0.5 * {e}", "np.cos({e})", "{e} * {e}", "np.exp(0.3 * {e})",
          "({e} + 1.0) ** 2", "np.arctan({e})", "{e} / (1.0 + {e} ** 2)"]
COMBINE = ["{a} + {b}", "{a} * {b}", "{a} - 0.5 * {b}", "np.tanh({a} + {b})", "{a} * np.cos({b})",
           "0.5 * {a} + np.sin({b})"]
BOUNDED = ["np.sin({e})", "np.tanh({e})", "0.5 * {e}", "np.cos({e})", "np.arctan({e})"]
BOUNDED_COMBINE = ["np.tanh({a} + {b})", "{a} * np.cos({b})", "0.5 * {a} + np.sin({b})", "np.sin({a}) + {b}"]
LOSSES = ["np.sum({e})", "np.sum({e} ** 2)", "np.mean(np.sin({e}))", "np.sum(np.tanh({e}))", "np.sum({e} * 0.5)"]


@dataclass
class Case:
    source: str
    inputs: list
    wrt: tuple
    mode: str = "scalar"
    reseed: bool = False
    family: str = ""
    notes: dict = field(default_factory=dict)

    def describe_inputs(self) -> str:
        parts = []
        for k, value in enumerate(self.inputs):
            parts.append(f"x{k} = {value!r}" if not isinstance(value, np.ndarray) else f"x{k} = np.{value!r}")
        return "\n".join(parts) + f"\nwrt = {self.wrt}\nmode = {self.mode!r}"


class Builder:
    """Random pieces shared by the families: inputs, smooth expressions, losses."""

    def __init__(self, draw: Draw):
        self.d = draw
        self.rng = np.random.default_rng(draw.integer(0, 2**16))
        self.inputs: list = []
        self.rows = 0

    def param(self, shape: tuple, lo: float = -1.0, hi: float = 1.0) -> str:
        value = self.rng.uniform(lo, hi, shape)
        self.inputs.append(float(value) if shape == () else value)
        return f"x{len(self.inputs) - 1}"

    def smooth(self, e: str, depth: int = 1, bounded: bool = False) -> str:
        for _ in range(self.d.integer(1, depth)):
            e = self.d.choice(BOUNDED if bounded else SMOOTH).format(e=e if e.isidentifier() else f"({e})")
        return e

    def combine(self, a: str, b: str, bounded: bool = False) -> str:
        """A smooth function of a and b; bounded: one that keeps values bounded when repeated."""
        return self.d.choice(BOUNDED_COMBINE if bounded else COMBINE).format(a=a, b=b)

    def loss(self, e: str) -> str:
        return self.d.choice(LOSSES).format(e=e if e.isidentifier() else f"({e})")

    def wrt(self, names: list[int] | None = None) -> tuple:
        names = list(range(len(self.inputs))) if names is None else names
        chosen = tuple(k for k in names if self.d.coin(70))
        return chosen or (names[0],)

    def case(self, lines: list[str], mode: str = "scalar", family: str = "", wrt: tuple | None = None,
             reseed: bool = False, header: list[str] | None = None) -> Case:
        params = ", ".join(f"x{k}" for k in range(len(self.inputs)))
        source = "\n".join((header or []) + [f"def f({params}):"] + ["    " + s for s in lines]) + "\n"
        return Case(source, list(self.inputs), wrt if wrt is not None else self.wrt(), mode, reseed, family)


def helper_lines(name: str, params: str, body: list[str]) -> list[str]:
    """The lines of a helper function definition, and two blank lines."""
    return [f"def {name}({params}):"] + ["    " + s for s in body] + ["", ""]
