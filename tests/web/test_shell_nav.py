"""The business shell's navigation on a phone: the bottom bar holds five slots; when there are more entries, the
last slot is a "More" menu listing the rest, so every page the role may open is reachable without typing a URL."""
from __future__ import annotations

import re

from app.web import BOTTOM_NAV_SLOTS, bottom_nav
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in


def _bottom_bar(html: str) -> str:
    return html[html.index('<nav class="bottom-nav"'):html.index("</nav>", html.index('<nav class="bottom-nav"'))]


def _sidebar_labels(html: str) -> list[str]:
    sidebar = html[html.index('<nav class="sidebar"'):html.index("</nav>", html.index('<nav class="sidebar"'))]
    return re.findall(r'class="nav-link"[^>]*>.*?<span>([^<]+)</span>', sidebar)


def test_every_entry_fits_or_sits_behind_more():
    """With five entries or fewer, does the bar show them all; with more, four and a "More" holding the rest?"""
    entries = [(f"Page {i}", f"/p{i}", "home", f"p{i}.index") for i in range(8)]
    assert bottom_nav(entries[:BOTTOM_NAV_SLOTS]) == (entries[:5], [])
    shown, more = bottom_nav(entries[:6])
    assert shown == entries[:4] and more == entries[4:6]
    shown, more = bottom_nav(entries)
    assert shown + more == entries and len(shown) == BOTTOM_NAV_SLOTS - 1


def test_an_admin_reaches_every_page_from_the_phone_bar(client, clock):
    """Does an admin's bottom bar list every sidebar entry, the later ones (Sandbox among them) in the "More" menu,
    a details menu the shell's Escape and outside-click handling closes?"""
    admin = gen_user(gen_business(), "business_admin")
    sign_in(client, admin, clock)
    html = client.get("/dashboard").get_data(as_text=True)
    labels = _sidebar_labels(html)
    assert len(labels) > BOTTOM_NAV_SLOTS and "Sandbox" in labels
    bar = _bottom_bar(html)
    direct = re.findall(r"<a href=\"[^\"]+\" ?(?:aria-current=\"page\")?>.*?<span>([^<]+)</span></a>\s*(?!</li>)",
                        bar.split('<details', 1)[0])
    assert direct == labels[:BOTTOM_NAV_SLOTS - 1]
    assert '<details class="menu bottom-more" id="bottom-more">' in bar
    assert re.search(r'<summary class="bottom-more-button">.*<span>More</span></summary>', bar)
    sheet = bar[bar.index('class="menu-panel bottom-sheet"'):]
    assert re.findall(r"<span>([^<]+)</span></a></li>", sheet) == labels[BOTTOM_NAV_SLOTS - 1:]
    assert 'aria-label="More pages"' in sheet


def test_the_page_open_behind_more_is_marked(client, clock):
    """On a page listed behind "More" (the sandbox), is that entry the current page and the button marked too?"""
    admin = gen_user(gen_business(), "business_admin")
    sign_in(client, admin, clock)
    bar = _bottom_bar(client.get("/sandbox").get_data(as_text=True))
    assert '<summary class="bottom-more-button is-current">' in bar and "(the current page is here)" in bar
    assert re.search(r'<a href="/sandbox" aria-current="page">.*?<span>Sandbox</span>', bar)


def test_no_more_button_when_everything_fits(client, clock):
    """Does an agent, whose entries all fit, get a plain bar with no "More"?"""
    agent = gen_user(gen_business(), "agent")
    sign_in(client, agent, clock)
    html = client.get("/dashboard").get_data(as_text=True)
    labels = _sidebar_labels(html)
    assert len(labels) <= BOTTOM_NAV_SLOTS
    bar = _bottom_bar(html)
    assert "bottom-more" not in bar and re.findall(r"<span>([^<]+)</span></a>", bar) == labels
