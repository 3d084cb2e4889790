"""The rule table. Importing this package registers every built-in rule.

Your own rules use the same three decorators the built-in table does (see
docs/rules.md, "Adding your own rules"):

    @tangent_src.rules.elementwise_rule(softplus)      # by partial derivatives
    def softplus_rule(x, z):
        return sigmoid(x)

    @tangent_src.rules.rule(my_lib.fancy)                # by tangent and adjoint templates
    def fancy_rule(a, b): ...

    tangent_src.rules.nondifferentiable(my_lib.bucketize)
"""

from . import containers, conversions, creation, decompositions, draws, elementwise, helpers, linalg, linear_algebra, methods, more, movement, nondiff, reductions, scalar, shape, special, statistics, stencils, ufuncs, updates  # noqa: F401, E501
from .registry import Rule, all_rules, attribute, elementwise as elementwise_rule, lookup, method, rule
from .registry import nondiff as nondifferentiable  # mark functions whose results carry no derivative

__all__ = ["Rule", "all_rules", "attribute", "elementwise_rule", "lookup", "method", "nondifferentiable", "rule"]
