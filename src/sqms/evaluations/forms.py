from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _

from sqms.evaluations.models import Audience, SchemeVersion


class RunForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Scheme version"), queryset=SchemeVersion.objects.none()
    )
    period = forms.CharField(
        label=_("Period"),
        max_length=10,
        help_text=_("2026-11 (month), 2026-Q3 (quarter), 2026-H2 (half-year) or 2026 (year)."),
    )
    scope = forms.CharField(label=_("Unit code (its whole subtree is evaluated)"), max_length=40)
    whatif = forms.BooleanField(
        label=_("What-if: try this version out and compare with the published results"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = (  # type: ignore[attr-defined]
            SchemeVersion.objects.exclude(state=SchemeVersion.State.RETIRED)
            .select_related("scheme")
            .order_by("scheme__code", "-number")
        )
        self.fields["version"].label_from_instance = (  # type: ignore[attr-defined]
            lambda v: f"{v.scheme} v{v.number} ({v.get_state_display()})"
        )


class SchemeForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=60)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120)
    spec = forms.CharField(
        label=_("Rules (YAML)"), widget=forms.Textarea(attrs={"rows": 28, "class": "code"})
    )
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)

    def clean_spec(self) -> dict[str, Any]:
        try:
            data = yaml.safe_load(self.cleaned_data["spec"])
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else "?"
            raise forms.ValidationError(
                _("Not valid YAML (line %(line)s).") % {"line": line}
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The rules are a mapping (code, components, …)."))
        return data


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this line is wrong"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class DecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Uphold")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    decision = forms.CharField(
        label=_("Reason for the decision"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    points = forms.DecimalField(
        label=_("Points the line deducts after the appeal (empty: none)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )


class ManualForm(forms.Form):
    component = forms.CharField(widget=forms.HiddenInput)
    points = forms.DecimalField(
        label=_("Points deducted"), min_value=0, max_digits=10, decimal_places=2
    )
    justification = forms.CharField(label=_("Justification"), max_length=300)


class PublishForm(forms.Form):
    audience = forms.ChoiceField(label=_("Bulletin audience"), choices=Audience.choices)
