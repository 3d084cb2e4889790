"""Rules a user registers for their own functions work in both modes, like built-in ones."""

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.rules import elementwise_rule, nondifferentiable, rule


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def softplus(v):
    """A function of the user's with a rule of its own (not differentiated through)."""
    return np.logaddexp(0.0, v)


@elementwise_rule(softplus)
def softplus_rule(x, z):
    """d softplus(x) = sigmoid(x) dx"""
    return sigmoid(x)


def weighted_norm(a, w):
    """sqrt(sum(w * a**2)), a library function with a hand-written rule."""
    return np.sqrt(np.sum(w * a * a))


@rule(weighted_norm, diff=("a",))
def weighted_norm_rule(a, w):
    """z = sqrt(sum(w a^2)); dz = sum(w a da) / z"""

    def tangent(da, z):
        return np.sum(w * a * da) / z

    def adjoint(bz, z):
        return w * a * bz / z


def bucket(v):
    return np.floor(v * 4.0) / 4.0


nondifferentiable(bucket)


def model(x, w):
    return np.sum(softplus(x) * 2.0) + weighted_norm(x, w) + np.sum(bucket(x) * x)


def test_registered_rules_are_used_in_both_modes():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(5) + 0.05, rng.uniform(0.5, 1.5, 5)
    assert ts.check_grad(model, (x, w), 0) < 1e-6
    assert ts.check_grad(model, (x, w), 0, mode="forward") < 1e-6


def test_the_template_appears_in_the_generated_code():
    reverse = ts.source(ts.grad(model, 0))
    forward = ts.source(ts.jvp(model, 0))
    assert "sigmoid(x)" in reverse and "sigmoid(x)" in forward
    assert "w * x * " in reverse and "/ t" in reverse
    assert "def vjp_softplus" not in reverse  # the rule is used, the function is not differentiated


def test_nondifferentiable_function_is_a_constant():
    x = np.array([0.3, 1.2])
    g = ts.grad(lambda_free_bucket, 0)(x)
    np.testing.assert_allclose(g, bucket(x))


def lambda_free_bucket(x):
    return np.sum(bucket(x) * x)


def test_a_rule_for_an_unknown_key_is_listed():
    keys = {r.key for r in ts.rules.all_rules()} if hasattr(ts, "rules") else set()
    from tangent_src.rules.registry import all_rules

    keys = {r.key for r in all_rules()}
    assert f"{__name__}.softplus" in keys and f"{__name__}.bucket" in keys


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_user_rule_inside_a_loop(mode):
    x = np.linspace(-1.0, 1.0, 4)
    assert ts.check_grad(looped, (x,), 0, mode=mode) < 1e-6


def looped(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(softplus(x * i))
    return s
