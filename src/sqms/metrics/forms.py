from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MeasurementForm(forms.Form):
    subject = forms.CharField(label=_("Unit code or employee no."), max_length=40)
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    numerator = forms.DecimalField(label=_("Numerator"), max_digits=14, decimal_places=4)
    denominator = forms.DecimalField(
        label=_("Denominator"), max_digits=14, decimal_places=4, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
