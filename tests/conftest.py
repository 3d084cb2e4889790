"""Test configuration: tests/ on sys.path (for strict_array), the gpu marker, golden updates."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "rules"))  # casekit, for the rule case tables


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden expected files")


@pytest.fixture
def update_golden(request):
    return request.config.getoption("--update-golden")
