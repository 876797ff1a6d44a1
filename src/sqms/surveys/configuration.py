"""The `surveys` section of an industry pack: the shipped instruments to install and the
campaign defaults. Validated as a whole; every mistake is reported with its place.

    surveys:
      instruments: [servqual-22, csi-retail, employee-satisfaction, internal-service, opinion-card]
      defaults:
        satisfaction_definition: satisfied_share   # or not_dissatisfied
        ipa_crosshair: means                       # or midpoint
        weighting: mean_weights                    # or per_respondent
        min_group: 5                               # at least 5
        reminder_days: [3, 7]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from sqms.common.audit import audit_record
from sqms.common.errors import DomainError, FieldError
from sqms.core.survey_stats import MIN_GROUP, Crosshair, RateDefinition, Weighting
from sqms.org.models import User
from sqms.surveys.instruments import spec_parse
from sqms.surveys.models import SurveyDefaults
from sqms.surveys.services import instrument_create

INSTRUMENT_DIR = Path(__file__).resolve().parent / "instruments"
DEFAULT_KEYS = {
    "satisfaction_definition": {e.value for e in RateDefinition},
    "ipa_crosshair": {e.value for e in Crosshair},
    "weighting": {e.value for e in Weighting},
}


def shipped_instruments() -> dict[str, Path]:
    """The instrument files shipped with the app, by code (file name without .yaml)."""
    return {p.stem: p for p in sorted(INSTRUMENT_DIR.glob("*.yaml"))}


def shipped_instrument(code: str) -> dict[str, Any]:
    data = yaml.safe_load(shipped_instruments()[code].read_text(encoding="utf-8"))
    return dict(data)


@transaction.atomic
def survey_config_apply(*, actor: User | None, data: Any, pack: str) -> list[str]:
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise DomainError(
            code="invalid_pack",
            message=_("The surveys section must be a mapping."),
            errors=[FieldError(loc=["surveys"], msg=_("Expected a mapping."))],
        )
    unknown = sorted(set(data) - {"instruments", "defaults"})
    for key in unknown:
        errors.append(FieldError(loc=["surveys", key], msg=_("Unknown key.")))
    shipped = shipped_instruments()
    codes = data.get("instruments") or []
    if not isinstance(codes, list):
        errors.append(FieldError(loc=["surveys", "instruments"], msg=_("Expected a list.")))
        codes = []
    specs = []
    for i, code in enumerate(codes):
        if str(code) not in shipped:
            errors.append(
                FieldError(
                    loc=["surveys", "instruments", i],
                    msg=_("No shipped instrument %(code)s (known: %(known)s).")
                    % {"code": code, "known": ", ".join(shipped)},
                )
            )
            continue
        try:
            specs.append(spec_parse(shipped_instrument(str(code))).data)
        except DomainError as exc:
            for err in exc.errors:
                errors.append(FieldError(loc=["surveys", "instruments", i, *err.loc], msg=err.msg))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        errors.append(FieldError(loc=["surveys", "defaults"], msg=_("Expected a mapping.")))
        defaults = {}
    for key, value in defaults.items():
        loc: list[str | int] = ["surveys", "defaults", str(key)]
        if key in DEFAULT_KEYS:
            if value not in DEFAULT_KEYS[key]:
                errors.append(
                    FieldError(
                        loc=loc,
                        msg=_("Choose one of %(v)s.") % {"v": ", ".join(sorted(DEFAULT_KEYS[key]))},
                    )
                )
        elif key == "min_group":
            if not isinstance(value, int) or isinstance(value, bool) or value < MIN_GROUP:
                errors.append(
                    FieldError(
                        loc=loc,
                        msg=_("At least %(n)d, to keep answers anonymous.") % {"n": MIN_GROUP},
                    )
                )
        elif key == "reminder_days":
            if not isinstance(value, list) or any(
                not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in value
            ):
                errors.append(FieldError(loc=loc, msg=_("Reminder days are whole numbers from 1.")))
        else:
            errors.append(FieldError(loc=loc, msg=_("Unknown key.")))
    if errors:
        raise DomainError(
            code="invalid_pack",
            message=_("The surveys section has %(n)d mistake(s).") % {"n": len(errors)},
            errors=errors,
        )
    warnings: list[str] = []
    for spec in specs:
        try:
            _instrument, created = instrument_create(actor=None, data=spec, source=pack)
        except DomainError as exc:
            raise DomainError(code="invalid_pack", message=exc.message, errors=exc.errors) from None
        if not created:
            warnings.append(
                _("Instrument %(code)s v%(v)d was already installed.")
                % {"code": spec["code"], "v": spec["version"]}
            )
    row = SurveyDefaults.objects.select_for_update().filter(pk=1).first() or SurveyDefaults(pk=1)
    for key in ("satisfaction_definition", "ipa_crosshair", "weighting", "min_group"):
        if key in defaults:
            setattr(row, key, defaults[key])
    if "reminder_days" in defaults:
        row.reminder_days = sorted(set(defaults["reminder_days"]))
    row.pack = pack
    row.save()
    audit_record(
        actor=actor,
        action="survey.pack_apply",
        target=row,
        after={"pack": pack, "instruments": [s["code"] for s in specs]},
    )
    return warnings
