"""Cases for arrays made from numbers and for random draws (rules/creation.py, rules/draws.py).

linspace is linear in its endpoints. Draws are made from a generator seeded inside the
function, so every evaluation (finite differences included) sees the same standard draw:
the derivative is that of loc + scale e for that e (the reparameterization).
"""

from __future__ import annotations

from casekit import F, _uniform, case, positive

scale = _uniform(0.5, 2.0)
low, high = _uniform(-2.0, -1.0), _uniform(1.0, 2.0)
DRAW = "rng = np.random.default_rng(7)\nreturn "

CASES = {
    "numpy.linspace": [
        case("np.linspace(x, y, 5)", F, F),
        case("np.linspace(x, y, 4)", (), ()),
        case("np.linspace(x, y, 4, endpoint=False)", (3,), (3,)),
        case("np.linspace(x, 2.0, 6)", (2, 3)),
        case("np.linspace(x, y, 3, axis=1)", (2,), (3, 2)),
        case("np.linspace(x, y, 3, axis=-1)", (2, 3), ()),
        case("np.linspace(x, y, 1)", F, F),
        case("np.sum(np.linspace(x, y, 7) ** 2)", F, F),
    ],
    **{
        f"numpy.random.Generator.{name}": [
            case(DRAW + f"rng.{name}(x, y, 4)", F, F, y=scale),
            case(DRAW.replace("7", "2") + f"rng.{name}(x, y)", F, F, y=scale),
            case(DRAW + f"rng.{name}(x, y, (2, 3))", (3,), (2, 1), y=scale),
            case(DRAW + f"rng.{name}(x, size=3)", ()),
            case(DRAW + f"rng.{name}(scale=x, size=3)", (), x=scale),
        ]
        for name in ("normal", "laplace", "logistic", "gumbel")
    },
    **{
        f"numpy.random.{name}": [
            case(f"np.random.seed(3)\nreturn np.random.{name}(x, y, 3)", F, F, y=scale),
            case(f"np.random.seed(3)\nreturn np.random.{name}(x, y, (2, 3))", (3,), (), y=scale),
        ]
        for name in ("normal", "laplace", "logistic", "gumbel")
    },
    "numpy.random.Generator.uniform": [
        case(DRAW + "rng.uniform(x, y, 4)", F, F, x=low, y=high),
        case(DRAW + "rng.uniform(x, y, (2, 3))", (3,), (), x=low, y=high),
        case(DRAW + "rng.uniform(high=x, size=3)", (), x=positive),
    ],
    "numpy.random.uniform": [
        case("np.random.seed(3)\nreturn np.random.uniform(x, y, 3)", F, F, x=low, y=high),
        case("np.random.seed(3)\nreturn np.random.uniform(x, y, (2, 3))", (3,), (), x=low, y=high),
    ],
    "numpy.random.Generator.exponential": [
        case(DRAW + "rng.exponential(x, 4)", F, x=scale),
        case(DRAW + "rng.exponential(x, (2, 3))", (3,), x=scale),
    ],
    "numpy.random.exponential": [
        case("np.random.seed(3)\nreturn np.random.exponential(x)", F, x=scale),
        case("np.random.seed(3)\nreturn np.random.exponential(x, (2, 3))", (3,), x=scale),
    ],
    "numpy.random.Generator.lognormal": [
        case(DRAW + "rng.lognormal(x, y, 4)", F, F, y=scale),
        case(DRAW + "rng.lognormal(x, y, (2, 3))", (3,), (), y=scale),
    ],
    "numpy.random.lognormal": [
        case("np.random.seed(3)\nreturn np.random.lognormal(x, y, 3)", F, F, y=scale),
        case("np.random.seed(3)\nreturn np.random.lognormal(x, y, (2, 3))", (3,), (), y=scale),
    ],
}

# arange(start, stop, step) = start + k step: moves with start and step; the stop only sets the
# length (kept away from a sample, where the length would jump)
CASES["numpy.arange"] = [
    case("np.arange(x, x + 3.0)", F),
    case("np.arange(x, 2.5, y)", F, F, x=_uniform(0.1, 0.2), y=_uniform(0.3, 0.35)),
    case("np.arange(x, 3.7) ** 2", F, x=_uniform(0.1, 0.4)),
    case("np.sum(np.sin(np.arange(0.25, 2.0, x)))", F, x=_uniform(0.3, 0.35)),
]

# Python's random module: draws of Python floats, seeded inside the function
CASES["random.gauss"] = [case("random.seed(3)\nreturn random.gauss(x, y)", F, F, y=scale)]
CASES["random.uniform"] = [case("random.seed(3)\nreturn random.uniform(x, y)", F, F, x=low, y=high)]
