"""Shared fixtures: small systems whose formulas are known."""

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def cars_csv():
    """Stopping distances of 50 cars (Ezekiel 1930), bundled in datasets/."""
    return REPOSITORY / "datasets" / "cars.csv"
