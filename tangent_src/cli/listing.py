"""The rule table as text: one line per primitive, or a markdown reference page.

Stage: none; it reads the rule table. `tangent-src rules` prints the lines;
`tangent-src rules --markdown` prints docs/rules.md, which a test keeps in step
with the table.
"""

from __future__ import annotations

import ast

from ..rules.registry import Rule, Template, all_rules


def public_rules() -> list[Rule]:
    """The table as users see it: internal entries (a copy of a name, list displays) left out."""
    return [r for r in all_rules() if "." in r.key and r.origin.startswith("tangent_src.")]


def modes(rule: Rule) -> str:
    return "forward reverse" if rule.diff else "non-differentiable"


def lines() -> list[str]:
    """One primitive per line: its key, the modes it supports, the first line of its math."""
    out = []
    for rule in public_rules():
        doc = rule.doc.splitlines()[0] if rule.doc and rule.diff else ""
        out.append(f"{rule.key:<28} {modes(rule):<20} {doc}".rstrip())
    return out


def _formula(template: Template | None, results: list[str]) -> list[str]:
    if template is None:
        return []
    body = [ast.unparse(s) for s in template.body]
    value = template.result
    values = list(value.elts) if isinstance(value, ast.Tuple) and len(value.elts) == len(results) else [value]
    return body + [f"{name} = {ast.unparse(v)}" for name, v in zip(results, values)]


def markdown() -> str:
    """docs/rules.md: every rule with its math and its tangent and adjoint templates."""
    rules = public_rules()
    differentiable = [r for r in rules if r.diff]
    parts = [
        "# The rule table",
        "",
        "Generated from the table itself by `tangent-src rules --markdown > docs/rules.md`;",
        "a test fails when this page and the table disagree.",
        "",
        f"{len(rules)} primitives, {len(differentiable)} of them differentiable in both modes.",
        "In the formulas, `z` is the result, `dx` the tangent of the argument `x`, `bz`",
        "the adjoint of the result and `bx` the contribution to the adjoint of `x`.",
        "",
        "| primitive | modes | math |",
        "|---|---|---|",
    ]
    for rule in rules:
        doc = (rule.doc.splitlines()[0] if rule.doc and rule.diff else "").replace("|", "\\|")
        parts.append(f"| `{rule.key}` | {modes(rule)} | {doc} |")
    parts += ["", "## Formulas", ""]
    for rule in differentiable:
        tangent = _formula(rule.tangent, ["dz"])
        adjoint = _formula(rule.adjoint, [f"b{p}" for p in rule.diff])
        parts += [f"### `{rule.key}`", "", rule.doc or "", "", "```python", "# tangent", *tangent,
                  "# adjoint", *adjoint, "```", ""]
    parts += _custom_rules_section()
    return "\n".join(parts).rstrip() + "\n"


def _custom_rules_section() -> list[str]:
    return [
        "## Adding your own rules",
        "",
        "A function of yours (or of a library) gets a rule the way the built-in table does,",
        "with the function object itself as the key; both modes then use it, and its",
        "template is what the generated code shows:",
        "",
        "```python",
        "import numpy as np",
        "from tangent_src.rules import elementwise_rule, nondifferentiable, rule",
        "",
        "@elementwise_rule(softplus)           # by its partial derivative(s)",
        "def softplus_rule(x, z):",
        '    """d softplus(x) = sigmoid(x) dx"""',
        "    return sigmoid(x)",
        "",
        "@rule(weighted_norm, diff=(\"a\",))     # by tangent and adjoint templates",
        "def weighted_norm_rule(a, w):",
        "    def tangent(da, z):",
        "        return np.sum(w * a * da) / z",
        "",
        "    def adjoint(bz, z):",
        "        return w * a * bz / z",
        "",
        "nondifferentiable(bucketize)           # its results carry no derivative",
        "```",
        "",
        "Inside a template, the primitive's parameters stand for its arguments, `z` for its",
        "result, `d<p>` for the tangent of parameter `p` and `bz` for the result's adjoint;",
        "the adjoint returns one contribution per differentiable parameter (`diff`). Helper",
        "functions the templates call are taken from the rule's own module.",
        "`tangent_src.check_grad` tests a rule against finite differences in both modes.",
        "",
    ]
