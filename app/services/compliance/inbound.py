"""What an inbound message means for the gate: `classify` labels free text, `observe` applies it to the facts.

The labels are lexicon and regex matches (English and Spanish) over text normalized with NFKC, casefold, accent
folding and plain dashes and apostrophes, so the result is cheap and deterministic. Over-matching is the safe side:
every label either sets a hold a human reviews (cease, attorney, dispute) or narrows when and where we write.
A stated location is the exception (it replaces the candidate zones), so places come from a table of names that
fix one zone.
Opt-out, START and HELP keywords are decided by `keywords.classify`; this module only folds them in.
`observe` is the single statement of what an inbound changes: the messaging pipeline applies the same to the
database.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from app.services.compliance import keywords
from app.services.compliance.facts import Blackout, Dispute, Facts, Inbound, OptOut
from app.services.compliance.rules.stops import norm_address as _norm

CEASE = "cease"
ATTORNEY = "attorney"
DISPUTE = "dispute"
ORIGINAL_CREDITOR = "original_creditor_request"
WRONG_PARTY = "wrong_party"
THIRD_PARTY = "third_party"
INCONVENIENT_TIME = "inconvenient_time"
INCONVENIENT_TIME_REVIEW = "inconvenient_time_review"  # a standing designation without parseable hours
STATED_LOCATION = "stated_location"
WORKPLACE_OBJECTION = "workplace_objection"
OPT_OUT = "opt_out"
OPT_OUT_UNCERTAIN = "opt_out_uncertain"  # keywords were unsure: treated as an opt-out and queued for review
OPT_IN = "opt_in"
HELP = "help"

WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))
MIDNIGHT = dt.time(0, 0)
NOON = dt.time(12, 0)


@dataclass(frozen=True, slots=True)
class Classification:
    """Labels plus what was parsed from the text. Blackouts carry local times; an end at or before the start runs
    past midnight (00:00 as end = midnight)."""

    labels: frozenset[str] = frozenset()
    blackouts: tuple[Blackout, ...] = ()  # TIME-4 consumer-designated inconvenient times
    zone: str | None = None  # TIME-2 stated location
    work_hours: tuple[Blackout, ...] = ()  # WORK-2 stated working hours
    opt_out_rule: str | None = None  # OPT-1 (per-se keyword) or OPT-2 (reasonable means)


# -- normalization ----------------------------------------------------------------------------------------------
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u02bc\u00b4`"), "'")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, casefold, accents folded, plain dashes and apostrophes, single spaces."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().translate(_DASHES).translate(_QUOTES)
    folded = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    return _SPACES.sub(" ", folded).strip()


def _any(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_END = r"(?=\s*(?:$|[.!,;?)]|please|pls|thanks|thank you|por favor|gracias|ok\b))"
_NOT = r"(?:do ?n'?t|do not|dont|never|please don'?t|pls don'?t)"

# -- lexicons ---------------------------------------------------------------------------------------------------
CEASE_RE = _any(
    r"\bstop (?:contacting|calling|harass(?:ing)?|bothering|hounding|pestering|chasing) (?:me|us)\b",
    r"\bquit (?:contacting|calling|harass(?:ing)?|bothering|hounding|pestering|chasing) (?:me|us)\b",
    r"\bleave (?:me|us) alone\b",
    r"\bleave (?:me|us) (?:and my (?:\w+ ?){1,2}|the \S+ )alone\b",  # "... and my family alone", "... the f*** alone"
    r"\bcease and desist\b",
    r"\b(?:cease|end|stop|terminate) (?:all )?(?:further )?(?:communications?|contact)\b"
    r"(?! (?:at|to|on|with) (?:my |the )?(?:work|job|office|workplace|employer|boss))",
    rf"\bno (?:further|more) (?:contact|communications?)(?: (?:of any kind|at all|with me|whatsoever))?{_END}",
    r"\b(?:i )?(?:do ?n'?t|do not|no longer) (?:want|wish) (?:any )?(?:more |further )?"
    r"(?:contact|communications?) (?:with|from) (?:you|u|your (?:company|agency|office))\b",
    r"\b(?:remove|take|delete) me (?:from|off) (?:your|the) (?:list|lists|system|database|records)\b",
    rf"\b{_NOT} (?:ever )?(?:contact|call|bother|harass) (?:me|us)(?: (?:again|anymore|any more|ever again))?{_END}",
    r"\bnever (?:contact|call) (?:me|us) again\b",
    r"\blose my (?:number|contact|info)\b",
    r"\b(?:i'?m|i am|im) (?:not|never) (?:going to |gonna )?pay(?:ing)?\b",
    r"\bi (?:will not|won'?t|wont|refuse to|will never|ain'?t (?:going to |gonna )?) pay\b",
    r"\bnot (?:going to|gonna) pay\b",
    r"\bdej(?:en|e|a|ar) de (?:llamarme|contactarme|molestarme|acosarme|escribirme|buscarme)\b",
    r"\bdej(?:en|e|a)me (?:en paz|tranquil[oa])\b",
    rf"\bno me (?:vuelvan a |vuelva a )?(?:contacten|contacte|llamen|llame|molesten|moleste)"
    rf"(?: (?:mas|nunca mas|nunca))?{_END}",
    r"\bno me vuelvan? a (?:llamar|contactar|escribir|molestar)\b",
    r"\b(?:solicito|pido|exijo|quiero|requiero) (?:el |que )?(?:cese|cesen|termine|terminen|suspendan)"
    r"(?: de)? (?:toda |todo |cualquier |la |el )?(?:comunicacion|contacto)\b",
    r"\bcese (?:de |a )?(?:toda |todo |la |el )?(?:comunicacion|contacto)\b",
    r"\b(?:ya )?no (?:quiero|deseo) (?:tener )?(?:ningun |ninguna |ningun tipo de |mas )?(?:contacto|comunicacion)"
    r"(?: (?:con ustedes|de ustedes|con su (?:empresa|agencia)))?\b",
    r"\b(?:borren|borre|borrenme|borreme|quitenme|quiteme|saquenme|saqueme|eliminenme|elimineme)"
    r"(?: me)? de (?:su|sus|la|esta) (?:lista|listas|base de datos|sistema)\b",
    r"\bno (?:voy|pienso) (?:a )?pagar\b",
    r"\bme niego a pagar\b",
    r"\bno pagare\b",
    r"\bnunca (?:voy a )?pagare?\b",
)

ATTORNEY_RE = _any(
    r"\bmy (?:lawyers?|attorneys?|counsel|legal (?:counsel|representative|team|rep)|solicitor)\b",
    r"\bmy (?:bankruptcy|bk|divorce|immigration|family|legal aid|personal injury|new|own) (?:lawyer|attorney|atty)s?\b",
    r"\bmy (?:atty|attys|attny|atty's|attorny|atorney|atorny|lawer|laywer|lawyr|layer's|lawers)\b",  # typed in haste
    r"\b(?:lawyer|attorney|atty|counsel|abogad[oa]|licenciad[oa])\s*[:=]\s*\S",  # "lawyer: 555-0165"
    r"\b(?:lawyer|attorney|atty)'?s (?:name|number|phone|contact|info|email|office) (?:is|:)",
    r"\b(?:have|got|retained|hired) legal (?:representation|counsel)\b",
    r"\b(?:represents|is representing|are representing) (?:me|us)\b",
    r"\b(?:estoy|estamos|soy|somos) (?:legalmente )?representad[oa]s?\b",
    r"\b(?:tengo|tenemos|cuento con|contrate) (?:representacion legal|asesoria legal|(?:un |una )?licenciad[oa])\b",
    r"\b(?:me|nos) (?:representa|representan|esta representando) (?:legalmente|el lic|la lic|(?:un|una|el|la|mi) "
    r"(?:abogad[oa]|licenciad[oa]|bufete|despacho))",
    r"\b(?:lic|licenciad[oa]|abogad[oa]|bufete|despacho)\b\.?(?: \w+){1,3} (?:me|nos) (?:representa|representan|"
    r"esta representando|lleva (?:el|mi) caso)\b",
    r"\b(?:i|we)(?:'ve| have)? (?:have|hired|retained|got) (?:a |an |my )?(?:lawyer|attorney|counsel)\b",
    r"\b(?:i'?m|i am|im|we are|we'?re) (?:being )?represented\b",
    r"\brepresented by (?:an? )?(?:attorney|lawyer|counsel)\b",
    r"\b(?:law (?:firm|offices?|group|center)|llp|pllc|esq\b\.?|esquire|attorneys? at law|legal aid)\b",
    r"\bmis? abogad[oa]s?\b",
    r"(?<!no )\b(?:tengo|contrate|tenemos|contratamos) (?:un |una |a un )?abogad[oa]\b",
    r"\b(?:bufete|despacho (?:de abogados|juridico))\b",
)

DISPUTE_RE = _any(
    r"\b(?:is ?n'?t|is not|'?s not|ain'?t) my (?:debt|account|bill|loan|card)\b",
    r"\bnot my (?:debt|account|bill|loan)\b",
    r"\bi (?:do ?n'?t|do not|dont|never) owe\b",
    r"\bi owe (?:you )?nothing\b",
    r"\bwrong (?:amount|balance|total)\b",
    r"\b(?:amount|balance|total) (?:is )?(?:wrong|incorrect|not right|not correct|too high)\b",
    r"(?<!can )(?<!could )(?<!should )(?<!may )(?<!how do )(?<!how can )(?<!when do )"
    r"\bi (?:dispute|am disputing|'m disputing|want to dispute|wish to dispute|would like to dispute)\b",
    r"\b(?:i'?m|im) disputing\b",
    r"\bi (?:never|didn'?t) (?:had|have|open(?:ed)?) (?:an |this |that |the )?(?:account|loan|card)\b",
    r"\b(?:already paid|paid (?:it|this|that) (?:off|already))\b",
    r"\b(?:identity theft|fraudulent)\b",
    r"\bno es mi (?:deuda|cuenta|prestamo)\b",
    r"\b(?:esa|esta|la) deuda no es mia\b",
    r"\bno (?:le |les )?debo (?:nada|eso|esto|esa|ese)\b",
    r"\b(?:monto|cantidad|saldo|cobro) (?:es )?(?:incorrect[oa]|equivocad[oa])\b",
    r"\b(?:disputo|quiero disputar)\b",
    r"\bya (?:lo |la )?pague\b",
    r"\bno reconozco (?:esta|esa|la) (?:deuda|cuenta)\b",
    r"\bnunca (?:tuve|abri) (?:esa |esta |una )?(?:cuenta|tarjeta|prestamo)\b",
    r"\brobo de identidad\b",
)

ORIGINAL_CREDITOR_RE = _any(
    r"\boriginal (?:creditor|lender)\b",
    r"\bwho (?:is|was) the (?:creditor|lender)\b",
    r"\bwho do i (?:originally )?owe\b",
    r"\bname (?:and address )?of the (?:original )?creditor\b",
    r"\bacreedor original\b",
    r"\bquien es el acreedor\b",
    r"\ba quien le debo\b",
)

WRONG_PARTY_RE = _any(
    r"\bwrong (?:number|person|guy|girl|lady|man|phone|email|address)\b",
    r"\bnot me\b",
    r"\b(?:no one|nobody|no body) (?:here )?(?:by|named|with|called) (?:that|this) name\b",
    r"\b(?:he|she|they) (?:do ?n'?t|does ?n'?t|does not|do not) live here\b",
    r"\bi (?:do ?n'?t|do not) know (?:who (?:that|this) is|this person|that person|anyone)\b",
    r"\b(?:you have|you'?ve got|you got) the wrong\b",
    r"\bnumero equivocado\b",
    r"\bpersona equivocada\b",
    r"\bno soy (?:yo|esa persona)\b",
    r"\bse equivoc(?:o|aron) de (?:numero|persona)\b",
    r"\bno conozco a (?:esa persona|nadie)\b",
    r"\bnadie con ese nombre\b",
)

_RELATIONS = (r"wife|husband|spouse|mother|mom|mum|father|dad|son|daughter|sister|brother|roommate|friend|boss|"
              r"coworker|co-worker|employer|partner|girlfriend|boyfriend|fiancee?|aunt|uncle|cousin|grandmother|"
              r"grandfather|grandma|grandpa|neighbou?r|caregiver|landlord|assistant|secretary")
THIRD_PARTY_RE = _any(
    rf"\b(?:this is|i'?m|i am|im|it'?s) (?:his|her|their|the account holder'?s) (?:{_RELATIONS})\b",
    r"\b(?:he|she)(?:'s| is|s) not (?:here|home|available|around|in)\b",
    r"\b(?:he|she) (?:isn'?t|is not) (?:here|home|available|around|in)\b",
    r"\b(?:he|she) (?:passed away|died|is deceased|is in (?:jail|prison|the hospital))\b",
    r"\bi'?ll (?:give|pass|tell) (?:him|her|them) (?:the )?(?:message|you called)\b",
    r"\bi'?ll let (?:him|her) know\b",
    r"\b(?:he|she) (?:can'?t|cannot) come to the phone\b",
    r"\bsoy su (?:esposa|esposo|madre|mama|padre|papa|hij[oa]|herman[oa]|novi[oa]|pareja|amig[oa]|jef[ea]|"
    r"companer[oa]|ti[oa]|abuel[oa]|vecin[oa])\b",
    r"\b(?:el|ella) no (?:esta|se encuentra|vive aqui)\b",
    r"\b(?:le|les) (?:doy|paso) el (?:mensaje|recado)\b",
    r"\b(?:fallecio|murio)\b",
)

_WORK_PLACE = r"(?:at|to|on) (?:my |the )?(?:work|job|office|workplace|work phone|work email|work number)"
WORKPLACE_RE = _any(
    rf"\b(?:{_NOT}|stop|quit|please don'?t) (?:ever )?(?:contact|call|text|message|email|e-mail|bother|reach|write|"
    rf"phone|ring)(?:ing)?(?: me)? {_WORK_PLACE}\b",
    rf"\bno (?:calls?|texts?|messages?|e-?mails?|contact) (?:to me )?{_WORK_PLACE}\b",
    rf"\b(?:{_NOT}|stop|quit|please don'?t) (?:ever )?(?:contact|call|text|message|email|e-mail|bother|reach|"
    rf"phone|ring)(?:ing)? (?:my|the) (?:job|work|workplace|office|work phone|work number|work email|employer|boss)\b",
    r"\bnot (?:at|to) (?:my )?(?:work|job|office|workplace)\b",
    r"\b(?:my )?(?:employer|boss|job|work|company) (?:does ?n'?t|does not|won'?t|will not) (?:allow|permit|let)\b",
    r"\b(?:i )?(?:can'?t|cannot|am not allowed to|'m not allowed to) (?:take|get|receive|answer|have)"
    r"[^.!?]{0,30}\b(?:at work|at my job|at the office)\b",
    r"\bno me (?:llamen|llame|contacten|contacte|escriban|escriba|manden mensajes|busquen)(?: (?:mas|nunca))? "
    r"(?:al|a mi|en el|en mi) (?:trabajo|oficina|empleo)\b",
    r"\bmi (?:jefe|empleador|trabajo|empresa) no (?:permite|deja|me deja)\b",
    r"\b(?:no (?:me )?(?:vuelvan? a )?|dejen de |deje de )(?:llamar|llamen|llame|marcar|marquen|marque|buscar|"
    r"busquen|busque|contactar|contacten|contacte|escribir|escriban)(?:me)? (?:al|a mi|en el|en mi) "
    r"(?:trabajo|oficina|empleo|chamba|jale)\b",
)

_TIME = r"(?:noon|midnight|mediodia|medianoche|\d{1,2}(?::\d{2})?(?!\d)(?:\s*(?:a\.?\s?m\.?|p\.?\s?m\.?))?" \
        r"(?:\s*(?:de la|en la|por la) (?:manana|tarde|noche))?)"
_TIME_PARTS = re.compile(r"(noon|mediodia)|(midnight|medianoche)|(\d{1,2})(?::(\d{2}))?\s*(?:(a)|(p))?"
                         r"[.\sm]*(?:(?:de la|en la|por la) (manana|tarde|noche))?")

_RESTRICT = (
    r"(?:(?:please |pls )?(?:do ?n'?t|do not|dont|never|no) (?:ever )?(?:text|call|message|msg|contact|e-?mail|"
    r"bother|write|ring|phone|send)(?:ing)?(?: me)?(?: (?:any(?:thing)?|messages|texts))?"
    r"|(?:no|not any) (?:more )?(?:texts?|messages?|msgs?|calls?|contact|e-?mails?)(?: to me)?"
    r"|(?:not|n'?t) (?:be )?(?:available|free|awake|up|reachable)|not)"
)
_RESTRICT_ES = (
    r"(?:no me (?:escriban|escribas|escriba|llamen|llames|llame|contacten|contactes|contacte|manden|mandes|mande|"
    r"envien)(?: (?:mensajes|textos|nada))?|no (?:mensajes|llamadas|textos))"
)
_ONLY = r"only (?:text|call|message|contact|e-?mail|reach|write)(?: me)?"
_ONLY_ES = r"(?:solo|solamente) (?:escribanme|llamenme|contactenme|me pueden (?:escribir|llamar|contactar))"
_BEFORE = r"(?:before|until|till|til|earlier than)"
_AFTER = r"(?:after|later than|past)"
_RANGE_SEP = r"\s*(?:-|to|and|till|til|until|through|thru)\s*"

INCONVENIENT_PATTERNS = (
    ("before", re.compile(rf"\b{_RESTRICT} {_BEFORE} (?:the )?({_TIME})")),
    ("after", re.compile(rf"\b{_RESTRICT} {_AFTER} ({_TIME})")),
    ("between", re.compile(rf"\b{_RESTRICT} (?:between|from) ({_TIME}){_RANGE_SEP}({_TIME})")),
    ("only_after", re.compile(rf"\b{_ONLY} (?:after|from) ({_TIME})(?!{_RANGE_SEP}\d)")),
    ("only_before", re.compile(rf"\b{_ONLY} (?:before|until) ({_TIME})")),
    ("only_between", re.compile(rf"\b{_ONLY} (?:between|from) ({_TIME}){_RANGE_SEP}({_TIME})")),
    ("before", re.compile(rf"\b{_RESTRICT_ES} (?:antes de(?:l| las?)?|hasta (?:el |las? )?)\s*({_TIME})")),
    ("after", re.compile(rf"\b{_RESTRICT_ES} despues de(?:l| las?)?\s*({_TIME})")),
    ("between", re.compile(rf"\b{_RESTRICT_ES} entre (?:las? )?({_TIME}) y (?:las? )?({_TIME})")),
    ("only_after", re.compile(rf"\b{_ONLY_ES} despues de(?:l| las?)?\s*({_TIME})")),
    ("only_before", re.compile(rf"\b{_ONLY_ES} antes de(?:l| las?)?\s*({_TIME})")),
)
_PERIODS = (
    (re.compile(rf"\b(?:{_RESTRICT} (?:in|during) the mornings?|{_RESTRICT_ES} (?:por|en) las? mananas?)\b"),
     MIDNIGHT, NOON, EVERY_DAY),
    (re.compile(rf"\b(?:{_RESTRICT} (?:in the evenings?|at night|in the night|evenings|nights)|"
                rf"{_RESTRICT_ES} (?:por|en) las? noches?)\b"), dt.time(18, 0), MIDNIGHT, EVERY_DAY),
    (re.compile(rf"\b(?:{_RESTRICT} (?:on )?(?:the )?weekends?|{_RESTRICT_ES} (?:los )?fines? de semana)\b"),
     MIDNIGHT, MIDNIGHT, WEEKEND),
    (re.compile(rf"\b(?:{_RESTRICT} (?:on )?sundays?|{_RESTRICT_ES} (?:los )?domingos?)\b"),
     MIDNIGHT, MIDNIGHT, frozenset({6})),
    (re.compile(rf"\b(?:{_RESTRICT} (?:on )?saturdays?|{_RESTRICT_ES} (?:los )?sabados?)\b"),
     MIDNIGHT, MIDNIGHT, frozenset({5})),
)
UNPARSED_DESIGNATION_RE = _any(
    r"\bi work (?:the )?(?:nights?|night shifts?|overnights?|graveyard(?: shift)?|nocturno)\b",
    r"\bi sleep during the day\b",
    r"\btrabajo (?:de|en las?|por las?) noches?\b",
)

_DAYS = (
    (re.compile(r"^(?:on )?(?:weekdays|week days|mon(?:day)?s? ?(?:-|to|through|thru) ?fri(?:day)?s?|m ?- ?f\b|"
                r"de lunes a viernes|entre semana)"), WEEKDAYS),
    (re.compile(r"^(?:on )?(?:weekends|the weekend|fines de semana|los fines de semana)"), WEEKEND),
    (re.compile(r"^(?:mon(?:day)?s? ?(?:-|to|through|thru) ?sat(?:urday)?s?|de lunes a sabado)"), frozenset(range(6))),
    (re.compile(r"^(?:every ?day|daily|7 days|todos los dias)"), EVERY_DAY),
)
WORK_HOURS_RE = _any(
    rf"\b(?:i work|i'?m at work|i am at work|my (?:work )?(?:hours|shift) (?:are|is)|work hours (?:are|is))"
    rf"(?: from)? ({_TIME}){_RANGE_SEP}({_TIME})",
    rf"\b(?:trabajo|mi horario es|mi turno es) (?:de|desde) (?:las? )?({_TIME}) (?:a|hasta) (?:las? )?({_TIME})",
    rf"\b(?:at|during) (?:my )?(?:work|job)(?: hours)? (?:between|from) ({_TIME}){_RANGE_SEP}({_TIME})",
)

# TIME-2: places that name one zone. States spanning zones are left out: the statement would not fix the zone.
PLACE_ZONES: dict[str, str] = {
    **dict.fromkeys(("la", "l.a.", "los angeles", "san francisco", "sf", "san diego", "san jose", "sacramento",
                     "oakland", "fresno", "long beach", "seattle", "spokane", "tacoma", "las vegas", "vegas", "reno",
                     "california", "washington state", "ca"), "America/Los_Angeles"),
    **dict.fromkeys(("phoenix", "tucson", "mesa", "scottsdale", "tempe"), "America/Phoenix"),
    **dict.fromkeys(("denver", "colorado springs", "salt lake city", "albuquerque", "el paso", "colorado", "utah",
                     "new mexico", "montana", "wyoming"), "America/Denver"),
    "boise": "America/Boise",
    **dict.fromkeys(("chicago", "dallas", "houston", "austin", "san antonio", "fort worth", "minneapolis",
                     "st. paul", "saint louis", "st. louis", "st louis", "kansas city", "new orleans", "nashville",
                     "memphis", "milwaukee", "oklahoma city", "tulsa", "omaha", "des moines", "little rock",
                     "birmingham", "illinois", "iowa", "minnesota", "wisconsin", "missouri", "arkansas",
                     "louisiana", "mississippi", "oklahoma"), "America/Chicago"),
    **dict.fromkeys(("new york", "new york city", "nyc", "ny", "brooklyn", "queens", "the bronx", "bronx",
                     "manhattan", "staten island", "boston", "philadelphia", "philly", "washington dc",
                     "washington d.c.", "dc", "d.c.", "atlanta", "miami", "orlando", "tampa", "jacksonville",
                     "charlotte", "raleigh", "baltimore", "newark", "jersey city", "pittsburgh", "cleveland",
                     "columbus", "cincinnati", "richmond", "virginia beach", "providence", "hartford", "buffalo",
                     "new jersey", "nj", "pennsylvania", "pa", "massachusetts", "ma", "connecticut", "georgia",
                     "north carolina", "south carolina", "virginia", "west virginia", "maryland", "delaware",
                     "ohio", "maine", "vermont", "new hampshire", "rhode island"), "America/New_York"),
    "detroit": "America/Detroit",
    "indianapolis": "America/Indiana/Indianapolis",
    "louisville": "America/Kentucky/Louisville",
    **dict.fromkeys(("honolulu", "hawaii"), "Pacific/Honolulu"),
    **dict.fromkeys(("anchorage", "juneau", "fairbanks"), "America/Anchorage"),
    **dict.fromkeys(("puerto rico", "san juan"), "America/Puerto_Rico"),
    "guam": "Pacific/Guam",
}
ZONE_WORDS: dict[str, str] = {
    "pacific": "America/Los_Angeles", "pacifico": "America/Los_Angeles", "mountain": "America/Denver",
    "montana": "America/Denver", "arizona": "America/Phoenix", "central": "America/Chicago",
    "eastern": "America/New_York", "este": "America/New_York", "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu", "atlantic": "America/Puerto_Rico", "atlantico": "America/Puerto_Rico",
}
_PLACES = "|".join(re.escape(p) for p in sorted(PLACE_ZONES, key=len, reverse=True))
LOCATION_RE = re.compile(
    r"\b(?:i (?:now |currently )?live in|i'?m (?:now |currently )?(?:living|based|located|staying) in|"
    r"i (?:just |recently )?(?:moved|relocated) (?:back )?to|we (?:now )?live in|we (?:just )?moved to|"
    r"i reside in|i'?m (?:now )?in|i am (?:now )?in|(?:ahora )?vivo en|estoy viviendo en|resido en|"
    r"me (?:mude|cambie|fui a vivir|fui) a|nos mudamos a)"
    rf" (?:the )?(?:city of |state of )?({_PLACES})(?![\w.])"
)
ZONE_RE = re.compile(
    r"\b(?:i'?m (?:on|in)|i am (?:on|in)|my time ?zone is|we'?re (?:on|in)|i use) "
    r"(pacific|mountain|central|eastern|alaska|hawaii|arizona|atlantic)(?: standard)? time\b"
    r"|\b(?:estoy en|uso|mi zona horaria es) (?:la )?hora (?:del |de )?(pacifico|montana|central|este|alaska|"
    r"hawaii|arizona|atlantico)\b"
)
_LA_RAW = re.compile(r"\bL\.?A\b")


# -- parsing helpers ----------------------------------------------------------------------------------------------
def _clock(token: str):
    """(hour, minute, meridiem) of a time token; meridiem is 'am', 'pm' or None when the text did not say."""
    m = _TIME_PARTS.match(token.strip())
    if m is None:
        return None
    if m.group(1):
        return 12, 0, "pm"
    if m.group(2):
        return 0, 0, "am"
    hour, minute = int(m.group(3)), int(m.group(4) or 0)
    if hour > 24 or minute > 59:
        return None
    meridiem = "am" if m.group(5) else "pm" if m.group(6) else None
    part = m.group(7)
    if meridiem is None and part:
        meridiem = "am" if part == "manana" else "pm"
    return hour % 24, minute, meridiem


def _at(hour: int, minute: int, meridiem: str | None) -> dt.time:
    if meridiem == "am":
        hour = 0 if hour == 12 else hour
    elif meridiem == "pm" and hour < 12:
        hour += 12
    return dt.time(hour % 24, minute)


def _single(token: str, edge: str) -> dt.time | None:
    """A lone time: after 13:00 or with am/pm as written; else "before 9" is morning and "after 6" evening."""
    parsed = _clock(token)
    if parsed is None:
        return None
    hour, minute, meridiem = parsed
    if meridiem is None and 1 <= hour <= 11:
        meridiem = "pm" if edge == "after" or hour <= 5 else "am"
    return _at(hour, minute, meridiem)


def _range(first: str, second: str) -> tuple[dt.time, dt.time] | None:
    """A span such as "9-5": a bare start of 6-11 is morning and 1-5 afternoon ("9-5pm" borrows the end's
    meridiem when that keeps the start first); a bare end is its first reading after the start."""
    a, b = _clock(first), _clock(second)
    if a is None or b is None:
        return None
    (a_hour, a_min, a_mer), (b_hour, b_min, b_mer) = a, b
    if a_mer is None and 1 <= a_hour <= 11:
        if b_mer is not None:
            a_mer = b_mer if _at(a_hour, a_min, b_mer) < _at(b_hour, b_min, b_mer) else \
                ("am" if b_mer == "pm" else "pm")
        else:
            a_mer = "pm" if a_hour <= 5 else "am"
    start = _at(a_hour, a_min, a_mer)
    if b_mer is None and 1 <= b_hour <= 12:
        am, pm = _at(b_hour, b_min, "am"), _at(b_hour, b_min, "pm")
        end = am if am > start else pm if pm > start else am
    else:
        end = _at(b_hour, b_min, b_mer)
    return start, end


def _days(rest: str) -> frozenset[int]:
    rest = rest.lstrip(" ,")
    for pattern, days in _DAYS:
        if pattern.match(rest):
            return days
    return EVERY_DAY


def _inconvenient(text: str) -> list[Blackout]:
    found: list[Blackout] = []
    for kind, pattern in INCONVENIENT_PATTERNS:
        for m in pattern.finditer(text):
            if kind == "before":
                t = _single(m.group(1), "before")
                spans = [(MIDNIGHT, t)] if t else []
            elif kind == "after":
                t = _single(m.group(1), "after")
                spans = [(t, MIDNIGHT)] if t else []
            elif kind == "between":
                r = _range(m.group(1), m.group(2))
                spans = [r] if r else []
            elif kind == "only_after":
                t = _single(m.group(1), "after")
                spans = [(MIDNIGHT, t)] if t else []
            elif kind == "only_before":
                t = _single(m.group(1), "before")
                spans = [(t, MIDNIGHT)] if t else []
            else:  # only_between
                r = _range(m.group(1), m.group(2))
                spans = [(MIDNIGHT, r[0]), (r[1], MIDNIGHT)] if r else []
            found.extend(Blackout(start=s, end=e) for s, e in spans if s != e)
    for pattern, start, end, days in _PERIODS:
        if pattern.search(text):
            found.append(Blackout(start=start, end=end, weekdays=days))
    return list(dict.fromkeys(found))


def _work_hours(text: str) -> list[Blackout]:
    found: list[Blackout] = []
    for m in WORK_HOURS_RE.finditer(text):
        groups = [g for g in m.groups() if g is not None]
        r = _range(groups[0], groups[1])
        if r and r[0] != r[1]:
            found.append(Blackout(start=r[0], end=r[1], weekdays=_days(text[m.end():])))
    return list(dict.fromkeys(found))


def _zone(text: str, raw: str) -> str | None:
    """A place named after "I live in", "I moved to", "vivo en"...; "la" counts only when written "LA" or "L.A."
    (Spanish "la" is an article)."""
    for m in LOCATION_RE.finditer(text):
        place = m.group(1)
        if place not in ("la", "l.a.") or _LA_RAW.search(raw):
            return PLACE_ZONES[place]
    m = ZONE_RE.search(text)
    if m is not None:
        return ZONE_WORDS[m.group(1) or m.group(2)]
    return None


# -- public -------------------------------------------------------------------------------------------------------
def analyze(text: str) -> Classification:
    """Labels and parsed values for one inbound text."""
    raw = unicodedata.normalize("NFKC", text or "")
    norm = normalize(text)
    labels: set[str] = set()
    if CEASE_RE.search(norm):
        labels.add(CEASE)
    if ATTORNEY_RE.search(norm):
        labels.add(ATTORNEY)
    if DISPUTE_RE.search(norm):
        labels.add(DISPUTE)
    if ORIGINAL_CREDITOR_RE.search(norm):
        labels.add(ORIGINAL_CREDITOR)
    if WRONG_PARTY_RE.search(norm):
        labels.add(WRONG_PARTY)
    if THIRD_PARTY_RE.search(norm):
        labels.add(THIRD_PARTY)
    workplace = WORKPLACE_RE.search(norm) is not None
    if workplace:
        labels.add(WORKPLACE_OBJECTION)
    work_hours = tuple(_work_hours(norm))
    blackouts = tuple(_inconvenient(norm))
    if workplace:  # "don't text me at work ... 9-5" is the workplace rule, not a second designation
        blackouts = tuple(b for b in blackouts if b not in work_hours)
    if blackouts:
        labels.add(INCONVENIENT_TIME)
    elif UNPARSED_DESIGNATION_RE.search(norm):
        labels.add(INCONVENIENT_TIME_REVIEW)
    zone = _zone(norm, raw)
    if zone:
        labels.add(STATED_LOCATION)

    opt_rule = None
    kw = keywords.classify(text)
    if kw.opt_out or kw.uncertain:
        labels.add(OPT_OUT)
        if kw.uncertain:
            labels.add(OPT_OUT_UNCERTAIN)
        opt_rule = _opt_rule(kw)
    if kw.opt_in:
        labels.add(OPT_IN)
    if kw.help:
        labels.add(HELP)
    return Classification(labels=frozenset(labels), blackouts=blackouts, zone=zone, work_hours=work_hours,
                          opt_out_rule=opt_rule)


def classify(text: str) -> frozenset[str]:
    """The labels of one inbound text (see `analyze` for the parsed hours and zone)."""
    return analyze(text).labels


def _opt_rule(kw) -> str:
    """OPT-1 for a per-se keyword, OPT-2 for reasonable means (and for uncertain text)."""
    rule_id = getattr(kw, "rule_id", None) or getattr(kw, "rule", None)
    if rule_id in ("OPT-1", "OPT-2"):
        return rule_id
    per_se = getattr(kw, "per_se", None)
    if per_se is not None:
        return "OPT-1" if per_se and not kw.uncertain else "OPT-2"
    return "OPT-2"


def within_validation_period(received_at: dt.datetime, period_end: dt.date | None) -> bool:
    """True while the period runs anywhere in the US (it ends at midnight after `period_end` in the westernmost
    zone), or when no period has been computed yet: the reading that protects the consumer."""
    if period_end is None:
        return True
    end = dt.datetime.combine(period_end + dt.timedelta(days=1), MIDNIGHT, ZoneInfo("Pacific/Pago_Pago"))
    return received_at < end


def observe(facts: Facts, inbound: Inbound) -> Facts:
    """The facts after `inbound` arrives. It adds holds and never lifts a block. What it may relax is by design:
    START re-opts in (OPT-7), a fresh inbound refreshes the conversation windows (WhatsApp 24 h, text-number
    freshness), and a stated location replaces the candidate zones (TIME-2), which can shorten a deferral."""
    c = analyze(inbound.body)
    labels = c.labels | inbound.labels
    at = inbound.received_at
    d = facts.debtor
    h = facts.history
    changes: dict = {}
    address = _norm(inbound.address)

    if CEASE in labels:
        changes["cease_candidate_at"] = min(filter(None, (d.cease_candidate_at, at)))
    if ATTORNEY in labels:
        changes["attorney_pending_at"] = min(filter(None, (d.attorney_pending_at, at)))
    disputes = list(d.disputes)
    written = inbound.channel != "voice"  # typed text in any channel counts as writing (conservative)
    within = within_validation_period(at, d.validation.period_end)
    if DISPUTE in labels:
        disputes.append(Dispute(received_at=at, kind="dispute", written=written, within_vp=within))
    if ORIGINAL_CREDITOR in labels:
        disputes.append(Dispute(received_at=at, kind="original_creditor", written=written, within_vp=within))
    if len(disputes) != len(d.disputes):
        changes["disputes"] = tuple(disputes)
    if c.blackouts:
        stamped = tuple(replace(b, designated_at=at) for b in c.blackouts)
        changes["inconvenient_times"] = d.inconvenient_times + stamped
    if c.zone:
        changes["stated_tz"], changes["stated_tz_at"] = c.zone, at
    if WORKPLACE_OBJECTION in labels:
        changes["workplace_objection_at"] = min(filter(None, (d.workplace_objection_at, at)))
    if c.work_hours and (WORKPLACE_OBJECTION in labels or d.workplace_objection_at is not None):
        changes["work_hours"] = d.work_hours + tuple(replace(b, designated_at=at) for b in c.work_hours)

    phones, emails = d.phones, d.emails
    if address and (WRONG_PARTY in labels or THIRD_PARTY in labels):
        changes["unverified_addresses"] = d.unverified_addresses | {address}
        changes["authenticated_addresses"] = frozenset(
            a for a in d.authenticated_addresses if _norm(a) != address)
        phones = tuple(replace(p, verified=False) if p.e164 == address else p for p in phones)
        emails = tuple(replace(e, verified=False) if e.address.lower() == address else e for e in emails)
    if inbound.channel in ("sms", "whatsapp") and address:
        phones = tuple(replace(p, last_inbound_text_at=max(filter(None, (p.last_inbound_text_at, at))))
                       if p.e164 == address else p for p in phones)
    if inbound.channel == "whatsapp":
        changes["whatsapp_last_inbound_at"] = max(filter(None, (d.whatsapp_last_inbound_at, at)))
    if phones != d.phones:
        changes["phones"] = phones
    if emails != d.emails:
        changes["emails"] = emails

    optouts = h.optouts
    if OPT_OUT in labels:
        optouts += (OptOut(channel=inbound.channel, address=address, received_at=at, effective_at=at,
                           action="opt_out", scope="all", rule_id=c.opt_out_rule or "OPT-2",
                           id=f"{inbound.id}:opt_out"),)
    elif OPT_IN in labels:
        optouts += (OptOut(channel=inbound.channel, address=address, received_at=at, effective_at=at,
                           action="opt_in", scope="channel", rule_id="OPT-7", id=f"{inbound.id}:opt_in"),)
    history = replace(h, inbound=h.inbound + (replace(inbound, labels=labels),), optouts=optouts)
    return replace(facts, debtor=replace(d, **changes) if changes else d, history=history)
