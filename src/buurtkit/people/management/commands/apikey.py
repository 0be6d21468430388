"""``buurtkit apikey --community SLUG --role ROLE [--organisation SLUG]``: print a new API key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.permissions import ROLES
from buurtkit.core.scoping import community_by_slug, get_scoped
from buurtkit.people.models import Organisation
from buurtkit.people.services import apikey_create


class Command(BaseCommand):
    help = "Create an API key for a community and print it (it is shown only this once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--community", required=True, help="the community's short name (slug)")
        parser.add_argument(
            "--role",
            required=True,
            action="append",
            choices=sorted(ROLES),
            help="a role whose permissions the key gets; repeat for several",
        )
        parser.add_argument(
            "--organisation",
            help="the organisation the key acts for (its slug); modules that own data per organisation use it",
        )
        parser.add_argument("--name", default="", help="what the key is for")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            community = community_by_slug(opts["community"])
            actor = Actor.system(community, label="cli:apikey")
            organisation_id = None
            if opts["organisation"]:
                organisation_id = get_scoped(Organisation, community, slug=opts["organisation"]).pk
            _key, raw = apikey_create(
                actor=actor,
                name=opts["name"] or f"cli {'+'.join(opts['role'])}",
                roles=opts["role"],
                organisation_id=organisation_id,
            )
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(raw)
