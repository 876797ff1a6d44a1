"""Security seen from the browser: login lockout, API tokens, masked personal data."""

from __future__ import annotations

import re

import pytest

from sqms.common.models import ApiToken, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

FETCH = """async ([path, token]) => {
    const headers = token ? {Authorization: 'Bearer ' + token} : {};
    // No cookies: only the token may authenticate the call, not the page's session.
    const r = await fetch(path, {headers, credentials: 'omit'});
    return {status: r.status, type: r.headers.get('content-type'),
            auth: r.headers.get('www-authenticate'), body: await r.json()};
}"""


def test_login_lockout_after_five_wrong_passwords(page_for, people):
    page = page_for(None)
    for attempt in range(5):
        response = page_for.submit_login(page, "region", f"wrong password {attempt}")
        assert response.status in (200, 429), attempt
        assert page.url.startswith(page_for.url("/accounts/login/"))
    page_for.shot(page, "fifth-failure")

    # The right password no longer opens the account.
    response = page_for.submit_login(page, "region", PASSWORD)
    assert response.status == 429
    assert page.locator("#id_password").count() == 0  # the lockout page, not the form again
    assert page.locator("main a[href='/accounts/login/']").count() == 1
    page_for.shot(page, "locked-out")
    page.goto("/")
    assert page.url.startswith(page_for.url("/accounts/login/"))  # not logged in
    assert page.locator(".topbar .user").count() == 0

    # Another user, from the same address, still logs in.
    other = page_for(people.store)
    assert other.url == page_for.url("/")
    assert other.goto(f"/org/units/{people.store.staff.unit_id}/").status == 200


def test_api_token_is_shown_once_works_and_can_be_revoked(page_for, people):
    page = page_for(people.region)
    page.goto("/accounts/tokens/")
    assert page.locator("#new-token").count() == 0
    page.fill("#id_name", "e2e hotline")
    page.click("main form.inline button[type=submit]")
    page.locator("#new-token").wait_for()
    token = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"sqms_[0-9a-f]{8}_[\w-]{40,}", token), token
    row = ApiToken.objects.get(user=people.region, name="e2e hotline")
    assert token.startswith(f"sqms_{row.prefix}_")
    assert len(row.digest) == 64 and row.digest != token  # only a digest is stored
    page_for.shot(page, "created")

    # Shown once: the list shows the prefix only.
    page.goto("/accounts/tokens/")
    assert page.locator("#new-token").count() == 0
    assert token not in page.content()
    assert f"sqms_{row.prefix}_" in page.locator("main table").inner_text()

    result = page.evaluate(FETCH, ["/api/v1/org/units", token])
    assert result["status"] == 200
    assert result["type"].startswith("application/json")
    assert [u["code"] for u in result["body"]["items"]] == ["R1", "S1", "S2"]
    # Without the token (and without cookies) the API refuses: the token did the work above.
    assert page.evaluate(FETCH, ["/api/v1/org/units", None])["status"] == 401

    page.locator("main table tbody tr").filter(has_text="e2e hotline").locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(page_for.url("/accounts/tokens/"))
    page.locator("main .messages .msg-success").wait_for()
    page_for.shot(page, "revoked")
    row.refresh_from_db()
    assert row.revoked_at is not None

    result = page.evaluate(FETCH, ["/api/v1/org/units", token])
    assert result["status"] == 401
    assert result["type"].startswith("application/problem+json")
    assert result["auth"] == "Bearer"


def test_phone_is_masked_unless_revealed_by_an_allowed_role(page_for, people, org):
    staff = org.s1_staff[1]
    facts = "main dl.facts"
    reveal = "main a[href='?reveal=phone']"

    inspector = page_for(people.inspector)
    inspector.goto(f"/org/staff/{staff.pk}/")
    assert "138****5678" in inspector.locator(facts).inner_text()
    assert "13812345678" not in inspector.content()
    assert inspector.locator(reveal).count() == 0
    page_for.shot(inspector, "inspector")
    # Asking for it by URL does not help, and leaves no trace of a view.
    inspector.goto(f"/org/staff/{staff.pk}/?reveal=phone")
    assert "13812345678" not in inspector.content()
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()

    quality = page_for(people.quality)
    quality.goto(f"/org/staff/{staff.pk}/")
    assert "138****5678" in quality.locator(facts).inner_text()
    assert "13812345678" not in quality.content()
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()
    quality.click(reveal)
    quality.wait_for_url(page_for.url(f"/org/staff/{staff.pk}/?reveal=phone"))
    assert "13812345678" in quality.locator(facts).inner_text()
    assert quality.locator(reveal).count() == 0
    page_for.shot(quality, "quality-revealed")

    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.actor == people.quality
    assert (entry.target_type, entry.target_id) == ("org.staff", str(staff.pk))
    assert entry.after == {"fields": ["phone"]}
