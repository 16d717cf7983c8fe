"""The portal's page wording in English and Spanish (a Spanish-preferred debtor reads the portal in Spanish).

The validation notice itself is not here: it comes from the approved snippets (compliance/snippets.py)."""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # shell
    "nav_label": {"en": "Portal sections", "es": "Secciones del portal"},
    "nav_account": {"en": "Account", "es": "Cuenta"},
    "nav_notice": {"en": "Notice", "es": "Aviso"},
    "nav_preferences": {"en": "Preferences", "es": "Preferencias"},
    "sign_out": {"en": "Sign out", "es": "Cerrar sesión"},
    "balance": {"en": "Balance", "es": "Saldo"},
    "secure_page": {"en": "Secure page of {business}", "es": "Página segura de {business}"},
    "footer_help": {"en": "Questions? Contact {business}", "es": "¿Preguntas? Comuníquese con {business}"},
    "other_language": {"en": "Español", "es": "English"},
    "other_language_code": {"en": "es", "es": "en"},
    "language_label": {"en": "Ver esta página en español", "es": "View this page in English"},
    # identity check
    "identify_title": {"en": "Confirm it's you", "es": "Confirme su identidad"},
    "identify_lead": {
        "en": "This is a secure page from {business}. To protect your privacy, please confirm who you are before we "
              "show you anything.",
        "es": "Esta es una página segura de {business}. Para proteger su privacidad, confirme su identidad antes de "
              "que le mostremos cualquier información."},
    "last_name": {"en": "Last name", "es": "Apellido"},
    "zip_code": {"en": "ZIP code", "es": "Código postal (ZIP)"},
    "zip_hint": {"en": "The ZIP code of the address we have for you.",
                 "es": "El código postal de la dirección que tenemos registrada."},
    "birth_date": {"en": "Or your date of birth", "es": "O su fecha de nacimiento"},
    "birth_date_only": {"en": "Date of birth", "es": "Fecha de nacimiento"},
    "birth_date_hint": {"en": "Instead of the ZIP code, if you prefer.",
                        "es": "En lugar del código postal, si lo prefiere."},
    "continue": {"en": "Continue", "es": "Continuar"},
    "mismatch": {
        "en": "Those details don't match our records. Check them and try again. You have {left} attempts left before "
              "this page locks for 30 minutes.",
        "es": "Esos datos no coinciden con nuestros registros. Revíselos e inténtelo de nuevo. Le quedan {left} "
              "intentos antes de que esta página se bloquee durante 30 minutos."},
    "mismatch_one": {
        "en": "Those details don't match our records. Check them and try again. You have 1 attempt left before this "
              "page locks for 30 minutes.",
        "es": "Esos datos no coinciden con nuestros registros. Revíselos e inténtelo de nuevo. Le queda 1 intento "
              "antes de que esta página se bloquee durante 30 minutos."},
    "locked_title": {"en": "This page is locked for now", "es": "Esta página está bloqueada por ahora"},
    "locked": {
        "en": "For your security, we locked this page after 5 attempts that did not match our records. You can try "
              "again in {minutes} minutes{at_time}.",
        "es": "Por su seguridad, bloqueamos esta página después de 5 intentos que no coincidieron con nuestros "
              "registros. Puede intentarlo de nuevo en {minutes} minutos{at_time}."},
    "locked_at": {"en": ", after {time}", "es": ", después de las {time}"},
    "locked_help": {"en": "If you need help now, contact {business}{contact}.",
                    "es": "Si necesita ayuda ahora, comuníquese con {business}{contact}."},
    "no_methods": {
        "en": "We can't confirm your identity online for this account. Please contact {business}{contact}.",
        "es": "No podemos confirmar su identidad en línea para esta cuenta. Comuníquese con {business}{contact}."},
    "not_you": {"en": "Not you, or not expecting messages from {business}?",
                "es": "¿No es usted, o no esperaba mensajes de {business}?"},
    "not_you_link": {"en": "Stop messages", "es": "Dejar de recibir mensajes"},
    "err_last_name": {"en": "Enter your last name.", "es": "Escriba su apellido."},
    "err_zip_or_dob": {"en": "Enter your ZIP code or your date of birth.",
                       "es": "Escriba su código postal o su fecha de nacimiento."},
    "err_zip": {"en": "Enter the 5 digits of your ZIP code.", "es": "Escriba los 5 dígitos de su código postal."},
    "err_zip_missing": {"en": "Enter your ZIP code.", "es": "Escriba su código postal."},
    "err_dob_missing": {"en": "Enter your date of birth.", "es": "Escriba su fecha de nacimiento."},
    "err_dob": {"en": "Enter a date like 04/30/1980.", "es": "Escriba una fecha, por ejemplo 30/04/1980."},
    # link problems
    "invalid_title": {"en": "This link doesn't work", "es": "Este enlace no funciona"},
    "invalid_body": {
        "en": "Check that you opened the whole link from your message. If it still doesn't work, use the link in the "
              "most recent message you received.",
        "es": "Verifique que abrió el enlace completo de su mensaje. Si aún no funciona, use el enlace del mensaje más "
              "reciente que recibió."},
    "expired_title": {"en": "This link has expired", "es": "Este enlace ha vencido"},
    "expired_body": {
        "en": "For your security, links to this page work for 7 days. We can send a new link to the {what} we have "
              "on file ({hint}).",
        "es": "Por su seguridad, los enlaces a esta página funcionan durante 7 días. Podemos enviarle un enlace nuevo "
              "al {what} que tenemos registrado ({hint})."},
    "expired_no_address": {
        "en": "For your security, links to this page work for 7 days. Please contact {business}{contact} for a new "
              "one.",
        "es": "Por su seguridad, los enlaces a esta página funcionan durante 7 días. Comuníquese con "
              "{business}{contact} para obtener uno nuevo."},
    "what_phone": {"en": "phone number", "es": "número de teléfono"},
    "what_email": {"en": "email address", "es": "correo electrónico"},
    "send_new": {"en": "Send me a new link", "es": "Envíenme un enlace nuevo"},
    "renew_sent_title": {"en": "We sent you a new link", "es": "Le enviamos un enlace nuevo"},
    "renew_sent": {"en": "Check your {what} ({hint}). The new link works for 7 days.",
                   "es": "Revise su {what} ({hint}). El enlace nuevo funciona durante 7 días."},
    "renew_scheduled": {
        "en": "We'll send a new link to your {what} ({hint}) as soon as we are allowed to contact you "
              "(between 8 a.m. and 9 p.m. your time).",
        "es": "Le enviaremos un enlace nuevo a su {what} ({hint}) en cuanto podamos comunicarnos con usted "
              "(entre las 8 a.m. y las 9 p.m., hora local)."},
    "renew_throttled": {"en": "We sent you a new link a few minutes ago. Please check your messages.",
                        "es": "Le enviamos un enlace nuevo hace unos minutos. Revise sus mensajes."},
    "renew_blocked": {"en": "We can't send a new link right now. Please contact {business}{contact}.",
                      "es": "No podemos enviarle un enlace nuevo en este momento. Comuníquese con "
                            "{business}{contact}."},
    "renew_no_address": {
        "en": "We don't have a phone number or email address to send a new link to. Please contact "
              "{business}{contact}.",
        "es": "No tenemos un número de teléfono ni un correo electrónico para enviarle un enlace nuevo. Comuníquese "
              "con {business}{contact}."},
    "renew_problem_title": {"en": "We couldn't send a new link", "es": "No pudimos enviarle un enlace nuevo"},
    # landing and sign-out
    "landing_title": {"en": "Open the link in your message", "es": "Abra el enlace de su mensaje"},
    "landing_body": {
        "en": "To see your account, open the secure link in the text message or email you received. Each link is "
              "personal and works for 7 days.",
        "es": "Para ver su cuenta, abra el enlace seguro del mensaje de texto o del correo electrónico que recibió. "
              "Cada enlace es personal y funciona durante 7 días."},
    "signed_out_title": {"en": "You've signed out", "es": "Ha cerrado sesión"},
    "signed_out_body": {"en": "To come back, open the link in your message again.",
                        "es": "Para volver, abra de nuevo el enlace de su mensaje."},
    "session_ended_title": {"en": "Your session ended", "es": "Su sesión terminó"},
    "session_ended_body": {
        "en": "For your security, we sign you out after 30 minutes without activity.",
        "es": "Por su seguridad, cerramos su sesión después de 30 minutos sin actividad."},
    "verify_again": {"en": "Confirm it's you again", "es": "Confirme su identidad de nuevo"},
    # account page
    "account_title": {"en": "Your account", "es": "Su cuenta"},
    "account_details": {"en": "Account details", "es": "Detalles de la cuenta"},
    "account_lead": {"en": "Your account with {business}.", "es": "Su cuenta con {business}."},
    "original_creditor": {"en": "Original creditor", "es": "Acreedor original"},
    "current_creditor": {"en": "Current creditor", "es": "Acreedor actual"},
    "account_number": {"en": "Account number", "es": "Número de cuenta"},
    "ending_in": {"en": "ending in {last4}", "es": "terminada en {last4}"},
    "current_balance": {"en": "Current balance", "es": "Saldo actual"},
    "dispute_by": {"en": "Dispute deadline", "es": "Fecha límite para disputar"},
    "dispute_by_pending": {
        "en": "Your full validation notice is on its way. Your dispute period is counted from when it reaches you, so "
              "it ends no earlier than this date.",
        "es": "Su aviso de validación completo está en camino. Su plazo para disputar se cuenta desde que lo recibe, "
              "así que no termina antes de esta fecha."},
    "notice_card_title": {"en": "Your validation notice", "es": "Su aviso de validación"},
    "notice_card_body": {
        "en": "It explains the debt and your rights, including how to dispute it.",
        "es": "Explica la deuda y sus derechos, incluido cómo disputarla."},
    "read_notice": {"en": "Read the notice", "es": "Leer el aviso"},
    "download_pdf": {"en": "Download PDF", "es": "Descargar PDF"},
    "dispute_title": {"en": "Dispute this debt", "es": "Disputar esta deuda"},
    "dispute_lead": {
        "en": "If you think this debt is wrong, tell us here. Sending it here counts as writing to us, and {business} "
              "will answer in writing.",
        "es": "Si cree que esta deuda es incorrecta, díganoslo aquí. Enviarlo aquí cuenta como escribirnos, y "
              "{business} le responderá por escrito."},
    "choice_legend": {"en": "What do you want to do?", "es": "¿Qué desea hacer?"},
    "choice_dispute": {"en": "I dispute all of this debt", "es": "Disputo toda esta deuda"},
    "choice_dispute_part": {"en": "I dispute part of this debt", "es": "Disputo parte de esta deuda"},
    "choice_original_creditor": {"en": "I want the name and address of the original creditor",
                                 "es": "Quiero el nombre y la dirección del acreedor original"},
    "portion": {"en": "Amount you dispute", "es": "Monto que disputa"},
    "portion_hint": {"en": "Only if you dispute part of the debt, for example 120.00.",
                     "es": "Solo si disputa parte de la deuda, por ejemplo 120.00."},
    "note": {"en": "Tell us why (optional)", "es": "Díganos por qué (opcional)"},
    "send": {"en": "Send", "es": "Enviar"},
    "dispute_sent": {"en": "We received your request. {business} will answer in writing.",
                     "es": "Recibimos su solicitud. {business} le responderá por escrito."},
    "your_requests": {"en": "What you have sent", "es": "Lo que ha enviado"},
    "req_dispute": {"en": "Dispute of the debt", "es": "Disputa de la deuda"},
    "req_dispute_part": {"en": "Dispute of {amount}", "es": "Disputa de {amount}"},
    "req_original_creditor": {"en": "Request for the original creditor", "es": "Solicitud del acreedor original"},
    "req_sent_on": {"en": "Sent {date}", "es": "Enviada el {date}"},
    "req_waiting": {"en": "Waiting for an answer", "es": "En espera de respuesta"},
    "req_answered": {"en": "Answered {date}", "es": "Respondida el {date}"},
    "err_choice": {"en": "Choose what you want to do.", "es": "Elija qué desea hacer."},
    "err_portion": {"en": "Enter the amount you dispute.", "es": "Escriba el monto que disputa."},
    "err_portion_format": {"en": "Enter an amount like 120.00.", "es": "Escriba un monto, por ejemplo 120.00."},
    "err_portion_zero": {"en": "Enter an amount more than $0.00.", "es": "Escriba un monto mayor que $0.00."},
    "err_portion_high": {"en": "The amount is more than the balance.", "es": "El monto es mayor que el saldo."},
    "err_note": {"en": "Keep this to 2,000 characters.", "es": "Use como máximo 2,000 caracteres."},
    "prefs_card_title": {"en": "How we contact you", "es": "Cómo nos comunicamos con usted"},
    "prefs_card_body": {"en": "Choose which messages we may send you.",
                        "es": "Elija qué mensajes podemos enviarle."},
    "manage_preferences": {"en": "Manage preferences", "es": "Administrar preferencias"},
    # notice page
    "notice_lead": {
        "en": "This is the notice we must give you about this debt. Download it as a PDF to keep a copy.",
        "es": "Este es el aviso que debemos darle sobre esta deuda. Descárguelo en PDF para guardar una copia."},
    "notice_other_language": {"en": "Ver el aviso en español", "es": "View the notice in English"},
    "notice_pending": {
        "en": "We have not yet delivered this notice to you by email or mail. The dispute date in this notice is the "
              "earliest your dispute period can end: the period is counted from when the notice is delivered.",
        "es": "Todavía no le hemos entregado este aviso por correo electrónico o postal. La fecha para disputar de "
              "este aviso es la más temprana en que puede terminar su plazo: el plazo se cuenta desde que se le "
              "entrega el aviso."},
    "notice_missing": {
        "en": "Part of this notice is not available yet: {business} still has to add it. You can dispute the debt or "
              "ask for the original creditor from your account page.",
        "es": "Una parte de este aviso aún no está disponible: {business} todavía debe agregarla. Puede disputar la "
              "deuda o pedir el acreedor original desde la página de su cuenta."},
    "part_missing": {"en": "Not available yet.", "es": "Aún no disponible."},
    # preferences
    "prefs_title": {"en": "How we contact you", "es": "Cómo nos comunicamos con usted"},
    "prefs_lead": {
        "en": "Choose which messages {business} may send you. When you stop one kind of message, we stop all of our "
              "automated texts, WhatsApp messages and emails; you can then turn each one back on here.",
        "es": "Elija qué mensajes puede enviarle {business}. Cuando detiene un tipo de mensaje, detenemos todos "
              "nuestros mensajes de texto, de WhatsApp y correos automáticos; luego puede volver a activar cada uno "
              "aquí."},
    "prefs_unverified_lead": {
        "en": "You can stop messages from {business} without confirming who you are. To turn messages back on, "
              "confirm your identity first.",
        "es": "Puede dejar de recibir mensajes de {business} sin confirmar su identidad. Para volver a activarlos, "
              "primero confirme su identidad."},
    "prefs_legal": {"en": "We may still mail you notices that the law requires.",
                    "es": "Aún podemos enviarle por correo postal los avisos que exige la ley."},
    "ch_sms": {"en": "Text messages", "es": "Mensajes de texto"},
    "ch_whatsapp": {"en": "WhatsApp messages", "es": "Mensajes de WhatsApp"},
    "ch_email": {"en": "Emails", "es": "Correos electrónicos"},
    "to_address": {"en": "To {address}", "es": "A {address}"},
    "status_on": {"en": "On", "es": "Activados"},
    "status_off": {"en": "Stopped", "es": "Detenidos"},
    "stopped_since": {"en": "Stopped since {date}", "es": "Detenidos desde el {date}"},
    "btn_stop": {"en": "Stop", "es": "Detener"},
    "btn_resume": {"en": "Turn on", "es": "Activar"},
    "stopped_flash": {"en": "Done. We have stopped our automated messages to you.",
                      "es": "Listo. Dejamos de enviarle nuestros mensajes automáticos."},
    "already_stopped_flash": {"en": "Those messages were already stopped.",
                              "es": "Esos mensajes ya estaban detenidos."},
    "resumed_flash": {"en": "Done. {channel} are on again.", "es": "Listo. {channel} activados de nuevo."},
    "verify_to_resume": {"en": "Confirm it's you to turn messages back on",
                         "es": "Confirme su identidad para volver a activar los mensajes"},
    "no_channels": {"en": "We have no phone number or email address on file for you.",
                    "es": "No tenemos un número de teléfono ni un correo electrónico registrado."},
    # unsubscribe
    "unsub_title": {"en": "Unsubscribe from emails", "es": "Cancelar la suscripción a los correos"},
    "unsub_lead": {
        "en": "Stop emails from {business} to {address}? We will also stop our other automated messages (texts and "
              "WhatsApp).",
        "es": "¿Dejar de recibir correos de {business} en {address}? También detendremos nuestros otros mensajes "
              "automáticos (de texto y de WhatsApp)."},
    "unsub_button": {"en": "Unsubscribe", "es": "Cancelar suscripción"},
    "unsub_done_title": {"en": "You're unsubscribed", "es": "Su suscripción fue cancelada"},
    "unsub_done": {
        "en": "{business} will not send more emails to {address}, and our other automated messages have stopped too.",
        "es": "{business} no enviará más correos a {address}, y nuestros otros mensajes automáticos también se "
              "detuvieron."},
    "unsub_already": {"en": "You were already unsubscribed. There is nothing else to do.",
                      "es": "Su suscripción ya estaba cancelada. No tiene que hacer nada más."},
}


def t(key: str, language: str = "en", **values) -> str:
    """The page text for `key` in the language (English when a text has no translation)."""
    entry = TEXTS[key]
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text


def contact_suffix(phone: str | None, email: str | None, language: str) -> str:
    """" at (800) 555-0100 or help@x.com" / " al ... o a ...": how to reach the business, or "" when unknown."""
    parts = [p for p in (phone, email) if p]
    if not parts:
        return ""
    if language == "es":
        return " al " + " o a ".join(parts) if phone else " a " + parts[0]
    return " at " + " or ".join(parts)
