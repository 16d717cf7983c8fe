"""Export from the grid: the menu follows the current filter (also after an HTMX swap), the columns and format the
user picks, XLSX content and its row cap, and the saved-view form carrying the live filter."""
import csv
import io
import re

import openpyxl

from app.services.accounts import export
from tests.factories import gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true", "HX-Target": "account-results"}


def _hidden(html: str, form_class: str) -> dict:
    form = re.search(rf'<form[^>]*class="{form_class}"[^>]*>(.*?)</form>', html, re.S).group(1)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_the_export_menu_and_save_view_follow_the_filter_of_the_last_swap(client, clock):
    business = gen_business()
    gen_account(business, last_name="Lopez", tags=["medical"])
    gen_account(business, last_name="Brown")
    sign_in(client, gen_user(business, "manager"), clock)
    html = client.get("/accounts/?search=lop&tags=medical&page=1", headers=HX).get_data(as_text=True)
    assert _hidden(html, "export-form") == {"search": "lop", "tags": "medical"}
    assert {"f_search": "lop", "f_tags": "medical"}.items() <= _hidden(html, "form-row").items()
    assert 'name="columns" value="accountNumber" checked' in html and 'value="xlsx"' in html
    assert "Export 1<" in html


def test_agents_see_no_export(client, clock):
    business = gen_business()
    gen_account(business, last_name="Lopez")
    sign_in(client, gen_user(business, "agent"), clock)
    assert "export-form" not in client.get("/accounts/").get_data(as_text=True)


def test_picked_columns_in_their_order_from_a_checkbox_form(client, clock):
    business = gen_business()
    gen_account(business, last_name="Lopez", account_number="A-1", email="=cmd@example.com")
    gen_account(business, last_name="Brown", account_number="A-2")
    sign_in(client, gen_user(business, "manager"), clock)
    response = client.get("/api/v1/accounts/export?format=csv&search=lop&columns=email&columns=accountNumber")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [["accountNumber", "email"], ["A-1", "'=cmd@example.com"]]


def test_xlsx_holds_the_rows_and_refuses_more_than_a_sheet_can(client, clock, monkeypatch):
    business = gen_business()
    for n in range(3):
        gen_account(business, last_name=f"Debtor{n}", account_number=f"X-{n}")
    sign_in(client, gen_user(business, "business_admin"), clock)
    response = client.get("/api/v1/accounts/export?format=xlsx&columns=accountNumber,lastName")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["accountNumber", "lastName"], ["X-0", "Debtor0"], ["X-1", "Debtor1"], ["X-2", "Debtor2"]]
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)
    too_many = client.get("/api/v1/accounts/export?format=xlsx")
    assert too_many.status_code == 400 and too_many.get_json()["error"]["field"] == "format"


def test_bulk_export_of_ticked_rows_and_of_everything_matching(client, clock):
    business = gen_business()
    a = gen_account(business, last_name="Lopez", account_number="T-1")
    gen_account(business, last_name="Lopez", account_number="T-2")
    c = gen_account(business, last_name="Brown", account_number="T-3")
    other = gen_account(gen_business(), last_name="Lopez", account_number="T-9")
    sign_in(client, gen_user(business, "manager"), clock)
    ticked = client.post("/accounts/bulk", data={"action": "export", "scope": "selected",
                                                 "ids": [str(a.id), str(c.id), str(other.id)]})
    rows = list(csv.reader(io.StringIO(ticked.get_data(as_text=True))))
    assert ticked.mimetype == "text/csv" and sorted(r[0] for r in rows[1:]) == ["T-1", "T-3"]
    matching = client.post("/accounts/bulk", data={"action": "export", "scope": "all", "f_search": "lopez"})
    assert sorted(r[0] for r in list(csv.reader(io.StringIO(matching.get_data(as_text=True))))[1:]) == ["T-1", "T-2"]
    nothing = client.post("/accounts/bulk", data={"action": "export", "scope": "selected"})
    assert nothing.status_code == 302


def test_agents_cannot_bulk_export(client, clock):
    business = gen_business()
    a = gen_account(business, last_name="Lopez")
    sign_in(client, gen_user(business, "agent"), clock)
    assert client.post("/accounts/bulk", data={"action": "export", "ids": [str(a.id)]}).status_code == 403
