"""Callees with effects run once: random draws, prints and in-place updates of arguments.

A function of the user's called by the function being differentiated used to be
run again in its caller's reverse sweep (`vjp_g` recomputed g's forward sweep).
A callee that draws random numbers then got the gradient for other samples than
the loss, with no error; one that updates an argument in place (`p += 1.0`)
started its second run from the updated array. analysis/effects.py finds such
callees (transitively), and reverse mode splits them: `z, bwd_g = fwd_g(x)` in the
forward sweep, `bx = bwd_g(bz=bz)` in the reverse sweep.

Every random case is checked against the same samples: the derivative is called
after `np.random.seed(k)`, the oracle after the same seed. Where a function seeds
itself first (`seeded_*` below) it is deterministic, so central differences and
the dot-product test apply in both modes.
"""

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check, make_function

TOLERANCE = 1e-6


# ------------------------------------------------------------------ the shrunk program


def noise(x):
    z = np.random.normal(size=x.shape)
    return np.sum(x * z)


def scaled_noise(x):
    return 3.0 * noise(x)


def seeded_noise(x):
    np.random.seed(3)
    return scaled_noise(x)


def test_random_callee_gradient_is_for_the_samples_drawn():
    x = np.array([0.5, -1.0, 2.0])
    np.random.seed(0)
    g = ts.grad(scaled_noise)(x)
    np.random.seed(0)
    z = np.random.normal(size=3)
    np.testing.assert_allclose(g, 3.0 * z, rtol=1e-14)


def test_random_callee_forward_mode_runs_it_once():
    x, v = np.array([0.5, -1.0, 2.0]), np.array([0.3, 0.1, -0.7])
    np.random.seed(0)
    value, tangent = ts.jvp(scaled_noise)(x, v)
    after = np.random.normal()
    np.random.seed(0)
    z = np.random.normal(size=3)
    assert value == pytest.approx(3.0 * np.sum(x * z), rel=1e-14)
    assert tangent == pytest.approx(3.0 * np.sum(v * z), rel=1e-14)
    assert after == np.random.normal()  # one draw of 3 numbers each, so the states agree after


def test_random_callee_is_split_and_run_once():
    source = ts.source(ts.grad(scaled_noise))
    assert "t1, bwd_noise = fwd_noise(x)" in source
    assert "bwd_noise(bout=" in source
    assert "vjp_noise" not in source
    assert source.count("np.random.normal") == 1


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seeded_random_callee_matches_finite_differences(mode):
    x = np.array([0.5, -1.0, 2.0])
    assert ts.check_grad(seeded_noise, (x,), 0, mode=mode) < TOLERANCE


def test_seeded_random_callee_dot_product():
    dot_product_check(seeded_noise, (np.array([0.5, -1.0, 2.0]),), 0, np.random.default_rng(1))


def square_sum(x):
    return np.sum(x * x)


def calls_square_sum(x):
    return 2.0 * square_sum(x)


def test_a_pure_callee_is_still_called_jointly():
    """No effects: its vjp runs it again in the reverse sweep, as before (nothing is kept)."""
    source = ts.source(ts.grad(calls_square_sum))
    assert "vjp_square_sum" in source and "fwd_" not in source


def discards_a_draw(x):
    """The first callee's result is never read, but its draw moves the random state on."""
    _ = noise(x)
    return np.sum(x * np.random.normal(size=x.shape))


@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp"])
def test_a_callee_whose_result_is_unused_still_draws(mode):
    x = np.array([0.5, -1.0, 2.0])
    np.random.seed(4)
    expected = discards_a_draw(x)
    after = np.random.normal()
    np.random.seed(4)
    np.random.normal(size=3)
    z = np.random.normal(size=3)
    np.random.seed(4)
    if mode == "jvp":
        value, tangent = ts.jvp(discards_a_draw)(x, np.ones(3))
        assert value == pytest.approx(expected, rel=1e-14)
        assert tangent == pytest.approx(np.sum(z), rel=1e-14)
    else:
        g = ts.grad(discards_a_draw)(x) if mode == "grad" else ts.vjp(discards_a_draw)(x, 1.0)
        np.testing.assert_allclose(g, z, rtol=1e-14)
    assert np.random.normal() == after


# ------------------------------------------------------------------ nested callees, loops, branches


def draws_inside(x):
    return noise(x) * 2.0  # no draw of its own: the draw is in the function it calls


def nested(x):
    return np.sum(np.sin(x)) + draws_inside(x)


def noise_in_a_loop(x):
    s = 0.0
    for i in range(4):
        if i % 2 == 0:
            s = s + noise(x * i)
        else:
            s = s + draws_inside(np.tanh(x))
    return s


def seeded_nested(x):
    np.random.seed(5)
    return nested(x)


def seeded_loop(x):
    np.random.seed(6)
    return noise_in_a_loop(x)


@pytest.mark.parametrize("fn", [seeded_nested, seeded_loop])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_nested_and_looped_random_callees(fn, mode):
    x = np.array([0.4, -0.8, 1.3])
    assert ts.check_grad(fn, (x,), 0, mode=mode) < TOLERANCE


@pytest.mark.parametrize("fn", [seeded_nested, seeded_loop])
def test_nested_and_looped_dot_product(fn):
    dot_product_check(fn, (np.array([0.4, -0.8, 1.3]),), 0, np.random.default_rng(2))


def test_loop_oracle_with_the_seed_outside():
    x = np.array([0.4, -0.8, 1.3])
    np.random.seed(11)
    g = ts.grad(noise_in_a_loop)(x)
    np.random.seed(11)
    expected = np.zeros(3)
    for i in range(4):
        z = np.random.normal(size=3)
        expected += z * i if i % 2 == 0 else 2.0 * z * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(g, expected, rtol=1e-12)


# ------------------------------------------------------------------ word2vec negative sampling (CS224n)


def sigmoid(x):
    """Compute the sigmoid function for the input here."""
    s = 1.0 / (1.0 + np.exp(-x))
    return s


def getNegativeSamples(outsideWordIdx, K, nWords):
    """Samples K indexes which are not the outsideWordIdx"""
    negSampleWordIndices = np.random.randint(0, nWords, K)
    negSampleWordIndices = np.where(negSampleWordIndices == outsideWordIdx,
                                    (negSampleWordIndices + 1) % nWords, negSampleWordIndices)
    return negSampleWordIndices


def negSamplingLoss(centerWordVec, outsideWordIdx, outsideVectors, K=10):
    """Negative sampling loss for word2vec models"""
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, K, outsideVectors.shape[0])
    u_o = outsideVectors[outsideWordIdx]
    u_k = outsideVectors[negSampleWordIndices]
    loss = -np.log(sigmoid(u_o @ centerWordVec)) - np.sum(np.log(sigmoid(-u_k @ centerWordVec)))
    return loss


def skipgram(currentCenterWordIdx, outsideWordIdxs, centerWordVectors, outsideVectors):
    """Skip-gram model in word2vec: the loss summed over the outside words of one window"""
    loss = 0.0
    centerWordVec = centerWordVectors[currentCenterWordIdx]
    for outsideWordIdx in outsideWordIdxs:
        loss = loss + negSamplingLoss(centerWordVec, outsideWordIdx, outsideVectors, 5)
    return loss


def skipgram_oracle(center, outside, V, U, K=5):
    """The gradients written by hand, drawing the same samples in the same order."""
    gV, gU = np.zeros_like(V), np.zeros_like(U)
    v = V[center]
    for o in outside:
        idx = np.random.randint(0, U.shape[0], K)
        idx = np.where(idx == o, (idx + 1) % U.shape[0], idx)
        s_o = 1.0 / (1.0 + np.exp(-(U[o] @ v)))
        s_k = 1.0 / (1.0 + np.exp(U[idx] @ v))
        gV[center] += -(1.0 - s_o) * U[o] + (1.0 - s_k) @ U[idx]
        gU[o] += -(1.0 - s_o) * v
        np.add.at(gU, idx, np.outer(1.0 - s_k, v))
    return gV, gU


def seeded_skipgram(centerWordVectors, outsideVectors):
    np.random.seed(2024)
    return skipgram(2, [0, 3, 4], centerWordVectors, outsideVectors)


def _word_vectors():
    rng = np.random.default_rng(9)
    return 0.5 * rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((7, 4))


def test_skipgram_negative_sampling_matches_the_hand_written_gradient():
    V, U = _word_vectors()
    for seed in (0, 1, 2):
        np.random.seed(seed)
        gV, gU = ts.grad(skipgram, wrt=(2, 3))(2, [0, 3, 4], V, U)
        np.random.seed(seed)
        eV, eU = skipgram_oracle(2, [0, 3, 4], V, U)
        np.testing.assert_allclose(gV, eV, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gU, eU, rtol=1e-10, atol=1e-12)


def test_skipgram_forward_mode_matches_the_hand_written_gradient():
    V, U = _word_vectors()
    rng = np.random.default_rng(4)
    dV, dU = rng.standard_normal(V.shape), rng.standard_normal(U.shape)
    np.random.seed(7)
    value, tangent = ts.jvp(skipgram, wrt=(2, 3))(2, [0, 3, 4], V, U, dV, dU)
    np.random.seed(7)
    expected = skipgram(2, [0, 3, 4], V, U)
    np.random.seed(7)
    eV, eU = skipgram_oracle(2, [0, 3, 4], V, U)
    assert value == pytest.approx(expected, rel=1e-12)
    assert tangent == pytest.approx(np.sum(eV * dV) + np.sum(eU * dU), rel=1e-10)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seeded_skipgram_matches_finite_differences(mode):
    assert max(ts.check_grad(seeded_skipgram, _word_vectors(), (0, 1), mode=mode)) < TOLERANCE


def test_seeded_skipgram_dot_product_and_no_mutation():
    args = _word_vectors()
    dot_product_check(seeded_skipgram, args, (0, 1), np.random.default_rng(3))
    assert_not_mutated(ts.grad(seeded_skipgram, (0, 1)), copy_value(args))


# ------------------------------------------------------------------ dropout inside a layer function


def dropout(h, p):
    mask = np.random.rand(*h.shape) < p
    return h * mask / p


def hidden_layer(x, W, b, p):
    h = np.maximum(0.0, x @ W + b)
    return dropout(h, p)


def two_layer_loss(W1, b1, W2, x):
    h = hidden_layer(x, W1, b1, 0.5)
    scores = h @ W2
    return np.sum(scores ** 2)


def two_layer_oracle(W1, b1, W2, x, p=0.5):
    pre = x @ W1 + b1
    h = np.maximum(0.0, pre)
    mask = np.random.rand(*h.shape) < p
    hd = h * mask / p
    dscores = 2.0 * (hd @ W2)
    dW2 = hd.T @ dscores
    dpre = (dscores @ W2.T) * mask / p * (pre > 0)
    return x.T @ dpre, np.sum(dpre, axis=0), dW2


def _layer_args():
    rng = np.random.default_rng(12)
    return (rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal((5, 2)),
            rng.standard_normal((4, 3)))


def test_dropout_mask_is_the_one_the_loss_used():
    args = _layer_args()
    for seed in (0, 1):
        np.random.seed(seed)
        found = ts.grad(two_layer_loss, (0, 1, 2))(*args)
        np.random.seed(seed)
        for g, e in zip(found, two_layer_oracle(*args)):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def seeded_two_layer(W1, b1, W2, x):
    np.random.seed(21)
    return two_layer_loss(W1, b1, W2, x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seeded_dropout_matches_finite_differences(mode):
    assert max(ts.check_grad(seeded_two_layer, _layer_args(), (0, 1, 2), mode=mode)) < TOLERANCE


def test_seeded_dropout_dot_product():
    dot_product_check(seeded_two_layer, _layer_args(), (0, 1, 2), np.random.default_rng(5))


# ------------------------------------------------------------------ a Generator passed as an argument


def noisy_tanh(x, W, rng):
    eps = rng.normal(0.0, 0.1, size=x.shape)
    return np.tanh(W @ (x + eps))


def generator_loss(W, x, rng):
    return np.sum(noisy_tanh(x, W, rng) ** 2)


def seeded_generator_loss(W, x):
    rng = np.random.default_rng(5)
    return generator_loss(W, x, rng)


def test_generator_argument_gradient_uses_the_same_draw():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    g = ts.grad(generator_loss)(W, x, np.random.default_rng(5))
    eps = np.random.default_rng(5).normal(0.0, 0.1, size=3)
    y = np.tanh(W @ (x + eps))
    np.testing.assert_allclose(g, np.outer(2 * y * (1 - y**2), x + eps), rtol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_seeded_generator_matches_finite_differences(mode):
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((2, 3)), rng.standard_normal(3))
    assert max(ts.check_grad(seeded_generator_loss, args, (0, 1), mode=mode)) < TOLERANCE
    dot_product_check(seeded_generator_loss, args, (0, 1), np.random.default_rng(6))


# ------------------------------------------------------------------ prints


def chatty(x):
    print("chatty called")
    return np.sum(np.sin(x))


def calls_chatty(x):
    return 2.0 * chatty(x)


@pytest.mark.parametrize("derivative", [ts.grad, ts.value_and_grad])
def test_a_printing_callee_prints_once(derivative, capsys):
    x = np.array([0.1, 0.2])
    derivative(calls_chatty)(x)
    assert capsys.readouterr().out.count("chatty called") == 1


# ------------------------------------------------------------------ in-place updates of an array argument (point 15)


def h(p, q):
    p += 1.0
    return np.sum(p * q)


def f(p, q):
    return h(p, q)


def test_in_place_helper_shrunk():
    p, q = np.ones(3) * 1.2, np.ones(3)
    np.testing.assert_allclose(ts.grad(f, wrt=1)(p.copy(), q), 2.2 * np.ones(3), rtol=1e-14)
    gp, gq = assert_not_mutated(ts.grad(f, (0, 1)), (p, q))
    np.testing.assert_allclose(gp, q)
    np.testing.assert_allclose(gq, p + 1.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_helper_matches_finite_differences(mode):
    rng = np.random.default_rng(3)
    args = (rng.standard_normal(3), rng.standard_normal(3))
    assert max(ts.check_grad(f, args, (0, 1), mode=mode)) < TOLERANCE
    dot_product_check(f, args, (0, 1), rng)
    assert_not_mutated(ts.jvp(f, (0, 1)), (*copy_value(args), np.ones(3), np.ones(3)))


def add_bias_relu_(h, b):
    """Adds the bias into h in place, as numpy code often does, then the loss of the layer."""
    h += b
    return np.sum(np.maximum(h, 0.0) ** 2)


def layer_loss(x, W, b):
    h = x @ W
    return add_bias_relu_(h, b)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_bias_helper(mode):
    rng = np.random.default_rng(4)
    args = (rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2))
    assert max(ts.check_grad(layer_loss, args, (1, 2), mode=mode)) < TOLERANCE
    dot_product_check(layer_loss, args, (1, 2), rng)


def test_in_place_bias_helper_under_grad():
    """grad reads the result (for its seed), so the helper's first run is not dead code there."""
    rng = np.random.default_rng(4)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    gW, gb = assert_not_mutated(ts.grad(layer_loss, (1, 2)), (x, W, b))
    pre = x @ W + b
    dpre = 2.0 * np.maximum(pre, 0.0) * (pre > 0)
    np.testing.assert_allclose(gW, x.T @ dpre, rtol=1e-12)
    np.testing.assert_allclose(gb, np.sum(dpre, axis=0), rtol=1e-12)


def reads_after_update(p, q):
    a = h(p, q)
    return a + np.sum(p)


def updates_in_a_loop(p, q):
    s = 0.0
    for i in range(3):
        s = s + h(p, q)
    return s


@pytest.mark.parametrize("fn", [reads_after_update, updates_in_a_loop])
@pytest.mark.parametrize("derivative", [ts.grad, ts.jvp])
def test_reading_an_array_a_callee_updated_is_refused(fn, derivative):
    with pytest.raises(ts.TransformError) as err:
        derivative(fn, 1)(np.ones(3), np.ones(3), *([np.ones(3)] if derivative is ts.jvp else []))
    text = str(err.value)
    assert "test_effects.py" in text and "updates its argument `p` in place" in text
    assert "hint" in text


def copies_before_the_call(p, q):
    a = h(p.copy(), q)
    return a + np.sum(p)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_copy_passed_to_the_updating_callee(mode):
    rng = np.random.default_rng(5)
    args = (rng.standard_normal(3), rng.standard_normal(3))
    assert max(ts.check_grad(copies_before_the_call, args, (0, 1), mode=mode)) < TOLERANCE


def euler_step_(h, x):
    """One step of an update written in place, returning the array it updated."""
    h += 0.5 * np.tanh(x * h)
    return h


def integrate(h0, x):
    h = h0 * 1.0
    for _ in range(3):
        h = euler_step_(h, x)  # the caller binds the updated array anew each trip: allowed
    return np.sum(h ** 2)


def add_squares_(total, v):
    total += np.sum(v * v)  # a float: += binds a new number
    return total


def sum_of_squares(x):
    s = 0.0
    for i in range(3):
        s = add_squares_(s, x * i)
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_updates_rebound_by_the_caller_in_a_loop(mode):
    rng = np.random.default_rng(6)
    args = (rng.standard_normal(3), rng.standard_normal(3))
    assert max(ts.check_grad(integrate, args, (0, 1), mode=mode)) < TOLERANCE
    assert ts.check_grad(sum_of_squares, (args[0],), 0, mode=mode) < TOLERANCE
    dot_product_check(integrate, args, (0, 1), rng)
    # grad reads the result for its seed, so its forward sweep runs the split callee
    np.testing.assert_allclose(assert_not_mutated(ts.grad(integrate, (0, 1)), copy_value(args))[0],
                               ts.vjp(integrate, (0, 1))(*copy_value(args), 1.0)[0], rtol=1e-12)


# ------------------------------------------------------------------ Python's random module

RANDOM_MODULE = {
    "gauss": ("def f(mu, sigma):\n    random.seed(4)\n    z = random.gauss(mu, sigma)\n    return z * z + mu\n",
              (0.3, 1.4)),
    "uniform": ("def f(a, b):\n    random.seed(4)\n    return random.uniform(a, b) ** 2\n", (-0.5, 1.5)),
    "in_a_helper": ("def jitter(x, scale):\n    return x + random.gauss(0.0, scale)\n\n\n"
                    "def f(x, scale):\n    random.seed(1)\n    s = 0.0\n    for i in range(3):\n"
                    "        s = s + jitter(x, scale) ** 2\n    return s\n", (0.7, 0.2)),
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", sorted(RANDOM_MODULE))
def test_python_random_module_draws(name, mode):
    source, args = RANDOM_MODULE[name]
    f = make_function(source)
    errors = ts.check_grad(f, args, (0, 1), mode=mode)
    assert max(errors) < 1e-6, errors
    gradient = ts.grad(f, (0, 1))(*args)
    assert all(g != 0 for g in gradient)
