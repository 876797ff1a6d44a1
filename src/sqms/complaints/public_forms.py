"""Forms of the public pages (no login): the complaint form a customer fills in on his phone
after scanning a store's QR code, and the status lookup. They parse input and keep spam out; the
service validates the complaint itself.

Spam protection needs no third-party service: a honeypot field that people never see (bots fill
in every field), and a signed stamp issued with each rendered form. The stamp names the store,
must be at least SQMS_PUBLIC_MIN_SECONDS and at most two hours old, and is good for one
submission (a double tap on "Send" registers one complaint). The per-address rate limit is the
view's."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sqms.complaints.forms import PhoneChecked
from sqms.complaints.models import Category, Channel, ContactPreference
from sqms.complaints.services import MAX_TEXT, Intake
from sqms.org.models import OrgUnit

MAX_PHOTOS = 3
HONEYPOT = "website"  # a name bots like to fill in
STAMP_FIELD = "stamp"
STAMP_SALT = "sqms.complaints.public-form"
STAMP_MAX_AGE = 2 * 3600  # seconds
_SPENT_PREFIX = "sqms:public-stamp:"
DATETIME = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


# --- The signed stamp -----------------------------------------------------------------------


class StampError(Exception):
    """The stamp is missing, forged, for another store, too fresh or too old."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def stamp_issue(unit_code: str) -> str:
    """A new stamp for one rendering of a store's form."""
    value = {"u": unit_code, "n": secrets.token_urlsafe(12), "t": round(time.time(), 3)}
    return signing.dumps(value, salt=STAMP_SALT)


def stamp_read(value: str, unit_code: str) -> str:
    """The stamp's one-time key if the stamp is good for a submission to this store now."""
    try:
        data = signing.loads(value or "", salt=STAMP_SALT, max_age=STAMP_MAX_AGE)
    except signing.SignatureExpired:
        raise StampError(
            _("The form was open for more than two hours. Check it and send it again.")
        ) from None
    except signing.BadSignature:
        raise StampError(_("The form could not be verified. Send it again.")) from None
    if not isinstance(data, dict) or data.get("u") != unit_code:
        raise StampError(_("The form could not be verified. Send it again."))
    if time.time() - float(data["t"]) < settings.SQMS_PUBLIC_MIN_SECONDS:
        raise StampError(_("The form was sent too quickly. Check it and send it again."))
    return str(data["n"])


def stamp_claim(key: str) -> bool:
    """Mark the stamp as used; False when it already was (the same form sent twice)."""
    return bool(cache.add(_SPENT_PREFIX + key, "", timeout=STAMP_MAX_AGE))


def stamp_result(key: str, result: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Record `result` (what a used stamp produced), or read it back: None while the first
    submission is still being saved, or when it failed."""
    if result is not None:
        cache.set(_SPENT_PREFIX + key, result, timeout=STAMP_MAX_AGE)
        return result
    found = cache.get(_SPENT_PREFIX + key)
    return found if isinstance(found, dict) else None


# --- The complaint form ---------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS files; the service checks their type and size."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("At most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many"
            )
        return [super(PhotosField, self).clean(f, initial) for f in files]


class TopCategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.label  # in the visitor's language, at rendering time


class PublicComplaintForm(PhoneChecked):
    """What a customer tells about one store, with when it happened and the staff member he
    names, if he does. Ticking "anonymous" leaves his name out."""

    required_css_class = "required"

    description = forms.CharField(
        label=gettext_lazy("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT,
    )
    category = TopCategoryChoice(
        label=gettext_lazy("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not sure"),
    )
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("When did it happen?"), required=False, widget=DATETIME
    )
    staff = forms.CharField(
        label=gettext_lazy("Staff concerned"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("A name or badge number, if you know it."),
    )
    complainant_name = forms.CharField(
        label=pgettext_lazy("person", "Name"), required=False, max_length=80
    )
    complainant_phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_preference = forms.ChoiceField(
        label=gettext_lazy("How may we contact you?"),
        choices=ContactPreference.choices,
        initial=ContactPreference.PHONE,
        widget=forms.RadioSelect,
    )
    complainant_email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    anonymous = forms.BooleanField(
        label=gettext_lazy("Anonymous"),
        required=False,
        help_text=gettext_lazy(
            "Your name is not recorded. Without a phone number we cannot call you back, "
            "and you cannot look up the status here."
        ),
    )
    photos = PhotosField(
        label=gettext_lazy("Photos"),
        required=False,
        help_text=gettext_lazy("Up to 3 photos."),
    )
    # The honeypot: hidden by public.css and from screen readers; people leave it empty.
    website = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The pack's top-level categories: a customer picks the kind, staff refine it.
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True, is_active=True
        )
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("occurred_at", now)

    def clean_occurred_at(self) -> dt.datetime | None:
        when = self.cleaned_data.get("occurred_at")
        if when is not None and when > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("This time is in the future."), code="future")
        return when

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        # The service asks for a number for a call-back; a text message needs one just as much.
        if d.get("contact_preference") == ContactPreference.SMS and not d.get("complainant_phone"):
            self.add_error(
                "complainant_phone", _("Give a phone number to be contacted by text message.")
            )
        return d

    def intake(self, unit: OrgUnit) -> Intake:
        d = self.cleaned_data
        return Intake(
            channel=Channel.WEB,
            unit=unit,
            description=str(d["description"]).strip(),
            complainant_name="" if d["anonymous"] else d["complainant_name"],
            complainant_phone=d["complainant_phone"],
            complainant_email=d["complainant_email"],
            contact_preference=d["contact_preference"],
            anonymous=d["anonymous"],
            category=d["category"],
            staff_description=(d.get("staff") or "").strip(),
            occurred_at=d.get("occurred_at"),
        )


# --- The status lookup ----------------------------------------------------------------------


class StatusLookupForm(forms.Form):
    required_css_class = "required"

    ref = forms.CharField(
        label=gettext_lazy("Tracking code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone_last4 = forms.CharField(
        label=gettext_lazy("Last 4 digits of your phone number"),
        max_length=4,
        validators=[RegexValidator(r"^[0-9]{4}$", gettext_lazy("Enter 4 digits."), code="digits")],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
