"""The modules a community can switch on. Feature apps add themselves here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Module:
    key: str
    name: str | Promise
    summary: str | Promise


MODULES: dict[str, Module] = {
    m.key: m
    for m in [
        Module("qrcodes", _("QR codes"), _("Codes on city objects that always lead somewhere.")),
        Module(
            "ledger", _("Neighbourhood currency"), _("Pay and earn torekes in the neighbourhood.")
        ),
        Module("helpexchange", _("Help exchange"), _("Ask for help and offer help.")),
        Module("lending", _("Device bank"), _("Borrow or receive a computer or tablet.")),
        Module(
            "activities", _("Activities"), _("Digipunten, IT cafés, trainings and repair cafés.")
        ),
        Module("helpdesk", _("Helpdesk"), _("Questions about online services, help at home.")),
        Module("neighbours", _("Buurbel"), _("Meet a neighbour: we call you both.")),
        Module("monitoring", _("Monitoring"), _("Figures, targets and reports.")),
    ]
}
