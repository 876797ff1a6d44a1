from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sqms.common.errors import DomainError
from sqms.common.models import DayKind


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What will use it, e.g. 'hotline system'.")
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a token that does not expire."),
    )


def form_errors(
    form: forms.Form, exc: DomainError, field_map: dict[str, str] | None = None
) -> None:
    """Put a DomainError's field errors beside their fields (the rest at the top of the form).
    `field_map` renames service fields to form fields ("weekly_hours" → "hours"); a dotted name
    ("weekly_hours.3") is matched by its first part."""
    placed = False
    for err in exc.errors:
        name = str(err.loc[-1]) if err.loc else ""
        name = (field_map or {}).get(name.split(".")[0], name)
        if name in form.fields:
            form.add_error(name, err.msg)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


WEEKDAYS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]


class CalendarForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    hours = forms.CharField(
        label=_("Working hours"),
        initial="09:00-12:00, 13:00-18:00",
        help_text=_("Intervals separated by commas, e.g. 09:00-12:00, 13:00-18:00."),
    )
    days = forms.MultipleChoiceField(
        label=_("Working days"),
        choices=[(str(i), d) for i, d in enumerate(WEEKDAYS)],
        initial=["0", "1", "2", "3", "4"],
        widget=forms.CheckboxSelectMultiple,
    )
    follow_official_holidays = forms.BooleanField(
        label=_("Follow official Chinese holidays"), required=False, initial=True
    )

    def clean_hours(self) -> list[list[str]]:
        return parse_interval_text(self.cleaned_data["hours"])

    def service_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        week = {str(d): (data["hours"] if str(d) in data["days"] else []) for d in range(7)}
        return {
            "code": data["code"],
            "name": data["name"],
            "weekly_hours": week,
            "follow_official_holidays": data["follow_official_holidays"],
        }


def parse_interval_text(text: str) -> list[list[str]]:
    pairs: list[list[str]] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        bits = [b.strip() for b in part.replace("–", "-").split("-")]
        if len(bits) != 2:
            raise forms.ValidationError(_("Write each interval as 09:00-12:00."))
        pairs.append(bits)
    return pairs


class OverrideForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        help_text=_("For a working day; empty means the usual hours."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean_hours(self) -> list[list[str]]:
        return parse_interval_text(self.cleaned_data.get("hours") or "")

    def service_kwargs(self) -> dict[str, object]:
        d = self.cleaned_data
        return {"date": d["date"], "kind": d["kind"], "hours": d["hours"], "note": d["note"]}


class OfficialDayForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices)
    name = forms.CharField(label=_("Holiday"), required=False, max_length=80)
