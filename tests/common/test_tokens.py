"""Personal API tokens: stored hashed, shown once, revocable, expiring."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from sqms.common.models import ApiToken
from sqms.common.tokens import token_authenticate, token_create, token_digest, token_revoke


def test_only_the_digest_is_stored(people):
    token, plain = token_create(actor=people.store, user=people.store, name="hotline")
    row = ApiToken.objects.get(pk=token.pk)
    assert plain.startswith(f"sqms_{row.prefix}_")
    assert row.digest == token_digest(plain)
    assert plain not in {row.digest, row.prefix, row.name}
    assert token_authenticate(plain) == people.store


def test_revoked_and_expired_tokens_do_not_authenticate(people, client):
    token, plain = token_create(actor=people.store, user=people.store, name="a")
    token_revoke(actor=people.store, token_id=token.pk)
    assert token_authenticate(plain) is None
    _t, old = token_create(
        actor=people.store,
        user=people.store,
        name="b",
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert token_authenticate(old) is None
    resp = client.get("/api/v1/org/units", HTTP_AUTHORIZATION=f"Bearer {old}")
    assert resp.status_code == 401
    assert resp["Content-Type"] == "application/problem+json"


def test_a_user_cannot_revoke_another_users_token(people):
    token, plain = token_create(actor=people.store, user=people.store, name="a")
    from sqms.common.errors import NotFound

    with pytest.raises(NotFound):
        token_revoke(actor=people.outsider, token_id=token.pk)
    assert token_authenticate(plain) == people.store


def test_deactivated_user_token_is_refused(people):
    _t, plain = token_create(actor=None, user=people.store, name="a")
    people.store.is_active = False
    people.store.save(update_fields=["is_active"])
    assert token_authenticate(plain) is None


def test_cli_creates_a_working_token(people):
    out = io.StringIO()
    call_command("token", "create", "--user", "store", "--name", "pos", stdout=out)
    plain = out.getvalue().strip()
    assert token_authenticate(plain) == people.store
    with pytest.raises(CommandError, match="no user named"):
        call_command("token", "create", "--user", "nobody")


def test_token_page_shows_the_token_once(client, people):
    client.force_login(people.store)
    resp = client.post("/accounts/tokens/", {"name": "excel"})
    assert resp.status_code == 200
    plain = resp.context["new_token"]
    assert token_authenticate(plain) == people.store
    assert plain not in client.get("/accounts/tokens/").content.decode()
