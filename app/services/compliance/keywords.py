"""Inbound keywords: opt-out (OPT-1/OPT-2), re-opt-in (OPT-7) and HELP (OPT-8), in English and Spanish.

`classify(text)` is what the inbound pipeline calls on every message the debtor sends, on any channel (an email
that says "stop texting me" opts out SMS too: OPT-2, D-3). It never reads state: whether an opt-in keyword
re-subscribes anything depends on a standing opt-out, which the caller knows.

Decisions recorded here (COMPLIANCE.md OPT-1, OPT-2, OPT-7, OPT-8):
- OPT-1 normalization is exactly NFKC -> casefold -> strip leading/trailing characters that are not letters or
  digits (whitespace, punctuation, symbols and emoji) -> collapse inner whitespace -> "opt-out"/"optout" ->
  "opt out". A per-se revocation is an exact match of the result with PER_SE.
- OPT-2 (reasonable means) is a rule-based reader of the wording, with negation ("please don't stop") handled per
  clause. When a strong stop word appears in a message the reader cannot place, the result is `uncertain`, and
  `opt_out` is True as well: the caller enforces the opt-out and queues the message for human review.
  Ambiguous Spanish words ("para" is also "for", "alto" also "high", "baja" also "low", "no más" also "no more
  than") count only when they stand alone (with courtesy words such as "por favor", "ya").
- OPT-7: START, UNSTOP and YES, and the Spanish "sí" / "si" (the unaccented form is how "yes" is usually typed),
  only as the whole message (courtesy words allowed). An opt-out in the same message wins.
- OPT-8: HELP, INFO and the Spanish "ayuda", only as the whole message.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

PER_SE = frozenset({"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe", "stopall", "remove"})
"""OPT-1: the FCC per-se words plus the carrier/CTIA aliases (stopall, remove)."""

OPT_IN = frozenset({"start", "unstop", "yes", "sí", "si"})
HELP = frozenset({"help", "info", "ayuda"})

_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")
_OPT_OUT = re.compile(r"\bopt[\s\-\u2010-\u2015_]*out\b")
_CLAUSE = re.compile(r"[.,;:!?¡¿\n\r()\[\]\"“”«»…]+")
_APOSTROPHE = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class KeywordResult:
    """What an inbound text means for permission. `opt_out` is what to enforce; `uncertain` asks for review."""

    normalized: str
    opt_out: bool = False
    per_se: bool = False
    opt_in: bool = False
    help: bool = False
    uncertain: bool = False
    rule: str | None = None  # OPT-1, OPT-2, OPT-7, OPT-8
    matched: str | None = None  # the keyword or phrase that decided
    language: str | None = None  # en / es, when the match tells

    @property
    def label(self) -> str | None:
        """One label for Inbound.labels: opt_out, opt_in or help."""
        if self.opt_out:
            return "opt_out"
        if self.opt_in:
            return "opt_in"
        if self.help:
            return "help"
        return None


def normalize(text: str) -> str:
    """OPT-1: NFKC, casefold, strip edge punctuation/emoji/whitespace, collapse spaces, 'opt-out' -> 'opt out'."""
    s = unicodedata.normalize("NFKC", text or "").casefold()
    s = _EDGE.sub("", s)
    s = _SPACES.sub(" ", s)
    return _OPT_OUT.sub("opt out", s)


def _fold(text: str) -> str:
    """Accent-free form for matching typed Spanish ("no mas", "envien")."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(clause: str) -> str:
    return _NON_WORD.sub(" ", _APOSTROPHE.sub("", clause)).strip()


# -- OPT-2 vocabulary (matched on accent-free, apostrophe-free, space-separated words) -------------------------
_STOP_WORDS_EN = {"stop", "stopall", "quit", "end", "cancel", "unsubscribe", "revoke", "remove", "halt", "cease",
                  "opt out", "no more", "unsub", "stp", "stopp"}  # the last three: how the keywords get typed
_STOP_WORDS_ES = {"alto", "para", "parar", "pare", "paren", "detener", "detente", "detengase", "detengan", "cancelar",
                  "cancela", "cancelen", "baja", "basta", "no mas", "fin", "dar de baja", "darme de baja"}
_COURTESY = frozenset({
    "please", "pls", "plz", "now", "it", "all", "thanks", "thank", "you", "thx", "ok", "okay", "just",
    "immediately", "asap", "right", "already", "me", "us", "i", "said", "seriously", "really", "again", "sir",
    "maam", "texts", "text", "messages", "message", "msgs", "msg", "sms", "emails", "email", "calls", "txt",
    "por", "favor", "porfavor", "porfa", "ya", "gracias", "ahora", "mismo", "inmediatamente", "mensajes",
    "mensaje", "textos", "correos", "senor", "senora",
})
_NEGATORS = {
    "en": frozenset({"dont", "do not", "not", "never", "didnt", "doesnt", "wont", "cant", "shouldnt", "need to"}),
    "es": frozenset({"no", "nunca"}),
}

_PHRASES = tuple((re.compile(p), lang) for p, lang in (
    # English
    (r"\b(stop|quit|cease|halt|end)( \w+)? (sending|texting|txting|messaging|msging|contacting|calling|emailing|"
     r"e mailing|writing|bothering|harassing|spamming|pinging|hitting me up)\b", "en"),
    (r"\bstop (the |all |these |those |your |with the )?(texts|text messages|messages|msgs|emails|calls|"
     r"notifications|reminders|spam|sms)\b", "en"),
    (r"\b(no more|enough)( \w+)? (texts|text messages|messages|msgs|emails|calls|contact|txts|reminders|"
     r"notifications|sms)\b", "en"),
    (r"\b(dont|do not|never|please dont|pls dont) (ever )?(text|txt|message|msg|contact|call|email|e mail|write|"
     r"bother|sms|send)( me| us| this number| anymore| again)\b", "en"),
    (r"\b(i )?(dont|do not|no longer) (want|wish) (to (receive|get) )?(any )?(more |further )?(of )?(your |these |"
     r"those |the )?(texts|text messages|messages|msgs|emails|calls|contact|notifications|sms)\b", "en"),
    (r"\b(unsubscribe|unsub|remove|delete|take) (me|my number|this number|my phone|my email|us)\b", "en"),
    (r"\btake me off\b", "en"),
    (r"\bopt (me )?out\b", "en"),
    (r"\b(leave me alone|lose my number|delete my number|go away)\b", "en"),
    (r"\b(cancel|end) (my |the |these |all )?(subscription|texts|text messages|messages|alerts|notifications)\b", "en"),
    (r"\bstop all\b", "en"),
    # Spanish (accent-free)
    (r"\b(deje|dejen|deja|dejar|dejes|para|pare|paren|parar|pares) de (enviar|mandar|escribir|llamar|contactar|"
     r"molestar|textear|mensajear)\w*", "es"),
    (r"\bno (me |nos )?(envie|envien|envies|enviar|manden|mande|mandes|escriba|escriban|escribas|llame|llamen|"
     r"llames|contacte|contacten|contactes|moleste|molesten|molestes)\w*( mas)?\b", "es"),
    (r"\bno (quiero|deseo) (recibir )?(mas )?(sus |estos |los )?(mensajes|textos|correos|llamadas|sms|emails|"
     r"notificaciones)\b", "es"),
    (r"\b(ya )?no mas (mensajes|textos|correos|llamadas|sms|emails)\b", "es"),
    (r"\b(basta|suficiente) de (mensajes|textos|correos|llamadas|sms|emails)\b", "es"),
    (r"\b(dar|darme|darse|dame|denme|deme|quiero darme|quiero dar) de baja\b", "es"),
    (r"\b(cancelar|cancela|cancelen|cancele|cancelo) (la |mi |los |las )?(suscripcion|mensajes|textos|"
     r"notificaciones)\b", "es"),
    (r"\b(dejenme|dejame|dejeme) en paz\b", "es"),
    (r"\b(borren|borre|borra|eliminen|elimine|quiten|quite|saquen|saque|sacame|quitame) (mi numero|mi correo|"
     r"me de (su |la |sus )?lista|de (su |la )?lista)\b", "es"),
    (r"\b(borrenme|borreme|borrame|eliminenme|elimineme|quitenme|quiteme|saquenme|saqueme) de (su |la |sus |esta )?"
     r"lista\b", "es"),
))

# Words that make a message worth a human look when nothing above explains them (OPT-2 "classifier unsure").
_STRONG = re.compile(r"\b(stop|stopall|unsubscribe|revoke|opt out|cease|detener|detengan|detente|parar|basta)\b")
_NOT_ABOUT_MESSAGES = re.compile(
    r"\bstop (paying|payment|payments|pay|by|autopay|auto pay|the autopay|the payment|the payments|charging|"
    r"the charges|charges|interest|the interest|fees|the fees|late fees|the late fees)\b")
_NEGATED_STOP = re.compile(
    r"\b(dont|do not|never|not|didnt|doesnt|wont)( \w+)? (stop|cancel|unsubscribe|quit|end)\b"
    r"|\b(no|nunca)( \w+)? (pares|paren|pare|detengas|detenga|detengan|cancele|cancelen|cancelar|canceles)\b")


_QUALIFIED = re.compile(
    r"^\s*(?:(?:any\s+)?(?:texts?|messages?|emails?|calls?|mensajes?|correos?)\s+)?(?:before|after|between|until|till|past|during|on weekends?|on (?:mon|tues|wednes|thurs|fri|"
    r"satur|sun)days?|in the (?:morning|evening|afternoon)|at (?:night|work|my job|the office)|while i m at work|"
    r"antes de|despues de|entre|hasta|durante|los fines de semana|en (?:la manana|la noche|la tarde|el trabajo)|"
    r"de noche)\b")
"""A time or place after the request ("don't text me before noon", "stop texting me at work"): the consumer is
designating an inconvenient time or place (TIME-4, WORK-2), not revoking consent to every message."""


def _qualified(words: str, end: int) -> bool:
    return bool(_QUALIFIED.match(words[end:]))


def _negated(words: str, start: int, lang: str) -> bool:
    """A negator within the two words before a match ("please don't stop texting me", "no dejes de escribir")."""
    before = words[:start].split()[-2:]
    negators = _NEGATORS[lang]
    return any(w in negators for w in before) or " ".join(before) in negators


def _only_keyword(words: str, vocabulary: set[str]) -> str | None:
    """The clause is a stop keyword plus courtesy words ("stop please", "alto por favor", "basta ya")."""
    tokens = words.split()
    if not tokens:
        return None
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            phrase = " ".join(tokens[i:i + size])
            if phrase in vocabulary:
                rest = tokens[:i] + tokens[i + size:]
                if all(t in _COURTESY or t in vocabulary for t in rest):
                    return phrase
    return None


def _only(words: str, vocabulary: frozenset[str]) -> str | None:
    tokens = words.split()
    hits = [t for t in tokens if t in vocabulary]
    if len(hits) == 1 and all(t in vocabulary or t in _COURTESY for t in tokens):
        return hits[0]
    return None


_ALL_STOP = _STOP_WORDS_EN | {_fold(w) for w in _STOP_WORDS_ES}
_FOLDED_OPT_IN = frozenset(_fold(w) for w in OPT_IN)
_FOLDED_HELP = frozenset(_fold(w) for w in HELP)


@lru_cache(maxsize=4096)
def classify(text: str) -> KeywordResult:
    """Read one inbound message: opt-out (per se or reasonable means), opt-in, HELP, or nothing."""
    norm = normalize(text)
    if not norm:
        return KeywordResult(normalized=norm)
    if norm in PER_SE:
        return KeywordResult(norm, opt_out=True, per_se=True, rule="OPT-1", matched=norm, language="en")

    folded = _fold(norm)
    whole = _words(folded)
    clauses = [w for w in (_words(c) for c in _CLAUSE.split(folded)) if w]

    keyword = _only_keyword(whole, _ALL_STOP)
    if keyword:
        lang = "en" if keyword in _STOP_WORDS_EN else "es"
        return KeywordResult(norm, opt_out=True, rule="OPT-2", matched=keyword, language=lang)

    for words in clauses:
        for pattern, lang in _PHRASES:
            for m in pattern.finditer(words):
                if not _negated(words, m.start(), lang) and not _qualified(words, m.end()):
                    return KeywordResult(norm, opt_out=True, rule="OPT-2", matched=m.group(0), language=lang)

    standalone = next((k for k in (_only_keyword(w, _ALL_STOP) for w in clauses) if k), None)
    if standalone:  # "Stop. Who is this?": a clear command next to something else
        lang = "en" if standalone in _STOP_WORDS_EN else "es"
        return KeywordResult(norm, opt_out=True, uncertain=True, rule="OPT-2", matched=standalone, language=lang)

    for words in clauses:
        cleared = _NOT_ABOUT_MESSAGES.sub(" ", _NEGATED_STOP.sub(" ", words))
        m = _STRONG.search(cleared)
        if m:
            return KeywordResult(norm, opt_out=True, uncertain=True, rule="OPT-2", matched=m.group(0))

    opt_in = _only(whole, _FOLDED_OPT_IN)
    if opt_in:
        lang = "es" if opt_in == "si" else "en"
        return KeywordResult(norm, opt_in=True, rule="OPT-7", matched=opt_in, language=lang)
    help_word = _only(whole, _FOLDED_HELP)
    if help_word:
        return KeywordResult(norm, help=True, rule="OPT-8", matched=help_word,
                             language="es" if help_word == "ayuda" else "en")
    return KeywordResult(normalized=norm)


__all__ = ["HELP", "OPT_IN", "PER_SE", "KeywordResult", "classify", "normalize"]
