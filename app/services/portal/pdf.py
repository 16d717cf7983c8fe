"""The validation notice as a PDF (fpdf2), with DejaVu Sans embedded (subset) so Spanish accents and every
character of a name render the same in any reader. Letter size, the business on top, the notice's parts in order."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.services.compliance import snippets
from app.services.portal.notice import Notice

FONT = Path(__file__).resolve().parents[2] / "static" / "fonts" / "DejaVuSans.ttf"
FAMILY = "DejaVu"
TEXT = (33, 33, 33)
MUTED = (89, 89, 89)
ACCENT = (13, 71, 161)
LINE = 5.6  # mm per line of 10.5 pt text


class _NoticePDF(FPDF):
    def __init__(self, notice: Notice):
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.notice = notice
        self.add_font(FAMILY, "", str(FONT))
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self):
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        label = "Página" if self.notice.language == "es" else "Page"
        self.cell(0, 5, f"{self.notice.business_name} · {self.notice.heading['title']} · {label} {self.page_no()}",
                  align="C")


def render(notice: Notice, *, now: dt.datetime) -> bytes:
    """The notice's PDF bytes; `now` dates the file (its metadata), the notice states its own date."""
    pdf = _NoticePDF(notice)
    pdf.set_title(f"{notice.heading['title']} - {notice.business_name}")
    pdf.set_author(notice.business_name)
    pdf.set_creator("funnelChat")
    pdf.set_lang("es-US" if notice.language == "es" else "en-US")
    pdf.set_creation_date(now)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FAMILY, size=15)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 8, notice.business_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=12)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(width, 7, notice.heading["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(width, 5, f"{notice.heading['date']}: {snippets.long_date(notice.provided_on, notice.language)}",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(4)

    for section in notice.sections:
        if section.heading:
            pdf.set_font(FAMILY, size=11.5)
            pdf.set_text_color(*ACCENT)
            pdf.multi_cell(width, 7, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, size=10.5)
        for part in section.parts:
            if part.missing:
                pdf.set_text_color(*MUTED)
                pdf.multi_cell(width, LINE, f"[{notice.heading['missing']}]", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                continue
            pdf.set_text_color(*TEXT)
            for line in part.lines:
                pdf.multi_cell(width, LINE, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.5)
        pdf.ln(2.5)
    return bytes(pdf.output())
