"""The command line: `tangent-src rules` / `python -m tangent_src rules`."""

import subprocess
import sys

from tangent_src.cli import main
from tangent_src.rules.registry import all_rules


def test_rules_lists_every_primitive_with_its_modes(capsys):
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len([r for r in all_rules() if "." in r.key and r.origin.startswith("tangent_src.")])
    listed = {line.split()[0]: line for line in lines}
    assert "forward reverse" in listed["numpy.sin"]
    assert "non-differentiable" in listed["numpy.sign"]


def test_module_entry_point_and_help():
    done = subprocess.run([sys.executable, "-m", "tangent_src", "rules", "--help"],
                          capture_output=True, text=True, check=True)
    assert "example:" in done.stdout


def test_rules_page_is_up_to_date():
    """docs/rules.md is generated from the table: regenerate it when a rule changes."""
    from pathlib import Path

    from tangent_src.cli.listing import markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert page.read_text() == markdown(), "docs/rules.md is stale: run `tangent-src rules --markdown > docs/rules.md`"


def test_rules_page_shows_formulas():
    from tangent_src.cli.listing import markdown

    text = markdown()
    assert "### `numpy.tanh`" in text and "dz = (1 - z ** 2) * dx" in text and "bx = (1 - z ** 2) * bz" in text
