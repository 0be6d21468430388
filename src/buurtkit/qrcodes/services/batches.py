"""Batches: ordering up to 100,000 blank codes at once, made in the background in chunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from buurtkit.audit.services import audit_record
from buurtkit.core import clock
from buurtkit.core.actor import Actor
from buurtkit.core.idempotency import clean_key, run_once
from buurtkit.core.tasks_util import enqueue_after_commit
from buurtkit.qrcodes import codes
from buurtkit.qrcodes.models import (
    Batch,
    Code,
    CodeStatus,
    Tag,
)
from buurtkit.qrcodes.services._bulk_insert import _insert_copies
from buurtkit.qrcodes.services._rules import _invalid, _owner, _tags

MAX_BATCH = 100_000
BATCH_CHUNK = 2_000
#: The task that makes a batch's codes (named by path: :mod:`buurtkit.qrcodes.tasks` imports
#: these services).
RUN_BATCH = "buurtkit.qrcodes.tasks.run_batch"


@transaction.atomic
def batch_create(
    *,
    actor: Actor,
    size: int,
    title: str = "",
    owner_id: int | None = None,
    tags: Iterable[str] = (),
    idempotency_key: str = "",
) -> Batch:
    """Order ``size`` blank codes (up to 100,000). They are made in the background in chunks.

    With an ``idempotency_key`` (1 to 100 characters), ordering the same batch again returns
    the first one (``replayed`` is True); the same key for a different batch is refused.
    """
    actor.require("qrcodes.manage")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise _invalid("size", _("Give a number of codes of at least 1."))
    if size > MAX_BATCH:
        raise _invalid(
            "size",
            _("A batch has at most %(n)s codes.") % {"n": f"{MAX_BATCH:,}".replace(",", ".")},
        )
    key = clean_key(idempotency_key, required=False)
    owner = _owner(actor, owner_id)
    tag_names = [t.name for t in _tags(actor.community, tags)]
    batch_title = title.strip()[:120] or _("%(n)d blank codes") % {"n": size}

    def create() -> Batch:
        return Batch.objects.create(
            community=actor.community,
            created_by=actor.label[:150],
            created_at=clock.now(),
            idempotency_key=key,
            title=batch_title,
            size=size,
            owner=owner,
            tags=tag_names,
        )

    def same(existing: Batch) -> bool:
        return (
            existing.size == size
            and existing.owner_id == (owner.pk if owner else None)
            and sorted(existing.tags) == sorted(tag_names)
            and (not title.strip() or existing.title == batch_title)
        )

    if not key:
        batch = create()
    else:
        batch = run_once(
            queryset=Batch.objects.in_community(actor.community),
            key=key,
            same=same,
            create=create,
            conflict=_("This idempotency key was already used for a different batch."),
        )
        if batch.replayed:  # the API answers a retry with 200 instead of 202
            return batch
    audit_record(actor=actor, verb="qrcodes.batch_created", obj=batch, data={"size": size})
    enqueue_after_commit(RUN_BATCH, batch.pk)
    return batch


def batch_run(*, batch_id: int) -> Batch:
    """Make a batch's codes, a chunk per transaction; safe to run again after a crash."""
    batch = Batch.objects.select_related("community").get(pk=batch_id)
    if batch.status == Batch.Status.DONE:
        return batch
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING)
    tags = list(Tag.objects.in_community(batch.community_id).filter(name__in=batch.tags))
    through = Code.tags.through
    try:
        while True:
            with transaction.atomic():
                locked = Batch.objects.select_for_update().get(pk=batch.pk)
                made = Code.objects.in_community(batch.community_id).filter(batch=locked).count()
                todo = min(BATCH_CHUNK, locked.size - made)
                if todo <= 0:
                    locked.done = locked.size
                    locked.status = Batch.Status.DONE
                    locked.finished_at = clock.now()
                    locked.save(update_fields=["done", "status", "finished_at"])
                    return locked
                _make_batch_codes(locked, todo, tags, through)
                locked.done = made + todo
                locked.save(update_fields=["done"])
    except Exception as exc:
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.FAILED, error=str(exc)[:300])
        raise


def _make_batch_codes(batch: Batch, count: int, tags: list[Tag], through: Any) -> None:
    now = clock.now()
    for _attempt in range(5):
        fresh = set(codes.new_codes(count))
        taken = set(Code.objects.filter(code__in=fresh).values_list("code", flat=True))
        fresh -= taken
        if len(fresh) >= count:
            break
    before = Code.objects.filter(batch=batch).aggregate(last=Max("pk"))["last"] or 0
    blank = Code(
        community_id=batch.community_id,
        code="",
        owner_id=batch.owner_id,
        batch=batch,
        status=CodeStatus.UNASSIGNED,
        created_at=now,
        updated_at=now,
        version=1,
    )
    connection = connections[router.db_for_write(Code)]
    with connection.cursor() as cursor:
        _insert_copies(cursor, blank, "code", list(fresh)[:count])
        # Only this run adds codes to this (locked) batch: the new ones are those after `before`.
        quote = connection.ops.quote_name
        code_id = quote(through._meta.get_field("code").column)
        tag_id = quote(through._meta.get_field("tag").column)
        pk = quote(str(Code._meta.pk.column if Code._meta.pk else "id"))
        batch_id = quote(str(Code._meta.get_field("batch").column))
        for tag in tags:
            cursor.execute(
                f"INSERT INTO {quote(through._meta.db_table)} ({code_id}, {tag_id}) "  # noqa: S608
                f"SELECT {pk}, %s FROM {quote(Code._meta.db_table)} "
                f"WHERE {batch_id} = %s AND {pk} > %s",
                [tag.pk, batch.pk, before],
            )
