"""Personal API tokens: `sqms_<prefix>_<secret>`. Only the SHA-256 digest of the whole token is
stored; the prefix lets a user recognise a token in the list without revealing it."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import NotFound, field_error
from sqms.common.memo import memo
from sqms.common.models import ApiToken

TOKEN_PREFIX = "sqms_"
# Writing last_used_at on every request would turn each API read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor, user, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:  # type: ignore[no-untyped-def]
    """Create a token for `user`; returns the row and the plain token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("Give the token a name, e.g. what will use it."))
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=token_digest(plain), expires_at=expires_at
    )
    audit_record(
        actor=actor,
        action="api.token.create",
        target=token,
        after={"user": user.pk, "name": token.name, "prefix": prefix},
    )
    return token, plain


@transaction.atomic
def token_revoke(*, actor, token_id: int) -> ApiToken:  # type: ignore[no-untyped-def]
    """Revoke one of the actor's own tokens (superusers may revoke anyone's)."""
    qs = ApiToken.objects.select_for_update()
    if not actor.is_superuser:
        qs = qs.filter(user=actor)
    token = qs.filter(pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("Token not found."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api.token.revoke", target=token)
    return token


def token_authenticate(plain: str):  # type: ignore[no-untyped-def]
    """The active user behind a token, or None. The token's row and its user are remembered
    per process (sqms.common.memo): revoking a token, or deactivating its user, draws a new
    configuration revision, so it stops working at once in every process. The caller gets its
    own copy of the user, to hang the request's state on."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(plain)
    token = memo(
        "api-token",
        digest,
        lambda: (
            ApiToken.objects.select_related("user", "user__staff")
            .filter(digest=digest, revoked_at__isnull=True)
            .first()
        ),
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now  # the remembered row too: the next request needs no write
    return copy.copy(token.user)
