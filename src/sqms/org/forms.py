from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqms.org.models import OrgUnit, Position, UnitKind
from sqms.org.roles import Role


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:  # type: ignore[override]
        return f"{'　' * obj.depth}{obj.name} ({obj.code})"


class MoveUnitForm(forms.Form):
    parent = UnitChoiceField(label=_("New parent unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: object, units: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["parent"].queryset = units  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StaffForm(forms.Form):
    employee_no = forms.CharField(label=_("Employee number"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=80)
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.order_by("code")
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)


class MoveStaffForm(forms.Form):
    unit = UnitChoiceField(label=_("New unit"), queryset=OrgUnit.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: object, units: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class StaffLeaveForm(forms.Form):
    end_date = forms.DateField(
        label=_("Last day"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
    dry_run = forms.BooleanField(
        label=_("Only check the file, import nothing"), required=False, initial=True
    )

    def clean_file(self) -> object:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file (Excel 2007 or later)."))
        if f.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return f


class GrantForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 8 characters; tell it to the person, who should change it."),
    )

    def clean_password(self) -> str:
        from django.contrib.auth.password_validation import validate_password

        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password
