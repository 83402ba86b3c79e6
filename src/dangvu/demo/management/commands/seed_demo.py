"""manage.py seed_demo: the fictional organization tree with its real history, and its people."""

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from dangvu.accounts.models import User
from dangvu.demo.generator import DemoBuilder, DemoOptions
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
        parser.add_argument("--people-per-cell", type=int, default=4)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when organizations already exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write("Dữ liệu mẫu đã có / demo data already present.")
            return
        started = time.monotonic()
        demo = DemoOptions(
            provinces=options["provinces"],
            seed=options["seed"],
            as_of=options["as_of"] or timezone.localdate(),
            people_per_cell=options["people_per_cell"],
        )
        with transaction.atomic():
            builder = DemoBuilder(system_user(), demo)
            stats = builder.build()
            builder.add_committees()
        self.stdout.write(
            f"Demo: {stats['organizations']} organizations, {stats['people']} people "
            f"in {time.monotonic() - started:.1f} s"
        )
