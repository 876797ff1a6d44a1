"""The loud banner when browser tests were skipped for want of a browser.

tests/e2e/conftest.py registers this plugin itself. A whole-suite run under xdist
(`pytest -n 2`) never loads that conftest in the controller process, which is the one that writes
the summary; there the banner appears only if the plugin is loaded up front, e.g. with
`pytest_plugins = ["tests.e2e.summary"]` in tests/conftest.py. The skip reasons themselves are
always listed by `-ra`.
"""

from __future__ import annotations

from typing import Any

import pytest

NOT_RUN = "BROWSER TESTS NOT RUN"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = [
        rep
        for rep in terminalreporter.stats.get("skipped", [])
        if isinstance(rep.longrepr, tuple) and NOT_RUN in str(rep.longrepr[-1])
    ]
    if not skipped:
        return
    reason = str(skipped[0].longrepr[-1]).removeprefix("Skipped: ")
    bar = "!" * 78
    terminalreporter.write_line(bar, red=True, bold=True)
    terminalreporter.write_line(
        f"!! {len(skipped)} e2e browser test(s) SKIPPED — {reason}", red=True, bold=True
    )
    terminalreporter.write_line(
        "!! Set SQMS_REQUIRE_BROWSER=1 to make a missing browser fail the run.", red=True, bold=True
    )
    terminalreporter.write_line(bar, red=True, bold=True)
