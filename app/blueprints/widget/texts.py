"""The chat widget's wording in English and Spanish; the identity step borrows the portal's (services/portal/texts.py),
so the two doors say the same thing the same way."""
from __future__ import annotations

from app.services.portal import texts as portal_texts

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Chat with {business}", "es": "Chat con {business}"},
    "minimise": {"en": "Minimise chat", "es": "Minimizar el chat"},
    "close": {"en": "Close chat", "es": "Cerrar el chat"},
    "identify_lead": {
        "en": "To protect your privacy, confirm who you are before we chat about your account.",
        "es": "Para proteger su privacidad, confirme su identidad antes de conversar sobre su cuenta."},
    "account_number": {"en": "Account number", "es": "Número de cuenta"},
    "account_number_hint": {"en": "It's on the letters and messages we sent you.",
                            "es": "Aparece en las cartas y mensajes que le enviamos."},
    "err_account_number": {"en": "Enter your account number.", "es": "Escriba su número de cuenta."},
    "mismatch": {"en": "Those details don't match our records. Check them and try again.",
                 "es": "Esos datos no coinciden con nuestros registros. Revíselos e inténtelo de nuevo."},
    "log_label": {"en": "Messages", "es": "Mensajes"},
    "empty": {"en": "No messages yet. Write your question below and we'll answer here.",
              "es": "Todavía no hay mensajes. Escriba su pregunta abajo y le responderemos aquí."},
    "you": {"en": "You", "es": "Usted"},
    "typing": {"en": "{business} is typing…", "es": "{business} está escribiendo…"},
    "reconnecting": {"en": "Reconnecting… Messages you write now will be sent when you're back online.",
                     "es": "Reconectando… Los mensajes que escriba ahora se enviarán cuando vuelva la conexión."},
    "message_label": {"en": "Your message", "es": "Su mensaje"},
    "send": {"en": "Send", "es": "Enviar"},
    "sending": {"en": "Sending…", "es": "Enviando…"},
    "not_sent": {"en": "Not sent yet: we'll send it when you're back online.",
                 "es": "Aún no se envió: lo enviaremos cuando vuelva la conexión."},
    "hours_note": {"en": "We answer here. Late at night, a reply may wait until the morning.",
                   "es": "Le respondemos aquí. De noche, una respuesta puede esperar hasta la mañana."},
    "err_body": {"en": "Write a message first.", "es": "Escriba un mensaje primero."},
    "err_body_long": {"en": "Keep your message to 2,000 characters.",
                      "es": "Use como máximo 2,000 caracteres en su mensaje."},
    "err_client_id": {"en": "This message could not be sent. Reload the chat and try again.",
                      "es": "No se pudo enviar este mensaje. Vuelva a cargar el chat e inténtelo de nuevo."},
    "resuming": {"en": "Opening your chat…", "es": "Abriendo su chat…"},
    "err_network": {"en": "We couldn't reach the chat. Check your connection and try again.",
                    "es": "No pudimos conectar con el chat. Revise su conexión e inténtelo de nuevo."},
    "ended": {"en": "Your secure chat has ended. Confirm who you are to continue.",
              "es": "Su chat seguro terminó. Confirme su identidad para continuar."},
}


def t(key: str, language: str = "en", **values) -> str:
    """The widget's text for `key`, else the portal's."""
    entry = TEXTS.get(key)
    if entry is None:
        return portal_texts.t(key, language, **values)
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text
