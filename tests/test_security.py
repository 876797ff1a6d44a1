"""The security baseline of the shell: headers, login lockout, CSRF on the session API, health."""

import pytest
from django.conf import settings
from django.test import Client

from sqms import settings as sqms_settings
from tests.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2_in_production_settings():
    assert sqms_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_security_headers_on_pages(client, db):
    resp = client.get("/accounts/login/")
    assert resp.status_code == 200
    csp = resp["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"


def test_session_cookie_settings_follow_https_switch():
    # Development over plain HTTP must work; production (SQMS_HTTPS) sets secure cookies.
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SECURE == sqms_settings.HTTPS
    assert settings.CSRF_COOKIE_SECURE == sqms_settings.HTTPS


def _login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_and_logout(client, people):
    resp = _login(client, "store", PASSWORD)
    assert resp.status_code == 302
    assert resp["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_login_redirect_does_not_leave_the_site(client, people):
    resp = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "store", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert resp["Location"] == "/"


def test_lockout_after_repeated_failures(client, people):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "store", "wrong").status_code == 200
    assert _login(client, "store", "wrong").status_code == 429  # the limit-th failure locks
    locked = _login(client, "store", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from elsewhere is not affected.
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert _login(other, "region", PASSWORD).status_code == 302


def test_session_api_writes_need_the_csrf_token(people, org):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.store)
    body = {
        "employee_no": "E77",
        "name": "钱七",
        "unit_id": org.s1.pk,
        "position": "cashier",
        "start_date": "2025-01-01",
    }
    refused = browser.post("/api/v1/org/staff", body, content_type="application/json")
    assert refused.status_code == 403
    browser.get("/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    ok = browser.post(
        "/api/v1/org/staff", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert ok.status_code == 201


def test_health_endpoints(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "queue": "ok"}


@pytest.mark.parametrize(("lang", "marker"), [("en", 'lang="en"'), ("zh-hans", 'lang="zh-hans"')])
def test_language_switch(client, db, lang, marker):
    resp = client.post(
        "/i18n/setlang/", {"language": lang, "next": "/accounts/login/"}, follow=True
    )
    assert marker in resp.content.decode()
    assert resp["Content-Language"] == lang


def test_default_language_is_simplified_chinese(client, db):
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"
