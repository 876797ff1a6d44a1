"""Notifications: an in-app notice per user, and the same by e-mail after the transaction
commits (so a rolled-back change sends nothing). The e-mail backend is Django's, configured by
SQMS_EMAIL_BACKEND and friends."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from sqms.common import clock, rows
from sqms.common.models import Notification

log = logging.getLogger(__name__)


def notify(*, users: Iterable[object], title: str, body: str = "", url: str = "") -> int:
    """Queue one notice per distinct user; must run inside the caller's transaction."""
    now = clock.now()
    seen: set[int] = set()
    notices = []
    recipients: list[str] = []
    for user in users:
        pk = user.pk  # type: ignore[attr-defined]
        if pk in seen:
            continue
        seen.add(pk)
        notices.append(Notification(user_id=pk, at=now, title=title[:200], body=body, url=url))
        email = getattr(user, "email", "")
        if email:
            recipients.append(email)
    rows.insert_all(notices)
    if recipients:
        transaction.on_commit(lambda: _send_email(recipients, title, body, url))
    return len(notices)


def _send_email(recipients: list[str], title: str, body: str, url: str) -> None:
    from sqms.common.tasks import send_notification_email

    send_notification_email(recipients, title, body, url)


def deliver_email(recipients: list[str], title: str, body: str, url: str) -> None:
    base = settings.SQMS_BASE_URL.rstrip("/")
    text = body + (f"\n\n{base}{url}" if url else "")
    try:
        send_mail(title, text, settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:
        # The in-app notice exists either way; a mail server that is down must not fail the sweep.
        log.exception("could not send notification e-mail to %s", recipients)


def notification_mark_read(*, user: object, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
