"""Staff pages for what sits behind codes: forms (with their answers, CSV and XLSX) and webhooks.

The fields editor works like the route editor: one block of inputs per field, posted back to add,
remove or move a field; nothing is saved until "Save".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtkit.core import clock, exports
from buurtkit.core.actor import Actor
from buurtkit.core.apitools import actor_of
from buurtkit.core.errors import PermissionDenied, ServiceError
from buurtkit.qrcodes import selectors, services
from buurtkit.qrcodes.codes import readable
from buurtkit.qrcodes.models import Form
from buurtkit.qrcodes.pages.forms import WebhookForm, apply_qr_error
from buurtkit.qrcodes.routing import translated
from buurtkit.web.decorators import community_page
from buurtkit.web.messages import flash
from buurtkit.web.pagination import paginate

LANGS = [code for code, _name in settings.LANGUAGES]
MAX_FIELDS = 30
FIELD_TYPES = [
    ("text", gettext_lazy("text")),
    ("number", gettext_lazy("number")),
    ("choice", gettext_lazy("choice")),
    ("date", gettext_lazy("date")),
    ("phone", gettext_lazy("phone number")),
    ("email", gettext_lazy("e-mail address")),
    ("checkbox", gettext_lazy("tick box")),
]


def _lang() -> str:
    return (get_language() or "nl")[:2]


def _language_names() -> dict[str, str]:
    from django.utils.translation import get_language_info

    return {lang: str(get_language_info(lang)["name_translated"]) for lang in LANGS}


def _texts(values: dict[str, Any]) -> list[dict[str, str]]:
    names = _language_names()
    return [
        {"lang": lang, "name": names[lang], "value": str(values.get(lang, ""))} for lang in LANGS
    ]


def _texts_value(texts: list[dict[str, str]]) -> dict[str, str]:
    return {t["lang"]: t["value"].strip() for t in texts if t["value"].strip()}


def can_edit_form(actor: Actor, form: Form) -> bool:
    return actor.has("qrcodes.manage") and (
        actor.has("qrcodes.admin")
        or form.owner_id is None
        or form.owner_id in actor.organisation_ids
    )


# --- form ↔ blocks -----------------------------------------------------------------------------


def _blank_field() -> dict[str, Any]:
    return {
        "key": "",
        "type": "text",
        "label": _texts({}),
        "required": False,
        "choices": _texts({}),
        "min": "",
        "max": "",
    }


def block_from_field(field: dict[str, Any]) -> dict[str, Any]:
    choices = field.get("choices") or []
    return {
        "key": field.get("key", ""),
        "type": field.get("type", "text"),
        "label": _texts(field.get("label") or {}),
        "required": bool(field.get("required")),
        "choices": _texts({lang: "\n".join(c.get(lang, "") for c in choices) for lang in LANGS})
        if choices
        else _texts({}),
        "min": _number(field.get("min")),
        "max": _number(field.get("max")),
    }


def _number(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def blocks_from_post(post: QueryDict) -> list[dict[str, Any]]:
    try:
        count = min(int(post.get("fields", "0")), MAX_FIELDS + 1)
    except ValueError:
        count = 0
    blocks = []
    for i in range(count):
        p = f"f{i}-"
        blocks.append(
            {
                "key": post.get(p + "key", "").strip(),
                "type": post.get(p + "type", "text"),
                "label": _texts({lang: post.get(f"{p}label-{lang}", "") for lang in LANGS}),
                "required": bool(post.get(p + "required")),
                "choices": _texts({lang: post.get(f"{p}choices-{lang}", "") for lang in LANGS}),
                "min": post.get(p + "min", "").strip(),
                "max": post.get(p + "max", "").strip(),
            }
        )
    return blocks


def _empty(block: dict[str, Any]) -> bool:
    return not block["key"] and not _texts_value(block["label"])


def field_from_block(block: dict[str, Any]) -> dict[str, Any]:
    field: dict[str, Any] = {
        "key": block["key"],
        "type": block["type"],
        "label": _texts_value(block["label"]),
        "required": block["required"],
    }
    if block["type"] == "choice":
        lines = {
            t["lang"]: [line.strip() for line in t["value"].splitlines()] for t in block["choices"]
        }
        count = max((len(v) for v in lines.values()), default=0)
        choices = []
        for j in range(count):
            choice = {lang: v[j] for lang, v in lines.items() if j < len(v) and v[j]}
            if choice:
                choices.append(choice)
        field["choices"] = choices
    if block["type"] == "number":
        for bound in ("min", "max"):
            if block[bound]:
                field[bound] = block[bound].replace(",", ".")
    return field


# --- list, create, edit ---------------------------------------------------------------------------


@community_page("qrcodes.view")
def form_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    forms = selectors.forms_list(actor=actor).select_related("owner")
    page = paginate(request, forms.order_by("-created_at", "-id"))
    for form in page:
        form.title_text = translated(form.title, _lang()) or f"#{form.pk}"  # type: ignore[attr-defined]
    return render(
        request,
        "qrcodes/staff/forms.html",
        {
            "page": page,
            "can_manage": actor.has("qrcodes.manage"),
            "can_read": actor.has("qrcodes.submissions"),
        },
    )


def _editor(request: HttpRequest, form: Form | None) -> HttpResponse:
    actor = actor_of(request)
    editable = form is None or can_edit_form(actor, form)
    message, status, unsaved = "", 200, False
    teams = [(o.pk, o.name) for o in selectors.teams_list(actor=actor, editable=True)]
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                _("Only the team that owns this form, or a coordinator, can change it.")
            )
        post = request.POST
        title = _texts({lang: post.get(f"title-{lang}", "") for lang in LANGS})
        thanks = _texts({lang: post.get(f"thanks-{lang}", "") for lang in LANGS})
        owner = post.get("owner", "")
        webhook = post.get("webhook", "")
        keep_days = post.get("keep_days", "").strip()
        blocks = blocks_from_post(post)
        op, _sep, index_text = post.get("op", "save").partition("-")
        index = int(index_text) if index_text.isdigit() else -1
        if op == "add" and len(blocks) < MAX_FIELDS:
            blocks.append(_blank_field())
            unsaved = True
        elif op == "remove" and 0 <= index < len(blocks):
            blocks.pop(index)
            unsaved = True
        elif op in ("up", "down") and 0 <= index < len(blocks):
            other = index - 1 if op == "up" else index + 1
            if 0 <= other < len(blocks):
                blocks[index], blocks[other] = blocks[other], blocks[index]
            unsaved = True
        else:
            blocks = [b for b in blocks if not _empty(b)]
            fields = [field_from_block(b) for b in blocks]
            values: dict[str, Any] = {
                "title": _texts_value(title),
                "fields": fields,
                "thanks": _texts_value(thanks),
                "webhook_id": int(webhook) if webhook.isdigit() else None,
                "keep_days": int(keep_days) if keep_days.isdigit() else (-1 if keep_days else 0),
            }
            try:
                if form is None:
                    saved = services.form_create(
                        actor=actor, owner_id=int(owner) if owner.isdigit() else None, **values
                    )
                else:
                    if values["webhook_id"] is None:
                        values["webhook_id"] = 0  # 0 takes the webhook off
                    saved = services.form_update(actor=actor, form_id=form.pk, **values)
            except ServiceError as exc:
                errors = {k: str(v) for k, v in exc.fields.items()} or {"": str(exc.detail)}
                message = "; ".join(errors.values())
                status = exc.status
            else:
                flash(request, _("The form has been saved."))
                return redirect("web:qr_form", slug=actor.community.slug, form_id=saved.pk)
    else:
        title = _texts(form.title if form else {})
        thanks = _texts(form.thanks if form else {})
        owner = str(form.owner_id or "") if form else (str(teams[0][0]) if len(teams) == 1 else "")
        webhook = str(form.webhook_id or "") if form else ""
        keep_days = str(form.keep_days or "") if form else ""
        blocks = [block_from_field(f) for f in form.fields] if form else []
    if not blocks or (not unsaved and not _empty(blocks[-1]) and len(blocks) < MAX_FIELDS):
        blocks.append(_blank_field())
    return render(
        request,
        "qrcodes/staff/form_edit.html",
        {
            "form": form,
            "editable": editable,
            "title_texts": title,
            "thanks_texts": thanks,
            "owner": owner,
            "webhook": webhook,
            "keep_days": keep_days,
            "blocks": blocks,
            "types": FIELD_TYPES,
            "teams": teams,
            "webhooks": list(selectors.webhooks_list(actor=actor)),
            "message": message,
            "unsaved": unsaved,
            "can_add": len(blocks) < MAX_FIELDS,
        },
        status=status,
    )


@community_page("qrcodes.manage")
def form_create(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@community_page("qrcodes.view")
def form_edit(request: HttpRequest, form_id: int) -> HttpResponse:
    form = selectors.form_get(actor=actor_of(request), form_id=form_id)
    return _editor(request, form)


# --- answers --------------------------------------------------------------------------------------


def _columns(form: Form) -> list[tuple[str, str]]:
    return [(f["key"], translated(f["label"], _lang()) or f["key"]) for f in form.fields]


def _cell(value: Any) -> Any:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "" if value is None else value


def _local(at: Any) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _answer_rows(form: Form, submissions: Iterable[Any]) -> Iterator[list[Any]]:
    keys = [key for key, _label in _columns(form)]
    for s in submissions:
        yield [
            _local(s.at),
            readable(s.code.code) if s.code else "",
            s.language,
            *[_cell(s.data.get(k)) for k in keys],
        ]


def _header(form: Form) -> list[str]:
    return [_("when"), _("code"), _("language"), *[label for _key, label in _columns(form)]]


@community_page("qrcodes.submissions")
def submission_list(request: HttpRequest, form_id: int) -> HttpResponse:
    actor = actor_of(request)
    form = selectors.form_get(actor=actor, form_id=form_id)
    page = paginate(request, selectors.submissions_list(actor=actor, form_id=form.pk))
    return render(
        request,
        "qrcodes/staff/submissions.html",
        {
            "form": form,
            "title": translated(form.title, _lang()),
            "page": page,
            "header": _header(form),
            "rows": list(_answer_rows(form, page)),
        },
    )


def _filename(form: Form, ext: str) -> str:
    return f"form-{form.pk}-answers-{clock.now().date().isoformat()}.{ext}"


@community_page("qrcodes.submissions")
def submissions_csv(request: HttpRequest, form_id: int) -> StreamingHttpResponse:
    actor = actor_of(request)
    form = selectors.form_get(actor=actor, form_id=form_id)
    submissions = selectors.submissions_list(actor=actor, form_id=form.pk)
    rows = itertools.chain(
        [_header(form)], _answer_rows(form, submissions.iterator(chunk_size=2000))
    )
    return exports.csv_streaming_response(rows, filename=_filename(form, "csv"))


@community_page("qrcodes.submissions")
def submissions_xlsx(request: HttpRequest, form_id: int) -> HttpResponse:
    actor = actor_of(request)
    form = selectors.form_get(actor=actor, form_id=form_id)
    submissions = selectors.submissions_list(actor=actor, form_id=form.pk)
    rows = itertools.chain(
        [_header(form)], _answer_rows(form, submissions.iterator(chunk_size=2000))
    )
    return exports.xlsx_response(rows, filename=_filename(form, "xlsx"), sheet_title=_("Answers"))


# --- webhooks -------------------------------------------------------------------------------------


def _secret_page(request: HttpRequest, hook: Any, secret: str, created: bool) -> HttpResponse:
    # Shown once, on this response only; never shown again.
    response = render(
        request,
        "qrcodes/staff/webhook_secret.html",
        {"hook": hook, "secret": secret, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@community_page("qrcodes.admin")
def webhook_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    teams = [(o.pk, o.name) for o in selectors.teams_list(actor=actor)]
    form = WebhookForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hook, secret = services.webhook_create(
                actor=actor, name=data["name"], url=data["url"], owner_id=data["owner"]
            )
        except ServiceError as exc:
            apply_qr_error(form, exc)
        else:
            return _secret_page(request, hook, secret, created=True)
    return render(
        request,
        "qrcodes/staff/webhooks.html",
        {
            "form": form,
            "hooks": list(selectors.webhooks_list(actor=actor).select_related("owner")),
            "deliveries": selectors.deliveries_recent(actor=actor),
        },
        status=422 if form.errors else 200,
    )


@require_POST
@community_page("qrcodes.admin")
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    hook, secret = services.webhook_rotate_secret(actor=actor_of(request), webhook_id=webhook_id)
    return _secret_page(request, hook, secret, created=False)


@require_POST
@community_page("qrcodes.admin")
def webhook_active(request: HttpRequest, webhook_id: int) -> HttpResponse:
    actor = actor_of(request)
    active = request.POST.get("active") == "1"
    hook = services.webhook_set_active(actor=actor, webhook_id=webhook_id, active=active)
    if active:
        flash(request, _("The webhook “%(name)s” is on again.") % {"name": hook.name})
    else:
        flash(
            request,
            _("The webhook “%(name)s” is off: nothing is sent to it.") % {"name": hook.name},
        )
    return redirect("web:qr_webhooks", slug=actor.community.slug)
