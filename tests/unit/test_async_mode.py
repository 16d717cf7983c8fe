"""Does Socket.IO's async mode follow the process: gevent under gunicorn's gevent worker, threading everywhere else?"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _app_context():
    """Pure configuration tests: no app context, no database cleanup."""
    yield


def _in_patched_process(code: str) -> dict:
    """Run `code` after gevent has patched the interpreter, as gunicorn's gevent worker does before loading the app;
    the code prints one JSON line."""
    script = "from gevent import monkey\nmonkey.patch_all()\n" + code
    env = {k: v for k, v in os.environ.items() if k != "SOCKETIO_ASYNC_MODE"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_tests_and_workers_use_threads():
    """Is threading the mode of a process gevent has not patched (make run, the tests, the RQ worker)?"""
    assert Config.from_env({}).SOCKETIO_ASYNC_MODE == "threading"


def test_gevent_requested_in_an_unpatched_process_stops_start_up():
    """Does asking for gevent where gevent has not patched the process stop start-up, naming the variable?"""
    with pytest.raises(ConfigError, match="SOCKETIO_ASYNC_MODE") as caught:
        Config.from_env({"SOCKETIO_ASYNC_MODE": "gevent"})
    assert "gunicorn --worker-class gevent" in str(caught.value)


def test_unknown_mode_names_the_variable():
    """Is a mode we do not serve (eventlet) refused at start-up rather than failing on the first socket?"""
    with pytest.raises(ConfigError, match="SOCKETIO_ASYNC_MODE must be one of threading, gevent"):
        Config.from_env({"SOCKETIO_ASYNC_MODE": "eventlet"})


def test_patched_process_serves_sockets_with_gevent_and_waits_on_postgresql_cooperatively():
    """Under gevent's patching, does the app pick gevent for Socket.IO, and does psycopg wait for PostgreSQL in a
    way that lets other greenlets run (not its C wait, which would stall every socket of the process)?"""
    found = _in_patched_process(
        "import json\n"
        "from app import create_app\n"
        "from app.config import Config\n"
        "from app.extensions import socketio\n"
        "config = Config.from_env({'DATABASE_URL': 'sqlite://', 'SECRET_KEY': 'x'})\n"
        "create_app(config, check_database=False)\n"
        "import psycopg.waiting as waiting\n"
        "print(json.dumps({'config': config.SOCKETIO_ASYNC_MODE, 'server': socketio.server.eio.async_mode,\n"
        "                  'psycopg_wait': waiting.wait.__name__}))\n")
    assert found["config"] == "gevent" and found["server"] == "gevent"
    assert found["psycopg_wait"] != "wait_c"


def test_patched_process_may_still_choose_threads_explicitly():
    """Does an explicit SOCKETIO_ASYNC_MODE win over the process's patching (the setting is the operator's)?"""
    found = _in_patched_process(
        "import json\n"
        "from app.config import Config\n"
        "print(json.dumps({'mode': Config.from_env({'SOCKETIO_ASYNC_MODE': 'threading'}).SOCKETIO_ASYNC_MODE}))\n")
    assert found["mode"] == "threading"


def test_password_checks_leave_the_gevent_loop_free():
    """In the gevent web process, does another greenlet (another agent's socket) keep running while a password is
    hashed and checked, and does the check still answer right and wrong passwords?"""
    found = _in_patched_process("""
import json, gevent
from app.services.auth import passwords
ticks = []
def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.001)
runner = gevent.spawn(ticker)
gevent.sleep(0.01)
stored = passwords.hash_password("Correct-Horse-Battery-9")
before = len(ticks)
right = all(passwords.verify_password(stored, "Correct-Horse-Battery-9") for _ in range(5))
wrong = passwords.verify_password(stored, "wrong-password")
during = len(ticks) - before
runner.kill()
print(json.dumps({"right": right, "wrong": wrong, "during": during}))
""")
    assert found["right"] is True and found["wrong"] is False
    assert found["during"] >= 5, found
