"""A control-flow fuzzer of a second design (see generator.py)."""
