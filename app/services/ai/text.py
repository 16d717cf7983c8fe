"""Text as the classifiers see it: folded like every other reader of inbound text, with what varies for no reason
removed and what carries meaning kept.

- compliance.inbound.normalize: NFKC, casefold, accents folded ("MÁS" = "mas"), plain quotes and dashes;
- emoji become a few mood words (angry, sad, happy, other), so an unseen emoji of a known mood still counts;
- a letter repeated three or more times is cut to two ("pleeeease" = "pleease", "noooo" = "noo");
- every digit run becomes 0: the amount in "100 a month" says nothing about the intent, its presence does.
Typos are left to the character n-grams, which share most of their grams with the correct spelling.
"""
from __future__ import annotations

import re
import unicodedata

from app.services.compliance.inbound import normalize

_ANGRY = set("😡🤬😠👿🖕💢😤🔪💀🤮")
_SAD = set("😢😭😞😔🙁☹😩😫😟😥😰😓💔🥺😣😖")
_HAPPY = set("🙂😊😀😃😄😁👍🙏❤😍🥰🤗✅👌💯😉🤞💪🎉😌")
_MOODS = ((_ANGRY, " emoangry "), (_SAD, " emosad "), (_HAPPY, " emohappy "))
_REPEATS = re.compile(r"(\w)\1{2,}")
_DIGITS = re.compile(r"\d+")
_SKIN_AND_JOINERS = re.compile("[\U0001f3fb-\U0001f3ff\u200d\ufe0f\ufe0e]")


def _emoji(ch: str) -> str:
    for moods, word in _MOODS:
        if ch in moods:
            return word
    if unicodedata.category(ch) == "So":
        return " emoji "
    return ch


def prepare(text: str) -> str:
    """The classifier's view of one message."""
    folded = normalize(_SKIN_AND_JOINERS.sub("", text or ""))
    folded = "".join(_emoji(ch) if ord(ch) > 0x2000 else ch for ch in folded)
    folded = _REPEATS.sub(r"\1\1", folded)
    return " ".join(_DIGITS.sub("0", folded).split())


def prepare_all(texts) -> list[str]:
    return [prepare(t) for t in texts]
