"""`sqms token create --user NAME [--name LABEL]`: print a new personal API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqms.common.errors import DomainError
from sqms.common.tokens import token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user; the token is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--user", required=True, help="user name")
        parser.add_argument("--name", default="cli", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        if not user.is_active:
            raise CommandError(f"user {options['user']!r} is deactivated")
        try:
            _token, plain = token_create(actor=None, user=user, name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(plain)
