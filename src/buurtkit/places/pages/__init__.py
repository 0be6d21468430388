"""Places' pages: the public "help near me" directory with its posters, and the staff pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Tell web's shared pages about places (a foundation: no module switch)."""
    from buurtkit.web.registry import (
        Link,
        register_audit_verbs,
        register_menu_link,
        register_resident_link,
    )

    register_menu_link(
        Link(
            key="places.manage",
            module="",
            url_name="web:places_manage",
            label=_("Places"),
            permission="places.view",
            order=80,
        )
    )
    register_resident_link(
        Link(
            key="places.directory",
            module="",
            url_name="web:places_directory",
            label=_("Help with computers near you"),
            order=80,
        )
    )
    register_audit_verbs(
        {
            "places.created": _("place added"),
            "places.changed": _("place changed"),
            "places.hours_set": _("opening hours set"),
            "places.exception_added": _("days with other hours added"),
            "places.exception_removed": _("days with other hours removed"),
            "places.checklist": _("checklist item ticked"),
            "places.status": _("place opened or closed"),
            "places.municipality_created": _("municipality added"),
        }
    )
