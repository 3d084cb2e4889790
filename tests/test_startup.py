"""Start-up (issue 14): `import tangent_src` loads neither libcst nor black, and the in-memory
path (ts.grad called) loads code without formatting it through black: black is imported only
where code is shown or written. Checked in a fresh interpreter; times are the benchmarks' job."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent('''
    import sys
    import numpy as np
    import tangent_src as ts
    print("import", "libcst" in sys.modules, "black" in sys.modules)
    def f(W, x):
        return np.sum(np.tanh(x @ W) ** 2)
    W, x = np.ones((3, 2)) * 0.1, np.arange(6.0).reshape(2, 3)
    gW = ts.grad(f)(W, x)
    t = np.tanh(x @ W)
    assert np.allclose(gW, x.T @ (2 * t * (1 - t ** 2)))
    print("grad", "black" in sys.modules)
    ts.source(ts.grad(f))
    print("source", "black" in sys.modules)
''')


def test_import_and_the_in_memory_path_load_what_they_need_only(tmp_path):
    (tmp_path / "program.py").write_text(PROGRAM)
    result = subprocess.run([sys.executable, "program.py"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "import False False", result.stdout
    assert lines[1] == "grad False", result.stdout
    assert lines[2] == "source True", result.stdout  # shown code is formatted
