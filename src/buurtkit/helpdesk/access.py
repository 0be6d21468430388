"""Who sees and works on which tickets.

- ``helpdesk.view``: every ticket of the community (staff, counter, auditors);
- ``helpdesk.handle``: works on every ticket;
- ``helpdesk.buddy`` (a digibuddy): sees and works only on the tickets assigned to their own
  register entry (``activities.Volunteer`` of the login's person);
- a resident (no helpdesk permission, a person record): reads only their own tickets.

A ticket outside what the actor may see is "not found", like a ticket of another community.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied
from buurtkit.helpdesk.models import HomeVisit, Ticket


def _all(actor: Actor) -> QuerySet[Ticket]:
    return Ticket.objects.in_community(actor.community)


def readable(actor: Actor) -> QuerySet[Ticket]:
    if actor.has("helpdesk.view") or actor.has("helpdesk.handle"):
        return _all(actor)
    if actor.has("helpdesk.buddy"):
        return _all(actor).filter(assigned_volunteer__person_id=actor.person_id or 0)
    if actor.person_id:
        return _all(actor).filter(person_id=actor.person_id)
    raise PermissionDenied(_("You may not see helpdesk tickets."))


def workable(actor: Actor) -> QuerySet[Ticket]:
    if actor.has("helpdesk.handle"):
        return _all(actor)
    if actor.has("helpdesk.buddy"):
        return _all(actor).filter(assigned_volunteer__person_id=actor.person_id or 0)
    raise PermissionDenied(_("You may not work on helpdesk tickets."))


def may_file(actor: Actor) -> bool:
    return actor.has("helpdesk.handle") or actor.has("helpdesk.buddy")


def visits_readable(actor: Actor) -> QuerySet[HomeVisit]:
    """Staff see every visit of the community; a digibuddy only the visits assigned to them."""
    visits = HomeVisit.objects.in_community(actor.community)
    if actor.has("helpdesk.view") or actor.has("helpdesk.handle"):
        return visits
    if actor.has("helpdesk.buddy"):
        return visits.filter(volunteer__person_id=actor.person_id or 0)
    raise PermissionDenied(_("You may not see home visits."))
