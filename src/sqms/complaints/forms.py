"""Forms of the staff complaint pages. They only parse input; the services validate the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqms.complaints.models import Category, Channel, ContactPreference, Level, Satisfaction
from sqms.complaints.selectors import category_tree
from sqms.complaints.services import phone_problem
from sqms.org.models import OrgUnit, Staff

STAFF_CHANNELS = [
    (Channel.DESK, Channel.DESK.label),
    (Channel.HOTLINE, Channel.HOTLINE.label),
    (Channel.SLIP, Channel.SLIP.label),
    (Channel.EMAIL, Channel.EMAIL.label),
]
DATETIME = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{obj.code} {obj.name}"


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.name} ({obj.employee_no}, {obj.position})"


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return ("— " * getattr(obj, "depth", 0)) + obj.label


def _category_field(required: bool = False) -> CategoryChoice:
    field = CategoryChoice(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=required
    )
    return field


class PhoneChecked(forms.Form):
    """A form with the complainant's phone, checked as the service checks it: its error then
    shows with the form's others, not only once they are mended."""

    cleaned_data: dict[str, Any]

    def clean_complainant_phone(self) -> str:
        phone = str(self.cleaned_data.get("complainant_phone") or "").strip()
        if problem := phone_problem(phone):
            raise forms.ValidationError(problem, code="phone")
        return phone


class IntakeForm(PhoneChecked):
    """Staff entry for the service desk, suggestion-box slips, letters and the hotline. Its
    fields are in the order an operator asks on the phone."""

    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    unit = UnitChoice(label=_("Store or unit concerned"), queryset=OrgUnit.objects.none())
    complainant_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    complainant_name = forms.CharField(
        label=pgettext_lazy("person", "Name"), max_length=80, required=False
    )
    contact_preference = forms.ChoiceField(
        label=_("Contact preference"),
        choices=ContactPreference.choices,
        initial=ContactPreference.PHONE,
    )
    complainant_email = forms.EmailField(label=_("E-mail"), required=False)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    category = _category_field()
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    staff = StaffChoice(label=_("Staff concerned"), queryset=Staff.objects.none(), required=False)
    staff_description = forms.CharField(
        label=_("Staff as the customer described them"),
        max_length=200,
        required=False,
        help_text=_("When nobody can name them yet, e.g. “the cashier at till 3”."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        widget=DATETIME,
        help_text=_("If the customer said; the time received is when we heard of it."),
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Level.choices, coerce=int, initial=Level.NORMAL
    )
    importance = forms.TypedChoiceField(
        label=_("Importance"), choices=Level.choices, coerce=int, initial=Level.NORMAL
    )
    received_at = forms.DateTimeField(
        label=pgettext_lazy("time", "Received"),
        required=False,
        widget=DATETIME,
        help_text=_("Leave empty for now; fill in for a slip or letter received earlier."),
    )
    title = forms.CharField(label=_("Subject"), max_length=120, required=False)

    def __init__(self, *args: Any, units: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "---------")] + [  # type: ignore[attr-defined]
            (c.pk, ("— " * getattr(c, "depth", 0)) + c.label) for c in category_tree()
        ]
        self.fields["complainant_phone"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off"}
        )


class ComplaintFilterForm(forms.Form):
    status = forms.CharField(required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    category = forms.CharField(required=False)
    unit = forms.IntegerField(required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    received_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ClassifyForm(forms.Form):
    category = _category_field()
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Level.choices, coerce=int)
    importance = forms.TypedChoiceField(label=_("Importance"), choices=Level.choices, coerce=int)
    staff = StaffChoice(label=_("Staff concerned"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "---------")] + [  # type: ignore[attr-defined]
            (c.pk, ("— " * getattr(c, "depth", 0)) + c.label) for c in category_tree()
        ]


class AssignForm(forms.Form):
    assignee = StaffChoice(label=_("Handled by"), queryset=Staff.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Progress note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    contacted = forms.BooleanField(label=_("The customer was contacted"), required=False)


class WaitForm(forms.Form):
    on = forms.ChoiceField(
        label=_("Waiting on"),
        choices=[("customer", _("the customer")), ("third_party", _("a third party"))],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


class VerifyForm(forms.Form):
    substantiated = forms.TypedChoiceField(
        label=_("Outcome of the investigation"),
        choices=[("1", _("Substantiated (有理)")), ("0", _("Not substantiated"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    finding = forms.CharField(
        label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    improvement = forms.CharField(
        label=_("Improvement measure"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )


class FollowUpForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Customer's satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    accepted = forms.TypedChoiceField(
        label=_("Does the customer accept the resolution?"),
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=_("How"),
        choices=[("phone", _("Phone call")), ("visit", _("In person")), ("sms", _("Text message"))],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
    close = forms.BooleanField(
        label=_("Close the complaint if the customer is satisfied"), required=False, initial=True
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Tracking code of the complaint to keep"), max_length=20)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=5000)


class EscalationAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to the store"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    promised_by = forms.DateTimeField(
        label=_("Or: the shortest time in which it can be handled"),
        required=False,
        widget=DATETIME,
    )


class AttachForm(forms.Form):
    files = forms.FileField(label=_("Photos, PDF or recordings"), required=True)
