from __future__ import annotations

import pytest
import time_machine
from django.utils import translation

from sqms.evaluations import services
from tests.evaluations.factories import cashier_scheme, complaint, computed_run, sh


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    """Messages are asserted in English (the pages pick the language from LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def published(org, people):  # type: ignore[no-untyped-def]
    """November evaluated for the whole company, open for appeals from 2 December, and
    published on the 8th; E1 (the cashier persona) had two substantiated complaints."""
    e1 = org.cashier_staff
    complaint(e1, sh(2026, 11, 3))
    complaint(e1, sh(2026, 11, 4))
    complaint(org.s3_staff[0], sh(2026, 11, 9))
    run = computed_run(cashier_scheme(), org.hq)
    with time_machine.travel(sh(2026, 12, 2, 9)):
        run = services.run_open_appeals(actor=people.quality, run=run)
    with time_machine.travel(sh(2026, 12, 8)):
        run = services.run_review(actor=people.quality, run=run)
        run = services.run_approve(actor=people.quality, run=run)
        run = services.run_publish(actor=people.quality, run=run)
    return run


@pytest.fixture
def appeals_open(org, people):  # type: ignore[no-untyped-def]
    complaint(org.cashier_staff, sh(2026, 11, 3))
    run = computed_run(cashier_scheme(), org.hq)
    with time_machine.travel(sh(2026, 12, 2, 9)):
        return services.run_open_appeals(actor=people.quality, run=run)
