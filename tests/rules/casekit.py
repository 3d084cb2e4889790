"""The kit the per-rule case tables are written with: `case`, shapes, samplers.

tests/rules/test_rules.py holds the table of the first rules; each
tests/rules/cases_<topic>.py adds a `CASES` dict of its own, merged into the
table by test_rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from tangent_src.rules.registry import lookup

F = "float"  # a shape standing for a Python float operand
TOLERANCE = 1e-6  # relative error against central differences; observed errors are ~1e-8

Sampler = Callable[[np.random.Generator, tuple], np.ndarray]


# ------------------------------------------------------------------ samplers that avoid kinks and ties


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values at least 0.1 apart from each other: no ties for max and min."""
    n = int(np.prod(shape, dtype=int))
    values = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) * 0.5 - n / 4
    return values.reshape(shape)


def _bands(*bands: tuple[float, float]) -> Sampler:
    """Values drawn uniformly from one of the given intervals, chosen at random per element."""

    def sample(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        which = rng.integers(0, len(bands), shape)
        lows = np.array([b[0] for b in bands])[which]
        highs = np.array([b[1] for b in bands])[which]
        return rng.uniform(lows, highs)

    return sample


def _uniform(low: float, high: float) -> Sampler:
    return lambda rng, shape: rng.uniform(low, high, shape)


normal: Sampler = lambda rng, shape: rng.standard_normal(shape)  # noqa: E731
positive = _uniform(0.5, 2.5)
large = _bands((-2.0, -0.5), (0.5, 2.0))  # for maximum/minimum: far from `small`
small = _uniform(-0.25, 0.25)
clip_scalar_bounds = _bands((-2.0, -0.6), (-0.4, 0.4), (0.6, 2.0))  # away from the bounds -0.5, 0.5
clip_array_value = _bands((-2.0, -1.4), (-0.6, 0.6), (1.4, 2.0))  # away from the bounds below
clip_low = _uniform(-1.2, -0.8)
clip_high = _uniform(0.8, 1.2)
away_from_tenth = _bands((-2.0, 0.0), (0.2, 2.0))  # for the condition x > 0.1
not_near_integer = lambda rng, shape: rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.9, shape)  # noqa: E731


# ------------------------------------------------------------------ the case table


@dataclass(frozen=True)
class Case:
    key: str  # the rule under test ("" until the table's key fills it in)
    body: str  # a return expression, or statements ending in `return ...`
    shapes: tuple  # one per parameter: a shape tuple (an ndarray, () is 0-d) or F (a Python float)
    names: tuple[str, ...]
    samplers: dict[str, Sampler] = field(default_factory=dict, hash=False, compare=False)

    @property
    def id(self) -> str:
        body = self.body.replace("\n", "; ")
        shapes = ",".join("float" if s == F else "x".join(map(str, s)) or "0d" for s in self.shapes)
        return f"{self.key}[{body}]({shapes})"

    @property
    def source(self) -> str:
        lines = self.body.splitlines() if "return" in self.body else [f"return {self.body}"]
        return f"def f({', '.join(self.names)}):\n" + "".join(f"    {line.strip()}\n" for line in lines)

    def sampler(self, name: str) -> Sampler:
        if name in self.samplers:
            return self.samplers[name]
        rule = lookup(self.key)
        return rule.domain.get(name, normal) if rule is not None else normal


def _make(body: str, shapes: tuple, names: str, samplers: dict[str, Sampler]) -> Case:
    params = tuple(n.strip() for n in names.split(",")) if names else ("x", "y", "w")[: len(shapes)]
    assert len(params) == len(shapes) and set(samplers) <= set(params), body
    return Case("", body, shapes, params, samplers)


def case(body: str, *shapes: Any, names: str = "", **samplers: Sampler) -> Case:
    """A case `body` over parameters `names` (default x, y, w) of the given shapes (F: a Python float)."""
    return _make(body, shapes, names, samplers)


BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), ()), ((4, 1), (4, 5)),
                 ((1, 3), (2, 3)), ((2, 3), F), (F, (3,))]
UNARY_SHAPES = [(), (3,), (2, 3), (1, 3), F]
UNARY_UFUNCS = ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                "exp", "expm1", "log", "log1p", "sqrt", "square", "abs")


def _binary(body: str, **samplers: Sampler) -> list[Case]:
    return [_make(body, shapes, "", samplers) for shapes in BINARY_SHAPES]


def _unary(body: str, **samplers: Sampler) -> list[Case]:
    return [_make(body, (shape,), "", samplers) for shape in UNARY_SHAPES]
