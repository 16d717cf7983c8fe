"""English or Spanish, by counting each language's function words (and Spanish-only marks: ñ ¿ ¡ and accents).

Debt messages are short and the two languages share few function words, so counting them is reliable and costs
microseconds; ties (a bare "ok", "100?") go to the conversation's language when the caller knows it, else English.
"""
from __future__ import annotations

import re

from app.services.compliance.inbound import normalize

_EN = frozenset("""
i im i'm my you your u ur we us our the an and or but is are was were be been am do does did don't dont can
cant can't could would will won't wont should have has had not no yes to of in on at for with from about this
that it it's its what when where why how who please pls plz thanks thank want need pay paid owe much many month week
just still already some any tell call text stop help get know want wanna gonna got here there they them he she his
her if so than then now today tomorrow bill debt account money payment afford job lost sorry ok okay""".split())
_ES = frozenset("""
yo mi mis tu tus te usted ustedes nos nosotros el la los las un una unos unas y o pero es son era fue ser estoy
esta estan soy tengo tiene tienen hay que q qu de del en con por para sin sobre este esta eso esto ese esa lo le les
se si no ya mas muy como cuando donde porque xq pq por que quien cuanto cuanta cuantos debo debe pagar pago pague
puedo puede pueden quiero necesito favor gracias hola buenas buenos dias tardes noches mes semana quincena dinero
cuenta deuda trabajo perdi ahora hoy manana dejen llamen molesten nada nunca tambien tmb pa estoy asi hablar
persona alguien ayuda saldo monto restante pagado pagada pagar pagarlo pagarles cobrando cobran cobrar intereses
interes bancarrota quiebra capitulo caso baja cancelar alto disputa alcanza ahorita hoy aceptan acepta manda mande
mandan mandame xfa porfa porfavor plis todos todas sean son estan malditos ladrones mentirosos estafadores rateros
escriban escribas contacten contactes hablen hables busquen vuelvan vuelva llamar llamen llamarme molesten carajo
pinches pinche culeros cabrones pendejos gente conmigo contigo nadie algo mucho poco bien mal sale va vale
quiero queremos tenemos somos fue fui estaba estamos ayer semana mes meses quincena abono abonos cuotas tarjeta
recibo carta correo numero mensaje mensajes abogado jefe esposa esposo hijo hija casa dinero trabajo""".split())
_WORDS = re.compile(r"[a-z']+")
_SPANISH_PAIRS = re.compile(r"\b(?:no me|no le|no les|no lo|no la|no se|me (?:dan|da|pueden|puede|manda|mandan))\b")
_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]")


def detect(text: str, default: str = "en") -> str:
    """"es" or "en"."""
    raw = (text or "").casefold()
    words = _WORDS.findall(normalize(text))
    en = sum(w in _EN for w in words)
    es = (sum(w in _ES for w in words) + 2 * len(_SPANISH_MARKS.findall(raw))
          + len(_SPANISH_PAIRS.findall(" ".join(words))))
    if es > en:
        return "es"
    if en > es:
        return "en"
    return default
