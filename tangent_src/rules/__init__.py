"""The rule table. Importing this package registers every built-in rule."""

from . import elementwise, linalg, methods, nondiff, reductions, scalar, shape  # noqa: F401
from .registry import Rule, all_rules, attribute, elementwise as elementwise_rule, lookup, method, rule

__all__ = ["Rule", "all_rules", "attribute", "elementwise_rule", "lookup", "method", "rule"]
