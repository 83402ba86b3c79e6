"""manage.py seed_demo: the fictional organization tree with its real history, and its people."""

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from dangvu.accounts.models import User
from dangvu.core.signals import figures_stale
from dangvu.demo.generator import DemoBuilder, DemoOptions, Shape
from dangvu.demo.member_writer import MemberSeeder
from dangvu.organizations.models import Organization


def system_user() -> User:
    """The account that demo data and other automatic jobs act as; it cannot sign in."""
    user, created = User.objects.get_or_create(
        username="system",
        defaults={"is_superuser": True, "is_staff": False, "first_name": "Hệ thống"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


class Command(BaseCommand):
    help = "Build the demo organization tree (with the 2025 reform replayed) and its people."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provinces", type=int, default=2, help="new (2025) provinces")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="the demo's today (YYYY-MM-DD); the reform is replayed only "
            "when this is on or after 2025-07-01",
        )
        parser.add_argument(
            "--people-per-cell",
            type=int,
            default=None,
            help="people without membership per cell (default 4, none with members)",
        )
        parser.add_argument(
            "--members",
            type=int,
            default=0,
            help="party members with a generated history (bulk-written)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when organizations already exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write("Dữ liệu mẫu đã có / demo data already present.")
            return
        started = time.monotonic()
        members, people = options["members"], options["people_per_cell"]
        demo = DemoOptions(
            provinces=options["provinces"],
            seed=options["seed"],
            as_of=options["as_of"] or timezone.localdate(),
            # with members, the members are the people: none are made one by one
            people_per_cell=(0 if members else 4) if people is None else people,
            shape=Shape.for_members(members, options["provinces"]),
        )
        actor = system_user()
        with transaction.atomic():
            builder = DemoBuilder(actor, demo)
            stats = builder.build()
        self.stdout.write(
            f"Demo tree: {stats['organizations']} organizations, {stats['people']} people "
            f"in {time.monotonic() - started:.1f} s"
        )
        if members:
            started = time.monotonic()
            with transaction.atomic():
                written = MemberSeeder(actor, members, demo.seed, demo.as_of).run()
            self.stdout.write(f"Demo members: {written} in {time.monotonic() - started:.1f} s")
        with transaction.atomic():  # committees are chosen among the people of each committee
            builder.add_committees()
        # written in bulk, not through the services: the report figures are counted anew
        figures_stale.send(sender=Command, organization_ids=None)
