import datetime as dt

import pytest

from sqms.core.periods import PeriodKind, period_parse, period_previous


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "label"),
    [
        ("2026-11", PeriodKind.MONTH, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11"),
        ("2024-2", PeriodKind.MONTH, dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        ("2026-12", PeriodKind.MONTH, dt.date(2026, 12, 1), dt.date(2026, 12, 31), "2026-12"),
        ("2026-Q3", PeriodKind.QUARTER, dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026-Q3"),
        ("2026-h2", PeriodKind.HALF, dt.date(2026, 7, 1), dt.date(2026, 12, 31), "2026-H2"),
        ("2026-H1", PeriodKind.HALF, dt.date(2026, 1, 1), dt.date(2026, 6, 30), "2026-H1"),
        ("2026", PeriodKind.YEAR, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026"),
    ],
)
def test_period_parse(
    text: str, kind: PeriodKind, start: dt.date, end: dt.date, label: str
) -> None:
    p = period_parse(text)
    assert (p.kind, p.start, p.end, p.label) == (kind, start, end, label)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "November", "2026-H3", ""])
def test_period_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        period_parse(text)


def test_period_previous() -> None:
    today = dt.date(2026, 1, 15)
    assert period_previous(PeriodKind.MONTH, today).label == "2025-12"
    assert period_previous(PeriodKind.QUARTER, today).label == "2025-Q4"
    assert period_previous(PeriodKind.HALF, today).label == "2025-H2"
    assert period_previous(PeriodKind.HALF, dt.date(2026, 7, 1)).label == "2026-H1"
    assert period_previous(PeriodKind.YEAR, today).label == "2025"
