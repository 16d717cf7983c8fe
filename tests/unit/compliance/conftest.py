"""The gate is pure: these tests need no application, database or Redis."""
import pytest


@pytest.fixture(autouse=True)
def _app_context():
    """Overrides the suite-wide fixture that truncates every table after each test."""
    yield
