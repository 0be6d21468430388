"""``buurtkit monitoring_rebuild [--community SLUG]``: count every indicator again from the
beginning (the recurring job recounts only the last months; see ADR 0016)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from buurtkit.core.models import Community
from buurtkit.monitoring import rollup


class Command(BaseCommand):
    help = "Count every monitoring indicator again from the beginning."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--community", help="only this community (its short name)")

    def handle(self, *args: Any, **options: Any) -> None:
        communities = Community.objects.order_by("pk")
        if options.get("community"):
            communities = communities.filter(slug=options["community"])
            if not communities.exists():
                raise CommandError(f"There is no community {options['community']!r}.")
        for community in communities:
            if not community.has_module("monitoring"):
                continue
            rows = rollup.recount_community(community, full=True)
            self.stdout.write(f"{community.slug}: {rows} rows counted")
