"""The debtor's Profile page and a dispute with a document on a 375 px phone: an inline error, a new email and mobile
number, Spanish chosen for the portal, then a dispute with a PDF confirmed on the account page; each state checked
with axe and photographed at 375 and 1280 px."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api
from tests.e2e.test_portal import _business_setup, _daytime_place, _look, _manager_token, _new_account

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_a_debtor_updates_the_profile_and_disputes_with_a_document_on_a_phone(page, browser, live_server):
    base = str(live_server)
    _business_setup(page, base)
    token = _manager_token(base)
    place = _daytime_place()
    account = _new_account(base, token, place)
    url = _api(base, "POST", f"/accounts/{account['id']}/payment-link", token, {"send": False})["data"]["url"]

    debtor = browser.new_context(viewport={"width": 375, "height": 812})
    phone = debtor.new_page()
    phone.goto(url)
    phone.get_by_label("Last name").fill("Pena")
    phone.get_by_label("ZIP code").fill(place[1])
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/p/pay")

    nav = phone.get_by_role("navigation", name="Portal sections")
    nav.get_by_role("link", name="Profile").click()
    phone.wait_for_url("**/p/preferences")
    expect(phone.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    expect(nav.get_by_role("link", name="Profile")).to_have_attribute("aria-current", "page")
    expect(phone.get_by_role("heading", name="How we contact you")).to_be_visible()
    expect(phone.locator(".preference")).to_have_count(3)  # texts, WhatsApp and email
    _look(phone, "portal-profile")

    phone.get_by_label("New email address").fill("dana@@example")
    phone.get_by_role("button", name="Save email address").click()
    error = phone.locator("#email-error")
    expect(error).to_have_text("Enter an email address like name@example.com.")
    expect(phone.get_by_label("New email address")).to_have_attribute("aria-invalid", "true")
    _look(phone, "portal-profile-error")

    phone.get_by_label("New email address").fill("Dana.New@Example.org")
    phone.get_by_role("button", name="Save email address").click()
    expect(phone.get_by_role("status").filter(has_text="We'll use your new email address")).to_be_visible()
    expect(phone.locator("#email-section")).to_contain_text("We have d•••@example.org.")

    phone.get_by_label("New mobile number").fill(f"({place[2]}) 555-0142")
    phone.get_by_label("may send text messages to this number").check()
    phone.get_by_role("button", name="Save mobile number").click()
    expect(phone.get_by_role("status").filter(has_text="text messages to it are on")).to_be_visible()
    expect(phone.locator("#phone-section")).to_contain_text("•••-•••-0142")
    _look(phone, "portal-profile-saved")

    phone.get_by_label("Español").check()
    phone.get_by_role("button", name="Save language").click()
    expect(phone.get_by_role("heading", name="Su perfil", level=1)).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text="Usaremos español")).to_be_visible()
    assert phone.locator("html").get_attribute("lang") == "es"
    _look(phone, "portal-profile-es")

    stored = _api(base, "GET", f"/accounts/{account['id']}", token)["data"]
    assert (stored["email"], stored["phone"], stored["preferredLanguage"]) == \
        ("dana.new@example.org", f"+1{place[2]}5550142", "es")

    phone.get_by_role("navigation", name="Secciones del portal").get_by_role("link", name="Cuenta").click()
    phone.wait_for_url("**/p/account")
    phone.get_by_label("Disputo toda esta deuda").check()
    phone.get_by_label("Documentos (opcional)").set_input_files(
        [{"name": "recibo.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    phone.get_by_role("button", name="Enviar").click()
    done = phone.locator("#dispute-done")
    expect(done).to_contain_text("Solicitud recibida")
    expect(done).to_contain_text("recibo.pdf")
    expect(done).to_contain_text("Dejamos de enviarle mensajes de cobro")
    _look(phone, "portal-dispute-confirmed-es")
    debtor.close()
