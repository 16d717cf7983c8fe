"""Is the local engine accurate enough, calibrated, fast, and does its model follow the corpus?"""
from __future__ import annotations

import shutil
import time

from app.services.ai import language
from app.services.ai.text import prepare
from app.services.ai.evaluate import evaluate, percentile
from app.services.ai.local import CONFIDENCE_THRESHOLD, LocalEngine
from app.services.ai.model_store import ModelStore, load, model_path
from tests.ai.conftest import TINY_CORPUS


def test_compiled_prediction_matches_scikit_learn(engine, heldout):
    classifiers = engine.store.get().classifiers
    for example in heldout[:50]:
        fast, reference = classifiers.predict(example.text), classifiers.predict_reference(example.text)
        for ours, theirs in zip(fast, reference):
            assert ours.label == theirs.label
            assert max(abs(ours.scores[k] - theirs.scores[k]) for k in theirs.scores) < 1e-6


def test_heldout_figures_stay_above_a_floor(engine, heldout):
    """The issue's targets are reported by `flask ai eval --split heldout`; this guards against regressions."""
    report = evaluate(engine, heldout)
    assert report.n == len(heldout) > 200
    assert report.macro_f1 >= 0.84
    assert report.sentiment_accuracy >= 0.75
    assert report.hostile_recall >= 0.88
    assert report.escalation_recall >= 0.92
    assert report.language_accuracy >= 0.95


def test_confidence_is_calibrated_on_heldout_data(engine, heldout):
    """FR-CONV-022's 70% must mean something: the model's own labels at >= 0.7 are right at least 70% of the time,
    and the confidences are not all crowded at one end."""
    model_only = [(r, e) for r, e in ((engine.read(e.text), e) for e in heldout) if not r.rules]
    confident = [r.intent == e.intent for r, e in model_only if r.confidence >= CONFIDENCE_THRESHOLD]
    unsure = [r.intent == e.intent for r, e in model_only if r.confidence < CONFIDENCE_THRESHOLD]
    assert len(confident) >= 0.25 * len(model_only)
    assert sum(confident) / len(confident) >= 0.80
    assert sum(unsure) / len(unsure) < sum(confident) / len(confident)


def test_latency_per_turn(engine, heldout):
    """Target p95 <= 20 ms on one core; the bound here is looser because the suite shares the machine."""
    timings = []
    for example in heldout[:200]:
        started = time.perf_counter()
        engine.read(example.text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    assert percentile(timings, 50) < 20
    assert percentile(timings, 95) < 60


def test_readings_carry_language_and_reasons(engine):
    reading = engine.read("quiero hablar con una persona, no con un robot")
    assert reading.lang == "es" and reading.engine == "local"
    assert reading.intent == "request_human" and reading.reasons == ("intent",) and reading.handoff
    assert engine.read("Can I pay 100 a month?").intent == "payment_plan"


def test_language_detection():
    assert language.detect("how much do I owe?") == "en"
    assert language.detect("¿cuánto debo?") == "es"
    assert language.detect("ya no tengo trabajo, no puedo pagar") == "es"
    assert language.detect("i lost my job and cant pay rn") == "en"
    assert language.detect("100?", default="es") == "es"


def test_missing_or_stale_model_is_trained_on_first_use(tmp_path):
    corpus_copy = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, corpus_copy)
    path = model_path(tmp_path / "instance")

    first = LocalEngine(ModelStore(path, corpus_copy))
    assert first.read("cuanto debo?").intent == "balance_inquiry"
    assert first.store.trained_here and path.exists()
    stored_hash = load(path).corpus_hash

    second = LocalEngine(ModelStore(path, corpus_copy))  # a new process: loads, does not train
    second.warm()
    assert not second.store.trained_here

    with (corpus_copy / "other.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"text": "nice weather", "intent": "other", "sentiment": "positive", "lang": "en", '
                '"must_escalate": false}\n')
    second.read("hello")  # the corpus changed under a running engine: it retrains
    assert second.store.trained_here
    assert load(path).corpus_hash != stored_hash


def test_an_unreadable_model_file_is_replaced(tmp_path):
    path = model_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    engine = LocalEngine(ModelStore(path, TINY_CORPUS))
    engine.warm()
    assert engine.store.trained_here and load(path) is not None


def test_an_empty_message_is_handed_to_a_person(engine):
    for text in ("", "   "):
        reading = engine.read(text)
        assert (reading.intent, reading.confidence, reading.sentiment) == ("other", 0.0, "neutral")
        assert reading.handoff and not reading.escalate


def test_emoji_and_long_emails_are_read(engine):
    assert engine.read("😡😡😡").sentiment == "hostile"
    assert engine.read("👍").sentiment == "positive"
    long_email = "Dear Sir or Madam, I am writing about the account you contacted me about last week. " * 40
    assert engine.read(long_email).latency_ms < 200


def test_shapes_become_marker_tokens():
    """An amount, a recurring period, a payment already made and a negation each add one feature, in both
    languages, whatever the words that carry them."""
    assert prepare("can i pay 35 every friday").endswith(" xrecurring")
    assert prepare("puedo dar 40 cada quincena").endswith(" xrecurring")
    assert prepare("ya pagué 200 dólares ayer").endswith(" xamount xpaidpast")
    assert prepare("I already paid it").endswith(" xpaidpast")
    assert prepare("I don't owe $500").endswith(" xamount xneg")
    assert prepare("how much do i owe") == "how much do i owe"
