"""The labeled corpus: one JSON object a line, `{"text", "intent", "sentiment", "lang", "must_escalate"}`.

The repository's corpus lives in `corpus/<intent>.jsonl`; evaluation files have the same shape. Bad lines are
reported with their file and line number, all of them at once, so a labeler fixes a file in one pass.

The held-out split is a pure function of the text: an example is held out when a stable hash of its *skeleton*
(folded, digits, punctuation, emoji and repeated letters dropped) falls in the first 20 of 100 buckets. Variants
that differ only in an amount, a typo'd "sooo" or an emoji share a skeleton, so they land on the same side and the
held-out figures are not inflated by near copies of training lines.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from app.services.ai.labels import INTENTS, LANGUAGES, SENTIMENTS
from app.services.compliance.inbound import normalize

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
HELDOUT_PERCENT = 20
FIELDS = ("text", "intent", "sentiment", "lang", "must_escalate")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    sentiment: str
    lang: str
    must_escalate: bool
    source: str = ""  # "file:line", for messages about this example


class CorpusError(ValueError):
    """One or more bad lines; `problems` holds ("file:line", message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        shown = "\n".join(f"{where}: {message}" for where, message in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad line{'s' if len(problems) != 1 else ''}:\n{shown}{more}")


def parse_line(line: str) -> Example:
    """One example from one line; ValueError with a message that names the field."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    missing = [f for f in FIELDS if f not in row]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    text = row["text"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    for field, allowed in (("intent", INTENTS), ("sentiment", SENTIMENTS), ("lang", LANGUAGES)):
        if row[field] not in allowed:
            raise ValueError(f"{field} {row[field]!r} is not one of {', '.join(allowed)}")
    if not isinstance(row["must_escalate"], bool):
        raise ValueError("must_escalate must be true or false")
    return Example(text=text, intent=row["intent"], sentiment=row["sentiment"], lang=row["lang"],
                   must_escalate=row["must_escalate"])


def read_file(path: Path | str) -> list[Example]:
    """Every example in one JSONL file (blank lines skipped); CorpusError listing every bad line."""
    path = Path(path)
    examples: list[Example] = []
    problems: list[tuple[str, str]] = []
    try:
        raw = path.read_text(encoding="utf-8-sig")  # a BOM from a spreadsheet export is not a bad line
    except UnicodeDecodeError as exc:
        raise CorpusError([(str(path), f"not UTF-8 text ({exc.reason})")]) from None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            example = parse_line(line)
        except ValueError as exc:
            problems.append((where, str(exc)))
            continue
        examples.append(_with_source(example, where))
    if problems:
        raise CorpusError(problems)
    return examples


def files(directory: Path | str | None = None) -> list[Path]:
    return sorted(Path(directory or CORPUS_DIR).glob("*.jsonl"))


def load(directory: Path | str | None = None) -> list[Example]:
    """The whole corpus, file by file in name order; CorpusError listing the bad lines of every file."""
    examples: list[Example] = []
    problems: list[tuple[str, str]] = []
    for path in files(directory):
        try:
            examples.extend(read_file(path))
        except CorpusError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CorpusError(problems)
    return examples


def corpus_hash(directory: Path | str | None = None) -> str:
    """SHA-256 over the corpus files' names and bytes: a trained model is stale when this changes."""
    digest = hashlib.sha256()
    for path in files(directory):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


_NOT_LETTERS = re.compile(r"[^a-z]+")
_REPEATS = re.compile(r"([a-z])\1+")


def skeleton(text: str) -> str:
    """The text with everything that makes near copies differ removed: case, accents, digits, punctuation,
    emoji, spacing and repeated letters."""
    letters = _NOT_LETTERS.sub(" ", normalize(text))
    return " ".join(_REPEATS.sub(r"\1", letters).split())


def is_heldout(text: str) -> bool:
    """True for the examples training never sees (HELDOUT_PERCENT of skeletons, by a stable hash)."""
    bucket = int.from_bytes(hashlib.sha256(skeleton(text).encode()).digest()[:8], "big") % 100
    return bucket < HELDOUT_PERCENT


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, heldout), each in the input order."""
    train, heldout = [], []
    for example in examples:
        (heldout if is_heldout(example.text) else train).append(example)
    return train, heldout


def _with_source(example: Example, where: str) -> Example:
    return Example(example.text, example.intent, example.sentiment, example.lang, example.must_escalate, where)
