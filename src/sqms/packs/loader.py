"""Industry packs: YAML files of rules (categories, time limits, checklists, …) that differ
between organisations. A pack is validated whole and applied in one transaction, section by
section, through each app's own configuration services.

An app takes a section of a pack by naming it on its AppConfig: `pack_section = "complaints"` and
`pack_apply = "sqms.complaints.configuration.complaint_config_apply"` (called with keyword
arguments `actor`, `data` — the section — and `pack`, the pack's name; it returns warnings and
raises DomainError naming each mistake). Sections are applied in INSTALLED_APPS order, so an app
may refer to what an app before it loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.org.models import User

PACK_DIR = Path(__file__).resolve().parent / "data"
# Keys of a pack that are about the pack itself, not a section for an app.
PACK_META_KEYS = frozenset({"name", "title", "description", "version"})


@dataclass
class PackInfo:
    name: str
    title: str
    description: str
    path: Path


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DomainError(
            code="invalid_pack",
            message=_("%(file)s is not valid YAML%(where)s.") % {"file": path.name, "where": where},
        ) from None
    if not isinstance(data, dict) or not data.get("name"):
        raise DomainError(
            code="invalid_pack",
            message=_("%(file)s must be a mapping with a name.") % {"file": path.name},
            errors=[FieldError(loc=["name"], msg=_("A pack needs a name."))],
        )
    return data


def _localised(value: Any) -> str:
    if isinstance(value, dict):
        lang = "zh" if (get_language() or "").startswith("zh") else "en"
        return str(value.get(lang) or value.get("en") or "")
    return str(value or "")


def pack_list() -> list[PackInfo]:
    packs = []
    for path in sorted(PACK_DIR.glob("*.yaml")):
        data = _read(path)
        packs.append(
            PackInfo(
                str(data["name"]),
                _localised(data.get("title")),
                _localised(data.get("description")),
                path,
            )
        )
    return packs


def pack_path(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    for info in pack_list():
        if info.name == name:
            return info.path
    raise DomainError(
        code="unknown_pack",
        message=_("No pack named %(name)s. Known packs: %(known)s.")
        % {"name": name, "known": ", ".join(p.name for p in pack_list())},
        status=404,
    )


def pack_sections() -> list[tuple[str, Callable[..., list[str]]]]:
    """(section, apply function) for each installed app that takes a pack section."""
    sections = []
    for config in apps.get_app_configs():
        section = getattr(config, "pack_section", None)
        if section:
            sections.append((str(section), import_string(config.pack_apply)))
    return sections


@transaction.atomic
def pack_load(name: str, *, actor: User | None = None) -> list[str]:
    """Load a pack by name (or from a YAML file path); returns warnings. Nothing is changed if
    any section is invalid."""
    path = pack_path(name)
    data = _read(path)
    sections = pack_sections()
    known = {section for section, _apply in sections}
    unknown = sorted(str(key) for key in data if key not in known and key not in PACK_META_KEYS)
    if unknown:
        raise DomainError(
            code="invalid_pack",
            message=_("%(file)s has sections SQMS does not know: %(unknown)s.")
            % {"file": path.name, "unknown": ", ".join(unknown)},
            errors=[FieldError(loc=[key], msg=_("Unknown section.")) for key in unknown],
        )
    warnings: list[str] = []
    for section, apply in sections:
        if section in data:
            warnings += apply(actor=actor, data=data[section], pack=str(data["name"]))
    return warnings
