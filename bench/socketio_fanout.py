"""Socket.IO fan-out: 1,000 agents' clients on two web processes sharing Redis, and a debtor's text arriving.

Per inbound text: Twilio webhook -> web process A keeps it -> the RQ worker stores it and emits `message.created` to
`business:<id>` through Redis -> both web processes push it to every agent socket in the room. Measured, for each
delivery to a client: stored -> arrival (the event id is the Redis stream id the worker records right after its
commit, in milliseconds) and webhook posted -> arrival; stored -> written to the socket by the web process (kernel
timestamps from tcpdump, where it is installed); how many clients got each event; connect time; the web processes'
RSS before and after the connections (memory per connection) and the CPU each process spent.

Baseline in the same run: the same measurement with 10 clients on the same servers, before the rest connect.
Compared (--modes): gevent (the Procfile's web process) and gthread (a thread per socket, the previous setting).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_socketio REDIS_URL=redis://127.0.0.1:6379/10 \
        python -m bench.socketio_fanout [--clients 1000] [--baseline 10] [--messages 30] [--rate 1] \
        [--agents 20] [--accounts 200] [--client-processes 4] [--modes gevent,gthread] \
        [--client socketio|minimal] [--no-deflate] [--client-nice 19]

The database and the Redis database are emptied. Clients are python-socketio AsyncClients (aiohttp, websocket
transport, offering permessage-deflate as browsers do) authenticated with JWTs from POST /api/v1/auth/login, spread
over --client-processes processes and alternating between the two servers. On one small machine the clients share
the CPU with the servers: the CPU line of each phase says who spent what.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyotp
import requests
from twilio.request_validator import RequestValidator

from bench.inbound_webhook import stop, wait_ready
from bench.login import PASSWORD, _free_port, _percentile

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "sandbox-twilio-token"
SECRET_KEY = "bench-socketio-fanout"
SMS_PATH = "/api/v1/webhooks/twilio/sms"
BODIES = ["Can I pay half now and the rest next month?", "What is my balance?", "Call me after 5pm please",
          "ok thanks", "Can you send me the details by email?", "I get paid on Friday"]
CONNECT_CONCURRENCY = 50
SERVER_ARGS = {
    "gevent": lambda per_process: ["--worker-class", "gevent", "--worker-connections", "2000"],
    "gthread": lambda per_process: ["--worker-class", "gthread", "--threads", str(per_process + 50)],
}
"""gevent as the Procfile runs it; gthread needs a thread per socket (plus room for requests), so it gets them."""


# -- data ------------------------------------------------------------------------------------------------------------
def prepare(database_url: str, agents: int, accounts: int) -> dict:
    """A fresh schema, one business with its sandbox number, `agents` agents (each with a TOTP secret) and
    `accounts` debtors with distinct phones."""
    code = f"""
import json, random, uuid
from decimal import Decimal
import pyotp
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
from app.models import Account
from app.services.auth.users import create_user, get_or_create_business
from app.services.clock import get_clock
app = create_app()
with app.app_context():
    db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.session.commit()
    upgrade()
    business = get_or_create_business(db.session, "Bench Agency")
    agents = []
    for i in range({agents}):
        secret = pyotp.random_base32()
        create_user(db.session, email=f"agent{{i}}@bench.example.com", password={PASSWORD!r}, role="agent",
                    business=business, first_name="Agent", last_name=str(i), mfa_secret=secret,
                    now=get_clock().now(), check_strength=False)
        agents.append((f"agent{{i}}@bench.example.com", secret))
    rng = random.Random(11)
    phones = set()
    while len(phones) < {accounts}:
        phones.add(f"+1214{{rng.randint(200, 999)}}{{rng.randint(0, 9999):04d}}")
    phones = sorted(phones)
    rows = [dict(id=uuid.uuid4(), business_id=business.id, first_name="Pat", last_name=f"Debtor{{i}}",
                 phone=p, state="TX", zip="75201", account_number=f"S-{{i:07d}}", current_balance=Decimal("100.00"),
                 status="active", preferred_language="en", country="US", tags=[], custom_fields={{}})
            for i, p in enumerate(phones)]
    db.session.execute(Account.__table__.insert(), rows)
    db.session.commit()
    print(json.dumps({{"number": business.sms_number, "phones": phones, "agents": agents}}))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, DATABASE_URL=database_url),
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def login_agents(base: str, agents: list) -> list[str]:
    """One access token per agent from the login endpoint (password + TOTP); each agent's sockets share it."""
    tokens = []
    for email, secret in agents:
        response = requests.post(base + "/api/v1/auth/login", timeout=30, json={
            "email": email, "password": PASSWORD, "mfaCode": pyotp.TOTP(secret).now()})
        if response.status_code != 200:
            raise SystemExit(f"login failed for {email}: {response.status_code} {response.text[:300]}")
        tokens.append(response.json()["data"]["token"])
    return tokens


def message_sids(database_url: str, sids: list[str]) -> dict[str, str]:
    """message id -> the provider id it came with."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT id::text, external_id FROM messages WHERE external_id = ANY(%s)", (sids,))
        return {message_id: sid for message_id, sid in rows}


# -- processes -------------------------------------------------------------------------------------------------------
def serve(mode: str, port: int, env: dict, per_process: int, log: Path) -> subprocess.Popen:
    """One web process: gunicorn with one worker (Socket.IO needs sticky sessions: scale by processes)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", *SERVER_ARGS[mode](per_process), "--bind",
         f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True)


def worker_pid(master: subprocess.Popen) -> int:
    """gunicorn's worker process (the one holding the sockets), not its master."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("gunicorn started no worker")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ClientProcess:
    """One process of AsyncClients, driven by JSON lines over its stdin and stdout."""

    def __init__(self, servers: list[str], tokens_file: Path, args, log: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.socketio_fanout", "--client-process", "--servers", ",".join(servers),
             "--tokens-file", str(tokens_file), "--client", args.client, "--deflate" if args.deflate else "--no-deflate"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log.open("ab"), text=True, bufsize=1,
            preexec_fn=(lambda: os.nice(args.client_nice)) if args.client_nice else None)

    def ask(self, command: dict) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("a client process died (see its log)")
        return json.loads(line)

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict:
        return json.loads(self.process.stdout.readline())


WIRE_EVENT = re.compile(r'42\["message\.created",.*?"room": ?"business:[^"]+".*?"eventId": ?"(\d+)-\d+"')
WIRE_HEADER = re.compile(r"^(\d+\.\d+) IP [\d.]+\.(\d+) > [\d.]+\.(\d+):")


class WireCapture:
    """When each web process put each `message.created` on the wire (tcpdump's kernel timestamps on loopback), apart
    from how long the clients, on this same machine, then took to read it: what a client elsewhere would see, less
    the network. Needs tcpdump and root, and frames that are not compressed (--no-deflate, or a server that refuses
    permessage-deflate)."""

    def __init__(self, ports: list[int], path: Path):
        self.path = path
        self.process = None
        if shutil.which("tcpdump") and os.geteuid() == 0:
            self.process = subprocess.Popen(
                ["tcpdump", "-i", "lo", "-n", "-tt", "-l", "-A", "-s", "2048", "-B", "32768",
                 f"tcp and (src port {ports[0]} or src port {ports[1]})"],
                stdout=path.open("wb"), stderr=subprocess.DEVNULL)
            time.sleep(1.5)

    def stop(self) -> list[tuple[float, float]] | None:
        """(stored at, written at) for every message.created write to a business room, or None without tcpdump."""
        if self.process is None:
            return None
        time.sleep(0.5)
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        writes, written_at = [], None
        with self.path.open(errors="replace") as capture:
            for line in capture:
                header = WIRE_HEADER.match(line)
                if header:
                    written_at = float(header.group(1))
                    continue
                for stored_ms in WIRE_EVENT.findall(line):
                    writes.append((int(stored_ms) / 1000, written_at))
        self.path.unlink()
        return writes


# -- the client side (runs in --client-process) ----------------------------------------------------------------------
class MinimalClient:
    """The Socket.IO v5 protocol over one aiohttp websocket, no library: open, connect with auth, answer pings,
    read events. It shows how much of a measured delay is the client library's own work on this machine."""

    def __init__(self, session, on_event, on_drop):
        self.session, self.on_event, self.on_drop, self.ws = session, on_event, on_drop, None

    async def connect(self, server: str, token: str, compress: int) -> None:
        self.ws = await self.session.ws_connect(server + "/socket.io/?EIO=4&transport=websocket", compress=compress)
        opened = await self.ws.receive(timeout=60)
        if not str(opened.data).startswith("0"):
            raise ConnectionError(f"no open packet: {opened.data!r}")
        await self.ws.send_str("40" + json.dumps({"token": token}))
        while True:  # the rooms joined while connecting may deliver events before the connect answer
            answer = str((await self.ws.receive(timeout=60)).data)
            if answer.startswith("40"):
                break
            if not answer.startswith("42"):
                raise ConnectionError(f"refused: {answer[:200]!r}")
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            data = frame.data
            if data == "2":
                await self.ws.send_str("3")
            elif isinstance(data, str) and data.startswith("42"):
                name, payload = json.loads(data[2:])[:2]
                self.on_event(name, payload)
        self.on_drop()

    async def disconnect(self) -> None:
        await self.ws.close()


async def client_process(servers: list[str], tokens: list[str], kind: str, compress: int) -> None:
    import aiohttp
    import socketio

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    clients: list = []
    deliveries: list = []
    dropped = [0]

    def on_created(data):
        if str(data.get("room", "")).startswith("business:"):
            deliveries.append((data.get("eventId"), data.get("messageId"), time.time()))

    def on_drop(*_):
        dropped[0] += 1

    async def open_one(number: int, times: list, failures: list, gate: asyncio.Semaphore) -> None:
        server, token = servers[number % len(servers)], tokens[number % len(tokens)]
        async with gate:
            started = time.perf_counter()
            try:
                if kind == "minimal":
                    client = MinimalClient(session, lambda name, data: name == "message.created" and on_created(data),
                                           on_drop)
                    await client.connect(server, token, compress)
                else:
                    client = socketio.AsyncClient(reconnection=False, http_session=session, handle_sigint=False,
                                                  websocket_extra_options={"compress": compress})
                    client.on("message.created", on_created)
                    client.on("disconnect", on_drop)
                    await client.connect(server, transports=["websocket"], auth={"token": token}, wait_timeout=60)
            except Exception as exc:  # reported, not fatal: the summary says how many failed
                failures.append(repr(exc)[:200])
                return
            times.append(time.perf_counter() - started)
            clients.append(client)

    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command["do"] == "connect":
            times: list = []
            failures: list = []
            gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
            await asyncio.gather(*(open_one(n, times, failures, gate) for n in command["numbers"]))
            answer = {"times": times, "failures": failures}
        elif command["do"] == "count":
            answer = {"deliveries": len(deliveries), "connected": len(clients), "dropped": dropped[0]}
        elif command["do"] == "collect":
            answer = {"deliveries": deliveries[:], "connected": len(clients), "dropped": dropped[0]}
            deliveries.clear()
        else:
            await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
            await session.close()
            answer = {"bye": True}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if command["do"] == "quit":
            return


# -- measuring -------------------------------------------------------------------------------------------------------
def connect(pool: list[ClientProcess], numbers: range) -> tuple[list[float], list[str], float]:
    """Open clients `numbers` (spread over the processes, each alternating servers); all processes at once."""
    started = time.perf_counter()
    shares = [list(numbers)[i::len(pool)] for i in range(len(pool))]
    for client, share in zip(pool, shares):
        client.send({"do": "connect", "numbers": share})
    times, failures = [], []
    for client in pool:
        answer = client.reply()
        times += answer["times"]
        failures += answer["failures"]
    return times, failures, time.perf_counter() - started


def post_texts(public: str, setup: dict, count: int, rate: float, rng: random.Random) -> dict[str, float]:
    """Plain texts from the business's debtors, signed like Twilio's, one every 1/rate s; MessageSid -> posted at."""
    validator = RequestValidator(TOKEN)
    http = requests.Session()
    posted = {}
    started = time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "ACbench",  # new in every run and mode
                "From": setup["phones"][i % len(setup["phones"])], "To": setup["number"],
                "Body": rng.choice(BODIES), "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01"}
        signature = validator.compute_signature(public + SMS_PATH, form)
        at = time.time()
        response = http.post(public + SMS_PATH, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}: {response.text[:300]}")
        posted[form["MessageSid"]] = at
    return posted


def settle(pool: list[ClientProcess], expected: int, timeout: float = 30) -> None:
    """Wait until every connected client has every event (or the timeout: the summary shows what was missing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(client.ask({"do": "count"})["deliveries"] for client in pool) >= expected:
            return
        time.sleep(0.5)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def phase(label: str, pool: list[ClientProcess], setup: dict, args, database_url: str, public: str,
          rng: random.Random, pids: dict, wire: WireCapture) -> dict:
    """Post texts, wait for their events at every client, and summarize the deliveries."""
    connected = sum(client.ask({"do": "count"})["connected"] for client in pool)
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    posted = post_texts(public, setup, args.messages, args.rate, rng)
    settle(pool, expected=connected * args.messages)
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    writes = wire.stop()
    deliveries, dropped = [], 0
    for client in pool:
        answer = client.ask({"do": "collect"})
        deliveries += answer["deliveries"]
        dropped += answer["dropped"]
    sid_of = message_sids(database_url, list(posted))
    stored_to_client = [arrived - int(event_id.split("-")[0]) / 1000 for event_id, _, arrived in deliveries]
    posted_to_client = [arrived - posted[sid_of[message_id]] for _, message_id, arrived in deliveries
                        if message_id in sid_of]
    per_event: dict[str, list[float]] = {}
    for event_id, _, arrived in deliveries:
        per_event.setdefault(event_id, []).append(arrived - int(event_id.split("-")[0]) / 1000)
    receivers = [len(v) for v in per_event.values()] or [0]
    first = [min(v) for v in per_event.values()] or [0.0]
    last = [max(v) for v in per_event.values()] or [0.0]
    pickup = sorted({(message_id, int(event_id.split("-")[0]) / 1000 - posted[sid_of[message_id]])
                     for event_id, message_id, _ in deliveries if message_id in sid_of})
    result = {
        "label": label, "clients": connected, "events": len(per_event), "texts": len(posted),
        "deliveries": len(deliveries), "expected": connected * len(posted), "dropped": dropped,
        "p50": statistics.median(stored_to_client) if stored_to_client else 0.0,
        "p95": _percentile(stored_to_client, 95) if stored_to_client else 0.0,
        "max": max(stored_to_client, default=0.0),
        "posted_p50": statistics.median(posted_to_client) if posted_to_client else 0.0,
        "posted_p95": _percentile(posted_to_client, 95) if posted_to_client else 0.0,
        "pickup_p50": statistics.median([p for _, p in pickup]) if pickup else 0.0,
        "first_p50": statistics.median(first), "last_p50": statistics.median(last),
        "last_p95": _percentile(last, 95), "receivers_min": min(receivers), "receivers_max": max(receivers),
        "cpu": cpu,
    }
    on_wire = [written - stored for stored, written in writes or ()]
    if on_wire:
        result.update(wire_p50=statistics.median(on_wire), wire_p95=_percentile(on_wire, 95), wire_max=max(on_wire))
    print(f"  {label:<13} clients={connected:<5} texts={len(posted)} events={len(per_event)} "
          f"deliveries={len(deliveries)}/{connected * len(posted)} dropped={dropped}")
    print(f"    stored -> client   p50={ms(result['p50'])} ms  p95={ms(result['p95'])} ms  "
          f"max={ms(result['max'])} ms   (target p95 <= 100 ms)")
    if on_wire:
        print(f"    stored -> written by the web process  p50={ms(result['wire_p50'])} ms  p95={ms(result['wire_p95'])} "
              f"ms  max={ms(result['wire_max'])} ms  ({len(on_wire)} writes seen on the wire)")
    else:
        print("    stored -> written by the web process: not measured ("
              + ("frames compressed: use --no-deflate" if writes is not None else "needs tcpdump and root") + ")")
    print(f"    per event: first client p50={ms(result['first_p50'])} ms, last client p50={ms(result['last_p50'])} ms"
          f" p95={ms(result['last_p95'])} ms; receivers per event min={result['receivers_min']} "
          f"max={result['receivers_max']}")
    print(f"    webhook posted -> client p50={ms(result['posted_p50'])} ms p95={ms(result['posted_p95'])} ms "
          f"(posted -> stored, worker included: p50={ms(result['pickup_p50'])} ms)")
    print("    CPU s during the phase: " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in cpu.items())
          + f"; machine load average {os.getloadavg()[0]:.1f}")
    sent = max(1, 2 * connected * len(posted))  # message.created and conversation.updated go to the business room
    web = cpu["web A"] + cpu["web B"]
    clients = sum(seconds for name, seconds in cpu.items() if name.startswith("clients"))
    result.update(web_us_per_write=web / sent * 1e6, client_us_per_event=clients / sent * 1e6)
    print(f"    per socket write: web {result['web_us_per_write']:.0f} us CPU; per event received: client "
          f"{result['client_us_per_event']:.0f} us CPU; RQ worker {cpu['rq worker'] / len(posted) * 1000:.0f} ms "
          f"CPU per text")
    return result


def run_mode(mode: str, args, setup: dict, env: dict, database_url: str, workdir: Path, tokens: list | None) -> dict:
    """Two web processes and one RQ worker in `mode`; the baseline clients, then the rest; then stop everything."""
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    ports = [_free_port(), _free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    public = bases[0]
    server_env = dict(env, PUBLIC_URL=public)
    per_process = (args.clients + 1) // 2
    servers = [serve(mode, port, dict(server_env, PORT=str(port)), per_process, workdir / f"{mode}-web{i}.log")
               for i, port in enumerate(ports)]
    worker_log = (workdir / f"{mode}-worker.log").open("ab")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], cwd=ROOT,
                              env=server_env, stdout=subprocess.DEVNULL, stderr=worker_log, start_new_session=True)
    pool: list[ClientProcess] = []
    try:
        for base, server in zip(bases, servers):
            wait_ready(base, server)
        tokens = tokens or login_agents(public, setup["agents"])
        tokens_file = workdir / "tokens.json"
        tokens_file.write_text(json.dumps(tokens))
        web_pids = [worker_pid(server) for server in servers]
        pids = {"web A": web_pids[0], "web B": web_pids[1], "rq worker": worker.pid}
        rng = random.Random(5)
        post_texts(public, setup, 3, args.rate, rng)  # warm-up: first requests, first jobs, first emits
        time.sleep(2)
        rss_idle = [rss_mb(pid) for pid in web_pids]
        pool = [ClientProcess(bases, tokens_file, args, workdir / f"{mode}-clients.log")
                for _ in range(args.client_processes)]
        for i, client in enumerate(pool):
            pids[f"clients {i}"] = client.process.pid
        print(f"\n{mode}: 2 web processes ({', '.join(SERVER_ARGS[mode](per_process))}), 1 RQ worker, "
              f"{args.client_processes} client processes; RSS idle {rss_idle[0]:.1f} + {rss_idle[1]:.1f} MB")
        results = {"mode": mode, "rss_idle": sum(rss_idle)}

        times, failures, wall = connect(pool, range(args.baseline))
        if failures:
            raise SystemExit(f"{len(failures)} of {args.baseline} baseline clients could not connect: {failures[0]}")
        wire = WireCapture(ports, workdir / "wire.txt")
        results["baseline"] = phase("baseline", pool, setup, args, database_url, public, rng, pids, wire)
        rss_baseline = [rss_mb(pid) for pid in web_pids]

        times, failures, wall = connect(pool, range(args.baseline, args.clients))
        time.sleep(2)
        rss_full = [rss_mb(pid) for pid in web_pids]
        added = len(times)
        per_connection = (sum(rss_full) - sum(rss_baseline)) * 1024 / max(1, added)
        results.update(connect_wall=wall, connect_p50=statistics.median(times) if times else 0.0,
                       connect_p95=_percentile(times, 95) if times else 0.0, connect_failures=len(failures),
                       rss_baseline=sum(rss_baseline), rss_full=sum(rss_full), kb_per_connection=per_connection)
        print(f"  connected {added} more in {wall:.1f} s (per client p50={ms(results['connect_p50'])} ms "
              f"p95={ms(results['connect_p95'])} ms, {len(failures)} failed{': ' + failures[0] if failures else ''})")
        print(f"  web RSS: {sum(rss_baseline):.1f} MB with {args.baseline} clients -> {sum(rss_full):.1f} MB with "
              f"{args.baseline + added} ({rss_full[0]:.1f} + {rss_full[1]:.1f}): {per_connection:.0f} KB per connection")
        wire = WireCapture(ports, workdir / "wire.txt")
        results["full"] = phase(f"{args.clients} clients", pool, setup, args, database_url, public, rng, pids, wire)
        results["tokens"] = tokens
        return results
    finally:
        for client in pool:
            try:
                client.ask({"do": "quit"})
            except (SystemExit, OSError, ValueError):
                pass
            client.process.wait(timeout=30)
        for server in servers:
            stop(server)
        stop(worker)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--messages", type=int, default=30, help="texts per phase")
    parser.add_argument("--rate", type=float, default=1.0, help="texts per second")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--modes", default="gevent,gthread")
    parser.add_argument("--client", choices=("socketio", "minimal"), default="socketio",
                        help="python-socketio's AsyncClient, or the bare protocol (to see the client library's share)")
    parser.add_argument("--deflate", action=argparse.BooleanOptionalAction, default=True,
                        help="offer permessage-deflate as browsers do (the server then keeps a zlib context per socket)")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="run the clients at this nice level, so that the servers get the CPU first, as they "
                             "would with the clients on other machines (compare the written-by-the-server figures)")
    parser.add_argument("--client-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--servers", help=argparse.SUPPRESS)
    parser.add_argument("--tokens-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client_process:
        tokens = json.loads(Path(args.tokens_file).read_text())
        asyncio.run(client_process(args.servers.split(","), tokens, args.client, 15 if args.deflate else 0))
        return

    database_url = os.environ.get("DATABASE_URL")
    if not (database_url or "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (it is emptied)")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
    setup = prepare(database_url, args.agents, args.accounts)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_", "ANTHROPIC_", "SOCKETIO_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=SECRET_KEY)
    workdir = Path(tempfile.mkdtemp(prefix="bench-socketio-"))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; {args.agents} agents, "
          f"{args.accounts} debtors; {args.messages} texts per phase at {args.rate}/s; {args.client} clients "
          f"{'offering' if args.deflate else 'without'} permessage-deflate; logs in {workdir}")
    tokens = None
    summary = []
    for mode in args.modes.split(","):
        result = run_mode(mode.strip(), args, setup, env, database_url, workdir, tokens)
        tokens = result["tokens"]
        summary.append(result)
    print("\nsummary (stored -> client, all deliveries):")
    for result in summary:
        for key in ("baseline", "full"):
            r = result[key]
            wire = (f"; written by the server p95={ms(r['wire_p95'])} ms" if "wire_p95" in r else "")
            print(f"  {result['mode']:<8} {r['clients']:>5} clients  p50={ms(r['p50'])} ms  p95={ms(r['p95'])} ms  "
                  f"max={ms(r['max'])} ms  delivered {r['deliveries']}/{r['expected']}{wire}")
        print(f"  {result['mode']:<8} memory {result['kb_per_connection']:.0f} KB per connection "
              f"(web RSS {result['rss_idle']:.0f} MB idle -> {result['rss_full']:.0f} MB), connect "
              f"{result['connect_wall']:.1f} s for {args.clients - args.baseline} clients")


if __name__ == "__main__":
    main()
