"""Every scenario of COMPLIANCE.md section 3 is a test whose name carries its number."""
import re
from pathlib import Path

SCENARIOS = range(1, 116)


def test_every_scenario_has_a_test():
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        names.update(int(n) for n in re.findall(r"def test_scenario_(\d{3})", path.read_text()))
    missing = [n for n in SCENARIOS if n not in names]
    assert not missing, f"scenarios without a test: {missing}"
