"""Differential fuzzing: random programs, reverse mode against forward mode against finite differences.

Each example is a random program (tests/fuzz/programs.py) checked by
tests/fuzz/check.py. A failure shrinks to a minimal program, printed as source
in the failure message. The default run draws a modest number of programs
(derandomized, so it is the same every run); TANGENT_SRC_FUZZ_EXAMPLES=n draws
n per test, and `python -m tests.fuzz.campaign --programs 10000` runs a long
campaign that counts outcomes.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import pytest

from .check import FAILING, check_case, check_program
from .constructs import FAMILIES, generate_case
from .programs import HypothesisDraw, generate

EXAMPLES = int(os.environ.get("TANGENT_SRC_FUZZ_EXAMPLES", "80"))
CONSTRUCT_EXAMPLES = max(1, EXAMPLES // 20)  # per family of tests/fuzz/constructs.py
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def run(data: st.DataObject, scalar: bool) -> None:
    program = generate(HypothesisDraw(data), scalar=scalar)
    note(program.source())
    outcome = check_program(program)
    assert outcome.status not in FAILING + ("invalid",), outcome.message


@FUZZ
@given(st.data())
def test_scalar_programs_grad_jvp_and_finite_differences_agree(data):
    run(data, scalar=True)


@FUZZ
@given(st.data())
def test_array_programs_vjp_jvp_and_finite_differences_agree(data):
    run(data, scalar=False)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_construct_programs_agree(family):
    """Programs of each construct class of issue 10 (tests/fuzz/constructs.py): tuple results and
    has_aux, random draws in callees, reused loop variables, break/continue, iteration over values,
    containers, per-step lists, arrays made in loops, loop variables after loops, in-place updates,
    edge points, linspace/arange. A refusal (with file:line) passes; anything in FAILING fails."""

    # no shrinking: the programs of a family are small already, and a failure stops the search
    @settings(FUZZ, max_examples=CONSTRUCT_EXAMPLES, phases=[Phase.explicit, Phase.generate],
              report_multiple_bugs=False)
    @given(st.data())
    def check(data):
        case = generate_case(HypothesisDraw(data), family)
        note(case.source)
        outcome = check_case(case)
        assert outcome.status not in FAILING + ("invalid",), f"{outcome.status}: {outcome.message}"

    check()
