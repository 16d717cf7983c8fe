"""Does the process's logging keep what must not be written out of the logs even at DEBUG?"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _app_context():
    """A fresh interpreter per check: logging is configured once per process."""
    yield


def test_the_stripe_sdk_never_logs_request_bodies():
    """At LOG_LEVEL DEBUG, is the stripe SDK's logger (whose DEBUG lines carry request bodies, a bank debit's account
    and routing numbers among them) still held at INFO, while our own loggers do log DEBUG?"""
    script = ("import json, logging\nfrom app.observability import configure_logging\n"
              "configure_logging(logging.DEBUG)\n"
              "print(json.dumps({'stripe': logging.getLogger('stripe').isEnabledFor(logging.DEBUG),"
              " 'ours': logging.getLogger('funnelchat.http').isEnabledFor(logging.DEBUG)}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"stripe": False, "ours": True}
