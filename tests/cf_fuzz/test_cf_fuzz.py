"""The control-flow fuzzer of a second design, on a fixed set of seeds (both modes, finite differences).

A refusal (a TransformError with a location) is allowed here; a wrong derivative,
a crash inside the generated code or an internal error is not. More programs:
`python -m tests.cf_fuzz.generator --programs 2000 --seed 10000`.
"""

import os
import warnings

import pytest

from .generator import Gen, check

COUNT = int(os.environ.get("TANGENT_SRC_CF_FUZZ_EXAMPLES", "80"))


@pytest.mark.parametrize("seed", range(20000, 20000 + COUNT))
def test_control_flow_program(seed):
    source = Gen(seed).program()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status, message = check(source, seed)
    assert status in ("passed", "refused", "skipped"), f"{status}: {message}\n--- program ---\n{source}"
    if status == "refused":
        assert ".py:" in message, f"a refusal without a location: {message}\n{source}"
