"""What the help exchange holds about a person: their posts, their responses, the deals they
helped in, and moderation blocks.

Anonymising keeps every row (the figures per category, neighbourhood and month survive) and
clears what says who the person was: the texts of their posts and responses, and the link
from their posts to them.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from buurtkit.helpexchange.models import Block, Deal, Post, Response
from buurtkit.people.hooks import PersonTraces
from buurtkit.people.models import Person


def export(person: Person) -> Any:
    posts = Post.objects.in_community(person.community_id).filter(person=person)
    responses = Response.objects.in_community(person.community_id).filter(person=person)
    deals = Deal.objects.in_community(person.community_id).filter(helper=person)
    blocks = Block.objects.in_community(person.community_id).filter(person=person)
    return {
        "posts": [
            {
                "posted_at": p.created_at.isoformat(),
                "kind": p.kind,
                "category": p.category,
                "neighbourhood": p.neighbourhood,
                "title": p.title,
                "text": p.text,
                "when_on": p.when_on.isoformat() if p.when_on else None,
                "when_note": p.when_note,
                "state": p.state,
                "reward": p.reward,
            }
            for p in posts
        ],
        "responses": [
            {"answered_at": r.created_at.isoformat(), "post": r.post_id, "message": r.message}
            for r in responses
        ],
        "deals_as_helper": [
            {"agreed_at": d.agreed_at.isoformat(), "state": d.state, "reward": d.reward}
            for d in deals
        ],
        "blocks": [
            {
                "blocked_at": b.created_at.isoformat(),
                "reason": b.reason,
                "lifted": bool(b.lifted_at),
            }
            for b in blocks
        ],
    }


def anonymise(traces: PersonTraces) -> None:
    community = traces.community_id
    Post.objects.in_community(community).filter(person_id=traces.person_id).update(
        title="—", text="", when_note="", person=None, anonymised_at=timezone.now()
    )
    Response.objects.in_community(community).filter(person_id=traces.person_id).update(message="")
    Block.objects.in_community(community).filter(person_id=traces.person_id).update(reason="—")
