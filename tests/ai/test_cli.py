"""Can an engineer train the local engine and read its figures from the command line, as the issue specifies?"""
from __future__ import annotations

import json

from app.services.ai import corpus
from app.services.ai.model_store import load, model_path
from tests.ai.conftest import FIXTURES, TINY_CORPUS

JSON_KEYS = {"macroF1", "perIntent", "sentimentAccuracy", "hostileRecall", "escalationRecall", "escalationPrecision",
             "compliancePassRate", "latencyP50Ms", "latencyP95Ms", "n"}


def test_eval_json_on_a_file(ai_app):
    result = ai_app.test_cli_runner().invoke(args=["ai", "eval", "--engine", "local", "--json",
                                                   str(FIXTURES / "eval_small.jsonl")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == JSON_KEYS
    assert report["n"] == 18
    assert report["compliancePassRate"] is None  # no replies yet: not faked
    assert 0 <= report["macroF1"] <= 1 and report["latencyP50Ms"] <= report["latencyP95Ms"]
    assert set(report["perIntent"]["cease_contact"]) == {"precision", "recall", "f1", "support"}
    assert report["perIntent"]["cease_contact"]["support"] == 2
    assert report["perIntent"]["cease_contact"]["recall"] == 1.0  # STOP and the Spanish cease: rules
    assert report["hostileRecall"] == 1.0  # "scammers, go to hell"


def test_eval_text_on_a_file(ai_app):
    result = ai_app.test_cli_runner().invoke(args=["ai", "eval", str(FIXTURES / "eval_small.jsonl")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Engine: local    examples: 18" in out
    for heading in ("intent", "precision", "recall", "f1", "support"):
        assert heading in out.splitlines()[2]
    assert any(line.startswith("bankruptcy ") and line.split()[-1] == "1" for line in out.splitlines())
    for label in ("Intent macro-F1:", "Sentiment accuracy:", "Hostile recall:", "Escalation recall:",
                  "Escalation precision:", "Latency per turn:       p50"):
        assert label in out
    assert "Compliance pass rate:   n/a (the local engine writes no replies yet" in out


def test_eval_heldout_split(ai_app, heldout):
    result = ai_app.test_cli_runner().invoke(args=["ai", "eval", "--split", "heldout", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == len(heldout)


def test_eval_reports_bad_lines_with_their_numbers(ai_app, tmp_path):
    lines = (FIXTURES / "eval_small.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    lines.insert(1, json.dumps({"text": "hi", "intent": "greeting", "sentiment": "neutral", "lang": "en",
                                "must_escalate": False}))
    lines.append("{not json")
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = ai_app.test_cli_runner().invoke(args=["ai", "eval", str(path)])
    assert result.exit_code == 1
    assert "2 bad lines" in result.output
    assert f"{path}:2: intent 'greeting' is not one of" in result.output
    assert f"{path}:5: not valid JSON" in result.output


def test_eval_needs_a_file_or_the_split(ai_app):
    runner = ai_app.test_cli_runner()
    assert runner.invoke(args=["ai", "eval"]).exit_code == 2
    assert runner.invoke(args=["ai", "eval", "--split", "heldout", str(FIXTURES / "eval_small.jsonl")]).exit_code == 2
    anthropic = runner.invoke(args=["ai", "eval", "--engine", "anthropic", str(FIXTURES / "eval_small.jsonl")])
    assert anthropic.exit_code == 2  # offered once that engine exists
    missing = runner.invoke(args=["ai", "eval", "nowhere.jsonl"])
    assert missing.exit_code == 1 and "nowhere.jsonl: no such file" in missing.output


def test_train_writes_the_model_with_the_corpus_hash(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "AI_CORPUS_DIR", str(TINY_CORPUS))
    result = app.test_cli_runner().invoke(args=["ai", "train"])
    assert result.exit_code == 0, result.output
    stored = load(model_path(tmp_path))
    assert stored.corpus_hash == corpus.corpus_hash(TINY_CORPUS)
    train, heldout = corpus.split(corpus.load(TINY_CORPUS))
    assert (stored.n_train, stored.n_heldout) == (len(train), len(heldout))
    assert result.output.startswith(f"Trained on {len(train)} examples ({len(heldout)} held out) in ")
    assert str(model_path(tmp_path)) in result.output


def test_train_refuses_a_corpus_with_bad_lines(app, monkeypatch, tmp_path):
    bad = tmp_path / "corpus"
    bad.mkdir()
    (bad / "other.jsonl").write_text('{"text": "hi"}\n', encoding="utf-8")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "AI_CORPUS_DIR", str(bad))
    result = app.test_cli_runner().invoke(args=["ai", "train"])
    assert result.exit_code == 1
    assert "nothing was trained" in result.output and f"{bad / 'other.jsonl'}:1: missing intent" in result.output
    assert not model_path(tmp_path).exists()


def test_eval_trains_a_missing_model_first_and_says_so(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "AI_CORPUS_DIR", str(TINY_CORPUS))
    app.extensions.pop("ai_local_engine", None)
    try:
        result = app.test_cli_runner().invoke(args=["ai", "eval", "--json", str(FIXTURES / "eval_small.jsonl")])
    finally:
        app.extensions.pop("ai_local_engine", None)
    assert result.exit_code == 0, result.output
    assert "The stored model was missing or stale: trained it first" in result.stderr
    assert json.loads(result.stdout)["n"] == 18
    assert load(model_path(tmp_path)).corpus_hash == corpus.corpus_hash(TINY_CORPUS)
