"""Do the probes tell the truth about the database and the queue?"""


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_lists_each_dependency(client):
    body = client.get("/readyz").get_json()
    deps = body["dependencies"]
    assert {"database", "queue", "stripe", "sms", "email", "ai"} <= set(deps)
    assert deps["database"]["ok"] and deps["queue"]["ok"]
    assert deps["sms"]["mode"] == "sandbox"


def test_healthz_reports_a_dead_queue(client, app, monkeypatch):
    from app.services.jobs import Jobs, redis_connection

    # A real client pointed at a port where nothing listens.
    monkeypatch.setitem(app.extensions, "jobs", Jobs(redis_connection("redis://127.0.0.1:1/0")))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "unavailable"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["dependencies"]["queue"]["state"] == "down"
