"""The deterministic readings that decide safety-critical messages whatever a model says.

What the product already reads in an inbound text comes from compliance.inbound: cease, attorney, workplace
objection, dispute, wrong or third party, and the STOP family (compliance.keywords, through inbound's opt_out
label and opt_out_rule). The reading that blocks messages is the one that names the intent here, never a second
copy of it. A per-se keyword (OPT-1: "STOP", "unsubscribe") or a short opt-out ("stop please", "stop texting me")
is a cease; a longer reasonable-means opt-out (OPT-2, "stop texting, email me instead") revokes one channel, not
all contact: the gate enforces it and the model names it. A bare START, YES or HELP keyword (OPT-7, OPT-8) is
answered by the messaging pipeline, not a request the assistant can act on: intent other.

Added here, for the assistant only:
- bankruptcy (chapter 7/13, "filed for bankruptcy", "bancarrota", "quiebra"), which the gate learns from the
  account record, not from text;
- threats from the debtor, of violence ("I'll kill you", "te voy a matar") or veiled ("or else", "say that to my
  face", "o se arrepienten", "ya tengo su dirección"): hostile intent and sentiment;
- abuse: profanity as the content lexicon reads it (compliance.lexicon CONTENT-2, masked and leetspeak forms
  included) and insults aimed at the collector ("scammers", "rateros", "no tienen madre"), also with digits or
  symbols for letters ("v3rga", "$cammers"): hostile sentiment, intent left to the model ("wrong f***ing number"
  is still a wrong number);
- a request for the original creditor (the gate's reading, a validation request): dispute or already_paid;
- small talk: a message made only of greetings, thanks and acknowledgements is `other`.
Lawsuit and court words escalate (labels.mentions_legal) and change no label.

A rule names the labels it allows: one for most, two for a dispute (the gate's dispute reading covers "I already
paid this", which has its own intent here). When several labels are allowed ("my lawyer says stop calling me"),
all are right and the model picks among them: the label is whichever candidate it scores highest, and each
single-label rule's handling still applies (`certain`). A workplace objection is the narrower reading of "stop
calling me at work", so when it fires the cease and STOP readings of the same words do not compete with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from app.services.ai.text import prepare
from app.services.compliance import inbound, lexicon
from app.services.compliance.inbound import normalize

CEASE = "cease"
STOP = "stop_keyword"
ATTORNEY = "attorney"
BANKRUPTCY = "bankruptcy"
THREAT = "threat"
WORKPLACE = "workplace"
DISPUTE = "dispute"
ORIGINAL_CREDITOR = "original_creditor"  # "who is the original creditor?": a validation request (the gate's reading)
WRONG_PARTY = "wrong_party"
ABUSE = "abuse"
KEYWORD = "keyword"  # START / YES / HELP as the whole message
SMALL_TALK = "small_talk"  # only greetings, thanks and acknowledgements ("hola", "ok thx 👍", "buenas tardes")

INTENTS_OF = {CEASE: {"cease_contact"}, STOP: {"cease_contact"}, ATTORNEY: {"attorney_represented"},
              BANKRUPTCY: {"bankruptcy"}, THREAT: {"hostile"}, WORKPLACE: {"workplace_objection"},
              DISPUTE: {"dispute", "already_paid"},
              ORIGINAL_CREDITOR: {"dispute", "already_paid"}, WRONG_PARTY: {"wrong_person"}, KEYWORD: {"other"},
              SMALL_TALK: {"other"}}
HOSTILE_SENTIMENT = frozenset({THREAT, ABUSE})
SHORT_OPT_OUT_WORDS = 3


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


BANKRUPTCY_RE = _any(
    r"\bbankrupt(?:cy|cies|ed)?\b",
    r"\b(?:chapter|ch\.?|chap\.?) ?(?:7|13|11|seven|thirteen)\b",
    r"\b(?:filed|filing|file) (?:for )?(?:bk|ch ?(?:7|13))\b",
    r"\bbk (?:case|trustee|attorney|lawyer|filing|petition|discharge)\b",
    r"\b(?:bankruptcy|bk) (?:trustee|court|case|petition|discharge)\b",
    r"\bautomatic stay\b",
    r"\bdischarged (?:in|through|by) (?:the )?(?:bankruptcy|court|chapter)\b",
    r"\bbancarrota\b",
    r"\bquiebra\b",
    r"\b(?:capitulo|cap\.?) ?(?:7|13|11|siete|trece)\b",
    r"\bme (?:declare|declaro|voy a declarar|estoy declarando) en (?:quiebra|bancarrota)\b",
)

_YOU = r"(?:you|u|ya|your (?:family|kids|boss|office|car|house)|y'?all|the (?:agent|collector|caller|person))"
THREAT_RE = _any(
    rf"\b(?:i'?ll|i will|i'?m (?:going to|gonna)|im (?:going to|gonna)|i am (?:going to|gonna)|gonna|going to|"
    rf"i could|i swear i'?ll) (?:\w+ )?(?:kill|shoot|stab|hurt|beat|punch|strangle|choke|find|murder|end) {_YOU}\b",
    rf"\b(?:kill|shoot|stab|murder|hurt) {_YOU}\b",
    r"\bi know where (?:you|u|your office|y'?all) (?:live|work|are|is)\b",
    r"\bwatch (?:your|ur) back\b",
    r"\b(?:you'?ll|you will|u will|ull) (?:be sorry|regret (?:it|this))\b",
    r"\bburn (?:your|ur|the) (?:house|office|building|car)\b",
    r"\bcome (?:down )?(?:there|to your office) (?:and|with)\b",
    r"\b(?:te|los|la|lo|les) (?:voy a|vamos a) (?:matar|golpear|madrear|partir|romper|buscar|quemar)\b",
    r"\b(?:te|los|la|lo) (?:mato|matare|mataria|parto la madre)\b",
    r"\bse (?:van|va) a arrepentir\b",
    r"\bte vas a arrepentir\b",
    r"\bsabemos donde|se donde (?:vives|viven|trabajas|trabajan|estan)\b",
    r"\bcuidate la espalda|cuidense\b",
    r"\bor else(?=\s*(?:$|[.!?]|you|u|i'?ll))",  # at the end of the clause: "pay now or else next week" is no threat
    r"\b(?:and |then )?(?:see|you'?ll see) what happens\b",
    r"\b(?:say|tell me) (?:that|it|this) to my face\b",
    r"\bi dare (?:you|u|ya)\b",
    r"\byou (?:won'?t|will not|wont) like (?:it|what happens|what i do)\b",
    r"\bi'?m coming (?:down )?(?:there|to (?:your|ur) office|for (?:you|u|y'?all))\b",
    r"\bi'?(?:ve)? got (?:your|ur) (?:home )?(?:address|names?)(?: now| too)*(?=\s*(?:$|[.!?]))",
    r"\b(?:i )?hope (?:you|u|y'?all|your (?:\w+ )?(?:company|office|family)) (?:\w+ )?(?:die|dies|burn|burns|rot|"
    r"rots|get hit|go bankrupt)\b",
    r"\bburn(?:s)? (?:in hell|to the ground)\b",
    r"\bdimelo en (?:la|mi) cara\b",
    r"\ba ver si (?:tan|muy) (?:valientes?|machos?|chingones)\b",
    r"\b(?:o|y) (?:se|te) arrepiente(?:n|s)?\b",
    r"\bvan a ver (?:quien soy|de lo que soy capaz|lo que (?:les )?pasa)\b",
    r"\b(?:sigan|sigue|vuelvan a \w+) (?:\w+ )?y (?:van|vas) a ver\b",
    r"\b(?:los|te) reto\b",
    r"\bbefore i (?:come|drive|show up) (?:down )?(?:there|to (?:your|ur) office)\b",
    r"\bya (?:veran|vas a ver|van a ver)(?=\s*(?:$|[.!?,]))",
    r"\bno (?:sale|salen|saldra|saldran) (?:enter[oa]s?|viv[oa]s?)\b",
    r"\b(?:ya )?(?:tengo|tenemos) (?:su|tu|sus) (?:direccion|domicilio)(?: tambien)?(?=\s*(?:$|[.!?]))",
    r"\b(?:nos vemos|los veo) en el infierno\b",
    r"\bojala (?:se (?:mueran|pudran|les caiga|les queme)|les (?:pase|caiga) algo)\b",
)

INSULT_RE = _any(
    r"\b(?:scam+ers?|scum(?:bags?)?|crooks?|thie(?:f|ves)|vultures?|leech(?:es)?|blood ?suckers?|parasites?|"
    r"lo+sers?|idiots?|morons?|imbeciles?|clowns?|liars?|criminals?|extortionists?|pathetic|worthless|useless|"
    r"low ?li(?:fe|ves)|sharks?|rats?|trash|garbage people|go to hell|drop dead|screw (?:you|u|off)|"
    r"shut up|get lost|piss off|bite me|eat (?:dirt|crap))\b",
    r"\b(?:estafador(?:es|as?)?|ladron(?:es|as?)?|rater[oa]s?|buitres?|sanguijuelas?|chupa ?sangres?|parasitos?|"
    r"inutiles?|idiotas?|estupid[oa]s?|imbeciles?|fracasad[oa]s?|mentiros[oa]s?|payasos?|basuras?|"
    r"sinverguenzas?|desgraciad[oa]s?|malditos?|lacras?|ratas?|cerdos?|usureros?|vete al diablo|"
    r"vayanse al (?:diablo|carajo|demonio)|al carajo|carajo|chinguen|chingada|a la verga)\b",
    r"\b(?:heartless|disgusting|despicable|scumbags?|bottom ?feeders?|lowest form of life|piece of (?:work|trash)|"
    r"burn in hell|go to hell)\b",
    r"\b(?:inhuman[oa]s?|perdedor(?:es|as?)?|no tienen madre|de quinta|bola de \w+|chinga(?:s|n|r|te)? tu madre|"
    r"chingad[oa]s|chingate|a chingar|vete a la verga|ojetes?|mugrosos?|infelices)\b",
)
_LEET = str.maketrans({"1": "i", "3": "e", "0": "o", "4": "a", "@": "a", "$": "s", "!": "i"})
_LEET_WORD = re.compile(r"\S*[a-z]\S*")


def _unleet(norm: str) -> str:
    """Digits and symbols typed for letters inside words ("ch1nga", "v3rga", "$cammers") read as the letters."""
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), norm)


# Greetings, thanks and acknowledgements in both languages (text.prepare's view: folded, emoji as mood words). A
# message made of these words alone asks for nothing: without the rule, a short unseen greeting falls to whichever
# class the model leans to when it knows no word of a message (cross-validation: "hola", "ty", "buenas" read as
# hostile). An angry or unknown emoji is not in the list, so "🤡🤡" stays with the model.
SMALL_TALK_WORDS = frozenset("""
hi hello hey hiya heya yo gm gn good morning afternoon evening night day have a nice great same to you too bye
ok okay k kk okey oki okis alright alrighty aight all right got it noted received understood gotcha cool nice
perfect sure yep yup thanks thank ty thx tx tysm appreciate much lol lmao haha hahaha oh ah wow hmm mm umm uh huh
np welcome hola holi holaa buenas buenos buen buena dia dias tardes noches que tenga le les igualmente tambien
saludos adios va sale orale andale pues vale bueno gracias grax mil muchas recibido recibida enterado enterada
entendido entendida claro sip simon perfecto genial excelente super jaja jajaja jeje jejeje de nada emohappy
""".split())
_WORDS = re.compile(r"[a-z']+")


def _small_talk(text: str) -> bool:
    words = _WORDS.findall(prepare(text))
    return bool(words) and all(w in SMALL_TALK_WORDS for w in words)


@dataclass(frozen=True, slots=True)
class RuleReading:
    """Which rules fired; `intents` are the labels they allow (empty: the model decides)."""

    fired: tuple[str, ...] = ()

    @property
    def intents(self) -> frozenset[str]:
        fired = set(self.fired)
        if WORKPLACE in fired:
            fired -= {CEASE, STOP}
        return frozenset().union(*(INTENTS_OF[r] for r in fired if r in INTENTS_OF))

    @property
    def certain(self) -> frozenset[str]:
        """The intents a rule asserts on its own (a rule that allows one label): the message carries each of them,
        whichever label it gets, so each one's handling (escalation above all) applies."""
        return frozenset().union(*(INTENTS_OF[r] for r in self.fired if len(INTENTS_OF.get(r, ())) == 1))

    @property
    def small_talk(self) -> bool:
        return SMALL_TALK in self.fired

    @property
    def hostile(self) -> bool:
        """A threat or abuse: the sentiment is hostile whatever the model says."""
        return not HOSTILE_SENTIMENT.isdisjoint(self.fired)


def read(text: str) -> RuleReading:
    """The rules that fire on one inbound text."""
    reading = inbound.analyze(text)
    labels = reading.labels
    norm = normalize(text)
    fired = []
    if inbound.CEASE in labels:
        fired.append(CEASE)
    if inbound.OPT_OUT in labels and (reading.opt_out_rule == "OPT-1" or len(norm.split()) <= SHORT_OPT_OUT_WORDS):
        fired.append(STOP)
    if inbound.ATTORNEY in labels:
        fired.append(ATTORNEY)
    if BANKRUPTCY_RE.search(norm):
        fired.append(BANKRUPTCY)
    if THREAT_RE.search(norm) or THREAT_RE.search(_unleet(norm)):
        fired.append(THREAT)
    if inbound.WORKPLACE_OBJECTION in labels:
        fired.append(WORKPLACE)
    if inbound.DISPUTE in labels:
        fired.append(DISPUTE)
    if inbound.ORIGINAL_CREDITOR in labels:
        fired.append(ORIGINAL_CREDITOR)
    if inbound.WRONG_PARTY in labels or inbound.THIRD_PARTY in labels:
        fired.append(WRONG_PARTY)
    if (inbound.OPT_IN in labels or inbound.HELP in labels) and inbound.OPT_OUT not in labels:
        fired.append(KEYWORD)
    if not fired and _small_talk(text):
        fired.append(SMALL_TALK)
    if INSULT_RE.search(norm) or INSULT_RE.search(_unleet(norm)) or lexicon.scan(text).get("CONTENT-2") is not None:
        fired.append(ABUSE)
    return RuleReading(fired=tuple(fired))
