"""Industry packs: YAML files of rules (categories, time limits, …) that differ between
organisations. A pack is validated whole and applied in one transaction, section by section,
through each app's own configuration services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sqms.common.errors import DomainError, FieldError
from sqms.complaints.configuration import complaint_config_apply
from sqms.org.models import User

PACK_DIR = Path(__file__).resolve().parent / "data"


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


@transaction.atomic
def pack_load(name: str, *, actor: User | None = None) -> list[str]:
    """Load a pack by name (or from a YAML file path); returns warnings. Nothing is changed if
    any section is invalid."""
    path = pack_path(name)
    data = _read(path)
    warnings: list[str] = []
    if "complaints" in data:
        warnings += complaint_config_apply(
            actor=actor, data=data["complaints"], pack=str(data["name"])
        )
    return warnings
