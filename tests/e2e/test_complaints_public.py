"""A customer on his phone: scans the store's QR code, files a complaint without logging in,
gets a tracking code and looks the complaint up, in Chinese and in English. And the store
manager's printable QR poster."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from sqms.complaints.models import Channel, Complaint, Status
from sqms.packs.loader import pack_load

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def pack(org: Any) -> None:
    """The retail-chain pack (categories, time limits), as in tests/complaints."""
    pack_load("retail-chain")


def received_in(language: str) -> str:
    with translation.override(language):
        return str(Status.RECEIVED.label)


def page_width(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth"))


def look_up(page, ref: str, digits: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#id_ref", ref)
    page.fill("#id_phone_last4", digits)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_a_customer_complains_on_his_phone_and_follows_it_up(page_for, org, pack, settings):
    # A person needs seconds to fill in the form; the browser needs none.
    settings.SQMS_PUBLIC_MIN_SECONDS = 0
    page = page_for(None, phone=True)
    page.goto("/c/S1/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator(".pub-brand").inner_text() == "徐汇店"
    assert page.locator(".topbar").count() == 0  # no staff navigation on the public pages
    assert page.locator(".hp").bounding_box()["x"] < -1000  # the honeypot is out of sight
    assert page_width(page) <= 390 + 1
    page_for.shot(page, "form-zh")

    page.fill("#id_description", "晚上八点结账时收银员态度很差，还多收了一件商品的钱。")
    page.select_option("#id_category", label="服务态度")
    page.fill("#id_staff", "3号收银台")
    page.fill("#id_complainant_name", "王先生")
    page.fill("#id_complainant_phone", "139 1234 5678")
    page.set_input_files(
        "#id_photos", files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.click("main form.pub-form button[type=submit]")
    page.wait_for_url(page_for.url("/c/S1/thanks/"))

    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.unit_id) == (Channel.WEB, org.s1.pk)
    assert complaint.attachments.count() == 1
    assert page.locator("p.ref").inner_text() == complaint.ref
    assert page.locator("button.copy").is_visible()  # public.js ran under the CSP
    assert page_width(page) <= 390 + 1
    page_for.shot(page, "thanks-zh")

    page.click(f"a[href='/c/status/?ref={complaint.ref}']")
    assert page.locator("#id_ref").input_value() == complaint.ref
    look_up(page, complaint.ref, "5679")  # a wrong digit
    assert page.locator(".alert").count() == 1
    assert page.locator(".status").count() == 0
    look_up(page, complaint.ref, "5678")
    assert page.locator("p.status").inner_text() == received_in("zh-hans")
    assert page.locator(".facts dd").nth(1).inner_text() == "徐汇店"
    page_for.shot(page, "status-zh")

    page.click("button[name=language][value=en]")
    page.locator("html[lang=en]").wait_for(state="attached")
    # Back on the lookup form, in English, with the code still filled in.
    assert page.url == page_for.url(f"/c/status/?ref={complaint.ref}")
    assert page.locator("#id_ref").input_value() == complaint.ref
    look_up(page, complaint.ref.lower(), "5678")
    assert page.locator("p.status").inner_text() == "Received"
    page_for.shot(page, "status-en")

    page.goto("/c/S1/")
    assert page.locator("h1").inner_text() == "Tell us what happened"
    assert page.locator("#id_category option").nth(2).inner_text() == "Service attitude"
    page_for.shot(page, "form-en")
    assert page_for.problems(page) == []


def test_the_store_manager_prints_the_qr_poster(page_for, org, people, settings):
    settings.SQMS_BASE_URL = "https://sqms.example.com"
    page = page_for(people.store)
    page.goto(f"/complaints/poster/{org.s1.pk}/")
    assert page.locator(".poster svg.qr").is_visible()
    assert page.locator(".poster-url").inner_text() == "https://sqms.example.com/c/S1/"
    assert page.locator("button[data-print]").is_visible()
    page_for.shot(page, "screen")

    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator(".no-print").is_hidden()
    assert page.locator(".poster").is_visible()
    page_for.shot(page, "print")
    # Printed, the poster is one A4 sheet.
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert page_for.problems(page) == []
