"""`tangent-src derive` on a file whose functions call helpers imported from other modules of the user's,
which call functions and read constants of their own module (`from helpers import layer`, `layer` calling
`_act` defined in helpers.py): the written module imports what those derivatives use from the helper's
module, and its derivatives agree with central differences in both modes and with each other."""

import importlib.util
import itertools
import sys
import textwrap

import numpy as np
import pytest

from tangent_src.cli import main

_COUNT = itertools.count()


def write(folder, name, text):
    (folder / f"{name}.py").write_text(textwrap.dedent(text))


def load(folder, name):
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A folder on sys.path, and module names unique to this test (`helpers_3`, `model_3`)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    k = next(_COUNT)
    names = {"helpers": f"helpers_{k}", "core": f"core_{k}", "model": f"model_{k}", "derived": f"derived_{k}"}
    yield tmp_path, names
    for name in names.values():
        sys.modules.pop(name, None)


def derive_and_check(folder, names, function="loss"):
    """Derive `function` of model.py in both modes; check the written module against central differences."""
    out = folder / f"{names['derived']}.py"
    assert main(["derive", str(folder / f"{names['model']}.py"), function, "--mode", "both", "-o", str(out)]) == 0
    model, derived = load(folder, names["model"]), load(folder, names["derived"])
    fn = getattr(model, function)
    rng = np.random.default_rng(0)
    W, x = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal(3)
    gradient = getattr(derived, f"grad_{function}")(W, x)
    numeric = np.zeros_like(W)
    step = 1e-6
    for index in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (fn(up, x) - fn(down, x)) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(W.shape)
    value, tangent = getattr(derived, f"jvp_{function}")(W, x, v)
    assert value == fn(W, x)
    np.testing.assert_allclose(tangent, (fn(W + step * v, x) - fn(W - step * v, x)) / (2 * step), rtol=1e-6)
    np.testing.assert_allclose(tangent, np.sum(gradient * v), rtol=1e-10)  # <J v, 1> == <v, J^T 1>
    return out.read_text()


def test_imported_helper_calls_a_function_of_its_own_module(files):
    folder, names = files
    write(folder, names["helpers"], """\
        import numpy as np


        def _act(z):
            return np.tanh(z)


        def layer(W, x):
            h = _act(W @ x)
            return h * h
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer


        def loss(W, x):
            return np.sum(layer(W, x))
        """)
    text = derive_and_check(folder, names)
    assert f"from {names['helpers']} import layer" in text


def test_helper_reached_through_its_module(files):
    folder, names = files
    write(folder, names["helpers"], """\
        import numpy as np


        def _act(z):
            return np.tanh(z)


        def layer(W, x):
            return _act(W @ x) * x
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        import {names['helpers']} as helpers


        def loss(W, x):
            return np.sum(helpers.layer(W, x) ** 2)
        """)
    derive_and_check(folder, names)


def test_helper_reads_constants_defaults_and_a_non_differentiated_helper(files):
    folder, names = files
    write(folder, names["helpers"], """\
        import numpy as numpy_

        SCALE = 1.5
        EPS = 0.25


        def _mask(z):
            return z > 0


        def _act(z, eps=EPS):
            return numpy_.tanh(z) * SCALE + eps * z


        def layer(W, x):
            h = _act(W @ x)
            return h * h * _mask(x)
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer


        def loss(W, x):
            return np.sum(layer(W, x))
        """)
    derive_and_check(folder, names)


def test_helper_calls_a_helper_of_a_third_module(files):
    folder, names = files
    write(folder, names["core"], """\
        import numpy as np


        def _inner(z):
            return np.sin(z)


        def base(z):
            return _inner(z) + z
        """)
    write(folder, names["helpers"], f"""\
        from {names['core']} import base


        def layer(W, x):
            return base(W @ x)
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer


        def loss(W, x):
            return np.sum(layer(W, x) ** 2)
        """)
    derive_and_check(folder, names)


def clashing(folder, names):
    write(folder, names["helpers"], """\
        import numpy as np


        def _mask(z):
            return z > 0


        def layer(W, x):
            return np.tanh(W @ x) * _mask(x)
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer


        def _mask(z):
            return z < 0


        def loss(W, x):
            return np.sum(layer(W, x) ** 2)


        def other(W, x):
            return np.sum(np.tanh(W @ x) * _mask(x))
        """)


def test_a_name_the_helper_reads_meaning_another_thing_in_the_file_is_refused(files, capsys):
    """The written module is one namespace: the helper's `_mask` would be the file's. Refused, not wrong."""
    folder, names = files
    clashing(folder, names)
    out = folder / "never.py"
    assert main(["derive", str(folder / f"{names['model']}.py"), "loss", "-o", str(out)]) == 1
    message = capsys.readouterr().err
    assert f"{names['model']}.py:5:5:" in message and "`_mask`" in message and "hint: rename" in message
    assert not out.exists()


def test_the_same_file_without_the_clash_in_reach_is_derived(files):
    folder, names = files
    clashing(folder, names)
    derive_and_check(folder, names, function="other")


def test_a_constant_both_files_define_alike_is_no_clash(files):
    folder, names = files
    write(folder, names["helpers"], """\
        import numpy as np

        EPS = 1e-3


        def layer(W, x):
            return np.tanh(W @ x) + EPS * x
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer

        EPS = 1e-3


        def loss(W, x):
            return np.sum(layer(W, x) ** 2) + EPS
        """)
    derive_and_check(folder, names)


def test_two_helper_modules_meaning_different_things_by_one_name_are_refused(files, capsys):
    folder, names = files
    write(folder, names["core"], """\
        import numpy as np


        def _act(z):
            return np.sin(z)


        def base(z):
            return _act(z) * z
        """)
    write(folder, names["helpers"], f"""\
        import numpy as np
        from {names['core']} import base


        def _act(z):
            return np.tanh(z)


        def layer(W, x):
            return base(_act(W @ x))
        """)
    write(folder, names["model"], f"""\
        import numpy as np
        from {names['helpers']} import layer


        def loss(W, x):
            return np.sum(layer(W, x) ** 2)
        """)
    assert main(["derive", str(folder / f"{names['model']}.py"), "loss"]) == 1
    message = capsys.readouterr().err
    assert f"{names['model']}.py:5:" in message and "`_act`" in message and "hint: rename" in message
