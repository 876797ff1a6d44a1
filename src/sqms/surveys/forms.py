"""Forms of the staff pages: they parse input; the services validate."""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqms.core.survey_stats import MIN_GROUP
from sqms.org.models import OrgUnit, UnitKind
from sqms.org.roles import Cap
from sqms.org.selectors import AnyUser, staff_queryset_for_user, unit_choices_for_user
from sqms.surveys.models import Audience, Campaign, Instrument
from sqms.surveys.services import CampaignData

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{'　' * obj.depth}{obj.name} ({obj.code})"


class CampaignForm(forms.Form):
    instrument = forms.ModelChoiceField(
        label=gettext_lazy("Instrument"), queryset=Instrument.objects.none()
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    unit = UnitChoice(label=gettext_lazy("Units asked"), queryset=OrgUnit.objects.none())
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)
    opens_on = forms.DateField(label=gettext_lazy("Opens on"), widget=DATE)
    closes_on = forms.DateField(label=gettext_lazy("Closes on"), widget=DATE)
    anonymous = forms.BooleanField(
        label=gettext_lazy("Anonymous"),
        required=False,
        help_text=gettext_lazy("An anonymous instrument is always anonymous."),
    )
    reminder_days = forms.CharField(
        label=gettext_lazy("Reminder days"),
        required=False,
        help_text=gettext_lazy("Days after the invitation, separated by commas, e.g. 3, 7."),
    )
    satisfaction_definition = forms.ChoiceField(
        label=gettext_lazy("Satisfaction rate"),
        choices=Campaign._meta.get_field("satisfaction_definition").choices,  # type: ignore[arg-type]
    )
    ipa_crosshair = forms.ChoiceField(
        label=gettext_lazy("IPA crosshair"),
        choices=Campaign._meta.get_field("ipa_crosshair").choices,  # type: ignore[arg-type]
    )
    weighting = forms.ChoiceField(
        label=gettext_lazy("Importance weighting"),
        choices=Campaign._meta.get_field("weighting").choices,  # type: ignore[arg-type]
    )
    min_group = forms.IntegerField(
        label=gettext_lazy("Smallest group shown"), min_value=MIN_GROUP, initial=MIN_GROUP
    )
    rated_units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Rated departments"),
        required=False,
        queryset=OrgUnit.objects.none(),
        help_text=gettext_lazy("Internal service quality: the departments the front line rates."),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = Instrument.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = unit_choices_for_user(user, Cap.SURVEY_MANAGE)  # type: ignore[attr-defined]
        self.fields["rated_units"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            is_active=True, kind__in=[UnitKind.BACK_OFFICE, UnitKind.DEPARTMENT]
        ).order_by("path")

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_days") or ""
        try:
            return [int(x) for x in raw.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(_("Whole numbers separated by commas.")) from None

    def data_for_service(self) -> CampaignData:
        d = self.cleaned_data
        return CampaignData(
            instrument=d["instrument"],
            name=d["name"],
            unit=d["unit"],
            audience=d["audience"],
            opens_on=d["opens_on"],
            closes_on=d["closes_on"],
            anonymous=bool(d["anonymous"] or d["instrument"].anonymous),
            reminder_days=d["reminder_days"],
            satisfaction_definition=d["satisfaction_definition"],
            ipa_crosshair=d["ipa_crosshair"],
            weighting=d["weighting"],
            min_group=d["min_group"],
            rated_units=list(d["rated_units"]),
        )


class InstrumentForm(forms.Form):
    definition = forms.CharField(
        label=gettext_lazy("Definition (YAML)"),
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "mono"}),
    )

    def clean_definition(self) -> Any:
        raw = self.cleaned_data["definition"]
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise forms.ValidationError(
                _("This is not valid YAML%(where)s.") % {"where": where}
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("An instrument is a mapping."))
        return data


class CardsForm(forms.Form):
    unit = UnitChoice(label=gettext_lazy("Unit"), queryset=OrgUnit.objects.none())
    count = forms.IntegerField(
        label=gettext_lazy("Number of cards"), min_value=1, max_value=500, initial=20
    )
    subject_staff = forms.CharField(
        label=gettext_lazy("Staff member rated (employee number)"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Opinion cards: the technician who did the job."),
    )
    source_ref = forms.CharField(
        label=gettext_lazy("Service call or complaint"),
        required=False,
        max_length=40,
        help_text=gettext_lazy("Its reference, so that it is never invited twice."),
    )

    def __init__(self, *args: Any, user: AnyUser, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = unit_choices_for_user(user, Cap.SURVEY_VIEW).filter(  # type: ignore[attr-defined]
            path__startswith=campaign.unit.path
        )

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        number = (d.get("subject_staff") or "").strip()
        d["staff"] = None
        if number:
            staff = staff_queryset_for_user(self.user).filter(employee_no=number).first()
            if staff is None:
                self.add_error(
                    "subject_staff", _("Unknown employee number %(no)s.") % {"no": number}
                )
            d["staff"] = staff
        if d.get("source_ref") and d.get("count", 1) != 1:
            self.add_error("count", _("One card per service call."))
        return d


class SampleSizeForm(forms.Form):
    margin = forms.FloatField(
        label=gettext_lazy("Margin of error (±, %)"), min_value=0.5, max_value=20, initial=5
    )
    confidence = forms.ChoiceField(
        label=gettext_lazy("Confidence"),
        choices=[("0.9", "90%"), ("0.95", "95%"), ("0.99", "99%")],
        initial="0.95",
    )
    proportion = forms.FloatField(
        label=gettext_lazy("Expected proportion (%)"),
        min_value=1,
        max_value=99,
        initial=50,
        help_text=gettext_lazy("50% when unknown: the largest sample."),
    )
    population = forms.IntegerField(
        label=gettext_lazy("Population (optional)"), required=False, min_value=1
    )
    strata = forms.CharField(
        label=gettext_lazy("Strata (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line: name, size — and a standard deviation for Neyman allocation."
        ),
    )

    def clean_strata(self) -> list[tuple[str, int, float | None]]:
        rows: list[tuple[str, int, float | None]] = []
        for i, line in enumerate((self.cleaned_data.get("strata") or "").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            try:
                if len(parts) not in (2, 3):
                    raise ValueError
                size = int(parts[1])
                sd = float(parts[2]) if len(parts) == 3 else None
                if size < 1 or (sd is not None and sd <= 0):
                    raise ValueError
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)d: write name, size (and a standard deviation).") % {"n": i}
                ) from None
            rows.append((parts[0], size, sd))
        if rows and len({sd is None for _n, _s, sd in rows}) > 1:
            raise forms.ValidationError(_("Give a standard deviation for every stratum or none."))
        return rows
