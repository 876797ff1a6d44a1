from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    """Messages are asserted in English (the pages pick the language from LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
