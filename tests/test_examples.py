"""Smoke tests of the documentation: every script in examples/ runs and exits 0,
and the generated code pasted into README.md is what tangent_src generates now."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tangent_src as ts

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name != "walkthrough.py")  # walkthrough: shared


def f(x, y):
    return np.sin(x + y**2)


def test_examples_exist():
    assert EXAMPLES, "examples/ holds no scripts"


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path,  # files it writes land there
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        f"{script.name} exited with status {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


@pytest.mark.parametrize("make", [ts.grad, ts.jvp], ids=["grad", "jvp"])
def test_readme_shows_the_current_generated_code(make):
    readme = (ROOT / "README.md").read_text()
    generated = ts.source(make(f, wrt=(0, 1)))
    assert f"```python\n{generated}```" in readme, (
        "README.md's textbook example no longer matches ts.source; paste the new output:\n" + generated
    )
