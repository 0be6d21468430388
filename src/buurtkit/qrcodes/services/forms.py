"""Forms behind codes: made and changed by staff, answered by anyone who scans."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.errors import PermissionDenied, ValidationFailed
from buurtkit.core.models import Community
from buurtkit.core.scoping import get_scoped
from buurtkit.qrcodes.actions import clean_texts
from buurtkit.qrcodes.models import (
    Code,
    Form,
    Submission,
    Webhook,
)
from buurtkit.qrcodes.services._form_fields import _clean_fields, clean_answers
from buurtkit.qrcodes.services._rules import _owner
from buurtkit.qrcodes.services.webhooks import _delivery


def _form_owner_check(actor: Actor, form: Form) -> None:
    actor.require("qrcodes.manage")
    if not (
        actor.has("qrcodes.admin")
        or form.owner_id is None
        or form.owner_id in actor.organisation_ids
    ):
        raise PermissionDenied(
            _("Only the team that owns this form, or a coordinator, can change it.")
        )


def _keep_days(value: int | None) -> int | None:
    """Days a form's answers are kept (1 to 3650); None or 0: until staff remove them."""
    if not value:
        return None
    if not isinstance(value, int) or not 1 <= value <= 3650:
        message = _("Give a number of days from 1 to 3650, or leave it empty.")
        raise ValidationFailed(message, fields={"keep_days": message})
    return value


@transaction.atomic
def form_create(
    *,
    actor: Actor,
    title: Any,
    fields: Any,
    thanks: Any = None,
    owner_id: int | None = None,
    webhook_id: int | None = None,
    keep_days: int | None = None,
) -> Form:
    actor.require("qrcodes.manage")
    form = Form.objects.create(
        keep_days=_keep_days(keep_days),
        community=actor.community,
        title=clean_texts(title, "title", max_length=150),
        fields=_clean_fields(fields),
        thanks=clean_texts(thanks or {}, "thanks", required=False, max_length=500),
        owner=_owner(actor, owner_id),
        webhook=get_scoped(Webhook, actor.community, pk=webhook_id) if webhook_id else None,
        created_at=clock.now(),
    )
    audit_record(actor=actor, verb="qrcodes.form_created", obj=form)
    return form


@transaction.atomic
def form_update(
    *,
    actor: Actor,
    form_id: int,
    title: Any = None,
    fields: Any = None,
    thanks: Any = None,
    webhook_id: int | None = None,
    keep_days: int | None = None,
) -> Form:
    """Change a form; ``keep_days=0`` keeps its answers until staff remove them."""
    form = get_scoped(Form, actor.community, for_update=True, pk=form_id)
    _form_owner_check(actor, form)
    if title is not None:
        form.title = clean_texts(title, "title", max_length=150)
    if fields is not None:
        form.fields = _clean_fields(fields)
    if thanks is not None:
        form.thanks = clean_texts(thanks, "thanks", required=False, max_length=500)
    if webhook_id is not None:
        form.webhook = get_scoped(Webhook, actor.community, pk=webhook_id) if webhook_id else None
    if keep_days is not None:
        form.keep_days = _keep_days(keep_days)
    form.save()
    audit_record(actor=actor, verb="qrcodes.form_changed", obj=form)
    return form


@transaction.atomic
def submission_create(
    *,
    community: Community,
    form_id: int,
    data: dict[str, Any],
    code_id: int | None = None,
    language: str = "",
    submitted_by: str = "",
) -> Submission:
    """Store a form answer (anyone who scans may answer) and send it on to the form's webhook."""
    form = get_scoped(Form, community, pk=form_id)
    code = get_scoped(Code, community, pk=code_id) if code_id else None
    answers = clean_answers(form, data)
    submission = Submission.objects.create(
        community=community,
        form=form,
        code=code,
        data=answers,
        language=language[:5],
        at=clock.now(),
        submitted_by=submitted_by[:150],
    )
    if form.webhook_id and form.webhook and form.webhook.active:
        _delivery(
            community,
            form.webhook,
            "submission",
            {
                "form": form.pk,
                "code": code.code if code else None,
                "answers": answers,
                "at": submission.at.isoformat(),
                "language": submission.language,
            },
        )
    return submission
