"""Prohibited-content lexicon (EN + ES) for the content rules, as data, compiled once.

Every scan runs on *folded* text: casefolded, accents stripped (NFKD), zero-width characters dropped, typographic
quotes and dashes made ASCII, whitespace collapsed to single spaces. So "IRÁ A LA CÁRCEL" and "ira a la carcel"
read the same, and a pattern's single space matches any run of whitespace in the message.

`LEXICON` is the one list to review: (label, keys, regex) triples. A label is a rule id, optionally with a sub-kind
after "/" ("CONTENT-3/arrest", "CONTENT-5/human"); the rule functions in rules/content.py decide what a label means
for a given message (who wrote it, whether the debt is time-barred, whether the validation period runs). Each regex
is wrapped in word boundaries when compiled, so write stems as `garnish\\w*`.

Cost: one pass over the words of the message looks up every word's first letters in a table of keys (`triggered`);
only the entries whose keys occur are searched, so a clean message usually runs no entry regex at all. Masked and
leetspeak spellings (f***, sh!t, b1tch) are caught by one small pattern that triggers the profanity entry. Folded
text and scans are cached by message text.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# -- folding ------------------------------------------------------------------------------------------------------

_PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "\u00b4": "'",
    "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a1": " ", "\u00bf": " ",  # Spanish opening marks carry no meaning for the patterns
})
_MARKS = re.compile("[\u0300-\u036f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
                    "\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
"""Combining accents (what NFKD splits off Latin letters) and invisible format characters used to hide words."""


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text; the form every pattern here is written for."""
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text.translate(_PUNCT).casefold()))
    return " ".join(text.lower().split())


def non_latin_letters(folded: str) -> bool:
    """Letters outside the Latin script after folding: another language, or homoglyphs hiding a word."""
    if folded.isascii():
        return False
    return any(ch.isalpha() and ord(ch) > 0x24F for ch in folded)


# -- shared fragments ---------------------------------------------------------------------------------------------

_MASK = r"[*#@!%$_\-+?~^|]"
"""Characters people type in place of a letter: f***, sh!t, b*tch."""

_LEET = {"a": "a@4", "b": "b8", "e": "e3", "g": "g9", "i": "i1!|", "l": "l1|", "o": "o0", "s": "s$5",
         "t": "t7+"}


def _obf(word: str) -> str:
    """A word with leetspeak letters, and masks for every letter but the first: f*ck, f**k, f***, sh1t, $h!t."""
    out = [{"s": r"(?:s|\$(?=[a-z0-9]))", "a": r"(?:a|@(?=[a-z0-9]))"}.get(word[0], re.escape(word[0]))]
    for ch in word[1:]:
        cls = "[" + "".join(re.escape(c) for c in _LEET.get(ch, ch)) + "]"
        out.append(f"(?:{cls}|{_MASK})")
    return "".join(out)


def _any(words: str) -> str:
    return "(?:" + "|".join(words.split()) + ")"


_WE = r"(?:we|i|we'?ll|i'?ll|we'?re|i'?m|our (?:company|office|agency|client)|the (?:creditor|collector|agency))"
_WILL = (r"(?:will|shall|are going to|am going to|is going to|going to|gonna|intend to|plan to|can|could|may|might"
         r"|would|have to|need to|must|be forced to|have no choice but to|will have to)")
_THREAT = rf"(?:{_WE} (?:{_WILL} )?(?:also )?|(?:will|going to|gonna) )"
FAMILY_EN = ("employer boss supervisor manager job work workplace company hr coworker coworkers co-worker co-workers"
             " colleague colleagues family relative relatives wife husband spouse partner girlfriend boyfriend parent"
             " parents mother mom father dad children kids son daughter brother sister neighbor neighbors neighbour"
             " neighbours friend friends church landlord reference references")
FAMILY_ES = ("jefe jefa empleador patron patrona trabajo empresa companeros familia familiares esposa esposo pareja"
             " novia novio padres madre mama padre papa hijos hija hijo hermano hermanos hermana hermanas vecino"
             " vecinos amigo amigos iglesia casero referencias")
_MONTHS_EN = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
              r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTHS_ES = r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)"
_WEEKDAYS = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes"
             r"|sabado|domingo)")
DATE = (rf"(?:{_MONTHS_EN}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS_EN}"
        rf"(?:,? \d{{4}})?|\d{{1,2}} de {_MONTHS_ES}(?: (?:de|del) \d{{4}})?|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
        rf"|\d{{4}}-\d{{2}}-\d{{2}}|{_WEEKDAYS}|today|tonight|tomorrow|hoy|manana"
        rf"|(?:the )?end of (?:the |this )?(?:day|week|month)|(?:el )?fin (?:del|de) (?:dia|semana|mes))")
_NUMWORD = (r"(?:\d{1,3}|one|two|three|four|five|six|seven|ten|twenty-?four|forty-?eight|seventy-?two|uno|una|dos|tres"
            r"|cuatro|cinco|seis|siete|diez|veinticuatro|cuarenta y ocho|setenta y dos)")
_PAYWORD = r"(?:pay|payment|paid|settle|resolve|pague|pagar|pago|liquide|liquidar|saldar|salde)"
_SPAN = r"(?:[^.!?]|(?<=\d)\.(?=\d))"
"""Any character inside one sentence (a decimal point is not the end of one)."""
_PROFANE = "fuck motherfuck shit bitch bastard asshole cunt whore slut dickhead mierda pendej cabron puta puto"
_PROFANE_FORMS = ("fucks fucking fuckin fucked fucker fuckers fuckoff fuckhead fuckface fuckwit fucktard shits shitty"
                  " shitting shithead shithole shitbag shitshow bitches bitchy bitching cunts whores sluts putas putos")
_ABBREV = ("fk fks fkn fkin fking fked fker fck fcks fckn fckin fcking fcked fcker fuk fuks fukn fukin fuking fuked"
           " fuker fuq fvck fvcking phuck phucking phuk phuking phck effing wtf stfu gtfo fml")
MASKED = "*"
"""Key of the entries a masked or leetspeak word may trigger (see `_MASK_HINT`)."""

# -- the lexicon ---------------------------------------------------------------------------------------------------
# (label, keys, regex). Keys are the words that trigger the entry: a message is scanned with an entry's regex only
# if one of its words starts with one of the keys (keys shorter than 6 letters must be the whole word; longer keys
# match on their first 6 letters). Every match of the regex must contain a key word: tests/unit/compliance/
# test_lexicon.py checks that with generated examples.

LEXICON: tuple[tuple[str, str, str], ...] = (
    # CONTENT-1 violence or criminal means to harm person, reputation or property (1692d(1)).
    ("CONTENT-1", "hurt harm kill beat shoot stab punch attack injure assault kidnap choke strangle slap hit",
     r"(?:hurt|harm|kill|beat|shoot|stab|punch|attack|injure|assault|kidnap|choke|strangle|slap|hit)"
     r" (?:you|u|ya|your (?:family|kids|children|wife|husband|spouse|pets?|dog|cat|mother|father))"),
    ("CONTENT-1", "beat kill killed killing kills murder break burn smash slash vandal torch fire blow where watch"
                  " regret something accident eye ruin destroy violence",
     r"beat (?:you|u) up|kill(?:ed|ing|s)?|murder\w*|break (?:your|ur) (?:legs?|arms?|neck|face|bones|windows?|car)"
     r"|burn (?:down )?(?:your|ur) (?:house|home|car|place)|smash (?:your|ur)|slash (?:your|ur) tires"
     r"|vandali[sz]\w*|torch (?:your|ur)|set fire to|blow up (?:your|ur)|we know where you (?:live|work|sleep)"
     r"|watch your back|you'?(?:ll| will) regret (?:this|it)|something bad (?:will|could|might|may) happen"
     r"|(?:an )?accident (?:could|might|may) happen|one eye open|(?:ruin|destroy) (?:your|ur) (?:reputation|name"
     r"|life|family)|violence|violent"),
    ("CONTENT-1", "matar matarle matarte golpear lastimar agredir secuestrar apunalar balear dano danarl danarte"
                  " romper quemar"
                  " sabemos arrepentir arrepentira malo cuidese cuidate violencia arruinar",
     r"(?:matar|golpear|lastimar|agredir|secuestrar|apunalar|balear)(?:le|lo|la|te|los|las)?|(?:hacer|causar)(?:le|te)?"
     r" dano|danarl[oae]s?|danarte|romper(?:le|te)? las piernas|quemar (?:su|tu) (?:casa|carro|auto|coche)"
     r"|sabemos donde (?:vive|vives|trabaja|trabajas)|(?:se|te) (?:va|vas) a arrepentir|se arrepentira"
     r"|algo malo (?:le |te )?(?:puede|podria|va a) pasar|cuidese la espalda|cuidate la espalda|violencia"
     r"|arruinar (?:su|tu) (?:reputacion|nombre|vida)"),

    # CONTENT-2 obscene, profane or abusive language (1692d(2)), EN + ES; masked and leetspeak forms included.
    ("CONTENT-2", f"{MASKED} {_PROFANE} {_PROFANE_FORMS} bullshit horseshit {_ABBREV}",
     "(?:" + "|".join(_obf(w) for w in ("fuck", "motherfuck")) + r")(?:ing|in|in'|ed|er|ers|s|off|head|face|wit"
     r"|tard)?|"
     + _obf("shit") + r"(?:s|ty|ting|head|hole|bag|show)?|" + _obf("bitch") + r"(?:es|y|ing)?|"
     + "|".join(_obf(w) + "s?" for w in ("bastard", "asshole", "cunt", "whore", "slut", "dickhead")) + "|"
     + _obf("mierda") + "|" + _obf("pendej") + r"(?:o|a|os|as|ada)|" + _obf("cabron") + r"(?:a|es|as)?|"
     + _obf("puta") + "s?|" + _obf("puto") + r"s?|bullshit|horseshit|" + _any(_ABBREV)),
    ("CONTENT-2", "dumbass jackass smartass lazyass fatass cheapass ass asses damn damned damnit dammit goddamn crap"
                  " crappy piss pissed screw shut idiot idiots moron morons moronic stupid dumb loser deadbeat"
                  " deadbeats scum scums scumbag scumbags worthless pathetic imbecile imbeciles retard retarded retards"
                  " prick wanker wankers twat twats douche jerk trash garbage",
     r"(?:dumb|jack|smart|lazy|fat|cheap)ass(?:es)?|(?:kiss my|your|ur|dumb|fat|lazy|cheap|jack|smart) ass(?:es)?"
     r"|damn(?:ed|it)?|dammit|god ?damn(?:ed|it)?|crap(?:py)?|piss(?:ed)?(?: off)?|screw (?:you|u|off)"
     r"|shut (?:up|your mouth)|idiots?|morons?|moronic|stupid|dumb|loser|deadbeats?|scum(?:bag)?s?|worthless"
     r"|pathetic|imbeciles?|retard(?:ed|s)?|prick|wankers?|twats?|douche(?:bag)?s?|jerk"
     r"|(?:you(?:'re| are)|such) (?:a )?(?:piece of )?(?:trash|garbage)"),
    ("CONTENT-2", "hell", r"(?:go to|the|like) hell"),
    ("CONTENT-2", "piece", r"piece of (?:crap|work|garbage|trash)"),
    ("CONTENT-2", "lowlife lowlifes lowlives life lifes lives", r"low-? ?li(?:fe|fes|ves)"),
    ("CONTENT-2", "hijo hija chingar chingada chingado chingadera chingas chingue chinguen chinga chingo chingon"
                  " joder jodido jodida jodidos jodete jodanse cono carajo pinche culero culera culeros culeras culo"
                  " gilipollas mamon maman mamona verga estupido estupida estupidos estupidas idiota idiotas imbecil"
                  " imbeciles maldito maldita malditos malditas tarado tarada tarados taradas baboso babosa babosos"
                  " babosas perra zorra marica maricon huevon huevan boludo malparido malparida callate cierre vete"
                  " muerto",
     r"hij[oa] de (?:puta|perra)|ching(?:ar|ada|ado|adera|as|ue|uen|a|o|on)|jod(?:er|ido|ida|idos|ete|anse)|cono"
     r"|carajo|pinche|culer[oa]s?|culo|gilipollas|mam[oa]n|mamona|verga|estupid[oa]s?|idiotas?|imbecil(?:es)?"
     r"|maldit[oa]s?|tarad[oa]s?|babos[oa]s?|perra|zorra|maric(?:a|on)|huev[oa]n|boludo|malparid[oa]|callate"
     r"|cierre la boca|vete al (?:diablo|infierno|carajo)|muerto de hambre"),

    # CONTENT-3 arrest or imprisonment (never lawful for a collector) ...
    ("CONTENT-3/arrest", "arrest jail jailed prison imprison incarcerate locked lock behind handcuff police sheriff"
                         " marshal marshals officer officers deputies",
     r"arrest(?:ed|ing|s)?|jail(?:ed)?|prison|imprison\w*|incarcerat\w*|locked up|lock you up|behind bars"
     r"|handcuff\w*|(?:police|sheriff|marshals?|officers?|deputies) (?:will|are going to|may|could|might) (?:come"
     r"|show up|visit|pick you up|arrest|find)"),
    ("CONTENT-3/arrest", "arrest carcel prision encarcel detendran arrestado arrestada detenido detenida rejas"
                         " policia aprehension captura",
     r"arrest(?:ar(?:le|lo|la)?|ado|ada|aremos|aran|o)|carcel|prision|encarcel\w*|lo detendran|la detendran"
     r"|(?:sera|va a ser|podria ser|puede ser) (?:arrestad|detenid)[oa]|tras las rejas|(?:la )?policia (?:ira"
     r"|vendra|lo buscara|la buscara|le buscara|va a ir)|orden de (?:arresto|aprehension|captura)"),
    # ... or seizure, garnishment, attachment or sale of property or wages (lawful and intended only when approved).
    ("CONTENT-3/seizure", "garnish seize seized seizes seizing seizure repossess reposess confiscate foreclose"
                          " levy levied lien sheriff",
     r"garnish\w*|seiz(?:e|ed|es|ing|ure)|repossess\w*|reposess\w*|confiscat\w*|foreclos\w*|bank levy"
     r"|levy (?:on |against )?(?:your|ur)|levied (?:on|against) your|lien (?:on|against) (?:your|ur)"
     r"|(?:put|place|file) a lien|sheriff'?s? sale"),
    ("CONTENT-3/seizure", "attach attachment",
     r"attach(?:ment of)? (?:your|ur) (?:wages?|salary|paycheck|pay|property|assets?|bank|account|home|house|car)"
     r"|(?:wage|bank|property|salary|paycheck) attachment|writ of attachment"),
    ("CONTENT-3/seizure", "freeze seize take drain empty clean sell auction money",
     r"(?:freeze|seize|take|drain|empty|clean out|sell|auction(?: off)?) (?:your|ur) (?:bank account|accounts?|wages"
     r"|paycheck|salary|tax refund|refund|car|vehicle|truck|house|home|property|assets|belongings|furniture)"
     r"|take (?:the )?money (?:out of|from) (?:your|ur) (?:paycheck|account|wages|salary)"),
    ("CONTENT-3/seizure", "embargar embargo embargaremos retencion retener confisca decomis incauta quitar quitarle"
                          " quitarte rematar remate subastar congelar gravamen ejecucion",
     r"(?<!sin )embarg\w*|retencion (?:de|del) (?:su )?(?:salario|sueldo|cuenta)|retener (?:su |tu )?(?:salario"
     r"|sueldo)|confisca\w*|decomis\w*|incauta\w*|quitar(?:le|te)? (?:su|tu) (?:casa|carro|auto|coche|propiedad"
     r"|salario|sueldo|cuenta|bienes)|remat(?:ar|aremos|e de)|subastar|congelar (?:su|tu) cuenta|gravamen"
     r"|ejecucion hipotecaria"),

    # CONTENT-4 threats of legal action that is not intended or not lawful (1692e(5), 1006.26(b)).
    ("CONTENT-4", "sue sued suing sues",
     r"(?:will|shall|would|could|can|may|might|must|to|gonna|going to|we'?ll|i'?ll|they'?ll|won'?t|can'?t|cannot|not"
     r"|never|and|or|then|we|they|creditor|client) sue|(?<!hi )(?<!hey )(?<!dear )(?<!hello )(?<!hola )sue (?:you|u"
     r"|him|her|them)|su(?:ed|ing)|sues"),
    ("CONTENT-4", "lawsuit lawsuits suit suits legal litigate prelegal prelitigation",
     r"lawsuits?|law suits?|legal (?:action|actions|proceedings?|steps|measures|remedies|process|department|dept"
     r"|team|division|counsel)|litigat\w*|pre-?legal|pre-?litigation"),
    ("CONTENT-4", "court", r"court (?:action|case|date|hearing|proceedings?)|(?:to|in|into|before (?:a|the)) court"),
    ("CONTENT-4", "against suit judgment",
     r"(?:file|filing|filed|bring|start) (?:a )?(?:suit|claim|complaint|case) against|(?:file|filing) suit"
     r"|judgment against you|(?:obtain|get|seek|enter) a judgment"),
    ("CONTENT-4", "attorney attorneys lawyer lawyers firm legal",
     r"(?:our|my|the creditor'?s?|the client'?s?) (?:attorneys?|lawyers?|law firm|legal counsel)"
     r"|(?:refer|forward|send|transfer|turn|hand|assign|pass|place)(?:ed|ing|red|ring)? (?:over )?(?:your |this |the )?"
     r"(?:account |file |debt |case |matter )?(?:over )?to (?:an?|our|the) (?:collections? )?(?:attorneys?|lawyers?"
     r"|law firm|legal)"),
    ("CONTENT-4", "final", r"final (?:notice|warning|demand) (?:before|prior to) (?:court|legal|litigation|suit"
                           r"|lawsuit|further action)"),
    ("CONTENT-4", "escalate",
     r"escalat\w* (?:your|the|this) (?:account|debt|matter|case|file|balance)|(?:or|otherwise|else) (?:(?:we|i|this|it"
     r"|your account|the account) )?(?:will )?(?:be |get )?escalat\w*"),
    ("CONTENT-4", "further additional consequences",
     r"(?:take|pursue|face|consider|initiate|result in|lead to) (?:further|additional) (?:legal )?action"
     r"|(?:serious|severe|legal) consequences"),
    ("CONTENT-4", "demanda demandas demandar demandarle demandarlo demandarla demandaremos demandara demandaran"
                  " demandado demandada accion acciones legal legales judicial judiciales corte tribunal tribunales"
                  " juicio litigio juridico abogado abogados bufete escalar aviso",
     r"demand(?:a|as|ar|arle|arlo|arla|aremos|ara|aran|ado|ada)|accion(?:es)? (?:legal|legales|judicial|judiciales)"
     r"|medidas (?:legales|judiciales)|(?:proceso|procedimiento)s? (?:legal|legales|judicial|judiciales)"
     r"|(?:ante|a|en) (?:la )?corte(?! de)|tribunal(?:es)?|(?:llevar(?:le|lo|la)?|iniciar(?:le)?|un) (?:a )?juicio"
     r"|juicio (?:en su contra|contra usted)|litigio|departamento (?:legal|juridico)|(?:nuestros|nuestro)"
     r" (?:abogados?|bufete)|turnar\w* (?:su |el )?(?:cuenta |caso |expediente )?a (?:un |nuestros |los )?abogados?"
     r"|escalar (?:su|el|la) (?:cuenta|caso|asunto|deuda)|ultimo aviso antes de"),

    # CONTENT-5 false identity or affiliation (1692e(1),(3),(11),(14),(16), e(10)).
    ("CONTENT-5/government", "irs internal fbi police sheriff government federal justice treasury attorney court"
                             " district enforcement officer official",
     r"(?:this is|we are|we'?re|i am|i'?m|calling from|writing from|on behalf of|message from|representing"
     r"|officer with|agent with|agents of) (?:the |a |an )?(?:irs|internal revenue service|fbi|police|police"
     r" department|sheriff(?:'s office)?|government|federal government|u\.?s\.? government|department of (?:justice"
     r"|treasury|the treasury)|attorney general|(?:district |superior |federal )?court|district attorney"
     r"|federal agency|government agency|law enforcement)|government agency|federal agent|(?:federal|state"
     r"|government) (?:officer|official)"),
    ("CONTENT-5/government", "policia gobierno irs fbi corte tribunal fiscalia federal justicia procuraduria",
     r"(?:somos|soy|le habla|te habla|llamamos de|le escribimos de|de parte de|en nombre de) (?:la |el |un |una )?"
     r"(?:policia|gobierno|irs|fbi|corte|tribunal|fiscalia|agencia (?:del )?gobierno|agencia federal|departamento de"
     r" justicia|procuraduria)|agencia (?:del )?gobierno|agente federal"),
    ("CONTENT-5/attorney", "law attorney attorneys lawyer lawyers counsel",
     r"(?:this is|we are|we'?re|i am|i'?m|calling from|writing from|on behalf of|message from|representing)"
     r" (?:the |a |an |your )?(?:law (?:office|offices|firm)|attorneys?|lawyers?|legal counsel)|law offices? of"
     r"|attorneys? at law"),
    ("CONTENT-5/attorney", "abogado abogada abogados abogadas bufete despacho",
     r"(?:somos|soy|le habla|te habla|llamamos de|de parte de|en nombre de) (?:el |la |un |una )?(?:abogad[oa]s?"
     r"|bufete|despacho (?:de abogados|juridico|legal))"),
    ("CONTENT-5/bureau", "credit equifax experian transunion buro",
     r"(?:this is|we are|we'?re|i am|i'?m|calling from|writing from|on behalf of|message from|representing)"
     r" (?:the |a |an )?(?:credit bureaus?|credit reporting agenc(?:y|ies)|equifax|experian|transunion)"
     r"|(?:somos|soy|le habla|llamamos de|de parte de|en nombre de) (?:el |un )?buro de credito"),
    ("CONTENT-5/not_collector", "not isn isnt aren arent wasn wasnt ain aint",
     r"(?:not|isn'?t|aren'?t|wasn'?t|ain'?t) (?:a |an )?(?:debt )?collectors?|(?:not|isn'?t) (?:a |an )?"
     r"(?:collection (?:agency|call|message|notice)|attempt to collect)|(?:we|i)(?:'re|'m| are| am) not trying to"
     r" collect"),
    ("CONTENT-5/not_collector", "cobrador cobradores cobranza cobranzas cobro agencia intento",
     r"no (?:somos|soy|es) (?:un |una )?(?:cobrador(?:es)?|agencia de cobr\w*|cobranzas?|intento de cobr\w*)"
     r"|esto no es (?:un )?(?:cobro|intento de cobr\w*)"),
    ("CONTENT-5/human", "person human agent bot robot chatbot machine computer ai artificial automated program",
     r"(?:i am|i'?m|im|this is|you(?:'re| are) (?:talking|speaking|chatting|texting) (?:to|with)) (?:a |an )?"
     r"(?:real |actual |live )?(?:person|human(?: being)?|human agent|live agent)|(?:i am not|i'?m not|im not"
     r"|this is not|this isn'?t|it is not|it isn'?t|it'?s not) (?:a |an )?(?:bot|robot|chatbot|machine|computer|ai"
     r"|artificial intelligence|automated|program)"),
    ("CONTENT-5/human", "robot bot maquina ia inteligencia programa computadora persona humano humana",
     r"no soy (?:un |una )?(?:robot|bot|maquina|ia|inteligencia artificial|programa|computadora)"
     r"|soy (?:una )?persona(?: real| de verdad)?|soy (?:un |una )?(?:ser )?human[oa]"
     r"|(?:esta|estas) hablando con (?:una )?persona"),

    # CONTENT-8 threats to tell others, public lists, selling or advertising the debt (1692d(3)-(4), e(5),(7)).
    ("CONTENT-8", " ".join(re.split(r"[^a-z]+", FAMILY_EN)),
     rf"{_THREAT}(?:\w+ )?(?:contact|call|tell|notify|inform|visit|alert|email|text|write to|reach out to"
     rf"|speak (?:to|with)|talk (?:to|with)|let) (?:your|ur) {_any(FAMILY_EN)}|(?:your|ur) {_any(FAMILY_EN)}"
     r" (?:will|may|could|is going to|are going to|would|might) (?:be (?:told|notified|contacted|informed|called"
     r"|hearing)|know|find out|hear|learn|get a call)"),
    ("CONTENT-8", "everyone public list registry wall shame publish post sell advertise sold advertised published",
     r"everyone will (?:know|find out)|public (?:list|record of debtors)|(?:bad debtors?|deadbeats?|debtors?|shame)"
     r" (?:list|registry|wall)|wall of shame|publish (?:your|ur) name|post (?:your|ur) (?:name|debt|photo)"
     r"|(?:sell|advertise|list) (?:your|ur|this|the) (?:debt|account)(?: for sale)?|(?:your|ur|this|the)"
     r" (?:debt|account) (?:will|may|could) be (?:sold|advertised|published)"),
    ("CONTENT-8", " ".join(re.split(r"[^a-z]+", FAMILY_ES)),
     r"(?:(?:vamos a|voy a|tendremos que|tendre que|podemos|podriamos|procederemos a|debemos) (?:llamar|avisar"
     r"|informar|contar|decir|contactar|visitar|notificar|escribir)(?:le|les)? a|(?:vamos a|voy a|tendremos que"
     r"|podemos|podriamos) hablar con|llamaremos a|avisaremos a|informaremos a|contactaremos a|visitaremos a"
     r"|notificaremos a|escribiremos a|hablaremos con|(?:le|les) (?:diremos|contaremos|avisaremos|informaremos) a)"
     rf" (?:su|tu|sus|tus) {_any(FAMILY_ES)}|(?:su|tu|sus|tus) {_any(FAMILY_ES)} (?:se )?(?:va|van) a (?:enterar"
     rf"|saber)|(?:su|tu|sus|tus) {_any(FAMILY_ES)} (?:sabra|sabran|se enterara|se enteraran|sera informad[oa]"
     r"|seran informad[oa]s)"),
    ("CONTENT-8", "todos lista publicar vender vendida publicada anunciada",
     r"todos (?:se )?(?:van a saber|sabran|se enteraran)|lista (?:publica|negra) de (?:deudores|morosos)"
     r"|lista de (?:morosos|deudores)|publicar (?:su|tu) nombre|vender (?:su|tu|la|esta) deuda|(?:su|tu|la) deuda"
     r" (?:sera|podria ser) (?:vendida|publicada|anunciada)"),

    # CONTENT-9 implying a crime, fraud or conduct meant to disgrace (1692e(7)).
    ("CONTENT-9", "crime fraud felony offense theft",
     r"(?:you|u) (?:have |had |are |were )?(?:committed|committing|commit) (?:a |an )?(?:crime|fraud|felony|offense"
     r"|theft)"),
    ("CONTENT-9", "crime criminal illegal fraud fraudulent theft stealing felony misdemeanor offense",
     r"(?:(?:this|that|it)|(?:not paying|nonpayment|non-payment|failure to pay|failing to pay|refusing to pay"
     r"|ignoring|skipping out on|your nonpayment|your non-payment|your debt)(?: [a-z']+){0,3}) (?:is|are|was"
     r"|would be|constitutes|amounts to|counts as) (?:a |an |considered )?(?:crime|criminal|illegal|fraud"
     r"|fraudulent|theft|stealing|felony|misdemeanor|offense)"),
    ("CONTENT-9", "criminal fraud theft charges prosecute district",
     r"criminal (?:charges?|case|complaint|investigation|prosecution|record|referral)|(?:fraud|theft) charges?"
     r"|(?:press|file|bring) (?:criminal )?charges|prosecut\w*|district attorney"),
    ("CONTENT-9", "police authorities fbi district prosecutor enforcement",
     r"(?:report|refer|turn) (?:you|u) (?:in )?(?:to|over to) (?:the )?(?:police|authorities|fbi|district attorney"
     rf"|prosecutor|law enforcement)|{_THREAT}(?:call|contact|notify|alert) (?:the )?(?:police|authorities"
     r"|law enforcement|fbi)"),
    ("CONTENT-9", "thief criminal fraud crook liar cheat scammer deadbeat stole steal lied cheated scammed",
     r"(?:you'?re|you are|u r) (?:a |an )?(?:thief|criminal|fraud|crook|liar|cheat|scammer|deadbeat)"
     r"|you (?:stole|steal|lied|cheated|scammed)"),
    ("CONTENT-9", "fraud crime illegal",
     r"check fraud|(?:bad|bounced|rubber) checks? (?:is|are) (?:a )?(?:crime|illegal|fraud)"),
    ("CONTENT-9", "shame shameful disgrace embarrass embarrassment humiliate humiliation",
     r"shame on you|disgrace\w*|shameful|(?:embarrass|humiliate|shame|disgrace) (?:you|u)|avoid (?:the )?"
     r"(?:embarrassment|humiliation|shame)|public(?:ly)? (?:humiliat\w*|embarrass\w*)"),
    ("CONTENT-9", "delito fraude crimen robo estafa ilegal penal penales criminal criminales antecedentes"
                  " denunciar denunciarle reportar reportarle policia fiscalia autoridades ministerio ladron ladrona"
                  " estafador estafadora delincuente mentiroso mentirosa tramposo tramposa verguenza avergonzar"
                  " exhibir deshonra humillar sinverguenza",
     r"(?:cometio|cometiste|esta cometiendo|ha cometido|comete) (?:un |una )?(?:delito|fraude|crimen|robo|estafa)"
     r"|(?:no pagar|el impago|la falta de pago|esto|eso|su deuda) (?:es|seria|constituye) (?:un |una )?(?:delito"
     r"|crimen|fraude|robo|estafa|ilegal)|(?:cargos|denuncia|demanda|proceso) (?:penal(?:es)?|criminal(?:es)?)"
     r"|antecedentes penales|(?:denunciar|reportar)(?:le|lo|la)? (?:a|ante) (?:la )?(?:policia|fiscalia"
     r"|autoridades|ministerio publico)|ministerio publico|fiscalia|(?:es|eres|usted es) (?:un |una )?(?:ladron"
     r"|ladrona|criminal|estafador|estafadora|delincuente|mentiros[oa]|trampos[oa])|(?:le |te )?(?:dara|daria"
     r"|deberia dar) verguenza|que verguenza|verguenza publica|avergonzar(?:le|lo|la|te)?|exhibir(?:le|lo|la|te)"
     r"|deshonra\w*|humillar\w*|sinverguenza"),

    # CONTENT-10 simulated legal process, court or agency documents (1692e(9),(13),(15)).
    ("CONTENT-10", "summons subpoena court warrant warrants writ legal served server appear cause lawsuit suit"
                   " intent levy garnishment judgment affidavit complaint docket",
     r"summons(?:es)?|subpoena\w*|court orders?|warrants?|writ(?: of [a-z]+)?|(?:official )?court (?:notice"
     r"|document|papers)|legal papers|(?:be|been|get|getting|being) served|process server|order to (?:appear|show"
     r" cause)|notice of (?:lawsuit|suit|intent to sue|legal action|court|levy|garnishment|judgment)|(?:affidavit"
     r"|complaint|lawsuit|suit) (?:has been|was|will be) filed|docket|(?:this is|this message is|consider this)"
     r" (?:a |an |your )?(?:official )?(?:legal|court) (?:notice|document|process)|(?:is|are) not legal process"),
    ("CONTENT-10", "citatorio citacion judicial corte arresto aprehension captura comparecencia embargo"
                   " emplazamiento notificacion mandamiento legales judiciales",
     r"citatorio|citacion (?:judicial|a (?:la )?corte)|orden (?:judicial|de (?:la )?corte|de (?:arresto|aprehension"
     r"|captura|comparecencia|embargo))|emplazamiento|notificacion (?:judicial|legal|oficial de (?:la )?corte)"
     r"|mandamiento|(?:documentos|papeles) (?:legales|judiciales)|expediente judicial"),

    # CONTENT-11 postdated checks (1692f(2)-(4)): any mention.
    ("CONTENT-11", "post postdated check checks cheque cheques posfechado postfechado fechado",
     r"post-? ?dated|postdat\w*|date (?:the|your|a) (?:check|cheque) (?:for )?(?:later|in the future|ahead)"
     r"|(?:check|cheque)s? dated (?:in the future|later|ahead)|pos-?fechad\w*|postfechad\w*"
     r"|cheques? con fecha (?:posterior|adelantada|futura|diferida)"),

    # TBD-1 any mention of suing, court, lawsuit or legal action (1006.26(b)); negations and "may" included.
    ("TBD-1", "sue sued suing sues lawsuit lawsuits suit suits court courts legal litigate judicial judgment",
     r"(?:will|shall|would|could|can|may|might|must|to|gonna|going to|we'?ll|i'?ll|they'?ll|won'?t|can'?t|cannot|not"
     r"|never|and|or|then|we|they|creditor|client|be) sue|(?<!hi )(?<!hey )(?<!dear )(?<!hello )(?<!hola )sue (?:you"
     r"|u|him|her|them|for|on|over)|su(?:ed|ing)|sues|lawsuits?|law suits?|courts?|legal (?:action|actions"
     r"|proceedings?|steps|measures|remedies|process)|litigat\w*|(?:file|filing|filed|bring) (?:a )?suit"
     r"|suit (?:against|to collect|on (?:this|the|your))|judicial|judgments? against you|(?:obtain|get|seek|enter)"
     r" a judgment"),
    ("TBD-1", "demanda demandas demandar demandarle demandarlo demandarla demandaremos demandara demandaran demandado"
              " demandada accion acciones legal legales judicial judiciales corte tribunal tribunales juicio litigio",
     r"demand(?:a|as|ar|arle|arlo|arla|aremos|ara|aran|ado|ada)|accion(?:es)? (?:legal|legales|judicial|judiciales)"
     r"|(?:proceso|procedimiento)s? (?:legal|legales|judicial|judiciales)|(?:ante|a|en) (?:la )?corte(?! de)"
     r"|corte (?:judicial|de justicia)|tribunal(?:es)?|juicio|litigio|judicial(?:es)?"),

    # DISPUTE-3 overshadowing during the validation period (1006.38(b)(1)): demands for payment now ...
    ("DISPUTE-3/demand", "now today tonight immediately immediate right once asap week urgent urgently act chance"
                         " final running late",
     r"(?:must|have to|need to|needs to|required to|obligated to|got to|gotta) (?:pay|make (?:a |the |your )?payment"
     r"|settle|resolve|take care of)\b" + _SPAN + r"{0,40}?\b(?:now|today|tonight|immediately|right away|at once"
     r"|asap|this week)|(?:pay|payment)\b" + _SPAN + r"{0,20}?\b(?:immediately|right away|at once|asap)"
     r"|immediate(?:ly)? payment|pay (?:now|today) or|(?:payment|balance|amount) (?:is )?(?:due|required) (?:now"
     r"|today|immediately)|urgent(?:ly)?|act (?:now|fast|today)|last chance|final (?:notice|warning|demand)"
     r"|time is running out|before it'?s too late"),
    ("DISPUTE-3/demand", "hoy ahora ya inmediatamente inmediato antes semana urgente ultimo ultima espere actue",
     r"(?:debe|tiene que|necesita|esta obligad[oa] a) (?:pagar|realizar (?:el |un |su )?pago|liquidar|saldar)\b"
     + _SPAN + r"{0,40}?\b(?:hoy|ahora|ya|inmediatamente|de inmediato|cuanto antes|esta semana)"
     r"|(?:pague|pagar|pago)\b" + _SPAN + r"{0,20}?\b(?:de inmediato|inmediatamente|cuanto antes|ya mismo)"
     r"|pago inmediato|urgente|ultim[oa] (?:aviso|oportunidad|advertencia)|no espere|actue (?:ya|ahora|hoy)"),
    # ... saying disputing is futile ...
    ("DISPUTE-3/futile", "dispute validation",
     r"disput\w* (?:it |this |the debt |now )?(?:will not|won'?t|does not|doesn'?t|would not|wouldn'?t|cannot"
     r"|can'?t|is not going to) (?:help|change|matter|stop|make (?:any|a) difference|work|do (?:you )?any good"
     r"|get you anywhere)|(?:no|little) (?:point|use|sense) (?:in )?disput\w*|(?:don'?t|do not) (?:even )?bother"
     r" (?:to )?disput\w*|no need to disput\w*|(?:you )?(?:cannot|can'?t|can not) dispute|disput\w* (?:is|are)"
     r" (?:pointless|useless|futile|a waste)|(?:right to dispute|dispute rights?) (?:does not|doesn'?t|do not"
     r"|don'?t) apply|(?:ignore|disregard) (?:the |your )?(?:dispute|validation|right to dispute)"),
    ("DISPUTE-3/futile", "disputar disputarla disputarlo impugnar impugnarla impugnarlo",
     r"(?:disputar|impugnar)(?:la|lo)? no (?:le |te )?(?:servira|sirve|ayudara|ayuda|cambiara|cambia)"
     r"|no (?:tiene|vale la pena|sirve de nada|hay razon para) (?:sentido |caso )?(?:disputar|impugnar)"
     r"|no (?:puede|podra) (?:disputar|impugnar)"),
    # ... or a payment deadline (parsed by `deadlines` and compared with period_end by the rule).
    ("DISPUTE-3/deadline", "by before later until",
     rf"{_PAYWORD}\b{_SPAN}{{0,40}}?\b(?:by|before|no later than|on or before|until) (?:{DATE})"),
    ("DISPUTE-3/deadline", "hours hour hrs hr days day",
     rf"{_PAYWORD}\b{_SPAN}{{0,40}}?\b(?:within |in the next ){_NUMWORD} (?:hours?|hrs?|days?)"
     rf"|(?:have|has) {_NUMWORD} (?:hours?|hrs?|days?) to {_PAYWORD}"),
    ("DISPUTE-3/deadline", "antes tardar hasta para",
     rf"{_PAYWORD}\b{_SPAN}{{0,40}}?\b(?:antes del?|a mas tardar (?:el )?|hasta el|para el) (?:{DATE})"),
    ("DISPUTE-3/deadline", "horas dias",
     rf"{_PAYWORD}\b{_SPAN}{{0,40}}?\b(?:en (?:las |los )?(?:proximas |proximos )?|dentro de (?:las |los )?"
     rf"(?:proximas |proximos )?){_NUMWORD} (?:horas|dias)|(?:tiene|tienes) {_NUMWORD} (?:horas|dias) para"
     rf" {_PAYWORD}"),

    # DISPUTE-5 "failing to dispute is an admission of liability" (1006.38(d)(1)).
    ("DISPUTE-5", "dispute disputing disputes silence",
     r"(?:fail\w*|not|don'?t|doesn'?t|never|no) (?:to )?disput\w*" + _SPAN + r"{0,60}?(?:admission|admit\w*"
     r"|acknowledg\w* (?:that )?you owe|accept\w* (?:liability|responsibility|the debt)|confess\w*|agree\w* (?:that )?"
     r"you owe|liab\w*|legally (?:owe|responsible))|(?:silence|not disputing|failure to dispute)" + _SPAN
     + r"{0,40}?(?:admission|admits?|means you (?:owe|accept|agree))"),
    ("DISPUTE-5", "disputa dispute disputar impugna impugne impugnar",
     r"no (?:disputa|dispute|impugna|disputar|impugnar)\w*" + _SPAN + r"{0,60}?(?:admite|admision|acepta (?:la"
     r" deuda|que debe|su responsabilidad)|reconoce (?:la deuda|que debe))"),

    # CONTENT-7 fee or charge named (the rule checks it against the authorized fees); negated forms are skipped.
    ("FEE", "fee fees charge charges surcharge surcharges",
     r"(?:processing|convenience|service|late|transaction|payment|handling|collection|administrative|admin|card"
     r"|phone|pay-by-phone|online|portal|returned payment|nsf|setup|set-up) (?:fees?|charges?|surcharges?)"
     r"|surcharges?|(?:a|an|additional|extra) fee (?:of|will|may|applies|is)|fees? (?:will|may) (?:be )?(?:added"
     r"|charged|applied|apply)|(?:charge|add) (?:you )?(?:a|an) (?:fee|charge)"),
    ("FEE", "cargo cargos comision comisiones recargo recargos tarifa",
     r"(?:cargo|cargos|comision|comisiones|recargo|recargos|tarifa) (?:adicional(?:es)?|extra|por|de)"
     r" (?:procesamiento|servicio|conveniencia|manejo|cobranza|cobro|pago tardio|pago atrasado|mora|tramite"
     r"|administracion|tarjeta|pago)|recargos?|(?:se )?(?:cobrara|agregara|aplicara|cargara) (?:un|una)"
     r" (?:cargo|comision|tarifa|recargo)"),
)

_FEE_NEGATION = re.compile(r"(?:\bno|\bwithout|\bfree of|\bwaived?|\bwaive[sd]?|\bnever|\bnot|\bsin|\bningun[oa]?"
                           r"|\bno hay|\bno cobramos|\bzero|\$0(?:\.00)?)\W*(?:\w+\W+){0,2}$")
"""Words before a fee phrase that say no fee applies: "there is no processing fee", "sin cargo por servicio"."""

# -- time-barred debt disclosures --------------------------------------------------------------------------------

_TBD_ANCHOR = re.compile(r"statute of limitations|legal time limit|limitations period|the law limits how long"
                         r"|because of the age of (?:your|this|the) debt|fair debt collection practices act"
                         r"|la ley limita|antiguedad de (?:su|la|esta) deuda|prescripcion|prescrito")
_TBD_HEADER = re.compile(r"department of financial services to notify you|the law limits how long you can be sued"
                         r"|la ley limita (?:el tiempo|cuanto tiempo)")
"""The opening of a statutory passage: its next sentences are disclosure text even without an anchor of their own."""
_TBD_THREAT = re.compile(r"\b(?:we|i|we'?ll|i'?ll|us|our|nosotros|vamos|procederemos)\b"
                         r"|\b(?:will|shall|going to|gonna|intends? to|plans? to|va a|van a)\b(?:\s\w+){0,3}\s"
                         r"(?:sue|file|take|bring|demandar|iniciar)\b|\bdemandara")
_SENTENCE = re.compile(r"(?:[^.!?]|(?<=\d)\.(?=\d))+[.!?]*")
PASSAGE_SENTENCES = 10
LEGAL_LABELS = frozenset({"TBD-1", "CONTENT-4", "CONTENT-10"})
"""Labels scanned with statutory time-barred disclosures taken out (see `strip_tbd_disclosures`)."""


def strip_tbd_disclosures(folded: str) -> str:
    """Remove the state time-barred disclosures (Cal. Civ. 1788.14(d), 23 NYCRR 1.3(c), 6 RCNY 2-191) from a scan.

    TBD-2 requires text such as "The law limits how long you can be sued on a debt. Because of the age of your
    debt, First Bank cannot sue you for it." TBD-1 must not block it. A sentence is taken out when it carries a
    disclosure anchor (statute of limitations, "because of the age of your debt", ...) or follows a statutory
    opening within PASSAGE_SENTENCES, and only if it speaks in no first person and announces no suit; everything
    else is scanned as written.
    """
    if not _TBD_ANCHOR.search(folded):
        return folded
    header = _TBD_HEADER.search(folded)
    kept, passage = [], -1
    for m in _SENTENCE.finditer(folded):
        sentence = m.group()
        if header is not None and passage < 0 and m.end() > header.start():
            passage = 0
        in_passage = 0 <= passage < PASSAGE_SENTENCES
        if passage >= 0:
            passage += 1
        disclosure = (in_passage or _TBD_ANCHOR.search(sentence)) and not _TBD_THREAT.search(sentence)
        kept.append(" " if disclosure else sentence)
    return "".join(kept)


# -- compiled forms --------------------------------------------------------------------------------------------------

def _wrap(pattern: str) -> str:
    return rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])"


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    keys: tuple[str, ...]
    regex: re.Pattern


ENTRIES: tuple[Entry, ...] = tuple(Entry(label, tuple(keys.split()), re.compile(_wrap(pattern)))
                                   for label, keys, pattern in LEXICON)
LABELS: dict[str, re.Pattern] = {
    label: re.compile("|".join(_wrap(p) for lab, _, p in LEXICON if lab == label))
    for label in dict.fromkeys(lab for lab, _, _ in LEXICON)
}
"""Every entry of a label in one regex, for callers that want all its matches (deadlines, fees)."""


KEY_LENGTH = 6


def _key_map() -> dict[str, tuple[int, ...]]:
    found: dict[str, set[int]] = {}
    for k, entry in enumerate(ENTRIES):
        for key in entry.keys:
            if key != MASKED:
                found.setdefault(key[:KEY_LENGTH], set()).add(k)
    return {key: tuple(sorted(v)) for key, v in found.items()}


_KEYS = _key_map()
_MASKED_ENTRIES = tuple(k for k, e in enumerate(ENTRIES) if MASKED in e.keys)
_PREFIXES = re.compile(rf"([a-z0-9]{{1,{KEY_LENGTH}}})[a-z0-9]*")
"""The first letters of every word (the whole word when shorter): what the keys are looked up by."""
_M = r"*#@%+~^|$_!?\-"
_MASK_HINT = re.compile(rf"[{_M}0-9](?:(?<=[a-z][{_M}])(?=[^\s])|(?<=[$@])(?=[a-z])|(?<=[a-z][0-9]))")
"""A mask inside a word (f***, sh!t, b-tch), a word opening with $ or @ ($hit, @ss), a digit after a letter (sh1t)."""


def triggered(folded: str) -> tuple[int, ...]:
    """Indexes of the entries a folded text must be searched with: those whose keys it contains."""
    found: set[int] = set()
    for key in _KEYS.keys() & set(_PREFIXES.findall(folded)):
        found.update(_KEYS[key])
    if _MASK_HINT.search(folded):
        found.update(_MASKED_ENTRIES)
    return tuple(sorted(found))


@dataclass(frozen=True, slots=True)
class Hit:
    label: str
    phrase: str  # the folded text that matched
    start: int


@dataclass(frozen=True, slots=True)
class Scan:
    """What the lexicon found in one text: the first match of every label, in lexicon order."""

    folded: str
    hits: tuple[Hit, ...] = ()

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(h.label for h in self.hits)

    def get(self, label: str) -> Hit | None:
        for h in self.hits:
            if h.label == label:
                return h
        return None

    def rule(self, rule_id: str) -> tuple[Hit, ...]:
        """Hits whose label is `rule_id` ("CONTENT-3/arrest") or one of its sub-kinds (`rule_id` "CONTENT-3")."""
        if not self.hits:
            return ()
        return tuple(h for h in self.hits if h.label == rule_id or h.label.split("/", 1)[0] == rule_id)

    def __bool__(self) -> bool:
        return bool(self.hits)


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
"""Links are read as the word "link": a random token in a portal link ("...vO2tu_fk") is not language."""


@lru_cache(maxsize=8192)
def scan(text: str) -> Scan:
    """One pass over the words of the text picks the entries to run; a clean message usually runs none."""
    folded = fold(_URL.sub(" link ", text))
    todo = triggered(folded)
    if not todo:
        return Scan(folded)
    stripped = None
    hits: dict[str, Hit] = {}
    for k in todo:
        entry = ENTRIES[k]
        if entry.label in hits:
            continue
        target = folded
        if entry.label in LEGAL_LABELS:
            if stripped is None:
                stripped = strip_tbd_disclosures(folded)
            target = stripped
        m = _first_unnegated_fee(entry.regex, folded) if entry.label == "FEE" else entry.regex.search(target)
        if m is not None:
            hits[entry.label] = Hit(entry.label, m.group(), m.start())
    return Scan(folded, tuple(sorted(hits.values(), key=lambda h: _ORDER[h.label])))


_ORDER = {label: k for k, label in enumerate(LABELS)}


def _first_unnegated_fee(rx: re.Pattern, folded: str):
    for m in rx.finditer(folded):
        if not _FEE_NEGATION.search(folded[max(0, m.start() - 30):m.start()]):
            return m
    return None


# -- payment deadlines (DISPUTE-3) -----------------------------------------------------------------------------------

_DEADLINE = LABELS["DISPUTE-3/deadline"]
_DATE_RX = re.compile(DATE + r"$")
_COUNT_RX = re.compile(rf"(?P<n>{_NUMWORD}) (?P<unit>hours?|hrs?|days?|horas|dias)")
_MONTH_INDEX = {name: k for k, names in enumerate(
    ("jan enero", "feb febrero", "mar marzo", "apr abril", "may mayo", "jun junio", "jul julio", "aug agosto",
     "sep septiembre setiembre", "oct octubre", "nov noviembre", "dec diciembre"), start=1) for name in names.split()}
_WEEKDAY_INDEX = {name: k % 7 for k, name in enumerate(
    "monday tuesday wednesday thursday friday saturday sunday lunes martes miercoles jueves viernes sabado domingo"
    .split())}
_NUMBERS = {"one": 1, "uno": 1, "una": 1, "two": 2, "dos": 2, "three": 3, "tres": 3, "four": 4, "cuatro": 4,
            "five": 5, "cinco": 5, "six": 6, "seis": 6, "seven": 7, "siete": 7, "ten": 10, "diez": 10,
            "twentyfour": 24, "veinticuatro": 24, "fortyeight": 48, "cuarenta y ocho": 48, "seventytwo": 72,
            "setenta y dos": 72}


@dataclass(frozen=True, slots=True)
class Deadline:
    """A payment deadline as written: a date, or a span from the moment the message goes out."""

    phrase: str
    date: dt.date | None = None
    span: dt.timedelta | None = None

    def due(self, sent_local: dt.date, sent_at: dt.datetime) -> dt.date:
        """The last day the message gives: `sent_local` is the consumer's date when it goes out."""
        if self.span is not None:
            return (sent_at + self.span).date() if self.span < dt.timedelta(days=1) else sent_local + self.span
        return self.date or sent_local


def deadlines(text: str, today: dt.date, language: str = "en") -> tuple[Deadline, ...]:
    """Payment deadlines in a message, resolved against `today` (the consumer's date at send time)."""
    folded = fold(text)
    if not _DEADLINE.search(folded):
        return ()
    found = []
    for m in _DEADLINE.finditer(folded):
        phrase = m.group()
        count = _COUNT_RX.search(phrase)
        if count and not _DATE_RX.search(phrase):
            n = int(count["n"]) if count["n"].isdigit() else _NUMBERS.get(count["n"].replace("-", ""), 1)
            unit = dt.timedelta(hours=1) if count["unit"].startswith(("h", "hr")) else dt.timedelta(days=1)
            found.append(Deadline(phrase, span=n * unit))
            continue
        date_match = re.search(DATE + r"$", phrase)
        found.append(Deadline(phrase, date=_resolve(date_match.group() if date_match else "", today, language)))
    return tuple(found)


def _resolve(text: str, today: dt.date, language: str) -> dt.date:
    """A written date as a calendar date on or after `today` where the year is left out."""
    text = text.strip()
    if text in ("today", "tonight", "hoy") or not text:
        return today
    if text in ("tomorrow", "manana"):
        return today + dt.timedelta(days=1)
    if "end of" in text or text.startswith(("fin ", "el fin")):
        if "day" in text or "dia" in text:
            return today
        if "week" in text or "semana" in text:
            return today + dt.timedelta(days=6 - today.weekday())
        nxt = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)
    if text in _WEEKDAY_INDEX:
        return today + dt.timedelta(days=(_WEEKDAY_INDEX[text] - today.weekday()) % 7)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return _date(int(iso[1]), int(iso[2]), int(iso[3])) or today
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", text)
    if numeric:
        a, b = int(numeric[1]), int(numeric[2])
        month, day = (b, a) if language == "es" and b <= 12 else (a, b)
        if month > 12:
            month, day = day, month
        year = _year(numeric[3])
        return _with_year(month, day, year, today)
    words = re.findall(r"[a-z]+|\d+", text)
    month = next((_MONTH_INDEX[w[:3]] if w[:3] in _MONTH_INDEX else _MONTH_INDEX[w] for w in words
                  if w in _MONTH_INDEX or w[:3] in _MONTH_INDEX and not w.isdigit()), None)
    numbers = [int(w) for w in words if w.isdigit()]
    day = next((n for n in numbers if n <= 31), 1)
    year = next((n for n in numbers if n > 31), None)
    return _with_year(month or today.month, day, year, today)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _with_year(month: int, day: int, year: int | None, today: dt.date) -> dt.date:
    if year is not None:
        return _date(year, month, day) or today
    candidate = _date(today.year, month, day) or today
    return candidate if candidate >= today - dt.timedelta(days=31) else (_date(today.year + 1, month, day) or today)


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
