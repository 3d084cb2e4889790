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

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from .check import check_program
from .programs import HypothesisDraw, generate

EXAMPLES = int(os.environ.get("TANGENT_SRC_FUZZ_EXAMPLES", "120"))
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
    assert outcome.status != "failed", outcome.message


@FUZZ
@given(st.data())
def test_scalar_programs_grad_jvp_and_finite_differences_agree(data):
    run(data, scalar=True)


@FUZZ
@given(st.data())
def test_array_programs_vjp_jvp_and_finite_differences_agree(data):
    run(data, scalar=False)
