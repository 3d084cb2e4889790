"""The simplifier and the optimization passes on emitted code."""

import ast

import pytest

from tangent_src.codegen.optimize import propagate_copies, remove_dead
from tangent_src.codegen.templates import simplify, zero


def _simplified(text: str, linear=("dx", "dy"), **zeros: str) -> str:
    expr = ast.parse(text, mode="eval").body
    for name, of in zeros.items():
        expr = _Replace(name, zero(ast.Name(of))).visit(expr)
    return ast.unparse(simplify(expr, set(linear)))


class _Replace(ast.NodeTransformer):
    def __init__(self, name, node):
        self.name, self.node = name, node

    def visit_Name(self, node):
        return self.node if node.id == self.name else node


@pytest.mark.parametrize("before, after", [
    ("1 * dx + 1 * dy", "dx + dy"),
    ("1 * dx + -1 * dy", "dx - dy"),
    ("1 / y * dx + -z / y * dy", "dx / y - z / y * dy"),
    ("2 * x ** (2 - 1) * dx", "2 * x * dx"),
    ("0.5 * x ** (0.5 - 1) * dx", "0.5 * x ** (-0.5) * dx"),
    ("-1 / np.sqrt(1 - x ** 2) * dx", "-dx / np.sqrt(1 - x ** 2)"),
    ("-np.sin(x) * dx", "-np.sin(x) * dx"),
    ("(-1) ** 2 * dx", "dx"),
    ("x * -1", "-x"),
])
def test_identities(before, after):
    assert _simplified(before) == after


def test_negative_literals_keep_their_precedence():
    power = ast.BinOp(ast.Name("x"), ast.Pow(), ast.BinOp(ast.Constant(1), ast.Sub(), ast.Constant(3)))
    text = ast.unparse(simplify(power, set()))
    assert text == "x ** (-2)" and eval(text, {"x": 2.0}) == 0.25


def test_zero_terms_vanish():
    assert _simplified("y * dx + x * dy", dy="y") == "y * dx"
    assert _simplified("dx @ b + a @ dy", dx="a") == "a @ dy"
    assert _simplified("np.sum(dx, axis=0) + dy", dx="x") == "dy"
    assert _simplified("-dy", dy="y") == "__zero__"


def test_zero_beside_a_derivative_becomes_zeros_like():
    assert _simplified("np.where(c, dx, dy)", dy="y") == "np.where(c, dx, np.zeros_like(y))"


def _body(text):
    return ast.parse(text).body


def test_dead_statements_are_removed():
    body = _body("a = x * 2\nb = a + 1\nc = x * 3\n")
    kept = remove_dead(body, [ast.Name("b")])
    assert [ast.unparse(s) for s in kept] == ["a = x * 2", "b = a + 1"]


def test_copies_of_generated_names_are_propagated():
    body = _body("bt = bout\nbx = np.cos(x) * bt\n")
    returns = [ast.Name("bx")]
    out = propagate_copies(body, returns, {"bt", "bx"})
    assert [ast.unparse(s) for s in out] == ["bx = np.cos(x) * bout"]


def test_copy_is_kept_when_its_source_changes_later():
    body = _body("by = bb\nbb = bb + 1\nr = by * bb\n")
    returns = [ast.Name("r")]
    out = propagate_copies(body, returns, {"by"})
    assert len(out) == 3


def test_folding_leaves_division_by_zero_and_overflow_to_run_time():
    assert _simplified("1.0 / 0 * dx") == "dx / 0"
    assert _simplified("10.0 ** 400 * dx") == "10.0 ** 400 * dx"
