"""What the foundations hold about a person beyond the Person row itself: copies of the login
name in the log, consent records, login throttling and the admin's history.

The Person row, its login and its consents are exported by ``selectors.person_export_data``
itself and cleared by ``services.person_anonymise``; this entry clears the copies.
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from buurtkit.audit.models import AuditEvent
from buurtkit.core.anonymising import force_update, scrub_rows
from buurtkit.people.hooks import PersonTraces, declare_no_personal_data, register_person_data
from buurtkit.people.models import Consent, Invitation, Person

#: Models exported by ``person_export_data``'s own sections (person, login, consents,
#: memberships, activity), not by a registered exporter.
BUILT_IN_EXPORT = ("people.Person", "people.Consent", "auth.User", "people.Membership")


def anonymise(traces: PersonTraces) -> None:
    community_id = traces.community_id
    # Who recorded a consent is a label (a login name); the person's own label goes.
    if traces.usernames:
        consents = Consent.objects.in_community(community_id).filter(
            recorded_by__in=traces.usernames
        )
        consents.update(recorded_by=traces.label)
        events = AuditEvent.objects.filter(actor_label__in=traces.usernames)
        if traces.person.user_id is None:
            # The login stays (it serves elsewhere): only this community's lines lose it.
            events = events.filter(community_id=community_id)
        force_update(events, actor_label=traces.label)
    # Log lines are ids and field names; a trace in their data (there should be none) goes.
    about = AuditEvent.objects.in_community(community_id).filter(
        Q(object_type="people.person", object_id=str(traces.person_id))
        | Q(on_behalf_of_id=traces.person_id)
    )
    if traces.person.user_id or traces.usernames:
        about = about | AuditEvent.objects.in_community(community_id).filter(
            actor_label=traces.label
        )
    scrub_rows(about, ["data"], traces.needles())
    # The admin's own history names the objects it changed.
    person_type = ContentType.objects.get_for_model(Person)
    scrub_rows(
        LogEntry.objects.filter(content_type=person_type, object_id=str(traces.person_id)),
        ["object_repr", "change_message"],
        traces.needles(),
    )
    # Invitations made for their user name or e-mail address keep only that they happened.
    invited = Q(pk__in=[])
    for name in (*traces.usernames, *traces.emails):
        invited |= Q(invited_as__iexact=name)
    invitations = Invitation.objects.filter(invited)
    if traces.person.user_id is None:
        invitations = invitations.filter(community_id=community_id)
    invitations.update(invited_as=traces.label)
    _forget_login_throttling(traces)


def _forget_login_throttling(traces: PersonTraces) -> None:
    """django-axes keeps login attempts by user name; the person's go."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    if not traces.usernames or traces.person.user_id is None:
        return  # the login still serves elsewhere: its throttling records stay its own
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=traces.usernames).delete()


def register() -> None:
    register_person_data(
        "people",
        models=(
            "people.Person",
            "people.Consent",
            "people.Membership",
            "people.Invitation",
            "auth.User",
            "audit.AuditEvent",
            "admin.LogEntry",
            "axes.AccessAttempt",
            "axes.AccessLog",
            "axes.AccessFailureLog",
        ),
        export=None,
        anonymise=anonymise,
    )
    declare_no_personal_data(
        "people.Organisation",
        reason="an organisation's own contact details (not a resident's)",
    )
    declare_no_personal_data(
        "people.ApiKey", reason="a key's name and roles; the creator's label is a staff login"
    )
    declare_no_personal_data(
        "core.Community", "core.ScheduledJob", reason="platform settings and job bookkeeping"
    )
    declare_no_personal_data(
        "auth.Group",
        "auth.Permission",
        "contenttypes.ContentType",
        reason="Django's own tables: no data about people",
    )
    declare_no_personal_data(
        "sessions.Session",
        reason="a login's session holds ids only; an anonymised login is deactivated",
    )
    declare_no_personal_data(
        "django_tasks_database.DBTaskResult",
        reason="tasks take ids, never personal data (architecture: background tasks)",
    )
