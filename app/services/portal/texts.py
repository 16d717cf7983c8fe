"""The portal's page wording in English and Spanish (a Spanish-preferred debtor reads the portal in Spanish).

The validation notice itself is not here: it comes from the approved snippets (compliance/snippets.py)."""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # shell
    "nav_label": {"en": "Portal sections", "es": "Secciones del portal"},
    "nav_account": {"en": "Account", "es": "Cuenta"},
    "nav_pay": {"en": "Payments", "es": "Pagos"},
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
    # payments: the pay page
    "pay_title": {"en": "Make a payment", "es": "Hacer un pago"},
    "pay_lead": {"en": "Pay all or part of your balance with {business}.",
                 "es": "Pague todo o parte de su saldo con {business}."},
    "account_balance": {"en": "Account balance", "es": "Saldo de la cuenta"},
    "in_flight_note": {
        "en": "{amount} of your balance is in payments still being processed, so you can pay up to {available} now.",
        "es": "{amount} de su saldo está en pagos que aún se están procesando, así que ahora puede pagar hasta "
              "{available}."},
    "nothing_to_pay_title": {"en": "There is nothing to pay", "es": "No hay nada que pagar"},
    "nothing_to_pay": {"en": "Your balance is paid in full. Thank you.",
                       "es": "Su saldo está pagado en su totalidad. Gracias."},
    "all_in_flight": {
        "en": "Your payments still being processed cover your balance, so there is nothing more to pay right now.",
        "es": "Sus pagos que aún se están procesando cubren su saldo, así que por ahora no hay nada más que pagar."},
    "amount_label": {"en": "Payment amount", "es": "Monto del pago"},
    "amount_hint": {"en": "From $1.00 to {max}.", "es": "De $1.00 a {max}."},
    "quick_label": {"en": "Or choose an amount", "es": "O elija un monto"},
    "quick_full": {"en": "Full balance {amount}", "es": "Saldo total {amount}"},
    "quick_partial": {"en": "Partial payment {amount}", "es": "Pago parcial {amount}"},
    "err_amount_missing": {"en": "Enter the amount you want to pay.", "es": "Escriba el monto que desea pagar."},
    "err_amount_range": {"en": "Enter an amount from $1.00 to {max}.", "es": "Escriba un monto de $1.00 a {max}."},
    "method_legend": {"en": "Payment method", "es": "Método de pago"},
    "method_card": {"en": "Credit or debit card", "es": "Tarjeta de crédito o débito"},
    "card_label": {"en": "Card details", "es": "Datos de la tarjeta"},
    "card_hint": {"en": "Your card number goes straight to Stripe: {business} never sees it.",
                  "es": "El número de su tarjeta va directamente a Stripe: {business} nunca lo ve."},
    "card_number": {"en": "Card number", "es": "Número de la tarjeta"},
    "card_exp_month": {"en": "Expiration month (MM)", "es": "Mes de vencimiento (MM)"},
    "card_exp_year": {"en": "Expiration year (YY)", "es": "Año de vencimiento (AA)"},
    "card_cvc": {"en": "Security code (CVC)", "es": "Código de seguridad (CVC)"},
    "card_postal": {"en": "Billing ZIP code", "es": "Código postal de facturación"},
    "card_short_month": {"en": "MM", "es": "MM"},
    "card_short_year": {"en": "YY", "es": "AA"},
    "card_short_cvc": {"en": "CVC", "es": "CVC"},
    "card_short_postal": {"en": "ZIP", "es": "C.P."},
    "pay_button": {"en": "Pay {amount}", "es": "Pagar {amount}"},
    "pay_button_plain": {"en": "Pay", "es": "Pagar"},
    "pay_working": {"en": "Processing your payment…", "es": "Procesando su pago…"},
    "pay_authenticating": {"en": "Waiting for your bank's confirmation…",
                           "es": "Esperando la confirmación de su banco…"},
    "secure_note": {"en": "Secure payment powered by Stripe", "es": "Pago seguro procesado por Stripe"},
    "needs_js": {
        "en": "To pay online, turn on JavaScript in your browser: the secure card form comes from Stripe and needs "
              "it. You can also pay by contacting {business}{contact}.",
        "es": "Para pagar en línea, active JavaScript en su navegador: el formulario seguro de la tarjeta viene de "
              "Stripe y lo necesita. También puede pagar comunicándose con {business}{contact}."},
    "stripe_unavailable": {
        "en": "The secure card form could not load. Check your connection and reload the page.",
        "es": "No se pudo cargar el formulario seguro de la tarjeta. Revise su conexión y vuelva a cargar la "
              "página."},
    "pay_failed": {"en": "Your payment did not go through: {reason} Your card was not charged.",
                   "es": "Su pago no se procesó: {reason} No se hizo ningún cargo a su tarjeta."},
    "pay_failed_hint": {"en": "Check the card details or use another card, then try again.",
                        "es": "Revise los datos de la tarjeta o use otra tarjeta e inténtelo de nuevo."},
    "reason_unknown": {"en": "the card issuer did not approve it.", "es": "el emisor de la tarjeta no lo aprobó."},
    "reason_declined": {"en": "your card was declined.", "es": "su tarjeta fue rechazada."},
    "reason_insufficient_funds": {"en": "the card does not have enough funds.",
                                  "es": "la tarjeta no tiene fondos suficientes."},
    "reason_expired_card": {"en": "the card has expired.", "es": "la tarjeta está vencida."},
    "reason_incorrect_cvc": {"en": "the security code is not correct.", "es": "el código de seguridad no es correcto."},
    "reason_incorrect_number": {"en": "the card number is not correct.",
                                "es": "el número de la tarjeta no es correcto."},
    "reason_authentication": {"en": "your bank did not confirm the payment (3-D Secure).",
                              "es": "su banco no confirmó el pago (3-D Secure)."},
    "reason_unavailable": {"en": "the card processor did not answer.",
                           "es": "el procesador de tarjetas no respondió."},
    "reason_unusable": {"en": "this card could not be used.", "es": "no se pudo usar esta tarjeta."},
    "reason_canceled": {"en": "the payment was canceled before it was completed.",
                        "es": "el pago se canceló antes de completarse."},
    "pay_checking": {
        "en": "We don't have the card processor's answer yet. Please don't pay again: check your payment history in "
              "a few minutes.",
        "es": "Todavía no tenemos la respuesta del procesador de tarjetas. No vuelva a pagar: consulte su historial "
              "de pagos en unos minutos."},
    "pay_error": {
        "en": "Something went wrong and your payment was not completed. Please try again in a moment.",
        "es": "Algo salió mal y su pago no se completó. Inténtelo de nuevo en un momento."},
    "pay_offline": {
        "en": "We could not reach the payment service. Check your connection, then look at your payment history "
              "before trying again.",
        "es": "No pudimos comunicarnos con el servicio de pagos. Revise su conexión y luego consulte su historial "
              "de pagos antes de intentarlo de nuevo."},
    "pay_needs_card": {"en": "Enter your card details above.", "es": "Escriba arriba los datos de su tarjeta."},
    "card_check": {"en": "Check your card details and try again.",
                   "es": "Revise los datos de su tarjeta e inténtelo de nuevo."},
    "receipt_offer_email": {"en": "Email me a receipt for this payment",
                            "es": "Envíenme un recibo de este pago por correo electrónico"},
    "receipt_offer_sms": {"en": "Text me a receipt for this payment",
                          "es": "Envíenme un recibo de este pago por mensaje de texto"},
    "receipt_offer_hint": {
        "en": "You asked {business} to stop contacting you, so nothing about this payment is sent to you unless you "
              "ask for it here. Tick the box and we send one receipt with the amount, the date and the receipt "
              "number only. The receipt is shown on the next page either way.",
        "es": "Usted pidió a {business} que deje de comunicarse con usted, así que no le enviamos nada sobre este "
              "pago a menos que lo pida aquí. Marque la casilla y le enviamos un solo recibo con el monto, la fecha y "
              "el número de recibo únicamente. El recibo se muestra en la página siguiente de todos modos."},
    # payments: paying from a bank account (ACH)
    "method_ach": {"en": "Bank account (ACH)", "es": "Cuenta bancaria (ACH)"},
    "bank_not_here": {
        "en": "Paying from a bank account (ACH) needs the live payment processor, which this test environment does "
              "not use. Pay by card here.",
        "es": "Pagar desde una cuenta bancaria (ACH) requiere el procesador de pagos real, que este entorno de "
              "prueba no usa. Aquí pague con tarjeta."},
    "bank_legend": {"en": "Bank account details", "es": "Datos de la cuenta bancaria"},
    "bank_hint": {
        "en": "We pass your routing and account numbers to Stripe, {business}'s payment processor, and do not keep "
              "them: your receipt shows only the last 4 digits. A bank payment takes 3-5 business days to clear.",
        "es": "Enviamos sus números de ruta y de cuenta a Stripe, el procesador de pagos de {business}, y no los "
              "guardamos: su recibo muestra solo los últimos 4 dígitos. Un pago bancario tarda de 3 a 5 días "
              "hábiles en completarse."},
    "bank_holder_name": {"en": "Name on the account", "es": "Nombre del titular de la cuenta"},
    "bank_routing_number": {"en": "Routing number", "es": "Número de ruta (routing)"},
    "routing_hint": {"en": "9 digits, at the bottom left of a check.",
                     "es": "9 dígitos, en la parte inferior izquierda de un cheque."},
    "bank_account_number": {"en": "Account number", "es": "Número de cuenta"},
    "account_hint": {"en": "4 to 17 digits, after the routing number on a check.",
                     "es": "De 4 a 17 dígitos, después del número de ruta en un cheque."},
    "bank_account_number_confirm": {"en": "Account number again", "es": "Repita el número de cuenta"},
    "account_confirm_hint": {"en": "Type it once more so we know it is right.",
                             "es": "Escríbalo otra vez para confirmar que es correcto."},
    "account_type_legend": {"en": "Account type", "es": "Tipo de cuenta"},
    "account_checking": {"en": "Checking", "es": "Cuenta de cheques"},
    "account_savings": {"en": "Savings", "es": "Cuenta de ahorros"},
    "mandate_legend": {"en": "Your authorization", "es": "Su autorización"},
    "ach_mandate": {
        "en": "I authorize {business} to debit {amount} from the bank account above one time, on {date}, through "
              "its payment processor Stripe. This is a one-time debit: it allows no other debit. I am the account "
              "holder or allowed to use this account. I can cancel this authorization by contacting "
              "{business}{contact} before the debit is processed.",
        "es": "Autorizo a {business} a debitar {amount} de la cuenta bancaria indicada arriba una sola vez, el "
              "{date}, a través de su procesador de pagos Stripe. Es un débito único: no permite ningún otro débito. "
              "Soy titular de la cuenta o tengo permiso para usarla. Puedo cancelar esta autorización comunicándome "
              "con {business}{contact} antes de que se procese el débito."},
    "mandate_amount_unknown": {"en": "the amount above", "es": "el monto indicado arriba"},
    "err_holder_missing": {"en": "Enter the name on the bank account.",
                           "es": "Escriba el nombre del titular de la cuenta."},
    "err_holder_long": {"en": "Enter the name in 100 characters or fewer.",
                        "es": "Escriba el nombre en 100 caracteres o menos."},
    "err_routing_format": {"en": "Enter the 9-digit routing number.", "es": "Escriba el número de ruta de 9 dígitos."},
    "err_routing_checksum": {
        "en": "This is not a valid routing number. Check the 9 digits at the bottom left of a check.",
        "es": "Este número de ruta no es válido. Revise los 9 dígitos en la parte inferior izquierda de un cheque."},
    "err_routing_refused": {"en": "Stripe did not accept this routing number. Check it with your bank.",
                            "es": "Stripe no aceptó este número de ruta. Confírmelo con su banco."},
    "err_account_format": {"en": "Enter the account number: 4 to 17 digits.",
                           "es": "Escriba el número de cuenta: de 4 a 17 dígitos."},
    "err_account_mismatch": {"en": "The account numbers don't match. Type the account number again.",
                             "es": "Los números de cuenta no coinciden. Escriba otra vez el número de cuenta."},
    "err_account_refused": {"en": "Stripe did not accept this account number. Check it, or pay by card.",
                            "es": "Stripe no aceptó este número de cuenta. Revíselo o pague con tarjeta."},
    "err_account_type": {"en": "Choose checking or savings.", "es": "Elija cuenta de cheques o de ahorros."},
    "err_authorize": {"en": "Tick the box to authorize the debit, or pay by card.",
                      "es": "Marque la casilla para autorizar el débito, o pague con tarjeta."},
    "err_bank_refused": {"en": "This bank account could not be used. Check the details, or pay by card.",
                         "es": "No se pudo usar esta cuenta bancaria. Revise los datos o pague con tarjeta."},
    "bank_unavailable": {
        "en": "We could not reach the payment processor. Nothing was taken from your account: please try again in "
              "a few minutes.",
        "es": "No pudimos comunicarnos con el procesador de pagos. No se tomó nada de su cuenta: inténtelo de nuevo "
              "en unos minutos."},
    "bank_not_offered": {"en": "Bank payments are not available right now. Please pay by card.",
                         "es": "Los pagos bancarios no están disponibles en este momento. Pague con tarjeta."},
    "bank_failed": {"en": "Your payment did not go through: {reason} Nothing was taken from your bank account.",
                    "es": "Su pago no se procesó: {reason} No se tomó nada de su cuenta bancaria."},
    "bank_failed_hint": {"en": "Check the account details or pay by card, then try again.",
                         "es": "Revise los datos de la cuenta o pague con tarjeta e inténtelo de nuevo."},
    "bank_checking": {
        "en": "We don't have the payment processor's answer yet. Please don't pay again: check your payment history "
              "in a few minutes.",
        "es": "Todavía no tenemos la respuesta del procesador de pagos. No vuelva a pagar: consulte su historial de "
              "pagos en unos minutos."},
    "reason_bank_insufficient_funds": {"en": "the account does not have enough funds.",
                                       "es": "la cuenta no tiene fondos suficientes."},
    "reason_bank_unusable": {"en": "this bank account could not be used.",
                             "es": "no se pudo usar esta cuenta bancaria."},
    "reason_bank_unavailable": {"en": "the payment processor did not answer.",
                                "es": "el procesador de pagos no respondió."},
    "st_requires_action_ach": {"en": "Waiting for you to verify your bank account",
                               "es": "En espera de que verifique su cuenta bancaria"},
    "receipt_clear_email": {"en": "We'll email you the receipt when it clears.",
                            "es": "Le enviaremos el recibo por correo electrónico cuando se complete."},
    "receipt_clear_sms": {"en": "We'll text you the receipt when it clears.",
                          "es": "Le enviaremos el recibo por mensaje de texto cuando se complete."},
    "receipt_clear_page": {"en": "Your payment history on your account page shows when it clears.",
                           "es": "El historial de pagos en la página de su cuenta muestra cuándo se completa."},
    "receipt_bank_return": {
        "en": "If your bank returns the debit, nothing is paid: your balance stays as it was and your payment "
              "history says the payment did not go through.",
        "es": "Si su banco rechaza el débito, no se paga nada: su saldo queda igual y su historial de pagos indica "
              "que el pago no se procesó."},
    "verify_title": {"en": "Verify your bank account", "es": "Verifique su cuenta bancaria"},
    "verify_lead": {
        "en": "One more step before your bank payment starts: Stripe, {business}'s payment processor, needs to "
              "confirm that the account is yours. Nothing is taken from your account until then.",
        "es": "Falta un paso antes de que comience su pago bancario: Stripe, el procesador de pagos de {business}, "
              "necesita confirmar que la cuenta es suya. No se toma nada de su cuenta hasta entonces."},
    "verify_deposit": {"en": "Stripe is sending a $0.01 deposit to {account}. It should arrive by {date}.",
                       "es": "Stripe está enviando un depósito de $0.01 a {account}. Debería llegar a más tardar el "
                             "{date}."},
    "verify_deposit_soon": {
        "en": "Stripe is sending a $0.01 deposit to {account}. It usually arrives within 1-2 business days.",
        "es": "Stripe está enviando un depósito de $0.01 a {account}. Suele llegar en 1 o 2 días hábiles."},
    "verify_account_ending": {"en": "your account ending in {last4}", "es": "su cuenta terminada en {last4}"},
    "verify_account_plain": {"en": "your bank account", "es": "su cuenta bancaria"},
    "verify_code": {
        "en": "On your bank statement, the deposit's description starts with a 6-character code beginning with SM. "
              "Enter that code on Stripe's verification page, then the debit starts and takes 3-5 business days "
              "to clear.",
        "es": "En su estado de cuenta, la descripción del depósito empieza con un código de 6 caracteres que "
              "comienza con SM. Escriba ese código en la página de verificación de Stripe; entonces comienza el "
              "débito, que tarda de 3 a 5 días hábiles en completarse."},
    "verify_button": {"en": "Verify on Stripe's page", "es": "Verificar en la página de Stripe"},
    "verify_unavailable": {"en": "We could not load Stripe's verification page just now. Reload this page in a moment.",
                           "es": "No pudimos cargar la página de verificación de Stripe. Vuelva a cargar esta página "
                                 "en un momento."},
    # payments: the receipt
    "receipt_title": {"en": "Payment receipt", "es": "Recibo de pago"},
    "receipt_missing_title": {"en": "We can't find that receipt", "es": "No encontramos ese recibo"},
    "payment_missing": {"en": "We can't find that payment.", "es": "No encontramos ese pago."},
    "receipt_missing_body": {"en": "Your payments and their receipts are listed on your account page.",
                             "es": "Sus pagos y sus recibos aparecen en la página de su cuenta."},
    "receipt_thanks": {"en": "Thank you. We received your payment.", "es": "Gracias. Recibimos su pago."},
    "receipt_processing": {
        "en": "Your bank transfer has started. It usually takes 3-5 business days to complete; your balance "
              "changes when it does.",
        "es": "Su transferencia bancaria ya comenzó. Suele tardar de 3 a 5 días hábiles en completarse; su saldo "
              "cambia cuando se complete."},
    "receipt_card_processing": {
        "en": "The card processor is still confirming your payment; your balance changes when it does.",
        "es": "El procesador de tarjetas todavía está confirmando su pago; su saldo cambia cuando lo confirme."},
    "receipt_number": {"en": "Receipt number", "es": "Número de recibo"},
    "receipt_pending_number": {"en": "Given when the payment completes", "es": "Se asigna al completarse el pago"},
    "amount_paid": {"en": "Amount paid", "es": "Monto pagado"},
    "amount_sent": {"en": "Amount", "es": "Monto"},
    "paid_on": {"en": "Date and time", "es": "Fecha y hora"},
    "paid_to": {"en": "Paid to", "es": "Pagado a"},
    "paid_for": {"en": "Account", "es": "Cuenta"},
    "payment_method": {"en": "Payment method", "es": "Método de pago"},
    "payment_status": {"en": "Status", "es": "Estado"},
    "new_balance": {"en": "New balance", "es": "Nuevo saldo"},
    "balance_now": {"en": "Balance now", "es": "Saldo actual"},
    "refunded_amount": {"en": "Refunded", "es": "Reembolsado"},
    "paid_in_full_note": {"en": "Your account is paid in full.", "es": "Su cuenta está pagada en su totalidad."},
    "print_receipt": {"en": "Print receipt", "es": "Imprimir recibo"},
    "back_to_account": {"en": "Back to your account", "es": "Volver a su cuenta"},
    "card_ending": {"en": "{brand} ending in {last4}", "es": "{brand} terminada en {last4}"},
    "bank_ending": {"en": "{bank} account ending in {last4}", "es": "Cuenta de {bank} terminada en {last4}"},
    "bank_ending_plain": {"en": "Bank account ending in {last4}", "es": "Cuenta bancaria terminada en {last4}"},
    "pm_card": {"en": "Card", "es": "Tarjeta"},
    "pm_ach": {"en": "Bank account (ACH)", "es": "Cuenta bancaria (ACH)"},
    "pm_check": {"en": "Check", "es": "Cheque"},
    "pm_cash": {"en": "Cash", "es": "Efectivo"},
    "pm_money_order": {"en": "Money order", "es": "Giro postal"},
    "pm_other": {"en": "Other", "es": "Otro"},
    # payments: the history on the account page
    "history_title": {"en": "Payment history", "es": "Historial de pagos"},
    "history_empty": {
        "en": "You have not made any payments yet. When you do, each one shows here with its receipt.",
        "es": "Todavía no ha hecho ningún pago. Cuando lo haga, cada pago aparecerá aquí con su recibo."},
    "make_payment": {"en": "Make a payment", "es": "Hacer un pago"},
    "view_receipt": {"en": "Receipt", "es": "Recibo"},
    "view_receipt_for": {"en": "Receipt for {amount} on {date}", "es": "Recibo de {amount} del {date}"},
    "st_succeeded": {"en": "Paid", "es": "Pagado"},
    "st_processing": {"en": "Processing", "es": "En proceso"},
    "st_processing_ach": {"en": "Processing (bank transfer, 3-5 business days)",
                          "es": "En proceso (transferencia bancaria, de 3 a 5 días hábiles)"},
    "st_pending": {"en": "Not finished", "es": "Sin terminar"},
    "st_requires_action": {"en": "Waiting for your bank's confirmation",
                           "es": "En espera de la confirmación de su banco"},
    "st_failed": {"en": "Did not go through", "es": "No se procesó"},
    "st_refunded": {"en": "Refunded", "es": "Reembolsado"},
    "st_partially_refunded": {"en": "Partly refunded", "es": "Reembolsado en parte"},
    "st_disputed": {"en": "Disputed with your bank", "es": "En disputa con su banco"},
    # profile: contact details and language (PRD 8.4.1 "Profile")
    "nav_profile": {"en": "Profile", "es": "Perfil"},
    "profile_title": {"en": "Your profile", "es": "Su perfil"},
    "profile_lead": {
        "en": "Your contact details, your language and the messages {business} may send you.",
        "es": "Sus datos de contacto, su idioma y los mensajes que {business} puede enviarle."},
    "contact_title": {"en": "Contact details", "es": "Datos de contacto"},
    "email_section": {"en": "Email address", "es": "Correo electrónico"},
    "email_current": {"en": "We have {address}.", "es": "Tenemos {address}."},
    "email_none": {"en": "We have no email address for you.", "es": "No tenemos un correo electrónico suyo."},
    "new_email": {"en": "New email address", "es": "Nuevo correo electrónico"},
    "new_email_hint": {
        "en": "We'll send emails about your account to this address. You can stop them below at any time.",
        "es": "Le enviaremos los correos sobre su cuenta a esta dirección. Puede detenerlos abajo en cualquier "
              "momento."},
    "save_email": {"en": "Save email address", "es": "Guardar correo electrónico"},
    "phone_section": {"en": "Mobile phone", "es": "Teléfono celular"},
    "phone_current": {"en": "We have {address}.", "es": "Tenemos {address}."},
    "phone_none": {"en": "We have no mobile number for you.", "es": "No tenemos un número de celular suyo."},
    "new_phone": {"en": "New mobile number", "es": "Nuevo número de celular"},
    "new_phone_hint": {
        "en": "A US number like (214) 555-0143, or + and the country code for a number in another country.",
        "es": "Un número de EE. UU. como (214) 555-0143, o + y el código del país para un número de otro país."},
    "texts_ok": {
        "en": "{business} may send text messages to this number about my account. I can reply STOP at any time to "
              "stop them.",
        "es": "{business} puede enviar mensajes de texto a este número sobre mi cuenta. Puedo responder STOP en "
              "cualquier momento para detenerlos."},
    "phone_verify_note": {
        "en": "Before we text a new number, we may first check that it has not been given to someone else.",
        "es": "Antes de enviar mensajes de texto a un número nuevo, es posible que primero verifiquemos que no se le "
              "haya asignado a otra persona."},
    "save_phone": {"en": "Save mobile number", "es": "Guardar número de celular"},
    "language_section": {"en": "Language", "es": "Idioma"},
    "language_legend": {"en": "Language for this portal and our messages",
                        "es": "Idioma de este portal y de nuestros mensajes"},
    "save_language": {"en": "Save language", "es": "Guardar idioma"},
    "err_email_missing": {"en": "Enter your new email address.", "es": "Escriba su nuevo correo electrónico."},
    "err_email": {"en": "Enter an email address like name@example.com.",
                  "es": "Escriba un correo electrónico como nombre@ejemplo.com."},
    "err_email_same": {"en": "That is the email address we already have.",
                       "es": "Ese es el correo electrónico que ya tenemos."},
    "err_phone_missing": {"en": "Enter your new mobile number.", "es": "Escriba su nuevo número de celular."},
    "err_phone": {"en": "Enter a phone number we can reach, like (214) 555-0143.",
                  "es": "Escriba un número de teléfono válido, como (214) 555-0143."},
    "err_phone_same": {"en": "That is the mobile number we already have.",
                       "es": "Ese es el número de celular que ya tenemos."},
    "err_language": {"en": "Choose English or Spanish.", "es": "Elija inglés o español."},
    "email_saved": {"en": "Done. We'll use your new email address from now on.",
                    "es": "Listo. Desde ahora usaremos su nuevo correo electrónico."},
    "phone_saved": {"en": "Done. We'll use your new mobile number from now on.",
                    "es": "Listo. Desde ahora usaremos su nuevo número de celular."},
    "phone_saved_texts": {
        "en": "Done. We'll use your new mobile number from now on, and text messages to it are on.",
        "es": "Listo. Desde ahora usaremos su nuevo número de celular, y los mensajes de texto a ese número están "
              "activados."},
    "language_saved": {"en": "Done. We'll use English on this portal and in our messages.",
                       "es": "Listo. Usaremos español en este portal y en nuestros mensajes."},
    # dispute documents and the confirmation
    "documents_label": {"en": "Documents (optional)", "es": "Documentos (opcional)"},
    "documents_hint": {
        "en": "Up to 3 files, PDF, JPG or PNG, 5 MB each: for example a receipt, a statement or a letter.",
        "es": "Hasta 3 archivos PDF, JPG o PNG de 5 MB cada uno: por ejemplo, un recibo, un estado de cuenta o una "
              "carta."},
    "err_files_many": {"en": "Attach at most 3 files.", "es": "Adjunte como máximo 3 archivos."},
    "err_file_empty": {"en": "{name} is empty.", "es": "{name} está vacío."},
    "err_file_size": {"en": "{name} is larger than 5 MB.", "es": "{name} pesa más de 5 MB."},
    "err_file_type": {"en": "{name} is not a PDF, JPG or PNG file.", "es": "{name} no es un archivo PDF, JPG o PNG."},
    "err_file_content": {
        "en": "The content of {name} is not a PDF, JPG or PNG file that matches its name.",
        "es": "El contenido de {name} no es un archivo PDF, JPG o PNG que coincida con su nombre."},
    "files_again": {"en": "Your request was not sent yet. Choose your files again before you send it.",
                    "es": "Su solicitud aún no se envió. Vuelva a elegir sus archivos antes de enviarla."},
    "done_title": {"en": "Request received", "es": "Solicitud recibida"},
    "done_what": {"en": "What you sent", "es": "Lo que envió"},
    "done_when": {"en": "Received", "es": "Recibida"},
    "done_documents": {"en": "Documents", "es": "Documentos"},
    "done_no_documents": {"en": "None", "es": "Ninguno"},
    "done_hold_dispute": {
        "en": "We have stopped collection messages about this debt until {business} sends you verification of the "
              "debt. You may still get that verification and other answers to your request.",
        "es": "Dejamos de enviarle mensajes de cobro sobre esta deuda hasta que {business} le envíe la verificación "
              "de la deuda. Aún puede recibir esa verificación y otras respuestas a su solicitud."},
    "done_hold_creditor": {
        "en": "We have stopped collection messages about this debt until {business} sends you the name and address "
              "of the original creditor.",
        "es": "Dejamos de enviarle mensajes de cobro sobre esta deuda hasta que {business} le envíe el nombre y la "
              "dirección del acreedor original."},
    "done_late": {
        "en": "It arrived after the dispute deadline. {business} will review it and answer in writing.",
        "es": "Llegó después de la fecha límite para disputar. {business} la revisará y le responderá por escrito."},
    # payment plan agreement
    "agreement_title": {"en": "Your payment plan agreement", "es": "Su acuerdo de plan de pagos"},
    "agreement_lead": {
        "en": "Read the payment schedule and the agreement. To accept the plan, type your name and check the box at "
              "the end.",
        "es": "Lea el calendario de pagos y el acuerdo. Para aceptar el plan, escriba su nombre y marque la casilla "
              "al final."},
    "agreement_schedule": {"en": "Payment schedule", "es": "Calendario de pagos"},
    "agreement_payment": {"en": "Payment", "es": "Pago"},
    "agreement_row_down": {"en": "Down payment", "es": "Pago inicial"},
    "agreement_row_n": {"en": "Installment {n}", "es": "Cuota {n}"},
    "agreement_due": {"en": "Due date", "es": "Fecha de vencimiento"},
    "agreement_amount": {"en": "Amount", "es": "Monto"},
    "agreement_total": {"en": "Total", "es": "Total"},
    "agreement_auto_pay": {"en": "Automatic payments", "es": "Pagos automáticos"},
    "agreement_on": {"en": "On", "es": "Activados"},
    "agreement_off": {"en": "Off", "es": "Desactivados"},
    "agreement_text": {"en": "The agreement", "es": "El acuerdo"},
    "agreement_sign": {"en": "Sign the agreement", "es": "Firmar el acuerdo"},
    "agreement_name_label": {"en": "Type your full name", "es": "Escriba su nombre completo"},
    "agreement_name_hint": {"en": "Your first and last name, as they appear on your account.",
                            "es": "Su nombre y apellido, como aparecen en su cuenta."},
    "agreement_consent": {"en": "I have read this agreement and I agree to it.",
                          "es": "Leí este acuerdo y estoy de acuerdo."},
    "agreement_sign_hint": {
        "en": "Typing your name and checking the box is your electronic signature. We keep the time, your IP address "
              "and a fingerprint (SHA-256) of the text you sign.",
        "es": "Escribir su nombre y marcar la casilla es su firma electrónica. Guardamos la hora, su dirección IP y "
              "una huella (SHA-256) del texto que firma."},
    "agreement_sign_button": {"en": "Sign the agreement", "es": "Firmar el acuerdo"},
    "err_agreement_consent": {"en": "Check the box to agree to the plan.",
                              "es": "Marque la casilla para aceptar el plan."},
    "err_agreement_name_missing": {"en": "Type your full name to sign.",
                                   "es": "Escriba su nombre completo para firmar."},
    "err_agreement_name": {"en": "Type your first and last name as they appear on your account.",
                           "es": "Escriba su nombre y apellido como aparecen en su cuenta."},
    "agreement_changed": {
        "en": "The plan changed since you opened this page. Read the updated agreement below before you sign.",
        "es": "El plan cambió desde que abrió esta página. Lea el acuerdo actualizado antes de firmar."},
    "agreement_closed": {
        "en": "This payment plan is no longer open, so it cannot be signed. Contact us if you have questions.",
        "es": "Este plan de pagos ya no está abierto, así que no se puede firmar. Comuníquese con nosotros si "
              "tiene preguntas."},
    "agreement_signed_title": {"en": "Agreement signed", "es": "Acuerdo firmado"},
    "agreement_signed_body": {"en": "You signed this agreement on {when} as {name}.",
                              "es": "Usted firmó este acuerdo el {when} como {name}."},
    "agreement_active": {"en": "Your payment plan is active.", "es": "Su plan de pagos está activo."},
    "agreement_down_due": {
        "en": "Your plan starts once your down payment of {amount} is received.",
        "es": "Su plan comienza cuando recibamos su pago inicial de {amount}."},
    "agreement_copy": {
        "en": "We sent a copy to the email or phone number on your account. You can also download it here at any "
              "time.",
        "es": "Enviamos una copia al correo electrónico o al teléfono de su cuenta. También puede descargarla aquí "
              "en cualquier momento."},
    "agreement_copy_here": {"en": "You can download your signed copy here at any time.",
                            "es": "Puede descargar su copia firmada aquí en cualquier momento."},
    "agreement_download": {"en": "Download the signed agreement (PDF)",
                           "es": "Descargar el acuerdo firmado (PDF)"},
    "agreement_missing_title": {"en": "Payment plan not found", "es": "No encontramos el plan de pagos"},
    "agreement_missing_body": {
        "en": "We could not find this payment plan on your account. Go back to your account to see what is there.",
        "es": "No encontramos este plan de pagos en su cuenta. Vuelva a su cuenta para ver lo que hay en ella."},
    # choosing a payment plan, and paying an installment now
    "plan_new_title": {"en": "Pay over time", "es": "Pagar a plazos"},
    "plan_new_lead": {
        "en": "Choose a payment plan for your balance of {amount}. You review and sign the agreement next.",
        "es": "Elija un plan de pagos para su saldo de {amount}. Después revisa y firma el acuerdo."},
    "plan_none_title": {"en": "No payment plan to choose", "es": "No hay un plan de pagos para elegir"},
    "plan_open": {"en": "Your account already has a payment plan.", "es": "Su cuenta ya tiene un plan de pagos."},
    "plan_too_small": {
        "en": "Your balance is small enough to pay at once: a payment plan is not offered for it.",
        "es": "Su saldo es lo bastante pequeño para pagarlo de una vez: no se ofrece un plan de pagos."},
    "plan_afford_title": {"en": "What can you afford?", "es": "¿Cuánto puede pagar?"},
    "plan_afford_label": {"en": "I can afford", "es": "Puedo pagar"},
    "plan_afford_hint": {"en": "Each payment, in dollars. The plans below are recalculated for it.",
                         "es": "Cada pago, en dólares. Los planes de abajo se recalculan con ese monto."},
    "plan_per": {"en": "Per", "es": "Cada"},
    "plan_afford_button": {"en": "Show plans", "es": "Ver planes"},
    "plan_afford_result": {"en": "Plans with payments of up to {amount} {per} where the policy allows it.",
                           "es": "Planes con pagos de hasta {amount} {per} donde la política lo permite."},
    "plan_no_proposals": {"en": "No ready-made plan fits this choice. Choose your own below.",
                          "es": "Ningún plan ya preparado se ajusta a esta opción. Elija el suyo abajo."},
    "plan_choose_title": {"en": "Choose a plan", "es": "Elija un plan"},
    "plan_name_standard": {"en": "Standard plan", "es": "Plan estándar"},
    "plan_name_flexible": {"en": "Flexible plan", "es": "Plan flexible"},
    "plan_name_hardship": {"en": "Hardship plan", "es": "Plan por dificultades"},
    "plan_down_today": {"en": "{amount} down today", "es": "{amount} de pago inicial hoy"},
    "plan_no_down": {"en": "Nothing down today", "es": "Sin pago inicial"},
    "plan_n_of": {"en": "{n} payments of {amount} {per}", "es": "{n} pagos de {amount} {per}"},
    "plan_last_is": {"en": "The last payment is {amount}", "es": "El último pago es de {amount}"},
    "plan_first_on": {"en": "First payment {date}", "es": "Primer pago el {date}"},
    "plan_total": {"en": "Total {amount}", "es": "Total {amount}"},
    "plan_over_affordable": {"en": "More than you said you can afford: the plan policy allows no smaller payments.",
                             "es": "Más de lo que dijo que puede pagar: la política de planes no permite pagos "
                                   "más pequeños."},
    "plan_freq_weekly": {"en": "Week", "es": "Semana"},
    "plan_freq_biweekly": {"en": "Two weeks", "es": "Dos semanas"},
    "plan_freq_monthly": {"en": "Month", "es": "Mes"},
    "plan_per_weekly": {"en": "a week", "es": "por semana"},
    "plan_per_biweekly": {"en": "every two weeks", "es": "cada dos semanas"},
    "plan_per_monthly": {"en": "a month", "es": "al mes"},
    "plan_custom_title": {"en": "Choose your own", "es": "Elija el suyo"},
    "plan_custom_hint": {"en": "Payments of at least {minimum}, over at most {months} months.",
                         "es": "Pagos de al menos {minimum}, en un máximo de {months} meses."},
    "plan_count_label": {"en": "Number of payments", "es": "Número de pagos"},
    "plan_frequency_label": {"en": "How often", "es": "Con qué frecuencia"},
    "plan_down_label": {"en": "Down payment today", "es": "Pago inicial hoy"},
    "plan_down_hint": {"en": "At least {minimum}.", "es": "Al menos {minimum}."},
    "plan_down_hint_none": {"en": "Optional: 0 for none.", "es": "Opcional: 0 si no hay pago inicial."},
    "plan_start_label": {"en": "Start date", "es": "Fecha de inicio"},
    "plan_start_hint": {"en": "From today to {last}. The first payment is one period later.",
                        "es": "Desde hoy hasta el {last}. El primer pago es un período después."},
    "plan_preview_caption": {"en": "Your schedule: {total} in all", "es": "Su calendario: {total} en total"},
    "plan_preview_button": {"en": "Show the schedule", "es": "Ver el calendario"},
    "plan_autopay_title": {"en": "Automatic payments", "es": "Pagos automáticos"},
    "plan_autopay_lead": {
        "en": "With automatic payments, each payment is charged to your card on its date, and we remind you 3 days "
              "before. Without them, we send you a reminder with a link to pay.",
        "es": "Con pagos automáticos, cada pago se cobra a su tarjeta en su fecha y le avisamos 3 días antes. Sin "
              "ellos, le enviamos un recordatorio con un enlace para pagar."},
    "plan_autopay_card": {"en": "Pay automatically with my card", "es": "Pagar automáticamente con mi tarjeta"},
    "plan_autopay_none": {"en": "I will pay each one myself", "es": "Pagaré cada uno yo mismo"},
    "plan_card_needs_js": {"en": "To save a card, turn on JavaScript. You can also choose to pay each one yourself.",
                           "es": "Para guardar una tarjeta, active JavaScript. También puede elegir pagar cada uno "
                                 "usted mismo."},
    "plan_card_hint": {"en": "Your card is saved by Stripe for this plan's payments to {business}.",
                       "es": "Stripe guarda su tarjeta para los pagos de este plan a {business}."},
    "plan_saving_card": {"en": "Saving your card…", "es": "Guardando su tarjeta…"},
    "plan_continue": {"en": "Continue to the agreement", "es": "Continuar al acuerdo"},
    "plan_continue_hint": {"en": "Nothing is charged until you sign the agreement.",
                           "es": "No se cobra nada hasta que firme el acuerdo."},
    "err_plan_choice": {"en": "Choose one of the plans.", "es": "Elija uno de los planes."},
    "err_plan_affordable": {"en": "Enter an amount in dollars, like 50.",
                            "es": "Escriba un monto en dólares, como 50."},
    "err_plan_count": {"en": "Enter the number of payments, like 6.", "es": "Escriba el número de pagos, como 6."},
    "err_plan_frequency": {"en": "Choose how often you pay.", "es": "Elija con qué frecuencia paga."},
    "err_plan_down": {"en": "Enter the down payment in dollars, like 50.00, or 0.",
                      "es": "Escriba el pago inicial en dólares, como 50.00, o 0."},
    "err_plan_down_min": {"en": "The down payment must be at least {minimum_down}.",
                          "es": "El pago inicial debe ser de al menos {minimum_down}."},
    "err_plan_down_range": {"en": "The down payment must be less than {amount} (or 0), and at least $1.00.",
                            "es": "El pago inicial debe ser menor de {amount} (o 0) y de al menos $1.00."},
    "err_plan_too_long": {"en": "A plan can last at most {months} months: choose fewer payments.",
                          "es": "Un plan puede durar como máximo {months} meses: elija menos pagos."},
    "err_plan_too_small": {"en": "Each payment must be at least {min_installment}: choose fewer payments.",
                           "es": "Cada pago debe ser de al menos {min_installment}: elija menos pagos."},
    "err_plan_start": {"en": "Choose a start date from today to {last}.",
                       "es": "Elija una fecha de inicio desde hoy hasta el {last}."},
    "err_plan_card": {"en": "Enter your card for automatic payments, or choose to pay each one yourself.",
                      "es": "Ingrese su tarjeta para los pagos automáticos, o elija pagar cada uno usted mismo."},
    "err_plan_card_declined": {"en": "Your card was declined. Try another card, or choose to pay each one yourself.",
                               "es": "Su tarjeta fue rechazada. Pruebe otra tarjeta, o elija pagar cada uno usted "
                                     "mismo."},
    "plan_offer_title": {"en": "Can't pay it all at once?", "es": "¿No puede pagarlo todo de una vez?"},
    "plan_offer_body": {"en": "Choose a payment plan that fits your budget.",
                        "es": "Elija un plan de pagos que se ajuste a su presupuesto."},
    "plan_offer_button": {"en": "Pay over time", "es": "Pagar a plazos"},
    "plan_see_yours": {"en": "See your payment plan", "es": "Ver su plan de pagos"},
    "plan_see_schedule": {"en": "See your payment schedule", "es": "Ver su calendario de pagos"},
    "plan_row_status": {"en": "Status", "es": "Estado"},
    "inst_scheduled": {"en": "Upcoming", "es": "Próximo"},
    "inst_processing": {"en": "Processing", "es": "En proceso"},
    "inst_paid": {"en": "Paid", "es": "Pagado"},
    "inst_failed": {"en": "Did not go through", "es": "No se realizó"},
    "inst_skipped": {"en": "Missed", "es": "No pagado"},
    "inst_canceled": {"en": "Canceled", "es": "Cancelado"},
    "plan_pay_down_now": {"en": "Pay the down payment now ({amount})", "es": "Pagar el pago inicial ahora ({amount})"},
    "plan_pay_n_now": {"en": "Pay installment {n} now ({amount})", "es": "Pagar la cuota {n} ahora ({amount})"},
    "plan_down_failed": {"en": "The down payment did not go through: {reason}",
                         "es": "El pago inicial no se realizó: {reason}"},
    "plan_down_processing": {"en": "Your down payment is being processed.",
                             "es": "Su pago inicial se está procesando."},
    "pay_down_title": {"en": "Pay your down payment", "es": "Pagar su pago inicial"},
    "pay_installment_title": {"en": "Pay installment {n}", "es": "Pagar la cuota {n}"},
    "pay_installment_lead": {"en": "{amount}, due {date}, for your payment plan.",
                             "es": "{amount}, con vencimiento el {date}, de su plan de pagos."},
    "installment_amount_hint": {"en": "The amount of this payment of your plan.",
                                "es": "El monto de este pago de su plan."},
    "installment_missing_title": {"en": "Payment not found", "es": "No encontramos el pago"},
    "installment_missing_body": {
        "en": "We could not find this plan payment on your account. Go back to your account to see what is there.",
        "es": "No encontramos este pago del plan en su cuenta. Vuelva a su cuenta para ver lo que hay en ella."},
    "installment_done_title": {"en": "Nothing to pay here", "es": "No hay nada que pagar aquí"},
    "installment_paid": {"en": "This payment is already paid. Thank you.", "es": "Este pago ya está pagado. Gracias."},
    "installment_processing": {"en": "This payment is being processed. Check back in a few minutes.",
                               "es": "Este pago se está procesando. Vuelva a revisar en unos minutos."},
    "installment_not_payable": {"en": "This payment cannot be paid now: it is paid, being processed, or its plan "
                                      "has ended.",
                                "es": "Este pago no se puede hacer ahora: ya está pagado, se está procesando o su "
                                      "plan terminó."},
    # asking to change a payment plan
    "change_link": {"en": "Request a change", "es": "Solicitar un cambio"},
    "change_title": {"en": "Ask to change your payment plan", "es": "Solicitar un cambio en su plan de pagos"},
    "change_lead": {
        "en": "Tell us what you need and why. {business} reviews every request and tells you the answer; until then "
              "your plan stays as it is.",
        "es": "Díganos qué necesita y por qué. {business} revisa cada solicitud y le comunica la respuesta; mientras "
              "tanto, su plan sigue igual."},
    "change_plan_now": {"en": "Your plan now", "es": "Su plan ahora"},
    "change_next": {"en": "Next payment", "es": "Próximo pago"},
    "change_each": {"en": "Each installment", "es": "Cada cuota"},
    "change_status_label": {"en": "Plan status", "es": "Estado del plan"},
    "change_plan_active": {"en": "Active", "es": "Activo"},
    "change_plan_pending": {"en": "Waiting for the first payment", "es": "En espera del primer pago"},
    "change_plan_paused": {"en": "Paused", "es": "En pausa"},
    "change_plan_paused_until": {"en": "Paused until {date}", "es": "En pausa hasta el {date}"},
    "change_no_fees": {"en": "No late fees are ever added to your plan.",
                       "es": "Nunca se agregan cargos por pago atrasado a su plan."},
    "change_form_title": {"en": "What do you need?", "es": "¿Qué necesita?"},
    "change_kind_date": {"en": "A different payment date", "es": "Otra fecha de pago"},
    "change_kind_date_hint": {"en": "Move your next payment to another day, up to one payment period later.",
                              "es": "Mueva su próximo pago a otro día, hasta un período de pago más tarde."},
    "change_kind_amount": {"en": "A different amount", "es": "Otro monto"},
    "change_kind_amount_hint": {"en": "Pay less each time over more payments, or more each time over fewer.",
                                "es": "Pague menos cada vez en más pagos, o más cada vez en menos pagos."},
    "change_kind_pause": {"en": "A pause because of hardship", "es": "Una pausa por dificultades económicas"},
    "change_kind_pause_hint": {"en": "Skip 1 to {max} payments; your plan starts again by itself afterwards.",
                               "es": "Omita de 1 a {max} pagos; después su plan se reanuda solo."},
    "change_date_label": {"en": "New date for your next payment", "es": "Nueva fecha de su próximo pago"},
    "change_amount_label": {"en": "Amount you can pay each time ($)", "es": "Monto que puede pagar cada vez ($)"},
    "change_count_label": {"en": "Or the number of payments in all", "es": "O el número total de pagos"},
    "change_amount_hint": {"en": "Fill in one of the two. Each payment must be at least {min}.",
                           "es": "Complete uno de los dos. Cada pago debe ser de al menos {min}."},
    "change_periods_label": {"en": "Payments to skip", "es": "Pagos a omitir"},
    "change_reason_label": {"en": "Why do you need this change?", "es": "¿Por qué necesita este cambio?"},
    "change_reason_hint": {"en": "A few words are enough (up to {max} characters).",
                           "es": "Bastan unas palabras (hasta {max} caracteres)."},
    "change_submit": {"en": "Send my request", "es": "Enviar mi solicitud"},
    "change_requests_title": {"en": "Your requests", "es": "Sus solicitudes"},
    "change_status_pending": {"en": "Waiting for an answer", "es": "En espera de respuesta"},
    "change_status_approved": {"en": "Approved", "es": "Aprobada"},
    "change_status_declined": {"en": "Not approved", "es": "No aprobada"},
    "change_status_withdrawn": {"en": "Withdrawn", "es": "Retirada"},
    "change_sent_on": {"en": "Sent {when}", "es": "Enviada el {when}"},
    "change_decline_reason": {"en": "Reason: {reason}", "es": "Motivo: {reason}"},
    "change_sent": {
        "en": "Your request was sent. We will tell you the answer; until then your plan stays as it is.",
        "es": "Enviamos su solicitud. Le comunicaremos la respuesta; mientras tanto, su plan sigue igual."},
    "change_withdraw": {"en": "Withdraw my request", "es": "Retirar mi solicitud"},
    "change_withdrawn": {"en": "You withdrew your request. Your plan stays as it is.",
                         "es": "Retiró su solicitud. Su plan sigue igual."},
    "change_pending": {
        "en": "You already have a request waiting for an answer. Withdraw it first to ask for something else.",
        "es": "Ya tiene una solicitud en espera de respuesta. Retírela primero para pedir otra cosa."},
    "change_closed": {"en": "This plan has ended, so it can no longer be changed.",
                      "es": "Este plan terminó, así que ya no se puede cambiar."},
    "change_decided": {"en": "This request has already been answered.",
                       "es": "Esta solicitud ya fue respondida."},
    "change_what_date": {"en": "Move the next payment to {date}", "es": "Mover el próximo pago al {date}"},
    "change_what_amount": {"en": "Pay at most {amount} each time", "es": "Pagar como máximo {amount} cada vez"},
    "change_what_count": {"en": "{count} payments in all", "es": "{count} pagos en total"},
    "change_what_pause": {"en": "Skip {n} payment(s)", "es": "Omitir {n} pago(s)"},
    "change_back": {"en": "Back to your agreement", "es": "Volver a su acuerdo"},
    "err_change_kind": {"en": "Choose what you need: a date, an amount or a pause.",
                        "es": "Elija lo que necesita: una fecha, un monto o una pausa."},
    "err_change_reason": {"en": "Tell us why you need the change.", "es": "Díganos por qué necesita el cambio."},
    "err_change_reason_long": {"en": "Keep the reason under {max} characters.",
                               "es": "Escriba el motivo en menos de {max} caracteres."},
    "err_change_pause_active": {"en": "A plan can be paused only once its payments have started.",
                                "es": "Un plan solo se puede pausar cuando sus pagos ya comenzaron."},
    "err_change_periods": {"en": "Choose to skip 1 to {max} payments.", "es": "Elija omitir de 1 a {max} pagos."},
    "err_change_date": {"en": "Choose the new date.", "es": "Elija la nueva fecha."},
    "err_change_date_past": {"en": "Choose a date after today.", "es": "Elija una fecha posterior a hoy."},
    "err_change_date_late": {"en": "Choose a date no later than {latest}. To skip payments, ask for a pause.",
                             "es": "Elija una fecha no posterior al {latest}. Para omitir pagos, pida una pausa."},
    "err_change_amount": {"en": "Enter the amount you can pay each time, or the number of payments (one of the two).",
                          "es": "Escriba el monto que puede pagar cada vez o el número de pagos (uno de los dos)."},
    "err_change_amount_min": {"en": "Each payment must be at least {min}.",
                              "es": "Cada pago debe ser de al menos {min}."},
    "err_change_amount_long": {"en": "Your plan cannot run that long: the smallest payment possible is {least}.",
                               "es": "Su plan no puede durar tanto: el pago más pequeño posible es {least}."},
    "err_change_count": {"en": "Choose more than the {made} payments already made.",
                         "es": "Elija más que los {made} pagos ya hechos."},
    "err_change_count_long": {"en": "Your plan can have at most {longest} payments.",
                              "es": "Su plan puede tener como máximo {longest} pagos."},
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
