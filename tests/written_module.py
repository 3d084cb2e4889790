"""A module written by `tangent-src derive`, loaded for a test (and checked to import without tangent_src)."""

import importlib.util
import subprocess
import sys

from tangent_src.cli import main


def written(tmp_path, model: str, *argv: str):
    """(the module written from `model` with `tangent-src derive model.py *argv`, its text)."""
    (tmp_path / "model.py").write_text(model)
    out = tmp_path / "written.py"
    assert main(["derive", str(tmp_path / "model.py"), *argv, "-o", str(out), "--force"]) == 0
    checked = subprocess.run([sys.executable, "-c", "import sys; sys.modules['tangent_src'] = None; "
                              f"sys.path.insert(0, {str(tmp_path)!r}); import written"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr  # it imports without tangent_src
    spec = importlib.util.spec_from_file_location(f"written_{'_'.join(a.strip('-') for a in argv)}", out)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(tmp_path))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tmp_path))
    return module, out.read_text()
