"""``buurtkit community``: set up a community without the demo.

buurtkit community create --name "Rabot" --slug rabot [--language nl] [--modules ledger,qrcodes]
buurtkit community grant --slug rabot --username anna --role coordinator [--organisation SLUG]
buurtkit community list
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buurtkit.core.actor import Actor
from buurtkit.core.errors import ServiceError
from buurtkit.core.models import Community
from buurtkit.core.modules import MODULES
from buurtkit.core.permissions import ROLES
from buurtkit.core.scoping import community_by_slug, get_scoped
from buurtkit.core.services import community_create
from buurtkit.people.models import Organisation
from buurtkit.people.services import membership_grant


class Command(BaseCommand):
    help = "Create communities and give the first logins their roles."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a community")
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True)
        create.add_argument("--language", default="nl", choices=["nl", "en", "fr"])
        create.add_argument(
            "--modules", default="", help=f"comma-separated, from: {', '.join(MODULES)}"
        )
        grant = sub.add_parser("grant", help="give an existing login a role in a community")
        grant.add_argument("--slug", required=True)
        grant.add_argument("--username", required=True)
        grant.add_argument("--role", required=True, action="append", choices=sorted(ROLES))
        grant.add_argument("--organisation", help="organisation slug")
        sub.add_parser("list", help="list communities")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "create":
                modules = [m.strip() for m in opts["modules"].split(",") if m.strip()]
                community = community_create(
                    name=opts["name"],
                    slug=opts["slug"],
                    default_language=opts["language"],
                    enabled_modules=modules,
                )
                self.stdout.write(f"Created community {community.slug}: {community.name}")
            elif opts["action"] == "grant":
                community = community_by_slug(opts["slug"])
                actor = Actor.system(community, label="cli:community")
                org_id = None
                if opts["organisation"]:
                    org_id = get_scoped(Organisation, community, slug=opts["organisation"]).pk
                membership_grant(
                    actor=actor,
                    username=opts["username"],
                    roles=opts["role"],
                    organisation_id=org_id,
                )
                self.stdout.write(
                    f"{opts['username']} is now {', '.join(opts['role'])} in {community.slug}"
                )
            else:
                for community in Community.objects.order_by("slug"):
                    self.stdout.write(
                        f"{community.slug}\t{community.name}\t{','.join(community.enabled_modules)}"
                    )
        except ServiceError as exc:
            fields = "; ".join(
                f"{k}: {v}" for k, v in exc.fields.items() if str(v) != str(exc.detail)
            )
            raise CommandError(f"{exc.detail} {fields}".strip()) from exc
