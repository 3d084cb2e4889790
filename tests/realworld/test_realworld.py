"""Real-world numpy programs (course assignments, other AD tools' test functions, small science codes).

Each program is written the way its authors' communities write numpy, with a
hand-written backward pass or a closed-form gradient as its oracle (see
harness.py for the checks). Outcomes allowed today:

- pass: reverse mode equals the oracle, forward mode equals finite differences,
  the dot-product test holds, no input is modified;
- a clean refusal (TransformError naming file:line:col, never an
  InternalError) for the programs in REFUSED_FOR_NOW, which use the Python data
  model the next issue brings (dicts built in the function, `.get`, `in`,
  `%`-formatted keys, bound methods, classes). Once the tool accepts one of
  them, its test runs every check above and passes only if the derivative is
  right; then remove it from REFUSED_FOR_NOW;
- a wrong derivative or a crash inside the generated code is a bug: its test is
  marked xfail(strict=True) with the finding's title in /tmp/r/findings.md
  (KNOWN_WRONG), so that it flips to a failure when the bug is fixed.
"""

from __future__ import annotations

import re

import pytest

from .harness import LOCATION, Refused, has_aux_supported, run_case, run_strict
from . import (
    programs_algorithms, programs_cs231n, programs_cs231n_nets, programs_habits, programs_idioms, programs_more,
    programs_nlp, programs_science, programs_testfns,
)

TEMPORARY = re.compile(r"`b?t\d+`")  # names the tool makes up (t3, bt7), never the user's

ALL_CASES = [
    *programs_cs231n.CASES, *programs_cs231n_nets.CASES, *programs_nlp.CASES, *programs_testfns.CASES,
    *programs_science.CASES, *programs_habits.CASES,
    *programs_more.CASES, *programs_idioms.CASES,
    *programs_algorithms.CASES,
]

# programs refused today for the Python data model (the next issue), with the construct refused
REFUSED_FOR_NOW = {
    "cs231n_batchnorm_bn_param": "a dict built in the caller; bn_param.get(...), writes into bn_param",
    "cs231n_layernorm_ln_param": "a dict literal argument, ln_param.get(...)",
    "cs231n_dropout_param_dict": "dropout_param dict, `\"seed\" in dropout_param`, np.random.rand(*x.shape)",
    "cs231n_conv_naive_conv_param": "a conv_param dict literal",
    "cs231n_two_layer_net_class": "a class with self.params and a bound method",
    "cs231n_fc_net_params_W_percent_d": "params[f\"W{i}\"] (an f-string key; the 'W%d' % i keys are accepted)",
    "karpathy_min_char_rnn_dicts": "xs, hs, ys, ps = {}, {}, {}, {}",
    "micrograd_mlp_max_margin": "a generator expression with two `for` clauses",
    "pendulum_rk4_function_argument": "calling a function passed as an argument (rk4_step(f, ...)); now RW6",
    "while_true_break_first_passage": "`or` in a condition",
    "float_and_item_of_the_loss": "float(...) of an array",
    "optional_bias_is_not_none": "`b is not None`",
    "callee_appends_to_callers_list": "a callee appending differentiated values to the caller's list",
    "l2_loop_over_params_items": "params.items()",
    "l2_generator_over_params_values": "params.values()",
    "print_fstring_progress_in_loop": "an f-string in print",
    "python_random_minibatch": "random.seed / random.sample (Python's random module)",
    "has_aux_dict_of_gradients": "a dict built in the function (the aux value)",
    "reversed_range_smoother": "reversed(range(T)) in a differentiated loop",
    "horner_reversed_coefficients": "reversed(coeffs) in a differentiated loop",
}

# programs whose derivative is wrong or crashes today: name -> finding title in /tmp/r/findings.md
KNOWN_WRONG = {
}


# programs whose derivatives break on StrictArray (the CuPy stand-in) though right on numpy
KNOWN_WRONG_ON_STRICT = {
}


def _param(case, known=None):
    known = KNOWN_WRONG if known is None else known
    marks = []
    if case.name in known:
        marks.append(pytest.mark.xfail(strict=True, reason=known[case.name]))
    return pytest.param(case, id=case.name, marks=marks)


def test_case_names_are_unique():
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names))
    assert set(REFUSED_FOR_NOW) <= set(names) and set(KNOWN_WRONG) <= set(names)
    assert set(KNOWN_WRONG_ON_STRICT) <= set(names)


@pytest.mark.parametrize("case", [_param(c) for c in ALL_CASES])
def test_program(case):
    if case.has_aux and not has_aux_supported():
        pytest.skip("ts.grad has no has_aux yet (issue 10 point 1)")
    for seed in case.seeds:
        try:
            run_case(case, seed)
        except Refused as refusal:
            message = str(refusal)
            assert case.name in REFUSED_FOR_NOW, f"refused, but not listed in REFUSED_FOR_NOW:\n{message}"
            assert LOCATION.search(message), f"a refusal without file:line:col:\n{message}"
            assert "hint:" in message, f"a refusal without a hint:\n{message}"
            assert not TEMPORARY.search(message), f"a refusal naming an internal temporary:\n{message}"
            return


@pytest.mark.parametrize("case", [_param(c, {**KNOWN_WRONG, **KNOWN_WRONG_ON_STRICT})
                                  for c in ALL_CASES if c.name not in REFUSED_FOR_NOW])
def test_program_on_strict_arrays(case):
    """Generated code never converts arrays to numpy or to Python numbers (checked where the user's code runs
    on the CuPy stand-in at all)."""
    if case.has_aux and not has_aux_supported():
        pytest.skip("ts.grad has no has_aux yet (issue 10 point 1)")
    if not run_strict(case, case.seeds[0]):
        pytest.skip("the program itself does not run on StrictArray inputs")
