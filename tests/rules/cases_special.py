"""Cases for tangent_src/rules/special.py: scipy.special, spelled as users spell it (the case
modules import scipy.special)."""

from __future__ import annotations

from casekit import BINARY_SHAPES, UNARY_SHAPES, F, Case, case, positive

from tangent_src.rules.special import probability

UNARY = ("expit", "logit", "erf", "erfc", "gammaln", "digamma")


def _unary(name: str) -> list[Case]:
    return [case(f"scipy.special.{name}(x)", shape) for shape in UNARY_SHAPES]


def _binary(name: str) -> list[Case]:
    return [case(f"scipy.special.{name}(x, y)", *shapes) for shapes in BINARY_SHAPES]


CASES: dict[str, list[Case]] = {
    **{f"scipy.special.{name}": _unary(name) for name in UNARY},
    "scipy.special.expit": [case("scipy.special.expit(x * y)", (2, 3), (3,)),
                            case("scipy.special.expit(3.0 * x)", (4,))],
    "scipy.special.logit": [case("scipy.special.logit(scipy.special.expit(x))", (2, 3)),
                            case("scipy.special.logit(x) * y", (2, 3), (2, 1), x=probability)],
    "scipy.special.erf": [case("scipy.special.erf(x) * scipy.special.erfc(y)", (2, 3), (3,))],
    "scipy.special.erfc": [case("scipy.special.erfc(x - y)", (3,), (2, 1))],
    "scipy.special.gammaln": [case("scipy.special.gammaln(x * y)", (2, 3), (3,), y=positive),
                              case("scipy.special.gammaln(x + 3.0)", (3,))],
    "scipy.special.digamma": [case("scipy.special.psi(x)", (2, 3)),
                              case("scipy.special.digamma(x) * y", (3,), (2, 3), y=positive)],
    "scipy.special.xlogy": _binary("xlogy") + [
        case("scipy.special.xlogy(x, x)", (3,)),
        case("scipy.special.xlogy(2.0, y)", (2, 3), names="y", y=positive),
        case("scipy.special.xlogy(x, 3.0)", (2, 3)),
        case("-np.sum(scipy.special.xlogy(x, x / np.sum(x)))", (4,)),  # an entropy
    ],
    "scipy.special.xlog1py": _binary("xlog1py") + [
        case("scipy.special.xlog1py(x, x)", (3,)),
        case("scipy.special.xlog1py(x, 0.5)", (2, 3)),
    ],
    "scipy.special.softmax": [
        case("scipy.special.softmax(x)", (4,)),
        case("scipy.special.softmax(x)", (2, 3)),
        case("scipy.special.softmax(x, axis=0)", (2, 3)),
        case("scipy.special.softmax(x, axis=-1) * y", (2, 3), (3,)),
        case("scipy.special.softmax(x, axis=(0, 2))", (2, 3, 2)),
        case("scipy.special.softmax(x, 1)", (2, 3, 2)),
        case("scipy.special.softmax(x * y, axis=-1)", (2, 3), (2, 1)),
        case("scipy.special.softmax(x)", ()),
        case("scipy.special.softmax(x)", F),
    ],
    "scipy.special.log_softmax": [
        case("scipy.special.log_softmax(x)", (4,)),
        case("scipy.special.log_softmax(x)", (2, 3)),
        case("scipy.special.log_softmax(x, axis=0)", (2, 3)),
        case("scipy.special.log_softmax(x, axis=-1) * y", (2, 3), (3,)),
        case("scipy.special.log_softmax(x, axis=(0, 2))", (2, 3, 2)),
        case("scipy.special.log_softmax(x + y, 1)", (2, 3), (3,)),
        case("scipy.special.log_softmax(x)", F),
    ],
}
