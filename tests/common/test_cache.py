"""The shared cache as configured (the database's, without Redis): what the public forms and
the rate limits keep there stays until it expires."""

from __future__ import annotations

from django.core.cache import cache

from sqms.complaints.public_forms import stamp_claim


def test_a_used_stamp_stays_used_however_busy_the_forms_are(db):
    # The database cache dropped a third of its entries past 300 by default: at a busy store a
    # used stamp could be forgotten and the same form sent twice.
    assert stamp_claim("0-first-form") is True
    for i in range(600):
        cache.set(f"sqms:other:{i}", i, timeout=600)
        assert stamp_claim(f"visitor-{i}") is True
    assert stamp_claim("0-first-form") is False
