"""`flask ai eval`: an engine's figures on a labeled file (or the corpus's held-out split).

Per intent: precision, recall, F1 and support; macro-F1 over the intents that occur in the labels or the
predictions (scikit-learn's convention). Sentiment accuracy; hostile recall (of hostile sentiment). Escalation
compares what the file's `must_escalate` labels (intent, hostile sentiment, legal matter: labels.py) with the
engine's reading of the same; the text report adds the handoff figures, where the low-confidence handoff of
FR-CONV-022 also counts (what the assistant would actually pass to a person). Latency is per turn (model and
rules), after the model is loaded, with percentiles by nearest rank. compliancePassRate needs replies, which
this engine does not write yet: it is None, never a made-up 1.0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.services.ai.labels import INTENTS


@dataclass
class Report:
    n: int
    per_intent: dict[str, dict] = field(default_factory=dict)
    macro_f1: float | None = None
    sentiment_accuracy: float | None = None
    hostile_recall: float | None = None
    escalation_recall: float | None = None
    escalation_precision: float | None = None
    compliance_pass_rate: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    intent_accuracy: float | None = None
    language_accuracy: float | None = None
    handoff_recall: float | None = None
    handoff_rate: float | None = None
    engine: str = "local"
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # (expected, predicted, count), worst first

    def as_json(self) -> dict:
        """The object `--json` prints, keys as the issue names them."""
        return {"macroF1": self.macro_f1, "perIntent": self.per_intent, "sentimentAccuracy": self.sentiment_accuracy,
                "hostileRecall": self.hostile_recall, "escalationRecall": self.escalation_recall,
                "escalationPrecision": self.escalation_precision, "compliancePassRate": self.compliance_pass_rate,
                "latencyP50Ms": self.latency_p50_ms, "latencyP95Ms": self.latency_p95_ms, "n": self.n}


def evaluate(engine, examples) -> Report:
    """Read every example with `engine` (anything with `read(text, lang_hint)` returning a local.Reading)."""
    if not examples:
        return Report(n=0)
    if hasattr(engine, "warm"):
        engine.warm()
    readings = [engine.read(e.text) for e in examples]
    gold = [e.intent for e in examples]
    predicted = [r.intent for r in readings]
    per_intent = _per_label(gold, predicted)
    scored = [m["f1"] for m in per_intent.values()]
    hostile = [(r.sentiment == "hostile") for e, r in zip(examples, readings) if e.sentiment == "hostile"]
    escalations = [(e.must_escalate, r.escalate) for e, r in zip(examples, readings)]
    handoffs = [(e.must_escalate, r.handoff) for e, r in zip(examples, readings)]
    latencies = sorted(r.latency_ms for r in readings)
    confusions: dict[tuple[str, str], int] = {}
    for g, p in zip(gold, predicted):
        if g != p:
            confusions[(g, p)] = confusions.get((g, p), 0) + 1
    return Report(
        n=len(examples),
        per_intent=per_intent,
        macro_f1=_r(sum(scored) / len(scored)),
        sentiment_accuracy=_ratio(sum(e.sentiment == r.sentiment for e, r in zip(examples, readings)), len(examples)),
        hostile_recall=_ratio(sum(hostile), len(hostile)),
        escalation_recall=_ratio(sum(1 for want, got in escalations if want and got),
                                 sum(1 for want, _ in escalations if want)),
        escalation_precision=_ratio(sum(1 for want, got in escalations if want and got),
                                    sum(1 for _, got in escalations if got)),
        compliance_pass_rate=None,
        latency_p50_ms=_r(percentile(latencies, 50), 3),
        latency_p95_ms=_r(percentile(latencies, 95), 3),
        intent_accuracy=_ratio(sum(g == p for g, p in zip(gold, predicted)), len(gold)),
        handoff_recall=_ratio(sum(1 for want, got in handoffs if want and got), sum(1 for want, _ in handoffs if want)),
        handoff_rate=_ratio(sum(1 for _, got in handoffs if got), len(handoffs)),
        language_accuracy=_ratio(sum(e.lang == r.lang for e, r in zip(examples, readings)), len(examples)),
        engine=getattr(readings[0], "engine", "local"),
        confusions=sorted(((g, p, c) for (g, p), c in confusions.items()), key=lambda t: (-t[2], t[0], t[1])),
    )


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _per_label(gold: list[str], predicted: list[str]) -> dict[str, dict]:
    present = set(gold) | set(predicted)
    out = {}
    for label in (i for i in INTENTS if i in present):
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": _r(precision), "recall": _r(recall), "f1": _r(f1), "support": tp + fn}
    return out


def _ratio(numerator: int, denominator: int) -> float | None:
    return _r(numerator / denominator) if denominator else None


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def format_text(report: Report) -> str:
    """The human-readable report."""
    def pct(value):
        return "n/a" if value is None else f"{value:.3f}"

    lines = [f"Engine: {report.engine}    examples: {report.n}", ""]
    if report.n:
        lines.append(f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
        for label, m in report.per_intent.items():
            lines.append(f"{label:<22}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>9}")
        lines.append("")
    lines += [
        f"Intent macro-F1:        {pct(report.macro_f1)}",
        f"Intent accuracy:        {pct(report.intent_accuracy)}",
        f"Sentiment accuracy:     {pct(report.sentiment_accuracy)}",
        f"Hostile recall:         {pct(report.hostile_recall)}",
        f"Escalation recall:      {pct(report.escalation_recall)}",
        f"Escalation precision:   {pct(report.escalation_precision)}",
        f"Handoff rate:           {pct(report.handoff_rate)} (escalations plus confidence below 0.70), "
        f"recall {pct(report.handoff_recall)}",
        f"Language accuracy:      {pct(report.language_accuracy)}",
        "Compliance pass rate:   n/a (the local engine writes no replies yet, so there is nothing to check)"
        if report.compliance_pass_rate is None else f"Compliance pass rate:   {pct(report.compliance_pass_rate)}",
        f"Latency per turn:       p50 {_ms(report.latency_p50_ms)}, p95 {_ms(report.latency_p95_ms)}",
    ]
    if report.confusions:
        lines += ["", "Most frequent confusions (expected -> predicted):"]
        lines += [f"  {g} -> {p}: {c}" for g, p, c in report.confusions[:10]]
    return "\n".join(lines)


def _ms(value):
    return "n/a" if value is None else f"{value:.2f} ms"
