"""The Simplified Chinese catalogues: complete, not fuzzy, placeholders intact, and compilable.

The project's catalogue (src/sqms/locale) and every app's own (src/sqms/<app>/locale) are each
checked. These tests read the .po files only; they need neither a database nor compiled .mo files.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

import sqms

SRC = Path(sqms.__file__).resolve().parent
PO_PATH = SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PO_PATHS = [PO_PATH, *sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))]

# printf-style (named or positional, e.g. %(name)s, %(n)d, %(k)r, %s) and str.format-style ({name}).
# "%%" is a literal percent sign, not a placeholder.
PRINTF_RE = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|\{\d*\}")


@pytest.fixture(scope="module", params=PO_PATHS, ids=lambda p: str(p.relative_to(SRC)))
def po(request: pytest.FixtureRequest) -> polib.POFile:
    return polib.pofile(str(request.param))


@pytest.fixture(scope="module")
def project_po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def placeholders(text: str) -> set[str]:
    found = {m for m in PRINTF_RE.findall(text) if m != "%%"}
    return found | set(BRACE_RE.findall(text))


def test_placeholder_pattern() -> None:
    assert placeholders("%(n)d of %(total)s, %s, %(k)r, {name}, 100%% done") == {
        "%(n)d",
        "%(total)s",
        "%s",
        "%(k)r",
        "{name}",
    }


def test_header(po: polib.POFile) -> None:
    assert po.metadata.get("Language") == "zh_Hans"
    assert po.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy, "remove '#, fuzzy' from the header"


def test_every_entry_is_translated(po: polib.POFile) -> None:
    untranslated = [e.msgid for e in _entries(po) if not all(t.strip() for t in _translations(e))]
    assert not untranslated, f"{len(untranslated)} untranslated: " + "; ".join(
        repr(m) for m in untranslated
    )


def test_plural_entries_have_one_form(po: polib.POFile) -> None:
    # Chinese has a single plural form: only msgstr[0].
    wrong = [e.msgid for e in _entries(po) if e.msgid_plural and set(e.msgstr_plural) != {0}]
    assert not wrong, f"plural entries with forms other than msgstr[0]: {wrong}"


def test_nothing_is_fuzzy(po: polib.POFile) -> None:
    fuzzy = [e.msgid for e in _entries(po) if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"


def test_placeholders_match(po: polib.POFile) -> None:
    mismatches = []
    for e in _entries(po):
        expected = placeholders(e.msgid) | placeholders(e.msgid_plural or "")
        for text in _translations(e):
            got = placeholders(text)
            if text and got != expected:
                mismatches.append(f"{e.msgid!r}: expected {sorted(expected)}, got {sorted(got)}")
    assert not mismatches, "\n".join(mismatches)


def test_leading_and_trailing_newlines_match(po: polib.POFile) -> None:
    wrong = [
        e.msgid
        for e in _entries(po)
        for text in _translations(e)
        if text
        and (
            text.startswith("\n") != e.msgid.startswith("\n")
            or text.endswith("\n") != e.msgid.endswith("\n")
        )
    ]
    assert not wrong, f"newline at start/end differs from the msgid: {wrong}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (GNU gettext) is not installed")
@pytest.mark.parametrize("po_path", PO_PATHS, ids=lambda p: str(p.relative_to(SRC)))
def test_msgfmt_check_format(po_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(po_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compiled_catalogue_translates(project_po: polib.POFile, tmp_path: Path) -> None:
    mo_path = tmp_path / "django.mo"
    project_po.save_as_mofile(str(mo_path))
    with mo_path.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    assert catalogue.gettext("Log in") == "登录"
    assert catalogue.gettext("Log out") == "退出登录"
    assert catalogue.gettext("Organisation") == "组织机构"
    assert catalogue.gettext("Service Quality Management System") == "服务质量管理系统"
    assert catalogue.gettext("Employee number %(no)s is already taken.") % {"no": "A01"} == (
        "工号 A01 已被占用。"
    )
    for n in (1, 5):
        assert catalogue.ngettext("%(n)s person", "%(n)s people", n) % {"n": n} == f"{n} 人"


def test_catalogues_agree() -> None:
    # Django merges the catalogues, the project's winning; a word translated two ways in two
    # catalogues would change with the page it is on.
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    clashes = []
    for path in PO_PATHS:
        for e in _entries(polib.pofile(str(path))):
            key = (e.msgctxt or "", e.msgid)
            text = " | ".join(_translations(e))
            if key in seen and seen[key][1] != text:
                clashes.append(
                    f"{e.msgid!r}: {seen[key][1]!r} ({seen[key][0]}) vs {text!r} ({path})"
                )
            seen.setdefault(key, (str(path.relative_to(SRC)), text))
    assert not clashes, "\n".join(clashes)
