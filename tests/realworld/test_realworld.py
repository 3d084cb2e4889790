"""Real-world numpy programs (course assignments, other AD tools' test functions, small science codes).

Each program is written the way its authors' communities write numpy, with a
hand-written backward pass or a closed-form gradient as its oracle (see
harness.py for the checks). Outcomes allowed today:

- pass: reverse mode equals the oracle, forward mode equals finite differences,
  the dot-product test holds, and every call leaves its arguments as the
  program does (harness.check_effects: the same dict keys and attributes bound,
  no array of the caller's changed);
- a clean refusal (TransformError naming file:line:col, never an
  InternalError) for the programs in REFUSED_FOR_NOW, which use the Python data
  model the next issue brings (dicts built in the function, `.get`, `in`,
  `%`-formatted keys, bound methods, classes). Once the tool accepts one of
  them, its test runs every check above and passes only if the derivative is
  right; then remove it from REFUSED_FOR_NOW;
- a wrong derivative or a crash inside the generated code is a bug: its test is
  marked xfail(strict=True) with the finding (KNOWN_WRONG), so that it flips to
  a failure when the bug is fixed.

The course programs (programs_course*.py) must cover every kind the issue
names (COURSE_CHECKLIST, checked by test_course_checklist_holds), and every
oracle is checked by finite differences whether or not the tool accepts its
program (test_oracle).
"""

from __future__ import annotations

import re

import pytest

from .harness import LOCATION, Refused, check_oracle, has_aux_supported, run_case, run_strict
from . import (
    programs_algorithms, programs_course, programs_course_a1, programs_course_models, programs_course_nlp,
    programs_course_rnn, programs_cs231n, programs_cs231n_nets, programs_habits, programs_idioms, programs_more,
    programs_nlp, programs_science, programs_testfns,
)

TEMPORARY = re.compile(r"`b?t\d+`")  # names the tool makes up (t3, bt7), never the user's

ALL_CASES = [
    *programs_cs231n.CASES, *programs_cs231n_nets.CASES, *programs_nlp.CASES, *programs_testfns.CASES,
    *programs_science.CASES, *programs_habits.CASES,
    *programs_more.CASES, *programs_idioms.CASES,
    *programs_algorithms.CASES,
    *programs_course.CASES, *programs_course_rnn.CASES, *programs_course_a1.CASES, *programs_course_models.CASES,
    *programs_course_nlp.CASES,
]

# the programs written as public course code is written (issue 11, "Done when", first point)
COURSE_CASES = [
    *programs_course.CASES, *programs_course_rnn.CASES, *programs_course_a1.CASES, *programs_course_models.CASES,
    *programs_course_nlp.CASES,
]

# each kind of course program the issue names -> the registered programs that are one, in the course's own
# style (layer functions returning (out, cache) with a `*_backward(dout, cache)` oracle, param dicts, models
# with self.params and a loss method returning (loss, grads), per-timestep dicts, functions passed in)
COURSE_CHECKLIST = {
    "affine layer with a cache": ["course_affine_relu_layer_utils", "cs231n_affine_relu"],
    "relu layer with a cache": ["course_affine_relu_layer_utils", "cs231n_affine_relu"],
    "batchnorm with a bn_param dict": ["course_batchnorm_bn_param_cache",
                                       "course_batchnorm_running_averages_train_then_test",
                                       "course_spatial_batchnorm", "cs231n_batchnorm_bn_param"],
    "layernorm with an ln_param dict": ["course_layernorm_ln_param_cache", "cs231n_layernorm_ln_param"],
    "dropout with a seed in its param dict": ["course_dropout_seed_in_param_cache", "cs231n_dropout_param_dict"],
    "naive convolution loops": ["course_conv_naive_conv_param_cache", "cs231n_conv_naive_conv_param"],
    "naive max-pool loops": ["course_max_pool_naive_pool_param_cache"],
    "rnn step": ["course_rnn_step_cache"],
    "rnn sequence (rnn_forward / rnn_backward over T steps)": ["course_rnn_forward_backward_sequence",
                                                              "cs231n_rnn_forward_cache_list"],
    "lstm step": ["course_lstm_step_cache", "cs231n_lstm_step"],
    "lstm sequence (lstm_forward over T steps)": ["course_lstm_forward_backward_sequence"],
    "word embedding": ["course_word_embedding_cache", "cs231n_embedding_temporal_softmax"],
    "temporal softmax loss": ["course_temporal_softmax_loss_loss_and_dx", "course_temporal_affine_then_softmax",
                              "cs231n_embedding_temporal_softmax"],
    "model class with a params dict and a loss method": [
        "course_a1_two_layer_net_loss_method", "course_fc_two_layer_net_loss_method",
        "course_fc_net_three_layers_loss_method", "course_fc_net_batchnorm_dropout_loss_method",
        "course_captioning_rnn_loss_method", "course_captioning_lstm_loss_method"],
    "character-level RNN with per-timestep dicts": ["course_min_char_rnn_lossFun_with_backward",
                                                    "karpathy_min_char_rnn_dicts"],
    "word2vec with the loss function passed in": ["course_word2vec_skipgram_naive_softmax_passed_in",
                                                  "course_word2vec_skipgram_neg_sampling_passed_in"],
}

# programs refused today for the Python data model (the next issue), with the construct refused
REFUSED_FOR_NOW = {
}

# programs whose derivative is wrong or crashes today: name -> finding title in /tmp/r/findings.md
KNOWN_WRONG: dict[str, str] = {
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


def test_course_checklist_holds():
    """Every kind of course program the issue names has registered programs, and there are at least 20."""
    names = {case.name for case in ALL_CASES}
    course = [case.name for case in COURSE_CASES]
    assert len(course) >= 20 and len(course) == len(set(course))
    for kind, programs in COURSE_CHECKLIST.items():
        assert programs, f"no program for {kind}"
        assert set(programs) <= names, f"{kind}: not registered: {sorted(set(programs) - names)}"
        assert set(programs) & set(course), f"{kind}: none of its programs is in programs_course*.py"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in ALL_CASES])
def test_oracle(case):
    """The hand-written oracle against finite differences, whether or not the tool accepts the program."""
    for seed in case.seeds:
        check_oracle(case, seed)


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
