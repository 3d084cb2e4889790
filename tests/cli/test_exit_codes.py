"""`tangent-src derive` exits 5 on an internal error (a bug of tangent_src, as its --help and the README
say), 1 on a refusal of the user's code, and writes nothing in either case."""

import subprocess
import sys
import textwrap

import pytest

import tangent_src.pipeline
from tangent_src.cli import derive as derive_cli
from tangent_src.cli import main
from tangent_src.errors import InternalError

MODEL = textwrap.dedent("""\
    import numpy as np


    def loss(W, x):
        return np.sum(np.tanh(W @ x))
    """)


@pytest.fixture
def model(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path


def broken_stage(*args, **kwargs):
    raise RuntimeError("a stage of the pipeline broke")


def raises_internal_error(*args, **kwargs):
    raise InternalError("the transform found a statement it cannot have made")


@pytest.mark.parametrize("failure", [broken_stage, raises_internal_error], ids=["exception", "InternalError"])
@pytest.mark.parametrize("options", [[], ["--html", "page.html"]], ids=["module", "html"])
def test_an_internal_error_exits_5_and_writes_nothing(model, monkeypatch, capsys, failure, options):
    monkeypatch.setattr(tangent_src.pipeline, "analyze", failure)  # the activity analysis, inside the pipeline
    argv = ["derive", str(model / "model.py"), "loss", "-o", str(model / "out.py")]
    argv += [str(model / o) if o.endswith(".html") else o for o in options]
    assert main(argv) == derive_cli.INTERNAL == 5
    err = capsys.readouterr().err
    assert "internal error" in err and "report" in err
    assert sorted(p.name for p in model.iterdir()) == ["model.py"], "a file was written"


def test_an_internal_error_in_the_page_exits_5(model, monkeypatch, capsys):
    from tangent_src.codegen import html

    monkeypatch.setattr(html, "page", broken_stage)
    assert main(["derive", str(model / "model.py"), "loss", "--html", str(model / "page.html")]) == 5
    assert "internal error" in capsys.readouterr().err
    assert not (model / "page.html").exists()


def test_the_process_exit_status_is_5(model):
    """Through the entry point itself (`sys.exit(main())`, as `python -m tangent_src` and the script do)."""
    program = textwrap.dedent(f"""\
        import sys
        import tangent_src.pipeline
        from tangent_src.errors import InternalError

        def fail(*args, **kwargs):
            raise InternalError("forced")

        tangent_src.pipeline.analyze = fail
        from tangent_src.cli import main
        sys.argv = ["tangent-src", "derive", {str(model / "model.py")!r}, "loss"]
        sys.exit(main())
        """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 5, done.stderr
    assert "internal error" in done.stderr and done.stdout == ""


def test_a_refusal_still_exits_1(model, capsys):
    (model / "bad.py").write_text("import numpy as np\n\n\ndef f(x):\n    global G\n    return np.sum(x)\n")
    assert main(["derive", str(model / "bad.py"), "f"]) == derive_cli.TRANSFORM_FAILED == 1
    err = capsys.readouterr().err
    assert "bad.py:5:5:" in err and "internal" not in err
