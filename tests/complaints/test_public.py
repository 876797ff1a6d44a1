"""The public complaint pages (no login): the form per store with its spam guards, the thank-you
page, the status lookup; and the QR poster page for staff. Every refused submission is checked to
have saved nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from sqms.complaints import services
from sqms.complaints.models import Attachment, Channel, Complaint, ComplaintEvent, Status
from sqms.complaints.views import public
from sqms.org import services as org_services

from .conftest import SH

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday, a working day
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):  # type: ignore[no-untyped-def]
    """Rate-limit counters and used stamps in a cache of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"sqms-public-{uuid.uuid4().hex}",
        }
    }
    settings.SQMS_PUBLIC_MIN_SECONDS = 3
    settings.SQMS_BASE_URL = "https://sqms.example.com/"


@pytest.fixture
def en(client):  # type: ignore[no-untyped-def]
    """An English-speaking visitor (exact messages to compare with)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)
    return time_machine


def open_form(client, code: str = "S1") -> str:  # type: ignore[no-untyped-def]
    """Open a store's form as a visitor does; the stamp it carries."""
    resp = client.get(f"/c/{code}/")
    assert resp.status_code == 200
    return resp.context["stamp"]


def filled(stamp: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "stamp": stamp,
        "description": "收银员结账时态度很差。",
        "category": "",
        "occurred_at": "2026-03-10T09:30",
        "staff": "工号 017",
        "complainant_name": "王先生",
        "complainant_phone": "139 1234 5678",
        "contact_preference": "phone",
        "complainant_email": "",
        "website": "",
    }
    data.update(overrides)
    return data


def nothing_saved() -> bool:
    return Complaint.objects.count() == 0 and Attachment.objects.count() == 0


# --- The form -------------------------------------------------------------------------------


def test_form_is_in_chinese_by_default_with_a_language_switch(client, org, pack):
    resp = client.get("/c/S1/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in html
    assert "徐汇店" in html
    assert 'class="main-nav"' not in html and 'id="main-nav"' not in html  # no app chrome
    codes = [c.code for c in resp.context["form"].fields["category"].queryset]
    assert codes == ["service", "attitude", "environment", "merchandise", "price", "other"]


def test_form_speaks_english_and_labels_categories_in_english(en, org, pack):
    resp = en.get("/c/S1/")
    html = resp.content.decode()
    assert '<html lang="en">' in html
    assert '<option value="" selected>Not sure</option>' in html
    assert ">Service attitude</option>" in html
    assert "服务态度" not in html


def test_a_customer_files_a_complaint(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    photo = SimpleUploadedFile("counter.png", PNG, content_type="image/png")
    resp = en.post(
        "/c/S1/", filled(stamp, category=_attitude().pk, photos=[photo]), format="multipart"
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/c/S1/thanks/"

    c = Complaint.objects.get()
    assert c.channel == Channel.WEB
    assert c.unit == org.s1
    assert c.responsible_unit == org.s1
    assert c.category.code == "attitude"
    assert c.status == Status.RECEIVED
    assert c.received_at == NOW + dt.timedelta(seconds=10)
    assert c.complainant_name == "王先生"
    assert c.complainant_phone == "139 1234 5678"
    assert c.created_by is None
    # When it happened and whom he named have fields of their own, the description is his.
    assert c.description == "收银员结账时态度很差。"
    assert c.staff_description == "工号 017"
    assert c.occurred_at == dt.datetime(2026, 3, 10, 9, 30, tzinfo=SH)
    assert list(c.attachments.values_list("name", "content_type")) == [("counter.png", "image/png")]
    assert list(ComplaintEvent.objects.values_list("kind", "public")) == [("received", True)]

    page = en.get("/c/S1/thanks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<p class="ref" id="ref" aria-labelledby="ref-label">{c.ref}</p>' in html
    # The web form's first time limit is one working day, to the end of the next one; what the
    # customer is promised is the reply, in three working days (Tuesday 10 March → Friday 13).
    assert c.next_deadline == dt.datetime(2026, 3, 11, 18, 0, tzinfo=SH)
    assert "We will reply by <strong>2026-03-13 18:00</strong>." in html
    assert f'href="/c/status/?ref={c.ref}"' in html


def test_anonymous_leaves_the_name_out(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    resp = en.post("/c/S1/", filled(stamp, anonymous="on", complainant_phone=""))
    assert resp.status_code == 302
    c = Complaint.objects.get()
    assert (c.anonymous, c.complainant_name, c.complainant_phone) == (True, "", "")
    html = en.get("/c/S1/thanks/").content.decode()
    assert "/c/status/?ref=" not in html
    assert "You gave no phone number, so the status cannot be looked up here." in html


def test_the_thank_you_page_needs_this_visitors_submission(en, org, pack):
    resp = en.get("/c/S1/thanks/")
    assert resp.status_code == 302
    assert resp["Location"] == "/c/S1/"


def test_an_invalid_phone_is_shown_beside_its_field_and_nothing_is_saved(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    resp = en.post("/c/S1/", filled(stamp, complainant_phone="13x-abc"))
    assert resp.status_code == 200
    assert resp.context["form"].errors == {
        "complainant_phone": ["A phone number may contain only digits, spaces, '-' and '+'."]
    }
    html = resp.content.decode()
    assert '<ul class="errorlist" id="id_complainant_phone_error">' in html
    assert 'value="13x-abc"' in html  # what he typed stays
    assert resp.context["stamp"] != stamp  # a fresh stamp for the next try
    assert nothing_saved()


def test_form_errors_come_at_once_and_save_nothing(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    photos = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(4)]
    resp = en.post(
        "/c/S1/",
        filled(
            stamp,
            description=" ",
            occurred_at="2026-03-11T09:00",
            photos=photos,
            complainant_phone="139abc",
        ),
        format="multipart",
    )
    assert resp.status_code == 200
    assert resp.context["form"].errors == {
        "description": ["This field is required."],
        "complainant_phone": ["A phone number may contain only digits, spaces, '-' and '+'."],
        "occurred_at": ["This time is in the future."],
        "photos": ["At most 3 photos."],
    }
    assert nothing_saved()


def test_a_file_the_service_refuses_is_shown_beside_the_photos(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    resp = en.post("/c/S1/", filled(stamp, photos=[exe]), format="multipart")
    assert resp.status_code == 200
    assert resp.context["form"].errors == {
        "photos": ["x.exe: only photos, PDF and sound recordings can be attached."]
    }
    assert nothing_saved()


@pytest.mark.parametrize(
    ("way", "missing", "error"),
    [
        ("email", "complainant_email", "Give an e-mail address to be contacted by e-mail."),
        ("sms", "complainant_phone", "Give a phone number to be contacted by text message."),
        (
            "phone",
            "complainant_phone",
            "Give a phone number, or choose another way to be contacted.",
        ),
    ],
)
def test_the_chosen_way_of_contact_needs_its_address(en, org, pack, now, way, missing, error):
    stamp = open_form(en)
    now.shift(10)
    resp = en.post("/c/S1/", filled(stamp, contact_preference=way, complainant_phone=""))
    assert resp.status_code == 200
    assert resp.context["form"].errors == {missing: [error]}
    assert nothing_saved()


# --- Spam guards ----------------------------------------------------------------------------


def test_a_filled_honeypot_saves_nothing(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    resp = en.post("/c/S1/", filled(stamp, website="http://cheap-watches.example"))
    assert resp.status_code == 400
    assert resp.context["problem"] == (
        "Your message could not be accepted. Leave the hidden field empty."
    )
    assert nothing_saved()


def test_a_form_sent_too_quickly_saves_nothing_and_can_be_sent_again(en, org, pack, now):
    stamp = open_form(en)
    now.shift(2)
    resp = en.post("/c/S1/", filled(stamp))
    assert resp.status_code == 400
    assert resp.context["problem"] == "The form was sent too quickly. Check it and send it again."
    assert 'value="王先生"' in resp.content.decode()
    assert nothing_saved()

    now.shift(5)  # he reads it over and sends it again with the page's new stamp
    resp = en.post("/c/S1/", filled(resp.context["stamp"]))
    assert resp.status_code == 302
    assert Complaint.objects.count() == 1


def test_a_form_left_open_over_two_hours_saves_nothing(en, org, pack, now):
    stamp = open_form(en)
    now.shift(2 * 3600 + 1)
    resp = en.post("/c/S1/", filled(stamp))
    assert resp.status_code == 400
    assert resp.context["problem"] == (
        "The form was open for more than two hours. Check it and send it again."
    )
    assert nothing_saved()


@pytest.mark.parametrize("stamp", ["", "forged", "S2"])
def test_a_missing_forged_or_other_stores_stamp_saves_nothing(en, org, pack, now, stamp):
    if stamp == "S2":
        stamp = open_form(en, "S2")
    now.shift(10)
    resp = en.post("/c/S1/", filled(stamp))
    assert resp.status_code == 400
    assert resp.context["problem"] == "The form could not be verified. Send it again."
    assert nothing_saved()


def test_the_same_form_sent_twice_registers_one_complaint(en, org, pack, now):
    stamp = open_form(en)
    now.shift(10)
    assert en.post("/c/S1/", filled(stamp)).status_code == 302
    # A double tap: the second request may come without the first one's session cookie.
    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    resp = again.post("/c/S1/", filled(stamp))
    assert resp.status_code == 302
    assert resp["Location"] == "/c/S1/thanks/"
    ref = Complaint.objects.get().ref
    assert ref in again.get("/c/S1/thanks/").content.decode()


def test_posts_beyond_the_rate_get_429_and_save_nothing(en, org, pack, now, settings):
    settings.SQMS_PUBLIC_RATE = "2/m"
    stamps = [open_form(en) for _ in range(3)]
    now.shift(10)
    assert [en.post("/c/S1/", filled(s)).status_code for s in stamps[:2]] == [302, 302]
    resp = en.post("/c/S1/", filled(stamps[2]))
    assert resp.status_code == 429
    assert "Too many messages were sent from your network" in resp.content.decode()
    assert Complaint.objects.count() == 2
    # Another address is not held back.
    other = en.post("/c/S1/", filled(stamps[2]), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    assert Complaint.objects.count() == 3


@pytest.mark.parametrize("code", ["NOPE", "S2"])
def test_an_unknown_or_inactive_store_is_a_friendly_404(en, org, pack, now, code):
    org_services.unit_deactivate(actor=None, unit=org.s2, reason="closed down")
    resp = en.get(f"/c/{code}/")
    assert resp.status_code == 404
    assert [t.name for t in resp.templates][:1] == ["complaints/public/store_not_found.html"]
    assert "<h1>Store not found</h1>" in resp.content.decode()
    resp = en.post(f"/c/{code}/", filled("whatever"))
    assert resp.status_code == 404
    assert nothing_saved()


# --- The status lookup ----------------------------------------------------------------------


def test_lookup_with_code_and_last_digits_shows_the_status(en, org, pack, make_complaint, now):
    c = make_complaint(channel="web", complainant_phone="13912345678")
    resp = en.post("/c/status/", {"ref": c.ref.lower(), "phone_last4": "5678"})
    assert resp.status_code == 200
    assert resp.context["complaint"] == c
    html = resp.content.decode()
    assert '<p class="status status-received">Received</p>' in html
    assert "<dd>徐汇店</dd>" in html
    assert "<dd>2026-03-10 10:00</dd>" in html  # received, Shanghai time
    assert "<dt>Reply due by</dt><dd>2026-03-13 18:00</dd>" in html  # 3 working days
    assert [s["kind"] for s in resp.context["steps"]] == ["received"]


def test_lookup_in_chinese_shows_the_translated_status(client, org, pack, make_complaint, now):
    c = make_complaint(channel="web")
    resp = client.post("/c/status/", {"ref": c.ref, "phone_last4": "5678"})
    with translation.override("zh-hans"):
        label = str(Status.RECEIVED.label)
    assert f'<p class="status status-received">{label}</p>' in resp.content.decode()


def test_lookup_shows_public_steps_and_the_reply_but_no_internal_notes(
    en, org, people, pack, make_complaint, now
):
    c = make_complaint(channel="web")
    services.complaint_investigate(complaint=c, actor=people.store, note="查监控，内部")
    services.complaint_note(complaint=c, actor=people.store, note="店长私下备注")
    services.complaint_verify(complaint=c, actor=people.store, substantiated=True, finding="属实")
    services.complaint_reply(complaint=c, actor=people.store, reply="已向您致歉，收银员已培训。")
    resp = en.post("/c/status/", {"ref": c.ref, "phone_last4": "5678"})
    html = resp.content.decode()
    assert [s["kind"] for s in resp.context["steps"]] == ["received", "investigating", "replied"]
    assert '<p class="status status-replied">Replied</p>' in html
    assert '<blockquote class="reply">已向您致歉，收银员已培训。</blockquote>' in html
    for internal in ("查监控，内部", "店长私下备注", "属实"):
        assert internal not in html
    assert "Reply due by" not in html


@pytest.mark.parametrize(
    ("ref", "digits"), [("right", "1234"), ("2603-AAAAAAAA", "5678"), ("right", "")]
)
def test_a_wrong_code_or_digits_get_one_generic_answer(
    en, org, pack, make_complaint, now, ref, digits
):
    c = make_complaint(channel="web", complainant_phone="13912345678")
    resp = en.post("/c/status/", {"ref": c.ref if ref == "right" else ref, "phone_last4": digits})
    assert resp.status_code == 200
    assert "complaint" not in resp.context
    if digits:
        assert resp.context["not_found"] is True
        assert (
            "No complaint matches this tracking code and phone number. Check both and try again."
            in resp.content.decode()
        )
    else:
        assert resp.context["form"].errors == {"phone_last4": ["This field is required."]}


def test_lookups_beyond_the_rate_get_429(en, org, pack, make_complaint, monkeypatch):
    monkeypatch.setattr(public, "LOOKUP_RATE", "2/m")
    c = make_complaint(channel="web")
    wrong = [en.post("/c/status/", {"ref": c.ref, "phone_last4": "0000"}) for _ in range(2)]
    resp = en.post("/c/status/", {"ref": c.ref, "phone_last4": "5678"})  # right, but too late
    assert [r.status_code for r in [*wrong, resp]] == [200, 200, 429]
    assert "complaint" not in resp.context
    assert "Too many look-ups from your network. Try again later." in resp.content.decode()


def test_the_lookup_form_takes_the_code_from_the_link(en, org):
    resp = en.get("/c/status/?ref=2603-ABCDEFGH")
    assert resp.status_code == 200
    assert 'value="2603-ABCDEFGH"' in resp.content.decode()


# --- The QR poster --------------------------------------------------------------------------


def expected_svg(url: str) -> str:
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None)


def test_poster_for_the_store_manager(client, org, people):
    client.force_login(people.store)
    resp = client.get(f"/complaints/poster/{org.s1.pk}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count("<svg") == 1
    # The QR code encodes the public form's address on the configured site.
    assert expected_svg("https://sqms.example.com/c/S1/") in html
    assert '<p class="poster-url">https://sqms.example.com/c/S1/</p>' in html
    cta = '<span lang="zh-hans">扫码投诉与建议</span><span lang="en">Scan to tell us</span>'
    assert cta in html
    assert '<p class="poster-store">徐汇店</p>' in html
    assert f'href="/complaints/poster/{org.s1.pk}/qr.png"' in html
    assert "data-print" in html


def test_poster_png_for_download(client, org, people):
    client.force_login(people.region)  # a regional manager prints his stores' posters
    resp = client.get(f"/complaints/poster/{org.s1.pk}/qr.png")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/png"
    assert resp["Content-Disposition"] == 'attachment; filename="qr-S1.png"'
    assert resp.content.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("suffix", ["", "qr.png"])
def test_poster_of_another_store_is_not_found(client, org, people, suffix):
    client.force_login(people.outsider)
    assert client.get(f"/complaints/poster/{org.s1.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["", "qr.png"])
def test_poster_needs_the_intake_right(client, org, people, suffix):
    client.force_login(people.inspector)  # sees the org, registers no complaints
    assert client.get(f"/complaints/poster/{org.s1.pk}/{suffix}").status_code == 403


def test_poster_of_an_inactive_store_is_not_found(client, org, people):
    org_services.unit_deactivate(actor=None, unit=org.s2, reason="closed down")
    client.force_login(people.region)
    assert client.get(f"/complaints/poster/{org.s2.pk}/").status_code == 404


@pytest.mark.parametrize("suffix", ["", "qr.png"])
def test_poster_needs_a_login(client, org, suffix):
    path = f"/complaints/poster/{org.s1.pk}/{suffix}"
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp["Location"] == f"/accounts/login/?next={path}"


def _attitude():  # type: ignore[no-untyped-def]
    from sqms.complaints.models import Category

    return Category.objects.get(code="attitude")
